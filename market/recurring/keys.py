"""The recurring package's application key: the service of templates and recurring orders."""
from __future__ import annotations

from aiohttp import web

from market.recurring.service import Recurring

RECURRING = web.AppKey("recurring", Recurring)
