"""All of standby's SQL (docs/standby.md)."""
from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg

from market.standby.model import Standby

COLUMNS = """
b.id, b.shift_id, b.order_id, b.worker_id, b.organisation_id, lower(b.period) AS starts_at,
upper(b.period) AS ends_at, b.amount_fen, b.state, b.offer_id, b.vacated_assignment_id, b.created_at, b.ended_at,
o.title
"""
FROM = " FROM standbys b JOIN orders o ON o.id = b.order_id "

SHIFT_ORDER = "SELECT order_id FROM shifts WHERE id = $1"
SHIFT_STANDBY = "SELECT standby, standby_amount_fen, standby_held FROM shifts WHERE id = $1"
INSERT = """
INSERT INTO standbys (shift_id, order_id, worker_id, organisation_id, period, amount_fen, created_at)
SELECT s.id, s.order_id, $2, o.organisation_id, s.period, s.standby_amount_fen, $3
FROM shifts s JOIN orders o ON o.id = s.order_id WHERE s.id = $1
RETURNING id
"""
BY_ID = "SELECT " + COLUMNS + FROM + "WHERE b.id = $1"
LOCK = "SELECT id FROM standbys WHERE id = $1 FOR UPDATE"
OF_WORKER = "SELECT " + COLUMNS + FROM + "WHERE b.worker_id = $1 ORDER BY b.created_at DESC, b.id DESC LIMIT 200"
OF_SHIFT = "SELECT " + COLUMNS + FROM + "WHERE b.shift_id = $1 ORDER BY b.created_at, b.id"
END = "UPDATE standbys SET state = $2, ended_at = $3 WHERE id = $1 AND state IN ('on_call', 'offered') RETURNING id"

# A vacated seat: the assignment that left it and its shift's facts, with the seats still free
# (headcount − filled − pending offers, as the runs count them). Locks nothing: the caller holds
# the order's row lock.
VACANCY = """
SELECT a.id AS assignment_id, a.shift_id, a.order_id, a.rate_fen, a.state AS assignment_state,
       s.starts_at, s.ends_at, s.standby, s.headcount - s.filled
         - (SELECT count(*) FROM offers f WHERE f.shift_id = s.id AND f.state = 'pending' AND f.expires_at > $2)
         AS free_seats,
       o.state AS order_state, o.title, o.organisation_id, o.offer_expiry_minutes,
       EXISTS (SELECT 1 FROM standbys r WHERE r.vacated_assignment_id = a.id AND r.state IN ('offered', 'called'))
         AS being_replaced
FROM assignments a JOIN shifts s ON s.id = a.shift_id JOIN orders o ON o.id = a.order_id
WHERE a.id = $1
"""
# The next on-call standby worker of the shift, by sign-up order; one another sweep holds is skipped.
NEXT_ON_CALL = """
SELECT id, worker_id FROM standbys WHERE shift_id = $1 AND state = 'on_call'
ORDER BY created_at, id LIMIT 1 FOR UPDATE SKIP LOCKED
"""
INSERT_OFFER = """
INSERT INTO offers (run_id, order_id, shift_id, worker_id, bid_id, rate_fen, created_at, expires_at)
VALUES (NULL, $1, $2, $3, NULL, $4, $6::timestamptz, $6::timestamptz + make_interval(mins => $5))
RETURNING id, expires_at
"""
MARK_OFFERED = """
UPDATE standbys SET state = 'offered', offer_id = $2, vacated_assignment_id = $3 WHERE id = $1 AND state = 'on_call'
"""
# What an acceptance does first when the offer is a standby's: the row becomes called (so the
# seat's assignment is not refused by assignments_not_while_on_standby).
CALL_FOR_OFFER = """
UPDATE standbys SET state = 'called', ended_at = $2 WHERE offer_id = $1 AND state = 'offered' RETURNING id
"""
STANDBY_OF_OFFER = "SELECT id, state FROM standbys WHERE offer_id = $1"

