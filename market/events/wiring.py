"""The events package wires itself: the SSE routes, the blocking-read Redis client and the relay.

    from market.events import wiring as events_wiring
    events_wiring.register_audience(app, "shift.opened", which_workers_does_it_fit)
    events_wiring.setup(app)   # routes, the stream client, and the relay task

docs/events.md describes the pipeline and its guarantees.
"""
from __future__ import annotations

import asyncio
from typing import AsyncIterator, Mapping

from aiohttp import web
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from market.background import stop
from market.events import docs, views
from market.events.hub import StreamHub
from market.events.keys import AUDIENCES, SET_UP, STOPPING, STREAM_HUB, STREAM_REDIS
from market.events.model import validate_kind
from market.events.relay import AudienceResolver, Relay, relay_redis_client
from market.redis_clients import connect
from market.web.keys import DB, SETTINGS
from market.web.openapi import EVENT_DOCS


def register_audience(app: web.Application, kind: str, resolver: AudienceResolver) -> None:
    """Have the relay ask `resolver` which further workers an event of `kind` is for.

    It runs once per event, when the event is sequenced (a `BatchAudience`, once for all the events
    of its kind in a batch); the workers it names are stored in the event's row, so the fan-out is
    decided once and a replay delivers the same. Register before the app starts (setup may come
    before or after).
    """
    validate_kind(kind)
    resolvers = _audiences(app)
    if kind in resolvers and resolvers[kind] is not resolver:
        raise ValueError(f"an audience resolver for {kind!r} is already registered")
    resolvers[kind] = resolver


def audiences_of(app: web.Application) -> Mapping[str, AudienceResolver]:
    """The resolvers registered on an app (`market relay` takes them from create_app's app)."""
    return dict(app.get(AUDIENCES, {}))


def _audiences(app: web.Application) -> dict[str, AudienceResolver]:
    if AUDIENCES not in app:
        app[AUDIENCES] = {}
    return app[AUDIENCES]


def setup(app: web.Application, *, run_relay: bool = True) -> None:
    """Add the SSE routes and their part of the OpenAPI document, the blocking-read Redis client and
    (unless run_relay is False) the relay.

    Call it from create_app, before the app starts; calling it again does nothing.
    """
    if app.get(SET_UP):
        return
    app[SET_UP] = True
    _audiences(app)
    views.setup_routes(app)
    app[EVENT_DOCS] = docs
    app.cleanup_ctx.append(_stream_client)
    app.on_shutdown.append(views.stop_streams)
    if run_relay:
        app.cleanup_ctx.append(_relay_task)


async def _stream_client(app: web.Application) -> AsyncIterator[None]:
    # Its own client, for the hub's readers or each stream's own reads: a blocking XREAD holds a connection for BLOCK_MILLISECONDS, longer than the
    # shared client's socket timeout allows. No retries: a failed read ends the stream and the
    # client reconnects.
    client = connect(
        app[SETTINGS].redis_url, socket_connect_timeout=2, socket_timeout=views.STREAM_SOCKET_TIMEOUT_SECONDS,
        retry=Retry(NoBackoff(), 0), max_connections=views.STREAM_CONNECTIONS,
    )
    app[STREAM_REDIS] = client
    app[STOPPING] = asyncio.Event()
    hub = StreamHub(client) if app[SETTINGS].events_stream_hub else None
    if hub is not None:
        app[STREAM_HUB] = hub
    yield
    app[STOPPING].set()
    if hub is not None:
        await hub.close()
    await client.aclose()


async def _relay_task(app: web.Application) -> AsyncIterator[None]:
    redis = relay_redis_client(app[SETTINGS].redis_url)
    task = asyncio.create_task(Relay(app[DB], redis, app[AUDIENCES]).run(), name="events-relay")
    yield
    await stop(task)
    await redis.aclose()
