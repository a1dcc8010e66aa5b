"""SQL of orders and their shifts: posting, reading, cancelling, and the progress sweep
(progress.py); and the functions that run it, taking a connection and returning the records of
records.py. Also the conditions of an order or shift "in range" that every read path shares."""
from __future__ import annotations

import uuid
from dataclasses import fields
from datetime import date, datetime

import asyncpg

from market.kernel.money import MAX_RATE_FEN, MIN_STATED_HOURS
from market.kernel.relationships import RelationshipType
from market.orders.lifecycle import HeldSeat
from market.orders.model import (
    AllocationMode,
    OrderKind,
    OrderState,
    Pay,
    PayUnit,
    Shift,
    Site,
    SkillRequirement,
)
from market.orders.records import (
    NewOrder,
    OrderProgress,
    StoredOrder,
    StoredSchedule,
    StoredShift,
)
from market.orders.rules import BOOKING_HORIZON

# The columns an order is posted with, named once by NewOrder's fields: the placeholders follow
# them ($1 for the first field, …), and insert_order binds each field at its own placeholder, so a
# column and its value cannot drift apart. updated_at starts as created_at.
NEW_ORDER_COLUMNS = tuple(f.name for f in fields(NewOrder))
INSERT_ORDER = (
    "INSERT INTO orders (" + ", ".join(NEW_ORDER_COLUMNS) + ", updated_at)\nVALUES ("
    + ", ".join("$" + str(position) for position in range(1, len(NEW_ORDER_COLUMNS) + 1))
    + ", $" + str(NEW_ORDER_COLUMNS.index("created_at") + 1) + ")\nRETURNING id"
)
INSERT_ORDER_SKILL = """
INSERT INTO order_skills (order_id, skill_code, min_level, certificate_required) VALUES ($1, $2, $3, $4)
"""
INSERT_SHIFT = """
INSERT INTO shifts (order_id, starts_at, ends_at, headcount, site, standby, standby_amount_fen)
VALUES ($1, $2, $3, $4, point($5, $6), $7, $8)
RETURNING id
"""
ORDER_COLUMNS = """
o.id, o.organisation_id, o.kind, o.state, o.title, o.description, o.district_code, o.site_lat, o.site_lon,
o.site_address, o.check_in_radius_m, o.relationship_type, o.pay_unit, o.pay_amount_fen, o.pay_stated_hours,
o.pay_cycle_days, o.hourly_equivalent_fen, o.daily, o.allocation_mode, o.bid_deadline, o.offer_expiry_minutes,
o.late_cancel_window_minutes, o.late_cancel_compensation_minutes, o.below_minimum_wage, o.period_start,
o.period_end, o.daily_start, o.daily_end, o.fee_per_worker_day_fen, o.created_at, o.cancelled_at,
o.cancel_reason, o.sector_code, o.pool_until, o.site_id, o.agency_organisation_id,
(SELECT count(*) FROM bids b WHERE b.order_id = o.id AND b.state = 'live')
  + (SELECT count(*) FROM shared_bids sb WHERE sb.order_id = o.id AND sb.state = 'live') AS live_bids,
ARRAY(SELECT ROW(r.skill_code, r.min_level, r.certificate_required) FROM order_skills r
      WHERE r.order_id = o.id ORDER BY r.skill_code) AS skill_rows,
ARRAY(SELECT ROW(s.id, s.order_id, s.starts_at, s.ends_at, s.headcount, s.filled, s.open) FROM shifts s
      WHERE s.order_id = o.id ORDER BY s.starts_at, s.id) AS shift_rows
"""
ORDER_BY_ID = "SELECT " + ORDER_COLUMNS + " FROM orders o WHERE o.id = $1"
# The lock is its own statement: the order's shifts are then read by the next one, whose snapshot
# is taken after the lock is granted (a statement reading them while it waited would see them as
# they were before the holder's changes).
LOCK_ORDER = "SELECT o.id FROM orders o WHERE o.id = $1 FOR UPDATE"
# Keyset pagination over (created_at, id) descending; NULL filters mean "any".
ORDERS_OF_ORGANISATION = (
    "SELECT " + ORDER_COLUMNS + """ FROM orders o
WHERE o.organisation_id = $1
  AND ($2::text IS NULL OR o.state = $2) AND ($3::text IS NULL OR o.kind = $3)
  AND ($4::date IS NULL OR EXISTS (SELECT 1 FROM shifts s WHERE s.order_id = o.id
                                   AND (s.starts_at AT TIME ZONE 'Asia/Shanghai')::date >= $4))
  AND ($5::date IS NULL OR EXISTS (SELECT 1 FROM shifts s WHERE s.order_id = o.id
                                   AND (s.starts_at AT TIME ZONE 'Asia/Shanghai')::date <= $5))
  AND ($6::timestamptz IS NULL OR (o.created_at, o.id) < ($6, $7::uuid))
  AND ($9::uuid[] IS NULL OR o.site_id = ANY($9::uuid[]))
  AND ($10::uuid IS NULL OR o.agency_organisation_id = $10)
ORDER BY o.created_at DESC, o.id DESC
LIMIT $8
""")
# Times are the caller's `now` ($n), the real clock when it passes none: the demo plays a week on
# a simulated clock through the services, and its rows carry the moments of its story.
SET_ORDER_STATE = "UPDATE orders SET state = $2, updated_at = coalesce($3::timestamptz, now()) WHERE id = $1"
CANCEL_ORDER = """
UPDATE orders SET state = 'cancelled', cancelled_at = $3, cancel_reason = $2, updated_at = $3 WHERE id = $1
"""
CLOSE_SHIFTS = "UPDATE shifts SET open = false WHERE order_id = $1 AND open"
# Orders moved on by the sweep (progress.py): due by their shifts' times, and the facts re-read
# under the order's lock.
_PROGRESS_DUE = """
SELECT o.id FROM orders o
WHERE o.state = ANY($1::text[])
  AND EXISTS (SELECT 1 FROM shifts s WHERE s.order_id = o.id)
  AND (SELECT {edge} FROM shifts s WHERE s.order_id = o.id) <= $2
ORDER BY o.id LIMIT $3
"""
ORDERS_TO_START = _PROGRESS_DUE.format(edge="min(s.starts_at)")
ORDERS_TO_COMPLETE = _PROGRESS_DUE.format(edge="max(s.ends_at)")
ORDERS_TO_SETTLE = """
SELECT o.id FROM orders o WHERE o.state = 'completed' AND NOT EXISTS (
    SELECT 1 FROM assignments a WHERE a.order_id = o.id AND (
        a.state = 'active'
        OR (a.state = 'completed'
            -- per seat: a standby's settlement (no assignment) matches none
            AND NOT EXISTS (SELECT 1 FROM settlements st WHERE st.assignment_id = a.id)
            AND NOT EXISTS (SELECT 1 FROM timesheets t WHERE t.assignment_id = a.id AND t.approved_minutes = 0))))
ORDER BY o.id LIMIT $1
"""
PROGRESS_FACTS = """
SELECT o.state, o.organisation_id, o.district_code, o.title,
       (SELECT min(starts_at) FROM shifts WHERE order_id = o.id) AS first_start,
       (SELECT max(starts_at) FROM shifts WHERE order_id = o.id) AS last_start,
       (SELECT max(ends_at) FROM shifts WHERE order_id = o.id) AS last_end,
       EXISTS (SELECT 1 FROM assignments a WHERE a.order_id = o.id AND a.state IN ('active', 'completed', 'no_show'))
           AS ever_held
FROM orders o WHERE o.id = $1 FOR UPDATE
"""
# What an order's end does to its bids (the bids package reads and writes them otherwise).
EXPIRE_LIVE_BIDS = "UPDATE bids SET state = 'not_chosen', ended_at = now() WHERE order_id = $1 AND state = 'live'"
EXPIRE_LIVE_SHARED_BIDS = """
UPDATE shared_bids SET state = 'not_chosen', ended_at = now() WHERE order_id = $1 AND state = 'live'
"""
# Cancelling an order ends the seats nobody has started: an assignment whose worker checked in is
# work being done, and stays active so its timesheet is approved and paid like any other.
SEATS = "SELECT a.id, a.worker_id, a.order_id, s.starts_at, s.ends_at, s.headcount FROM assignments a JOIN shifts s ON s.id = a.shift_id"
SEAT_OF_ASSIGNMENT = SEATS + " WHERE a.id = $1"
ACTIVE_SEATS_OF_ORDER = SEATS + """
WHERE a.order_id = $1 AND a.state = 'active'
  AND NOT EXISTS (SELECT 1 FROM timesheets t WHERE t.assignment_id = a.id AND t.checked_in_at IS NOT NULL)
"""
CANCEL_ASSIGNMENTS = """
UPDATE assignments a SET state = 'cancelled', ended_at = $2 WHERE a.order_id = $1 AND a.state = 'active'
  AND NOT EXISTS (SELECT 1 FROM timesheets t WHERE t.assignment_id = a.id AND t.checked_in_at IS NOT NULL)
"""
# Pending offers of a cancelled order. The lock order elsewhere is offer → order, and the canceller
# holds the order: an offer locked by a worker accepting it right now is skipped, not waited for
# (that accept then finds the order cancelled and is refused; the offer later expires).
WITHDRAW_PENDING_OFFERS = """
UPDATE offers SET state = 'withdrawn', decided_at = $2
WHERE id IN (SELECT id FROM offers WHERE order_id = $1 AND state = 'pending' FOR UPDATE SKIP LOCKED)
RETURNING id, worker_id
"""
INSERT_COMPENSATION = """
INSERT INTO compensations (order_id, assignment_id, worker_id, amount_fen, reason, minutes, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (assignment_id) DO NOTHING
"""
END_LIVE_BIDS_OF_ORDER = """
UPDATE bids SET state = 'cancelled', ended_at = $2 WHERE order_id = $1 AND state = 'live' RETURNING worker_id
"""
END_LIVE_SHARED_BIDS_OF_ORDER = """
UPDATE shared_bids SET state = 'cancelled', ended_at = $2 WHERE order_id = $1 AND state = 'live'
RETURNING lender_id
"""

