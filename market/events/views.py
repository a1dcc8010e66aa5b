"""Server-Sent Events: a worker's and an employer's live stream.

Each event goes out as `id: <seq>`, `event: <kind>`, `data: <payload JSON>`. A client resumes
after the id it last saw (the `Last-Event-ID` header EventSource sends on reconnecting, or the
`last_event_id` query parameter); without one it gets new events only. docs/events.md is the
protocol as client developers read it.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from dataclasses import dataclass
from typing import Awaitable, Sequence, TypeVar

from aiohttp import hdrs, web
from pydantic import BaseModel, Field
from redis.exceptions import RedisError

from market.errors import FieldError, NotFound, ValidationFailed
from market.events import streams
from market.events.hub import SlowConsumer, StreamHub
from market.events.keys import STOPPING, STREAM_HUB, STREAM_REDIS
from market.events.model import (
    RESET_KIND, StreamEntry, organisation_stream, sse_comment, sse_event, sse_retry, worker_stream,
)
from market.events.payloads import ORGANISATION, WORKER
from market.logs import request_id_var
from market.web.auth import principal
from market.web.endpoint import endpoint
from market.web.inputs import MAX_EVENT_ID
from market.web.metrics import REQUEST_ID_HEADER

log = logging.getLogger(__name__)

# How long the client waits before reconnecting after the stream ends (EventSource `retry:`).
RECONNECT_MILLISECONDS = 2000
# Longest a stream waits for new entries (from the hub, or its own read) before looking again. It
# bounds how late a departed client is noticed;
# the blocking client's socket timeout (STREAM_SOCKET_TIMEOUT_SECONDS) must exceed it.
BLOCK_MILLISECONDS = 5000
STREAM_SOCKET_TIMEOUT_SECONDS = BLOCK_MILLISECONDS / 1000 + 5
# Without the hub (settings.events_stream_hub false, or keys across cluster slots) each open stream
# holds one connection of the stream client for its blocking read, so this is the most such streams
# one process serves at once (redis-py's default pool of 100 refused the 101st stream). Redis' own
# default limit is 10,000 clients, for every process together.
STREAM_CONNECTIONS = 5000
# A comment line after this long without a write keeps proxies from closing an idle stream.
HEARTBEAT_SECONDS = 15.0
# Entries per read: the backlog of a resuming client goes out in slices this large.
READ_COUNT = 500
# The hub writes an entry straight to a client's socket while the socket's unsent buffer stays under
# this (asyncio's default high-water mark); beyond it the stream's task sends, waiting for drain.
DIRECT_WRITE_LIMIT = 64 * 1024

LAST_EVENT_ID_HEADER = "Last-Event-ID"

T = TypeVar("T")


class EventStreamQuery(BaseModel):
    last_event_id: int | None = Field(
        None, ge=0, le=MAX_EVENT_ID,
        description="Resume after this event id, for clients that cannot send the Last-Event-ID header")


@endpoint(roles={"worker"}, tag="events", query=EventStreamQuery, produces="text/event-stream", events=WORKER,
          summary="Live events for the calling worker: new fitting shifts, offers, changes (Server-Sent Events)")
async def worker_events(request: web.Request, query: EventStreamQuery) -> web.StreamResponse:
    caller = principal(request)
    if caller.worker_id is None:
        raise NotFound("this account has no worker profile")
    return await stream_events(request, worker_stream(caller.worker_id), resume_after(request, query))


@endpoint(roles={"employer"}, tag="events", query=EventStreamQuery, produces="text/event-stream",
          events=ORGANISATION,
          summary="Live events for the calling employer's organisation: bids, offers, order changes (Server-Sent Events)")
async def employer_events(request: web.Request, query: EventStreamQuery) -> web.StreamResponse:
    caller = principal(request)
    if caller.organisation_id is None:
        raise NotFound("this account has no organisation")
    return await stream_events(request, organisation_stream(caller.organisation_id), resume_after(request, query))


def resume_after(request: web.Request, query: EventStreamQuery) -> int | None:
    """The id to resume after. The header wins: EventSource updates it on each reconnect, while
    a query parameter stays whatever the page first put in the URL."""
    header = request.headers.get(LAST_EVENT_ID_HEADER, "").strip()
    if not header:
        return query.last_event_id
    if not header.isascii() or not header.isdigit():
        raise ValidationFailed([FieldError(("header", LAST_EVENT_ID_HEADER), "must be an event id this API sent")])
    return int(header)


@dataclass(frozen=True)
class StartingPoint:
    after_seq: int
    reset: bool  # the client missed entries the stream no longer holds


async def starting_point(redis, key: str | Sequence[str], last_seen: int | None) -> StartingPoint:
    newest = await streams.newest_seq(redis, key)
    if last_seen is None:
        return StartingPoint(newest, reset=False)
    if last_seen == 0:  # "everything you still have"
        return StartingPoint(0, reset=False)
    oldest = await streams.oldest_seq(redis, key)
    # An id this stream once held is gone: trimmed away (or Redis lost the stream). What followed
    # it may be gone too, so the client reloads its feed and continues from the newest entry.
    # (Conservative: when exactly the entry it saw was trimmed and nothing after, it reloads needlessly.)
    if oldest is None or last_seen < oldest:
        return StartingPoint(newest, reset=True)
    return StartingPoint(last_seen, reset=False)


class _Client:
    """The open response: writes, what it has sent, and whether the other end is still there."""

    def __init__(self, request: web.Request, response: web.StreamResponse) -> None:
        self.request = request
        self.response = response
        self.last_write = time.monotonic()
        self.sent_through = 0  # the seq of the last entry sent
        self._sending = False  # the stream's task is in an awaited send
        self._transport = request.transport
        self._chunked = response.headers.get(hdrs.TRANSFER_ENCODING, "").lower() == "chunked"

    async def send(self, chunk: bytes) -> None:
        await self.response.write(chunk)
        self.last_write = time.monotonic()

    async def send_entries(self, entries: Sequence[StreamEntry]) -> None:
        """Send those above sent_through, in order, waiting for the socket to drain as needed."""
        self._sending = True
        try:
            for entry in entries:
                if entry.seq > self.sent_through:
                    await self.send(entry.sse)
                    self.sent_through = entry.seq
        finally:
            self._sending = False

    def write_now(self, entries: list[StreamEntry]) -> bool:
        """send_entries without waiting, for the hub (hub.DirectWriter): straight onto the socket,
        each entry's chunk as encoded once for every stream. False, writing nothing, if the task is
        sending, the client left, or the socket's buffer is over DIRECT_WRITE_LIMIT: the hub then
        keeps the entries for the task. (The response's own writer is bypassed, so aiohttp's
        count of body bytes, used in the access log, leaves these out.)"""
        transport = self._transport
        if self._sending or transport is None or transport.is_closing() \
                or transport.get_write_buffer_size() > DIRECT_WRITE_LIMIT:
            return False
        for entry in entries:
            if entry.seq > self.sent_through:
                transport.write(entry.sse_chunk if self._chunked else entry.sse)
                self.sent_through = entry.seq
        self.last_write = time.monotonic()
        return True

    @property
    def gone(self) -> bool:
        transport = self.request.transport
        return transport is None or transport.is_closing()


async def stream_events(request: web.Request, key: str | Sequence[str], last_seen: int | None) -> web.StreamResponse:
    """Stream one key, or several merged by seq (a supervisor's district streams: seqs are global)."""
    redis = request.app[STREAM_REDIS]
    stopping = request.app[STOPPING]
    hub = request.app.get(STREAM_HUB)
    response = web.StreamResponse(headers={
        "Content-Type": "text/event-stream; charset=utf-8",
        "Cache-Control": "no-cache",
        "X-Accel-Buffering": "no",  # nginx: pass each event on as it comes
        REQUEST_ID_HEADER: request_id_var.get() or "",
    })
    # The starting point is fixed before the client sees the response start, so an event
    # committed after that moment is never mistaken for history.
    start: StartingPoint | None
    try:
        start = await starting_point(redis, key, last_seen)
    except RedisError as error:
        start = None
        log.warning("event stream unavailable: Redis is not answering", extra={"error": repr(error)})
    await response.prepare(request)
    client = _Client(request, response)
    try:
        await client.send(sse_retry(RECONNECT_MILLISECONDS))
        if start is not None:
            await _follow(client, redis, key, start, stopping, hub)
    except ConnectionResetError:
        pass  # the client left
    except SlowConsumer as error:
        # It reconnects with its Last-Event-ID and replays from the stream, holding no one else up.
        log.info("event stream ended: the client is not keeping up", extra={"error": repr(error)})
    except RedisError as error:
        # The client reconnects after RECONNECT_MILLISECONDS with its Last-Event-ID and misses nothing.
        log.warning("event stream ended: Redis is not answering", extra={"error": repr(error)})
    with contextlib.suppress(ConnectionResetError):
        await response.write_eof()
    return response


async def _follow(client: _Client, redis, key: str | Sequence[str], start: StartingPoint, stopping: asyncio.Event,
                  hub: StreamHub | None) -> None:
    after_seq = start.after_seq
    if start.reset:
        # Carries the id to resume after, so a reconnect does not ask for the lost history again.
        await client.send(sse_event(after_seq, RESET_KIND, json.dumps({"reason": "history_trimmed"})))
        client.sent_through = after_seq
    else:
        after_seq = await _send_backlog(client, redis, key, after_seq)
    keys = [key] if isinstance(key, str) else list(key)
    if hub is not None and hub.takes(keys):
        await _follow_hub(client, redis, key, hub, after_seq, stopping)
        return
    # Without the hub (switched off, or keys across cluster slots): this stream's own blocking reads.
    while not stopping.is_set() and not client.gone:
        entries = await _unless(stopping, streams.wait_for_entries(redis, key, after_seq, READ_COUNT,
                                                                    BLOCK_MILLISECONDS))
        if entries is None:
            return
        await client.send_entries(entries)
        after_seq = client.sent_through
        if time.monotonic() - client.last_write >= HEARTBEAT_SECONDS:
            await client.send(sse_comment("ping"))


async def _send_backlog(client: _Client, redis, key: str | Sequence[str], after_seq: int) -> int:
    """Send what the stream holds after after_seq, in slices; returns the last seq sent."""
    client.sent_through = after_seq
    while True:
        entries = await streams.entries_after(redis, key, after_seq, READ_COUNT)
        await client.send_entries(entries)
        after_seq = client.sent_through
        if len(entries) < READ_COUNT:
            return after_seq


async def _follow_hub(client: _Client, redis, key: str | Sequence[str], hub: StreamHub, after_seq: int,
                      stopping: asyncio.Event) -> None:
    subscription, hub_read_through = hub.subscribe([key] if isinstance(key, str) else list(key), after_seq)
    try:
        if hub_read_through > after_seq:
            # The hub already reads one of these keys for another stream and is past our point:
            # what lies between it delivered before we subscribed, so we read it ourselves.
            after_seq = await _send_backlog(client, redis, key, after_seq)
        client.sent_through = after_seq
        # From here the hub writes new entries itself while the client keeps up; what it hands
        # over instead (and anything delivered during the backlog) comes out of next_entries. Both
        # skip entries not above sent_through: those the backlog read sent already.
        subscription.write_directly(client.write_now)
        while not stopping.is_set() and not client.gone:
            # Wake at least every BLOCK_MILLISECONDS to notice a departed client, and for heartbeats.
            until_heartbeat = HEARTBEAT_SECONDS - (time.monotonic() - client.last_write)
            entries = await subscription.next_entries(max(0.0, min(BLOCK_MILLISECONDS / 1000, until_heartbeat)))
            if entries is None:
                return  # the app is stopping
            await client.send_entries(entries)
            if time.monotonic() - client.last_write >= HEARTBEAT_SECONDS:
                await client.send(sse_comment("ping"))
    finally:
        hub.unsubscribe(subscription)


async def _unless(stopping: asyncio.Event, awaitable: Awaitable[T]) -> T | None:
    """The awaitable's result, or None (and the awaitable cancelled) if `stopping` is set first."""
    work = asyncio.ensure_future(awaitable)
    stop = asyncio.ensure_future(stopping.wait())
    try:
        await asyncio.wait({work, stop}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stop.cancel()
        if not work.done():
            work.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await work
    return work.result() if not work.cancelled() else None


async def stop_streams(app: web.Application) -> None:
    """on_shutdown: end every open event stream now (clients reconnect to another instance)."""
    if STOPPING in app:
        app[STOPPING].set()
    if STREAM_HUB in app:
        app[STREAM_HUB].end_all()


def setup_routes(app: web.Application) -> None:
    # No HEAD: it would hold a connection open for a body it never sends.
    app.router.add_get("/v1/workers/me/events", worker_events, allow_head=False)
    app.router.add_get("/v1/employers/me/events", employer_events, allow_head=False)
