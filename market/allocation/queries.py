"""SQL of the allocation service: the run queue, what the builder reads, the commit, offers.

Lock order, everywhere (so that no two transactions wait on each other in a cycle): a run row,
then an offer row, then order rows (by id), then worker rows (by id). Worker rows are taken
`FOR NO KEY UPDATE`: it serialises commits and acceptances of one worker without blocking the
foreign-key checks of rows that merely point at the worker.
"""
from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from market.allocation.records import (
    CancellableAssignment,
    CandidateRow,
    ExpiredOffer,
    HeldCommitment,
    OfferView,
    OpenSeat,
    OrderOwner,
    RunLock,
    RunRecord,
    RunResult,
    SharedCandidate,
    ShiftSeats,
)
from market.events.queries import NOTIFY_CHANNEL
from market.orders import pool
from market.orders import queries as order_queries
from market.orders.records import PreparedEvent

# ---- the queue ------------------------------------------------------------------------------------

# Claims serialise on this (transaction-scoped) lock for a few microseconds, which makes "one running
# run per district" exact; SKIP LOCKED keeps claimers off rows another transaction is touching.
CLAIM_LOCK_ID = 0x616C6C6F63  # "alloc"
TAKE_CLAIM_LOCK = "SELECT pg_advisory_xact_lock($1)"
RUN_COLUMNS = """
r.id, r.order_id, r.district_code, r.trigger, r.status, r.queued_at, r.started_at, r.finished_at, r.attempts,
r.solve_seconds, r.objective, r.best_bound, r.gap, r.optimal, r.method, r.terms, r.seats_open, r.seats_filled,
r.seats_unfilled, r.conflicts, r.error
"""
ENQUEUE_ORDER_RUN = """
INSERT INTO allocation_runs (order_id, district_code, trigger) VALUES ($1, $2, $3)
ON CONFLICT (order_id) WHERE status = 'queued' AND order_id IS NOT NULL DO NOTHING
RETURNING id
"""
QUEUED_RUN_OF_ORDER = "SELECT id FROM allocation_runs WHERE order_id = $1 AND status = 'queued'"
# A queued run (or one whose allocator died: lease passed) in a district where no other run is running.
CLAIM_RUN = """
WITH next AS (
    SELECT r.id FROM allocation_runs r
    WHERE (r.status = 'queued' OR (r.status = 'running' AND r.lease_until < now()))
      AND NOT EXISTS (SELECT 1 FROM allocation_runs busy
                      WHERE busy.status = 'running' AND busy.lease_until >= now()
                        AND busy.district_code = r.district_code AND busy.id <> r.id)
    ORDER BY r.queued_at, r.id
    LIMIT 1
    FOR UPDATE SKIP LOCKED
)
UPDATE allocation_runs r SET status = 'running', started_at = now(), lease_until = now() + $1::interval,
    attempts = r.attempts + 1
FROM next WHERE r.id = next.id
RETURNING """ + RUN_COLUMNS
LOCK_RUN = "SELECT status, attempts FROM allocation_runs WHERE id = $1 FOR UPDATE"
FINISH_RUN = """
UPDATE allocation_runs SET status = 'done', finished_at = now(), lease_until = NULL, solve_seconds = $2,
    objective = $3, best_bound = $4, gap = $5, optimal = $6, method = $7, terms = $8, seats_open = $9,
    seats_filled = $10, seats_unfilled = $11, conflicts = $12, error = $13
WHERE id = $1
"""
FAIL_RUN = """
UPDATE allocation_runs SET status = 'failed', finished_at = now(), lease_until = NULL, error = $2 WHERE id = $1
"""
RUN_BY_ID = "SELECT " + RUN_COLUMNS + ", o.organisation_id FROM allocation_runs r LEFT JOIN orders o ON o.id = r.order_id WHERE r.id = $1"
ORGANISATIONS_OF_RUN = "SELECT DISTINCT o.organisation_id FROM allocation_results x JOIN orders o ON o.id = x.order_id WHERE x.run_id = $1"
# The bid deadline passed on an open bids order that no deadline run has covered yet.
QUEUE_DEADLINE_RUNS = """
INSERT INTO allocation_runs (order_id, district_code, trigger)
SELECT o.id, o.district_code, 'bid_deadline' FROM orders o
WHERE o.allocation_mode = 'bids' AND o.state = 'open' AND o.bid_deadline <= $1
  AND NOT EXISTS (SELECT 1 FROM allocation_runs r WHERE r.order_id = o.id AND r.trigger = 'bid_deadline')
ON CONFLICT DO NOTHING
RETURNING id
"""
# One sweep run per district holding open auto gig orders with seats left.
QUEUE_AUTO_SWEEPS = """
INSERT INTO allocation_runs (order_id, district_code, trigger)
SELECT DISTINCT NULL::uuid, o.district_code, 'auto_sweep' FROM orders o
WHERE o.allocation_mode = 'auto' AND o.kind = 'gig' AND o.state = 'open'
  AND EXISTS (SELECT 1 FROM shifts s WHERE s.order_id = o.id AND s.open AND s.starts_at > $1
                AND s.filled < s.headcount)
ON CONFLICT DO NOTHING
RETURNING id
"""

