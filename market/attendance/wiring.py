"""Attendance wires itself: its service (in a cleanup context, once the pool exists) and its routes."""
from __future__ import annotations

from typing import AsyncIterator

from aiohttp import web

from market.attendance import views
from market.attendance.keys import ATTENDANCE, TIMESHEET_MONEY
from market.attendance.service import Attendance, rules_of
from market.web.keys import DB, SETTINGS

def setup(app: web.Application) -> None:
    """Call after the PostgreSQL cleanup context is added (the service needs the pool)."""
    app.cleanup_ctx.append(_service)
    views.setup_routes(app)


async def _service(app: web.Application) -> AsyncIterator[None]:
    app[ATTENDANCE] = Attendance(app[DB], rules_of(app[SETTINGS]), money=lambda: app[TIMESHEET_MONEY])
    yield
