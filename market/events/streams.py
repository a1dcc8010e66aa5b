"""Redis Streams: appending relayed events and reading them back for SSE clients.

Every copy of an event carries the entry id `<seq>-0`. Redis refuses an id not above a stream's
newest entry ("equal or smaller than the target stream top item"), which is how a repeated append
(a relay retrying after a crash, two relays racing) lands once per stream: the refusal means the
entry, or a later one, is already there.

In a Redis Cluster the streams of one event sit on different nodes, which the relay's pipeline
reaches independently: seq 10 may be readable on one node a moment before seq 9 is on another. A
reader of one stream cannot tell (ids only rise within a stream), but a reader merging streams of
several slots (a supervisor's districts) could step past seq 9 for good. So once every append of a
batch is acknowledged, the relay also appends the batch's highest seq to RELAYED_THROUGH, and a
reader merging several slots delivers only seqs up to that mark, all of which are readable on
every node. With one server none of this is needed, and none of it runs.
"""
from __future__ import annotations

import logging
from typing import Sequence

from redis.crc import key_slot
from redis.exceptions import ResponseError

from market.events.model import Event, StreamEntry, entry_id, seq_of
from market.redis_clients import AnyRedis, is_cluster

log = logging.getLogger(__name__)

# Each stream keeps about this many newest entries (MAXLEN ~: Redis trims whole nodes, so a
# stream may hold somewhat more). A client further behind than this is told to reset.
STREAM_MAXLEN = 10_000

_ALREADY_THERE = "equal or smaller than the target stream top item"

# Cluster only: entries `<seq>-0`, each saying every event up to seq is readable on every node.
RELAYED_THROUGH = "market:{relay}:relayed-through"
RELAYED_THROUGH_MAXLEN = 1000


class AppendFailed(Exception):
    """Redis refused an append for a reason other than "already there"; nothing may be marked relayed."""


# One event onto all its streams in one command (one server only: a script's keys must share a
# slot on a cluster). KEYS: the streams; ARGV: entry id, maxlen, kind, data. Returns {appended,
# refused, first refusal}, "already there" counting as neither. For an event with a thousand
# streams it spares the relay building, sending and parsing a thousand commands.
_APPEND_EVENT = """
local appended, refused, first = 0, 0, ''
for _, key in ipairs(KEYS) do
    local reply = redis.pcall('XADD', key, 'MAXLEN', '~', ARGV[2], ARGV[1], 'kind', ARGV[3], 'data', ARGV[4])
    if type(reply) == 'table' and reply.err then
        if not string.find(reply.err, '""" + _ALREADY_THERE + """', 1, true) then
            refused = refused + 1
            if refused == 1 then first = reply.err end
        end
    else
        appended = appended + 1
    end
end
return {appended, refused, first}
"""


async def append_events(redis: AnyRedis, events: Sequence[Event], maxlen: int = STREAM_MAXLEN) -> int:
    """Append each event to each of its streams, in seq order, in one round trip: one script call
    per event on one server, an XADD per stream on a cluster.

    Returns how many entries were new. Raises redis' ConnectionError / TimeoutError when Redis
    is unreachable, and AppendFailed when it refused an entry for another reason.
    """
    for event in events:
        assert event.seq is not None, "only sequenced events are appended"
    if is_cluster(redis):
        return await _append_per_stream(redis, events, maxlen)
    pipe = redis.pipeline(transaction=False)
    for event in events:
        keys = event.stream_keys
        if keys:
            pipe.eval(_APPEND_EVENT, len(keys), *keys, entry_id(event.seq), maxlen, event.kind, event.payload_json)
    added, refusals = 0, []
    for result in await pipe.execute(raise_on_error=False):
        if isinstance(result, Exception):
            raise result  # the script itself failed: nothing to count as already there
        appended, refused, first = result
        added += appended
        if refused:
            refusals.append((refused, first.decode() if isinstance(first, bytes) else first))
    if refusals:
        raise AppendFailed(f"{sum(count for count, _ in refusals)} appends refused, first: {refusals[0][1]}")
    return added


