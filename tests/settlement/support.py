"""Building blocks for settlement tests: funded employers, orders whose shifts are moved to a
chosen time (posting requires a future start), seats held through allocation's `hold_seat`, an
admin."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from market.allocation.service import hold_seat
from market.kernel.clock import SHANGHAI
from market.attendance.keys import ATTENDANCE
from market.accounts.keys import ACCOUNTS
from market.settlement.keys import SETTLEMENTS
from tests import factories
from tests.factories import gig_order_body, post_order

SITE = (29.5531, 106.5688)  # the site of factories.gig_order_body


async def admin(client) -> dict:
    issued = await client.app[ACCOUNTS].create_staff("admin", "运营", [])
    return {"Authorization": f"Bearer {issued.token}"}


async def fund(client, employer, amount_fen: int, admin_auth: dict | None = None) -> None:
    response = await client.post("/v1/employers/me/deposits", json={"amount_fen": amount_fen,
                                                                      "bank_reference": f"T{uuid.uuid4().hex[:8]}"},
                                 headers=employer.auth)
    assert response.status == 201, await response.text()
    deposit_id = (await response.json())["id"]
    confirmed = await client.post(f"/v1/admin/deposits/{deposit_id}/confirm", headers=admin_auth or await admin(client))
    assert confirmed.status == 200, await confirmed.text()


async def shift_at(client, conn, employer, start: datetime, end: datetime, *, relationship="labor_service",
                   rate_fen=3000, headcount=3, pay: dict | None = None, posted_end_hour=13,
                   **order_fields) -> tuple[dict, uuid.UUID]:
    """A gig order with one shift (posted 09:00 to `posted_end_hour`) moved to [start, end); paid
    `rate_fen` an hour unless `pay` says otherwise; `order_fields` are more fields of the order (a sector_code)."""
    body = gig_order_body(relationship=relationship, pay=pay or {"unit": "hour", "amount_fen": rate_fen},
                          shifts=[{"start": factories.at(2, 9), "end": factories.at(2, posted_end_hour),
                                   "headcount": headcount}], **order_fields)
    posted = await post_order(client, employer, body)
    shift_id = uuid.UUID(posted["shifts"][0]["id"])
    await conn.execute("UPDATE shifts SET starts_at = $2, ends_at = $3 WHERE id = $1", shift_id, start, end)
    return posted, shift_id


async def assign(conn, shift_id: uuid.UUID, worker, rate_fen: int = 3000, *, hold: bool = True) -> uuid.UUID:
    """A seat for `worker`: with `hold`, through allocation's `hold_seat` (the assignment and its
    escrow hold, or SeatTaken); without, a bare insert (arrears cases built on purpose)."""
    if hold:
        async with conn.transaction():
            return await hold_seat(conn, shift_id=shift_id, worker_id=uuid.UUID(worker.id), rate_fen=rate_fen)
    async with conn.transaction():
        assignment_id = await conn.fetchval(
            "INSERT INTO assignments (shift_id, order_id, worker_id, organisation_id, period, rate_fen) "
            "SELECT s.id, s.order_id, $2, o.organisation_id, s.period, $3 FROM shifts s JOIN orders o "
            "ON o.id = s.order_id WHERE s.id = $1 RETURNING id", shift_id, uuid.UUID(worker.id), rate_fen)
    return assignment_id


async def assert_one_batch_paid_each_payee_once(conn, payees: int) -> None:
    """After a payout run (however often killed and resumed): one batch, one payout and one payout
    entry per payee, every payable in exactly one payout for its sum, every payable account at zero."""
    assert await conn.fetchval("SELECT count(*) FROM payout_batches") == 1
    assert await conn.fetchval("SELECT count(*) FROM payouts") == payees
    assert await conn.fetchval("SELECT count(DISTINCT (payee_type, payee_id)) FROM payouts") == payees
    assert await conn.fetchval("SELECT count(*) FROM journal_entries WHERE kind = 'payout'") == payees
    assert await conn.fetchval("SELECT count(*) FROM payables WHERE payout_id IS NULL") == 0
    assert await conn.fetchval(
        "SELECT count(*) FROM payouts p WHERE p.amount_fen <> "
        "(SELECT sum(amount_fen) FROM payables pa WHERE pa.payout_id = p.id)") == 0
    assert await conn.fetchval("SELECT count(*) FROM ledger_accounts WHERE kind = 'worker_payable' "
                               "AND balance_fen <> 0") == 0


def local(year, month, day, hour=0, minute=0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


async def work_shift(client, worker_principal, assignment_id, start: datetime, end: datetime) -> None:
    """Check in at the start and out at the end, through the service (times are the server's)."""
    await client.app[ATTENDANCE].check_in(worker_principal, assignment_id, *SITE, now=start)
    await client.app[ATTENDANCE].check_out(worker_principal, assignment_id, *SITE, now=end)


async def approved_but_unfunded(client, conn):
    """An employer who cannot fund its worker's approved hour of part-time work: the timesheet stays
    unsettled (the arrears clock and the red flag run on it). Returns (employer, worker, assignment id)."""
    employer, worker = await factories.employer(client, escrow_fen=0), await factories.worker(client)
    await fund(client, employer, 100)  # far too little
    start = now_local() - minutes(10)
    _, shift_id = await shift_at(client, conn, employer, start, start + minutes(180),
                                 relationship="labor_part_time", rate_fen=2300)
    assignment_id = await assign(conn, shift_id, worker, 2300, hold=False)
    service = client.app[SETTLEMENTS]
    who = await principal_of(client, worker)
    await client.app[ATTENDANCE].check_in(who, assignment_id, *SITE, now=start + minutes(5))
    await client.app[ATTENDANCE].check_out(who, assignment_id, *SITE, now=start + minutes(65))
    await service.auto_approve(now=now_local() + timedelta(days=2))
    return employer, worker, assignment_id


async def principal_of(client, party):
    return await client.app[ACCOUNTS].authenticate(f"Bearer {party.token}")


def now_local() -> datetime:
    return datetime.now(SHANGHAI)


def minutes(n: int) -> timedelta:
    return timedelta(minutes=n)
