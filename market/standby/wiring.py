"""The standby package wires itself: its service, its routes, and the sweep in the background of
every `market serve` (row-locked and idempotent, so several serve processes may run it)."""
from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator

from aiohttp import web

from market.attendance.keys import ATTENDANCE
from market.background import periodic
from market.catalogue.keys import CATALOGUE
from market.favourites.keys import FAVOURITES
from market.standby import views
from market.standby.keys import STANDBY
from market.standby.service import StandbyService, withdraw_closed_pair
from market.web.keys import DB, SETTINGS


def setup(app: web.Application) -> None:
    """Call after the PostgreSQL pool's cleanup context is appended (the service is built on it)."""
    app.cleanup_ctx.append(_service)
    app.cleanup_ctx.append(periodic("standby-sweep",
                                    lambda app: app[SETTINGS].standby_sweep_interval.total_seconds(),
                                    _sweep))
    views.setup_routes(app)


async def _service(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    app[STANDBY] = StandbyService(app[DB], app[CATALOGUE], offer_expiry=settings.standby_offer_expiry,
                                  withdraw_cutoff=settings.standby_withdraw_cutoff, attendance=app[ATTENDANCE],
                                  check_in_grace=settings.standby_check_in_grace)
    # A block or a hide withdraws the worker's standbys on the employer's shifts, in its transaction.
    app[FAVOURITES].on_pair_closed.append(_withdraw_closed_pair)
    yield


async def _withdraw_closed_pair(conn, organisation_id, worker_id, why, now) -> None:
    await withdraw_closed_pair(conn, organisation_id, worker_id, why, now)


async def _sweep(app: web.Application) -> dict[str, int]:
    """One round; what it did, for the log (empty: nothing, not logged)."""
    counts = dataclasses.asdict(await app[STANDBY].sweep())
    return counts if any(counts.values()) else {}
