"""The allocator loop: what `market allocator` runs (any number of processes) and `market serve`
runs once in the background (MARKET_ALLOCATOR_IN_SERVE).

Each pass: mark expired offers (their seats queue runs), queue runs for passed bid deadlines and,
every `allocator_auto_sweep_interval`, a sweep per district with open auto orders; then claim and
execute queued runs until none is left. The solve leaves the event loop: a one-process pool by
default (`allocator_solve_in = "process"`), or a thread — CP-SAT and the min-cost flows run in C++
without the GIL, but the numpy/Python preparation holds it (docs/allocation.md has the figures).
"""
from __future__ import annotations

import asyncio
import logging
import math
import multiprocessing
import time
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from datetime import datetime

import asyncpg

from market.allocation import queries, runs
from market.allocation.builder import default_config
from market.allocation.model import AllocationConfig, Problem, Solution
from market.allocation.solver import solve
from market.config import Settings
from market.background import raise_if_cancelled
from market.kernel import clock

log = logging.getLogger(__name__)


class Allocator:
    def __init__(self, pool: asyncpg.Pool, settings: Settings, *, name: str = "allocator") -> None:
        self.pool = pool
        self.settings = settings
        self.name = name
        self.config = default_config(settings.allocator_time_limit_seconds)
        self._executor: Executor | None = None
        self._last_sweep = -math.inf

    async def solve(self, problem: Problem, config: AllocationConfig) -> Solution:
        if self._executor is None:
            if self.settings.allocator_solve_in == "process":
                # forkserver, not fork: forking a process that runs an event loop and threads is unsafe.
                self._executor = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("forkserver"))
            else:
                self._executor = ThreadPoolExecutor(1, thread_name_prefix=f"{self.name}-solve")
        return await asyncio.get_running_loop().run_in_executor(self._executor, solve, problem, config)

    async def housekeeping(self, now: datetime | None = None, *, force_sweep: bool = False) -> None:
        now = clock.now(now)
        while await runs.expire_offers(self.pool, now) >= runs.EXPIRY_BATCH:
            pass
        sweep = force_sweep or time.monotonic() - self._last_sweep >= self.settings.allocator_auto_sweep_interval.total_seconds()
        if sweep:
            self._last_sweep = time.monotonic()
        await runs.queue_due_runs(self.pool, now, auto_sweep=sweep)

    async def run_queued(self) -> int:
        """Claim and execute runs until the queue has none this allocator may take; how many ran."""
        executed = 0
        while True:
            async with self.pool.acquire() as conn:
                run = await queries.claim_run(conn, self.settings.allocator_run_lease)
            if run is None:
                return executed
            await runs.execute(self.pool, run, self.solve, self.config)
            executed += 1

    async def run_once(self, now: datetime | None = None, *, force_sweep: bool = False) -> int:
        await self.housekeeping(now, force_sweep=force_sweep)
        return await self.run_queued()

    async def run_forever(self) -> None:
        poll = self.settings.allocator_poll_interval.total_seconds()
        # Let the process settle (and short-lived test apps end) before the first pass.
        await asyncio.sleep(poll)
        while True:
            try:
                executed = await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception as error:
                raise_if_cancelled(error)
                log.exception("allocator pass failed", extra={"allocator": self.name})
                executed = 0
            if not executed:
                await asyncio.sleep(poll)

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None


async def run_standalone(settings: Settings) -> None:
    """`market allocator`: one loop on its own pool, until interrupted."""
    from market import db

    pool = await db.create_pool(settings.database_url, min_size=1, max_size=4)
    allocator = Allocator(pool, settings)
    try:
        async with pool.acquire() as conn:
            await db.upgrade(conn)
        log.info("allocator started")
        await allocator.run_forever()
    finally:
        allocator.close()
        await pool.close()
