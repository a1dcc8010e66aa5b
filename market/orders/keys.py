"""The orders package's application key: the service that posts, reads and cancels orders."""
from __future__ import annotations

from aiohttp import web

from market.orders.service import CancellationSettlement, Orders

ORDERS = web.AppKey("orders", Orders)
# Filled by the settlement package's wiring (market/settlement/wiring.py).
CANCELLATION_SETTLEMENT = web.AppKey("cancellation_settlement", CancellationSettlement)
