"""`market allocator`, `market relay` and the settlement commands killed with SIGKILL at random
points (seeded: MARKET_FAULTS_SEED replays a run) and started again: nothing lost, nothing twice.

A SIGKILL gives the process no chance to clean up: PostgreSQL rolls back its open transaction
when the connection drops, its Redis pipeline may be half sent, a claimed allocation run stays
`running` until its lease runs out. What each restart must find is the state a correct design
leaves behind: whole transactions only, and queues that resume.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from datetime import date, timedelta
from typing import AsyncIterator, Callable

import asyncpg
import pytest
import redis.asyncio as aioredis

from market import db
from market.events.model import district_stream, organisation_stream, worker_stream
from market.events.outbox import emit
from tests import factories
from tests.allocation.support import bid, skilled_worker
from tests.factories import at, gig_order_body, post_order
from tests.faults.support import (
    MarketProcess, assert_every_seat_is_held_once, assert_no_double_booking_or_overfill, ledger_check,
    market_environment, wait_until,
)
from tests.settlement.support import (
    assert_one_batch_paid_each_payee_once, assign, now_local, principal_of, shift_at, work_shift,
)

pytestmark = pytest.mark.faults


# -- the allocator ---------------------------------------------------------------------------------

ALLOCATOR_SETTINGS = {
    # The solve in a thread: a process pool's forkserver costs a second per start, and a start
    # follows every kill. SIGKILL goes to the whole process group either way.
    "allocator_solve_in": "thread",
    "allocator_poll_interval": "PT0.1S",
    # A run its killed allocator left `running` is claimed again this soon (production: 5 min).
    "allocator_run_lease": "PT1S",
    "allocator_time_limit_seconds": "2",
}


async def _contended_orders(client, conn) -> int:
    """Bids orders and auto orders whose shifts overlap, more bidders than seats; one queued run
    per order. Returns how many runs are queued."""
    employer = await factories.employer(client)
    workers = [await skilled_worker(client, conn, auto=True) for _ in range(14)]
    bids_orders = [await post_order(client, employer, gig_order_body(
        shifts=[{"start": at(2, 8 + index % 4), "end": at(2, 12 + index % 4), "headcount": 2}]))
        for index in range(10)]
    for number, worker in enumerate(workers):
        for order in bids_orders[number % 5::3]:
            await bid(client, worker, order, 2400 + 10 * number)
    auto_orders = [await post_order(client, employer, gig_order_body(
        allocation_mode="auto", district_code=("500103", "500106")[index % 2],
        shifts=[{"start": at(3, 9 + index % 3), "end": at(3, 13 + index % 3), "headcount": 2}]))
        for index in range(6)]
    for order in bids_orders + auto_orders:
        response = await client.post(f"/v1/orders/{order['id']}/allocate", headers=employer.auth)
        assert response.status == 202, await response.text()
    return len(bids_orders) + len(auto_orders)


async def _runs_done(conn) -> int:
    return await conn.fetchval("SELECT count(*) FROM allocation_runs WHERE status = 'done'")


async def test_allocators_killed_mid_queue_and_restarted_finish_every_run_once_without_double_booking(
        client, conn, database, redis_url, tmp_path, rng):
    queued = await _contended_orders(client, conn)
    env = market_environment(database, redis_url, tmp_path, **ALLOCATOR_SETTINGS)
    log = tmp_path / "allocator.log"
    kills = []

    # A kill at a random moment of start-up or of the first runs, then one a random number of runs
    # further on, a random instant after a run committed (mostly inside the next run).
    first = await MarketProcess.start(env, log, "allocator")

    async def a_third_done() -> bool:
        return await _runs_done(conn) >= queued // 3

    with contextlib.suppress(TimeoutError):  # whichever comes first
        async with asyncio.timeout(rng.uniform(0.3, 2.5)):
            await wait_until(a_third_done, 30, "a third of the runs", every=0.005, alive=first)
    kills.append(("at random", await _runs_done(conn)))
    await first.kill9()
    second = await MarketProcess.start(env, log, "allocator")
    target = min(await _runs_done(conn) + rng.randint(1, 4), queued - 1)

    async def reached() -> bool:
        return await _runs_done(conn) >= target

    await wait_until(reached, 30, f"{target} runs done", every=0.005, alive=second)
    await asyncio.sleep(rng.uniform(0, 0.08))
    kills.append((f"after run {target}", await conn.fetchval(
        "SELECT count(*) FROM allocation_runs WHERE status = 'running'")))
    await second.kill9()

    last = await MarketProcess.start(env, log, "allocator")

    async def queue_empty() -> bool:
        return await conn.fetchval(
            "SELECT count(*) FROM allocation_runs WHERE status IN ('queued', 'running')") == 0 and \
            await conn.fetchval("SELECT count(*) FROM orders WHERE state = 'allocating'") == 0

    await wait_until(queue_empty, 40, "every run to finish", every=0.05, alive=last)
    await last.kill9()
    print("kills (point, runs running or done at the kill):", kills)

    statuses = {r["status"]: r["count"] for r in await conn.fetch(
        "SELECT status, count(*) FROM allocation_runs GROUP BY status")}
    assert set(statuses) == {"done"}, statuses
    assert statuses["done"] >= queued  # ours, and any auto sweeps the allocators queued themselves
    await assert_no_double_booking_or_overfill(conn)
    await assert_every_seat_is_held_once(conn)
    assert await conn.fetchval("SELECT count(*) FROM offers") + await conn.fetchval(
        "SELECT count(*) FROM assignments") > 0, "the runs placed nobody: the test proves nothing"
    # Every offer and every allocated seat announced exactly once; every run finished once.
    offer_events = await conn.fetch(
        "SELECT f.id, (SELECT count(*) FROM events e WHERE e.kind = 'offer.made' "
        "AND e.payload->>'offer_id' = f.id::text) AS announced FROM offers f")
    assert [r["id"] for r in offer_events if r["announced"] != 1] == []
    seat_events = await conn.fetch(
        "SELECT a.id, (SELECT count(*) FROM events e WHERE e.kind = 'assignment.made' "
        "AND e.payload->>'assignment_id' = a.id::text) AS announced FROM assignments a")
    assert [r["id"] for r in seat_events if r["announced"] != 1] == []
    assert await conn.fetch(
        "SELECT payload->>'run_id', payload->>'order_id' FROM events WHERE kind = 'run.finished' "
        "GROUP BY 1, 2 HAVING count(*) > 1") == []
    await ledger_check(env, log)


# -- the relay -------------------------------------------------------------------------------------

WORKERS = [uuid.UUID(int=n) for n in range(1, 6)]
ORGANISATIONS = [uuid.UUID(int=n) for n in range(101, 103)]
DISTRICT = "500103"


def _audience(number: int) -> dict:
    """A varied fan-out: a worker or two, sometimes an organisation, sometimes the district."""
    workers = [WORKERS[number % 5]] + ([WORKERS[(number * 7 + 3) % 5]] if number % 3 == 0 else [])
    audience: dict = {"worker_ids": list(dict.fromkeys(workers))}
    if number % 4 == 0:
        audience["organisation_ids"] = [ORGANISATIONS[number % 2]]
    if number % 10 == 0:
        audience["district_code"] = DISTRICT
    return audience


class Producer:
    """Commits numbered events (`n` in the payload, unique) as services would: a burst in one
    transaction, or a trickle of small transactions while relays come and go."""

    def __init__(self, pool) -> None:
        self.pool = pool
        self.next = 0

    async def burst(self, count: int) -> None:
        async with self.pool.acquire() as conn, conn.transaction():
            for _ in range(count):
                await emit(conn, "bid.placed", {"n": self.next}, **_audience(self.next))
                self.next += 1

    async def trickle(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            await self.burst(3)
            await asyncio.sleep(0.01)


class StreamReader:
    """A live consumer of one stream (what the SSE endpoint does): XREAD BLOCK after the last id
    it handled, so it sees each entry once, in order, across relay crashes."""

    def __init__(self, redis_url: str, key: str) -> None:
        self.redis = aioredis.from_url(redis_url, socket_timeout=5)
        self.key = key
        self.seen: list[tuple[int, int]] = []  # (entry seq, payload n)

    async def follow(self) -> None:
        last = "0-0"
        while True:
            for _, entries in await self.redis.xread({self.key: last}, count=500, block=100):
                for entry_id, fields in entries:
                    last = entry_id.decode()
                    self.seen.append((int(last.split("-")[0]), json.loads(fields[b"data"])["n"]))


def _streams_of_parties() -> list[tuple[str, Callable[[asyncpg.Record], bool]]]:
    """Each stream key, and which outbox rows belong on it."""
    parties = [(worker_stream(w), lambda row, w=w: w in row["worker_ids"]) for w in WORKERS]
    parties += [(organisation_stream(o), lambda row, o=o: o in row["organisation_ids"]) for o in ORGANISATIONS]
    parties.append((district_stream(DISTRICT), lambda row: row["district_code"] == DISTRICT))
    return parties


async def _stop(tasks: list[asyncio.Task]) -> None:
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_relays_killed_mid_pass_and_restarted_deliver_every_event_to_every_stream_once(
        database, redis_url, redis_client, tmp_path, rng):
    pool = await db.create_pool(database, min_size=1, max_size=4)
    env = market_environment(database, redis_url, tmp_path)
    log = tmp_path / "relay.log"
    producer, stop_producing = Producer(pool), asyncio.Event()
    parties = _streams_of_parties()
    readers = [StreamReader(redis_url, key) for key, _ in (parties[0], parties[-1])]
    following = [asyncio.create_task(reader.follow()) for reader in readers]
    producing: list[asyncio.Task] = []
    phase = ["a backlog of 600 events"]
    relays: list[MarketProcess] = []
    try:
        async with _diagnosed_on_hang(database, phase, log):
            await _relay_kill_rounds(pool, redis_client, env, log, producer, stop_producing, producing, parties,
                                     readers, rng, phase, relays)
    finally:
        for relay in relays:  # a failed step leaves no relay running into the next tests
            await relay.kill9()
        stop_producing.set()
        try:
            async with asyncio.timeout(15):
                await _stop(producing + following)
        except TimeoutError as stuck:
            raise AssertionError(f"the producer and the stream readers did not stop (during: {phase[0]})") from stuck
        for reader in readers:
            await reader.redis.aclose()
        try:
            await asyncio.wait_for(pool.close(), 10)
        except TimeoutError:
            pool.terminate()
            raise


@contextlib.asynccontextmanager
async def _diagnosed_on_hang(database: str, phase: list[str], log) -> AsyncIterator[None]:
    """Every step below is bounded, but their sum is not: a run that overstays RELAY_TEST_SECONDS
    (well inside pytest's 180-s guard) fails with where it was and what PostgreSQL was doing, instead
    of pytest-timeout's bare traceback of the event loop's select() (a CI run once ended so)."""
    try:
        async with asyncio.timeout(RELAY_TEST_SECONDS):
            yield
    except TimeoutError:
        activity = "(pg_stat_activity unreadable)"
        with contextlib.suppress(Exception):
            conn = await asyncpg.connect(database, timeout=5)
            try:
                activity = "\n".join(str(dict(row)) for row in await conn.fetch(
                    "SELECT pid, datname, state, wait_event_type, wait_event, backend_type, "
                    "now() - xact_start AS in_transaction, left(query, 160) AS query FROM pg_stat_activity "
                    "WHERE pid <> pg_backend_pid() ORDER BY xact_start NULLS LAST", timeout=5))
            finally:
                await conn.close()
        tail = log.read_text(errors="replace")[-3000:] if log.exists() else "(no relay log)"
        raise AssertionError(f"the relay test overstayed {RELAY_TEST_SECONDS} s during: {phase[0]}\n"
                             f"pg_stat_activity:\n{activity}\nrelay log:\n{tail}") from None


RELAY_TEST_SECONDS = 140


async def _relay_kill_rounds(pool, redis_client, env, log, producer: Producer, stop_producing: asyncio.Event,
                             producing: list[asyncio.Task], parties, readers: list[StreamReader], rng,
                             phase: list[str], relays: list[MarketProcess]) -> None:
    async def relayed() -> int:
        return await pool.fetchval("SELECT count(*) FROM events WHERE relayed_at IS NOT NULL")

    async def all_relayed() -> bool:
        return await pool.fetchval("SELECT count(*) FROM events WHERE relayed_at IS NULL") == 0

    await producer.burst(600)
    producing.append(asyncio.create_task(producer.trickle(stop_producing)))
    for round_number in range(2):
        phase[0] = f"round {round_number + 1}: a backlog, then a relay started and killed"
        # A backlog built while no relay runs, then a relay killed a random instant after its
        # first progress: inside a pass (sequencing, appending or marking) or between passes.
        async with asyncio.timeout(30):
            await producer.burst(rng.randint(300, 900))
        relays.append(relay := await MarketProcess.start(env, log, "relay"))
        before = await relayed()

        async def progressed() -> bool:
            return await relayed() > before  # noqa: B023 (awaited in this iteration)

        await wait_until(progressed, 30, "the relay to relay something", every=0.005, alive=relay)
        await asyncio.sleep(rng.uniform(0, 0.25))
        await relay.kill9()

    phase[0] = "the producer's last transaction"
    stop_producing.set()
    async with asyncio.timeout(30):
        await asyncio.gather(*producing)  # its last transaction commits
    phase[0] = "the last relay relaying everything"
    relays.append(relay := await MarketProcess.start(env, log, "relay"))
    await wait_until(all_relayed, 30, "every event to be relayed", every=0.05, alive=relay)
    assert await relay.terminate() == 0, relay.output()

    rows = await pool.fetch("SELECT seq, payload, worker_ids, organisation_ids, district_code FROM events "
                            "ORDER BY seq")
    assert all(row["seq"] is not None for row in rows)
    assert len({row["seq"] for row in rows}) == len(rows) == producer.next
    expected = {key: [(row["seq"], row["payload"]["n"]) for row in rows if belongs(row)]
                for key, belongs in parties}
    for key, _ in parties:
        stored = [(int(entry_id.decode().split("-")[0]), json.loads(fields[b"data"])["n"])
                  for entry_id, fields in await redis_client.xrange(key)]
        # Every event on each of its streams, once, in seq order, under its own seq as id.
        assert stored == expected[key], key

    # The live readers saw the same: no id missing, none twice, each id with its own event.
    async def readers_caught_up() -> bool:
        return all(len(reader.seen) >= len(expected[reader.key]) for reader in readers)

    phase[0] = "the stream readers catching up"
    await wait_until(readers_caught_up, 5, "the stream readers to catch up")
    for reader in readers:
        assert reader.seen == expected[reader.key], reader.key


# -- settlement ------------------------------------------------------------------------------------

WORKED_DAYS = 3
SETTLEMENT_WORKERS = 8


async def _submitted_timesheets(client, conn) -> int:
    """Workers who each worked three past shifts (three employers, the same month) and checked out
    more than a day ago, none answered: auto-approval is due for every one. Returns how many."""
    employers = [await factories.employer(client) for _ in range(WORKED_DAYS)]
    workers = [await factories.worker(client) for _ in range(SETTLEMENT_WORKERS)]
    today = now_local().replace(hour=9, minute=0, second=0, microsecond=0)
    for day, employer in enumerate(employers):
        start = today - timedelta(days=3 + day)
        _, shift_id = await shift_at(client, conn, employer, start, start + timedelta(hours=4),
                                     headcount=SETTLEMENT_WORKERS)
        for number, worker in enumerate(workers):
            assignment_id = await assign(conn, shift_id, worker)
            # Check-outs a minute apart: auto-approval takes them in a known order.
            await work_shift(client, await principal_of(client, worker), assignment_id, start,
                             start + timedelta(hours=4, minutes=-number))
    return WORKED_DAYS * SETTLEMENT_WORKERS


async def test_settlement_commands_killed_mid_batch_and_run_again_settle_and_pay_everything_exactly_once(
        client, conn, database, redis_url, tmp_path, rng):
    total = await _submitted_timesheets(client, conn)
    env = market_environment(database, redis_url, tmp_path, payout_delay_per_payee_seconds="0.03")
    log = tmp_path / "settlement.log"

    # Auto-approval killed while it waits on a timesheet row the test holds locked (so the kill is
    # certainly mid-batch, inside its transaction), after a random number of approvals.
    locked_at = rng.randint(1, total - 2)
    victim = await conn.fetchval("SELECT assignment_id FROM timesheets ORDER BY checked_out_at, assignment_id "
                                 "OFFSET $1 LIMIT 1", locked_at)
    blocker = await asyncpg.connect(database)
    try:
        async with blocker.transaction():
            await blocker.execute("SELECT 1 FROM timesheets WHERE assignment_id = $1 FOR UPDATE", victim)
            approving = await MarketProcess.start(env, log, "timesheets", "auto-approve")

            async def blocked_on_the_lock() -> bool:
                return await conn.fetchval(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()") > 0

            await wait_until(blocked_on_the_lock, 30, "auto-approval to reach the locked timesheet",
                             alive=approving)
            await asyncio.sleep(rng.uniform(0, 0.05))
            await approving.kill9()
    finally:
        await blocker.close()
    approved_before = await conn.fetchval("SELECT count(*) FROM timesheets WHERE state = 'approved'")
    assert approved_before == locked_at  # those before the locked one, each whole
    # Whole transactions only: a settlement (of an approved timesheet) comes with its payable and
    # its journal entry, or is not there at all.
    assert await conn.fetchval(
        "SELECT count(*) FROM settlements s JOIN timesheets t USING (assignment_id) WHERE t.state <> 'approved' "
        "OR (SELECT count(*) FROM payables p WHERE p.source = 'settlement' AND p.source_id = s.id) <> 1 "
        "OR (SELECT count(*) FROM journal_entries e WHERE e.kind = 'settlement' "
        "    AND e.assignment_id = s.assignment_id) <> 1") == 0
    assert await conn.fetchval("SELECT count(*) FROM payables") == await conn.fetchval("SELECT count(*) FROM settlements")

    again = await MarketProcess.start(env, log, "timesheets", "auto-approve")
    assert await again.finish() == 0, again.output()
    assert await conn.fetchval("SELECT count(*) FROM timesheets WHERE state = 'approved'") == total
    assert await conn.fetchval("SELECT count(*) FROM settlements") == total
    assert await conn.fetchval("SELECT count(*) FROM journal_entries WHERE kind = 'settlement'") == total
    assert await conn.fetchval("SELECT count(*) FROM payables") == total
    assert await conn.fetchval("SELECT count(*) FROM escrow_holds WHERE state = 'held'") == 0

    # A payout run killed at a random instant after a random number of payees, then run again.
    due_by = (date.today() + timedelta(days=90)).isoformat()
    paying = await MarketProcess.start(env, log, "payouts", "run", "--due-by", due_by, "--output",
                                       str(tmp_path / "first.csv"))
    target = rng.randint(1, SETTLEMENT_WORKERS - 2)

    async def paid_some() -> bool:
        return await conn.fetchval("SELECT count(*) FROM payouts") >= target

    await wait_until(paid_some, 30, f"{target} payouts", every=0.005, alive=paying)
    await asyncio.sleep(rng.uniform(0, 0.04))
    await paying.kill9()
    paid_before = await conn.fetchval("SELECT count(*) FROM payouts")
    assert paid_before < SETTLEMENT_WORKERS

    resumed = await MarketProcess.start(env, log, "payouts", "run", "--due-by", due_by, "--output",
                                        str(tmp_path / "second.csv"))
    assert await resumed.finish() == 0, resumed.output()
    await assert_one_batch_paid_each_payee_once(conn, SETTLEMENT_WORKERS)
    bank_file = (tmp_path / "second.csv").read_text(encoding="utf-8").splitlines()
    assert len(bank_file) == 1 + SETTLEMENT_WORKERS  # the whole batch, each payee once
    await ledger_check(env, log)


