"""The certificates package wires itself: the service (over the upload store), its routes, and the
expiry-reminder sweep in the background of every `market serve`."""
from __future__ import annotations

import asyncio
import logging
from typing import AsyncIterator

from aiohttp import web

from market.background import raise_if_cancelled, stop
from market.certificates import views
from market.certificates.keys import CERTIFICATES
from market.certificates.service import Certificates
from market.uploads import Store
from market.web.keys import DB, HASH_KEY, SETTINGS

log = logging.getLogger(__name__)


def setup(app: web.Application) -> None:
    """Call after the PostgreSQL cleanup context is added (the service needs the pool)."""
    app.cleanup_ctx.append(_service)
    app.cleanup_ctx.append(_reminders)
    views.setup_routes(app)


async def _service(app: web.Application) -> AsyncIterator[None]:
    app[CERTIFICATES] = Certificates(app[DB], Store(app[SETTINGS].uploads_path), app[HASH_KEY])
    yield


async def _reminders(app: web.Application) -> AsyncIterator[None]:
    task = asyncio.create_task(reminder_sweeps(app), name="certificate-reminders")
    yield
    await stop(task)


async def reminder_sweeps(app: web.Application) -> None:
    """Send the reminders due, every certificate_reminder_interval. Each is sent once whichever
    process finds it (certificate_reminders' key), so every serve process may sweep."""
    interval = app[SETTINGS].certificate_reminder_interval.total_seconds()
    while True:
        await asyncio.sleep(interval)
        try:
            if sent := await app[CERTIFICATES].send_reminders():
                log.info("certificate reminders sent", extra={"count": sent})
        except Exception as error:  # keep sweeping; the next round retries
            raise_if_cancelled(error)
            log.exception("certificate reminder sweep failed")