# ---- what a run covers, and the builder's reads ------------------------------------------------------

# `in_range`: an order the API could have stored (orders.queries.ORDER_IN_RANGE: its rates, and every
# shift within the booking horizon); a sweep leaves any other out (and says so) rather than fail on it.
AUTO_ORDERS_OF_DISTRICT = """
SELECT o.id, """ + order_queries.ORDER_IN_RANGE + """ AS in_range
FROM orders o
WHERE o.district_code = $1 AND o.allocation_mode = 'auto' AND o.kind = 'gig' AND o.state = 'open'
ORDER BY o.id
"""
LOCK_ORDERS = "SELECT id, state FROM orders WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE"
LOCK_WORKERS = "SELECT id FROM workers WHERE id = ANY($1::uuid[]) ORDER BY id FOR NO KEY UPDATE"
# Each (order, worker) pair's standing (docs/favourites.md): closed (a block, a hide, or outside the
# order's private pool at $3) or the employer's favourite.
PAIR_STANDING = """
SELECT x.order_id, x.worker_id,
       NOT (""" + pool.pair_open("x.worker_id", "o.organisation_id") + """
            AND """ + pool.pool_admits("o", "x.worker_id", "$3") + """) AS closed,
       EXISTS (SELECT 1 FROM worker_relations f WHERE f.organisation_id = o.organisation_id
                 AND f.worker_id = x.worker_id AND f.kind = 'favourite') AS favourite
FROM unnest($1::uuid[], $2::uuid[]) AS x (order_id, worker_id) JOIN orders o ON o.id = x.order_id
"""
# Free seats = headcount − seats held − seats under pending offers (an offer not yet swept as
# expired still counts: the sweep hands it back).
OPEN_SEATS = """
SELECT s.id, s.order_id, s.starts_at, s.ends_at, s.headcount, s.filled,
       s.headcount - s.filled - (SELECT count(*) FROM offers f WHERE f.shift_id = s.id AND f.state = 'pending')
           AS free_seats
FROM shifts s
WHERE s.order_id = ANY($1::uuid[]) AND s.open AND s.starts_at > $2
  AND """ + order_queries.SHIFT_WITHIN_HORIZON.format(now="$2") + """
ORDER BY s.order_id, s.starts_at, s.id
"""
LIVE_BIDS = """
SELECT b.id, b.shift_id, b.worker_id, b.rate_fen FROM bids b
WHERE b.order_id = ANY($1::uuid[]) AND b.state = 'live' ORDER BY b.created_at, b.id
"""
# Workers with a past offer on a shift (declined, expired, …): an auto run does not offer it again.
OFFERED_BEFORE = "SELECT DISTINCT shift_id, worker_id FROM offers WHERE order_id = ANY($1::uuid[])"
WORKER_PLACES = """
SELECT w.id, coalesce(w.home_lat, d.lat) AS lat, coalesce(w.home_lon, d.lon) AS lon
FROM workers w JOIN districts d ON d.code = w.district_code WHERE w.id = ANY($1::uuid[])
"""
# Seats a worker holds (assignments) or has been offered (pending offers) around a period: overlap,
# rest and hour limits count both.
COMMITMENTS = """
SELECT a.worker_id, lower(a.period) AS starts_at, upper(a.period) AS ends_at, a.organisation_id,
       o.relationship_type, false AS offered
FROM assignments a JOIN orders o ON o.id = a.order_id
WHERE a.worker_id = ANY($1::uuid[]) AND a.state IN ('active', 'completed') AND a.period && tstzrange($2, $3)
UNION ALL
SELECT f.worker_id, s.starts_at, s.ends_at, o.organisation_id, o.relationship_type, true
FROM offers f JOIN shifts s ON s.id = f.shift_id JOIN orders o ON o.id = f.order_id
WHERE f.worker_id = ANY($1::uuid[]) AND f.state = 'pending' AND s.period && tstzrange($2, $3)
"""

