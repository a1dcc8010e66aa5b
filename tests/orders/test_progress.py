"""Orders move on with the clock and the money (market/orders/progress.py, run by the sweep):
filled → in_progress at the first shift, → completed after the last, → settled when every seat is
paid; an order nobody held expires when its last shift begins."""
import uuid
from datetime import timedelta

import pytest

from market.attendance.keys import ATTENDANCE
from market.settlement.keys import SETTLEMENTS
from tests import factories
from tests.allocation.support import allocate, bid, offers_of, quiet, seated, skilled_worker
from tests.factories import at, gig_order_body, post_order
from tests.settlement.support import SITE, principal_of


@pytest.fixture
def settings(settings):
    return quiet(settings)


async def state_of(client, employer, order) -> str:
    response = await client.get(f"/v1/orders/{order['id']}", headers=employer.auth)
    assert response.status == 200, await response.text()
    return (await response.json())["state"]


async def test_a_worked_order_starts_completes_and_settles_with_the_sweep(client, conn, settings):
    employer = await factories.employer(client)
    order, worker, assignment_id, start = await seated(client, conn, settings, employer,
                                                       start_in=timedelta(minutes=5))
    service, principal = client.app[SETTLEMENTS], await principal_of(client, worker)
    assert await state_of(client, employer, order) == "filled"

    moved = await service.sweep(now=start - timedelta(minutes=1))
    assert moved["orders_started"] == 0 and await state_of(client, employer, order) == "filled"
    moved = await service.sweep(now=start + timedelta(minutes=1))
    assert moved["orders_started"] == 1 and await state_of(client, employer, order) == "in_progress"

    await client.app[ATTENDANCE].check_in(principal, uuid.UUID(assignment_id), *SITE, now=start)
    await client.app[ATTENDANCE].check_out(principal, uuid.UUID(assignment_id), *SITE, now=start + timedelta(hours=4))
    moved = await service.sweep(now=start + timedelta(hours=4, minutes=1))
    assert moved["orders_completed"] == 1 and moved["orders_settled"] == 0
    assert await state_of(client, employer, order) == "completed"

    approved = await client.post(f"/v1/assignments/{assignment_id}/approve", json={}, headers=employer.auth)
    assert approved.status == 200, await approved.text()
    moved = await service.sweep(now=start + timedelta(hours=5))
    assert moved["orders_settled"] == 1 and await state_of(client, employer, order) == "settled"
    assert (await service.sweep(now=start + timedelta(hours=6)))["orders_settled"] == 0
    kinds = [r["kind"] for r in await conn.fetch(
        "SELECT kind FROM events WHERE kind LIKE 'order.%' AND payload ->> 'order_id' = $1 ORDER BY id", order["id"])]
    assert kinds[-3:] == ["order.in_progress", "order.completed", "order.settled"]


async def test_a_no_show_order_settles_without_a_settlement(client, conn, settings):
    employer = await factories.employer(client)
    order, _, assignment_id, start = await seated(client, conn, settings, employer, start_in=timedelta(minutes=5))
    service = client.app[SETTLEMENTS]
    await service.sweep(now=start)
    employer_principal = await principal_of(client, employer)
    await client.app[ATTENDANCE].no_show(employer_principal, uuid.UUID(assignment_id), now=start + timedelta(minutes=21))

    await service.sweep(now=start + timedelta(hours=4, minutes=1))
    assert await service.sweep(now=start + timedelta(hours=4, minutes=2)) is not None
    assert await state_of(client, employer, order) == "settled"


async def test_an_order_nobody_held_expires_when_its_last_shift_begins(client, conn, settings):
    employer = await factories.employer(client)
    order = await post_order(client, employer, gig_order_body(shifts=[
        {"start": at(2, 9), "end": at(2, 13), "headcount": 1},
        {"start": at(3, 9), "end": at(3, 13), "headcount": 1}]))
    offered = await skilled_worker(client, conn)
    await bid(client, offered, order, 2500, shift=0)
    await allocate(client, settings, employer, order)
    assert len(await offers_of(client, offered, "pending")) == 1
    bidder = await skilled_worker(client, conn)  # bids after the run: still live at expiry
    await bid(client, bidder, order, 2500, shift=1)
    first, last = (await conn.fetch("SELECT starts_at FROM shifts WHERE order_id = $1 ORDER BY starts_at",
                                    uuid.UUID(order["id"])))
    service = client.app[SETTLEMENTS]

    moved = await service.sweep(now=first["starts_at"] + timedelta(minutes=1))
    assert moved["orders_expired"] == 0 and await state_of(client, employer, order) == "open"
    moved = await service.sweep(now=last["starts_at"] + timedelta(minutes=1))
    assert moved["orders_expired"] == 1 and await state_of(client, employer, order) == "expired"

    assert [o["state"] for o in await offers_of(client, offered)] == ["withdrawn"]
    bids = await (await client.get("/v1/workers/me/bids", headers=bidder.auth)).json()
    assert [b["state"] for b in bids["items"]] == ["not_chosen"]
    assert await conn.fetchval("SELECT count(*) FROM shifts WHERE order_id = $1 AND open",
                               uuid.UUID(order["id"])) == 0
