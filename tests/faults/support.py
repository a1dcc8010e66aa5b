"""Helpers for fault tests: `market` commands as real processes killed with SIGKILL, bounded waits,
and the invariants every fault must leave intact."""
from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Awaitable, Callable

import aiohttp
import asyncpg

# The full outage is 30 s; the default run stays within the fault suite's time budget.
LONG = os.environ.get("MARKET_FAULTS_LONG") == "1"


def market_environment(database_url: str, redis_url: str, data_dir: Path, **settings: str) -> dict[str, str]:
    """The environment of a `market` command pointed at the test's servers (never embedded ones)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MARKET_")}
    env.update(MARKET_DATABASE_URL=database_url, MARKET_REDIS_URL=redis_url, MARKET_DATA_DIR=str(data_dir),
               MARKET_HASH_KEY="test-hash-key", MARKET_LOG_JSON="false", MARKET_LOG_LEVEL="WARNING")
    env.update({f"MARKET_{name.upper()}": value for name, value in settings.items()})
    return env


@dataclass
class MarketProcess:
    """`python -m market …` in a session of its own (so SIGKILL reaches any child it started),
    its output in a file (a pipe nobody reads would fill and stall it)."""

    process: asyncio.subprocess.Process
    log: Path

    @classmethod
    async def start(cls, env: dict[str, str], log: Path, *args: str) -> MarketProcess:
        with log.open("ab") as out:
            out.write(f"\n--- market {' '.join(args)}\n".encode())
            out.flush()
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "market", *args, env=env, stdout=out, stderr=out, start_new_session=True)
        return cls(process, log)

    @property
    def running(self) -> bool:
        return self.process.returncode is None

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    async def kill9(self) -> None:
        """SIGKILL to the process and anything it started: no cleanup, no goodbye to the servers."""
        if self.running:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        async with asyncio.timeout(15):
            await self.process.wait()

    async def terminate(self, timeout: float = 15.0) -> int:
        if self.running:
            self.process.send_signal(signal.SIGTERM)
        try:
            return await asyncio.wait_for(self.process.wait(), timeout)
        except TimeoutError:
            await self.kill9()
            raise AssertionError(f"did not stop on SIGTERM:\n{self.output()}") from None

    async def finish(self, timeout: float = 60.0) -> int:
        try:
            return await asyncio.wait_for(self.process.wait(), timeout)
        except TimeoutError:
            await self.kill9()
            raise AssertionError(f"did not finish within {timeout} s:\n{self.output()}") from None


async def wait_until(condition: Callable[[], Awaitable[bool]], timeout: float, what: str, *,
                     every: float = 0.01, alive: MarketProcess | None = None) -> None:
    deadline = time.monotonic() + timeout
    while not await condition():
        if alive is not None and not alive.running:
            raise AssertionError(f"the process ended while waiting for {what}:\n{alive.output()}")
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}"
                                 + (f"\n{alive.output()}" if alive is not None else ""))
        await asyncio.sleep(every)


async def ledger_check(env: dict[str, str], log: Path) -> None:
    """`market ledger check` exits 0: every entry balanced, cached balances equal the journal."""
    check = await MarketProcess.start(env, log, "ledger", "check")
    code = await check.finish()
    assert code == 0, f"market ledger check exited {code}:\n{check.output()}"


async def assert_no_double_booking_or_overfill(conn: asyncpg.Connection) -> None:
    """No worker holds two overlapping active seats; no shift holds (or is offered) more seats than
    its headcount; every shift's `filled` counts its active assignments."""
    overlapping = await conn.fetch(
        "SELECT a.worker_id, a.id, b.id FROM assignments a JOIN assignments b ON a.worker_id = b.worker_id "
        "AND a.id < b.id AND a.period && b.period WHERE a.state = 'active' AND b.state = 'active'")
    overfilled = await conn.fetch(
        "SELECT s.id, s.headcount, s.filled FROM shifts s WHERE s.filled + (SELECT count(*) FROM offers f "
        "WHERE f.shift_id = s.id AND f.state = 'pending') > s.headcount "
        "OR s.filled <> (SELECT count(*) FROM assignments a WHERE a.shift_id = s.id AND a.state = 'active')")
    overlapping_offers = await conn.fetch(
        "SELECT f.worker_id FROM offers f JOIN offers g ON f.worker_id = g.worker_id AND f.id < g.id "
        "JOIN shifts fs ON fs.id = f.shift_id JOIN shifts gs ON gs.id = g.shift_id "
        "WHERE f.state = 'pending' AND g.state = 'pending' AND fs.period && gs.period")
    assert (overlapping, overfilled, overlapping_offers) == ([], [], [])


