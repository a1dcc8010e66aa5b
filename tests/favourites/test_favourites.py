"""Favourites, blocks, hidden employers, favourites-first pools and "book again", end to end
through the API against the real database (docs/favourites.md)."""
import asyncio
import json
import uuid
from datetime import datetime, timezone

import pytest

from market.favourites.keys import FAVOURITES
from market.feed.service import workers_fitting_shift, workers_fitting_shifts
from tests import factories
from tests.allocation.support import allocate, bid, quiet
from tests.api.test_feed import feed_of, profiled_worker
from tests.factories import at, gig_order_body, post_order
from tests.organisations.test_agencies import acting, agency, mandate


@pytest.fixture
def settings(settings):
    return quiet(settings)


async def met(client, employer, worker):
    """The worker bids on one of the employer's orders (an employer relates only to workers it has
    dealt with), far ahead, clear of the tests' shifts."""
    order = await post_order(client, employer, gig_order_body(title="认识一下", shifts=[
        {"start": at(40, 9), "end": at(40, 13), "headcount": 1}]))
    response = await try_bid(client, worker, order)
    assert response.status == 201, await response.text()


async def relate(client, employer, worker, kind, reason="", status=200):
    response = await client.put(f"/v1/organisations/me/workers/{worker.id}/relation",
                                json={"kind": kind, "reason": reason}, headers=employer.auth)
    assert response.status == status, await response.text()
    return await response.json()


async def hide(client, worker, employer):
    response = await client.put(f"/v1/workers/me/hidden-employers/{employer.id}", headers=worker.auth)
    assert response.status == 200, await response.text()
    return await response.json()


async def try_bid(client, worker, order, rate_fen=3000, shift=0):
    return await client.post(f"/v1/orders/{order['id']}/bids",
                             json={"shift_ids": [order["shifts"][shift]["id"]], "rate_fen": rate_fen},
                             headers=worker.auth)


async def assert_feed_and_audience_agree(client, conn, workers, order):
    """Every worker's feed lists each shift of the order exactly when the live stream's audience
    (as the relay resolves it, one shift or a batch) holds the worker."""
    now = datetime.now(timezone.utc)
    shift_ids = [uuid.UUID(s["id"]) for s in order["shifts"]]
    together = await workers_fitting_shifts(conn, shift_ids, now)
    seen = {}
    for worker in workers:
        listed = {uuid.UUID(item["shift_id"]) for item in (await feed_of(client, worker))["items"]}
        for shift_id in shift_ids:
            audience = await workers_fitting_shift(conn, shift_id, now)
            assert (uuid.UUID(worker.id) in audience) == (shift_id in listed), (worker.id, shift_id)
            assert sorted(together[shift_id]) == sorted(audience)
        seen[worker.id] = bool(listed & set(shift_ids))
    return seen


# ---- the API ---------------------------------------------------------------------------------------

