"""The settlement sweep inside `market serve`: auto-approval of unanswered timesheets, settlement
of approved timesheets escrow could not cover before, and the arrears check, every
`settlement_sweep_interval`. Every step is idempotent, so several serve processes may run it."""
from __future__ import annotations

from aiohttp import web

from market.background import periodic
from market.settlement.keys import SETTLEMENTS
from market.web.keys import SETTINGS


async def _sweep(app: web.Application) -> dict[str, int] | None:
    done = await app[SETTLEMENTS].sweep()
    return done if any(done.values()) else None


settlement_sweeps = periodic("settlement-sweeps", lambda app: app[SETTINGS].settlement_sweep_interval.total_seconds(),
                             _sweep)
