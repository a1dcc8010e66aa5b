"""The catalogue's application key: the service that holds districts and skills."""
from __future__ import annotations

from aiohttp import web

from market.catalogue.service import Catalogue

CATALOGUE = web.AppKey("catalogue", Catalogue)
