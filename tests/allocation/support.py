"""Helpers for allocation tests: skilled workers, bids, allocators on their own pools."""
from __future__ import annotations

import contextlib
import uuid
from datetime import datetime, timedelta, timezone

from market import db
from market.allocation.allocator import Allocator
from market.config import Settings
from tests import factories
from tests.factories import at, gig_order_body, post_order


def quiet(settings: Settings, **changes) -> Settings:
    """Tests drive allocators by hand (no loop inside the app); solves run in a thread unless asked."""
    return settings.model_copy(update={"allocator_in_serve": False, "allocator_solve_in": "thread", **changes})


async def skilled_worker(client, conn, *, level: int = 1, auto: bool = False, **kwargs) -> factories.Party:
    worker = await factories.worker(client, **kwargs)
    await conn.execute("INSERT INTO worker_skills (worker_id, skill_code, level) VALUES ($1, 'warehouse_picking', $2)",
                       uuid.UUID(worker.id), level)
    if auto:
        await conn.execute("UPDATE workers SET accepts_auto_allocation = true WHERE id = $1", uuid.UUID(worker.id))
    return worker


async def bid(client, worker: factories.Party, order: dict, rate_fen: int, shift: int = 0) -> dict:
    response = await client.post(f"/v1/orders/{order['id']}/bids",
                                 json={"shift_ids": [order["shifts"][shift]["id"]], "rate_fen": rate_fen},
                                 headers=worker.auth)
    assert response.status == 201, await response.text()
    return (await response.json())["items"][0]


@contextlib.asynccontextmanager
async def allocator(settings: Settings, name: str = "test-allocator"):
    pool = await db.create_pool(settings.database_url, min_size=1, max_size=4)
    engine = Allocator(pool, settings, name=name)
    try:
        yield engine
    finally:
        engine.close()
        await pool.close()


async def offers_of(client, worker: factories.Party, state: str | None = None) -> list[dict]:
    query = f"?state={state}" if state else ""
    response = await client.get(f"/v1/workers/me/offers{query}", headers=worker.auth)
    assert response.status == 200, await response.text()
    return (await response.json())["items"]


async def allocate(client, settings, employer, order) -> dict:
    response = await client.post(f"/v1/orders/{order['id']}/allocate", headers=employer.auth)
    assert response.status == 202, await response.text()
    async with allocator(settings) as engine:
        assert await engine.run_once() >= 1  # this order's run, and any queued before it
    run = await client.get(f"/v1/allocation-runs/{(await response.json())['run_id']}", headers=employer.auth)
    return await run.json()


async def accept(client, worker) -> dict:
    [offer] = await offers_of(client, worker, "pending")
    response = await client.post(f"/v1/offers/{offer['id']}/accept", headers=worker.auth)
    assert response.status == 200, await response.text()
    return await response.json()


async def seated(client, conn, settings, employer, *,
                 start_in: timedelta | None = None) -> tuple[dict, object, str, datetime]:
    """An order of one seat, allocated and accepted; optionally moved to start `start_in` from now.
    Returns the order, the worker, the assignment id and the shift's start."""
    order = await post_order(client, employer, gig_order_body(
        shifts=[{"start": at(2, 9), "end": at(2, 13), "headcount": 1}]))
    worker = await skilled_worker(client, conn)
    await bid(client, worker, order, 2500)
    await allocate(client, settings, employer, order)
    assignment_id = (await accept(client, worker))["assignment_id"]
    start = datetime.fromisoformat(order["shifts"][0]["start"])
    if start_in is not None:
        start = datetime.now(timezone.utc) + start_in
        await conn.execute("UPDATE shifts SET starts_at = $2, ends_at = $3 WHERE id = $1",
                           uuid.UUID(order["shifts"][0]["id"]), start, start + timedelta(hours=4))
        await conn.execute("UPDATE assignments SET period = tstzrange($2, $3) WHERE id = $1",
                           uuid.UUID(assignment_id), start, start + timedelta(hours=4))
    return order, worker, assignment_id, start
