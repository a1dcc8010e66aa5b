"""Escrow: two-phase holds on an employer's pre-funded balance (工资保证金), inside the caller's
transaction.

`place_hold` moves what an assignment will cost (expected gross + employer-side costs) from the
employer's available escrow to held; settlement posts it (the settlement's own entry moves it back
to available and debits what the settlement costs: `hold_posting`); cancellation or a no-show
releases it (`release_hold`, an entry of its own). Each hold is resolved at most
once (a conditional UPDATE on escrow_holds) and each move is a journal entry under a business key.
Escrow cannot go negative: the check here gives a clear 409, and the database CHECK backs it.

Allocation calls `place_hold` for every assignment it makes (`allocation.service.hold_seat`), so a
seat escrow does not cover is never taken. Offers are not holds (a worker may decline), but a run
does not offer more than escrow covers either: `uncommitted_fen` is what is left once every pending
offer's expected cost is set aside, and the run offers seats only within it (pre-funding, SPEC §4).
"""
from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg

from market.errors import NotFound
from market.kernel import clock
from market.kernel.clock import local_date
from market.kernel.relationships import RelationshipType
from market.settlement import ledger, queries
from market.settlement.model import InsufficientEscrow, days_covered, hold_amount_fen, hourly_rate
from market.settlement.rates import RateBook, load_rate_book

_rate_book: RateBook | None = None


def rate_book() -> RateBook:
    """The rate book, read once per process (rates.json ships with the package)."""
    global _rate_book
    if _rate_book is None:
        _rate_book = load_rate_book()
    return _rate_book


async def escrow_available(conn: asyncpg.Connection, organisation_id: uuid.UUID) -> int:
    """Escrow the employer can still commit, in fen (deposits − holds − charges)."""
    return -await ledger.balance(conn, ledger.escrow(organisation_id))


async def escrow_held(conn: asyncpg.Connection, organisation_id: uuid.UUID) -> int:
    return -await ledger.balance(conn, ledger.escrow_held(organisation_id))


async def expected_cost_fen(conn: asyncpg.Connection, assignment_id: uuid.UUID) -> int:
    row = await conn.fetchrow(queries.ASSIGNMENT_FOR_MONEY, assignment_id)
    if row is None:
        raise NotFound("no such assignment")
    return await _expected_cost(conn, row)


async def _expected_cost(conn: asyncpg.Connection, row: asyncpg.Record) -> int:
    relationship = RelationshipType(row["relationship_type"])
    lender_fee = 0
    if relationship is RelationshipType.shared_labor:
        terms = await conn.fetchrow(queries.SHARED_TERMS, row["order_id"], row["worker_id"])
        fee_per_day = (terms["fee_per_worker_day_fen"] if terms else None) or row["fee_per_worker_day_fen"]
        lender_fee = fee_per_day * days_covered(row["starts_at"], row["ends_at"])
    return seat_cost(relationship, rate_fen=row["rate_fen"], pay_unit=row["pay_unit"],
                     stated_hours=row["pay_stated_hours"], starts_at=row["starts_at"], ends_at=row["ends_at"],
                     lender_fee_fen=lender_fee, sector_code=row["sector_code"])


