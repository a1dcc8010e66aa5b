"""Allocation runs against a real database: races between allocators and acceptances, expiry,
shared orders, and one order through the whole service."""
import asyncio
import time
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from tests import factories
from tests.allocation.support import allocator, bid, offers_of, quiet, skilled_worker
from tests.factories import at, gig_order_body, post_order, shared_order_body


@pytest.fixture
def settings(settings):
    return quiet(settings)


async def assert_no_double_booking_or_excess(conn):
    overlapping = await conn.fetchval(
        "SELECT count(*) FROM assignments a JOIN assignments b ON a.worker_id = b.worker_id AND a.id < b.id "
        "AND a.period && b.period WHERE a.state = 'active' AND b.state = 'active'")
    excess = await conn.fetchval(
        "SELECT count(*) FROM shifts s WHERE s.filled + (SELECT count(*) FROM offers f "
        "WHERE f.shift_id = s.id AND f.state = 'pending') > s.headcount "
        "OR s.filled <> (SELECT count(*) FROM assignments a WHERE a.shift_id = s.id AND a.state = 'active')")
    assert (overlapping, excess) == (0, 0)


async def test_two_allocators_racing_on_overlapping_orders_never_double_book_or_overfill(client, conn, settings):
    employer = await factories.employer(client)
    workers = [await skilled_worker(client, conn, auto=True) for _ in range(6)]
    # Auto orders in two districts (so both allocators work at once) whose shifts all overlap.
    orders = []
    for index in range(6):
        body = gig_order_body(allocation_mode="auto", district_code=["500103", "500106"][index % 2],
                              shifts=[{"start": at(2, 9 + index % 3), "end": at(2, 13 + index % 3), "headcount": 2}])
        orders.append(await post_order(client, employer, body))
    for order in orders:
        assert (await client.post(f"/v1/orders/{order['id']}/allocate", headers=employer.auth)).status == 202
    async with allocator(settings, "a") as first, allocator(quiet(settings, allocator_solve_in="process"), "b") as second:
        executed = await asyncio.gather(first.run_queued(), second.run_queued())
    assert sum(executed) == 6
    await assert_no_double_booking_or_excess(conn)
    held = await conn.fetchval("SELECT count(*) FROM assignments WHERE state = 'active'")
    assert held == len(workers)  # every worker got one of the overlapping seats, nobody two
    statuses = await conn.fetch("SELECT status, count(*) FROM allocation_runs GROUP BY status")
    assert {r["status"]: r["count"] for r in statuses} == {"done": 6}
    states = {r["state"] for r in await conn.fetch("SELECT state FROM orders")}
    assert states <= {"open", "filled"}


async def test_an_expired_offer_is_swept_and_its_seat_offered_to_the_next_bidder(client, conn, settings):
    employer = await factories.employer(client)
    order = await post_order(client, employer, gig_order_body(
        shifts=[{"start": at(2, 9), "end": at(2, 13), "headcount": 1}]))
    first, second = await skilled_worker(client, conn), await skilled_worker(client, conn)
    await bid(client, first, order, 2500)
    await bid(client, second, order, 2900)
    await client.post(f"/v1/orders/{order['id']}/allocate", headers=employer.auth)
    async with allocator(settings) as engine:
        await engine.run_once()
        [offer] = await offers_of(client, first)
        await conn.execute("UPDATE offers SET expires_at = now() - interval '1 second' WHERE id = $1",
                           uuid.UUID(offer["id"]))
        assert await engine.run_once() == 1  # the sweep expires it and queues a run, which runs
    assert [o["state"] for o in await offers_of(client, first)] == ["expired"]
    assert [o["state"] for o in await offers_of(client, second)] == ["pending"]
    kinds = [r["kind"] for r in await conn.fetch("SELECT kind FROM events WHERE kind LIKE 'offer.%' ORDER BY id")]
    assert kinds == ["offer.made", "offer.expired", "offer.made"]


