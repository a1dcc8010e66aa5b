"""The settlement sweep inside `market serve`: auto-approval of unanswered timesheets, settlement
of approved timesheets escrow could not cover before, and the arrears check, every
`settlement_sweep_interval`. Every step is idempotent, so several serve processes may run it."""
from __future__ import annotations

from aiohttp import web

from market.background import periodic
from market.kernel import clock
from market.settlement import daily
from market.settlement.keys import SETTLEMENTS
from market.web.keys import SETTINGS


async def _sweep(app: web.Application) -> dict[str, int] | None:
    done = await app[SETTLEMENTS].sweep()
    return done if any(done.values()) else None


settlement_sweeps = periodic("settlement-sweeps", lambda app: app[SETTINGS].settlement_sweep_interval.total_seconds(),
                             _sweep)


async def _payout_slot(app: web.Application) -> str | None:
    """Faster pay (docs/faster-pay.md): the latest schedule slot's payout run, once per slot."""
    slot = daily.latest_slot(clock.now(), app[SETTINGS].payout_schedule)
    if slot is None:
        return None
    _, ran = await app[SETTLEMENTS].run_slot(slot)
    return daily.slot_key(slot) if ran else None


payout_slots = periodic("payout-slots",
                        lambda app: app[SETTINGS].payout_schedule_check_interval.total_seconds(), _payout_slot)
