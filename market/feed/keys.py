"""The feed package's application key: the service that pages a worker's feed."""
from __future__ import annotations

from aiohttp import web

from market.feed.service import Feed

FEED = web.AppKey("feed", Feed)
