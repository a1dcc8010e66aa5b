"""All the SQL of favourites, blocks, hidden employers, the pool sweep and "book again"."""
from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg

from market.favourites.model import HiddenEmployer, OpenedWindow, Relation, RelationKind

# The same lock allocation's commit takes on a chosen worker (allocation/queries.LOCK_WORKERS): a
# block waits for a run committing that worker's offer, or the run waits for the block.
LOCK_WORKER = "SELECT id FROM workers WHERE id = $1 FOR NO KEY UPDATE"
# An employer relates only to workers it has dealt with: a bid on, an offer of or a seat of one of
# its orders (a worker's name is not handed to any employer who knows an id).
DEALT_WITH = """
SELECT EXISTS (SELECT 1 FROM assignments a WHERE a.worker_id = $1 AND a.organisation_id = $2)
    OR EXISTS (SELECT 1 FROM bids b JOIN orders o ON o.id = b.order_id WHERE b.worker_id = $1 AND o.organisation_id = $2)
    OR EXISTS (SELECT 1 FROM offers f JOIN orders o ON o.id = f.order_id WHERE f.worker_id = $1 AND o.organisation_id = $2)
"""
ORGANISATION_EXISTS = "SELECT EXISTS (SELECT 1 FROM organisations WHERE id = $1)"
RELATION_COLUMNS = """r.organisation_id, r.worker_id, w.name AS worker_name, r.kind, r.reason, r.created_at,
       r.updated_at"""
UPSERT_RELATION = """
WITH up AS (
    INSERT INTO worker_relations (organisation_id, worker_id, kind, reason, created_at, updated_at)
    VALUES ($1, $2, $3, $4, $5, $5)
    ON CONFLICT (organisation_id, worker_id) DO UPDATE
        SET kind = EXCLUDED.kind, reason = EXCLUDED.reason, updated_at = EXCLUDED.updated_at,
            created_at = CASE WHEN worker_relations.kind = EXCLUDED.kind THEN worker_relations.created_at
                              ELSE EXCLUDED.created_at END
    RETURNING *
)
SELECT """ + RELATION_COLUMNS + " FROM up r JOIN workers w ON w.id = r.worker_id"
RELATION = "SELECT " + RELATION_COLUMNS + """ FROM worker_relations r JOIN workers w ON w.id = r.worker_id
WHERE r.organisation_id = $1 AND r.worker_id = $2"""
DELETE_RELATION = "DELETE FROM worker_relations WHERE organisation_id = $1 AND worker_id = $2 RETURNING kind"
RELATIONS = "SELECT " + RELATION_COLUMNS + """ FROM worker_relations r JOIN workers w ON w.id = r.worker_id
WHERE r.organisation_id = $1 AND ($2::text IS NULL OR r.kind = $2)
  AND ($3::timestamptz IS NULL OR (r.created_at, r.worker_id) < ($3, $4::uuid))
ORDER BY r.created_at DESC, r.worker_id DESC LIMIT $5"""
# A closed pair's live bids and pending offers end with the block (or hide) that closes it.
WITHDRAW_LIVE_BIDS = """
UPDATE bids b SET state = 'withdrawn', ended_at = $3
FROM orders o WHERE o.id = b.order_id AND o.organisation_id = $1 AND b.worker_id = $2 AND b.state = 'live'
RETURNING b.id, b.order_id
"""
WITHDRAW_PENDING_OFFERS = """
UPDATE offers f SET state = 'withdrawn', decided_at = $3
FROM orders o WHERE o.id = f.order_id AND o.organisation_id = $1 AND f.worker_id = $2 AND f.state = 'pending'
RETURNING f.id
"""
INSERT_HIDE = """
INSERT INTO hidden_employers (worker_id, organisation_id, created_at) VALUES ($1, $2, $3)
ON CONFLICT DO NOTHING
"""
HIDE = """SELECT h.organisation_id, g.name, h.created_at FROM hidden_employers h
JOIN organisations g ON g.id = h.organisation_id WHERE h.worker_id = $1 AND h.organisation_id = $2"""
DELETE_HIDE = "DELETE FROM hidden_employers WHERE worker_id = $1 AND organisation_id = $2 RETURNING 1"
HIDES = """SELECT h.organisation_id, g.name, h.created_at FROM hidden_employers h
JOIN organisations g ON g.id = h.organisation_id
WHERE h.worker_id = $1 AND ($2::timestamptz IS NULL OR (h.created_at, h.organisation_id) < ($2, $3::uuid))
ORDER BY h.created_at DESC, h.organisation_id DESC LIMIT $4"""
# The sweep: windows ended and not yet announced, claimed by a conditional UPDATE (SKIP LOCKED: two
# serve processes take disjoint rows, and a row claimed is never claimed again).
CLAIM_ENDED_WINDOWS = """
UPDATE orders o SET pool_opened_at = $1
WHERE o.id IN (SELECT id FROM orders WHERE pool_until <= $1 AND pool_opened_at IS NULL
               ORDER BY pool_until LIMIT $2 FOR UPDATE SKIP LOCKED)
  AND o.pool_opened_at IS NULL
RETURNING o.id, o.organisation_id, o.district_code
"""
# The open shifts of an order whose window ended (what the feed could list from now on).
OPEN_SHIFTS = """
SELECT s.id, s.starts_at, s.ends_at, s.headcount, o.title, o.district_code, o.hourly_equivalent_fen,
       o.relationship_type
FROM shifts s JOIN orders o ON o.id = s.order_id
WHERE s.order_id = $1 AND s.open AND s.filled < s.headcount AND s.starts_at > $2
  AND o.kind = 'gig' AND o.state IN ('open', 'allocating')
ORDER BY s.starts_at, s.id
"""
# "Book again": who worked the original order (held or completed seats).
WORKERS_OF_ORDER = """
SELECT DISTINCT a.worker_id FROM assignments a WHERE a.order_id = $1 AND a.state IN ('active', 'completed')
"""
# The demo's regulars: per employer, its workers by completed seats of its gig orders, most first
# (ties by id, so one seed picks the same).
REGULARS = """
SELECT a.organisation_id, a.worker_id, count(*) AS seats
FROM assignments a JOIN orders o ON o.id = a.order_id
WHERE a.state = 'completed' AND o.kind = 'gig'
GROUP BY a.organisation_id, a.worker_id
ORDER BY a.organisation_id, count(*) DESC, a.worker_id
"""
POOL_OF_ORDER = """
SELECT pm.worker_id, pm.source FROM order_pool_members pm WHERE pm.order_id = $1 ORDER BY pm.source, pm.worker_id
"""