# What the API could have stored, and so what shared read paths and sweeps can compute with. A row
# written around the API (a far-off or unrepresentable date, a rate near bigint's end) is skipped by
# each of them — the feed, the audience of a new shift, the allocator, the supervision figures —
# and reported to its district's supervisor as an `out_of_range` alert (docs/supervision.md), so
# one account's bad row never breaks anyone else's view. Built from the constants the API's limits
# use (integers, not input: nothing here comes from a request).
# A shift `s` starting within the booking horizon of `{now}`: Python's datetimes end at 9999-12-31,
# and the hour-limit arithmetic looks days beyond a shift.
SHIFT_WITHIN_HORIZON = "s.starts_at < {now}::timestamptz + interval '" + str(BOOKING_HORIZON.days) + " days'"
# An order `o` whose rates are at most money.MAX_RATE_FEN; its hourly equivalent (a day's or a
# piece's pay over its stated hours, at least MIN_STATED_HOURS) at most that over MIN_STATED_HOURS.
MAX_HOURLY_EQUIVALENT_FEN = int(MAX_RATE_FEN / MIN_STATED_HOURS)
ORDER_RATES_IN_RANGE = (
    "(o.pay_amount_fen <= " + str(MAX_RATE_FEN) + " AND o.hourly_equivalent_fen <= " + str(MAX_HOURLY_EQUIVALENT_FEN)
    + " AND coalesce(o.fee_per_worker_day_fen, 0) <= " + str(MAX_RATE_FEN) + ")")
