"""The live feed end to end: an order posted → the outbox → the relay (with the fit resolver) →
Redis Streams → the SSE stream of exactly the workers whose feed lists the shift."""
import asyncio
import json

from market.web.keys import REDIS
from tests import factories
from tests.api.test_feed import profiled_worker
from tests.events.support import EventStreamReader
from tests.factories import gig_order_body, post_order


async def open_stream(client, party, path="/v1/workers/me/events", last_event_id=None):
    headers = {**party.auth, **({"Last-Event-ID": last_event_id} if last_event_id else {})}
    response = await client.get(path, headers=headers)
    assert response.status == 200
    assert response.content_type == "text/event-stream"
    reader = EventStreamReader(response)
    first = await reader.next_frame()  # the retry: preamble: the stream is live from here
    assert first is not None and first.retry is not None
    return response, reader


async def events_within(reader, seconds: float) -> list:
    frames = []
    try:
        while True:
            frames.append(await reader.next_event(timeout=seconds))
    except TimeoutError:
        return frames


async def test_a_fitting_worker_hears_of_a_new_shift_and_a_non_fitting_one_does_not(client, conn):
    employer = await factories.employer(client)
    fitting = await profiled_worker(conn, client)
    unskilled = await profiled_worker(conn, client, skills=())
    fit_response, fit_reader = await open_stream(client, fitting)
    other_response, other_reader = await open_stream(client, unskilled)

    order = await post_order(client, employer, gig_order_body())

    event = await fit_reader.next_event(timeout=10)
    assert event.event == "shift.opened"
    assert json.loads(event.data)["shift_id"] == order["shifts"][0]["id"]
    assert await events_within(other_reader, 1.5) == []
    fit_response.close()
    other_response.close()


async def test_a_reconnect_with_last_event_id_replays_exactly_the_missed_events(client, conn):
    employer = await factories.employer(client)
    worker = await profiled_worker(conn, client)
    response, reader = await open_stream(client, worker)
    await post_order(client, employer, gig_order_body(title="第一单"))
    first = await reader.next_event(timeout=10)
    response.close()

    missed = [await post_order(client, employer, gig_order_body(title=f"错过的第{i}单")) for i in (1, 2)]
    await asyncio.sleep(0.5)  # let the relay copy them to the stream while the worker is away

    response, reader = await open_stream(client, worker, last_event_id=first.id)
    replayed = [await reader.next_event(timeout=10) for _ in missed]
    assert [json.loads(e.data)["order_id"] for e in replayed] == [o["id"] for o in missed]
    assert all(int(e.id) > int(first.id) for e in replayed)
    assert len({e.id for e in replayed}) == 2
    assert await events_within(reader, 1.0) == []  # nothing twice, nothing extra
    response.close()


async def test_the_employer_hears_of_bids_on_their_orders(client, conn):
    employer = await factories.employer(client)
    worker = await profiled_worker(conn, client)
    order = await post_order(client, employer, gig_order_body())
    response, reader = await open_stream(client, employer, path="/v1/employers/me/events")
    placed = await client.post(f"/v1/orders/{order['id']}/bids",
                               json={"shift_ids": [order["shifts"][0]["id"]], "rate_fen": 2900}, headers=worker.auth)
    assert placed.status == 201
    event = await reader.next_event(timeout=10)
    if event.event == "order.posted":  # the posting itself may still have been on its way
        event = await reader.next_event(timeout=10)
    assert event.event == "bid.placed"
    assert json.loads(event.data)["order_id"] == order["id"]
    response.close()


async def test_posting_succeeds_while_redis_is_down_and_the_event_arrives_later(client, conn):
    """The outbox, not Redis, is the record: with the relay unable to reach Redis the posting
    still commits, and the event is relayed once Redis answers again."""
    employer = await factories.employer(client)
    redis = client.app[REDIS]
    await redis.execute_command("CLIENT", "PAUSE", "1500", "ALL")  # Redis stops answering for 1.5 s
    order = await post_order(client, employer, gig_order_body())
    assert order["state"] == "open"
    for _ in range(100):
        relayed = await conn.fetchval("SELECT count(*) FROM events WHERE relayed_at IS NOT NULL "
                                      "AND payload->>'order_id' = $1", order["id"])
        if relayed:
            break
        await asyncio.sleep(0.1)
    assert relayed >= 1