def _relation(r: asyncpg.Record) -> Relation:
    return Relation(r["organisation_id"], r["worker_id"], r["worker_name"], RelationKind(r["kind"]), r["reason"],
                    r["created_at"], r["updated_at"])


async def lock_worker(conn: asyncpg.Connection, worker_id: uuid.UUID) -> bool:
    return await conn.fetchval(LOCK_WORKER, worker_id) is not None


async def dealt_with(conn: asyncpg.Connection, worker_id: uuid.UUID, organisation_id: uuid.UUID) -> bool:
    return await conn.fetchval(DEALT_WITH, worker_id, organisation_id)


async def organisation_exists(conn: asyncpg.Connection, organisation_id: uuid.UUID) -> bool:
    return await conn.fetchval(ORGANISATION_EXISTS, organisation_id)


async def upsert_relation(conn: asyncpg.Connection, organisation_id: uuid.UUID, worker_id: uuid.UUID,
                          kind: RelationKind, reason: str, now: datetime) -> Relation:
    return _relation(await conn.fetchrow(UPSERT_RELATION, organisation_id, worker_id, kind.value, reason, now))


async def relation(conn: asyncpg.Connection, organisation_id: uuid.UUID, worker_id: uuid.UUID) -> Relation | None:
    row = await conn.fetchrow(RELATION, organisation_id, worker_id)
    return _relation(row) if row else None


async def delete_relation(conn: asyncpg.Connection, organisation_id: uuid.UUID, worker_id: uuid.UUID) -> bool:
    return await conn.fetchval(DELETE_RELATION, organisation_id, worker_id) is not None


async def relations(conn: asyncpg.Connection, organisation_id: uuid.UUID, kind: RelationKind | None,
                    after: tuple[datetime, uuid.UUID] | None, limit: int) -> list[Relation]:
    at, worker_id = after if after else (None, None)
    return [_relation(r) for r in await conn.fetch(RELATIONS, organisation_id, kind.value if kind else None, at,
                                                   worker_id, limit)]


async def withdraw_pair(conn: asyncpg.Connection, organisation_id: uuid.UUID, worker_id: uuid.UUID,
                        now: datetime) -> tuple[list[tuple[uuid.UUID, uuid.UUID]], list[uuid.UUID]]:
    """End the pair's live bids ((bid id, order id)) and pending offers (ids)."""
    bids = [(r["id"], r["order_id"]) for r in await conn.fetch(WITHDRAW_LIVE_BIDS, organisation_id, worker_id, now)]
    offers = [r["id"] for r in await conn.fetch(WITHDRAW_PENDING_OFFERS, organisation_id, worker_id, now)]
    return bids, offers


async def insert_hide(conn: asyncpg.Connection, worker_id: uuid.UUID, organisation_id: uuid.UUID,
                      now: datetime) -> HiddenEmployer:
    await conn.execute(INSERT_HIDE, worker_id, organisation_id, now)
    return HiddenEmployer(*await conn.fetchrow(HIDE, worker_id, organisation_id))


async def delete_hide(conn: asyncpg.Connection, worker_id: uuid.UUID, organisation_id: uuid.UUID) -> bool:
    return await conn.fetchval(DELETE_HIDE, worker_id, organisation_id) is not None


async def hides(conn: asyncpg.Connection, worker_id: uuid.UUID, after: tuple[datetime, uuid.UUID] | None,
                limit: int) -> list[HiddenEmployer]:
    at, organisation_id = after if after else (None, None)
    return [HiddenEmployer(*r) for r in await conn.fetch(HIDES, worker_id, at, organisation_id, limit)]


async def claim_ended_windows(conn: asyncpg.Connection, now: datetime, limit: int) -> list[OpenedWindow]:
    return [OpenedWindow(*r) for r in await conn.fetch(CLAIM_ENDED_WINDOWS, now, limit)]


async def open_shifts(conn: asyncpg.Connection, order_id: uuid.UUID, now: datetime) -> list[asyncpg.Record]:
    return await conn.fetch(OPEN_SHIFTS, order_id, now)


async def workers_of_order(conn: asyncpg.Connection, order_id: uuid.UUID) -> list[uuid.UUID]:
    return [r["worker_id"] for r in await conn.fetch(WORKERS_OF_ORDER, order_id)]


async def pool_of_order(conn: asyncpg.Connection, order_id: uuid.UUID) -> list[tuple[uuid.UUID, str]]:
    return [(r["worker_id"], r["source"]) for r in await conn.fetch(POOL_OF_ORDER, order_id)]


async def regulars(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    return await conn.fetch(REGULARS)
