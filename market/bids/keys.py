"""The bids package's application key: the service that places, withdraws and reads bids."""
from __future__ import annotations

from aiohttp import web

from market.bids.service import Bids

BIDS = web.AppKey("bids", Bids)
