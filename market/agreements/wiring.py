"""The agreements package wires itself: its service on the app's pool and catalogue, and its routes."""
from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from market.agreements import views
from market.agreements.keys import AGREEMENTS
from market.agreements.service import Agreements
from market.catalogue.keys import CATALOGUE
from market.web.keys import DB


def setup(app: web.Application) -> None:
    """Call after the PostgreSQL pool's cleanup context is appended (the service is built on it)."""
    app.cleanup_ctx.append(_service)
    views.setup_routes(app)


async def _service(app: web.Application) -> AsyncIterator[None]:
    app[AGREEMENTS] = Agreements(app[DB], app[CATALOGUE])
    yield
