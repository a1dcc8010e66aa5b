"""SQL of the orders package: orders, shifts, bids, shared bids, consents, agreements."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from market.events.queries import NOTIFY_CHANNEL
from market.kernel.money import MAX_RATE_FEN, MIN_STATED_HOURS
from market.kernel.relationships import RelationshipType
from market.orders.model import (
    AllocationMode,
    OrderKind,
    OrderState,
    Pay,
    PayUnit,
    Site,
    SkillRequirement,
    WorkerSkill,
)
from market.orders.records import (
    ActiveEmployment,
    Agreement,
    BidFacts,
    HeldSpan,
    PreparedEvent,
    StoredBid,
    StoredConsent,
    StoredOrder,
    StoredSchedule,
    StoredSharedBid,
    StoredShift,
)
from market.orders.rules import BOOKING_HORIZON

INSERT_ORDER = """
INSERT INTO orders (organisation_id, kind, title, description, district_code, site_lat, site_lon, site_address,
    check_in_radius_m, relationship_type, pay_unit, pay_amount_fen, pay_stated_hours, pay_cycle_days,
    hourly_equivalent_fen, daily, allocation_mode, bid_deadline, offer_expiry_minutes,
    late_cancel_window_minutes, late_cancel_compensation_minutes, below_minimum_wage,
    period_start, period_end, daily_start, daily_end, fee_per_worker_day_fen, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22,
    $23, $24, $25, $26, $27, $28, $28)
