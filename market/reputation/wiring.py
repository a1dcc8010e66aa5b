"""The reputation package wires itself: its service on the app's pool, its routes, and the sweep
in the background of every `market serve` that recomputes the colours of organisations (one
transaction over all of them; two serve processes doing it at once write the same colours)."""
from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from market.background import periodic
from market.reputation import views
from market.reputation.keys import REPUTATION
from market.reputation.service import Reputation
from market.web.keys import DB, SETTINGS


def setup(app: web.Application) -> None:
    """Call after the PostgreSQL pool's cleanup context is appended (the service is built on it)."""
    app.cleanup_ctx.append(_service)
    app.cleanup_ctx.append(periodic("colours-sweep", lambda app: app[SETTINGS].colours_sweep_interval.total_seconds(),
                                    lambda app: app[REPUTATION].recompute()))
    views.setup_routes(app)


async def _service(app: web.Application) -> AsyncIterator[None]:
    app[REPUTATION] = Reputation(app[DB])
    yield