async def test_two_accepts_of_overlapping_shifts_by_one_worker_let_exactly_one_through(client, conn, settings):
    employer = await factories.employer(client)
    morning = await post_order(client, employer, gig_order_body(shifts=[{"start": at(2, 9), "end": at(2, 13), "headcount": 1}]))
    midday = await post_order(client, employer, gig_order_body(shifts=[{"start": at(2, 11), "end": at(2, 15), "headcount": 1}]))
    worker = await skilled_worker(client, conn)
    await bid(client, worker, morning, 2800)
    await bid(client, worker, midday, 2800)
    for order in (morning, midday):
        await client.post(f"/v1/orders/{order['id']}/allocate", headers=employer.auth)
    async with allocator(settings) as engine:
        await engine.run_once()
    # A run never offers overlapping seats to one worker (pending offers are commitments) …
    assert len(await offers_of(client, worker)) == 1
    # … so the second offer is made by hand, as a concurrent run in another district could.
    offered = {o["order_id"] for o in await offers_of(client, worker)}
    other = midday if morning["id"] in offered else morning
    await conn.execute("INSERT INTO offers (order_id, shift_id, worker_id, rate_fen, expires_at) "
                       "VALUES ($1, $2, $3, 2800, now() + interval '30 minutes')",
                       uuid.UUID(other["id"]), uuid.UUID(other["shifts"][0]["id"]), uuid.UUID(worker.id))
    offers = await offers_of(client, worker)
    assert len(offers) == 2
    responses = await asyncio.gather(*[client.post(f"/v1/offers/{o['id']}/accept", headers=worker.auth) for o in offers])
    assert sorted(r.status for r in responses) == [200, 409]
    assert await conn.fetchval("SELECT count(*) FROM assignments WHERE worker_id = $1", uuid.UUID(worker.id)) == 1


async def test_twenty_workers_racing_to_accept_two_seats_leave_exactly_two_assignments(client, conn, settings):
    employer = await factories.employer(client)
    order = await post_order(client, employer, gig_order_body(shifts=[{"start": at(2, 9), "end": at(2, 13), "headcount": 2}]))
    workers = [await factories.worker(client, id_number=factories.resident_id(born=f"199001{day:02d}"))
               for day in range(1, 21)]
    for worker in workers:  # offers made by hand: ten times more than seats
        await conn.execute("INSERT INTO offers (order_id, shift_id, worker_id, rate_fen, expires_at) "
                           "VALUES ($1, $2, $3, 3000, now() + interval '30 minutes')",
                           uuid.UUID(order["id"]), uuid.UUID(order["shifts"][0]["id"]), uuid.UUID(worker.id))
    offers = [(await offers_of(client, w))[0] for w in workers]
    responses = await asyncio.gather(*[client.post(f"/v1/offers/{o['id']}/accept", headers=w.auth)
                                       for o, w in zip(offers, workers)])
    assert sorted(r.status for r in responses) == [200] * 2 + [409] * 18
    assert await conn.fetchval("SELECT count(*) FROM assignments") == 2
    assert await conn.fetchval("SELECT state FROM orders WHERE id = $1", uuid.UUID(order["id"])) == "filled"


async def test_a_shared_order_borrows_the_cheapest_lenders_consenting_employees_for_every_working_day(client, conn, settings):
    borrower = await factories.employer(client)
    order = await post_order(client, borrower, shared_order_body(headcount=2))
    cheap_lender, dear_lender = await factories.employer(client), await factories.employer(client)
    staff = {}
    for lender, fee, count in ((dear_lender, 29000, 2), (cheap_lender, 25000, 2)):
        people = [await factories.worker(client) for _ in range(count)]
        employments = [await factories.employee(client, lender, p) for p in people]
        placed = await client.post(f"/v1/orders/{order['id']}/bids", headers=lender.auth, json={
            "fee_per_worker_day_fen": fee,
            "employees": [{"employment_id": e, "wage_hourly_fen": 2700} for e in employments]})
        assert placed.status == 201, await placed.text()
        by_worker = {p.id: p for p in people}
        for consent in (await placed.json())["shared_bid"]["consents"]:
            person = by_worker[consent["worker_id"]]
            assert (await client.post(f"/v1/consents/{consent['id']}/accept", headers=person.auth)).status == 200
        staff[lender.id] = people
    # One of the cheap lender's employees already holds an overlapping seat: excluded and reported.
    busy = staff[cheap_lender.id][0]
    other = await post_order(client, factories_employer := await factories.employer(client), gig_order_body(
        shifts=[{"start": order["shifts"][0]["start"], "end": order["shifts"][0]["end"], "headcount": 1}]))
    await conn.execute(
        "INSERT INTO assignments (shift_id, order_id, worker_id, organisation_id, period, rate_fen) "
        "SELECT s.id, s.order_id, $2, $3, s.period, 3000 FROM shifts s WHERE s.id = $1",
        uuid.UUID(other["shifts"][0]["id"]), uuid.UUID(busy.id), uuid.UUID(factories_employer.id))

    run_id = (await (await client.post(f"/v1/orders/{order['id']}/allocate", headers=borrower.auth)).json())["run_id"]
    async with allocator(settings) as engine:
        await engine.run_once()
    run = await (await client.get(f"/v1/allocation-runs/{run_id}", headers=borrower.auth)).json()
    outcomes = {r["worker_id"]: (r["outcome"], r["reason"]) for r in run["results"] if r["worker_id"]}
    free_cheap = staff[cheap_lender.id][1]
    assert outcomes.pop(busy.id) == ("conflict", "overlap")
    assert outcomes.pop(free_cheap.id) == ("assigned", None)
    # The dearer lender fills the last seat with one of its two employees.
    assert sorted(outcomes.values(), key=str) == [("assigned", None), ("not_chosen", "higher_cost")]
    first_dear = next(p for p in staff[dear_lender.id] if outcomes[p.id][0] == "assigned")
    days = len(order["shifts"])
    for person in (free_cheap, first_dear):
        assert await conn.fetchval("SELECT count(*) FROM assignments WHERE worker_id = $1 AND order_id = $2",
                                   uuid.UUID(person.id), uuid.UUID(order["id"])) == days
    fetched = await (await client.get(f"/v1/orders/{order['id']}", headers=borrower.auth)).json()
    assert fetched["state"] == "filled"
    lender_events = await conn.fetch("SELECT kind FROM events WHERE $1 = ANY(organisation_ids) ORDER BY id",
                                     uuid.UUID(dear_lender.id))
    assert "bid.chosen" in [e["kind"] for e in lender_events]