async def _append_per_stream(redis: AnyRedis, events: Sequence[Event], maxlen: int) -> int:
    """append_events on a cluster: an XADD per stream, in one pipeline (the client splits it by node),
    then RELAYED_THROUGH once every append is acknowledged."""
    added = 0
    pipe = redis.pipeline(transaction=False)
    for event in events:
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
    if events:
        await _mark_relayed_through(redis, max(event.seq for event in events))
    return added


async def _mark_relayed_through(redis: AnyRedis, seq: int) -> None:
    try:
        await redis.xadd(RELAYED_THROUGH, {"seq": str(seq)}, id=entry_id(seq), maxlen=RELAYED_THROUGH_MAXLEN,
                         approximate=True)
    except ResponseError as error:
        if _ALREADY_THERE not in str(error):
            raise
        # Another relay has marked this far or further already.


async def relayed_through(redis: AnyRedis) -> int:
    """The highest seq the relay has marked readable everywhere (0: none yet)."""
    rows = await redis.xrevrange(RELAYED_THROUGH, max="+", min="-", count=1)
    return seq_of(rows[0][0]) if rows else 0


def spans_slots(redis: AnyRedis, keys: Sequence[str]) -> bool:
    """Whether reading `keys` together needs the RELAYED_THROUGH ceiling (a cluster, several slots)."""
    return is_cluster(redis) and len({key_slot(key.encode()) for key in keys}) > 1


def _entry(stream_id: bytes, fields: dict[bytes, bytes]) -> StreamEntry:
    decoded = {k.decode(): v.decode() for k, v in fields.items()}
    return StreamEntry(seq_of(stream_id), decoded.pop("kind", "message"), decoded.pop("data", "null"), decoded)


def _shared_entry(seen: dict[bytes, tuple[dict, StreamEntry]], stream_id: bytes, fields: dict[bytes, bytes]) -> StreamEntry:
    """_entry, but one object for the copies of an event in one reply (same id, same fields): it is
    decoded, and later encoded for SSE, once instead of once per stream."""
    known = seen.get(stream_id)
    if known is not None and known[0] == fields:
        return known[1]
    entry = _entry(stream_id, fields)
    seen[stream_id] = (fields, entry)
    return entry


async def entries_after(redis: AnyRedis, key: str | Sequence[str], seq: int, count: int) -> list[StreamEntry]:
    """Up to `count` entries with a seq above `seq`, oldest first (the backlog of a resuming client).

    With several keys (a supervisor's district streams) the entries of all of them are merged by
    seq: seqs are global, so one position serves every stream. Each key gives its `count` oldest,
    so the `count` oldest of the merge are exactly the next `count` of the union. Across cluster
    slots only entries up to RELAYED_THROUGH count, read before the streams.
    """
    if not isinstance(key, str):
        keys = list(key)
        ceiling = await relayed_through(redis) if spans_slots(redis, keys) else None
        pipe = redis.pipeline(transaction=False)
        for one in keys:
            pipe.xrange(one, min=entry_id(seq + 1), max="+", count=count)
        merged = [_entry(stream_id, fields) for rows in await pipe.execute() for stream_id, fields in rows]
        entries = sorted(merged, key=lambda entry: entry.seq)[:count]
        return entries if ceiling is None else [entry for entry in entries if entry.seq <= ceiling]
    # Every id is `<seq>-0`, so "after seq" is "from <seq + 1>-0"; no exclusive range needed.
    rows = await redis.xrange(key, min=entry_id(seq + 1), max="+", count=count)
    return [_entry(stream_id, fields) for stream_id, fields in rows]


async def oldest_seq(redis: AnyRedis, key: str | Sequence[str]) -> int | None:
    if not isinstance(key, str):
        found = [seq for one in key if (seq := await oldest_seq(redis, one)) is not None]
        return min(found) if found else None
    rows = await redis.xrange(key, min="-", max="+", count=1)
    return seq_of(rows[0][0]) if rows else None


