"""The one app factory: the plumbing, then each feature, which wires itself (market/<feature>/wiring.py:
its keys, its service in a cleanup context, its routes and its loops). docs/architecture.md."""
from __future__ import annotations

from aiohttp import web

from market.accounts import wiring as accounts
from market.agency_fees import wiring as agency_fees
from market.agreements import wiring as agreements
from market.allocation import wiring as allocation
from market.attendance import wiring as attendance
from market.bids import wiring as bids
from market.cases import wiring as cases
from market.catalogue import wiring as catalogue
from market.certificates import wiring as certificates
from market.config import Settings
from market.contracts import wiring as contracts
from market.employment import wiring as employment
from market.events import wiring as events
from market.favourites import wiring as favourites
from market.feed import wiring as feed
from market.filings import wiring as filings
from market.invoices import wiring as invoices
from market.notifications import wiring as notifications
from market.orders import wiring as orders
from market.pages import console
from market.pages import worker as worker_app
from market.organisations import wiring as organisations
from market.profiles import wiring as profiles
from market.recurring import wiring as recurring
from market.reputation import wiring as reputation
from market.settlement import wiring as settlement
from market.standby import wiring as standby
from market.supervision import wiring as supervision
from market.web import ratelimit, request_limits
from market.web import wiring as plumbing
from market.web.auth import auth_middleware
from market.web.compression import compression_middleware
from market.web.endpoint import assert_routes_declared
from market.web.idempotency import idempotency_middleware
from market.web.metrics import observe_middleware
from market.web.problems import problems_middleware
from market.webhooks import wiring as webhooks

# In this order: their routes are added in it (as they always were), and their cleanup contexts
# start in it, so the catalogue is loaded before the services that read it (profiles, employment,
# settlement, orders, bids, agreements) are built.
FEATURES = (allocation.setup, supervision.setup, webhooks.setup, catalogue.setup, accounts.setup, profiles.setup,
            employment.setup, settlement.setup, attendance.setup, orders.setup, favourites.setup, bids.setup, feed.setup,
            agreements.setup, certificates.setup, contracts.setup, cases.setup, reputation.setup, filings.setup,
            recurring.setup, notifications.setup, events.setup, organisations.setup, agency_fees.setup,
            invoices.setup, standby.setup, console.setup, worker_app.setup)


def create_app(settings: Settings) -> web.Application:
    if settings.database_url is None or settings.redis_url is None:
        raise ValueError("create_app needs database_url and redis_url (the CLI starts embedded servers first)")
    # Request limits first (a body is read once, under a timeout), then who is calling, then how
    # often they have called (docs/limits.md).
    app = web.Application(
        client_max_size=settings.max_body_bytes,
        handler_args=request_limits.server_options(settings),
        middlewares=[observe_middleware, compression_middleware, problems_middleware, request_limits.request_limits_middleware,
                     auth_middleware, ratelimit.rate_limit_middleware, idempotency_middleware],
    )
    plumbing.setup(app, settings)  # settings, pool, Redis, rate limits, headers, ops routes
    for setup in FEATURES:
        setup(app)
    assert_routes_declared(app)
    return app