RETURNING id
"""
INSERT_ORDER_SKILL = """
INSERT INTO order_skills (order_id, skill_code, min_level, certificate_required) VALUES ($1, $2, $3, $4)
"""
INSERT_SHIFT = """
INSERT INTO shifts (order_id, starts_at, ends_at, headcount, site) VALUES ($1, $2, $3, $4, point($5, $6))
RETURNING id
"""
ORDER_COLUMNS = """
o.id, o.organisation_id, o.kind, o.state, o.title, o.description, o.district_code, o.site_lat, o.site_lon,
o.site_address, o.check_in_radius_m, o.relationship_type, o.pay_unit, o.pay_amount_fen, o.pay_stated_hours,
o.pay_cycle_days, o.hourly_equivalent_fen, o.daily, o.allocation_mode, o.bid_deadline, o.offer_expiry_minutes,
o.late_cancel_window_minutes, o.late_cancel_compensation_minutes, o.below_minimum_wage, o.period_start,
o.period_end, o.daily_start, o.daily_end, o.fee_per_worker_day_fen, o.created_at, o.cancelled_at,
o.cancel_reason,
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
EXPIRE_LIVE_BIDS = "UPDATE bids SET state = 'not_chosen', ended_at = now() WHERE order_id = $1 AND state = 'live'"
EXPIRE_LIVE_SHARED_BIDS = """
UPDATE shared_bids SET state = 'not_chosen', ended_at = now() WHERE order_id = $1 AND state = 'live'
"""
# Cancelling an order ends the seats nobody has started: an assignment whose worker checked in is
# work being done, and stays active so its timesheet is approved and paid like any other.
ACTIVE_SEATS_OF_ORDER = """
SELECT a.id, a.worker_id, s.starts_at, s.ends_at, s.headcount FROM assignments a JOIN shifts s ON s.id = a.shift_id
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
INSERT_ALERT = """
INSERT INTO alerts (kind, district_code, organisation_id, order_id, business_key, details, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (business_key) DO NOTHING
"""
INSERT_COMPENSATION = """
INSERT INTO compensations (order_id, assignment_id, worker_id, amount_fen, reason, minutes, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7)
"""
END_LIVE_BIDS_OF_ORDER = """
UPDATE bids SET state = 'cancelled', ended_at = $2 WHERE order_id = $1 AND state = 'live' RETURNING worker_id
"""
END_LIVE_SHARED_BIDS_OF_ORDER = """
UPDATE shared_bids SET state = 'cancelled', ended_at = $2 WHERE order_id = $1 AND state = 'live'
RETURNING lender_id
"""

# Bids
SHIFT_OF_ORDER = "SELECT id, order_id, starts_at, ends_at, headcount, filled, open FROM shifts WHERE id = $1 AND order_id = $2"
BID_COLUMNS = """
b.id, b.order_id, b.shift_id, b.worker_id, w.name AS worker_name, w.reliability AS worker_reliability, b.rate_fen,
b.note, b.state, b.created_at, b.ended_at
"""
BID_BY_ID = "SELECT " + BID_COLUMNS + " FROM bids b JOIN workers w ON w.id = b.worker_id WHERE b.id = $1"
WITHDRAW_BID = """
UPDATE bids SET state = 'withdrawn', ended_at = now() WHERE id = $1 AND worker_id = $2 AND state = 'live'
RETURNING id
"""
BIDS_OF_ORDER = ("SELECT " + BID_COLUMNS + """ FROM bids b JOIN workers w ON w.id = b.worker_id
WHERE b.order_id = $1 AND ($2::text IS NULL OR b.state = $2)
  AND ($3::timestamptz IS NULL OR (b.created_at, b.id) < ($3, $4::uuid))
ORDER BY b.created_at DESC, b.id DESC LIMIT $5
""")
BIDS_OF_WORKER = ("SELECT " + BID_COLUMNS + """ FROM bids b JOIN workers w ON w.id = b.worker_id
WHERE b.worker_id = $1 AND ($2::text IS NULL OR b.state = $2)
  AND ($3::timestamptz IS NULL OR (b.created_at, b.id) < ($3, $4::uuid))
ORDER BY b.created_at DESC, b.id DESC LIMIT $5
""")

# Everything a gig bid is judged on, in one statement: the order (as ORDER_BY_ID), and of the
# worker ($2) their skills, the relationship types they accept, and the seats they hold from $4
# seconds before the earliest to $4 seconds after the latest of the shifts bid on ($3) that belong
# to the order (none of them: no seats, as there is nothing to check them against).
BID_FACTS = "SELECT " + ORDER_COLUMNS + """,
ARRAY(SELECT ROW(ws.skill_code, ws.level, ws.has_certificate) FROM worker_skills ws WHERE ws.worker_id = $2)
    AS worker_skill_rows,
(SELECT w.relationship_types FROM workers w WHERE w.id = $2) AS worker_relationship_types,
ARRAY(SELECT ROW(lower(a.period), upper(a.period), a.organisation_id) FROM assignments a
      WHERE a.worker_id = $2 AND a.state IN ('active', 'completed') AND span.from_at IS NOT NULL
        AND a.period && tstzrange(span.from_at, span.to_at)) AS held_rows
FROM orders o
CROSS JOIN LATERAL (
    SELECT min(s.starts_at) - make_interval(secs => $4) AS from_at, max(s.ends_at) + make_interval(secs => $4) AS to_at
    FROM shifts s WHERE s.order_id = o.id AND s.id = ANY($3::uuid[])
) span
WHERE o.id = $1
"""
# A worker's bids on shifts of one order, in one statement (so no BEGIN/COMMIT round trips): their
# live bid on each shift is replaced, the new ones ($6, ids made by the caller) inserted in the
# order given, the outbox row written with its NOTIFY (what market.events.outbox.emit writes:
# events.queries.INSERT_EVENT), and the new bids returned as BID_BY_ID reads them. The replacing
# UPDATE runs to completion before the INSERT (the INSERT reads its count), so the partial unique
# index sees the replaced bids as ended; a concurrent bid that committed first on a shift still
# raises the unique violation the caller retries on.
PLACE_BIDS = """
WITH replaced AS (
    UPDATE bids SET state = 'replaced', ended_at = $12
    WHERE shift_id = ANY($2::uuid[]) AND worker_id = $3 AND state = 'live'
    RETURNING id
), placed AS (
    INSERT INTO bids (id, order_id, shift_id, worker_id, rate_fen, note, created_at)
    SELECT n.id, $1, n.shift_id, $3, $4, $5, $12
    FROM unnest($6::uuid[], $2::uuid[]) WITH ORDINALITY AS n (id, shift_id, position)
    WHERE (SELECT count(*) FROM replaced) >= 0
    ORDER BY n.position
    RETURNING id, order_id, shift_id, worker_id, rate_fen, note, state, created_at, ended_at
), event AS (
    INSERT INTO events (kind, payload, district_code, worker_ids, organisation_ids)
    VALUES ($7, $8::text::jsonb, NULL, $9::uuid[], $10::uuid[])
    RETURNING id
), notified AS (
    SELECT pg_notify($11, '') FROM event
)
SELECT b.id, b.order_id, b.shift_id, b.worker_id, w.name AS worker_name, w.reliability AS worker_reliability,
       b.rate_fen, b.note, b.state, b.created_at, b.ended_at
FROM placed b JOIN workers w ON w.id = b.worker_id CROSS JOIN (SELECT count(*) FROM notified) AS done
ORDER BY array_position($6::uuid[], b.id)
"""

# Shared bids, consents, agreements
ACTIVE_EMPLOYMENTS = """
SELECT e.id, e.organisation_id, e.worker_id, w.name AS worker_name, e.agreed_hourly_wage_fen, e.state
FROM employments e LEFT JOIN workers w ON w.id = e.worker_id WHERE e.id = ANY($1::uuid[])
"""
INSERT_SHARED_BID = """
INSERT INTO shared_bids (order_id, lender_id, borrower_id, fee_per_worker_day_fen, note, created_at)
VALUES ($1, $2, $3, $4, $5, $6) RETURNING id
"""
WITHDRAW_LIVE_SHARED_BID = """
UPDATE shared_bids SET state = 'withdrawn', ended_at = $3 WHERE order_id = $1 AND lender_id = $2 AND state = 'live'
RETURNING id
"""
WITHDRAW_CONSENTS_OF_BIDS = """
UPDATE consents SET state = 'withdrawn', decided_at = coalesce($2::timestamptz, now())
WHERE shared_bid_id = ANY($1::uuid[]) AND state = 'pending'
"""
INSERT_CONSENT = """
INSERT INTO consents (shared_bid_id, employment_id, worker_id, wage_hourly_fen, created_at) VALUES ($1, $2, $3, $4, $5)
"""
SHARED_BID_COLUMNS = """
sb.id, sb.order_id, sb.lender_id, lo.name AS lender_name, sb.borrower_id, sb.fee_per_worker_day_fen, sb.note,
sb.state, sb.created_at, sb.ended_at
"""
SHARED_BID_BY_ID = ("SELECT " + SHARED_BID_COLUMNS +
                    " FROM shared_bids sb JOIN organisations lo ON lo.id = sb.lender_id WHERE sb.id = $1")
SHARED_BIDS_OF_ORDER = ("SELECT " + SHARED_BID_COLUMNS + """ FROM shared_bids sb
JOIN organisations lo ON lo.id = sb.lender_id
WHERE sb.order_id = $1 AND ($2::text IS NULL OR sb.state = $2)
ORDER BY sb.created_at DESC, sb.id DESC
""")
WITHDRAW_SHARED_BID = """
UPDATE shared_bids SET state = 'withdrawn', ended_at = now() WHERE id = $1 AND lender_id = $2 AND state = 'live'
RETURNING id
"""
CONSENT_COLUMNS = """
c.id, c.shared_bid_id, c.employment_id, c.worker_id, w.name AS worker_name, c.wage_hourly_fen, c.state,
c.decided_at, sb.order_id, lo.name AS lender_name
"""
CONSENTS_OF_BIDS = ("SELECT " + CONSENT_COLUMNS + """ FROM consents c
JOIN workers w ON w.id = c.worker_id JOIN shared_bids sb ON sb.id = c.shared_bid_id
JOIN organisations lo ON lo.id = sb.lender_id
WHERE c.shared_bid_id = ANY($1::uuid[]) ORDER BY c.created_at, c.id
""")
CONSENTS_OF_WORKER = ("SELECT " + CONSENT_COLUMNS + """ FROM consents c
JOIN workers w ON w.id = c.worker_id JOIN shared_bids sb ON sb.id = c.shared_bid_id
JOIN organisations lo ON lo.id = sb.lender_id
WHERE c.worker_id = $1 ORDER BY c.created_at DESC, c.id DESC
""")
CONSENT_FOR_UPDATE = """
SELECT c.id, c.shared_bid_id, c.employment_id, c.worker_id, c.wage_hourly_fen, c.state FROM consents c
WHERE c.id = $1 FOR UPDATE
"""
DECIDE_CONSENT = "UPDATE consents SET state = $2, decided_at = $3 WHERE id = $1"
INSERT_AGREEMENT = """
INSERT INTO agreements (consent_id, order_id, borrower_id, lender_id, worker_id, terms, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id, created_at
"""
AGREEMENT_COLUMNS = "id, consent_id, order_id, borrower_id, lender_id, worker_id, terms, created_at"
AGREEMENT_BY_ID = "SELECT " + AGREEMENT_COLUMNS + " FROM agreements WHERE id = $1"
AGREEMENTS_OF_PARTY = ("SELECT " + AGREEMENT_COLUMNS + """ FROM agreements
WHERE borrower_id = $1 OR lender_id = $1 OR worker_id = $1 ORDER BY created_at DESC, id DESC
""")
ORGANISATION_NAMES = "SELECT id, name FROM organisations WHERE id = ANY($1::uuid[])"
WORKER_NAME = "SELECT name FROM workers WHERE id = $1"


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
        live_bids=row["live_bids"],
    )


def _complete(row: asyncpg.Record) -> StoredOrder:
    """An order from a row of ORDER_COLUMNS, with the skills and shifts it carries as arrays."""
    return _order(row, tuple(SkillRequirement(*r) for r in row["skill_rows"]),
                  tuple(StoredShift(*r) for r in row["shift_rows"]))


def _shift(row: asyncpg.Record) -> StoredShift:
    return StoredShift(row["id"], row["order_id"], row["starts_at"], row["ends_at"], row["headcount"],
                       row["filled"], row["open"])


async def insert_order(conn: asyncpg.Connection, values: dict[str, Any]) -> uuid.UUID:
    return await conn.fetchval(INSERT_ORDER, *values.values())


async def insert_order_skills(conn: asyncpg.Connection, order_id: uuid.UUID,
                              skills: tuple[SkillRequirement, ...]) -> None:
    await conn.executemany(INSERT_ORDER_SKILL, [
        (order_id, s.skill_code, s.min_level, s.certificate_required) for s in skills])


async def insert_shift(conn: asyncpg.Connection, order_id: uuid.UUID, start: datetime, end: datetime,
                       headcount: int, site: Site) -> uuid.UUID:
    return await conn.fetchval(INSERT_SHIFT, order_id, start, end, headcount, site.lon, site.lat)


async def order_by_id(conn: asyncpg.Connection, order_id: uuid.UUID, *, for_update: bool = False) -> StoredOrder | None:
    if for_update and await conn.fetchval(LOCK_ORDER, order_id) is None:
        return None
    row = await conn.fetchrow(ORDER_BY_ID, order_id)
    return _complete(row) if row else None


async def orders_of_organisation(conn: asyncpg.Connection, organisation_id: uuid.UUID, *, state: str | None,
                                 kind: str | None, from_date, to_date, after: tuple | None,
                                 limit: int) -> list[StoredOrder]:
    after_at, after_id = after if after else (None, None)
    rows = await conn.fetch(ORDERS_OF_ORGANISATION, organisation_id, state, kind, from_date, to_date,
                            after_at, after_id, limit)
    return [_complete(row) for row in rows]


async def set_order_state(conn: asyncpg.Connection, order_id: uuid.UUID, state: OrderState, *,
                          now: datetime | None = None) -> None:
    await conn.execute(SET_ORDER_STATE, order_id, state.value, now)


async def cancel_order(conn: asyncpg.Connection, order_id: uuid.UUID, reason: str, now: datetime) -> None:
    await conn.execute(CANCEL_ORDER, order_id, reason, now)
    await conn.execute(CLOSE_SHIFTS, order_id)


async def active_seats_of_order(conn: asyncpg.Connection, order_id: uuid.UUID) -> list[asyncpg.Record]:
    return await conn.fetch(ACTIVE_SEATS_OF_ORDER, order_id)


async def cancel_assignments(conn: asyncpg.Connection, order_id: uuid.UUID, now: datetime) -> None:
    await conn.execute(CANCEL_ASSIGNMENTS, order_id, now)


async def withdraw_pending_offers(conn: asyncpg.Connection, order_id: uuid.UUID, now: datetime) -> list[asyncpg.Record]:
    return await conn.fetch(WITHDRAW_PENDING_OFFERS, order_id, now)


async def insert_alert(conn: asyncpg.Connection, kind: str, district_code: str, organisation_id: uuid.UUID,
                       order_id: uuid.UUID, business_key: str, details: dict, now: datetime) -> None:
    """A supervisor alert (docs/supervision.md), once per business key."""
    await conn.execute(INSERT_ALERT, kind, district_code, organisation_id, order_id, business_key, details, now)


async def insert_compensation(conn: asyncpg.Connection, order_id: uuid.UUID, assignment_id, worker_id,
                              amount_fen: int, reason: str, minutes: int, now: datetime) -> None:
    await conn.execute(INSERT_COMPENSATION, order_id, assignment_id, worker_id, amount_fen, reason, minutes, now)


async def end_live_bids_of_order(conn: asyncpg.Connection, order_id: uuid.UUID, now: datetime) -> tuple[list, list]:
    workers = [r["worker_id"] for r in await conn.fetch(END_LIVE_BIDS_OF_ORDER, order_id, now)]
    lenders = [r["lender_id"] for r in await conn.fetch(END_LIVE_SHARED_BIDS_OF_ORDER, order_id, now)]
    return workers, lenders


async def shift_of_order(conn: asyncpg.Connection, shift_id: uuid.UUID, order_id: uuid.UUID) -> StoredShift | None:
    row = await conn.fetchrow(SHIFT_OF_ORDER, shift_id, order_id)
    return _shift(row) if row else None


def _bid(row: asyncpg.Record) -> StoredBid:
    return StoredBid(**dict(row))


async def bid_by_id(conn: asyncpg.Connection, bid_id: uuid.UUID) -> StoredBid | None:
    row = await conn.fetchrow(BID_BY_ID, bid_id)
    return _bid(row) if row else None


async def withdraw_bid(conn: asyncpg.Connection, bid_id: uuid.UUID, worker_id: uuid.UUID) -> bool:
    return await conn.fetchval(WITHDRAW_BID, bid_id, worker_id) is not None


async def bids_of_order(conn: asyncpg.Connection, order_id, state: str | None, after: tuple | None,
                        limit: int) -> list[StoredBid]:
    after_at, after_id = after if after else (None, None)
    return [_bid(r) for r in await conn.fetch(BIDS_OF_ORDER, order_id, state, after_at, after_id, limit)]


async def bids_of_worker(conn: asyncpg.Connection, worker_id, state: str | None, after: tuple | None,
                         limit: int) -> list[StoredBid]:
    after_at, after_id = after if after else (None, None)
    return [_bid(r) for r in await conn.fetch(BIDS_OF_WORKER, worker_id, state, after_at, after_id, limit)]


async def bid_facts(conn: asyncpg.Connection, order_id: uuid.UUID, worker_id: uuid.UUID,
                    shift_ids: list[uuid.UUID], margin: timedelta) -> BidFacts | None:
    """The order and what the rules need to know of the worker bidding on its shifts (BID_FACTS);
    None when there is no such order."""
    # In seconds: an interval of days would be calendar days in the session's time zone.
    row = await conn.fetchrow(BID_FACTS, order_id, worker_id, shift_ids, margin.total_seconds())
    if row is None:
        return None
    return BidFacts(order=_complete(row), worker_skills=tuple(WorkerSkill(*r) for r in row["worker_skill_rows"]),
                    held=tuple(HeldSpan(*r) for r in row["held_rows"]),
                    relationship_types=tuple(row["worker_relationship_types"] or ()))


async def place_bids(conn: asyncpg.Connection, order_id: uuid.UUID, worker_id: uuid.UUID, bids: dict[uuid.UUID, uuid.UUID],
                     rate_fen: int, note: str, event: PreparedEvent, now: datetime) -> list[StoredBid]:
    """Insert the bids (new bid id → shift id) replacing the worker's live ones, and the outbox row
    of `event`, in one statement (PLACE_BIDS); the stored bids in the order given."""
    rows = await conn.fetch(PLACE_BIDS, order_id, list(bids.values()), worker_id, rate_fen, note, list(bids.keys()),
                            event.kind, event.payload_json, event.worker_ids, event.organisation_ids, NOTIFY_CHANNEL,
                            now)
    return [_bid(r) for r in rows]


async def employments_by_id(conn: asyncpg.Connection, ids: list[uuid.UUID]) -> dict[uuid.UUID, ActiveEmployment]:
    return {r["id"]: ActiveEmployment(**dict(r)) for r in await conn.fetch(ACTIVE_EMPLOYMENTS, ids)}


async def insert_shared_bid(conn: asyncpg.Connection, order_id, lender_id, borrower_id, fee_fen: int,
                            note: str, now: datetime) -> uuid.UUID:
    """Replace the lender's live bid on the order (its pending consents are withdrawn) with a new one."""
    replaced = [r["id"] for r in await conn.fetch(WITHDRAW_LIVE_SHARED_BID, order_id, lender_id, now)]
    if replaced:
        await conn.execute(WITHDRAW_CONSENTS_OF_BIDS, replaced, now)
    return await conn.fetchval(INSERT_SHARED_BID, order_id, lender_id, borrower_id, fee_fen, note, now)


async def insert_consents(conn: asyncpg.Connection, shared_bid_id, rows: list[tuple], now: datetime) -> None:
    await conn.executemany(INSERT_CONSENT, [(shared_bid_id, *row, now) for row in rows])


def _consent(row: asyncpg.Record) -> StoredConsent:
    return StoredConsent(**dict(row))


async def _with_consents(conn: asyncpg.Connection, rows: list[asyncpg.Record]) -> list[StoredSharedBid]:
    consents: dict[uuid.UUID, list[StoredConsent]] = {}
    for r in await conn.fetch(CONSENTS_OF_BIDS, [row["id"] for row in rows]):
        consents.setdefault(r["shared_bid_id"], []).append(_consent(r))
    return [StoredSharedBid(**dict(row), consents=tuple(consents.get(row["id"], ()))) for row in rows]


async def shared_bid_by_id(conn: asyncpg.Connection, bid_id: uuid.UUID) -> StoredSharedBid | None:
    row = await conn.fetchrow(SHARED_BID_BY_ID, bid_id)
    return (await _with_consents(conn, [row]))[0] if row else None


async def shared_bids_of_order(conn: asyncpg.Connection, order_id, state: str | None) -> list[StoredSharedBid]:
    return await _with_consents(conn, await conn.fetch(SHARED_BIDS_OF_ORDER, order_id, state))


async def withdraw_shared_bid(conn: asyncpg.Connection, bid_id: uuid.UUID, lender_id: uuid.UUID) -> bool:
    withdrawn = await conn.fetchval(WITHDRAW_SHARED_BID, bid_id, lender_id)
    if withdrawn is not None:
        await conn.execute(WITHDRAW_CONSENTS_OF_BIDS, [bid_id], None)
    return withdrawn is not None


async def consents_of_worker(conn: asyncpg.Connection, worker_id: uuid.UUID) -> list[StoredConsent]:
    return [_consent(r) for r in await conn.fetch(CONSENTS_OF_WORKER, worker_id)]


async def consent_for_update(conn: asyncpg.Connection, consent_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(CONSENT_FOR_UPDATE, consent_id)


async def decide_consent(conn: asyncpg.Connection, consent_id: uuid.UUID, state: str, now: datetime) -> None:
    await conn.execute(DECIDE_CONSENT, consent_id, state, now)


async def insert_agreement(conn: asyncpg.Connection, consent_id, order_id, borrower_id, lender_id, worker_id,
                           terms: dict, now: datetime) -> Agreement:
    row = await conn.fetchrow(INSERT_AGREEMENT, consent_id, order_id, borrower_id, lender_id, worker_id, terms, now)
    return Agreement(row["id"], consent_id, order_id, borrower_id, lender_id, worker_id, terms, row["created_at"])


async def agreement_by_id(conn: asyncpg.Connection, agreement_id: uuid.UUID) -> Agreement | None:
    row = await conn.fetchrow(AGREEMENT_BY_ID, agreement_id)
    return Agreement(**dict(row)) if row else None


async def agreements_of_party(conn: asyncpg.Connection, party_id: uuid.UUID) -> list[Agreement]:
    return [Agreement(**dict(r)) for r in await conn.fetch(AGREEMENTS_OF_PARTY, party_id)]


async def organisation_names(conn: asyncpg.Connection, ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    return {r["id"]: r["name"] for r in await conn.fetch(ORGANISATION_NAMES, ids)}


async def worker_name(conn: asyncpg.Connection, worker_id: uuid.UUID) -> str | None:
    return await conn.fetchval(WORKER_NAME, worker_id)


# ---- the worker job feed, and its reverse (which workers a new shift fits) -------------------------

from market.orders.feed_score import FEED_SCORE_SQL  # noqa: E402  (kept next to the queries that use it)

HAVERSINE_M = """(2 * 6371008.8 * asin(least(1, sqrt(
    power(sin(radians({lat2} - {lat1}) / 2), 2)
    + cos(radians({lat1})) * cos(radians({lat2})) * power(sin(radians({lon2} - {lon1}) / 2), 2)))))"""

# Metres from the worker `w` (lat, lon) to the order `o`'s site.
WORKER_TO_SITE_M = HAVERSINE_M.format(lat1="w.lat", lon1="w.lon", lat2="o.site_lat", lon2="o.site_lon")

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

FEED_WORKER = """
SELECT w.id, coalesce(w.home_lat, d.lat) AS lat, coalesce(w.home_lon, d.lon) AS lon, w.max_travel_m,
       w.relationship_types
FROM workers w JOIN districts d ON d.code = w.district_code WHERE w.id = $1
"""
# The conditions a shift must meet for a worker, shared by the feed and its reverse. `s` and `o` are
# the shift and its order, `w` the worker (with lat/lon/max_travel_m/relationship_types), `now` $2.
# The one condition left out, "no seat the worker holds overlaps the shift", is written once for
# each direction (FEED_NOT_HELD, AUDIENCE_NOT_HELD): the same test, shaped for the side that is fixed.
FITS = """
    s.open AND s.filled < s.headcount AND s.starts_at > $2 AND """ + SHIFT_WITHIN_HORIZON.format(now="$2") + """
    AND """ + ORDER_RATES_IN_RANGE + """
    AND o.kind = 'gig' AND o.state IN ('open', 'allocating') AND (o.bid_deadline IS NULL OR o.bid_deadline > $2)
    AND o.relationship_type = ANY(w.relationship_types)
    AND NOT EXISTS (
        SELECT 1 FROM order_skills r WHERE r.order_id = o.id AND NOT EXISTS (
            SELECT 1 FROM worker_skills ws WHERE ws.worker_id = w.id AND ws.skill_code = r.skill_code
              AND ws.level >= r.min_level AND (ws.has_certificate OR NOT r.certificate_required)))
"""
# The feed's worker is fixed: their held seats are read once, into `w.held` (FEED_WORKER_SEATS), and
# each candidate is tested against that short array. Probing assignments once per candidate cost
# 6 µs each (10 of a 17 ms query at 1,736 candidates), and a generic plan cached while assignments
# was near empty probed by sequential scan: 400 ms a query once the table had grown (benchmarks.md).
FEED_NOT_HELD = "NOT EXISTS (SELECT 1 FROM unnest(w.held) AS h (period) WHERE h.period && s.period)"
# The audience's shift is fixed and its workers vary: one probe per worker in reach (assignments'
# exclusion index leads with worker_id).
AUDIENCE_NOT_HELD = """NOT EXISTS (
    SELECT 1 FROM assignments a WHERE a.worker_id = w.id AND a.state IN ('active', 'completed')
      AND a.period && s.period)"""
# Of the feed's worker ($1), read once per query: the seats they hold that end after now ($2; none
# other can overlap a shift that starts after now), and the shifts they hold a live bid on.
FEED_WORKER_SEATS = """
    ARRAY(SELECT a.period FROM assignments a WHERE a.worker_id = $1 AND a.state IN ('active', 'completed')
          AND upper(a.period) > $2) AS held,
    ARRAY(SELECT b.shift_id FROM bids b WHERE b.worker_id = $1 AND b.state = 'live') AS live_bid_shifts"""
# Availability is a function call per row (the costliest test), so the feed applies it last and
# lazily: after ranking, on rows in score order, until the page is full (see FEED). The audience of
# a new shift (FITTING_WORKERS) tests every worker in reach, so it first asks what two index probes
# answer: a worker with no weekly windows and no dated exception on the shift's local days is
# available (the function's own first case); only the rest pay for the call. OR is evaluated left
# to right, and the result is the function's in every case (tests/profiles/test_availability_sql.py).
# With 1,000 workers in reach the function calls were ~12 ms of the audience query's ~14 ms.
AVAILABLE = """(
    (NOT EXISTS (SELECT 1 FROM worker_availability wa WHERE wa.worker_id = w.id)
     AND NOT EXISTS (SELECT 1 FROM worker_availability_exceptions we WHERE we.worker_id = w.id
                       AND we.day BETWEEN (s.starts_at AT TIME ZONE 'Asia/Shanghai')::date
                                      AND (s.ends_at AT TIME ZONE 'Asia/Shanghai')::date))
    OR worker_available(w.id, s.starts_at, s.ends_at))"""
FEED_COLUMNS = """
    s.id AS shift_id, s.order_id, s.starts_at, s.ends_at, s.headcount, s.filled, o.organisation_id, o.title,
    o.district_code, o.site_address, o.site_lat, o.site_lon,
    o.relationship_type, o.pay_unit, o.pay_amount_fen, o.hourly_equivalent_fen AS hourly_pay_fen,
    o.allocation_mode, o.bid_deadline,
    s.starts_at AS shift_start, s.ends_at AS shift_end,
    floor(""" + WORKER_TO_SITE_M + """)::bigint AS distance_m,
    w.max_travel_m,
    greatest(floor(date_part('epoch', s.starts_at - $2)), 0)::bigint AS seconds_to_start,
    EXISTS (SELECT 1 FROM order_skills r WHERE r.order_id = o.id) AS uses_worker_skill,
    s.id = ANY(w.live_bid_shifts) AS has_live_bid
"""
# Open shifts in the worker's bounding box (GiST index shifts_open_near on (site, starts_at)),
# then the exact distance, the fit conditions and the score; keyset-paginated on (score, shift id).
# Each candidate costs microseconds and a worker downtown has thousands, so per candidate: the
# candidates are MATERIALIZED (distance, seconds to start and the skill flag computed once, not again
# inside the score and the reach filter), seconds use date_part's double, not extract's numeric, and
# the employer's name is looked up for the page's rows only. Together 11.0 → 8.3 ms at 1,600
# candidates (docs/benchmarks.md).
FEED = """
WITH w AS MATERIALIZED (
    SELECT $1::uuid AS id, $3::float8 AS lat, $4::float8 AS lon, $5::int AS max_travel_m,
           $6::text[] AS relationship_types, """ + FEED_WORKER_SEATS + """
), candidates AS MATERIALIZED (
    SELECT """ + FEED_COLUMNS + """
    FROM w, shifts s
    JOIN orders o ON o.id = s.order_id
    WHERE s.open AND s.site <@ box(point($7, $8), point($9, $10)) AND s.starts_at > $2
      -- in reach: floor(distance) <= max_travel_m, tested before the rest is computed
      AND """ + WORKER_TO_SITE_M + """ < w.max_travel_m + 1
      AND """ + FITS + """ AND """ + FEED_NOT_HELD + """
), scored AS (
    SELECT c.*, """ + FEED_SCORE_SQL + """::int AS score FROM candidates c WHERE distance_m <= max_travel_m
)
-- OFFSET 0 keeps PostgreSQL from pushing the availability test below the sort: it runs on ranked
-- rows one by one and stops when the page is full, instead of on every candidate.
SELECT ranked.*, (SELECT org.name FROM organisations org WHERE org.id = ranked.organisation_id) AS employer_name
FROM (
    SELECT * FROM scored WHERE $11::int IS NULL OR (score, shift_id) < ($11, $12::uuid)
    ORDER BY score DESC, shift_id DESC OFFSET 0
) ranked
WHERE worker_available($1::uuid, ranked.shift_start, ranked.shift_end)
LIMIT $13
"""
# Reverse: the workers each of several shifts fits (the relay resolves a batch of shift.opened
# events at once) — homes within the shift's bounding box of the farthest travel anyone accepts
# (index workers_home), or, for workers with no home set, their district's centre. $1 the shifts,
# $3–$6 their boxes (min lon, min lat, max lon, max lat), in the same order.
# (A shift out of range has no audience: its times are not read at all.)
SHIFTS_FOR_FIT = """
SELECT s.id, s.starts_at, s.ends_at, o.site_lat, o.site_lon, o.organisation_id, o.relationship_type
FROM shifts s JOIN orders o ON o.id = s.order_id
WHERE s.id = ANY($1::uuid[]) AND """ + SHIFT_WITHIN_HORIZON.format(now="now()") + """
  AND """ + ORDER_RATES_IN_RANGE + """
"""
FITTING_WORKERS = """
SELECT s.id AS shift_id, w.id
FROM unnest($1::uuid[], $3::float8[], $4::float8[], $5::float8[], $6::float8[])
    AS x (shift_id, min_lon, min_lat, max_lon, max_lat)
JOIN shifts s ON s.id = x.shift_id
JOIN orders o ON o.id = s.order_id
CROSS JOIN LATERAL (
    SELECT wk.id, wk.home_lat AS lat, wk.home_lon AS lon, wk.max_travel_m, wk.relationship_types
    FROM workers wk WHERE wk.home <@ box(point(x.min_lon, x.min_lat), point(x.max_lon, x.max_lat))
    UNION ALL
    SELECT wk.id, d.lat, d.lon, wk.max_travel_m, wk.relationship_types
    FROM workers wk JOIN districts d ON d.code = wk.district_code
    WHERE wk.home IS NULL AND point(d.lon, d.lat) <@ box(point(x.min_lon, x.min_lat), point(x.max_lon, x.max_lat))
) w
WHERE """ + WORKER_TO_SITE_M + """ <= w.max_travel_m
  AND """ + FITS + """ AND """ + AUDIENCE_NOT_HELD + """
  AND """ + AVAILABLE + """
"""
HELD_SPANS_OF_WORKERS = """
SELECT a.worker_id, lower(a.period) AS starts_at, upper(a.period) AS ends_at, a.organisation_id FROM assignments a
WHERE a.worker_id = ANY($1::uuid[]) AND a.state IN ('active', 'completed') AND a.period && tstzrange($2, $3)
"""
MAX_TRAVEL_M = "SELECT coalesce(max(max_travel_m), 0) FROM workers"


async def feed_worker(conn: asyncpg.Connection, worker_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(FEED_WORKER, worker_id)


async def feed(conn: asyncpg.Connection, worker: asyncpg.Record, now: datetime, box, after: tuple | None,
               limit: int) -> list[asyncpg.Record]:
    after_score, after_id = after if after else (None, None)
    return await conn.fetch(FEED, worker["id"], now, worker["lat"], worker["lon"], worker["max_travel_m"],
                            worker["relationship_types"], box.min_lon, box.min_lat, box.max_lon, box.max_lat,
                            after_score, after_id, limit)


async def shifts_for_fit(conn: asyncpg.Connection, shift_ids: list[uuid.UUID]) -> list[asyncpg.Record]:
    return await conn.fetch(SHIFTS_FOR_FIT, shift_ids)


async def fitting_workers(conn: asyncpg.Connection, boxes: dict, now: datetime) -> dict[uuid.UUID, list[uuid.UUID]]:
    """The workers each shift fits, given each shift's search box (shift id → geo box)."""
    shift_ids = list(boxes)
    rows = await conn.fetch(FITTING_WORKERS, shift_ids, now, [boxes[s].min_lon for s in shift_ids],
                            [boxes[s].min_lat for s in shift_ids], [boxes[s].max_lon for s in shift_ids],
                            [boxes[s].max_lat for s in shift_ids])
    fitting: dict[uuid.UUID, list[uuid.UUID]] = {shift_id: [] for shift_id in shift_ids}
    for row in rows:
        fitting[row["shift_id"]].append(row["id"])
    return fitting


async def max_travel_m(conn: asyncpg.Connection) -> int:
    return await conn.fetchval(MAX_TRAVEL_M)


async def held_spans_of_workers(conn: asyncpg.Connection, worker_ids: list[uuid.UUID], start: datetime,
                                end: datetime) -> dict[uuid.UUID, list[HeldSpan]]:
    spans: dict[uuid.UUID, list[HeldSpan]] = {}
    for r in await conn.fetch(HELD_SPANS_OF_WORKERS, worker_ids, start, end):
        spans.setdefault(r["worker_id"], []).append(HeldSpan(r["starts_at"], r["ends_at"], r["organisation_id"]))
    return spans
