"""Helpers for allocation tests: skilled workers, bids, allocators on their own pools."""
from __future__ import annotations

import contextlib
import uuid

from market import db
from market.allocation.allocator import Allocator
from market.config import Settings
from tests import factories


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