async def test_an_employer_keeps_favourites_and_blocks_one_relation_per_worker_paginated(client, conn):
    employer = await factories.employer(client)
    workers = [await profiled_worker(conn, client) for _ in range(3)]
    for worker in workers:
        await met(client, employer, worker)
        await relate(client, employer, worker, "favourite", "准时")
    stranger = await profiled_worker(conn, client)  # never dealt with this employer
    assert (await client.put(f"/v1/organisations/me/workers/{stranger.id}/relation", json={"kind": "favourite"},
                             headers=employer.auth)).status == 404
    changed = await relate(client, employer, workers[0], "blocked", "两次无故缺勤")
    assert changed["kind"] == "blocked" and changed["reason"] == "两次无故缺勤"

    seen, cursor = [], None
    while True:
        response = await client.get("/v1/organisations/me/workers?limit=1" + (f"&cursor={cursor}" if cursor else ""),
                                    headers=employer.auth)
        assert response.status == 200, await response.text()
        page = await response.json()
        seen += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(r["worker_id"] for r in seen) == sorted(w.id for w in workers)
    response = await client.get("/v1/organisations/me/workers?kind=blocked", headers=employer.auth)
    assert [r["worker_id"] for r in (await response.json())["items"]] == [workers[0].id]

    assert (await client.delete(f"/v1/organisations/me/workers/{workers[0].id}/relation",
                                headers=employer.auth)).status == 204
    assert (await client.get(f"/v1/organisations/me/workers/{workers[0].id}/relation",
                             headers=employer.auth)).status == 404
    # Unknown worker, bad kind, reason too long: 4xx naming the field.
    assert (await client.put(f"/v1/organisations/me/workers/{uuid.uuid4()}/relation", json={"kind": "favourite"},
                             headers=employer.auth)).status == 404
    bad = await client.put(f"/v1/organisations/me/workers/{workers[1].id}/relation", json={"kind": "friend"},
                           headers=employer.auth)
    assert bad.status == 422 and "kind" in await bad.text()
    long = await client.put(f"/v1/organisations/me/workers/{workers[1].id}/relation",
                            json={"kind": "blocked", "reason": "x" * 501}, headers=employer.auth)
    assert long.status == 422 and "reason" in await long.text()
    assert (await conn.fetchval("SELECT kind FROM worker_relations WHERE worker_id = $1",
                                uuid.UUID(workers[1].id))) == "favourite"  # nothing half-written


async def test_a_worker_hides_and_shows_employers_paginated(client):
    worker = await factories.worker(client)
    employers = [await factories.employer(client, escrow_fen=0) for _ in range(3)]
    for employer in employers:
        await hide(client, worker, employer)
    await hide(client, worker, employers[0])  # again: still one
    response = await client.get("/v1/workers/me/hidden-employers?limit=2", headers=worker.auth)
    page = await response.json()
    assert len(page["items"]) == 2 and page["next_cursor"]
    rest = await (await client.get(f"/v1/workers/me/hidden-employers?cursor={page['next_cursor']}",
                                   headers=worker.auth)).json()
    assert sorted(h["organisation_id"] for h in page["items"] + rest["items"]) == sorted(e.id for e in employers)
    assert (await client.delete(f"/v1/workers/me/hidden-employers/{employers[0].id}", headers=worker.auth)).status == 204
    assert (await client.delete(f"/v1/workers/me/hidden-employers/{employers[0].id}", headers=worker.auth)).status == 404
    assert (await client.put(f"/v1/workers/me/hidden-employers/{uuid.uuid4()}", headers=worker.auth)).status == 404


# ---- the feed, the live stream and bids ------------------------------------------------------------

async def test_a_block_or_a_hide_removes_the_employer_s_orders_from_feed_and_audience_alike(client, conn):
    employer = await factories.employer(client)
    other = await factories.employer(client)
    blocked, hiding, plain = [await profiled_worker(conn, client) for _ in range(3)]
    await met(client, employer, blocked)
    await relate(client, employer, blocked, "blocked", "私人理由")
    await hide(client, hiding, employer)
    order = await post_order(client, employer, gig_order_body(shifts=[
        {"start": at(2, 9), "end": at(2, 13), "headcount": 2}, {"start": at(3, 9), "end": at(3, 13), "headcount": 2}]))
    others = await post_order(client, other, gig_order_body())

    seen = await assert_feed_and_audience_agree(client, conn, [blocked, hiding, plain], order)
    assert seen == {blocked.id: False, hiding.id: False, plain.id: True}
    # Only that employer's orders: the other employer's still reach both.
    seen = await assert_feed_and_audience_agree(client, conn, [blocked, hiding, plain], others)
    assert seen == {blocked.id: True, hiding.id: True, plain.id: True}

    refused = await try_bid(client, blocked, order)
    assert refused.status == 409 and (await refused.json())["reason"] == "blocked"
    assert "私人理由" not in await refused.text()  # the reason stays the employer's
    refused = await try_bid(client, hiding, order)
    assert refused.status == 409 and (await refused.json())["reason"] == "hidden"
    assert (await try_bid(client, plain, order)).status == 201


