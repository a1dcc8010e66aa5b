"""The employment package's application key."""
from __future__ import annotations

from aiohttp import web

from market.employment.service import Employments

EMPLOYMENTS = web.AppKey("employments", Employments)
