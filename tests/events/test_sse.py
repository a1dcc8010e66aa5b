"""The SSE endpoints, through the app as app.py builds it, with the relay running inside."""
from __future__ import annotations

import asyncio
import contextlib
import json
import logging

from aiohttp.test_utils import TestClient

from market.events import views, wiring as events_wiring
from market.events.model import worker_stream
from market.events.views import RECONNECT_MILLISECONDS
from market.web.keys import DB
from tests import factories
from tests.events.support import DISTRICT_NOTICE, EventStreamReader, all_relayed, emit_committed, seq_of_event, wait_until

WORKER_EVENTS = "/v1/workers/me/events"
EMPLOYER_EVENTS = "/v1/employers/me/events"


@contextlib.asynccontextmanager
async def open_stream(client: TestClient, path: str, party: factories.Party, *, last_event_id: int | None = None,
                      query: dict | None = None):
    headers = dict(party.auth)
    if last_event_id is not None:
        headers["Last-Event-ID"] = str(last_event_id)
    response = await client.get(path, headers=headers, params=query)
    try:
        assert response.status == 200, await response.text()
        assert response.headers["Content-Type"].startswith("text/event-stream")
        reader = EventStreamReader(response)
        first = await reader.next_frame()
        assert first is not None and first.retry == RECONNECT_MILLISECONDS
        yield reader
    finally:
        response.close()


def pool_of(client: TestClient):
    return client.server.app[DB]


async def test_a_worker_stream_carries_events_for_that_worker_and_not_for_another(events_client):
    pool = pool_of(events_client)
    me, someone_else = await factories.worker(events_client), await factories.worker(events_client)
    async with open_stream(events_client, WORKER_EVENTS, me) as stream:
        await emit_committed(pool, "offer.made", {"offer_id": "theirs"}, worker_ids=[someone_else.id])
        mine = await emit_committed(pool, "offer.made", {"offer_id": "mine", "地点": "解放碑"}, worker_ids=[me.id])

        event = await stream.next_event()

    assert event.event == "offer.made"
    assert event.id == str(await seq_of_event(pool, mine))
    assert json.loads(event.data) == {"offer_id": "mine", "地点": "解放碑"}


async def test_a_new_connection_without_last_event_id_gets_only_new_events(events_client):
    pool = pool_of(events_client)
    me = await factories.worker(events_client)
    await emit_committed(pool, "bid.placed", {"n": "old"}, worker_ids=[me.id])
    await all_relayed(pool)
    async with open_stream(events_client, WORKER_EVENTS, me) as stream:
        await emit_committed(pool, "bid.placed", {"n": "new"}, worker_ids=[me.id])
        assert json.loads((await stream.next_event()).data) == {"n": "new"}


async def test_reconnecting_with_last_event_id_replays_exactly_the_missed_events(events_client):
    pool = pool_of(events_client)
    me = await factories.worker(events_client)
    async with open_stream(events_client, WORKER_EVENTS, me) as stream:
        await emit_committed(pool, "bid.placed", {"n": 1}, worker_ids=[me.id])
        last_seen = int((await stream.next_event()).id)
    # Disconnected: these three happen while the client is away.
    missed = [await emit_committed(pool, "bid.placed", {"n": n}, worker_ids=[me.id]) for n in (2, 3, 4)]
    await all_relayed(pool)

    async with open_stream(events_client, WORKER_EVENTS, me, last_event_id=last_seen) as stream:
        replayed = [await stream.next_event() for _ in missed]
        live = await emit_committed(pool, "bid.placed", {"n": 5}, worker_ids=[me.id])
        after = await stream.next_event()

    assert [int(event.id) for event in replayed] == [await seq_of_event(pool, event_id) for event_id in missed]
    assert [json.loads(event.data)["n"] for event in replayed] == [2, 3, 4]
    assert int(after.id) == await seq_of_event(pool, live)  # no gap, no repeat between backlog and live


async def test_last_event_id_may_come_as_a_query_parameter(events_client):
    pool = pool_of(events_client)
    me = await factories.worker(events_client)
    first = await emit_committed(pool, "bid.placed", {"n": 1}, worker_ids=[me.id])
    second = await emit_committed(pool, "bid.placed", {"n": 2}, worker_ids=[me.id])
    await all_relayed(pool)
    query = {"last_event_id": str(await seq_of_event(pool, first))}
    async with open_stream(events_client, WORKER_EVENTS, me, query=query) as stream:
        assert int((await stream.next_event()).id) == await seq_of_event(pool, second)


async def test_an_employer_stream_carries_its_organisation_events(events_client):
    pool = pool_of(events_client)
    employer, other_employer = await factories.employer(events_client), await factories.employer(events_client)
    async with open_stream(events_client, EMPLOYER_EVENTS, employer) as stream:
        await emit_committed(pool, "bid.placed", {"bid_id": "theirs"}, organisation_ids=[other_employer.id])
        await emit_committed(pool, "bid.placed", {"bid_id": "ours"}, organisation_ids=[employer.id])
        event = await stream.next_event()
    assert (event.event, json.loads(event.data)) == ("bid.placed", {"bid_id": "ours"})


