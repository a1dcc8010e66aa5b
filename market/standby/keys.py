"""The standby package's application key."""
from __future__ import annotations

from aiohttp import web

from market.standby.service import StandbyService

STANDBY = web.AppKey("standby", StandbyService)
