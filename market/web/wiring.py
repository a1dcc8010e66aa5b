"""The plumbing wires itself, before any feature: the settings, the keyed-hash secret, the
metrics, the PostgreSQL pool (the schema upgraded), the Redis client, the rate limits, the
response headers, the purge of expired idempotency keys and the operational routes.

Its cleanup contexts come first, so every feature's service is built on a pool and a client
that are already there, and they are closed last.
"""
from __future__ import annotations

import asyncio
from typing import AsyncIterator

from aiohttp import web

from market import db, embedded, redis_clients
from market.background import stop
from market.config import Settings
from market.web import headers, ops, ratelimit
from market.web.idempotency import purge_expired_keys
from market.web.keys import DB, HASH_KEY, REDIS, SETTINGS
from market.web.metrics import METRICS, Metrics


def hash_key(settings: Settings) -> bytes:
    if settings.hash_key is not None:
        return settings.hash_key.get_secret_value().encode()
    return embedded.secret_key_file(settings.data_dir)


def setup(app: web.Application, settings: Settings) -> None:
    app[SETTINGS] = settings
    app[HASH_KEY] = hash_key(settings)
    app[METRICS] = Metrics()
    app.cleanup_ctx.append(_postgres)
    app.cleanup_ctx.append(_redis)
    ratelimit.setup(app)
    headers.setup(app)  # Server names no framework; authenticated responses are not cached
    app.cleanup_ctx.append(_idempotency_purge)
    ops.setup_routes(app)


async def _postgres(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    pool = await db.create_pool(settings.database_url, min_size=settings.db_pool_min, max_size=settings.db_pool_max)
    async with pool.acquire() as conn:
        await db.upgrade(conn)
    app[DB] = pool
    yield
    await pool.close()


async def _redis(app: web.Application) -> AsyncIterator[None]:
    # One server, or a Redis Cluster for a `redis+cluster://` URL (docs/scaling.md).
    client = redis_clients.connect(app[SETTINGS].redis_url, socket_connect_timeout=2, socket_timeout=5)
    app[REDIS] = client
    yield
    await client.aclose()


async def _idempotency_purge(app: web.Application) -> AsyncIterator[None]:
    task = asyncio.create_task(purge_expired_keys(app), name="purge-idempotency-keys")
    yield
    await stop(task)
