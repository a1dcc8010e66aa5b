"""The organisations package's application key."""
from __future__ import annotations

from aiohttp import web

from market.organisations.agencies import Agencies
from market.organisations.service import Organisations

ORGANISATIONS = web.AppKey("organisations", Organisations)
AGENCIES = web.AppKey("agencies", Agencies)
