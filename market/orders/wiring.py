"""The orders package wires itself: its service on the app's pool and catalogue, and its routes."""
from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from market.catalogue.keys import CATALOGUE
from market.orders import views
from market.orders.keys import CANCELLATION_SETTLEMENT, ORDERS
from market.orders.service import Orders
from market.web.keys import DB


def setup(app: web.Application) -> None:
    """Call after the catalogue's setup and the settlement's (the service reads the catalogue and
    settles a cancellation through CANCELLATION_SETTLEMENT)."""
    app.cleanup_ctx.append(_service)
    views.setup_routes(app)


async def _service(app: web.Application) -> AsyncIterator[None]:
    app[ORDERS] = Orders(app[DB], app[CATALOGUE], app[CANCELLATION_SETTLEMENT])
    yield
