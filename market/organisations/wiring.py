"""Organisations wire themselves: the service, its routes, and the member-role gate."""
from __future__ import annotations

from typing import AsyncIterator

from aiohttp import web

from market.accounts.keys import ACCOUNTS
from market.errors import Forbidden
from market.organisations import rules, views
from market.organisations.keys import ORGANISATIONS
from market.organisations.service import Organisations
from market.web.keys import DB, PRINCIPAL


def setup(app: web.Application) -> None:
    """Call after accounts.setup (the service signs members up through the accounts service)."""
    app.cleanup_ctx.append(_service)
    app.middlewares.append(member_role_middleware)
    views.setup_routes(app)


async def _service(app: web.Application) -> AsyncIterator[None]:
    app[ORGANISATIONS] = Organisations(app[DB], app[ACCOUNTS])
    yield


@web.middleware
async def member_role_middleware(request: web.Request, handler) -> web.StreamResponse:
    """A site manager or finance member calls only the routes their role lists (rules.ALLOWED);
    runs after the auth middleware, which has resolved the caller."""
    caller = request.get(PRINCIPAL)
    route = request.match_info.route.resource
    if caller is not None and route is not None:
        if refusal := rules.refusal(caller, request.method, route.canonical):
            raise Forbidden(refusal)
    return await handler(request)
