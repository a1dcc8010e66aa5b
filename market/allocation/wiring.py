"""Allocation wires itself: the service, its routes, and (MARKET_ALLOCATOR_IN_SERVE) one allocator
loop in the background of every `market serve`."""
from __future__ import annotations

import asyncio
from typing import AsyncIterator

from aiohttp import web

from market.allocation import views
from market.allocation.allocator import Allocator
from market.allocation.keys import ALLOCATIONS
from market.allocation.service import Allocations
from market.background import stop
from market.web.keys import DB, SETTINGS


def setup(app: web.Application) -> None:
    app.cleanup_ctx.append(_service)
    app.cleanup_ctx.append(_allocator)
    views.setup_routes(app)


async def _service(app: web.Application) -> AsyncIterator[None]:
    app[ALLOCATIONS] = Allocations(app[DB], standby_offer_expiry=app[SETTINGS].standby_offer_expiry)
    yield


async def _allocator(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    if not settings.allocator_in_serve:
        yield
        return
    allocator = Allocator(app[DB], settings, name="serve-allocator")
    task = asyncio.create_task(allocator.run_forever(), name="allocator")
    yield
    await stop(task)
    allocator.close()
