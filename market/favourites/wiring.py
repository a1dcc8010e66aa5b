"""The favourites package wires itself: the service (over the orders service, whose posting "book
again" reuses), its routes, and the sweep that opens ended favourites-first windows to everyone."""
from __future__ import annotations

from typing import AsyncIterator

from aiohttp import web

from market.background import periodic
from market.favourites import views
from market.favourites.keys import FAVOURITES
from market.favourites.service import Favourites
from market.orders.keys import ORDERS
from market.web.keys import DB, SETTINGS


def setup(app: web.Application) -> None:
    """Call after the orders feature (the service needs the orders service)."""
    app.cleanup_ctx.append(_service)
    app.cleanup_ctx.append(periodic(
        "pool-windows-sweep", lambda app: app[SETTINGS].pool_sweep_interval.total_seconds(),
        lambda app: app[FAVOURITES].open_ended_windows()))
    views.setup_routes(app)


async def _service(app: web.Application) -> AsyncIterator[None]:
    app[FAVOURITES] = Favourites(app[DB], app[ORDERS])
    yield
