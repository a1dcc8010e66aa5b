"""The agency's service fee (docs/agencies.md): when a placement of an agency-posted order settles,
the fee is one journal entry to the agency's own fee account, posted once however often (and
however concurrently) the step runs, and shown on the client's statement; the payout batch pays
it to the agency (agency_fee_payable → bank clearing), once, and the bank's confirmation marks it paid."""
from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import pytest

from market.agency_fees.service import post_agency_fees
from market.app import create_app
from market.settlement.keys import SETTLEMENTS
from market.attendance.keys import ATTENDANCE
from market.kernel.clock import local_date
from market.web.keys import DB
from tests import factories
from tests.organisations.test_agencies import acting, agency, mandate
from tests.organisations.test_members import add_member
from tests.settlement.support import SITE, admin, assign, now_local, principal_of


async def settled_agency_placement(client, conn, *, hr=None, **mandate_fields):
    employer, hr = await factories.employer(client), hr or await agency(client, conn)
    granted = await mandate(client, employer, hr, scope=["post_orders", "approve_timesheets"], **mandate_fields)
    response = await client.post("/v1/orders", json=factories.gig_order_body(), headers=acting(hr, granted))
    assert response.status == 201, await response.text()
    shift_id = uuid.UUID((await response.json())["shifts"][0]["id"])
    start = now_local() - timedelta(minutes=10)
    await conn.execute("UPDATE shifts SET starts_at = $2, ends_at = $3 WHERE id = $1", shift_id, start,
                       start + timedelta(minutes=180))
    worker = await factories.worker(client)
    assignment_id = await assign(conn, shift_id, worker, 3000)
    who = await principal_of(client, worker)
    await client.app[ATTENDANCE].check_in(who, assignment_id, *SITE, now=start + timedelta(minutes=5))
    await client.app[ATTENDANCE].check_out(who, assignment_id, *SITE, now=start + timedelta(minutes=125))
    # The agency approves in the client's name (its mandate's scope holds it).
    approved = await client.post(f"/v1/assignments/{assignment_id}/approve", json={}, headers=acting(hr, granted))
    assert approved.status == 200, await approved.text()
    return employer, hr, assignment_id


async def test_the_fee_of_a_settled_placement_is_posted_once_to_the_agencys_account(client, conn):
    employer, hr, assignment_id = await settled_agency_placement(client, conn, fee_per_placement_fen=2_000,
                                                                 fee_rate_bp=500)
    gross = await conn.fetchval("SELECT gross_fen FROM settlements WHERE assignment_id = $1", assignment_id)
    expected = 2_000 + (gross * 500 + 5_000) // 10_000
    runs = await asyncio.gather(*(post_agency_fees(client.app[DB]) for _ in range(3)))
    assert sum(runs) == 1
    assert await post_agency_fees(client.app[DB]) == 0
    assert await conn.fetchval("SELECT count(*) FROM journal_entries WHERE business_key = $1",
                               f"agency_fee:{assignment_id}") == 1
    balance = await conn.fetchval("SELECT balance_fen FROM ledger_accounts WHERE kind = 'agency_fee_payable' "
                                  "AND holder_id = $1", uuid.UUID(hr.id))
    assert balance == -expected
    month = local_date(now_local()).strftime("%Y-%m")
    statement = await (await client.get(f"/v1/employers/me/statements?month={month}", headers=employer.auth)).json()
    fees = [line for line in statement["items"] if line["kind"] == "agency_fee"]
    assert [line["amount_fen"] for line in fees] == [expected]  # a charge, as the settlement line is
    settlement = [line for line in statement["items"] if line["kind"] == "settlement"]
    assert settlement and settlement[0]["amount_fen"] > 0


async def _fee_balance(conn, hr) -> int:
    return await conn.fetchval("SELECT balance_fen FROM ledger_accounts WHERE kind = 'agency_fee_payable' "
                               "AND holder_id = $1", uuid.UUID(hr.id))


