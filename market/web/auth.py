"""Authentication and role authorization, in one place for every route.

The middleware resolves the bearer token (if any) to a Principal and checks it against the roles
the route's @endpoint declares. Object-level checks (another party's object → 404) belong to the
service layer, which receives the Principal.

Tokens are the accounts package's: this module names only the Authenticator protocol, and the
accounts wiring (market/accounts/wiring.py) puts its service under AUTHENTICATOR.
"""
from __future__ import annotations

import hmac
import uuid
from typing import Protocol

from aiohttp import web

from market.errors import Forbidden, Unauthorized
from market.kernel.acting import acting_account
from market.kernel.principal import Principal
from market.web.endpoint import endpoint_of
from market.web.keys import PRINCIPAL, SETTINGS

# Prometheus, holding MARKET_METRICS_TOKEN: a caller of role "metrics", which only /metrics admits.
METRICS_ROLE = "metrics"
# Who a refusal names (403 detail), with the article English wants: "an employer", "an admin".
CALLERS = {"employer": "an employer", "worker": "a worker", "supervisor": "a supervisor", "admin": "an admin",
           METRICS_ROLE: "the metrics scraper"}
SCRAPER = Principal(account_id=uuid.UUID(int=0), role=METRICS_ROLE, display_name="metrics scraper")


class Authenticator(Protocol):
    async def authenticate(self, authorization: str, *, cached: bool = False) -> Principal:
        """The caller an Authorization header names; Unauthorized when it names none."""
        ...

    def sign_in_identity(self, login: str) -> str:
        """What sign-in attempts for `login` are counted under (market/web/ratelimit.py): never
        the login itself, and the same for look-alikes of it."""
        ...


AUTHENTICATOR = web.AppKey("authenticator", Authenticator)


@web.middleware
async def auth_middleware(request: web.Request, handler) -> web.StreamResponse:
    meta = endpoint_of(request.match_info.handler)
    header = request.headers.get("Authorization")
    if header and _is_scrape_token(request, header):
        principal: Principal | None = SCRAPER
    else:
        # From the token cache when this process saw the token moments ago (accounts/service.py).
        principal = await request.app[AUTHENTICATOR].authenticate(header, cached=True) if header else None
    request[PRINCIPAL] = principal
    # Every event this request emits names the account acting (market/kernel/acting.py).
    acting_account.set(principal.account_id if principal is not None and principal is not SCRAPER else None)
    if meta is not None and meta.roles is not None:
        if principal is None:
            raise Unauthorized("this endpoint needs a bearer token")
        if principal.role not in meta.roles:
            raise Forbidden(f"{CALLERS.get(principal.role, 'this caller')} may not call this endpoint")
    return await handler(request)


def _is_scrape_token(request: web.Request, header: str) -> bool:
    configured = request.app[SETTINGS].metrics_token
    scheme, _, token = header.partition(" ")
    return (configured is not None and scheme.lower() == "bearer"
            and hmac.compare_digest(token.strip().encode(), configured.get_secret_value().encode()))


def principal(request: web.Request) -> Principal:
    """The caller of a route that declared roles (the middleware guarantees one is there)."""
    found = request.get(PRINCIPAL)
    if found is None:
        raise Unauthorized("this endpoint needs a bearer token")
    return found
