"""The supervision package's application key."""
from __future__ import annotations

from aiohttp import web

from market.supervision.service import Supervision

SUPERVISION = web.AppKey("supervision", Supervision)
