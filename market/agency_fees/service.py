"""The agency's service fee (docs/agencies.md), a settlement step of its own beside the batch
(market/settlement/batch.py is not touched): once a placement of an agency-posted order settles,
the mandate's fee (per placement plus its rate of the worker's gross) is charged to the client's
escrow and credited to the agency's own fee account (agency_fee_payable), one journal entry
under the business key agency_fee:<assignment>, so it is posted once however often or by however
many processes the step runs. It shows on the client's statement as an `agency_fee` line.
In the same transaction the fee becomes a payable of the agency (source `agency_fee`, due the Beijing
day it is posted), which the payout batch pays like a lender's fee: agency_fee_payable → bank
clearing, in the payout's own entry (market/settlement/payouts.py)."""
from __future__ import annotations

import logging
from datetime import datetime

import asyncpg

from market.agency_fees import queries
from market.constraints import Constraint, violated
from market.kernel import clock
from market.organisations.agency_rules import agency_fee_fen
from market.settlement import ledger

log = logging.getLogger(__name__)
BATCH = 500


async def post_agency_fees(pool: asyncpg.Pool, *, now: datetime | None = None) -> int:
    """Post the fees of the settled agency placements not yet charged; how many were posted. A
    client whose escrow does not cover a fee is skipped (logged) and retried next round."""
    now = clock.now(now)
    async with pool.acquire() as conn:
        due = await queries.due(conn, BATCH)
    posted = 0
    for row in due:
        fee = agency_fee_fen(row["gross_fen"], row["fee_per_placement_fen"], row["fee_rate_bp"])
        if fee <= 0:
            continue
        try:
            async with pool.acquire() as conn, conn.transaction():
                _, new = await ledger.post_entry(
                    conn, f"agency_fee:{row['assignment_id']}", "agency_fee",
                    [(ledger.escrow(row["client_id"]), fee), (ledger.agency_fee_payable(row["agency_organisation_id"]), -fee)],
                    memo=f"agency service fee (mandate {row['mandate_id']})", organisation_id=row["client_id"],
                    order_id=row["order_id"], assignment_id=row["assignment_id"], now=now)
                await queries.insert_payable(conn, row["assignment_id"], row["agency_organisation_id"],
                                             row["client_id"], fee, clock.local_date(now), now)
        except asyncpg.CheckViolationError as error:
            violated(error, Constraint.ESCROW_NEVER_NEGATIVE)
            log.warning("an agency fee waits for the client's escrow",
                        extra={"assignment_id": str(row["assignment_id"]), "organisation_id": str(row["client_id"])})
            continue
        posted += new
    return posted
