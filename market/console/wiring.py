"""The console wires its one route (a page; no service, no loop)."""
from __future__ import annotations

from aiohttp import web

from market.console import views


def setup(app: web.Application) -> None:
    views.setup_routes(app)
