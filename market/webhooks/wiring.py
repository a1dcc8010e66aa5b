"""Webhooks wire themselves: the service, the routes and the document's `webhooks` section, and
(MARKET_WEBHOOKS_IN_SERVE) the delivery worker in the background of every `market serve`."""
from __future__ import annotations

import asyncio
from typing import AsyncIterator

from aiohttp import web

from market.background import stop
from market.web.keys import DB, SETTINGS
from market.web.openapi import WEBHOOK_DOCS
from market.webhooks import docs, views
from market.webhooks.keys import WEBHOOKS
from market.webhooks.service import Webhooks


def setup(app: web.Application) -> None:
    app.cleanup_ctx.append(_service)
    app.cleanup_ctx.append(_delivery_worker)
    views.setup_routes(app)
    app[WEBHOOK_DOCS] = docs  # the `webhooks` section of /openapi.json


async def _service(app: web.Application) -> AsyncIterator[None]:
    app[WEBHOOKS] = Webhooks(app[DB], app[SETTINGS])
    yield


async def _delivery_worker(app: web.Application) -> AsyncIterator[None]:
    task = (asyncio.create_task(app[WEBHOOKS].run(), name="webhook-deliveries")
            if app[SETTINGS].webhooks_in_serve else None)
    yield
    if task is not None:
        await stop(task)
