"""Offers accepted all at once: the seats and the worker's time are held by locks and constraints,
never by luck. Every loser gets a clean 409, nobody a 5xx.

(tests/allocation/test_runs.py has the small versions: 20 workers for 2 seats; one worker, two
overlapping offers.)
"""
from __future__ import annotations

import asyncio
import uuid
from datetime import date, timedelta

import aiohttp
import pytest

from market.settlement.keys import SETTLEMENTS
from tests import factories
from tests.factories import at, gig_order_body, post_order

pytestmark = pytest.mark.faults

OFFERED = 200
SEATS = 5


async def offer(conn, order: dict, worker: factories.Party, shift: int = 0) -> uuid.UUID:
    """A pending offer made directly (the run that would make it is not what is under test)."""
    return await conn.fetchval(
        "INSERT INTO offers (order_id, shift_id, worker_id, rate_fen, expires_at) "
        "VALUES ($1, $2, $3, 3000, now() + interval '30 minutes') RETURNING id",
        uuid.UUID(order["id"]), uuid.UUID(order["shifts"][shift]["id"]), uuid.UUID(worker.id))


async def accept_all_at_once(client, offers: list[tuple[uuid.UUID, factories.Party]]) -> list[tuple[int, dict]]:
    """Every accept on its own connection, all in flight together (no client-side queue)."""
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        async def accept(offer_id: uuid.UUID, worker: factories.Party) -> tuple[int, dict]:
            async with session.post(client.make_url(f"/v1/offers/{offer_id}/accept"), headers=worker.auth) as response:
                return response.status, await response.json()

        return await asyncio.gather(*(accept(offer_id, worker) for offer_id, worker in offers))


async def registered_workers(client, count: int) -> list[factories.Party]:
    async def one(number: int) -> factories.Party:
        born = (date(1970, 1, 1) + timedelta(days=53 * number)).strftime("%Y%m%d")  # distinct ID numbers
        return await factories.worker(client, id_number=factories.resident_id(born=born))

    workers = []
    for start in range(0, count, 25):
        workers += await asyncio.gather(*(one(number) for number in range(start, min(start + 25, count))))
    return workers


async def test_two_hundred_workers_accepting_offers_for_five_seats_at_once_fill_exactly_five(client, conn):
    employer = await factories.employer(client)
    order = await post_order(client, employer, gig_order_body(
        shifts=[{"start": at(2, 9), "end": at(2, 13), "headcount": SEATS}]))
    workers = await registered_workers(client, OFFERED)
    offers = [(await offer(conn, order, worker), worker) for worker in workers]

    answers = await accept_all_at_once(client, offers)

    statuses = sorted(status for status, _ in answers)
    assert statuses == [200] * SEATS + [409] * (OFFERED - SEATS)
    assert all(body["type"].endswith("/conflict") for status, body in answers if status == 409)
    shift_id = uuid.UUID(order["shifts"][0]["id"])
    assert await conn.fetchval("SELECT count(*) FROM assignments WHERE shift_id = $1 AND state = 'active'",
                               shift_id) == SEATS
    assert await conn.fetchval("SELECT filled FROM shifts WHERE id = $1", shift_id) == SEATS
    assert await conn.fetchval("SELECT count(*) FROM offers WHERE state = 'accepted'") == SEATS
    assert await conn.fetchval("SELECT state FROM orders WHERE id = $1", uuid.UUID(order["id"])) == "filled"
    # Escrow held for exactly the five seats, and the journal balances.
    assert await conn.fetchval("SELECT count(*) FROM escrow_holds WHERE state = 'held'") == SEATS
    winners = {body["assignment_id"] for status, body in answers if status == 200}
    assert winners == {str(r["assignment_id"]) for r in await conn.fetch("SELECT assignment_id FROM escrow_holds")}
    report = await client.app[SETTLEMENTS].ledger_check()
    assert report.ok, report.problems
    assert await conn.fetchval("SELECT count(*) FROM events WHERE kind = 'offer.accepted'") == SEATS
    assert await conn.fetchval("SELECT count(*) FROM events WHERE kind = 'order.filled'") == 1


OVERLAPPING = 8


async def test_one_worker_accepting_offers_of_eight_overlapping_shifts_at_once_gets_exactly_one(client, conn):
    employer = await factories.employer(client)
    worker = await factories.worker(client)
    orders = [await post_order(client, employer, gig_order_body(
        shifts=[{"start": at(2, 8 + index % 4, 15 * (index // 4)), "end": at(2, 12 + index % 4), "headcount": 2}]))
        for index in range(OVERLAPPING)]
    offers = [(await offer(conn, order, worker), worker) for order in orders]

    answers = await accept_all_at_once(client, offers)

    assert sorted(status for status, _ in answers) == [200] + [409] * (OVERLAPPING - 1)
    assert await conn.fetchval("SELECT count(*) FROM assignments WHERE worker_id = $1 AND state = 'active'",
                               uuid.UUID(worker.id)) == 1
    assert await conn.fetchval("SELECT count(*) FROM escrow_holds WHERE state = 'held'") == 1
    assert await conn.fetchval("SELECT count(*) FROM offers WHERE state = 'accepted'") == 1
    assert await conn.fetchval("SELECT sum(filled) FROM shifts") == 1
