"""POST /v1/orders/{id}/allocate, GET /v1/allocation-runs/{id}, offers and their answers."""
import uuid

import pytest

from tests import factories
from tests.allocation.support import allocate, allocator, bid, offers_of, quiet, skilled_worker
from tests.factories import at, gig_order_body, post_order


@pytest.fixture
def settings(settings):
    return quiet(settings)


async def test_an_employer_allocates_their_order_and_the_cheapest_bidders_get_offers(client, conn, settings):
    employer = await factories.employer(client)
    order = await post_order(client, employer, gig_order_body(
        shifts=[{"start": at(2, 9), "end": at(2, 13), "headcount": 2}]))
    cheap, middle, dear = [await skilled_worker(client, conn) for _ in range(3)]
    await bid(client, cheap, order, 2500)
    await bid(client, middle, order, 2700)
    dear_bid = await bid(client, dear, order, 3000)

    response = await client.post(f"/v1/orders/{order['id']}/allocate", headers=employer.auth)
    assert response.status == 202, await response.text()
    run_id = (await response.json())["run_id"]
    async with allocator(settings) as engine:
        assert await engine.run_once() == 1

    run = await (await client.get(f"/v1/allocation-runs/{run_id}", headers=employer.auth)).json()
    assert run["status"] == "done" and run["seats_open"] == 2 and run["seats_filled"] == 2
    assert run["objective"] is not None and run["terms"]["pay"] > 0 and run["solve_seconds"] is not None
    outcomes = {r["worker_id"]: (r["outcome"], r["reason"]) for r in run["results"] if r["worker_id"]}
    assert outcomes == {cheap.id: ("offered", None), middle.id: ("offered", None), dear.id: ("not_chosen", "outbid")}
    assert [o["state"] for o in await offers_of(client, cheap)] == ["pending"]
    assert await offers_of(client, dear) == []

    seen_by_dear = await (await client.get(f"/v1/allocation-runs/{run_id}", headers=dear.auth)).json()
    assert [(r["worker_id"], r["reason"]) for r in seen_by_dear["results"]] == [(dear.id, "outbid")]
    assert seen_by_dear["objective"] is None
    bids = await (await client.get(f"/v1/orders/{order['id']}/bids", headers=employer.auth)).json()
    assert {b["worker_id"]: b["state"] for b in bids["items"]}[dear.id] == "live"
    assert dear_bid["state"] == "live"
    fetched = await (await client.get(f"/v1/orders/{order['id']}", headers=employer.auth)).json()
    assert fetched["state"] == "open"


async def test_accepting_both_offers_fills_the_order_and_ends_the_other_bids(client, conn, settings):
    employer = await factories.employer(client)
    order = await post_order(client, employer, gig_order_body(
        shifts=[{"start": at(2, 9), "end": at(2, 13), "headcount": 1}]))
    winner, loser = await skilled_worker(client, conn), await skilled_worker(client, conn)
    await bid(client, winner, order, 2500)
    await bid(client, loser, order, 2900)
    await client.post(f"/v1/orders/{order['id']}/allocate", headers=employer.auth)
    async with allocator(settings) as engine:
        await engine.run_once()
    [offer] = await offers_of(client, winner)

    accepted = await client.post(f"/v1/offers/{offer['id']}/accept", headers=winner.auth)
    assert accepted.status == 200, await accepted.text()
    body = await accepted.json()
    assert body["state"] == "accepted" and body["assignment_id"]
    fetched = await (await client.get(f"/v1/orders/{order['id']}", headers=employer.auth)).json()
    assert fetched["state"] == "filled" and fetched["filled"] == 1
    mine = await (await client.get("/v1/workers/me/bids", headers=loser.auth)).json()
    assert [b["state"] for b in mine["items"]] == ["not_chosen"]
    again = await client.post(f"/v1/offers/{offer['id']}/accept", headers=winner.auth)
    assert again.status == 409 and (await again.json())["current_state"] == "accepted"


async def test_allocating_another_employers_order_is_a_404_and_a_filled_one_a_409(client, conn, settings):
    owner, stranger = await factories.employer(client), await factories.employer(client)
    order = await post_order(client, owner, gig_order_body())
    assert (await client.post(f"/v1/orders/{order['id']}/allocate", headers=stranger.auth)).status == 404
    assert (await client.post(f"/v1/orders/{uuid.uuid4()}/allocate", headers=owner.auth)).status == 404
    await conn.execute("UPDATE orders SET state = 'filled' WHERE id = $1", uuid.UUID(order["id"]))
    response = await client.post(f"/v1/orders/{order['id']}/allocate", headers=owner.auth)
    assert response.status == 409 and (await response.json())["current_state"] == "filled"
    worker = await factories.worker(client)
    assert (await client.post(f"/v1/orders/{order['id']}/allocate", headers=worker.auth)).status == 403


async def test_asking_twice_joins_the_queued_run(client, settings):
    employer = await factories.employer(client)
    order = await post_order(client, employer, gig_order_body())
    first = await (await client.post(f"/v1/orders/{order['id']}/allocate", headers=employer.auth)).json()
    second = await (await client.post(f"/v1/orders/{order['id']}/allocate", headers=employer.auth)).json()
    assert first["run_id"] == second["run_id"]
    run = await (await client.get(f"/v1/allocation-runs/{first['run_id']}", headers=employer.auth)).json()
    assert run["status"] == "queued" and run["started_at"] is None


