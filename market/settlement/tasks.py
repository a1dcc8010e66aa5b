"""The settlement sweep inside `market serve`: auto-approval of unanswered timesheets, settlement
of approved timesheets escrow could not cover before, and the arrears check, every
`settlement_sweep_interval`. Every step is idempotent, so several serve processes may run it."""
from __future__ import annotations

import asyncio
import logging

from aiohttp import web

from market.background import raise_if_cancelled

from market.settlement.keys import SETTLEMENTS
from market.web.keys import SETTINGS

log = logging.getLogger(__name__)


async def settlement_sweeps(app: web.Application) -> None:
    interval = app[SETTINGS].settlement_sweep_interval.total_seconds()
    while True:
        await asyncio.sleep(interval)
        try:
            done = await app[SETTLEMENTS].sweep()
            if any(done.values()):
                log.info("settlement sweep", extra=done)
        except Exception as error:  # keep sweeping; the next round retries (every step is idempotent)
            raise_if_cancelled(error)
            log.exception("settlement sweep failed")
