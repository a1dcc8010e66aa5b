"""The certificates package's application key."""
from __future__ import annotations

from aiohttp import web

from market.certificates.service import Certificates

CERTIFICATES = web.AppKey("certificates", Certificates)