# The sweep's work lists (each item then handled in a transaction of its own).
# Seats vacated (a worker's cancellation or a no-show) on shifts that have someone on call and
# have not ended, no standby offered or called for them.
VACANCIES = """
SELECT a.id, a.order_id FROM assignments a JOIN shifts s ON s.id = a.shift_id
WHERE a.state IN ('cancelled', 'no_show') AND s.standby > 0 AND s.standby_held > 0 AND s.ends_at > $1
  AND EXISTS (SELECT 1 FROM standbys b WHERE b.shift_id = s.id AND b.state = 'on_call')
  AND NOT EXISTS (SELECT 1 FROM standbys r WHERE r.vacated_assignment_id = a.id AND r.state IN ('offered', 'called'))
ORDER BY a.ended_at NULLS LAST, a.id LIMIT $2
"""
# Seats of shifts with someone on call whose worker has not checked in by the grace ($1: now −
# grace) and whose shift has not ended ($2: now): the platform records their no-shows. The guards
# are attendance's, under the timesheet's row lock; this only finds them.
NOT_CHECKED_IN = """
SELECT a.id, a.order_id FROM assignments a JOIN shifts s ON s.id = a.shift_id
LEFT JOIN timesheets t ON t.assignment_id = a.id
WHERE a.state = 'active' AND s.standby_held > 0 AND s.starts_at <= $1 AND s.ends_at > $2
  AND (t.assignment_id IS NULL OR (t.state = 'open' AND t.checked_in_at IS NULL))
  AND EXISTS (SELECT 1 FROM standbys b WHERE b.shift_id = s.id AND b.state = 'on_call')
ORDER BY s.starts_at, a.id LIMIT $3
"""
# Standby offers that ended without an acceptance, or whose clock ran out.
LAPSED = """
SELECT b.id, b.order_id FROM standbys b JOIN offers f ON f.id = b.offer_id JOIN orders o ON o.id = b.order_id
WHERE b.state = 'offered' AND (f.state <> 'pending' OR f.expires_at <= $1) AND o.state NOT IN ('cancelled', 'expired')
ORDER BY b.id LIMIT $2
"""
EXPIRE_OFFER = """
UPDATE offers SET state = 'expired', decided_at = $2 WHERE id = $1 AND state = 'pending' AND expires_at <= $2
RETURNING id
"""
OFFER_STATE = "SELECT state, expires_at FROM offers WHERE id = $1"
# Standby rows on call at the shift's end: to pay.
DUE = """
SELECT b.id, b.order_id FROM standbys b
WHERE b.state IN ('on_call', 'offered') AND upper(b.period) <= $1 ORDER BY upper(b.period), b.id LIMIT $2
"""
CANCELLED_ORDERS = """
SELECT DISTINCT b.order_id FROM standbys b JOIN orders o ON o.id = b.order_id
WHERE b.state IN ('on_call', 'offered') AND o.state IN ('cancelled', 'expired') LIMIT $1
"""
# A closed pair's (a block, a hide) on-call standbys, locked. Not the order's row lock: a sign-up
# takes the order's lock and then the pair's, so the block, holding the pair's, must not wait for
# an order's; the pair's lock already orders it against sign-ups, and the row lock against the
# sweep and a withdrawal.
PAIR_ON_CALL = """
SELECT id FROM standbys WHERE organisation_id = $1 AND worker_id = $2 AND state = 'on_call' ORDER BY id FOR UPDATE
"""
OF_ORDER_ACTIVE = "SELECT id FROM standbys WHERE order_id = $1 AND state IN ('on_call', 'offered')"


def standby_of_row(row: asyncpg.Record) -> Standby:
    return Standby(**{name: row[name] for name in Standby.__dataclass_fields__})


async def shift_order(conn: asyncpg.Connection, shift_id: uuid.UUID) -> uuid.UUID | None:
    return await conn.fetchval(SHIFT_ORDER, shift_id)


async def shift_standby(conn: asyncpg.Connection, shift_id: uuid.UUID) -> asyncpg.Record:
    return await conn.fetchrow(SHIFT_STANDBY, shift_id)


async def insert(conn: asyncpg.Connection, shift_id: uuid.UUID, worker_id: uuid.UUID, now: datetime) -> uuid.UUID:
    return await conn.fetchval(INSERT, shift_id, worker_id, now)


