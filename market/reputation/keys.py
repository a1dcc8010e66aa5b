"""The reputation package's application key: the service of ratings and colours."""
from __future__ import annotations

from aiohttp import web

from market.reputation.service import Reputation

REPUTATION = web.AppKey("reputation", Reputation)
