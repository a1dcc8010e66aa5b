"""The contracts package wires itself: the service, its routes, and the background renderer of
pending agreements in `market serve` (MARKET_AGREEMENTS_RENDER_IN_SERVE)."""
from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
from collections.abc import AsyncIterator
from concurrent.futures import Executor, ProcessPoolExecutor

from aiohttp import web

from market.background import raise_if_cancelled, stop
from market.config import Settings
from market.contracts import views
from market.contracts.keys import CONTRACTS, PAY_DUE_DATE
from market.contracts.service import Contracts
from market.web.keys import DB, SETTINGS

log = logging.getLogger(__name__)


def setup(app: web.Application) -> None:
    """Call after settlement's setup (its wiring fills PAY_DUE_DATE, read when an agreement renders)."""
    app.cleanup_ctx.append(_service)
    app.cleanup_ctx.append(_renderer)
    views.setup_routes(app)


class RenderExecutor:
    """Where rendering runs: a process of its own, started on first use (forkserver, not fork: the
    parent runs an event loop and threads) and niced (MARKET_AGREEMENTS_RENDER_NICE), so that
    under load the requests' processes get the cores first; or the loop's default thread pool."""

    def __init__(self, settings: Settings) -> None:
        self.in_process = settings.agreements_render_in == "process"
        self.nice = settings.agreements_render_nice
        self.pool: ProcessPoolExecutor | None = None

    def __call__(self) -> Executor | None:
        if self.in_process and self.pool is None:
            self.pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("forkserver"),
                                            initializer=os.nice, initargs=(self.nice,))
        return self.pool

    def shutdown(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)


async def _service(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    executor = RenderExecutor(settings)
    app[CONTRACTS] = Contracts(app[DB], no_show_grace=settings.no_show_grace, pay_due_date=lambda: app[PAY_DUE_DATE],
                               executor=executor)
    yield
    executor.shutdown()


async def _renderer(app: web.Application) -> AsyncIterator[None]:
    if not app[SETTINGS].agreements_render_in_serve:
        yield
        return
    task = asyncio.create_task(render_loop(app), name="agreement-renderer")
    yield
    await stop(task)


async def render_loop(app: web.Application) -> None:
    interval = app[SETTINGS].agreements_render_interval.total_seconds()
    while True:
        await asyncio.sleep(interval)
        try:
            if rendered := await app[CONTRACTS].render_pending():
                log.info("agreements rendered", extra={"rendered": rendered})
        except Exception as error:  # keep going: a pending agreement stays pending for the next round
            raise_if_cancelled(error)
            log.exception("agreement rendering failed")
