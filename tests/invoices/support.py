"""Building blocks for invoice tests: settled work of an employer this month, and the month made."""
from __future__ import annotations

from datetime import datetime

from market.attendance.keys import ATTENDANCE
from market.invoices.keys import INVOICES
from market.kernel.clock import SHANGHAI
from tests import factories
from tests.settlement.support import SITE, assign, fund, minutes, now_local, principal_of, shift_at


async def settled_hour(client, conn, employer, *, relationship="labor_service", rate_fen=3000, ago=70):
    """One approved, settled hour of a new worker for `employer`; returns the assignment id."""
    worker = await factories.worker(client)
    start = now_local() - minutes(ago)
    _, shift_id = await shift_at(client, conn, employer, start, start + minutes(180), relationship=relationship,
                                 rate_fen=rate_fen)
    assignment_id = await assign(conn, shift_id, worker, rate_fen)
    who = await principal_of(client, worker)
    await client.app[ATTENDANCE].check_in(who, assignment_id, *SITE, now=start)
    await client.app[ATTENDANCE].check_out(who, assignment_id, *SITE, now=start + minutes(60))
    await client.app[ATTENDANCE].approve(await principal_of(client, employer), assignment_id, 60, "1 h")
    return assignment_id


async def funded_employer(client):
    employer = await factories.employer(client, escrow_fen=0)
    await fund(client, employer, 10**6)
    return employer


def this_period() -> str:
    return now_local().strftime("%Y-%m")


def after_this_period() -> datetime:
    today = now_local()
    return datetime(today.year + (today.month == 12), today.month % 12 + 1, 1, 0, 1, tzinfo=SHANGHAI)


async def make_this_period(client, organisation_id=None) -> None:
    """The month's requests, as if it were over (entries are made at the real clock, now)."""
    await client.app[INVOICES].make(this_period(), organisation_id, now=after_this_period())
