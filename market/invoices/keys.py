"""The invoices package's application key."""
from __future__ import annotations

from aiohttp import web

from market.invoices.service import Invoices

INVOICES = web.AppKey("invoices", Invoices)
