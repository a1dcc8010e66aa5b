"""The service on a real Redis Cluster (three masters on loopback): the live feed, the outbox relay,
a supervisor's stream merged across slots, and rate limits, all through redis-py's RedisCluster."""
from __future__ import annotations

import json
import uuid

import pytest
from redis.asyncio.cluster import RedisCluster
from redis.crc import key_slot

from market import redis_clients
from market.app import create_app
from market.events import streams
from market.events.model import Event, district_stream, entry_id, organisation_stream, worker_stream
from market.events.relay import Relay, relay_redis_client
from market.accounts.keys import ACCOUNTS
from market.web.keys import DB, REDIS
from tests import factories
from tests.api.test_feed import profiled_worker
from tests.events.support import EventStreamReader, emit_committed, seq_of_event

pytestmark = [pytest.mark.cluster, pytest.mark.own_servers]

JIEFANGBEI, SHAPINGBA = "500103", "500106"


@pytest.fixture
async def cluster(redis_cluster_url):
    client = redis_clients.connect(redis_cluster_url)
    await client.flushall(target_nodes=RedisCluster.PRIMARIES)
    yield client
    await client.aclose()


@pytest.fixture
def cluster_settings(settings, redis_cluster_url, cluster):
    return settings.model_copy(update={"redis_url": redis_cluster_url})


@pytest.fixture
async def cluster_client(cluster_settings, aiohttp_client, redis_url):
    # Rate limits on the ordinary test Redis here, so these tests are about the events alone;
    # test_rate_limits_count_in_the_cluster puts them on the cluster too.
    return await aiohttp_client(create_app(cluster_settings.model_copy(update={"rate_limit_storage_url": redis_url})))


def node_of(cluster: RedisCluster, key: str) -> str:
    return cluster.get_node_from_key(key).name


def workers_on_every_node(cluster: RedisCluster, *, per_node: int) -> list[uuid.UUID]:
    """Worker ids whose streams land `per_node` on each master: chosen by their slot, not left to
    chance (twelve random ids miss one of three masters about one run in forty)."""
    by_node: dict[str, list[uuid.UUID]] = {node.name: [] for node in cluster.get_primaries()}
    while any(len(ids) < per_node for ids in by_node.values()):
        worker = uuid.uuid4()
        ids = by_node[node_of(cluster, worker_stream(worker))]
        if len(ids) < per_node:
            ids.append(worker)
    return [worker for ids in zip(*by_node.values()) for worker in ids]


async def test_the_app_talks_to_the_cluster_through_a_cluster_client(cluster_client, cluster):
    assert isinstance(cluster_client.app[REDIS], RedisCluster)
    assert len(cluster.get_primaries()) == 3
    ready = await cluster_client.get("/readyz")
    assert (ready.status, (await ready.json())["redis"]) == (200, "ok")


async def test_a_worker_hears_of_a_new_fitting_shift_through_the_cluster(cluster_client, cluster, conn):
    employer = await factories.employer(cluster_client)
    worker = await profiled_worker(conn, cluster_client)
    response = await cluster_client.get("/v1/workers/me/events", headers=worker.auth)
    assert response.status == 200
    reader = EventStreamReader(response)
    assert (await reader.next_frame()).retry is not None  # the stream is live from here

    order = await factories.post_order(cluster_client, employer, factories.gig_order_body())

    event = await reader.next_event(timeout=10)
    response.close()
    assert event.event == "shift.opened"
    assert json.loads(event.data)["shift_id"] == order["shifts"][0]["id"]
    # The entry sits in the worker's stream on the cluster, under the id the client was sent.
    [(stream_id, _)] = await cluster.xrange(worker_stream(worker.id))
    assert stream_id.decode() == entry_id(int(event.id))