async def assert_every_seat_is_held_once(conn: asyncpg.Connection) -> None:
    """Every active assignment has its escrow hold (one per assignment: the table's key), and no
    hold is still held for a seat that is not active."""
    unheld = await conn.fetch(
        "SELECT a.id FROM assignments a LEFT JOIN escrow_holds h ON h.assignment_id = a.id "
        "WHERE a.state = 'active' AND (h.state IS DISTINCT FROM 'held')")
    stray = await conn.fetch(
        "SELECT h.assignment_id FROM escrow_holds h JOIN assignments a ON a.id = h.assignment_id "
        "WHERE h.state = 'held' AND a.state <> 'active'")
    assert (unheld, stray) == ([], [])


@dataclass
class Outcome:
    """One write of the load: what was asked, when (relative to the outage), and the answer."""

    what: str
    phase: str
    status: int
    body: dict | None


class Load:
    """Writers posting orders (each with its shifts) and placing bids on them, as fast as the
    service answers, recording every outcome; `phase` labels the outcomes as the test moves on."""

    def __init__(self, client, employer, workers, order_body: Callable[[int], dict], writers: int = 3) -> None:
        self.client = client
        self.employer = employer
        self.workers = workers
        self.order_body = order_body
        self.writers = writers
        self.phase = "before"
        self.outcomes: list[Outcome] = []
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task] = []
        self._count = 0

    async def _post(self, what: str, path: str, body: dict, party) -> Outcome:
        phase = self.phase
        try:
            response = await self.client.post(path, json=body, headers=party.auth)
            payload = await response.json() if response.content_type.endswith("json") else None
            outcome = Outcome(what, phase, response.status, payload)
        except Exception as error:  # the connection itself failed: worse than any status
            outcome = Outcome(what, phase, 0, {"error": repr(error)})
        self.outcomes.append(outcome)
        return outcome

    async def _write(self, writer: int) -> None:
        while not self._stop.is_set():
            self._count += 1
            posted = await self._post("order", "/v1/orders", self.order_body(self._count), self.employer)
            if posted.status == 201:
                shift_id = posted.body["shifts"][0]["id"]
                for worker in self.workers[writer::self.writers][:2]:
                    await self._post("bid", f"/v1/orders/{posted.body['id']}/bids",
                                     {"shift_ids": [shift_id], "rate_fen": 2800}, worker)
            else:
                await asyncio.sleep(0.05)  # a failing service is not hammered

    def start(self) -> None:
        self._tasks = [asyncio.create_task(self._write(writer)) for writer in range(self.writers)]

    async def stop(self) -> None:
        self._stop.set()
        await asyncio.gather(*self._tasks)

    def statuses(self, phase: str | None = None) -> dict[int, int]:
        counts: dict[int, int] = {}
        for outcome in self.outcomes:
            if phase is None or outcome.phase == phase:
                counts[outcome.status] = counts.get(outcome.status, 0) + 1
        return counts

    def posted_order_ids(self) -> set[str]:
        return {o.body["id"] for o in self.outcomes if o.what == "order" and o.status == 201}


class LiveFeed:
    """An SSE client that never gives up: it follows one event stream, and whenever the stream ends
    or cannot be opened it reconnects with the last id it handled (Last-Event-ID), as EventSource
    does. `frames` keeps every event frame received, repeats included."""

    def __init__(self, client, party, path: str = "/v1/employers/me/events") -> None:
        self.client = client
        self.party = party
        self.path = path
        self.frames: list = []
        self.reconnects = 0
        self.last_id = "0"  # everything the stream still holds

    async def follow(self) -> None:
        from tests.events.support import EventStreamReader

        while True:
            try:
                response = await self.client.get(self.path, headers={**self.party.auth, "Last-Event-ID": self.last_id})
                try:
                    if response.status == 200:
                        reader = EventStreamReader(response)
                        while (frame := await reader.next_frame(timeout=30)) is not None:
                            if frame.event is not None and frame.id is not None:
                                self.frames.append(frame)
                                self.last_id = frame.id
                finally:
                    response.close()
            except (aiohttp.ClientError, TimeoutError):
                pass
            self.reconnects += 1
            await asyncio.sleep(0.2)

    def deduplicated(self) -> dict[int, tuple[str, str]]:
        """id → (kind, data), asserting that a repeated id always carries the same event."""
        events: dict[int, tuple[str, str]] = {}
        for frame in self.frames:
            seen = events.setdefault(int(frame.id), (frame.event, frame.data))
            assert seen == (frame.event, frame.data), f"id {frame.id} carried two different events"
        return events
