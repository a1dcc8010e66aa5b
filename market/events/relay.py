"""The relay: from the outbox table to Redis Streams.

One pass (`relay_pending`):
  (a) sequence: under an advisory transaction lock, give unsequenced events (id order, a batch at
      a time) ascending `seq` from events_seq, add the workers their kind's audience resolver
      names (a `BatchAudience` answers for all the batch's events of its kind at once), and
      commit. The lock makes sequencing one queue however many relays run, so a seq is never
      handed out after a larger one has become visible.
  (b) append: copy sequenced, unrelayed events (seq order) to their streams with entry id
      `<seq>-0`, in one pipeline; Redis refusing an id as "equal or smaller than the top item"
      means it is already there.
  (c) mark them relayed.
A crash between (b) and (c) repeats (b) harmlessly. Several relays may run at once: whichever
appends first wins, the others' appends are refused as already there. Ordering holds because a
relay only appends seq n after reading every smaller seq as either relayed (so already in Redis)
or unrelayed (so in its own batch, before n).

The relay wakes on NOTIFY (emit sends one; PostgreSQL delivers it at commit) and, in case a
notification is lost with a connection, polls every `poll_seconds`. When PostgreSQL or Redis is
unreachable it logs, waits (doubling up to `retry_cap_seconds`) and tries again; events keep
accumulating in the outbox meanwhile and go out in order once the servers answer.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import uuid
from dataclasses import dataclass
from typing import AsyncIterator, Awaitable, Callable, Iterable, Mapping

import asyncpg

from market.background import raise_if_cancelled
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from market.events import queries, streams
from market.events.model import Event
from market.redis_clients import AnyRedis, connect

log = logging.getLogger(__name__)

# Given a sequencing connection (inside the sequencing transaction) and the event, the extra
# workers the event is for. Runs once per event, under the sequencing lock: keep it one query.
AudienceResolver = Callable[[asyncpg.Connection, Event], Awaitable[Iterable[uuid.UUID]]]
ManyAudiencesResolver = Callable[[asyncpg.Connection, list[Event]], Awaitable[Mapping[int, Iterable[uuid.UUID]]]]


@dataclass(frozen=True)
class BatchAudience:
    """A resolver that answers for all the events of its kind in a batch at once (`many`: event id
    → workers), so a burst of events costs a few statements, not a few per event. Should `many`
    fail, the relay asks `one` event at a time, so one bad event loses only its own audience."""
    one: AudienceResolver
    many: ManyAudiencesResolver

    async def __call__(self, conn: asyncpg.Connection, event: Event) -> Iterable[uuid.UUID]:
        return await self.one(conn, event)

BATCH_SIZE = 500
POLL_SECONDS = 1.0
RETRY_FIRST_SECONDS = 0.1
RETRY_CAP_SECONDS = 5.0


@dataclass
class PassResult:
    sequenced: int
    relayed: int


class Relay:
    def __init__(
        self, pool: asyncpg.Pool, redis: AnyRedis, audiences: Mapping[str, AudienceResolver] | None = None,
        *, batch_size: int = BATCH_SIZE, stream_maxlen: int = streams.STREAM_MAXLEN,
        poll_seconds: float = POLL_SECONDS, retry_cap_seconds: float = RETRY_CAP_SECONDS,
    ) -> None:
        self.pool = pool
        self.redis = redis
        # Read at each pass, so resolvers registered after the relay was built still count.
        self.audiences = audiences if audiences is not None else {}
        self.batch_size = batch_size
        self.stream_maxlen = stream_maxlen
        self.poll_seconds = poll_seconds
        self.retry_cap_seconds = retry_cap_seconds

    # -- one pass, step by step (public so tests can stop between the steps, as a crash would) --

    async def sequence(self) -> int:
        """Step (a): sequence up to one batch of events; return how many."""
        async with self.pool.acquire() as conn, conn.transaction():
            await queries.lock_sequencing(conn)
            events = await queries.unsequenced_events(conn, self.batch_size)
            if not events:
                return 0
            by_kind: dict[str, list[Event]] = {}
            for event in events:
                if event.kind in self.audiences:
                    by_kind.setdefault(event.kind, []).append(event)
            widened: list[tuple[int, tuple[uuid.UUID, ...]]] = []
            for kind, of_kind in by_kind.items():
                extra = await self._resolve_all(conn, self.audiences[kind], of_kind)
                for event in of_kind:
                    if extra.get(event.id):
                        widened.append((event.id, tuple(dict.fromkeys([*event.worker_ids, *extra[event.id]]))))
            await queries.set_worker_ids(conn, widened)
            await queries.assign_seqs(conn, [event.id for event in events])
        return len(events)

    async def _resolve_all(self, conn: asyncpg.Connection, resolver: AudienceResolver | BatchAudience,
                           events: list[Event]) -> dict[int, list[uuid.UUID]]:
        """The extra workers of each event (by id), from a batch resolver at once when it can."""
        if isinstance(resolver, BatchAudience):
            try:
                async with conn.transaction():  # a savepoint, as in _resolve
                    found = await resolver.many(conn, events)
                    return {event.id: [uuid.UUID(str(w)) for w in found.get(event.id, ())] for event in events}
            except (OSError, asyncpg.InterfaceError, asyncpg.PostgresConnectionError):
                raise
            except Exception:
                log.exception("batch audience resolver failed; resolving its events one at a time",
                              extra={"kind": events[0].kind, "events": len(events)})
        return {event.id: await self._resolve(conn, resolver, event) for event in events}

    async def _resolve(self, conn: asyncpg.Connection, resolver: AudienceResolver, event: Event) -> list[uuid.UUID]:
        # A savepoint, so a resolver's failing query does not abort the sequencing transaction.
        try:
            async with conn.transaction():
                return [uuid.UUID(str(worker_id)) for worker_id in await resolver(conn, event)]
        except (OSError, asyncpg.InterfaceError, asyncpg.PostgresConnectionError):
            raise  # the connection is gone: the whole pass fails and is retried
        except Exception:
            # A resolver that fails for this event would fail on every retry and stall the
            # outbox behind it. Deliver the event to the parties it names and say so loudly.
            log.exception("audience resolver failed; event goes to its named parties only",
                          extra={"event_id": event.id, "kind": event.kind})
            return []

    async def pending(self) -> list[Event]:
        """Sequenced events not yet marked relayed, in seq order (one batch)."""
        async with self.pool.acquire() as conn:
            return await queries.unrelayed_events(conn, self.batch_size)

    async def append(self, events: list[Event]) -> int:
        """Step (b): copy events to their streams; return how many entries were new."""
        return await streams.append_events(self.redis, events, self.stream_maxlen) if events else 0

    async def mark_relayed(self, events: list[Event]) -> None:
        """Step (c)."""
        if events:
            async with self.pool.acquire() as conn:
                await queries.mark_relayed(conn, [event.seq for event in events])

    async def relay_pass(self) -> PassResult:
        sequenced = await self.sequence()
        events = await self.pending()
        await self.append(events)
        await self.mark_relayed(events)
        return PassResult(sequenced, len(events))

    async def relay_pending(self) -> int:
        """Passes until the outbox is empty (as far as this relay can see); return events relayed."""
        relayed = 0
        while True:
            result = await self.relay_pass()
            relayed += result.relayed
            if result.sequenced < self.batch_size and result.relayed < self.batch_size:
                return relayed

    # -- the loop --

    async def run(self) -> None:
        """Relay until cancelled. Never raises for an unreachable server; it waits and retries."""
        delay = RETRY_FIRST_SECONDS
        while True:
            try:
                async with self._notifications() as (woken, listener):
                    while True:
                        if listener.is_closed():
                            # PostgreSQL restarted (or ended the session): no NOTIFY will come on
                            # this connection again, and passes on fresh ones would never notice.
                            raise ListenerLost("the LISTEN connection closed; listening again")
                        woken.clear()  # before the pass: a NOTIFY arriving during it wakes the next
                        await self.relay_pending()
                        delay = RETRY_FIRST_SECONDS
                        # asyncio.timeout, not wait_for: on Python 3.11 wait_for can swallow a
                        # cancellation that lands as the wait ends, and the relay would never stop.
                        with contextlib.suppress(TimeoutError):
                            async with asyncio.timeout(self.poll_seconds):
                                await woken.wait()
            except asyncio.CancelledError:
                raise
            except Exception as error:
                raise_if_cancelled(error)
                # Redis or PostgreSQL away (or a bug): the outbox keeps the events; try again.
                level = logging.WARNING if _is_outage(error) else logging.ERROR
                log.log(level, "relay pass failed; retrying", exc_info=level == logging.ERROR,
                        extra={"error": repr(error), "retry_in_seconds": delay})
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.retry_cap_seconds)

    @contextlib.asynccontextmanager
    async def _notifications(self) -> AsyncIterator[tuple[asyncio.Event, asyncpg.Connection]]:
        """An event set whenever an emit commits (LISTEN on a connection held for the purpose), and
        that connection. The event is also set when the connection closes, so the loop finds out
        at once and listens again on another."""
        woken = asyncio.Event()

        def wake(*_: object) -> None:
            woken.set()

        async with self.pool.acquire() as conn:
            conn.add_termination_listener(wake)
            await conn.add_listener(queries.NOTIFY_CHANNEL, wake)
            try:
                yield woken, conn
            finally:
                conn.remove_termination_listener(wake)
                with contextlib.suppress(Exception):
                    await conn.remove_listener(queries.NOTIFY_CHANNEL, wake)


class ListenerLost(ConnectionError):
    """The connection holding the relay's LISTEN closed."""


