"""Organisations wire themselves: the service, its routes, and the member-role gate."""
from __future__ import annotations

import uuid
from typing import AsyncIterator

from aiohttp import web

from market.accounts.keys import ACCOUNTS
from market.errors import FieldError, Forbidden, ValidationFailed
from market.organisations import agency_views, rules, views
from market.organisations.agencies import Agencies
from market.organisations.keys import AGENCIES, ORGANISATIONS
from market.organisations.service import Organisations
from market.web.keys import DB, PRINCIPAL


MANDATE_HEADER = "X-Mandate-Id"


def setup(app: web.Application) -> None:
    """Call after accounts.setup (the service signs members up through the accounts service)."""
    app.cleanup_ctx.append(_service)
    app.middlewares.append(member_role_middleware)
    views.setup_routes(app)
    agency_views.setup_routes(app)


async def _service(app: web.Application) -> AsyncIterator[None]:
    app[ORGANISATIONS] = Organisations(app[DB], app[ACCOUNTS])
    app[AGENCIES] = Agencies(app[DB])
    yield


@web.middleware
async def member_role_middleware(request: web.Request, handler) -> web.StreamResponse:
    """A site manager or finance member calls only the routes their role lists (rules.ALLOWED);
    runs after the auth middleware, which has resolved the caller."""
    caller = request.get(PRINCIPAL)
    if caller is not None and (header := request.headers.get(MANDATE_HEADER)) is not None:
        # An agency acting in a client's name (docs/agencies.md): from here on the caller is the
        # client's organisation, with the agency and the mandate named.
        try:
            mandate_id = uuid.UUID(header.strip())
        except ValueError:
            raise ValidationFailed([FieldError((MANDATE_HEADER,), "not a mandate id (a UUID)")]) from None
        caller = await request.app[AGENCIES].acting(caller, mandate_id)
        request[PRINCIPAL] = caller
    route = request.match_info.route.resource
    if caller is not None and route is not None:
        if refusal := rules.refusal(caller, request.method, route.canonical):
            raise Forbidden(refusal)
    return await handler(request)
