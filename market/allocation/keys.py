"""The allocation package's application key."""
from __future__ import annotations

from aiohttp import web

from market.allocation.service import Allocations

ALLOCATIONS = web.AppKey("allocations", Allocations)
