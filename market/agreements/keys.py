"""The agreements package's application key: the service of consents and three-party agreements."""
from __future__ import annotations

from aiohttp import web

from market.agreements.service import Agreements

AGREEMENTS = web.AppKey("agreements", Agreements)
