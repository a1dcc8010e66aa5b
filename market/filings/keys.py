"""The filings package's application key."""
from __future__ import annotations

from aiohttp import web

from market.filings.service import Filings

FILINGS = web.AppKey("filings", Filings)
