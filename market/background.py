"""Helpers for background loops (relay, sweeps, allocator)."""
from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

log = logging.getLogger(__name__)


def raise_if_cancelled(error: BaseException) -> None:
    """Re-raise a pending cancellation that a client library turned into its own error.

    asyncpg and redis-py may answer a cancelled read with a connection error; a loop that catches
    Exception to retry would then swallow the cancellation and never stop at shutdown.
    """
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError from error


async def stop(task: asyncio.Task, *, nudge_seconds: float = 1.0) -> None:
    """Cancel a background task and wait until it has ended, cancelling again if a library
    swallowed the first request (seen with the relay's LISTEN connection on Python 3.11).

    A task cancelled in the middle of a query may end with the driver's error instead of
    CancelledError (asyncpg: "cannot switch to state …; another operation is in progress" when a
    COMMIT was in flight). We asked it to stop, and it stopped: the error is logged, not raised,
    so the rest of shutdown (closing the pool) still runs."""
    task.cancel()
    while not task.done():
        await asyncio.wait({task}, timeout=nudge_seconds)
        if not task.done():
            task.cancel()
    if not task.cancelled() and task.exception() is not None:
        log.warning("background task ended with an error while stopping", exc_info=task.exception(),
                    extra={"task": task.get_name()})


async def every(seconds: float, name: str, work: Callable[[], Awaitable[object]]) -> None:
    """Run `work` every `seconds` until cancelled (the sweeps of serve). A round that fails is
    logged and the next one retries, so each sweep must be idempotent; a round that did something
    (a truthy result) is logged with it."""
    while True:
        await asyncio.sleep(seconds)
        try:
            done = await work()
            if done:
                log.info(name, extra={"done": done if isinstance(done, (int, dict)) else len(done)})  # type: ignore[arg-type]
        except Exception as error:  # keep sweeping; the next round retries
            raise_if_cancelled(error)
            log.exception("%s failed", name)


def periodic(name: str, seconds: Callable[[Any], float], work: Callable[[Any], Awaitable[object]]
             ) -> Callable[[Any], AsyncIterator[None]]:
    """A cleanup context (aiohttp's `app.cleanup_ctx`) running `every(seconds(app), name, work(app))`
    while the app runs, stopped at shutdown."""
    async def context(app: Any) -> AsyncIterator[None]:
        task = asyncio.create_task(every(seconds(app), name, lambda: work(app)), name=name)
        yield
        await stop(task)
    return context