# A shift `s` within the horizon, and not before the first minimum wage the market knows (none can
# be checked or settled earlier; Python's datetimes also start at year 1): for paths that read past
# shifts too (the supervision lists).
SHIFT_IN_RANGE = ("(" + SHIFT_WITHIN_HORIZON.format(now="now()") + " AND s.starts_at >= "
                  "(SELECT min(mw.effective_from) FROM minimum_wages mw)::timestamp AT TIME ZONE 'Asia/Shanghai')")
# Both, for an order `o` and all its shifts, as of now.
ORDER_IN_RANGE = ("(" + ORDER_RATES_IN_RANGE + " AND NOT EXISTS (SELECT 1 FROM shifts s WHERE s.order_id = o.id"
                  " AND NOT " + SHIFT_IN_RANGE + "))")


def _order(row: asyncpg.Record, skills: tuple[SkillRequirement, ...], shifts: tuple[StoredShift, ...]) -> StoredOrder:
    schedule = None
    if row["period_start"] is not None:
        schedule = StoredSchedule(row["period_start"], row["period_end"], row["daily_start"], row["daily_end"])
    return StoredOrder(
        id=row["id"], organisation_id=row["organisation_id"], kind=OrderKind(row["kind"]),
        state=OrderState(row["state"]), title=row["title"], description=row["description"],
        district_code=row["district_code"],
        site=Site(row["site_lat"], row["site_lon"], row["site_address"], row["check_in_radius_m"]),
        relationship=RelationshipType(row["relationship_type"]),
        pay=Pay(PayUnit(row["pay_unit"]), row["pay_amount_fen"], row["pay_stated_hours"], row["pay_cycle_days"]),
        hourly_equivalent_fen=row["hourly_equivalent_fen"], daily=row["daily"],
        allocation_mode=AllocationMode(row["allocation_mode"]), bid_deadline=row["bid_deadline"],
        offer_expiry_minutes=row["offer_expiry_minutes"],
        late_cancel_window_minutes=row["late_cancel_window_minutes"],
        late_cancel_compensation_minutes=row["late_cancel_compensation_minutes"],
        below_minimum_wage=row["below_minimum_wage"], schedule=schedule,
        fee_per_worker_day_fen=row["fee_per_worker_day_fen"], created_at=row["created_at"],
        cancelled_at=row["cancelled_at"], cancel_reason=row["cancel_reason"], skills=skills, shifts=shifts,
        live_bids=row["live_bids"], sector_code=row["sector_code"], pool_until=row["pool_until"],
        site_id=row["site_id"], agency_organisation_id=row["agency_organisation_id"],
    )