async def by_id(conn: asyncpg.Connection, standby_id: uuid.UUID) -> Standby | None:
    row = await conn.fetchrow(BY_ID, standby_id)
    return standby_of_row(row) if row else None


async def lock(conn: asyncpg.Connection, standby_id: uuid.UUID) -> bool:
    return await conn.fetchval(LOCK, standby_id) is not None


async def of_worker(conn: asyncpg.Connection, worker_id: uuid.UUID) -> list[Standby]:
    return [standby_of_row(r) for r in await conn.fetch(OF_WORKER, worker_id)]


async def of_shift(conn: asyncpg.Connection, shift_id: uuid.UUID) -> list[Standby]:
    return [standby_of_row(r) for r in await conn.fetch(OF_SHIFT, shift_id)]


async def end(conn: asyncpg.Connection, standby_id: uuid.UUID, state: str, now: datetime) -> bool:
    return await conn.fetchval(END, standby_id, state, now) is not None


async def vacancy(conn: asyncpg.Connection, assignment_id: uuid.UUID, now: datetime) -> asyncpg.Record | None:
    return await conn.fetchrow(VACANCY, assignment_id, now)


async def next_on_call(conn: asyncpg.Connection, shift_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(NEXT_ON_CALL, shift_id)


async def insert_offer(conn: asyncpg.Connection, order_id: uuid.UUID, shift_id: uuid.UUID, worker_id: uuid.UUID,
                       rate_fen: int, minutes: int, now: datetime) -> asyncpg.Record:
    return await conn.fetchrow(INSERT_OFFER, order_id, shift_id, worker_id, rate_fen, minutes, now)


async def mark_offered(conn: asyncpg.Connection, standby_id: uuid.UUID, offer_id: uuid.UUID,
                       assignment_id: uuid.UUID) -> None:
    await conn.execute(MARK_OFFERED, standby_id, offer_id, assignment_id)


async def call_for_offer(conn: asyncpg.Connection, offer_id: uuid.UUID, now: datetime) -> uuid.UUID | None:
    return await conn.fetchval(CALL_FOR_OFFER, offer_id, now)


async def standby_of_offer(conn: asyncpg.Connection, offer_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(STANDBY_OF_OFFER, offer_id)


async def vacancies(conn: asyncpg.Connection, now: datetime, limit: int) -> list[asyncpg.Record]:
    return await conn.fetch(VACANCIES, now, limit)


async def not_checked_in(conn: asyncpg.Connection, started_by: datetime, now: datetime,
                         limit: int) -> list[asyncpg.Record]:
    return await conn.fetch(NOT_CHECKED_IN, started_by, now, limit)


async def lapsed(conn: asyncpg.Connection, now: datetime, limit: int) -> list[asyncpg.Record]:
    return await conn.fetch(LAPSED, now, limit)


async def expire_offer(conn: asyncpg.Connection, offer_id: uuid.UUID, now: datetime) -> bool:
    return await conn.fetchval(EXPIRE_OFFER, offer_id, now) is not None


async def offer_state(conn: asyncpg.Connection, offer_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(OFFER_STATE, offer_id)


async def due(conn: asyncpg.Connection, now: datetime, limit: int) -> list[asyncpg.Record]:
    return await conn.fetch(DUE, now, limit)


async def active_of_order(conn: asyncpg.Connection, order_id: uuid.UUID) -> list[uuid.UUID]:
    return [r["id"] for r in await conn.fetch(OF_ORDER_ACTIVE, order_id)]


async def pair_on_call(conn: asyncpg.Connection, organisation_id: uuid.UUID, worker_id: uuid.UUID,
                       ) -> list[uuid.UUID]:
    return [r["id"] for r in await conn.fetch(PAIR_ON_CALL, organisation_id, worker_id)]


async def cancelled_orders_with_standbys(conn: asyncpg.Connection, limit: int) -> list[uuid.UUID]:
    return [r["order_id"] for r in await conn.fetch(CANCELLED_ORDERS, limit)]