def _is_outage(error: Exception) -> bool:
    from redis.exceptions import ConnectionError as RedisConnectionError, TimeoutError as RedisTimeoutError

    return isinstance(error, (OSError, RedisConnectionError, RedisTimeoutError, asyncpg.InterfaceError,
                              asyncpg.PostgresConnectionError, asyncpg.CannotConnectNowError))


def relay_redis_client(redis_url: str) -> AnyRedis:
    """A client for the relay (one server or a cluster): no retries of its own (the relay backs off), short timeouts."""
    return connect(redis_url, socket_connect_timeout=2, socket_timeout=5, retry=Retry(NoBackoff(), 0))


async def run_standalone(database_url: str, redis_url: str, audiences: Mapping[str, AudienceResolver]) -> None:
    """`market relay`: the relay as its own process, until SIGINT or SIGTERM."""
    from market import db

    pool = await db.create_pool(database_url, min_size=1, max_size=3)
    async with pool.acquire() as conn:
        await db.upgrade(conn)  # idempotent; the relay may start before any `market serve`
    redis = relay_redis_client(redis_url)
    task = asyncio.create_task(Relay(pool, redis, audiences).run(), name="events-relay")
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, task.cancel)
    log.info("relay started")
    try:
        await task
    except asyncio.CancelledError:
        pass
    finally:
        await redis.aclose()
        await pool.close()
        log.info("relay stopped")
