"""Helpers for standby tests: a shift with standby seats, workers on call."""
from __future__ import annotations

import uuid

from tests import factories
from tests.allocation.support import accept, allocate, bid, skilled_worker
from tests.factories import at, gig_order_body, post_order

AMOUNT = 3000  # a quarter of a 4-h seat at 30 元/h: above the fifth the rule asks


async def standby_order(client, employer, *, headcount: int = 1, standby: int = 1, amount: int = AMOUNT) -> dict:
    return await post_order(client, employer, gig_order_body(
        shifts=[{"start": at(2, 9), "end": at(2, 13), "headcount": headcount, "standby": standby,
                 "standby_amount_fen": amount}]))


async def sign_up(client, worker, order: dict, shift: int = 0):
    return await client.post(f"/v1/shifts/{order['shifts'][shift]['id']}/standby", headers=worker.auth)


async def on_call(client, conn, order: dict) -> factories.Party:
    worker = await skilled_worker(client, conn)
    response = await sign_up(client, worker, order)
    assert response.status == 201, await response.text()
    return worker


async def seat(client, conn, settings, employer, order: dict) -> tuple[factories.Party, str]:
    """A worker seated on the order's shift through a bid, a run and an acceptance."""
    worker = await skilled_worker(client, conn)
    await bid(client, worker, order, 2500)
    await allocate(client, settings, employer, order)
    return worker, (await accept(client, worker))["assignment_id"]


async def standbys(conn, order: dict) -> list[tuple[str, str]]:
    return [(str(r["worker_id"]), r["state"]) for r in await conn.fetch(
        "SELECT worker_id, state FROM standbys WHERE order_id = $1 ORDER BY created_at, id", uuid.UUID(order["id"]))]


async def held_fen(client, employer) -> int:
    response = await client.get("/v1/employers/me/balance", headers=employer.auth)
    assert response.status == 200, await response.text()
    return (await response.json())["held_fen"]
