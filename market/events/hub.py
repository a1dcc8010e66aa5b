"""One reader of Redis Streams per process, fanning entries out to the open SSE streams.

Before it, each open stream did its own blocking XREAD on its own connection, and the process
served a thousand of them one after another after every event (docs/benchmarks.md, live feed).
Now a stream subscribes its keys here; a reader task does one blocking XREAD over every key
subscribed to it, each key from the seq last delivered for it, and hands each subscriber the
entries of its keys in seq order.

- **Readers.** Up to KEYS_PER_READ keys share one reader (one XREAD, one connection); beyond
  that a further reader starts, reading concurrently. A subscription's keys always sit in one
  reader, so a supervisor's merged districts arrive in one reply, in seq order. On a Redis Cluster
  one XREAD may only name keys of one slot, so readers are per slot, and a subscription whose keys
  span slots is not taken here (the caller reads for itself, bounded by RELAYED_THROUGH). A reader
  left without keys ends.
- **Writes.** A stream hands its subscription a writer (`write_directly`); the reader then writes
  each entry to the client's socket in its own pass, and the stream's task wakes only for entries
  the writer could not take. One read hands the copies of an event (one per key) as one entry, so
  its SSE encoding is done once.
- **New keys.** A blocking XREAD names the keys it was sent with, so a key subscribed meanwhile
  joins the next read. Reads block for at most BLOCK_MILLISECONDS (250 ms), which bounds how late
  the first entries of a newly subscribed key can come, only when its reader is idle: a busy
  reader reads again at once. (A wake-up entry on a key of each reader would shorten that, at the
  price of writes and keys per reader; not needed while clients connect well before events.)
- **No gap, no repeat.** A new key is read from the seq its first subscriber reached (after its
  backlog). A key the hub already reads for another subscriber may be read past that point:
  `subscribe` returns the highest such position, and the subscriber reads (position-behind, …]
  itself after subscribing. From then on, anything the hub delivers is either new or at most
  what the subscriber already sent, so it drops every entry not above its last sent id.
- **Slow consumers.** Each subscription buffers at most BUFFER_ENTRIES undelivered entries. A
  subscriber further behind is ended (`SlowConsumer`); its client reconnects with its
  Last-Event-ID and replays from the stream, so it loses nothing and holds no one else up.
- **Redis unreachable.** A failed read ends every subscription of that reader with the error
  (the SSE stream ends; clients reconnect), and the reader ends.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Callable, Sequence

from redis.crc import key_slot
from redis.exceptions import RedisError

from market.background import raise_if_cancelled, stop
from market.events import streams
from market.events.model import StreamEntry
from market.redis_clients import AnyRedis, is_cluster

log = logging.getLogger(__name__)

# Most keys named by one XREAD. Redis handles far more, but each read sends every key and its id.
KEYS_PER_READ = 1000
# Longest one read waits: also how late a key subscribed during a read joins in (see above).
BLOCK_MILLISECONDS = 250
# Entries per key per read.
READ_COUNT = 500
# Undelivered entries one subscription may hold before it is ended as a slow consumer.
BUFFER_ENTRIES = 2000


class SlowConsumer(Exception):
    """The subscriber fell more than BUFFER_ENTRIES behind; its client should reconnect and replay."""


# Writes entries to a client at once if it can without waiting; False if it wrote nothing.
DirectWriter = Callable[[list[StreamEntry]], bool]


class Subscription:
    """What one open stream receives from the hub."""

    def __init__(self, keys: tuple[str, ...]) -> None:
        self.keys = keys
        self._entries: list[StreamEntry] = []
        self._ready = asyncio.Event()
        self._ended = False
        self._error: BaseException | None = None  # why it ended; None: the app is stopping
        self._reader: _Reader | None = None
        self._writer: DirectWriter | None = None

    def write_directly(self, writer: DirectWriter) -> None:
        """From now on, hand entries to `writer` as soon as they are read, in the reader's own pass.

        The stream's task then wakes only when `writer` could not take them (it returned False:
        its socket's buffer is full, it is busy sending, or its client left), and those entries,
        with every later one until the task has taken them, wait for next_entries as before. With
        a thousand open streams this spares a task wake-up per stream per event.
        """
        self._writer = writer

    async def next_entries(self, timeout: float) -> list[StreamEntry] | None:
        """Entries delivered since the last call, oldest first ([] if none came within `timeout`);
        None once the hub has stopped. Raises SlowConsumer, or the RedisError that ended the read."""
        if not self._entries and not self._ended:
            try:
                async with asyncio.timeout(timeout):
                    await self._ready.wait()
            except TimeoutError:
                pass
        self._ready.clear()
        if self._ended:
            if self._error is not None:
                raise self._error
            return None
        entries, self._entries = self._entries, []
        return entries

    def _deliver(self, entries: list[StreamEntry]) -> None:
        if self._ended or not entries:
            return
        if self._writer is not None and not self._entries and self._writer(entries):
            return
        self._entries.extend(entries)
        if len(self._entries) > BUFFER_ENTRIES:
            self._end(SlowConsumer(f"more than {BUFFER_ENTRIES} entries undelivered"))
        self._ready.set()

    def _end(self, error: BaseException | None) -> None:
        if not self._ended:
            self._ended, self._error = True, error
            self._entries = []
            self._writer = None
            self._ready.set()


class _Reader:
    """One blocking XREAD at a time over its keys, each from the seq last delivered for it."""

    def __init__(self, redis: AnyRedis, group: int | None) -> None:
        self.redis = redis
        self.group = group  # the cluster slot of its keys; None on one server
        self.positions: dict[str, int] = {}
        self.subscribers: dict[str, set[Subscription]] = {}
        self.task: asyncio.Task | None = None
        self.ended = False

    def has_room_for(self, keys: Sequence[str]) -> bool:
        return len(self.positions) + sum(key not in self.positions for key in keys) <= KEYS_PER_READ

    def add(self, subscription: Subscription, after_seq: int) -> int:
        """Subscribe; returns the furthest this reader already is on any of the keys (≥ after_seq)."""
        furthest = after_seq
        for key in subscription.keys:
            if key in self.positions:
                furthest = max(furthest, self.positions[key])
            else:
                self.positions[key] = after_seq
                self.subscribers[key] = set()
            self.subscribers[key].add(subscription)
        return furthest

    def remove(self, subscription: Subscription) -> None:
        for key in subscription.keys:
            subscribers = self.subscribers.get(key)
            if subscribers is not None:
                subscribers.discard(subscription)
                if not subscribers:
                    del self.subscribers[key], self.positions[key]

    async def run(self) -> None:
        error: BaseException | None = None
        try:
            while self.positions:
                try:
                    per_key = await streams.read_new_entries(self.redis, dict(self.positions), READ_COUNT,
                                                             BLOCK_MILLISECONDS)
                except RedisError as failure:
                    raise_if_cancelled(failure)
                    log.warning("event hub: Redis is not answering; ending its streams", extra={"error": repr(failure)})
                    error = failure
                    return
                self._fan_out(per_key)
        finally:
            self.ended = True
            for subscription in {s for subscribers in self.subscribers.values() for s in subscribers}:
                subscription._end(error)
            self.subscribers.clear()
            self.positions.clear()

    def _fan_out(self, per_key: dict[str, list[StreamEntry]]) -> None:
        # A key that returned READ_COUNT entries may hold more below another key's newest: keep only
        # what is certainly complete, so a subscriber merging several keys never steps past an entry.
        full = [entries[-1].seq for entries in per_key.values() if len(entries) >= READ_COUNT]
        ceiling = min(full) if len(per_key) > 1 and full else None
        merging: dict[Subscription, list[StreamEntry]] = {}
        for key, entries in per_key.items():
            if ceiling is not None:
                entries = [entry for entry in entries if entry.seq <= ceiling]
            subscribers = self.subscribers.get(key)
            if not entries or subscribers is None:
                continue  # unsubscribed during the read
            self.positions[key] = max(self.positions[key], entries[-1].seq)
            for subscription in subscribers:
                if len(subscription.keys) == 1:
                    subscription._deliver(entries)
                else:
                    merging.setdefault(subscription, []).extend(entries)
        for subscription, entries in merging.items():
            subscription._deliver(sorted(entries, key=lambda entry: entry.seq))


class StreamHub:
    """The process's stream readers and their subscriptions. Start with the app, `close` at its end."""

    def __init__(self, redis: AnyRedis) -> None:
        self.redis = redis
        self._cluster = is_cluster(redis)
        self._readers: dict[int | None, list[_Reader]] = {}
        self._closed = False

    def takes(self, keys: Sequence[str]) -> bool:
        """Whether one reader can serve these keys together (on a cluster: all in one slot)."""
        if self._closed or not keys or len(keys) > KEYS_PER_READ:
            return False
        return not self._cluster or len({key_slot(key.encode()) for key in keys}) == 1

    def subscribe(self, keys: Sequence[str], after_seq: int) -> tuple[Subscription, int]:
        """Entries of `keys` above after_seq from now on, and the furthest seq the hub had already
        read past on any of them (the caller reads the entries between after_seq and it itself)."""
        assert self.takes(keys), "subscribe only keys the hub takes"
        keys = tuple(dict.fromkeys(keys))
        group = key_slot(keys[0].encode()) if self._cluster else None
        readers = self._readers.setdefault(group, [])
        live = [reader for reader in readers if not reader.ended]
        reader = next((r for r in live if all(key in r.positions for key in keys)), None) \
            or next((r for r in live if r.has_room_for(keys)), None)
        if reader is None:
            reader = _Reader(self.redis, group)
        subscription = Subscription(keys)
        furthest = reader.add(subscription, after_seq)
        if reader.task is None:
            readers[:] = [*live, reader]
            reader.task = asyncio.create_task(self._run(reader), name="events-hub-reader")
        subscription._reader = reader
        return subscription, furthest

    def unsubscribe(self, subscription: Subscription) -> None:
        if subscription._reader is not None:
            subscription._reader.remove(subscription)
        subscription._end(None)

    async def _run(self, reader: _Reader) -> None:
        try:
            await reader.run()
        finally:
            readers = self._readers.get(reader.group, [])
            if reader in readers:
                readers.remove(reader)
            if not readers:
                self._readers.pop(reader.group, None)

    def end_all(self) -> None:
        """End every subscription (the app is stopping): their streams end at once."""
        self._closed = True
        for readers in self._readers.values():
            for reader in readers:
                for subscribers in reader.subscribers.values():
                    for subscription in subscribers:
                        subscription._end(None)

    async def close(self) -> None:
        self.end_all()
        for task in [reader.task for readers in self._readers.values() for reader in readers if reader.task]:
            await stop(task)