async def test_a_posted_fee_is_paid_out_to_the_agency_through_the_ledger_and_the_banks_confirmation(client, conn):
    _, hr, assignment_id = await settled_agency_placement(client, conn, fee_per_placement_fen=2_500)
    assert await post_agency_fees(client.app[DB]) == 1
    payable = await conn.fetchrow("SELECT * FROM payables WHERE source = 'agency_fee' AND source_id = $1",
                                  assignment_id)
    assert (payable["payee_type"], str(payable["payee_id"]), payable["amount_fen"]) == ("organisation", hr.id, 2_500)
    assert await _fee_balance(conn, hr) == -2_500
    ops = await admin(client)
    response = await client.post("/v1/admin/payouts", json={"due_by": local_date(now_local()).isoformat()},
                                 headers=ops)
    assert response.status == 201, await response.text()
    batch = await response.json()
    mine = [p for p in batch["payouts"] if p["payee_id"] == hr.id]
    assert [(p["payee_type"], p["amount_fen"], p["fee_fen"]) for p in mine] == [("organisation", 2_500, 0)]
    postings = {(r["kind"], r["amount_fen"]) for r in await conn.fetch(
        "SELECT a.kind, p.amount_fen FROM journal_postings p JOIN ledger_accounts a ON a.id = p.account_id "
        "JOIN journal_entries e ON e.id = p.entry_id WHERE e.business_key = $1",
        f"payout:{batch['id']}:organisation:{hr.id}")}
    assert postings == {("agency_fee_payable", 2_500), ("bank_clearing", -2_500)}
    assert await _fee_balance(conn, hr) == 0
    bank_file = await client.get(f"/v1/admin/payouts/{batch['id']}/file", headers=ops)
    line = [row for row in (await bank_file.text()).splitlines() if mine[0]["id"] in row]
    assert len(line) == 1 and ",2500,25.00," in line[0] and "organisation" in line[0]
    confirmed = await (await client.post(f"/v1/admin/payouts/{batch['id']}/confirm", headers=ops)).json()
    assert [p["state"] for p in confirmed["payouts"] if p["payee_id"] == hr.id] == ["paid"]
    report = await client.app[SETTLEMENTS].ledger_check()
    assert report.ok, report.problems


async def test_two_payout_runs_at_once_pay_the_fee_once(client, conn):
    _, hr, _ = await settled_agency_placement(client, conn, fee_rate_bp=1_000)
    assert await post_agency_fees(client.app[DB]) == 1
    due_by = local_date(now_local())
    service = client.app[SETTLEMENTS]
    await asyncio.gather(service.run_payouts(due_by), service.run_payouts(due_by))
    await service.run_payouts(due_by)  # and once more: nothing is left to pay
    assert await conn.fetchval("SELECT count(*) FROM payouts WHERE payee_id = $1", uuid.UUID(hr.id)) == 1
    assert await conn.fetchval(
        "SELECT count(*) FROM journal_postings p JOIN ledger_accounts a ON a.id = p.account_id "
        "WHERE a.kind = 'agency_fee_payable' AND p.amount_fen > 0") == 1
    assert await conn.fetchval("SELECT count(*) FROM payables WHERE source = 'agency_fee' AND payout_id IS NULL") == 0
    assert await _fee_balance(conn, hr) == 0
    report = await service.ledger_check()
    assert report.ok, report.problems


async def test_the_agency_sees_its_fee_lines_their_payout_and_totals_by_period(client, conn):
    first_client, hr, first = await settled_agency_placement(client, conn, fee_per_placement_fen=1_000)
    second_client, _, second = await settled_agency_placement(client, conn, hr=hr, fee_per_placement_fen=3_000)
    assert await post_agency_fees(client.app[DB]) == 2
    today = local_date(now_local())
    period = f"from={today.isoformat()}&to={today.isoformat()}"
    body = await (await client.get(f"/v1/agencies/me/fees?{period}", headers=hr.auth)).json()
    assert {(line["assignment_id"], line["fee_fen"], line["payout_state"]) for line in body["items"]} == {
        (str(first), 1_000, "outstanding"), (str(second), 3_000, "outstanding")}
    names = {row["id"]: row["name"] for row in await conn.fetch(
        "SELECT id::text, name FROM organisations WHERE id = ANY($1::uuid[])", [first_client.id, second_client.id])}
    assert {line["client_name"] for line in body["items"]} == {names[first_client.id], names[second_client.id]}
    assert body["totals"] == {"posted_fen": 4_000, "paid_fen": 0, "outstanding_fen": 4_000}
    # paginated, newest first, the totals of the whole period on every page
    one = await (await client.get(f"/v1/agencies/me/fees?{period}&limit=1", headers=hr.auth)).json()
    assert len(one["items"]) == 1 and one["next_cursor"] and one["totals"]["posted_fen"] == 4_000
    rest = await (await client.get(f"/v1/agencies/me/fees?{period}&limit=1&cursor={one['next_cursor']}",
                                   headers=hr.auth)).json()
    assert len(rest["items"]) == 1 and rest["next_cursor"] is None
    assert {one["items"][0]["id"], rest["items"][0]["id"]} == {line["id"] for line in body["items"]}
    # paid out: pending until the bank confirms, then paid with its time
    ops = await admin(client)
    batch = await (await client.post("/v1/admin/payouts", json={"due_by": today.isoformat()}, headers=ops)).json()
    pending = await (await client.get("/v1/agencies/me/fees", headers=hr.auth)).json()
    assert {line["payout_state"] for line in pending["items"]} == {"pending"}
    await client.post(f"/v1/admin/payouts/{batch['id']}/confirm", headers=ops)
    finance = await add_member(client, hr, "finance")
    paid = await (await client.get("/v1/agencies/me/fees", headers=finance.auth)).json()
    assert {line["payout_state"] for line in paid["items"]} == {"paid"}
    assert all(line["paid_at"] for line in paid["items"])
    assert paid["totals"] == {"posted_fen": 4_000, "paid_fen": 4_000, "outstanding_fen": 0}
    # another period has none; a period backwards is a 422 naming `to`; a site manager sees no fees
    later = (today + timedelta(days=1)).isoformat()
    empty = await (await client.get(f"/v1/agencies/me/fees?from={later}", headers=hr.auth)).json()
    assert empty["items"] == [] and empty["totals"] == {"posted_fen": 0, "paid_fen": 0, "outstanding_fen": 0}
    backwards = await client.get(f"/v1/agencies/me/fees?from={later}&to={today.isoformat()}", headers=hr.auth)
    assert backwards.status == 422 and "to" in await backwards.text()
    site = await (await client.post("/v1/sites", headers=hr.auth, json={
        "name": "一号仓", "address": "渝中区某仓库", "lat": 29.5531, "lon": 106.5688})).json()
    manager = await add_member(client, hr, "site_manager", site_ids=[site["id"]])
    assert (await client.get("/v1/agencies/me/fees", headers=manager.auth)).status == 403