async def test_the_block_reason_is_in_no_event_the_worker_receives(client, conn):
    employer = await factories.employer(client)
    worker = await profiled_worker(conn, client)
    order = await post_order(client, employer, gig_order_body())
    assert (await try_bid(client, worker, order)).status == 201
    await relate(client, employer, worker, "blocked", "秘密的理由")
    rows = await conn.fetch("SELECT payload::text FROM events WHERE $1 = ANY(worker_ids)", uuid.UUID(worker.id))
    assert rows and not any("秘密的理由" in r[0] for r in rows)
    assert not await conn.fetchval("SELECT count(*) FROM events WHERE payload::text LIKE '%秘密的理由%'")


async def test_a_block_withdraws_the_worker_s_live_bids_on_that_employer_s_orders(client, conn):
    employer = await factories.employer(client)
    worker = await profiled_worker(conn, client)
    order = await post_order(client, employer, gig_order_body())
    assert (await try_bid(client, worker, order)).status == 201
    await relate(client, employer, worker, "blocked")
    assert await conn.fetchval("SELECT count(*) FROM bids WHERE worker_id = $1 AND state = 'live'",
                               uuid.UUID(worker.id)) == 0


async def test_a_block_racing_bids_always_wins(client, conn):
    """Decided: a bid racing a block is refused (409 blocked) when the block committed first, and
    withdrawn by the block when the bid committed first; never a live bid of a blocked pair."""
    employer = await factories.employer(client)
    for _ in range(6):
        worker = await profiled_worker(conn, client)
        await met(client, employer, worker)
        order = await post_order(client, employer, gig_order_body())
        results = await asyncio.gather(try_bid(client, worker, order), try_bid(client, worker, order),
                                       relate(client, employer, worker, "blocked"))
        assert all(r.status in (201, 409) for r in results[:2])
        live = await conn.fetchval("SELECT count(*) FROM bids WHERE worker_id = $1 AND state = 'live'",
                                   uuid.UUID(worker.id))
        assert live == 0


# ---- the private pool --------------------------------------------------------------------------------

async def test_a_favourites_first_order_reaches_only_its_pool_then_everyone(client, conn):
    employer = await factories.employer(client)
    favourite, stranger, blocked = [await profiled_worker(conn, client) for _ in range(3)]
    await met(client, employer, favourite)
    await met(client, employer, blocked)
    await relate(client, employer, favourite, "favourite")
    await relate(client, employer, blocked, "blocked")
    order = await post_order(client, employer, gig_order_body(private_pool={"minutes": 60}))
    assert order["pool_until"] is not None
    pool = await (await client.get(f"/v1/orders/{order['id']}/pool", headers=employer.auth)).json()
    assert pool["members"] == [{"worker_id": favourite.id, "source": "favourite"}]

    seen = await assert_feed_and_audience_agree(client, conn, [favourite, stranger, blocked], order)
    assert seen == {favourite.id: True, stranger.id: False, blocked.id: False}
    refused = await try_bid(client, stranger, order)
    assert refused.status == 409 and (await refused.json())["reason"] == "private_pool"
    assert (await try_bid(client, favourite, order)).status == 201

    # The window ends: everyone but the blocked worker; the sweep announces it to everyone else.
    await conn.execute("UPDATE orders SET pool_until = now() - interval '1 second' WHERE id = $1",
                       uuid.UUID(order["id"]))
    seen = await assert_feed_and_audience_agree(client, conn, [favourite, stranger, blocked], order)
    assert seen == {favourite.id: True, stranger.id: True, blocked.id: False}
    assert (await try_bid(client, stranger, order)).status == 201


