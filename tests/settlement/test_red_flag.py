"""The employer's wage-arrears red flag on its own organisation (GET /v1/employers/me)."""
from datetime import timedelta

from market.attendance.keys import ATTENDANCE
from market.settlement.keys import SETTLEMENTS
from tests import factories
from tests.settlement.support import (
    SITE, approved_but_unfunded, assign, fund, minutes, now_local, principal_of, shift_at,
)


async def _me(client, employer) -> dict:
    response = await client.get("/v1/employers/me", headers=employer.auth)
    assert response.status == 200, await response.text()
    return await response.json()


async def test_an_employer_with_unpaid_wages_past_due_shows_a_red_flag_until_the_worker_is_paid(client, conn):
    employer, _, _ = await approved_but_unfunded(client, conn)
    me = await _me(client, employer)  # approved and unpaid, but not yet past due
    assert me["red_flag"] is False and me["red_flag_since"] is None
    assert me["id"] == employer.id  # still the organisation itself

    service = client.app[SETTLEMENTS]
    later = now_local() + timedelta(days=20)
    [arrear] = await service.check_arrears(today=later.date())
    me = await _me(client, employer)
    assert me["red_flag"] is True and me["red_flag_since"] is not None
    balance = await (await client.get("/v1/employers/me/balance", headers=employer.auth)).json()
    assert balance["red_flag_since"] == me["red_flag_since"]

    await fund(client, employer, 10**6)
    assert (await service.sweep(now=later))["settled"] == 1
    batch_id = await service.run_payouts((later + timedelta(days=30)).date())
    await service.confirm_batch(batch_id)
    me = await _me(client, employer)
    assert me["red_flag"] is False and me["red_flag_since"] is None


async def test_a_timesheet_approved_with_no_paid_time_owes_nothing_and_raises_no_arrears(client, conn):
    employer, worker = await factories.employer(client, escrow_fen=0), await factories.worker(client)
    await fund(client, employer, 10**6)
    start = now_local() - minutes(10)
    _, shift_id = await shift_at(client, conn, employer, start, start + minutes(180))
    assignment_id = await assign(conn, shift_id, worker)
    service = client.app[SETTLEMENTS]
    who = await principal_of(client, worker)
    await client.app[ATTENDANCE].check_in(who, assignment_id, *SITE, now=start)
    await client.app[ATTENDANCE].check_out(who, assignment_id, *SITE, now=start)  # left at once: 0 minutes worked
    await client.app[ATTENDANCE].approve(await principal_of(client, employer), assignment_id)
    assert await conn.fetchval("SELECT state FROM escrow_holds WHERE assignment_id = $1", assignment_id) == "released"
    later = now_local() + timedelta(days=20)
    assert await service.check_arrears(today=later.date()) == []
    assert (await service.sweep(now=later))["settled"] == 0
    assert (await _me(client, employer))["red_flag"] is False