async def test_an_event_reaches_the_workers_its_audience_resolver_names(events_client):
    pool = pool_of(events_client)
    in_district = await factories.worker(events_client, district_code="500103")
    elsewhere = await factories.worker(events_client, district_code="500106")
    async with open_stream(events_client, WORKER_EVENTS, in_district) as near, \
            open_stream(events_client, WORKER_EVENTS, elsewhere) as far:
        notice = await emit_committed(pool, DISTRICT_NOTICE, {"text": "解放碑 roadworks"}, district_code="500103")
        marker = await emit_committed(pool, "offer.made", {}, worker_ids=[elsewhere.id])
        assert int((await near.next_event()).id) == await seq_of_event(pool, notice)
        assert int((await far.next_event()).id) == await seq_of_event(pool, marker)  # the notice skipped them


async def test_a_client_behind_the_trimmed_history_is_told_to_reset_and_then_continues_live(events_client, redis_client):
    pool = pool_of(events_client)
    me = await factories.worker(events_client)
    emitted = [await emit_committed(pool, "bid.placed", {"n": n}, worker_ids=[me.id]) for n in range(5)]
    await all_relayed(pool)
    seqs = [await seq_of_event(pool, event_id) for event_id in emitted]
    await redis_client.xtrim(worker_stream(me.id), maxlen=2, approximate=False)

    async with open_stream(events_client, WORKER_EVENTS, me, last_event_id=seqs[0]) as stream:
        reset = await stream.next_event()
        live = await emit_committed(pool, "bid.placed", {"n": 5}, worker_ids=[me.id])
        after = await stream.next_event()
    assert reset.event == "reset" and int(reset.id) == seqs[-1]  # resume point: the newest entry
    assert int(after.id) == await seq_of_event(pool, live)

    # Still within what the stream holds: an ordinary resume.
    async with open_stream(events_client, WORKER_EVENTS, me, last_event_id=seqs[3]) as stream:
        assert int((await stream.next_event()).id) == seqs[4]


async def test_the_worker_stream_needs_a_worker_and_the_employer_stream_an_employer(events_client):
    worker, employer = await factories.worker(events_client), await factories.employer(events_client)
    assert (await events_client.get(WORKER_EVENTS)).status == 401
    assert (await events_client.get(WORKER_EVENTS, headers=employer.auth)).status == 403
    assert (await events_client.get(EMPLOYER_EVENTS, headers=worker.auth)).status == 403


async def test_a_last_event_id_this_api_never_sent_is_a_422(events_client):
    worker = await factories.worker(events_client)
    response = await events_client.get(WORKER_EVENTS, headers={**worker.auth, "Last-Event-ID": "abc"})
    assert response.status == 422
    assert (await response.json())["errors"][0]["loc"] == ["header", "Last-Event-ID"]


async def test_the_stream_ends_cleanly_when_redis_is_unavailable(settings, aiohttp_client, tmp_path):
    from market.app import create_app
    from market.web.endpoint import assert_routes_declared

    app = create_app(settings.model_copy(update={"redis_url": f"unix://{tmp_path}/no-redis-here.sock"}))
    events_wiring.setup(app, run_relay=False)
    assert_routes_declared(app)
    client = await aiohttp_client(app)
    worker = await factories.worker(client)

    response = await client.get(WORKER_EVENTS, headers=worker.auth)
    assert response.status == 200
    frames = await EventStreamReader(response).end()
    # Only the reconnect delay: the client comes back with its Last-Event-ID and misses nothing.
    assert [frame.retry for frame in frames] == [RECONNECT_MILLISECONDS]


async def test_open_streams_end_promptly_when_the_app_shuts_down(events_client):
    me = await factories.worker(events_client)
    async with open_stream(events_client, WORKER_EVENTS, me) as stream:
        closing = asyncio.create_task(events_client.server.close())
        assert await stream.end(timeout=3) == []
        await asyncio.wait_for(closing, 3)


async def test_an_idle_stream_sends_heartbeat_comments(events_client, monkeypatch):
    monkeypatch.setattr(views, "BLOCK_MILLISECONDS", 50)
    monkeypatch.setattr(views, "HEARTBEAT_SECONDS", 0.1)
    me = await factories.worker(events_client)
    async with open_stream(events_client, WORKER_EVENTS, me) as stream:
        frame = await stream.next_frame(timeout=3)
    assert frame is not None and frame.comments == ("ping",) and frame.event is None


async def test_a_stream_ends_soon_after_its_client_leaves(events_client, monkeypatch, caplog):
    monkeypatch.setattr(views, "BLOCK_MILLISECONDS", 50)
    me = await factories.worker(events_client)
    with caplog.at_level(logging.INFO, logger="market.access"):
        async with open_stream(events_client, WORKER_EVENTS, me):
            pass  # the client goes away

        async def handler_returned() -> bool:
            return any(getattr(record, "path", None) == WORKER_EVENTS for record in caplog.records)

        await wait_until(handler_returned, timeout=3, what="the stream handler to notice the client left")


async def test_the_event_streams_are_in_the_openapi_document_as_text_event_stream(events_client):
    # (tests/test_ops.py validates the whole document; this checks what the events package adds.)
    document = await (await events_client.get("/openapi.json")).json()
    for path in (WORKER_EVENTS, EMPLOYER_EVENTS):
        operation = document["paths"][path]["get"]
        assert "text/event-stream" in operation["responses"]["200"]["content"]
        assert any(parameter["name"] == "last_event_id" for parameter in operation.get("parameters", []))
