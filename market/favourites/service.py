"""Favourites, blocks, hidden employers, the favourites-first sweep and "book again"
(docs/favourites.md). Owns its transactions; SQL is queries.py's (and, for the conditions every
reader shares, market/orders/pool.py's).

Races, decided: a block (or hide) and a bid of the same pair serialise on the pair's advisory lock
(exclusive here, shared in the bid's transaction); the bid is refused when the block committed
first, and withdrawn by the block when the bid committed first. A block and an allocation run's
commit serialise on the worker's row lock (the run's LOCK_WORKERS): the run reads the pair's
standing after that lock, so it refuses a blocked pair, or the block, waiting for the run,
withdraws the offer the run made."""
from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from decimal import Decimal

import asyncpg

from market.errors import Conflict, NotFound
from market.events.outbox import emit
from market.favourites import queries
from market.favourites.model import HiddenEmployer, Relation, RelationKind
from market.kernel import clock
from market.kernel.clock import local_date
from market.kernel.principal import Principal
from market.orders import model as order_model
from market.orders.model import OrderKind
from market.orders.pool import PrivatePool, lock_pair
from market.orders.records import StoredOrder
from market.orders.service import Orders, PostingOptions, own_order

# Windows announced per sweep round (the rest wait for the next round).
SWEEP_BATCH = 200

# What a feature above does when a pair closes, in the closing transaction (after the pair's
# advisory lock and the worker's row lock): (conn, organisation id, worker id, why, now), why
# 'blocked' or 'hidden'. Standby withdraws the worker's standbys on the employer's shifts
# (market/standby/wiring.py registers it; favourites cannot import standby, a layer above).
PairClosed = Callable[[asyncpg.Connection, uuid.UUID, uuid.UUID, str, datetime], Awaitable[None]]