@pytest.fixture
async def slow_payout_client(settings, aiohttp_client):
    return await aiohttp_client(create_app(settings.model_copy(update={"payout_delay_per_payee_seconds": 2.0})))


async def test_a_payout_run_stopped_midway_and_run_again_pays_each_agency_once(slow_payout_client, conn):
    client = slow_payout_client
    agencies = [(await settled_agency_placement(client, conn, fee_per_placement_fen=fee))[1] for fee in (1_000, 2_000)]
    assert await post_agency_fees(client.app[DB]) == 2
    due_by = local_date(now_local())
    service = client.app[SETTLEMENTS]
    run = asyncio.create_task(service.run_payouts(due_by))
    for _ in range(200):  # the first payee paid, the run waiting before the next one
        if await conn.fetchval("SELECT count(*) FROM payouts"):
            break
        await asyncio.sleep(0.02)
    run.cancel()  # stopped midway: no export, the batch is left building
    with pytest.raises(asyncio.CancelledError):
        await run
    assert await conn.fetchval("SELECT count(*) FROM payouts") == 1
    assert await conn.fetchval("SELECT state FROM payout_batches") == "building"
    await service.run_payouts(due_by)  # resumes the batch
    assert await conn.fetchval("SELECT count(*) FROM payout_batches") == 1
    for hr in agencies:
        assert await conn.fetchval("SELECT count(*) FROM payouts WHERE payee_id = $1", uuid.UUID(hr.id)) == 1
        assert await _fee_balance(conn, hr) == 0
    report = await service.ledger_check()
    assert report.ok, report.problems


async def test_a_standbys_pay_on_an_agency_order_is_not_a_placement_and_carries_no_fee(client, conn):
    from datetime import datetime, timezone

    from market.standby.keys import STANDBY
    from tests.allocation.support import skilled_worker

    employer, hr = await factories.employer(client), await agency(client, conn)
    granted = await mandate(client, employer, hr, scope=["post_orders"], fee_per_placement_fen=2_000, fee_rate_bp=500)
    response = await client.post("/v1/orders", json=factories.gig_order_body(shifts=[
        {"start": factories.at(2, 9), "end": factories.at(2, 13), "headcount": 1, "standby": 1,
         "standby_amount_fen": 3000}]), headers=acting(hr, granted))
    assert response.status == 201, await response.text()
    order = await response.json()
    worker = await skilled_worker(client, conn)
    signed = await client.post(f"/v1/shifts/{order['shifts'][0]['id']}/standby", headers=worker.auth)
    assert signed.status == 201, await signed.text()
    end = datetime.now(timezone.utc) - timedelta(minutes=1)
    await conn.execute("UPDATE standbys SET period = tstzrange($2, $3) WHERE order_id = $1",
                       uuid.UUID(order["id"]), end - timedelta(hours=4), end)
    assert (await client.app[STANDBY].sweep()).paid == 1
    assert await conn.fetchval("SELECT count(*) FROM settlements WHERE order_id = $1 AND standby_id IS NOT NULL",
                               uuid.UUID(order["id"])) == 1
    assert await post_agency_fees(client.app[DB]) == 0
    assert await conn.fetchval("SELECT count(*) FROM journal_entries WHERE kind = 'agency_fee' AND order_id = $1",
                               uuid.UUID(order["id"])) == 0