async def test_a_run_is_hidden_from_other_employers_and_from_workers_who_were_not_candidates(client, conn, settings):
    employer = await factories.employer(client)
    order = await post_order(client, employer, gig_order_body())
    bidder, bystander = await skilled_worker(client, conn), await factories.worker(client)
    await bid(client, bidder, order, 2800)
    run_id = (await (await client.post(f"/v1/orders/{order['id']}/allocate", headers=employer.auth)).json())["run_id"]
    async with allocator(settings) as engine:
        await engine.run_once()
    stranger = await factories.employer(client)
    assert (await client.get(f"/v1/allocation-runs/{run_id}", headers=stranger.auth)).status == 404
    assert (await client.get(f"/v1/allocation-runs/{run_id}", headers=bystander.auth)).status == 404
    assert (await client.get(f"/v1/allocation-runs/{run_id}", headers=bidder.auth)).status == 200
    assert (await client.get(f"/v1/allocation-runs/{uuid.uuid4()}", headers=employer.auth)).status == 404


async def test_another_workers_offer_cannot_be_accepted_or_declined(client, conn, settings):
    employer = await factories.employer(client)
    order = await post_order(client, employer, gig_order_body())
    worker, other = await skilled_worker(client, conn), await skilled_worker(client, conn)
    await bid(client, worker, order, 2800)
    await client.post(f"/v1/orders/{order['id']}/allocate", headers=employer.auth)
    async with allocator(settings) as engine:
        await engine.run_once()
    [offer] = await offers_of(client, worker)
    assert offer["organisation_id"] == employer.id  # whose colour and rating the worker can look up
    assert (await client.post(f"/v1/offers/{offer['id']}/accept", headers=other.auth)).status == 404
    assert (await client.post(f"/v1/offers/{offer['id']}/decline", headers=other.auth)).status == 404
    assert (await client.post(f"/v1/offers/{offer['id']}/accept", headers=employer.auth)).status == 403
    assert (await client.post(f"/v1/offers/{uuid.uuid4()}/accept", headers=worker.auth)).status == 404


async def test_an_expired_offer_cannot_be_accepted(client, conn, settings):
    employer = await factories.employer(client)
    order = await post_order(client, employer, gig_order_body())
    worker = await skilled_worker(client, conn)
    await bid(client, worker, order, 2800)
    await client.post(f"/v1/orders/{order['id']}/allocate", headers=employer.auth)
    async with allocator(settings) as engine:
        await engine.run_once()
    [offer] = await offers_of(client, worker)
    await conn.execute("UPDATE offers SET expires_at = now() - interval '1 minute' WHERE id = $1",
                       uuid.UUID(offer["id"]))
    response = await client.post(f"/v1/offers/{offer['id']}/accept", headers=worker.auth)
    assert response.status == 409 and (await response.json())["current_state"] == "expired"


async def test_declining_returns_the_seat_to_a_new_run_for_the_next_bidder(client, conn, settings):
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
        declined = await client.post(f"/v1/offers/{offer['id']}/decline", headers=first.auth)
        assert declined.status == 200 and (await declined.json())["state"] == "declined"
        assert await engine.run_once() == 1
    assert [o["state"] for o in await offers_of(client, second)] == ["pending"]
    assert [o["state"] for o in await offers_of(client, first)] == ["declined"]


async def test_offers_are_listed_newest_first_a_page_at_a_time_and_filtered_by_state(client, conn, settings):
    employer = await factories.employer(client)
    order = await post_order(client, employer, gig_order_body(shifts=[
        {"start": at(2, 9), "end": at(2, 13), "headcount": 1}, {"start": at(3, 9), "end": at(3, 13), "headcount": 1},
        {"start": at(4, 9), "end": at(4, 13), "headcount": 1}]))
    worker = await skilled_worker(client, conn)
    for shift in range(3):
        await bid(client, worker, order, 2800, shift)
    await client.post(f"/v1/orders/{order['id']}/allocate", headers=employer.auth)
    async with allocator(settings) as engine:
        await engine.run_once()
    page = await (await client.get("/v1/workers/me/offers?limit=2", headers=worker.auth)).json()
    assert len(page["items"]) == 2 and page["next_cursor"]
    rest = await (await client.get(f"/v1/workers/me/offers?limit=2&cursor={page['next_cursor']}",
                                   headers=worker.auth)).json()
    assert len(rest["items"]) == 1 and rest["next_cursor"] is None
    assert len({o["id"] for o in page["items"] + rest["items"]}) == 3
    await client.post(f"/v1/offers/{rest['items'][0]['id']}/decline", headers=worker.auth)
    assert len(await offers_of(client, worker, "declined")) == 1
    assert len(await offers_of(client, worker, "pending")) == 2


async def test_a_seat_paying_20000_yuan_is_offered_to_its_bidder(client, conn, settings):
    employer = await factories.employer(client, escrow_fen=10**8)
    order = await post_order(client, employer, gig_order_body(
        pay={"unit": "hour", "amount_fen": 500_000}, shifts=[{"start": at(2, 9), "end": at(2, 13), "headcount": 1}]))
    worker = await skilled_worker(client, conn)
    await bid(client, worker, order, 500_000)  # 4 h at ¥5,000: ¥20,000 for the seat
    run = await allocate(client, settings, employer, order)
    assert run["status"] == "done" and run["seats_filled"] == 1 and run["terms"]["pay"] == 2_000_000
    assert [o["state"] for o in await offers_of(client, worker)] == ["pending"]