def seat_cost(relationship: RelationshipType, *, rate_fen: int, pay_unit: str, stated_hours, starts_at: datetime,
              ends_at: datetime, lender_fee_fen: int = 0, sector_code: str | None = None) -> int:
    """What a seat holds, from the facts a caller may already have in hand (a run has the order and
    the shift): expected gross (or lender fee) plus employer-side costs (`hold_amount_fen`)."""
    minutes = int((ends_at - starts_at).total_seconds() // 60)
    return hold_amount_fen(relationship, hourly_rate=hourly_rate(rate_fen, pay_unit, stated_hours), minutes=minutes,
                           shift_date=local_date(starts_at), rate_book=rate_book(), lender_fee_fen=lender_fee_fen,
                           sector_code=sector_code)


async def uncommitted_fen(conn: asyncpg.Connection, organisation_id: uuid.UUID, now: datetime) -> int:
    """Available escrow less the expected cost of the organisation's pending, unexpired offers:
    what a run may still offer or assign."""
    pending = await conn.fetch(queries.PENDING_OFFERS_FOR_MONEY, organisation_id, now)
    return await escrow_available(conn, organisation_id) - sum([await _expected_cost(conn, r) for r in pending])


async def place_hold(conn: asyncpg.Connection, assignment_id: uuid.UUID, *, now: datetime | None = None) -> None:
    """Hold the assignment's expected cost in the employer's escrow. Raises InsufficientEscrow
    (409, with the amounts) when available escrow does not cover it; a hold already placed for
    this assignment is left as it is (retry-safe)."""
    row = await conn.fetchrow(queries.ASSIGNMENT_FOR_MONEY, assignment_id)
    if row is None:
        raise NotFound("no such assignment")
    organisation_id = row["organisation_id"]
    amount = await _expected_cost(conn, row)
    available = -await ledger.lock_balance(conn, ledger.escrow(organisation_id))
    if await conn.fetchval(queries.HOLD_EXISTS, assignment_id):
        return  # already held (or already resolved): nothing to do
    if amount > available:
        # Raised before anything is written, so a caller may catch it and go on in its transaction.
        raise InsufficientEscrow(amount, available)
    now = clock.now(now)
    await conn.execute(queries.INSERT_HOLD, assignment_id, organisation_id, amount, now)
    await ledger.post_entry(
        conn, f"hold:{assignment_id}", "hold",
        [(ledger.escrow(organisation_id), amount), (ledger.escrow_held(organisation_id), -amount)],
        memo="escrow hold for an assignment", organisation_id=organisation_id, order_id=row["order_id"],
        assignment_id=assignment_id, now=now)


async def release_hold(conn: asyncpg.Connection, assignment_id: uuid.UUID, reason: str, *,
                       now: datetime | None = None) -> int:
    """Give the held amount back to available escrow (cancellation, no-show). Returns the amount
    released; 0 when there was no hold or it was already resolved."""
    resolved = await conn.fetchrow(queries.RESOLVE_HOLD, assignment_id, "released", reason, now)
    if resolved is None or resolved["amount_fen"] == 0:
        return 0
    organisation_id, amount = resolved["organisation_id"], resolved["amount_fen"]
    await ledger.post_entries(conn, [ledger.Entry(
        f"hold_release:{assignment_id}", "hold_release", hold_posting(organisation_id, amount), memo=reason,
        organisation_id=organisation_id, assignment_id=assignment_id)], now=now)
    return amount


async def mark_holds_posted(conn: asyncpg.Connection, assignment_ids: list[uuid.UUID], *,
                            now: datetime | None = None) -> int:
    """On settlement: the holds (locked by the caller) are resolved as posted, in one statement.
    The money moves in each settlement's own entry (`hold_posting`): held → available escrow,
    from which the settlement is debited. Returns how many were resolved."""
    if not assignment_ids:
        return 0
    return len(await conn.fetch(queries.RESOLVE_HOLDS, assignment_ids, "posted", "timesheet approved", now))


def hold_posting(organisation_id: uuid.UUID, amount: int) -> tuple[tuple[ledger.LedgerAccount, int], ...]:
    """The postings returning a held amount to available escrow (for a settlement's entry)."""
    if not amount:
        return ()
    return ((ledger.escrow_held(organisation_id), amount), (ledger.escrow(organisation_id), -amount))


async def lock_available(conn: asyncpg.Connection, organisation_ids: set[uuid.UUID]) -> dict[uuid.UUID, int]:
    """Available escrow of each organisation, the escrow rows locked in account order until the
    transaction ends (what serialises every settlement and hold of an employer)."""
    ordered = sorted(organisation_ids)
    await ledger.account_ids(conn, [ledger.escrow(o) for o in ordered])
    rows = await conn.fetch(queries.LOCK_ESCROWS, ordered)
    return {r["holder_id"]: -r["balance_fen"] for r in rows}
