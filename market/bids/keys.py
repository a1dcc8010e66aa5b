"""The bids package's application key: the service that places, withdraws and reads bids."""
from __future__ import annotations

from aiohttp import web

from market.bids.service import Bids, LendingCostAllowances

BIDS = web.AppKey("bids", Bids)
# Filled by the settlement package's wiring (market/settlement/wiring.py).
LENDING_COST_ALLOWANCES = web.AppKey("lending_cost_allowances", LendingCostAllowances)
