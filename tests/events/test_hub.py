"""The stream hub: one reader per process for every open stream, on a real Redis."""
from __future__ import annotations

import asyncio
import json

import pytest

from market.app import create_app
from market.events import wiring as events_wiring
from market.events import hub as hub_module, views
from market.events.hub import SlowConsumer, StreamHub
from market.events.keys import STREAM_HUB
from market.events.model import district_stream, entry_id, worker_stream
from market.web.endpoint import assert_routes_declared
from tests import factories
from tests.events.support import all_relayed, emit_committed, seq_of_event, wait_until
from tests.events.test_sse import WORKER_EVENTS, open_stream, pool_of


async def append(redis, key: str, *seqs: int) -> None:
    """Entries `<seq>-0`, all at once (MULTI: a blocked reader sees all of them or none)."""
    pipe = redis.pipeline(transaction=True)
    for seq in seqs:
        pipe.xadd(key, {"kind": "bid.placed", "data": json.dumps({"n": seq})}, id=entry_id(seq))
    await pipe.execute()


@pytest.fixture
async def hub_client(settings, aiohttp_client):
    """The app with the hub on (whatever MARKET_EVENTS_STREAM_HUB says), as events_client builds it."""
    app = create_app(settings.model_copy(update={"events_stream_hub": True}))
    events_wiring.setup(app)
    return await aiohttp_client(app)


@pytest.fixture
async def hub(redis_client):
    started = StreamHub(redis_client)
    yield started
    await started.close()


async def test_streams_of_many_parties_share_one_reader(hub_client):
    pool = pool_of(hub_client)
    workers = [await factories.worker(hub_client) for _ in range(3)]
    async with open_stream(hub_client, WORKER_EVENTS, workers[0]) as first, \
            open_stream(hub_client, WORKER_EVENTS, workers[1]) as second, \
            open_stream(hub_client, WORKER_EVENTS, workers[2]) as third:
        def readers():
            return [reader for group in hub_client.app[STREAM_HUB]._readers.values() for reader in group]

        async def all_subscribed() -> bool:  # each subscribes just after its (empty) backlog
            return sum(len(reader.positions) for reader in readers()) == 3

        await wait_until(all_subscribed, what="every stream to subscribe")
        assert len(readers()) == 1
        emitted = [await emit_committed(pool, "offer.made", {"n": n}, worker_ids=[worker.id])
                   for n, worker in enumerate(workers)]
        received = [await stream.next_event() for stream in (first, second, third)]
    assert [int(event.id) for event in received] == [await seq_of_event(pool, event_id) for event_id in emitted]


async def test_a_subscriber_joining_a_key_the_hub_already_reads_past_is_told_how_far(hub, redis_client):
    key = worker_stream("w1")
    early, _ = hub.subscribe([key], 0)
    await append(redis_client, key, 3, 5)
    assert [entry.seq for entry in await early.next_entries(2)] == [3, 5]

    late, read_through = hub.subscribe([key], 3)  # its backlog ended at 3; 5 went by before it joined
    await append(redis_client, key, 8)

    assert read_through == 5  # so it reads (3, 5] itself
    assert [entry.seq for entry in await late.next_entries(2)] == [8]
    assert [entry.seq for entry in await early.next_entries(2)] == [8]


async def test_a_merged_subscription_receives_its_keys_in_seq_order(hub, redis_client):
    one, other = district_stream("500103"), district_stream("500106")
    subscription, _ = hub.subscribe([one, other], 0)
    pipe = redis_client.pipeline(transaction=False)  # one after another: the reader may see a part
    for seq, key in ((1, one), (2, other), (3, one), (4, other)):
        pipe.xadd(key, {"kind": "order.posted", "data": "{}"}, id=entry_id(seq))
    await pipe.execute()

    received = []
    while len(received) < 4:
        received += [entry.seq for entry in await subscription.next_entries(2)]
    assert received == [1, 2, 3, 4]