async def test_the_relay_copies_events_to_streams_on_every_node_once_and_in_order(database, cluster,
                                                                                  redis_cluster_url):
    from market import db

    pool = await db.create_pool(database, min_size=1, max_size=4)
    relay_redis = relay_redis_client(redis_cluster_url)
    try:
        workers = workers_on_every_node(cluster, per_node=4)
        organisation = uuid.uuid4()
        emitted = [await emit_committed(pool, "offer.made", {"n": n}, worker_ids=[worker], organisation_ids=[organisation],
                                        district_code=JIEFANGBEI if n % 2 else SHAPINGBA)
                   for n, worker in enumerate(workers)]
        relay = Relay(pool, relay_redis, batch_size=5)  # several batches, several relayed-through marks

        assert await relay.relay_pending() == len(workers)

        seqs = [await seq_of_event(pool, event_id) for event_id in emitted]
        keys = [worker_stream(worker) for worker in workers]
        assert len({node_of(cluster, key) for key in keys}) == 3
        for worker, seq in zip(workers, seqs):
            assert [stream_id.decode() for stream_id, _ in await cluster.xrange(worker_stream(worker))] == [f"{seq}-0"]
        assert [stream_id.decode() for stream_id, _ in await cluster.xrange(organisation_stream(organisation))] == \
            [f"{seq}-0" for seq in seqs]
        assert [int(stream_id.decode().split("-")[0]) for stream_id, _ in
                await cluster.xrange(district_stream(JIEFANGBEI))] == seqs[1::2]
        assert await streams.relayed_through(cluster) == max(seqs)

        # A second relay appending the same events (a crash before marking them relayed) adds nothing.
        events = [Event(0, "offer.made", "{}", district_code=JIEFANGBEI, worker_ids=(worker,), seq=seq)
                  for worker, seq in zip(workers, seqs)]
        assert await streams.append_events(relay_redis, events) == 0
        assert await cluster.xlen(worker_stream(workers[0])) == 1
    finally:
        await relay_redis.aclose()
        await pool.close()


async def test_a_read_across_slots_stops_at_what_is_readable_on_every_node(cluster):
    """Seq 8 is on its way to one node while 9 is already on another: a merged read must not pass 8."""
    one, other = district_stream(JIEFANGBEI), district_stream(SHAPINGBA)
    assert key_slot(one.encode()) != key_slot(other.encode())
    await streams.append_events(cluster, [Event(1, "order.posted", "{}", district_code=JIEFANGBEI, seq=7)])
    await cluster.xadd(other, {"kind": "order.posted", "data": "{}"}, id=entry_id(9))  # 8 not yet appended

    assert [entry.seq for entry in await streams.entries_after(cluster, [one, other], 0, 10)] == [7]
    assert await streams.newest_seq(cluster, [one, other]) == 7
    assert [entry.seq for entry in await streams.wait_for_entries(cluster, [one, other], 7, 10, 50)] == []

    # The relay's batch completes: 8 lands and the mark moves to 9.
    await streams.append_events(cluster, [Event(2, "order.posted", "{}", district_code=JIEFANGBEI, seq=8),
                                          Event(3, "order.posted", "{}", district_code=SHAPINGBA, seq=9)])
    assert [entry.seq for entry in await streams.wait_for_entries(cluster, [one, other], 7, 10, 50)] == [8, 9]


async def test_a_supervisor_stream_merges_districts_on_different_slots_in_seq_order(cluster_client):
    pool = cluster_client.app[DB]
    issued = await cluster_client.app[ACCOUNTS].create_staff("supervisor", "监管员", [JIEFANGBEI, SHAPINGBA])
    response = await cluster_client.get("/v1/supervision/events", headers={"Authorization": f"Bearer {issued.token}"})
    assert response.status == 200
    reader = EventStreamReader(response)
    assert (await reader.next_frame()).retry is not None

    emitted = [await emit_committed(pool, "order.posted", {"n": n}, district_code=(JIEFANGBEI, SHAPINGBA)[n % 2])
               for n in range(6)]
    received = [await reader.next_event(timeout=10) for _ in emitted]
    response.close()

    assert [int(event.id) for event in received] == [await seq_of_event(pool, event_id) for event_id in emitted]
    assert [json.loads(event.data)["n"] for event in received] == list(range(6))


async def test_rate_limits_count_in_the_cluster(cluster_settings, aiohttp_client, cluster):
    app = create_app(cluster_settings.model_copy(update={"rate_limit_sign_in_per_login": "2/minute"}))
    client = await aiohttp_client(app)
    worker = await factories.worker(client)  # one sign-in
    attempts = [await client.post("/v1/auth/tokens", json={"login": worker.login, "password": "wrong password"})
                for _ in range(2)]

    assert [attempt.status for attempt in attempts] == [401, 429]
    assert int(attempts[1].headers["Retry-After"]) >= 1
    # Counted in the cluster, where every process of the service sees it, not in a fallback.
    counters = [key async for key in cluster.scan_iter(match="market:ratelimit*")]
    assert counters


def test_a_cluster_url_names_its_nodes_and_refuses_a_database_number(redis_cluster_url):
    with pytest.raises(ValueError, match="database 0"):
        redis_clients.connect(redis_cluster_url + "/3")
    assert redis_clients.is_cluster_url(redis_cluster_url) and not redis_clients.is_cluster_url("redis://h:1/0")
