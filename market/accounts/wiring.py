"""Accounts wire themselves: the service, its routes, and the web plumbing's authenticator."""
from __future__ import annotations

from typing import AsyncIterator

from aiohttp import web

from market import sealing
from market.accounts import views
from market.accounts.keys import ACCOUNTS
from market.accounts.service import Accounts
from market.web.auth import AUTHENTICATOR
from market.web.keys import DB, HASH_KEY, SETTINGS


def setup(app: web.Application) -> None:
    app.cleanup_ctx.append(_service)
    views.setup_routes(app)


async def _service(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    accounts = Accounts(app[DB], app[HASH_KEY], settings.token_ttl, keyring=sealing.keyring(settings),
                        token_cache_ttl=settings.token_cache_ttl)
    app[ACCOUNTS] = accounts
    # The auth middleware and the sign-in rate limit (market/web) resolve tokens and count logins
    # through it, knowing only the Authenticator protocol.
    app[AUTHENTICATOR] = accounts
    yield