class Favourites:
    def __init__(self, pool: asyncpg.Pool, orders: Orders) -> None:
        self.pool = pool
        self.orders = orders
        self.on_pair_closed: list[PairClosed] = []

    # ---- the employer's relations -----------------------------------------------------------------

    async def set_relation(self, caller: Principal, worker_id: uuid.UUID, kind: RelationKind, reason: str, *,
                           now: datetime | None = None) -> Relation:
        now = clock.now(now)
        organisation_id = _org(caller)
        async with self.pool.acquire() as conn, conn.transaction():
            if not await queries.dealt_with(conn, worker_id, organisation_id):
                raise NotFound("no such worker among those who bid on, were offered or worked your orders")
            await queries.lock_worker(conn, worker_id)
            await lock_pair(conn, organisation_id, worker_id)
            relation = await queries.upsert_relation(conn, organisation_id, worker_id, kind, reason, now)
            if kind is RelationKind.blocked:
                await self._close_pair(conn, organisation_id, worker_id, "blocked", now)
            return relation

    async def relation(self, caller: Principal, worker_id: uuid.UUID) -> Relation:
        async with self.pool.acquire() as conn:
            found = await queries.relation(conn, _org(caller), worker_id)
        if found is None:
            raise NotFound("no favourite or block for this worker")
        return found

    async def clear_relation(self, caller: Principal, worker_id: uuid.UUID) -> None:
        async with self.pool.acquire() as conn, conn.transaction():
            await lock_pair(conn, _org(caller), worker_id)
            if not await queries.delete_relation(conn, _org(caller), worker_id):
                raise NotFound("no favourite or block for this worker")

    async def relations(self, caller: Principal, kind: RelationKind | None,
                        after: tuple[datetime, uuid.UUID] | None, limit: int) -> list[Relation]:
        async with self.pool.acquire() as conn:
            return await queries.relations(conn, _org(caller), kind, after, limit)

    # ---- the worker's hidden employers ------------------------------------------------------------

    async def hide(self, caller: Principal, organisation_id: uuid.UUID, *,
                   now: datetime | None = None) -> HiddenEmployer:
        now = clock.now(now)
        worker_id = _worker(caller)
        async with self.pool.acquire() as conn, conn.transaction():
            if not await queries.organisation_exists(conn, organisation_id):
                raise NotFound("no such organisation")
            await queries.lock_worker(conn, worker_id)
            await lock_pair(conn, organisation_id, worker_id)
            hidden = await queries.insert_hide(conn, worker_id, organisation_id, now)
            await self._close_pair(conn, organisation_id, worker_id, "hidden", now)
            return hidden

    async def unhide(self, caller: Principal, organisation_id: uuid.UUID) -> None:
        async with self.pool.acquire() as conn, conn.transaction():
            await lock_pair(conn, organisation_id, _worker(caller))
            if not await queries.delete_hide(conn, _worker(caller), organisation_id):
                raise NotFound("you have not hidden this organisation")

    async def hidden(self, caller: Principal, after: tuple[datetime, uuid.UUID] | None,
                     limit: int) -> list[HiddenEmployer]:
        async with self.pool.acquire() as conn:
            return await queries.hides(conn, _worker(caller), after, limit)

    async def _close_pair(self, conn: asyncpg.Connection, organisation_id: uuid.UUID, worker_id: uuid.UUID,
                          why: str, now: datetime) -> None:
        """A closed pair's live bids and pending offers end with it, and what the features above
        registered in `on_pair_closed` runs (standby: the worker's standbys on the employer's
        shifts are withdrawn). The employer hears of each bid withdrawn; nothing names the block
        to the worker (their offer is simply withdrawn)."""
        bids, _offers = await queries.withdraw_pair(conn, organisation_id, worker_id, now)
        for bid_id, order_id in bids:
            await emit(conn, "bid.withdrawn", {"order_id": str(order_id), "bid_id": str(bid_id)},
                       organisation_ids=[organisation_id])
        for closed in self.on_pair_closed:
            await closed(conn, organisation_id, worker_id, why, now)

    # ---- the favourites-first window ----------------------------------------------------------------

    async def open_ended_windows(self, *, now: datetime | None = None) -> int:
        """Announce the orders whose favourites-first window ended: one `shift.opened` per open
        shift (pool_opened: to everyone the shift fits but the pool). Each order is claimed by a
        conditional UPDATE in the announcing transaction: once, whatever the number of sweepers."""
        now = clock.now(now)
        async with self.pool.acquire() as conn, conn.transaction():
            windows = await queries.claim_ended_windows(conn, now, SWEEP_BATCH)
            for window in windows:
                for s in await queries.open_shifts(conn, window.order_id, now):
                    await emit(conn, "shift.opened", {
                        "order_id": str(window.order_id), "shift_id": str(s["id"]), "title": s["title"],
                        "start": s["starts_at"], "end": s["ends_at"], "headcount": s["headcount"],
                        "district_code": s["district_code"], "hourly_equivalent_fen": s["hourly_equivalent_fen"],
                        "relationship": s["relationship_type"], "shift_date": local_date(s["starts_at"]).isoformat(),
                        "pool_opened": True}, district_code=window.district_code)
            return len(windows)

    # ---- book again ----------------------------------------------------------------------------------

    async def book_again(self, caller: Principal, order_id: uuid.UUID, shifts: list[order_model.Shift], *,
                         pool_minutes: int, include_favourites: bool, bid_deadline: datetime | None,
                         now: datetime | None = None) -> tuple[StoredOrder, list[tuple[uuid.UUID, str]]]:
        """Post the terms of one of the caller's gig orders on new shifts, through the orders
        service's posting (every rule, on the new dates), with the workers who worked it in the new
        order's pool first (source 'book_again'). The new order and its pool."""
        async with self.pool.acquire() as conn:
            original = await own_order(conn, caller, order_id)
            if original.kind is not OrderKind.gig:
                raise Conflict("only a gig order can be booked again; post a shared order anew",
                               current_state=original.kind.value)
            workers = await queries.workers_of_order(conn, order_id)
        order = order_model.GigOrder(
            employer_id=_org(caller), relationship=original.relationship, shifts=tuple(shifts),
            pay=original.pay, daily=original.daily, title=original.title, district_code=original.district_code,
            site=original.site, skills=original.skills, description=original.description,
            allocation_mode=original.allocation_mode, bid_deadline=bid_deadline,
            late_cancel=order_model.LateCancelPolicy(
                window_hours=Decimal(original.late_cancel_window_minutes) / 60,
                compensation_hours=Decimal(original.late_cancel_compensation_minutes) / 60),
            sector_code=original.sector_code)
        pool = PrivatePool(pool_minutes, favourites=include_favourites,
                           members=tuple((w, "book_again") for w in workers))
        # The same site as the original (a site manager books their own site's order again).
        stored = await self.orders.post(caller, order, PostingOptions(original.offer_expiry_minutes), now=now,
                                        pool=pool, site_id=original.site_id)
        async with self.pool.acquire() as conn:
            return stored, await queries.pool_of_order(conn, stored.id)

    async def pool_of(self, caller: Principal, order_id: uuid.UUID) -> tuple[StoredOrder, list[tuple[uuid.UUID, str]]]:
        async with self.pool.acquire() as conn:
            order = await own_order(conn, caller, order_id)
            return order, await queries.pool_of_order(conn, order_id)


def _org(caller: Principal) -> uuid.UUID:
    assert caller.organisation_id is not None, "an employer principal names an organisation"
    return caller.organisation_id


def _worker(caller: Principal) -> uuid.UUID:
    assert caller.worker_id is not None, "a worker principal names a worker"
    return caller.worker_id


__all__ = ["Favourites"]
