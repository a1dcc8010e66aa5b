"""The invoices package wires itself: the service and its routes."""
from __future__ import annotations

from typing import AsyncIterator

from aiohttp import web

from market.invoices import views
from market.invoices.keys import INVOICES
from market.invoices.service import Invoices
from market.web.keys import DB


def setup(app: web.Application) -> None:
    app.cleanup_ctx.append(_service)
    views.setup_routes(app)


async def _service(app: web.Application) -> AsyncIterator[None]:
    app[INVOICES] = Invoices(app[DB])
    yield