async def test_the_window_opening_sweep_racing_itself_announces_each_shift_once(client, conn):
    employer = await factories.employer(client)
    favourite, stranger = await profiled_worker(conn, client), await profiled_worker(conn, client)
    await met(client, employer, favourite)
    await relate(client, employer, favourite, "favourite")
    orders = [await post_order(client, employer, gig_order_body(private_pool={"minutes": 30}, shifts=[
        {"start": at(2, 9), "end": at(2, 13), "headcount": 1}, {"start": at(3, 9), "end": at(3, 13), "headcount": 1}]))
        for _ in range(3)]
    ids = [uuid.UUID(o["id"]) for o in orders]
    await conn.execute("UPDATE orders SET pool_until = now() - interval '1 second' WHERE id = ANY($1)", ids)
    service = client.app[FAVOURITES]
    opened = await asyncio.gather(service.open_ended_windows(), service.open_ended_windows(),
                                  service.open_ended_windows())
    assert sum(opened) == 3
    assert await service.open_ended_windows() == 0
    rows = await conn.fetch("SELECT id, payload FROM events WHERE kind = 'shift.opened' "
                            "AND (payload->>'pool_opened')::boolean AND payload->>'order_id' = ANY($1::text[])",
                            [str(i) for i in ids])
    shift_ids = sorted(s["id"] for o in orders for s in o["shifts"])
    assert sorted(json.loads(r["payload"])["shift_id"] if isinstance(r["payload"], str) else r["payload"]["shift_id"]
                  for r in rows) == shift_ids  # one each

    # Its audience: everyone the shift now fits but the pool, who heard at posting.
    from market.events.model import Event  # noqa: F401  (the relay's event type, for shape)
    from market.feed.service import shift_opened_audiences

    class Ev:
        def __init__(self, id, payload):
            self.id, self.payload = id, payload if isinstance(payload, dict) else json.loads(payload)

    audiences = await shift_opened_audiences(conn, [Ev(r["id"], r["payload"]) for r in rows])
    for audience in audiences.values():
        assert uuid.UUID(stranger.id) in audience and uuid.UUID(favourite.id) not in audience


# ---- allocation -------------------------------------------------------------------------------------

async def test_allocation_gives_a_blocked_pair_the_blocked_reason_and_prefers_favourites(client, conn, settings):
    employer = await factories.employer(client)
    order = await post_order(client, employer, gig_order_body(
        shifts=[{"start": at(2, 9), "end": at(2, 13), "headcount": 1}]))
    plain, favourite, blocked = [await profiled_worker(conn, client) for _ in range(3)]
    for worker in (plain, favourite, blocked):
        await bid(client, worker, order, 3000)
    await relate(client, employer, favourite, "favourite")
    # As if the block had committed after the bid's withdrawal could see it (the builder's own guard).
    await conn.execute("INSERT INTO worker_relations (organisation_id, worker_id, kind) VALUES ($1, $2, 'blocked')",
                       uuid.UUID(employer.id), uuid.UUID(blocked.id))
    run = await allocate(client, settings, employer, order)
    outcomes = {r["worker_id"]: (r["outcome"], r["reason"]) for r in run["results"] if r["worker_id"]}
    assert outcomes[favourite.id][0] == "offered"
    assert outcomes[blocked.id][1] == "blocked"
    assert outcomes[plain.id][0] != "offered"


async def test_a_block_racing_an_allocation_run_never_leaves_the_blocked_worker_an_offer(client, conn, settings):
    from tests.allocation.support import allocator

    employer = await factories.employer(client)
    for _ in range(3):
        order = await post_order(client, employer, gig_order_body(
            shifts=[{"start": at(2, 9), "end": at(2, 13), "headcount": 1}]))
        worker = await profiled_worker(conn, client)
        await bid(client, worker, order, 3000)
        response = await client.post(f"/v1/orders/{order['id']}/allocate", headers=employer.auth)
        assert response.status == 202
        async with allocator(settings) as engine:
            await asyncio.gather(engine.run_once(), relate(client, employer, worker, "blocked"))
        assert await conn.fetchval("SELECT count(*) FROM offers WHERE worker_id = $1 AND state = 'pending'",
                                   uuid.UUID(worker.id)) == 0


# ---- book again --------------------------------------------------------------------------------------

