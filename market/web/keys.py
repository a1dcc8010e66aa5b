"""Typed keys of the plumbing's resources: the settings, the keyed-hash secret, the pool, the
Redis client and the caller of a request.

Each feature declares its own keys in its package (market/<feature>/keys.py), and a key whose
type a plumbing module defines lives beside that type (METRICS in metrics.py, RATE_LIMITS in
ratelimit.py, AUTHENTICATOR in auth.py), so this module imports no feature and no sibling.
"""
from __future__ import annotations

import asyncpg
import redis.asyncio as aioredis
from aiohttp import web

from market.config import Settings
from market.kernel.principal import Principal

SETTINGS = web.AppKey("settings", Settings)
HASH_KEY = web.AppKey("hash_key", bytes)
DB = web.AppKey("db", asyncpg.Pool)
REDIS = web.AppKey("redis", aioredis.Redis)

# Request-scoped: the caller, resolved by auth_middleware (None when anonymous).
PRINCIPAL = web.RequestKey("principal", Principal | None)
