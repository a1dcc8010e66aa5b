"""Typed application keys of the events package."""
from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    from market.events.hub import StreamHub
    from market.events.relay import AudienceResolver
    from market.redis_clients import AnyRedis

# Set by setup(), so a second call (a test fixture on an app create_app already set up) changes nothing.
SET_UP = web.AppKey("events_set_up", bool)
# kind → resolver of extra workers, filled by register_audience before the app starts.
AUDIENCES: web.AppKey[dict[str, AudienceResolver]] = web.AppKey("events_audiences")
# A Redis client (one server or a cluster) only for blocking stream reads: its socket timeout
# outlasts the block time.
STREAM_REDIS: web.AppKey[AnyRedis] = web.AppKey("events_stream_redis")
# Set when the app begins shutting down, so open event streams end at once instead of holding
# the shutdown until their next wake-up.
STOPPING = web.AppKey("events_stopping", asyncio.Event)
# The process's shared stream reader (market/events/hub.py); absent when settings.events_stream_hub
# is false, and then each open stream reads for itself.
STREAM_HUB: web.AppKey[StreamHub] = web.AppKey("events_stream_hub")
