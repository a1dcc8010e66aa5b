"""The filings package wires itself: the service (with the sealing keyring) and its routes."""
from __future__ import annotations

from typing import AsyncIterator

from aiohttp import web

from market import sealing
from market.filings import views
from market.filings.keys import FILINGS
from market.filings.service import Filings
from market.web.keys import DB, SETTINGS


def setup(app: web.Application) -> None:
    app.cleanup_ctx.append(_service)
    views.setup_routes(app)


async def _service(app: web.Application) -> AsyncIterator[None]:
    app[FILINGS] = Filings(app[DB], sealing.keyring(app[SETTINGS]), app[SETTINGS].platform_name)
    yield
