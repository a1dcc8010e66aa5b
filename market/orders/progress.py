"""Orders move on with the clock and the money: `start`, `expire`, `complete`, `settle` (SPEC §3).

`lifecycle.transition` says whether an event is legal; this module decides which event happened,
from the shifts' times and the seats' and settlements' states, in one sweep (`advance`, run by
the settlement sweep, `Settlements.sweep`, every `MARKET_SETTLEMENT_SWEEP_INTERVAL` in serve):

- `start`: an `open` or `filled` order whose first shift has begun with at least one seat held →
  `in_progress` (its unfilled seats are no longer allocated; the order runs with whom it has).
- `expire`: an `open` order whose last shift has begun with no seat ever held → `expired`; its
  live bids end `not_chosen` and pending offers are withdrawn, with no compensation due.
- `complete`: an `in_progress` order whose last shift has ended → `completed`.
- `settle`: a `completed` order with no seat still active and every completed seat settled (or
  approved with no paid time) → `settled`. A refused settlement (below the minimum wage) keeps the
  order `completed`: it is not settled, and the supervisor's alert says why.

Each order changes in its own short transaction under `FOR UPDATE` (lock order: the order first,
as everywhere), and the conditions are re-read under the lock, so concurrent sweeps in several
serve processes move each order once.
"""
from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg

from market.events.outbox import emit
from market.orders.lifecycle import OrderEvent, transition
from market.orders.model import OrderState

BATCH = 500

_DUE = """
SELECT o.id FROM orders o
WHERE o.state = ANY($1::text[])
  AND EXISTS (SELECT 1 FROM shifts s WHERE s.order_id = o.id)
  AND (SELECT {edge} FROM shifts s WHERE s.order_id = o.id) <= $2
ORDER BY o.id LIMIT $3
"""
TO_START = _DUE.format(edge="min(s.starts_at)")
TO_COMPLETE = _DUE.format(edge="max(s.ends_at)")
TO_SETTLE = """
SELECT o.id FROM orders o WHERE o.state = 'completed' AND NOT EXISTS (
    SELECT 1 FROM assignments a WHERE a.order_id = o.id AND (
        a.state = 'active'
        OR (a.state = 'completed'
            AND NOT EXISTS (SELECT 1 FROM settlements st WHERE st.assignment_id = a.id)
            AND NOT EXISTS (SELECT 1 FROM timesheets t WHERE t.assignment_id = a.id AND t.approved_minutes = 0))))
ORDER BY o.id LIMIT $1
"""
ORDER_FACTS = """
SELECT o.state, o.organisation_id, o.district_code, o.title,
       (SELECT min(starts_at) FROM shifts WHERE order_id = o.id) AS first_start,
       (SELECT max(starts_at) FROM shifts WHERE order_id = o.id) AS last_start,
       (SELECT max(ends_at) FROM shifts WHERE order_id = o.id) AS last_end,
       EXISTS (SELECT 1 FROM assignments a WHERE a.order_id = o.id AND a.state IN ('active', 'completed', 'no_show'))
           AS ever_held
FROM orders o WHERE o.id = $1 FOR UPDATE
"""
SET_STATE = "UPDATE orders SET state = $2, updated_at = now() WHERE id = $1"
CLOSE_SHIFTS = "UPDATE shifts SET open = false WHERE order_id = $1 AND open"
END_LIVE_BIDS = "UPDATE bids SET state = 'not_chosen', ended_at = now() WHERE order_id = $1 AND state = 'live'"
END_LIVE_SHARED_BIDS = """
UPDATE shared_bids SET state = 'not_chosen', ended_at = now() WHERE order_id = $1 AND state = 'live'
"""
WITHDRAW_OFFERS = """
UPDATE offers SET state = 'withdrawn', decided_at = now()
WHERE id IN (SELECT id FROM offers WHERE order_id = $1 AND state = 'pending' FOR UPDATE SKIP LOCKED)
"""


async def advance(pool: asyncpg.Pool, now: datetime) -> dict[str, int]:
    """One sweep; returns how many orders took each event."""
    moved = {"started": 0, "expired": 0, "completed": 0, "settled": 0}
    async with pool.acquire() as conn:
        due_start = await conn.fetch(TO_START, ["open", "filled"], now, BATCH)
    for row in due_start:
        event = await _in_transaction(pool, row["id"], now, _start_or_expire)
        if event:
            moved["started" if event is OrderEvent.start else "expired"] += 1
    async with pool.acquire() as conn:
        due_complete = await conn.fetch(TO_COMPLETE, ["in_progress"], now, BATCH)
    for row in due_complete:
        moved["completed"] += bool(await _in_transaction(pool, row["id"], now, _complete))
    async with pool.acquire() as conn:
        due_settle = await conn.fetch(TO_SETTLE, BATCH)
    for row in due_settle:
        moved["settled"] += bool(await _in_transaction(pool, row["id"], now, _settle))
    return moved


async def _in_transaction(pool: asyncpg.Pool, order_id: uuid.UUID, now: datetime, step) -> OrderEvent | None:
    async with pool.acquire() as conn, conn.transaction():
        facts = await conn.fetchrow(ORDER_FACTS, order_id)
        event = step(facts, now) if facts else None
        if event is None:
            return None
        await _apply(conn, order_id, facts, event)
        return event


def _start_or_expire(facts: asyncpg.Record, now: datetime) -> OrderEvent | None:
    if facts["state"] not in ("open", "filled") or facts["first_start"] > now:
        return None
    if facts["ever_held"]:
        return OrderEvent.start
    return OrderEvent.expire if facts["state"] == "open" and facts["last_start"] <= now else None


def _complete(facts: asyncpg.Record, now: datetime) -> OrderEvent | None:
    return OrderEvent.complete if facts["state"] == "in_progress" and facts["last_end"] <= now else None


def _settle(facts: asyncpg.Record, now: datetime) -> OrderEvent | None:
    # TO_SETTLE chose it; under the lock only the state can have changed (settlements only grow).
    return OrderEvent.settle if facts["state"] == "completed" else None


async def _apply(conn: asyncpg.Connection, order_id: uuid.UUID, facts: asyncpg.Record, event: OrderEvent) -> None:
    state = transition(OrderState(facts["state"]), event)
    await conn.execute(SET_STATE, order_id, state.value)
    if event is OrderEvent.expire:
        await conn.execute(CLOSE_SHIFTS, order_id)
        await conn.execute(END_LIVE_BIDS, order_id)
        await conn.execute(END_LIVE_SHARED_BIDS, order_id)
        await conn.execute(WITHDRAW_OFFERS, order_id)
    await emit(conn, f"order.{state.value}", {"order_id": str(order_id), "title": facts["title"]},
               organisation_ids=[facts["organisation_id"]], district_code=facts["district_code"])
