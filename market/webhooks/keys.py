"""The webhooks package's application key."""
from __future__ import annotations

from aiohttp import web

from market.webhooks.service import Webhooks

WEBHOOKS = web.AppKey("webhooks", Webhooks)
