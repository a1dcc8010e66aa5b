"""The agency fee step runs in the background of every `market serve` (docs/agencies.md)."""
from __future__ import annotations

from aiohttp import web

from market.agency_fees.service import post_agency_fees
from market.background import periodic
from market.web.keys import DB, SETTINGS


def setup(app: web.Application) -> None:
    app.cleanup_ctx.append(periodic("agency-fees", lambda app: app[SETTINGS].agency_fee_interval.total_seconds(),
                                    lambda app: post_agency_fees(app[DB])))
