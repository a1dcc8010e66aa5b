"""The catalogue wires itself: its service, loaded at startup, and its routes."""
from __future__ import annotations

from typing import AsyncIterator

from aiohttp import web

from market.catalogue import views
from market.catalogue.keys import CATALOGUE
from market.catalogue.service import Catalogue
from market.web.keys import DB


def setup(app: web.Application) -> None:
    """Call after the plumbing (the pool) and before every feature whose service reads the catalogue."""
    app.cleanup_ctx.append(_service)
    views.setup_routes(app)


async def _service(app: web.Application) -> AsyncIterator[None]:
    catalogue = Catalogue(app[DB])
    # Loaded now, not on first use: services read it while holding a pooled connection, and a cold
    # cache under load had every connection's holder waiting for one more to load it (a deadlock).
    await catalogue.refresh()
    app[CATALOGUE] = catalogue
    yield
