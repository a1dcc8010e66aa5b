"""The cases package's application key: the service of complaints, disputes and appeals."""
from __future__ import annotations

from aiohttp import web

from market.cases.service import Cases

CASES = web.AppKey("cases", Cases)