async def test_book_again_reposts_the_terms_with_the_original_workers_first(client, conn):
    employer = await factories.employer(client)
    worked, stranger = await profiled_worker(conn, client), await profiled_worker(conn, client)
    original = await post_order(client, employer, gig_order_body(
        shifts=[{"start": at(2, 9), "end": at(2, 13), "headcount": 1}]))
    await conn.execute(
        "INSERT INTO assignments (shift_id, order_id, worker_id, organisation_id, period, rate_fen) "
        "SELECT s.id, s.order_id, $2, o.organisation_id, s.period, 3000 FROM shifts s JOIN orders o "
        "ON o.id = s.order_id WHERE s.id = $1", uuid.UUID(original["shifts"][0]["id"]), uuid.UUID(worked.id))

    response = await client.post(f"/v1/orders/{original['id']}/book-again", json={
        "shifts": [{"start": at(5, 9), "end": at(5, 13), "headcount": 2}], "pool_minutes": 45}, headers=employer.auth)
    assert response.status == 201, await response.text()
    body = await response.json()
    again = body["order"]
    assert again["id"] != original["id"] and again["title"] == original["title"]
    assert again["pay"] == original["pay"] and again["skills"] == original["skills"]
    assert body["pool"]["members"] == [{"worker_id": worked.id, "source": "book_again"}]
    seen = await assert_feed_and_audience_agree(client, conn, [worked, stranger], again)
    assert seen == {worked.id: True, stranger.id: False}

    # Every posting rule on the new dates: a shift in the past is refused, nothing written.
    before = await conn.fetchval("SELECT count(*) FROM orders")
    past = await client.post(f"/v1/orders/{original['id']}/book-again", json={
        "shifts": [{"start": at(-1, 9), "end": at(-1, 13), "headcount": 1}]}, headers=employer.auth)
    assert past.status == 422 and "shifts" in await past.text()
    assert await conn.fetchval("SELECT count(*) FROM orders") == before
    # Another employer's order is a 404.
    other = await factories.employer(client, escrow_fen=0)
    assert (await client.post(f"/v1/orders/{original['id']}/book-again", json={
        "shifts": [{"start": at(5, 9), "end": at(5, 13), "headcount": 1}]}, headers=other.auth)).status == 404


async def test_an_auto_order_in_its_window_is_allocated_to_its_pool_only(client, conn, settings):
    employer = await factories.employer(client)
    favourite, stranger = await profiled_worker(conn, client), await profiled_worker(conn, client)
    await conn.execute("UPDATE workers SET accepts_auto_allocation = true WHERE id = ANY($1::uuid[])",
                       [uuid.UUID(favourite.id), uuid.UUID(stranger.id)])
    await met(client, employer, favourite)
    await relate(client, employer, favourite, "favourite")
    order = await post_order(client, employer, gig_order_body(allocation_mode="auto", private_pool={"minutes": 60},
                                                              shifts=[{"start": at(2, 9), "end": at(2, 13),
                                                                       "headcount": 2}]))
    await allocate(client, settings, employer, order)
    held = {str(r["worker_id"]) for r in await conn.fetch(
        "SELECT worker_id FROM assignments WHERE order_id = $1 AND state = 'active'", uuid.UUID(order["id"]))}
    assert held == {favourite.id}


async def test_a_hide_racing_bids_always_wins(client, conn):
    employer = await factories.employer(client)
    for _ in range(4):
        worker = await profiled_worker(conn, client)
        order = await post_order(client, employer, gig_order_body())
        results = await asyncio.gather(try_bid(client, worker, order), hide(client, worker, employer),
                                       try_bid(client, worker, order))
        assert all(r.status in (201, 409) for r in (results[0], results[2]))
        assert await conn.fetchval("SELECT count(*) FROM bids WHERE worker_id = $1 AND state = 'live'",
                                   uuid.UUID(worker.id)) == 0


