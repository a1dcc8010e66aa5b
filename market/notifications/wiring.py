"""Notifications wire themselves: the service on the app's pool, the routes, and
(MARKET_NOTIFICATIONS_IN_SERVE) the worker in the background of every `market serve`: fan-in,
sweeps and delivery; several serve processes share the work without sending anything twice."""
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from aiohttp import web

from market import sealing
from market.background import stop
from market.notifications import vapid, views
from market.notifications.keys import NOTIFICATIONS
from market.notifications.service import Notifications
from market.web.keys import DB, SETTINGS


def setup(app: web.Application) -> None:
    app.cleanup_ctx.append(_service)
    app.cleanup_ctx.append(_worker)
    views.setup_routes(app)


async def _service(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    app[NOTIFICATIONS] = Notifications(app[DB], settings, sealing.keyring(settings), vapid.private_key(settings))
    yield


async def _worker(app: web.Application) -> AsyncIterator[None]:
    task = (asyncio.create_task(app[NOTIFICATIONS].run(), name="notifications")
            if app[SETTINGS].notifications_in_serve else None)
    yield
    if task is not None:
        await stop(task)