async def test_a_key_subscribed_during_a_blocking_read_joins_the_next_read(hub, redis_client, monkeypatch):
    monkeypatch.setattr(hub_module, "BLOCK_MILLISECONDS", 100)
    waiting, _ = hub.subscribe([worker_stream("w1")], 0)
    await asyncio.sleep(0.03)  # its reader is now blocked in an XREAD that names w1 only
    joining, _ = hub.subscribe([worker_stream("w2")], 0)
    await append(redis_client, worker_stream("w2"), 7)
    assert [entry.seq for entry in await joining.next_entries(2)] == [7]
    assert await waiting.next_entries(0.05) == []


async def test_keys_beyond_one_read_get_another_reader(hub, redis_client, monkeypatch):
    monkeypatch.setattr(hub_module, "KEYS_PER_READ", 2)
    subscriptions = [hub.subscribe([worker_stream(f"w{n}")], 0)[0] for n in range(5)]
    assert sorted(len(reader.positions) for reader in hub._readers[None]) == [1, 2, 2]
    for n in range(5):
        await append(redis_client, worker_stream(f"w{n}"), 10 + n)
    assert [[entry.seq for entry in await s.next_entries(2)] for s in subscriptions] == [[10], [11], [12], [13], [14]]


async def test_a_subscriber_too_far_behind_is_ended_as_a_slow_consumer(hub, redis_client, monkeypatch):
    monkeypatch.setattr(hub_module, "BUFFER_ENTRIES", 3)
    key = worker_stream("w1")
    slow, _ = hub.subscribe([key], 0)
    keeping_up, _ = hub.subscribe([key], 0)
    await append(redis_client, key, 1, 2)
    assert [entry.seq for entry in await keeping_up.next_entries(2)] == [1, 2]
    await append(redis_client, key, 3, 4)
    assert [entry.seq for entry in await keeping_up.next_entries(2)] == [3, 4]

    with pytest.raises(SlowConsumer):
        await slow.next_entries(2)
    await append(redis_client, key, 5)
    assert [entry.seq for entry in await keeping_up.next_entries(2)] == [5]  # the others go on


async def test_a_slow_consumers_stream_ends_and_a_reconnect_replays_what_it_missed(hub_client, monkeypatch):
    pool = pool_of(hub_client)
    me = await factories.worker(hub_client)
    first = await emit_committed(pool, "bid.placed", {"n": 0}, worker_ids=[me.id])
    await all_relayed(pool)
    # A socket that never has room (as when the client stops reading) and a buffer of none: the
    # hub cannot write the entry itself, and the one entry it hands over counts as falling behind.
    monkeypatch.setattr(views, "DIRECT_WRITE_LIMIT", -1)
    monkeypatch.setattr(hub_module, "BUFFER_ENTRIES", 0)
    async with open_stream(hub_client, WORKER_EVENTS, me) as stream:
        missed = await emit_committed(pool, "bid.placed", {"n": 1}, worker_ids=[me.id])
        assert await stream.end() == []  # ended without sending it
    monkeypatch.undo()

    async with open_stream(hub_client, WORKER_EVENTS, me, last_event_id=await seq_of_event(pool, first)) as stream:
        assert int((await stream.next_event()).id) == await seq_of_event(pool, missed)


async def test_a_client_whose_socket_is_full_gets_its_entries_in_order_from_its_own_task(hub_client, monkeypatch):
    pool = pool_of(hub_client)
    me = await factories.worker(hub_client)
    monkeypatch.setattr(views, "DIRECT_WRITE_LIMIT", -1)  # the hub never writes to it directly
    async with open_stream(hub_client, WORKER_EVENTS, me) as stream:
        sent = [await emit_committed(pool, "bid.placed", {"n": n}, worker_ids=[me.id]) for n in range(3)]
        received = [int((await stream.next_event()).id) for _ in sent]
    assert received == [await seq_of_event(pool, event) for event in sent]


async def test_with_the_hub_switched_off_each_stream_reads_for_itself(settings, aiohttp_client):
    app = create_app(settings.model_copy(update={"events_stream_hub": False}))
    events_wiring.setup(app)
    assert_routes_declared(app)
    client = await aiohttp_client(app)
    assert STREAM_HUB not in client.app
    me = await factories.worker(client)
    async with open_stream(client, WORKER_EVENTS, me) as stream:
        sent = await emit_committed(pool_of(client), "offer.made", {}, worker_ids=[me.id])
        assert int((await stream.next_event()).id) == await seq_of_event(pool_of(client), sent)