async def test_the_live_stream_follows_blocks_and_the_pool_window(client, conn):
    """End to end through the relay and SSE: a favourites-first order reaches its pool at posting,
    never the blocked worker, and the stranger when the sweep opens the window."""
    from tests.api.test_live_feed import events_within, open_stream

    employer = await factories.employer(client)
    favourite, stranger, blocked = [await profiled_worker(conn, client) for _ in range(3)]
    for worker in (favourite, blocked):
        await met(client, employer, worker)
    await relate(client, employer, favourite, "favourite")
    await relate(client, employer, blocked, "blocked")
    streams = {w.id: await open_stream(client, w) for w in (favourite, stranger, blocked)}

    order = await post_order(client, employer, gig_order_body(private_pool={"minutes": 60}))
    shift_id = order["shifts"][0]["id"]
    heard = await streams[favourite.id][1].next_event(timeout=10)
    assert heard.event == "shift.opened" and json.loads(heard.data)["shift_id"] == shift_id
    assert await events_within(streams[stranger.id][1], 1.0) == []

    await conn.execute("UPDATE orders SET pool_until = now() - interval '1 second' WHERE id = $1",
                       uuid.UUID(order["id"]))
    assert await client.app[FAVOURITES].open_ended_windows() == 1
    opened = await streams[stranger.id][1].next_event(timeout=10)
    assert opened.event == "shift.opened"
    assert json.loads(opened.data)["shift_id"] == shift_id and json.loads(opened.data)["pool_opened"] is True
    assert await events_within(streams[favourite.id][1], 1.0) == []  # heard it at posting, not again
    assert await events_within(streams[blocked.id][1], 0.5) == []
    for response, _ in streams.values():
        response.close()


async def test_an_agencys_pool_sees_the_order_it_posts_for_a_client_first_then_everyone(client, conn):
    """The agency's own pool (docs/agencies.md) is the order's private pool, source 'agency', for
    MARKET_AGENCY_POOL_MINUTES when the posting asks for no window; the client's favourites only
    join when it does."""
    client_employer, hr = await factories.employer(client), await agency(client, conn)
    granted = await mandate(client, client_employer, hr)
    pooled, stranger, favourite = [await profiled_worker(conn, client) for _ in range(3)]
    assert (await client.post(f"/v1/agencies/{hr.id}/pool", headers=pooled.auth)).status == 204
    await met(client, client_employer, favourite)
    await relate(client, client_employer, favourite, "favourite")

    response = await client.post("/v1/orders", json=gig_order_body(), headers=acting(hr, granted))
    assert response.status == 201, await response.text()
    order = await response.json()
    assert order["pool_until"] is not None
    pool = await (await client.get(f"/v1/orders/{order['id']}/pool", headers=client_employer.auth)).json()
    assert pool["members"] == [{"worker_id": pooled.id, "source": "agency"}]
    seen = await assert_feed_and_audience_agree(client, conn, [pooled, stranger, favourite], order)
    assert seen == {pooled.id: True, stranger.id: False, favourite.id: False}
    refused = await try_bid(client, stranger, order)
    assert refused.status == 409 and (await refused.json())["reason"] == "private_pool"
    assert (await try_bid(client, pooled, order)).status == 201

    # Asked for a window of its own, the posting's pool holds the client's favourites too.
    asked = await client.post("/v1/orders", json=gig_order_body(private_pool={"minutes": 30}),
                              headers=acting(hr, granted))
    assert asked.status == 201, await asked.text()
    asked_pool = await (await client.get(f"/v1/orders/{(await asked.json())['id']}/pool",
                                         headers=client_employer.auth)).json()
    assert sorted(m["source"] for m in asked_pool["members"]) == ["agency", "favourite"]

    # The window ends: everyone sees it.
    await conn.execute("UPDATE orders SET pool_until = now() - interval '1 second' WHERE id = $1",
                       uuid.UUID(order["id"]))
    seen = await assert_feed_and_audience_agree(client, conn, [pooled, stranger, favourite], order)
    assert seen == {pooled.id: True, stranger.id: True, favourite.id: True}
