"""Employment wires itself: the service and its routes."""
from __future__ import annotations

from typing import AsyncIterator

from aiohttp import web

from market.catalogue.keys import CATALOGUE
from market.employment import views
from market.employment.keys import EMPLOYMENTS
from market.employment.service import Employments
from market.web.keys import DB, HASH_KEY


def setup(app: web.Application) -> None:
    """Call after the catalogue's setup (the service reads it)."""
    app.cleanup_ctx.append(_service)
    views.setup_routes(app)


async def _service(app: web.Application) -> AsyncIterator[None]:
    app[EMPLOYMENTS] = Employments(app[DB], app[CATALOGUE], app[HASH_KEY])
    yield
