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
serve processes move each order once. An order whose step fails (a row written around the API, say
a shift time past what Python can read) is logged with its id and passed over: the sweep goes on
with every other order, and the failure is counted (`failed`).
"""
from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import datetime

import asyncpg

from market.background import raise_if_cancelled
from market.events.outbox import emit
from market.orders import queries
from market.orders.lifecycle import OrderEvent, transition
from market.orders.model import OrderState
from market.orders.records import OrderProgress

log = logging.getLogger(__name__)

BATCH = 500


async def advance(pool: asyncpg.Pool, now: datetime) -> dict[str, int]:
    """One sweep; returns how many orders took each event."""
    moved = {"started": 0, "expired": 0, "completed": 0, "settled": 0, "failed": 0}
    async with pool.acquire() as conn:
        due_start = await queries.orders_to_start(conn, now, BATCH)
    for order_id in due_start:
        event = await _in_transaction(pool, order_id, now, _start_or_expire, moved)
        if event:
            moved["started" if event is OrderEvent.start else "expired"] += 1
    async with pool.acquire() as conn:
        due_complete = await queries.orders_to_complete(conn, now, BATCH)
    for order_id in due_complete:
        moved["completed"] += bool(await _in_transaction(pool, order_id, now, _complete, moved))
    async with pool.acquire() as conn:
        due_settle = await queries.orders_to_settle(conn, BATCH)
    for order_id in due_settle:
        moved["settled"] += bool(await _in_transaction(pool, order_id, now, _settle, moved))
    return moved


Step = Callable[[OrderProgress, datetime], OrderEvent | None]


async def _in_transaction(pool: asyncpg.Pool, order_id: uuid.UUID, now: datetime, step: Step,
                          moved: dict[str, int]) -> OrderEvent | None:
    try:
        async with pool.acquire() as conn, conn.transaction():
            facts = await queries.progress_of_order(conn, order_id)
            event = step(facts, now) if facts else None
            if event is None:
                return None
            await _apply(conn, order_id, facts, event, now)
            return event
    except (OSError, asyncpg.InterfaceError, asyncpg.PostgresConnectionError):
        raise  # the database is away: the whole sweep fails and is retried
    except Exception as error:
        raise_if_cancelled(error)
        log.exception("order progress step failed; the order is passed over",
                      extra={"order_id": str(order_id), "step": step.__name__})
        moved["failed"] += 1
        return None


def _start_or_expire(facts: OrderProgress, now: datetime) -> OrderEvent | None:
    if facts.state not in ("open", "filled") or facts.first_start > now:
        return None
    if facts.ever_held:
        return OrderEvent.start
    return OrderEvent.expire if facts.state == "open" and facts.last_start <= now else None


def _complete(facts: OrderProgress, now: datetime) -> OrderEvent | None:
    return OrderEvent.complete if facts.state == "in_progress" and facts.last_end <= now else None


def _settle(facts: OrderProgress, now: datetime) -> OrderEvent | None:
    # TO_SETTLE chose it; under the lock only the state can have changed (settlements only grow).
    return OrderEvent.settle if facts.state == "completed" else None


async def _apply(conn: asyncpg.Connection, order_id: uuid.UUID, facts: OrderProgress, event: OrderEvent,
                 now: datetime) -> None:
    state = transition(OrderState(facts.state), event)
    await queries.set_order_state(conn, order_id, state, now=now)
    if event is OrderEvent.expire:
        await queries.expire_order_offers_and_bids(conn, order_id, now)
    await emit(conn, f"order.{state.value}", {"order_id": str(order_id), "title": facts.title},
               organisation_ids=[facts.organisation_id], district_code=facts.district_code)
