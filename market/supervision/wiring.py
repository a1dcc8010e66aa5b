"""Supervision wires itself: the service and its routes (the dashboard and its API)."""
from __future__ import annotations

from typing import AsyncIterator

from aiohttp import web

from market.supervision import views
from market.supervision.keys import SUPERVISION
from market.supervision.service import Supervision
from market.web.keys import DB, SETTINGS


def setup(app: web.Application) -> None:
    app.cleanup_ctx.append(_service)
    views.setup_routes(app)


async def _service(app: web.Application) -> AsyncIterator[None]:
    app[SUPERVISION] = Supervision(app[DB], app[SETTINGS])
    yield
