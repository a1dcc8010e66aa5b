"""The recurring package wires itself: its service on the app's pool and the orders service, its
routes, and the sweep in the background of every `market serve` that posts the occurrences
entering the rolling window (each decided once whichever process finds it, so every serve
process may sweep)."""
from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from market.background import periodic
from market.orders.keys import ORDERS
from market.recurring import views
from market.recurring.keys import RECURRING
from market.recurring.service import Recurring
from market.web.keys import DB, SETTINGS


def setup(app: web.Application) -> None:
    """Call after the orders' setup (the service posts through ORDERS)."""
    app.cleanup_ctx.append(_service)
    app.cleanup_ctx.append(periodic("recurring-sweep",
                                    lambda app: app[SETTINGS].recurring_sweep_interval.total_seconds(),
                                    lambda app: app[RECURRING].sweep()))
    views.setup_routes(app)


async def _service(app: web.Application) -> AsyncIterator[None]:
    app[RECURRING] = Recurring(app[DB], app[ORDERS], window_days=app[SETTINGS].recurring_window_days)
    yield
