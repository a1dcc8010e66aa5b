"""The bids package wires itself: its service on the app's pool and catalogue, and its routes."""
from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from market.bids import views
from market.bids.keys import BIDS, LENDING_COST_ALLOWANCES
from market.bids.service import Bids
from market.catalogue.keys import CATALOGUE
from market.web.keys import DB


def setup(app: web.Application) -> None:
    """Call after the catalogue's setup and the settlement's (the service reads the catalogue and the
    rate book's lending cost allowances, LENDING_COST_ALLOWANCES)."""
    app.cleanup_ctx.append(_service)
    views.setup_routes(app)


async def _service(app: web.Application) -> AsyncIterator[None]:
    app[BIDS] = Bids(app[DB], app[CATALOGUE], app[LENDING_COST_ALLOWANCES])
    yield
