"""SQL of bids: a worker's on gig shifts, a lender's on shared orders with the consent it asks of
each employee it names, and the functions that run it (taking a connection, returning the
records of model.py)."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from market.bids.model import (
    ActiveEmployment,
    BidFacts,
    StoredBid,
    StoredConsent,
    StoredSharedBid,
)
from market.certificates.queries import SKILL_VALID_UNTIL
from market.events.queries import NOTIFY_CHANNEL
from market.orders.model import WorkerSkill
from market.orders.queries import ORDER_COLUMNS, order_of_row
from market.orders.records import HeldSpan, PreparedEvent

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
ARRAY(SELECT ROW(ws.skill_code, ws.level, """ + SKILL_VALID_UNTIL.format(
    worker="ws.worker_id", skill="ws.skill_code") + """) FROM worker_skills ws WHERE ws.worker_id = $2)
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


# Shared bids and the consents they ask
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
# A supervisor alert (docs/supervision.md): a lender's fee above the wage and its social insurance.
INSERT_ALERT = """
INSERT INTO alerts (kind, district_code, organisation_id, order_id, business_key, details, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (business_key) DO NOTHING
"""


def _bid(row: asyncpg.Record) -> StoredBid:
    return StoredBid(**dict(row))


async def bid_by_id(conn: asyncpg.Connection, bid_id: uuid.UUID) -> StoredBid | None:
    row = await conn.fetchrow(BID_BY_ID, bid_id)
    return _bid(row) if row else None


async def withdraw_bid(conn: asyncpg.Connection, bid_id: uuid.UUID, worker_id: uuid.UUID) -> bool:
    return await conn.fetchval(WITHDRAW_BID, bid_id, worker_id) is not None


async def bids_of_order(conn: asyncpg.Connection, order_id: uuid.UUID, state: str | None,
                        after: tuple[datetime, uuid.UUID] | None, limit: int) -> list[StoredBid]:
    after_at, after_id = after if after else (None, None)
    return [_bid(r) for r in await conn.fetch(BIDS_OF_ORDER, order_id, state, after_at, after_id, limit)]


async def bids_of_worker(conn: asyncpg.Connection, worker_id: uuid.UUID, state: str | None,
                         after: tuple[datetime, uuid.UUID] | None, limit: int) -> list[StoredBid]:
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
    return BidFacts(order=order_of_row(row), worker_skills=tuple(WorkerSkill(*r) for r in row["worker_skill_rows"]),
                    held=tuple(HeldSpan(*r) for r in row["held_rows"]),
                    relationship_types=tuple(row["worker_relationship_types"] or ()))


async def place_bids(conn: asyncpg.Connection, order_id: uuid.UUID, worker_id: uuid.UUID,
                     bids: dict[uuid.UUID, uuid.UUID], rate_fen: int, note: str, event: PreparedEvent,
                     now: datetime) -> list[StoredBid]:
    """Insert the bids (new bid id → shift id) replacing the worker's live ones, and the outbox row
    of `event`, in one statement (PLACE_BIDS); the stored bids in the order given."""
    rows = await conn.fetch(PLACE_BIDS, order_id, list(bids.values()), worker_id, rate_fen, note, list(bids.keys()),
                            event.kind, event.payload_json, event.worker_ids, event.organisation_ids, NOTIFY_CHANNEL,
                            now)
    return [_bid(r) for r in rows]


async def employments_by_id(conn: asyncpg.Connection, ids: list[uuid.UUID]) -> dict[uuid.UUID, ActiveEmployment]:
    return {r["id"]: ActiveEmployment(**dict(r)) for r in await conn.fetch(ACTIVE_EMPLOYMENTS, ids)}


async def insert_shared_bid(conn: asyncpg.Connection, order_id: uuid.UUID, lender_id: uuid.UUID,
                            borrower_id: uuid.UUID, fee_fen: int, note: str, now: datetime) -> uuid.UUID:
    """Replace the lender's live bid on the order (its pending consents are withdrawn) with a new one."""
    replaced = [r["id"] for r in await conn.fetch(WITHDRAW_LIVE_SHARED_BID, order_id, lender_id, now)]
    if replaced:
        await conn.execute(WITHDRAW_CONSENTS_OF_BIDS, replaced, now)
    return await conn.fetchval(INSERT_SHARED_BID, order_id, lender_id, borrower_id, fee_fen, note, now)


async def insert_consents(conn: asyncpg.Connection, shared_bid_id: uuid.UUID,
                          rows: list[tuple[uuid.UUID, uuid.UUID, int]], now: datetime) -> None:
    """One pending consent per (employment id, worker id, hourly wage) named by the bid."""
    await conn.executemany(INSERT_CONSENT, [(shared_bid_id, *row, now) for row in rows])


def consent_of_row(row: asyncpg.Record) -> StoredConsent:
    """A consent from a row of CONSENT_COLUMNS."""
    return StoredConsent(**dict(row))


async def _with_consents(conn: asyncpg.Connection, rows: list[asyncpg.Record]) -> list[StoredSharedBid]:
    consents: dict[uuid.UUID, list[StoredConsent]] = {}
    for r in await conn.fetch(CONSENTS_OF_BIDS, [row["id"] for row in rows]):
        consents.setdefault(r["shared_bid_id"], []).append(consent_of_row(r))
    return [StoredSharedBid(**dict(row), consents=tuple(consents.get(row["id"], ()))) for row in rows]


async def shared_bid_by_id(conn: asyncpg.Connection, bid_id: uuid.UUID) -> StoredSharedBid | None:
    row = await conn.fetchrow(SHARED_BID_BY_ID, bid_id)
    return (await _with_consents(conn, [row]))[0] if row else None


async def shared_bids_of_order(conn: asyncpg.Connection, order_id: uuid.UUID,
                               state: str | None) -> list[StoredSharedBid]:
    return await _with_consents(conn, await conn.fetch(SHARED_BIDS_OF_ORDER, order_id, state))


async def withdraw_shared_bid(conn: asyncpg.Connection, bid_id: uuid.UUID, lender_id: uuid.UUID) -> bool:
    withdrawn = await conn.fetchval(WITHDRAW_SHARED_BID, bid_id, lender_id)
    if withdrawn is not None:
        await conn.execute(WITHDRAW_CONSENTS_OF_BIDS, [bid_id], None)
    return withdrawn is not None


async def insert_alert(conn: asyncpg.Connection, kind: str, district_code: str, organisation_id: uuid.UUID,
                       order_id: uuid.UUID, business_key: str, details: dict[str, Any], now: datetime) -> None:
    """A supervisor alert (docs/supervision.md), once per business key."""
    await conn.execute(INSERT_ALERT, kind, district_code, organisation_id, order_id, business_key, details, now)