# ---- the commit ---------------------------------------------------------------------------------------

INSERT_OFFER = """
INSERT INTO offers (run_id, order_id, shift_id, worker_id, bid_id, rate_fen, created_at, expires_at)
VALUES ($1, $2, $3, $4, $5, $6, $8::timestamptz, $8::timestamptz + make_interval(mins => $7))
RETURNING id, expires_at
"""
INSERT_ASSIGNMENT = """
INSERT INTO assignments (shift_id, order_id, worker_id, organisation_id, period, rate_fen, created_at)
SELECT s.id, s.order_id, $2, o.organisation_id, s.period, $3, $4 FROM shifts s JOIN orders o ON o.id = s.order_id
WHERE s.id = $1
RETURNING id
"""
INSERT_RESULTS = """
INSERT INTO allocation_results (run_id, order_id, shift_id, worker_id, bid_id, outcome, reason, seats)
SELECT $1, * FROM unnest($2::uuid[], $3::uuid[], $4::uuid[], $5::uuid[], $6::text[], $7::text[], $8::int[])
"""
RESULTS_OF_RUN = """
SELECT x.order_id, x.shift_id, x.worker_id, x.bid_id, x.outcome, x.reason, x.seats FROM allocation_results x
WHERE x.run_id = $1 AND ($2::uuid IS NULL OR x.worker_id = $2) ORDER BY x.id
"""
IS_CANDIDATE = "SELECT EXISTS (SELECT 1 FROM allocation_results WHERE run_id = $1 AND worker_id = $2)"
# Times of business rows are the caller's `now` ($n): the allocator's clock, or the demo's
# simulated one. Run bookkeeping (claims, leases) stays on the database's clock: allocator
# processes compare leases with each other's.
CHOOSE_BIDS = "UPDATE bids SET state = 'chosen', ended_at = $2 WHERE id = ANY($1::uuid[]) AND state = 'live'"
END_LIVE_BIDS_NOT_CHOSEN = """
UPDATE bids SET state = 'not_chosen', ended_at = $2 WHERE order_id = $1 AND state = 'live' RETURNING id, worker_id
"""
END_LIVE_SHARED_BIDS_NOT_CHOSEN = """
UPDATE shared_bids SET state = 'not_chosen', ended_at = $2 WHERE order_id = $1 AND state = 'live'
RETURNING id, lender_id
"""
CHOOSE_SHARED_BIDS = """
UPDATE shared_bids SET state = 'chosen', ended_at = $2 WHERE id = ANY($1::uuid[]) AND state = 'live'
"""
# The latest reason each bid of an order was given (for the final bid.not_chosen).
LATEST_BID_REASONS = """
SELECT DISTINCT ON (x.bid_id) x.bid_id, x.reason FROM allocation_results x
WHERE x.order_id = $1 AND x.bid_id = ANY($2::uuid[]) ORDER BY x.bid_id, x.id DESC
"""
ORDER_FULLY_HELD = "SELECT coalesce(bool_and(filled >= headcount), false) FROM shifts WHERE order_id = $1 AND open"
SET_ORDER_STATE = "UPDATE orders SET state = $2, updated_at = coalesce($3::timestamptz, now()) WHERE id = $1"

# Shared orders: live bids, cheapest fee per worker-day first, then the earlier bid.
SHARED_CANDIDATES = """
SELECT sb.id AS bid_id, sb.lender_id, sb.fee_per_worker_day_fen, c.id AS consent_id, c.worker_id
FROM shared_bids sb JOIN consents c ON c.shared_bid_id = sb.id AND c.state = 'accepted'
WHERE sb.order_id = $1 AND sb.state = 'live'
ORDER BY sb.fee_per_worker_day_fen, sb.created_at, sb.id, c.created_at, c.id
"""
HELD_WORKERS_OF_ORDER = "SELECT DISTINCT worker_id FROM assignments WHERE order_id = $1 AND state IN ('active', 'completed')"
SHIFTS_TO_STAFF = "SELECT id FROM shifts WHERE order_id = $1 AND open AND starts_at > $2 ORDER BY starts_at"

