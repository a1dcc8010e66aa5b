"""The settlement package's application key."""
from __future__ import annotations

from aiohttp import web

from market.settlement.service import Settlements

SETTLEMENTS = web.AppKey("settlements", Settlements)
