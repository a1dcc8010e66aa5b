"""Who may see, bid on and be allocated an order, beyond its fit: blocks, hidden employers and the
private pool (docs/favourites.md). The SQL conditions here are the one place these are written;
the feed and its reverse (market/feed FITS), bids (market/bids) and allocation (market/allocation)
all read them, so the feed, the live stream, bidding and allocation agree by construction.

- A pair (employer, worker) is *closed* when the employer blocked the worker (worker_relations,
  kind 'blocked') or the worker hid the employer (hidden_employers). A closed pair never sees,
  bids or is allocated.
- An order with a favourites-first window (orders.pool_until in the future) admits only its pool
  members (order_pool_members, whatever their source) until then; after it, everyone.

The pool is generic: the employer's favourites at posting ('favourite'), the workers of the
original order of a "book again" ('book_again'), an agency's own workers ('agency') all go into
order_pool_members, inserted at posting by `add_pool_members` (or by any later writer)."""
from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import asyncpg

POOL_SOURCES = ("favourite", "book_again", "agency")
MAX_POOL_MINUTES = 7 * 24 * 60


def pair_open(worker: str, organisation: str) -> str:
    """SQL: neither a block by the employer `organisation` of `worker` nor a hide the other way."""
    return f"""(NOT EXISTS (SELECT 1 FROM worker_relations wr WHERE wr.organisation_id = {organisation}
                           AND wr.worker_id = {worker} AND wr.kind = 'blocked')
     AND NOT EXISTS (SELECT 1 FROM hidden_employers he WHERE he.worker_id = {worker}
                       AND he.organisation_id = {organisation}))"""


def pool_admits(order: str, worker: str, now: str) -> str:
    """SQL: the order `order` (an alias of orders) admits `worker` at `now`: no window, the window
    over, or the worker in its pool."""
    return f"""({order}.pool_until IS NULL OR {order}.pool_until <= {now}
     OR EXISTS (SELECT 1 FROM order_pool_members pm WHERE pm.order_id = {order}.id AND pm.worker_id = {worker}))"""


@dataclass(frozen=True)
class PrivatePool:
    """A favourites-first window asked for at posting: `minutes` long, its members the employer's
    favourites (when `favourites`) and `members` (worker id, source) given by the caller."""

    minutes: int
    favourites: bool = True
    members: tuple[tuple[uuid.UUID, str], ...] = field(default_factory=tuple)


ADD_FAVOURITES = """
INSERT INTO order_pool_members (order_id, worker_id, source, created_at)
SELECT $1, wr.worker_id, 'favourite', $3 FROM worker_relations wr
WHERE wr.organisation_id = $2 AND wr.kind = 'favourite'
ON CONFLICT DO NOTHING
"""
ADD_MEMBERS = """
INSERT INTO order_pool_members (order_id, worker_id, source, created_at)
SELECT $1, m.worker_id, m.source, $4 FROM unnest($2::uuid[], $3::text[]) AS m (worker_id, source)
JOIN workers w ON w.id = m.worker_id
ON CONFLICT DO NOTHING
"""
SET_WINDOW = "UPDATE orders SET pool_until = $2 WHERE id = $1"
POOL_SIZE = "SELECT count(*) FROM order_pool_members WHERE order_id = $1"
# The guard a bid takes (in its transaction, after the pair's lock): why the worker may not bid on
# the order now, or NULL.
PAIR_REFUSAL = """
SELECT CASE
    WHEN EXISTS (SELECT 1 FROM worker_relations wr WHERE wr.organisation_id = o.organisation_id
                   AND wr.worker_id = $2 AND wr.kind = 'blocked') THEN 'blocked'
    WHEN EXISTS (SELECT 1 FROM hidden_employers he WHERE he.worker_id = $2
                   AND he.organisation_id = o.organisation_id) THEN 'hidden'
    WHEN NOT """ + pool_admits("o", "$2", "$3") + """ THEN 'private_pool'
END FROM orders o WHERE o.id = $1
"""
# Why a worker may not bid on an order (or go on standby for its shift), beyond the rules: the
# answers of PAIR_REFUSAL.
PAIR_REFUSALS = {
    "blocked": "this employer does not take bids from you",
    "hidden": "you have hidden this employer (DELETE /v1/workers/me/hidden-employers/{organisation_id} to bid)",
    "private_pool": "this order is offered to the employer's pool first; it opens to everyone at pool_until",
}
# One lock per (employer, worker) pair, taken by whatever changes a pair's standing (a block, a
# hide: exclusive) and by a bid (shared), held to the end of the transaction (docs/favourites.md).
LOCK_PAIR = "SELECT pg_advisory_xact_lock(hashtextextended($1::uuid::text || '/' || $2::uuid::text, 18))"
LOCK_PAIR_SHARED = "SELECT pg_advisory_xact_lock_shared(hashtextextended($1::uuid::text || '/' || $2::uuid::text, 18))"


async def add_pool_members(conn: asyncpg.Connection, order_id: uuid.UUID, organisation_id: uuid.UUID,
                           pool: PrivatePool, now: datetime) -> int:
    """Materialise the pool of a new order and open its window; the pool's size. An empty pool
    opens no window (there is nobody to offer it to first)."""
    if pool.favourites:
        await conn.execute(ADD_FAVOURITES, order_id, organisation_id, now)
    if pool.members:
        await conn.execute(ADD_MEMBERS, order_id, [m[0] for m in pool.members], [m[1] for m in pool.members], now)
    size = await conn.fetchval(POOL_SIZE, order_id)
    if size:
        await conn.execute(SET_WINDOW, order_id, now + timedelta(minutes=pool.minutes))
    return size


async def pair_refusal(conn: asyncpg.Connection, order_id: uuid.UUID, worker_id: uuid.UUID,
                       now: datetime) -> str | None:
    return await conn.fetchval(PAIR_REFUSAL, order_id, worker_id, now)


async def lock_pair(conn: asyncpg.Connection, organisation_id: uuid.UUID, worker_id: uuid.UUID, *,
                    shared: bool = False) -> None:
    await conn.execute(LOCK_PAIR_SHARED if shared else LOCK_PAIR, organisation_id, worker_id)


def sources_valid(sources: Iterable[str]) -> bool:
    return all(s in POOL_SOURCES for s in sources)
