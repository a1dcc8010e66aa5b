"""The cases package wires itself: its service on the app's pool, its routes, and the sweep in
the background of every `market serve` that escalates overdue cases (idempotent and row-locked,
so several serve processes may run it)."""
from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from market.attendance.keys import ATTENDANCE
from market.background import periodic
from market.cases import views
from market.cases.keys import CASES
from market.cases.service import Cases
from market.catalogue.keys import CATALOGUE
from market.uploads import Store
from market.web.keys import DB, SETTINGS


def setup(app: web.Application) -> None:
    """Call after the PostgreSQL pool's cleanup context is appended (the service is built on it)."""
    app.cleanup_ctx.append(_service)
    app.cleanup_ctx.append(periodic("cases-sweep", lambda app: app[SETTINGS].cases_sweep_interval.total_seconds(),
                                    lambda app: app[CASES].sweep()))
    views.setup_routes(app)


async def _service(app: web.Application) -> AsyncIterator[None]:
    app[CASES] = Cases(app[DB], app[CATALOGUE], Store(app[SETTINGS].uploads_path), app[ATTENDANCE])
    yield
