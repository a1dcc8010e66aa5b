"""Worker profiles wire themselves: the service and its routes."""
from __future__ import annotations

from typing import AsyncIterator

from aiohttp import web

from market.catalogue.keys import CATALOGUE
from market.profiles import views
from market.profiles.keys import WORKER_PROFILES
from market.profiles.service import WorkerProfiles
from market.web.keys import DB


def setup(app: web.Application) -> None:
    """Call after the catalogue's setup (the service reads it)."""
    app.cleanup_ctx.append(_service)
    views.setup_routes(app)


async def _service(app: web.Application) -> AsyncIterator[None]:
    app[WORKER_PROFILES] = WorkerProfiles(app[DB], app[CATALOGUE])
    yield