# ---- offers ---------------------------------------------------------------------------------------------

OFFER_COLUMNS = """
f.id, f.run_id, f.order_id, f.shift_id, f.worker_id, f.bid_id, f.rate_fen, f.state, f.expires_at, f.created_at,
f.decided_at, f.assignment_id, o.title, o.organisation_id, o.district_code, o.relationship_type, o.pay_unit,
s.starts_at, s.ends_at
"""
OFFER_FROM = " FROM offers f JOIN orders o ON o.id = f.order_id JOIN shifts s ON s.id = f.shift_id "
OFFER_BY_ID = "SELECT " + OFFER_COLUMNS + OFFER_FROM + "WHERE f.id = $1"
OFFER_FOR_UPDATE = "SELECT " + OFFER_COLUMNS + OFFER_FROM + "WHERE f.id = $1 FOR UPDATE OF f"
OFFERS_OF_WORKER = ("SELECT " + OFFER_COLUMNS + OFFER_FROM + """
WHERE f.worker_id = $1 AND ($2::text IS NULL OR f.state = $2)
  AND ($3::timestamptz IS NULL OR (f.created_at, f.id) < ($3, $4::uuid))
ORDER BY f.created_at DESC, f.id DESC LIMIT $5
""")
# An order's offers for its employer (GET /v1/orders/{id}/offers): the worker's name as the bids show it.
OFFERS_OF_ORDER = ("SELECT " + OFFER_COLUMNS + ", w.name AS worker_name" + OFFER_FROM + """JOIN workers w ON w.id = f.worker_id
WHERE f.order_id = $1 AND ($2::text IS NULL OR f.state = $2)
  AND ($3::timestamptz IS NULL OR (f.created_at, f.id) < ($3, $4::uuid))
ORDER BY f.created_at DESC, f.id DESC LIMIT $5
""")
DECIDE_OFFER = "UPDATE offers SET state = $2, decided_at = $4, assignment_id = $3 WHERE id = $1"
# Acceptance's locks in one statement, in the lock order above: the offer ($1); its order, only when
# the offer is the caller's ($2), pending and unexpired at $3; the worker, only when the order also
# takes seats. Each CTE's key is a subquery over the one before, so it runs only after that one has
# its lock, and the columns come from the locked rows (their latest versions). The select list
# reads both lock CTEs: a CTE nobody reads is never run.
LOCK_FOR_ACCEPT = """
WITH offer AS (
    SELECT """ + OFFER_COLUMNS + OFFER_FROM + """WHERE f.id = $1 FOR UPDATE OF f
), locked_order AS (
    SELECT o.id, o.state FROM orders o
    WHERE o.id = (SELECT order_id FROM offer WHERE worker_id = $2 AND state = 'pending' AND expires_at > $3)
    FOR UPDATE
), locked_worker AS (
    SELECT w.id FROM workers w
    WHERE w.id = (SELECT offer.worker_id FROM offer, locked_order
                  WHERE locked_order.state IN ('open', 'allocating'))
    FOR NO KEY UPDATE
)
SELECT offer.*, (SELECT state FROM locked_order) AS order_state,
       EXISTS (SELECT 1 FROM locked_worker) AS worker_locked
FROM offer
"""
# After the locks (a statement of its own, so it sees what their holders committed): the shift's
# seats and the seats the worker holds between $3 and $4 (COMMITMENTS' held part).
ACCEPT_FACTS = """
SELECT s.headcount, s.filled, s.open,
       ARRAY(SELECT ROW(lower(a.period), upper(a.period), a.organisation_id, o.relationship_type, false)
             FROM assignments a JOIN orders o ON o.id = a.order_id
             WHERE a.worker_id = $2 AND a.state IN ('active', 'completed') AND a.period && tstzrange($3, $4))
           AS held_rows
FROM shifts s WHERE s.id = $1
"""
# The accepted offer recorded, its two events written (what `emit` writes, with one NOTIFY), and
# the offer read back as OFFER_BY_ID reads it, with whether every open seat of the order is held.
ACCEPT_OFFER = """
WITH decided AS (
    UPDATE offers SET state = 'accepted', decided_at = $12, assignment_id = $2 WHERE id = $1
    RETURNING *
), event AS (
    INSERT INTO events (kind, payload, district_code, worker_ids, organisation_ids)
    VALUES ($3, $4::text::jsonb, NULL, $5::uuid[], $6::uuid[]), ($7, $8::text::jsonb, NULL, $9::uuid[], $10::uuid[])
    RETURNING id
), notified AS (
    SELECT pg_notify($11, '') FROM (SELECT count(*) FROM event) AS written
)
SELECT """ + OFFER_COLUMNS.replace("f.", "d.") + """,
       (SELECT coalesce(bool_and(x.filled >= x.headcount), false) FROM shifts x WHERE x.order_id = d.order_id AND x.open)
           AS fully_held
FROM decided d JOIN orders o ON o.id = d.order_id JOIN shifts s ON s.id = d.shift_id
CROSS JOIN (SELECT count(*) FROM notified) AS done
"""
# Pending offers past their expiry, a batch at a time; rows an acceptance holds are left to it.
EXPIRE_DUE_OFFERS = """
WITH due AS (
    SELECT id FROM offers WHERE state = 'pending' AND expires_at <= $1 ORDER BY expires_at LIMIT $2
    FOR UPDATE SKIP LOCKED
)
UPDATE offers f SET state = 'expired', decided_at = $1 FROM due WHERE f.id = due.id
RETURNING f.id, f.order_id, f.shift_id, f.worker_id
"""
ORDER_OWNERS = "SELECT id, organisation_id, district_code, state FROM orders WHERE id = ANY($1::uuid[])"