def order_of_row(row: asyncpg.Record) -> StoredOrder:
    """An order from a row of ORDER_COLUMNS, with the skills and shifts it carries as arrays."""
    return _order(row, tuple(SkillRequirement(*r) for r in row["skill_rows"]),
                  tuple(StoredShift(*r) for r in row["shift_rows"]))


async def insert_order(conn: asyncpg.Connection, order: NewOrder) -> uuid.UUID:
    return await conn.fetchval(INSERT_ORDER, *(getattr(order, column) for column in NEW_ORDER_COLUMNS))


async def insert_order_skills(conn: asyncpg.Connection, order_id: uuid.UUID,
                              skills: tuple[SkillRequirement, ...]) -> None:
    await conn.executemany(INSERT_ORDER_SKILL, [
        (order_id, s.skill_code, s.min_level, s.certificate_required) for s in skills])


async def insert_shift(conn: asyncpg.Connection, order_id: uuid.UUID, start: datetime, end: datetime,
                       headcount: int, site: Site, standby: int = 0,
                       standby_amount_fen: int | None = None) -> uuid.UUID:
    return await conn.fetchval(INSERT_SHIFT, order_id, start, end, headcount, site.lon, site.lat, standby,
                               standby_amount_fen if standby else None)


async def order_by_id(conn: asyncpg.Connection, order_id: uuid.UUID, *, for_update: bool = False) -> StoredOrder | None:
    if for_update and await conn.fetchval(LOCK_ORDER, order_id) is None:
        return None
    row = await conn.fetchrow(ORDER_BY_ID, order_id)
    return order_of_row(row) if row else None


async def orders_of_organisation(conn: asyncpg.Connection, organisation_id: uuid.UUID, *, state: str | None,
                                 kind: str | None, from_date: date | None, to_date: date | None,
                                 after: tuple[datetime, uuid.UUID] | None, limit: int,
                                 site_ids: list[uuid.UUID] | None = None,
                                 agency_id: uuid.UUID | None = None) -> list[StoredOrder]:
    """`site_ids`: only the orders naming one of these sites (a site manager's); `agency_id`: only
    those this agency posted (an agency acting under a mandate); None: all."""
    after_at, after_id = after if after else (None, None)
    rows = await conn.fetch(ORDERS_OF_ORGANISATION, organisation_id, state, kind, from_date, to_date,
                            after_at, after_id, limit, site_ids, agency_id)
    return [order_of_row(row) for row in rows]


async def set_order_state(conn: asyncpg.Connection, order_id: uuid.UUID, state: OrderState, *,
                          now: datetime | None = None) -> None:
    await conn.execute(SET_ORDER_STATE, order_id, state.value, now)


async def cancel_order(conn: asyncpg.Connection, order_id: uuid.UUID, reason: str, now: datetime) -> None:
    await conn.execute(CANCEL_ORDER, order_id, reason, now)
    await conn.execute(CLOSE_SHIFTS, order_id)


