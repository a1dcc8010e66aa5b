"""Redis Streams: appending relayed events and reading them back for SSE clients.

Every copy of an event carries the entry id `<seq>-0`. Redis refuses an id not above a stream's
newest entry ("equal or smaller than the target stream top item"), which is how a repeated append
(a relay retrying after a crash, two relays racing) lands once per stream: the refusal means the
entry, or a later one, is already there.
"""
from __future__ import annotations

import logging
from typing import Sequence

import redis.asyncio as aioredis
from redis.exceptions import ResponseError

from market.events.model import Event, StreamEntry, entry_id, seq_of

log = logging.getLogger(__name__)

# Each stream keeps about this many newest entries (MAXLEN ~: Redis trims whole nodes, so a
# stream may hold somewhat more). A client further behind than this is told to reset.
STREAM_MAXLEN = 10_000

_ALREADY_THERE = "equal or smaller than the target stream top item"


class AppendFailed(Exception):
    """Redis refused an append for a reason other than "already there"; nothing may be marked relayed."""


async def append_events(redis: aioredis.Redis, events: Sequence[Event], maxlen: int = STREAM_MAXLEN) -> int:
    """Append each event to each of its streams, in seq order, in one round trip.

    Returns how many entries were new. Raises redis' ConnectionError / TimeoutError when Redis
    is unreachable, and AppendFailed when it refused an entry for another reason.
    """
    added = 0
    pipe = redis.pipeline(transaction=False)
    for event in events:
        assert event.seq is not None, "only sequenced events are appended"
        fields = {"kind": event.kind, "data": event.payload_json}
        for key in event.stream_keys:
            pipe.xadd(key, fields, id=entry_id(event.seq), maxlen=maxlen, approximate=True)
    results = await pipe.execute(raise_on_error=False)
    refusals = []
    for result in results:
        if isinstance(result, ResponseError):
            if _ALREADY_THERE not in str(result):
                refusals.append(str(result))
        elif isinstance(result, Exception):
            raise result
        else:
            added += 1
    if refusals:
        raise AppendFailed(f"{len(refusals)} appends refused, first: {refusals[0]}")
    return added


def _entry(stream_id: bytes, fields: dict[bytes, bytes]) -> StreamEntry:
    decoded = {k.decode(): v.decode() for k, v in fields.items()}
    return StreamEntry(seq_of(stream_id), decoded.pop("kind", "message"), decoded.pop("data", "null"), decoded)


async def entries_after(redis: aioredis.Redis, key: str, seq: int, count: int) -> list[StreamEntry]:
    """Up to `count` entries with a seq above `seq`, oldest first (the backlog of a resuming client)."""
    # Every id is `<seq>-0`, so "after seq" is "from <seq + 1>-0"; no exclusive range needed.
    rows = await redis.xrange(key, min=entry_id(seq + 1), max="+", count=count)
    return [_entry(stream_id, fields) for stream_id, fields in rows]


async def oldest_seq(redis: aioredis.Redis, key: str) -> int | None:
    rows = await redis.xrange(key, min="-", max="+", count=1)
    return seq_of(rows[0][0]) if rows else None


async def newest_seq(redis: aioredis.Redis, key: str) -> int:
    """The seq of the stream's newest entry, 0 when the stream is empty or missing."""
    rows = await redis.xrevrange(key, max="+", min="-", count=1)
    return seq_of(rows[0][0]) if rows else 0


async def wait_for_entries(
    redis: aioredis.Redis, key: str, after_seq: int, count: int, block_milliseconds: int,
) -> list[StreamEntry]:
    """Entries after `after_seq`, waiting up to block_milliseconds for one to arrive ([] if none did).

    Blocks a connection of `redis` for that long: use a client whose socket timeout exceeds it.
    """
    reply = await redis.xread({key: entry_id(after_seq)}, count=count, block=block_milliseconds)
    if not reply:
        return []
    # redis-py answers [[key, entries]] over RESP2 and {key: entries} (or {key: [entries]}) over RESP3.
    streams = list(reply.values()) if isinstance(reply, dict) else [entries for _, entries in reply]
    entries = [item for stream in streams for item in stream]
    if entries and isinstance(entries[0], list):
        entries = [item for nested in entries for item in nested]
    return [_entry(stream_id, fields) for stream_id, fields in entries]
