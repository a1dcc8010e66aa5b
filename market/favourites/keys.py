"""The favourites package's application key."""
from __future__ import annotations

from aiohttp import web

from market.favourites.service import Favourites

FAVOURITES = web.AppKey("favourites", Favourites)