async def active_seats_of_order(conn: asyncpg.Connection, order_id: uuid.UUID) -> list[HeldSeat]:
    """The seats a cancellation ends (ACTIVE_SEATS_OF_ORDER), as the late-cancel rule reads them."""
    return [_seat(r) for r in await conn.fetch(ACTIVE_SEATS_OF_ORDER, order_id)]


async def seat_of_assignment(conn: asyncpg.Connection, assignment_id: uuid.UUID) -> tuple[uuid.UUID, HeldSeat] | None:
    """The order and the seat of one assignment, whatever its state."""
    row = await conn.fetchrow(SEAT_OF_ASSIGNMENT, assignment_id)
    return (row["order_id"], _seat(row)) if row else None


def _seat(row: asyncpg.Record) -> HeldSeat:
    return HeldSeat(row["id"], row["worker_id"], Shift(row["starts_at"], row["ends_at"], row["headcount"]))


async def cancel_assignments(conn: asyncpg.Connection, order_id: uuid.UUID, now: datetime) -> None:
    await conn.execute(CANCEL_ASSIGNMENTS, order_id, now)


async def withdraw_pending_offers(conn: asyncpg.Connection, order_id: uuid.UUID, now: datetime) -> list[uuid.UUID]:
    """Withdraw the order's pending offers; the workers they were made to."""
    return [r["worker_id"] for r in await conn.fetch(WITHDRAW_PENDING_OFFERS, order_id, now)]


async def insert_compensation(conn: asyncpg.Connection, order_id: uuid.UUID, assignment_id: uuid.UUID,
                              worker_id: uuid.UUID, amount_fen: int, reason: str, minutes: int,
                              now: datetime) -> bool:
    """Record a compensation; False when the assignment already has one (there is one per seat)."""
    return await conn.execute(INSERT_COMPENSATION, order_id, assignment_id, worker_id, amount_fen, reason, minutes,
                              now) == "INSERT 0 1"


async def end_live_bids_of_order(conn: asyncpg.Connection, order_id: uuid.UUID,
                                 now: datetime) -> tuple[list[uuid.UUID], list[uuid.UUID]]:
    """Cancel the order's live bids; the workers and the lenders whose bids they were."""
    workers = [r["worker_id"] for r in await conn.fetch(END_LIVE_BIDS_OF_ORDER, order_id, now)]
    lenders = [r["lender_id"] for r in await conn.fetch(END_LIVE_SHARED_BIDS_OF_ORDER, order_id, now)]
    return workers, lenders


# ---- the progress sweep (progress.py) ------------------------------------------------------------


async def orders_to_start(conn: asyncpg.Connection, now: datetime, limit: int) -> list[uuid.UUID]:
    """Open or filled orders whose first shift has begun (to start, or to expire)."""
    return [r["id"] for r in await conn.fetch(ORDERS_TO_START, ["open", "filled"], now, limit)]


async def orders_to_complete(conn: asyncpg.Connection, now: datetime, limit: int) -> list[uuid.UUID]:
    """Orders in progress whose last shift has ended."""
    return [r["id"] for r in await conn.fetch(ORDERS_TO_COMPLETE, ["in_progress"], now, limit)]


async def orders_to_settle(conn: asyncpg.Connection, limit: int) -> list[uuid.UUID]:
    """Completed orders with every seat settled (ORDERS_TO_SETTLE)."""
    return [r["id"] for r in await conn.fetch(ORDERS_TO_SETTLE, limit)]


async def progress_of_order(conn: asyncpg.Connection, order_id: uuid.UUID) -> OrderProgress | None:
    """What the sweep decides an order's next step on, read under the order's lock (PROGRESS_FACTS)."""
    row = await conn.fetchrow(PROGRESS_FACTS, order_id)
    return OrderProgress(**dict(row)) if row else None


async def expire_order_offers_and_bids(conn: asyncpg.Connection, order_id: uuid.UUID, now: datetime) -> None:
    """An expired order's shifts close, its live bids end not chosen, its pending offers are withdrawn."""
    await conn.execute(CLOSE_SHIFTS, order_id)
    await conn.execute(EXPIRE_LIVE_BIDS, order_id)
    await conn.execute(EXPIRE_LIVE_SHARED_BIDS, order_id)
    await withdraw_pending_offers(conn, order_id, now)
