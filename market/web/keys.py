"""Typed application keys: every resource the app holds, declared once."""
from __future__ import annotations

from typing import TYPE_CHECKING

import asyncpg
import redis.asyncio as aioredis
from aiohttp import web

from market.config import Settings

from market.accounts.model import Principal

if TYPE_CHECKING:
    from market.accounts.service import Accounts
    from market.allocation.service import Allocations
    from market.catalogue.service import Catalogue
    from market.employment.service import Employments
    from market.orders.service import Orders
    from market.settlement.service import Settlements
    from market.supervision.service import Supervision  # market/supervision
    from market.webhooks.service import Webhooks  # market/webhooks
    from market.profiles.service import WorkerProfiles
    from market.web.metrics import Metrics
    from market.web.ratelimit import RateLimits

SETTINGS = web.AppKey("settings", Settings)
HASH_KEY = web.AppKey("hash_key", bytes)
DB = web.AppKey("db", asyncpg.Pool)
REDIS = web.AppKey("redis", aioredis.Redis)
METRICS = web.AppKey("metrics", "Metrics")
ACCOUNTS = web.AppKey("accounts", "Accounts")
CATALOGUE = web.AppKey("catalogue", "Catalogue")
ORDERS = web.AppKey("orders", "Orders")
WORKER_PROFILES = web.AppKey("worker_profiles", "WorkerProfiles")
EMPLOYMENTS = web.AppKey("employments", "Employments")
ALLOCATIONS = web.AppKey("allocations", "Allocations")  # market/allocation
SETTLEMENTS = web.AppKey("settlements", "Settlements")  # market/settlement
SUPERVISION = web.AppKey("supervision", "Supervision")  # market/supervision
WEBHOOKS = web.AppKey("webhooks", "Webhooks")  # market/webhooks
RATE_LIMITS = web.AppKey("rate_limits", "RateLimits")

# Request-scoped: the caller, resolved by auth_middleware (None when anonymous).
PRINCIPAL = web.RequestKey("principal", Principal | None)
