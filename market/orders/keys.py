"""The orders package's application key: the service that posts, reads and cancels orders."""
from __future__ import annotations

from aiohttp import web

from market.orders.service import Orders

ORDERS = web.AppKey("orders", Orders)
