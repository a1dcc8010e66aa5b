"""Settlement wires itself: the service, its routes, the sweeps in the background of every
`market serve` (market/settlement/tasks.py), and the red flag that accounts show."""
from __future__ import annotations

import asyncio
from typing import AsyncIterator

from aiohttp import web

from market.accounts.keys import RED_FLAGS
from market.attendance.keys import TIMESHEET_MONEY
from market.background import stop
from market.catalogue.keys import CATALOGUE
from market.settlement import views
from market.settlement.keys import SETTLEMENTS
from market.settlement.service import Settlements
from market.settlement.tasks import settlement_sweeps
from market.web.keys import DB, SETTINGS


def setup(app: web.Application) -> None:
    """Call after the catalogue's setup (the service reads it)."""
    app.cleanup_ctx.append(_service)
    app.cleanup_ctx.append(_sweeps)
    views.setup_routes(app)


async def _service(app: web.Application) -> AsyncIterator[None]:
    settlements = Settlements(app[DB], app[CATALOGUE], app[SETTINGS])
    app[SETTLEMENTS] = settlements
    app[RED_FLAGS] = settlements  # GET /v1/employers/me (accounts) shows the red flag it computes
    app[TIMESHEET_MONEY] = settlements  # what approvals and no-shows do to the money (attendance)
    yield


async def _sweeps(app: web.Application) -> AsyncIterator[None]:
    task = asyncio.create_task(settlement_sweeps(app), name="settlement-sweeps")
    yield
    await stop(task)