async def test_an_order_goes_through_the_service_from_bids_to_assignments(client, conn, settings):
    """Bid deadline passes → the app's own allocator loop queues and runs a run → offers → an unchosen
    bidder reads their reason → one offer accepted, another expires and its seat is re-allocated."""
    settings = quiet(settings, allocator_in_serve=True, allocator_poll_interval=timedelta(seconds=0.2))
    from market.app import create_app
    app_client = client.__class__  # noqa: F841  (the session's client fixture is replaced below)
    from aiohttp.test_utils import TestClient, TestServer

    served = TestClient(TestServer(create_app(settings)))
    await served.start_server()
    try:
        employer = await factories.employer(served)
        deadline = datetime.now(timezone.utc) + timedelta(seconds=2)
        order = await post_order(served, employer, gig_order_body(
            bid_deadline=deadline.isoformat(), shifts=[{"start": at(2, 9), "end": at(2, 13), "headcount": 2}]))
        bidders = [await skilled_worker(served, conn) for _ in range(3)]
        for worker, rate in zip(bidders, (2500, 2600, 2900)):
            await bid(served, worker, order, rate)

        async def eventually(check, seconds=20.0):
            started = time.monotonic()
            while time.monotonic() - started < seconds:
                if (found := await check()):
                    return found
                await asyncio.sleep(0.2)
            raise AssertionError("timed out waiting")

        first = await eventually(lambda: offers_of(served, bidders[0], "pending"))
        second = await offers_of(served, bidders[1], "pending")
        assert len(first) == len(second) == 1
        run_id = first[0]["run_id"]
        assert await conn.fetchval("SELECT trigger FROM allocation_runs WHERE id = $1", uuid.UUID(run_id)) == "bid_deadline"
        unchosen = await (await served.get(f"/v1/allocation-runs/{run_id}", headers=bidders[2].auth)).json()
        assert [(r["outcome"], r["reason"]) for r in unchosen["results"]] == [("not_chosen", "outbid")]

        accepted = await served.post(f"/v1/offers/{first[0]['id']}/accept", headers=bidders[0].auth)
        assert accepted.status == 200 and (await accepted.json())["assignment_id"]
        await conn.execute("UPDATE offers SET expires_at = now() - interval '1 second' WHERE id = $1",
                           uuid.UUID(second[0]["id"]))
        reoffered = await eventually(lambda: offers_of(served, bidders[2], "pending"))
        assert reoffered[0]["shift_id"] == order["shifts"][0]["id"]
        assert [o["state"] for o in await offers_of(served, bidders[1])] == ["expired"]
        assert (await served.post(f"/v1/offers/{reoffered[0]['id']}/accept", headers=bidders[2].auth)).status == 200
        fetched = await (await served.get(f"/v1/orders/{order['id']}", headers=employer.auth)).json()
        assert fetched["state"] == "filled" and fetched["filled"] == 2
        await assert_no_double_booking_or_excess(conn)
    finally:
        await served.close()