async def newest_seq(redis: AnyRedis, key: str | Sequence[str]) -> int:
    """The seq of the stream's newest entry, 0 when the stream is empty or missing.

    Across cluster slots, no further than RELAYED_THROUGH: an entry beyond it may have an
    earlier one still on its way to another node, which a client starting here would never get.
    """
    if not isinstance(key, str):
        ceiling = await relayed_through(redis) if spans_slots(redis, key) else None
        newest = max([await newest_seq(redis, one) for one in key], default=0)
        return newest if ceiling is None else min(newest, ceiling)
    rows = await redis.xrevrange(key, max="+", min="-", count=1)
    return seq_of(rows[0][0]) if rows else 0


async def wait_for_entries(
    redis: AnyRedis, key: str | Sequence[str], after_seq: int, count: int, block_milliseconds: int,
) -> list[StreamEntry]:
    """Entries after `after_seq`, waiting up to block_milliseconds for one to arrive ([] if none did).

    Blocks a connection of `redis` for that long: use a client whose socket timeout exceeds it.
    """
    keys = [key] if isinstance(key, str) else list(key)
    if spans_slots(redis, keys):
        return await _wait_across_slots(redis, keys, after_seq, count, block_milliseconds)
    per_key = await read_new_entries(redis, {one: after_seq for one in keys}, count, block_milliseconds)
    return merged_complete(per_key, count)


async def read_new_entries(
    redis: AnyRedis, after: dict[str, int], count: int, block_milliseconds: int | None,
) -> dict[str, list[StreamEntry]]:
    """One XREAD: for each key, up to `count` entries after its own seq, waiting up to
    block_milliseconds for any to arrive (None: not at all). Only keys with entries appear."""
    reply = await redis.xread({key: entry_id(seq) for key, seq in after.items()}, count=count,
                              block=block_milliseconds)
    if not reply:
        return {}
    # redis-py answers [[key, entries]] over RESP2 and {key: entries} (or {key: [entries]}) over RESP3.
    pairs = reply.items() if isinstance(reply, dict) else [(key, entries) for key, entries in reply]
    per_key = {}
    seen: dict[bytes, tuple[dict, StreamEntry]] = {}
    for key, stream in pairs:
        if stream and isinstance(stream[0], list) and stream[0] and isinstance(stream[0][0], tuple | list) \
                and not isinstance(stream[0][0], (bytes, str)):
            stream = [item for nested in stream for item in nested]
        per_key[key.decode() if isinstance(key, bytes) else key] = \
            [_shared_entry(seen, stream_id, fields) for stream_id, fields in stream]
    return per_key


def merged_complete(per_key: dict[str, list[StreamEntry]], count: int) -> list[StreamEntry]:
    """The entries of one read_new_entries reply merged by seq, as far as the merge is certainly complete.

    Each key answered with up to `count`: a key that hit the count may hold more below another
    key's newest, so with several keys only entries up to the lowest such key's last one are kept.
    """
    entries = sorted((entry for stream in per_key.values() for entry in stream), key=lambda entry: entry.seq)
    full = [stream[-1].seq for stream in per_key.values() if len(stream) >= count]
    if len(per_key) > 1 and full:
        entries = [entry for entry in entries if entry.seq <= min(full)]
    return entries


async def _wait_across_slots(
    redis: AnyRedis, keys: list[str], after_seq: int, count: int, block_milliseconds: int,
) -> list[StreamEntry]:
    """wait_for_entries over several cluster slots, which one XREAD cannot cover: what is readable
    up to RELAYED_THROUGH now, else one blocking read of RELAYED_THROUGH (one slot) and a second look."""
    ceiling = await relayed_through(redis)
    entries = await entries_after(redis, keys, after_seq, count)
    if entries:
        return entries
    marked = await redis.xread({RELAYED_THROUGH: entry_id(ceiling)}, count=1, block=block_milliseconds)
    return await entries_after(redis, keys, after_seq, count) if marked else []
