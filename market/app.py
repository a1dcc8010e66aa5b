"""The one app factory. Pools and background tasks live in cleanup_ctx; resources under AppKeys."""
from __future__ import annotations

import asyncio
import logging
from typing import AsyncIterator

from aiohttp import web

from market import db, embedded, redis_clients
from market.accounts import views as accounts_views
from market.accounts.service import Accounts
from market.allocation import allocator as allocation_allocator  # allocation
from market.allocation import views as allocation_views  # allocation
from market.allocation.service import Allocations  # allocation
from market.catalogue import views as catalogue_views
from market.catalogue.service import Catalogue
from market.events import wiring as events_wiring
from market.events.relay import BatchAudience
from market.background import stop
from market.config import Settings
from market.employment import views as employment_views
from market.employment.service import Employments
from market.orders import views as orders_views
from market.orders.feed import shift_opened_audience, shift_opened_audiences
from market.orders.service import Orders
from market.attendance import wiring as attendance_wiring  # attendance
from market.attendance.keys import TIMESHEET_MONEY  # settlement
from market.settlement import views as settlement_views  # settlement
from market.settlement.service import Settlements  # settlement
from market.settlement.tasks import settlement_sweeps  # settlement
from market.supervision import views as supervision_views  # supervision
from market.supervision.service import Supervision  # supervision
from market.webhooks import views as webhooks_views  # webhooks
from market.webhooks.service import Webhooks  # webhooks
from market.web import headers, ops, ratelimit, request_limits
from market.web.auth import auth_middleware
from market.web.endpoint import assert_routes_declared
from market.web.idempotency import idempotency_middleware, purge_expired_keys
from market.web.keys import (
    ACCOUNTS, CATALOGUE, DB, EMPLOYMENTS, HASH_KEY, METRICS, ORDERS, REDIS, SETTINGS, WORKER_PROFILES,
)
from market.web.keys import SETTLEMENTS  # settlement
from market.web.keys import SUPERVISION  # supervision
from market.web.keys import WEBHOOKS  # webhooks
from market.web.keys import ALLOCATIONS  # allocation
from market.web.metrics import Metrics, observe_middleware
from market.web.problems import problems_middleware
from market.profiles import views as profiles_views
from market.profiles.service import WorkerProfiles

log = logging.getLogger(__name__)


def hash_key(settings: Settings) -> bytes:
    if settings.hash_key is not None:
        return settings.hash_key.get_secret_value().encode()
    return embedded.secret_key_file(settings.data_dir)


def create_app(settings: Settings) -> web.Application:
    if settings.database_url is None or settings.redis_url is None:
        raise ValueError("create_app needs database_url and redis_url (the CLI starts embedded servers first)")
    # Request limits first (a body is read once, under a timeout), then who is calling, then how
    # often they have called (docs/limits.md).
    app = web.Application(
        client_max_size=settings.max_body_bytes,
        handler_args=request_limits.server_options(settings),
        middlewares=[observe_middleware, problems_middleware, request_limits.request_limits_middleware,
                     auth_middleware, ratelimit.rate_limit_middleware, idempotency_middleware],
    )
    app[SETTINGS] = settings
    app[HASH_KEY] = hash_key(settings)
    app[METRICS] = Metrics()
    app.cleanup_ctx.append(_postgres)
    app.cleanup_ctx.append(_redis)
    ratelimit.setup(app)
    headers.setup(app)  # Server names no framework; authenticated responses are not cached
    app.cleanup_ctx.append(_background_tasks)
    app.cleanup_ctx.append(allocation_allocator.in_serve)  # allocation: one allocator loop in serve
    app.cleanup_ctx.append(webhooks_views.delivery_worker)  # webhooks: the delivery worker in serve

    allocation_views.setup_routes(app)  # allocation
    supervision_views.setup_routes(app)  # supervision
    webhooks_views.setup_routes(app)  # webhooks
    for setup_routes in (ops.setup_routes, catalogue_views.setup_routes, accounts_views.setup_routes,
                         orders_views.setup_routes, profiles_views.setup_routes, employment_views.setup_routes,
                         settlement_views.setup_routes):
        setup_routes(app)
    attendance_wiring.setup(app)  # attendance
    events_wiring.register_audience(app, "shift.opened",
                                    BatchAudience(shift_opened_audience, shift_opened_audiences))
    events_wiring.setup(app)
    assert_routes_declared(app)
    return app


async def _postgres(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    pool = await db.create_pool(settings.database_url, min_size=settings.db_pool_min, max_size=settings.db_pool_max)
    async with pool.acquire() as conn:
        await db.upgrade(conn)
    app[DB] = pool
    app[ACCOUNTS] = Accounts(pool, app[HASH_KEY], settings.token_ttl, token_cache_ttl=settings.token_cache_ttl)
    app[CATALOGUE] = Catalogue(pool)
    # Loaded now, not on first use: services read it while holding a pooled connection, and a cold
    # cache under load had every connection's holder waiting for one more to load it (a deadlock).
    await app[CATALOGUE].refresh()
    app[ORDERS] = Orders(pool, app[CATALOGUE])
    app[ALLOCATIONS] = Allocations(pool)  # allocation
    app[SETTLEMENTS] = Settlements(pool, app[CATALOGUE], settings)  # settlement
    app[TIMESHEET_MONEY] = app[SETTLEMENTS]  # settlement: what approvals and no-shows do to the money
    app[SUPERVISION] = Supervision(pool, settings)  # supervision
    app[WEBHOOKS] = Webhooks(pool, settings)  # webhooks
    app[WORKER_PROFILES] = WorkerProfiles(pool, app[CATALOGUE])
    app[EMPLOYMENTS] = Employments(pool, app[CATALOGUE], app[HASH_KEY])
    yield
    await pool.close()


async def _redis(app: web.Application) -> AsyncIterator[None]:
    # One server, or a Redis Cluster for a `redis+cluster://` URL (docs/scaling.md).
    client = redis_clients.connect(app[SETTINGS].redis_url, socket_connect_timeout=2, socket_timeout=5)
    app[REDIS] = client
    yield
    await client.aclose()


async def _background_tasks(app: web.Application) -> AsyncIterator[None]:
    tasks = [asyncio.create_task(purge_expired_keys(app), name="purge-idempotency-keys")]
    tasks.append(asyncio.create_task(settlement_sweeps(app), name="settlement-sweeps"))  # settlement
    yield
    await asyncio.gather(*(stop(task) for task in tasks))