# ---- functions --------------------------------------------------------------------------------------------


def _run(row: asyncpg.Record) -> RunRecord:
    return RunRecord(**{k: row[k] for k in RunRecord.__dataclass_fields__ if k in row.keys()})


async def enqueue_order_run(conn: asyncpg.Connection, order_id: uuid.UUID, district_code: str,
                            trigger: str) -> uuid.UUID:
    """Queue a run for one order, or join the one already queued."""
    run_id = await conn.fetchval(ENQUEUE_ORDER_RUN, order_id, district_code, trigger)
    return run_id or await conn.fetchval(QUEUED_RUN_OF_ORDER, order_id)


async def claim_run(conn: asyncpg.Connection, lease: timedelta) -> RunRecord | None:
    async with conn.transaction():
        await conn.execute(TAKE_CLAIM_LOCK, CLAIM_LOCK_ID)
        row = await conn.fetchrow(CLAIM_RUN, lease)
    return _run(row) if row else None


async def lock_run(conn: asyncpg.Connection, run_id: uuid.UUID) -> RunLock | None:
    row = await conn.fetchrow(LOCK_RUN, run_id)
    return None if row is None else RunLock(*row)


async def finish_run(conn: asyncpg.Connection, run_id: uuid.UUID, facts: dict[str, Any]) -> None:
    await conn.execute(FINISH_RUN, run_id, facts.get("solve_seconds"), facts.get("objective"),
                       facts.get("best_bound"), facts.get("gap"), facts.get("optimal"), facts.get("method"),
                       facts.get("terms"), facts.get("seats_open", 0), facts.get("seats_filled", 0),
                       facts.get("seats_unfilled", 0), facts.get("conflicts", 0), facts.get("note"))


async def fail_run(conn: asyncpg.Connection, run_id: uuid.UUID, error: str) -> None:
    await conn.execute(FAIL_RUN, run_id, error)


async def run_by_id(conn: asyncpg.Connection, run_id: uuid.UUID) -> tuple[RunRecord, uuid.UUID | None] | None:
    row = await conn.fetchrow(RUN_BY_ID, run_id)
    return (_run(row), row["organisation_id"]) if row else None


async def organisations_of_run(conn: asyncpg.Connection, run_id: uuid.UUID) -> set[uuid.UUID]:
    return {r["organisation_id"] for r in await conn.fetch(ORGANISATIONS_OF_RUN, run_id)}


async def queue_deadline_runs(conn: asyncpg.Connection, now: datetime) -> int:
    return len(await conn.fetch(QUEUE_DEADLINE_RUNS, now))


async def queue_auto_sweeps(conn: asyncpg.Connection, now: datetime) -> int:
    return len(await conn.fetch(QUEUE_AUTO_SWEEPS, now))


async def auto_orders_of_district(conn: asyncpg.Connection, district_code: str) -> dict[uuid.UUID, bool]:
    """The district's open auto orders, each with whether it is in range (AUTO_ORDERS_OF_DISTRICT)."""
    return {r["id"]: r["in_range"] for r in await conn.fetch(AUTO_ORDERS_OF_DISTRICT, district_code)}


async def lock_orders(conn: asyncpg.Connection, order_ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    return {r["id"]: r["state"] for r in await conn.fetch(LOCK_ORDERS, order_ids)}


async def pair_standing(conn: asyncpg.Connection, pairs: list[tuple[uuid.UUID, uuid.UUID]],
                        now: datetime) -> tuple[set[tuple[uuid.UUID, uuid.UUID]], set[tuple[uuid.UUID, uuid.UUID]]]:
    """Of these (order id, worker id) pairs: the closed ones and the favourite ones."""
    closed: set[tuple[uuid.UUID, uuid.UUID]] = set()
    favourite: set[tuple[uuid.UUID, uuid.UUID]] = set()
    if not pairs:
        return closed, favourite
    for r in await conn.fetch(PAIR_STANDING, [p[0] for p in pairs], [p[1] for p in pairs], now):
        if r["closed"]:
            closed.add((r["order_id"], r["worker_id"]))
        if r["favourite"]:
            favourite.add((r["order_id"], r["worker_id"]))
    return closed, favourite


async def lock_workers(conn: asyncpg.Connection, worker_ids: list[uuid.UUID]) -> None:
    await conn.execute(LOCK_WORKERS, worker_ids)


async def open_seats(conn: asyncpg.Connection, order_ids: list[uuid.UUID], now: datetime) -> list[OpenSeat]:
    return [OpenSeat(r["id"], r["order_id"], r["starts_at"], r["ends_at"], r["headcount"], r["filled"],
                     r["free_seats"]) for r in await conn.fetch(OPEN_SEATS, order_ids, now)]


async def live_bids(conn: asyncpg.Connection, order_ids: list[uuid.UUID]) -> list[CandidateRow]:
    return [CandidateRow(r["worker_id"], r["shift_id"], r["id"], r["rate_fen"])
            for r in await conn.fetch(LIVE_BIDS, order_ids)]


async def offered_before(conn: asyncpg.Connection, order_ids: list[uuid.UUID]) -> set[tuple[uuid.UUID, uuid.UUID]]:
    return {(r["worker_id"], r["shift_id"]) for r in await conn.fetch(OFFERED_BEFORE, order_ids)}


async def worker_places(conn: asyncpg.Connection, worker_ids: list[uuid.UUID]) -> dict[uuid.UUID, tuple[float, float]]:
    return {r["id"]: (r["lat"], r["lon"]) for r in await conn.fetch(WORKER_PLACES, worker_ids)}


async def commitments(conn: asyncpg.Connection, worker_ids: list[uuid.UUID], start: datetime,
                      end: datetime) -> dict[uuid.UUID, list[HeldCommitment]]:
    held: dict[uuid.UUID, list[HeldCommitment]] = defaultdict(list)
    for r in await conn.fetch(COMMITMENTS, worker_ids, start, end):
        held[r["worker_id"]].append(HeldCommitment(r["starts_at"], r["ends_at"], r["organisation_id"],
                                                   r["relationship_type"], r["offered"]))
    return held


async def insert_offer(conn: asyncpg.Connection, run_id, order_id, shift_id, worker_id, bid_id, rate_fen: int,
                       expiry_minutes: int, now: datetime) -> tuple[uuid.UUID, datetime]:
    row = await conn.fetchrow(INSERT_OFFER, run_id, order_id, shift_id, worker_id, bid_id, rate_fen, expiry_minutes,
                              now)
    return row["id"], row["expires_at"]


async def insert_assignment(conn: asyncpg.Connection, shift_id: uuid.UUID, worker_id: uuid.UUID,
                            rate_fen: int, now: datetime) -> uuid.UUID:
    return await conn.fetchval(INSERT_ASSIGNMENT, shift_id, worker_id, rate_fen, now)


async def insert_results(conn: asyncpg.Connection, run_id: uuid.UUID, results: list[RunResult]) -> None:
    if not results:
        return
    await conn.execute(INSERT_RESULTS, run_id, [r.order_id for r in results], [r.shift_id for r in results],
                       [r.worker_id for r in results], [r.bid_id for r in results], [r.outcome for r in results],
                       [r.reason for r in results], [r.seats for r in results])


async def results_of_run(conn: asyncpg.Connection, run_id: uuid.UUID,
                         worker_id: uuid.UUID | None = None) -> list[RunResult]:
    return [RunResult(**dict(r)) for r in await conn.fetch(RESULTS_OF_RUN, run_id, worker_id)]


async def is_candidate(conn: asyncpg.Connection, run_id: uuid.UUID, worker_id: uuid.UUID) -> bool:
    return await conn.fetchval(IS_CANDIDATE, run_id, worker_id)


async def choose_bids(conn: asyncpg.Connection, bid_ids: list[uuid.UUID], now: datetime) -> None:
    if bid_ids:
        await conn.execute(CHOOSE_BIDS, bid_ids, now)


async def end_live_bids_not_chosen(conn: asyncpg.Connection, order_id: uuid.UUID, now: datetime) -> tuple[list, list]:
    bids = [(r["id"], r["worker_id"]) for r in await conn.fetch(END_LIVE_BIDS_NOT_CHOSEN, order_id, now)]
    shared = [(r["id"], r["lender_id"]) for r in await conn.fetch(END_LIVE_SHARED_BIDS_NOT_CHOSEN, order_id, now)]
    return bids, shared


async def choose_shared_bids(conn: asyncpg.Connection, bid_ids: list[uuid.UUID], now: datetime) -> None:
    if bid_ids:
        await conn.execute(CHOOSE_SHARED_BIDS, bid_ids, now)


async def latest_bid_reasons(conn: asyncpg.Connection, order_id: uuid.UUID,
                             bid_ids: list[uuid.UUID]) -> dict[uuid.UUID, str | None]:
    return {r["bid_id"]: r["reason"] for r in await conn.fetch(LATEST_BID_REASONS, order_id, bid_ids)}


async def order_fully_held(conn: asyncpg.Connection, order_id: uuid.UUID) -> bool:
    return await conn.fetchval(ORDER_FULLY_HELD, order_id)


async def set_order_state(conn: asyncpg.Connection, order_id: uuid.UUID, state: str, *,
                          now: datetime | None = None) -> None:
    await conn.execute(SET_ORDER_STATE, order_id, state, now)


async def shared_candidates(conn: asyncpg.Connection, order_id: uuid.UUID) -> list[SharedCandidate]:
    return [SharedCandidate(*r) for r in await conn.fetch(SHARED_CANDIDATES, order_id)]


async def held_workers_of_order(conn: asyncpg.Connection, order_id: uuid.UUID) -> set[uuid.UUID]:
    return {r["worker_id"] for r in await conn.fetch(HELD_WORKERS_OF_ORDER, order_id)}


async def shifts_to_staff(conn: asyncpg.Connection, order_id: uuid.UUID, now: datetime) -> list[uuid.UUID]:
    return [r["id"] for r in await conn.fetch(SHIFTS_TO_STAFF, order_id, now)]


def _offer(row: asyncpg.Record) -> OfferView:
    return OfferView(**dict(row))


async def offer_by_id(conn: asyncpg.Connection, offer_id: uuid.UUID, *, for_update: bool = False) -> OfferView | None:
    row = await conn.fetchrow(OFFER_FOR_UPDATE if for_update else OFFER_BY_ID, offer_id)
    return _offer(row) if row else None


async def offers_of_worker(conn: asyncpg.Connection, worker_id: uuid.UUID, state: str | None,
                           after: tuple | None, limit: int) -> list[OfferView]:
    after_at, after_id = after if after else (None, None)
    return [_offer(r) for r in await conn.fetch(OFFERS_OF_WORKER, worker_id, state, after_at, after_id, limit)]


async def offers_of_order(conn: asyncpg.Connection, order_id: uuid.UUID, state: str | None,
                          after: tuple | None, limit: int) -> list[tuple[OfferView, str]]:
    """The order's offers, newest first, each with its worker's name."""
    after_at, after_id = after if after else (None, None)
    rows = await conn.fetch(OFFERS_OF_ORDER, order_id, state, after_at, after_id, limit)
    return [(OfferView(**{k: v for k, v in dict(r).items() if k != "worker_name"}), r["worker_name"]) for r in rows]


@dataclass(frozen=True)
class AcceptLocks:
    offer: OfferView | None
    order_state: str | None  # None: the order was not locked (the offer is not the caller's to accept)
    worker_locked: bool


async def lock_for_accept(conn: asyncpg.Connection, offer_id: uuid.UUID, worker_id: uuid.UUID,
                          now: datetime) -> AcceptLocks:
    row = await conn.fetchrow(LOCK_FOR_ACCEPT, offer_id, worker_id, now)
    if row is None:
        return AcceptLocks(None, None, False)
    offer = OfferView(**{name: row[name] for name in OfferView.__dataclass_fields__})
    return AcceptLocks(offer, row["order_state"], row["worker_locked"])


async def accept_facts(conn: asyncpg.Connection, shift_id: uuid.UUID, worker_id: uuid.UUID, start: datetime,
                       end: datetime) -> tuple[ShiftSeats, list[HeldCommitment]]:
    """The shift's seats (headcount, filled, open) and the seats the worker holds in [start, end)."""
    row = await conn.fetchrow(ACCEPT_FACTS, shift_id, worker_id, start, end)
    return ShiftSeats(row["headcount"], row["filled"], row["open"]), [HeldCommitment(*r) for r in row["held_rows"]]


async def accept_offer(conn: asyncpg.Connection, offer_id: uuid.UUID, assignment_id: uuid.UUID,
                       events: tuple[PreparedEvent, PreparedEvent], now: datetime) -> tuple[OfferView, bool]:
    """Record the acceptance with its two events; the offer as it now is, and whether every open
    seat of its order is held."""
    first, second = events
    row = await conn.fetchrow(ACCEPT_OFFER, offer_id, assignment_id,
                              first.kind, first.payload_json, first.worker_ids, first.organisation_ids,
                              second.kind, second.payload_json, second.worker_ids, second.organisation_ids,
                              NOTIFY_CHANNEL, now)
    return OfferView(**{name: row[name] for name in OfferView.__dataclass_fields__}), row["fully_held"]


async def decide_offer(conn: asyncpg.Connection, offer_id: uuid.UUID, state: str, now: datetime,
                       assignment_id: uuid.UUID | None = None) -> None:
    await conn.execute(DECIDE_OFFER, offer_id, state, assignment_id, now)


async def expire_due_offers(conn: asyncpg.Connection, now: datetime, batch: int) -> list[ExpiredOffer]:
    return [ExpiredOffer(*r) for r in await conn.fetch(EXPIRE_DUE_OFFERS, now, batch)]


async def order_owners(conn: asyncpg.Connection, order_ids: list[uuid.UUID]) -> dict[uuid.UUID, OrderOwner]:
    return {r["id"]: OrderOwner(*r) for r in await conn.fetch(ORDER_OWNERS, order_ids)}


ASSIGNMENT_OF_WORKER = """
SELECT a.id, a.order_id, a.shift_id, a.worker_id, a.organisation_id, a.state, lower(a.period) AS starts_at,
       o.kind, o.title, o.late_cancel_window_minutes
FROM assignments a JOIN orders o ON o.id = a.order_id WHERE a.id = $1
"""
LOCK_ASSIGNMENT = "SELECT state FROM assignments WHERE id = $1 FOR UPDATE"
CHECKED_IN_AT = "SELECT checked_in_at FROM timesheets WHERE assignment_id = $1 FOR UPDATE"
CANCEL_ASSIGNMENT = "UPDATE assignments SET state = 'cancelled', ended_at = $2 WHERE id = $1 AND state = 'active'"


async def assignment_of_worker(conn: asyncpg.Connection, assignment_id: uuid.UUID) -> CancellableAssignment | None:
    row = await conn.fetchrow(ASSIGNMENT_OF_WORKER, assignment_id)
    return CancellableAssignment(*row) if row else None


async def lock_assignment(conn: asyncpg.Connection, assignment_id: uuid.UUID) -> tuple[str, datetime | None]:
    """The assignment's state and check-in time, both rows locked (assignment, then timesheet)."""
    state = await conn.fetchval(LOCK_ASSIGNMENT, assignment_id)
    return state, await conn.fetchval(CHECKED_IN_AT, assignment_id)


async def cancel_assignment(conn: asyncpg.Connection, assignment_id: uuid.UUID, now: datetime) -> None:
    await conn.execute(CANCEL_ASSIGNMENT, assignment_id, now)
