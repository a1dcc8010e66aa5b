"""Events as the rest of the code sees them, their stream keys, and the SSE wire format. Pure, no I/O."""
from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

# `<subject>.<verb>`, lower case: `order.posted`, `shift.opened`, `bid.withdrawn`. schema.sql checks
# the same pattern; checking it here too turns a typo into a clear error at the call, not a
# CheckViolation at commit.
KIND_PATTERN = re.compile(r"^[a-z_]+\.[a-z_]+$")

# The SSE event a client receives when its Last-Event-ID lies before the oldest entry the stream
# still holds: what it missed is gone from the stream, so it reloads its feed from the API.
RESET_KIND = "reset"


@dataclass(frozen=True)
class Event:
    """One row of the outbox. `seq` is None until the relay sequences it."""

    id: int
    kind: str
    payload_json: str
    district_code: str | None = None
    worker_ids: tuple[uuid.UUID, ...] = ()
    organisation_ids: tuple[uuid.UUID, ...] = ()
    seq: int | None = None
    created_at: datetime | None = None

    @property
    def payload(self) -> dict:
        return json.loads(self.payload_json)

    @property
    def stream_keys(self) -> list[str]:
        """Every stream this event is copied to, each once."""
        keys = [worker_stream(worker_id) for worker_id in dict.fromkeys(self.worker_ids)]
        keys += [organisation_stream(org_id) for org_id in dict.fromkeys(self.organisation_ids)]
        if self.district_code is not None:
            keys.append(district_stream(self.district_code))
        return keys


@dataclass(frozen=True)
class StreamEntry:
    """One entry read back from a stream: what an SSE client receives."""

    seq: int
    kind: str
    data: str  # the payload as JSON text, exactly as emitted
    extra: dict[str, str] = field(default_factory=dict)

    # Encoded once per entry, however many streams send it (one read hands the same entry to every
    # stream of the event: streams.read_new_entries).
    @cached_property
    def sse(self) -> bytes:
        """The entry as one SSE event."""
        return sse_event(self.seq, self.kind, self.data)

    @cached_property
    def sse_chunk(self) -> bytes:
        """The SSE event framed as one HTTP/1.1 chunk (Transfer-Encoding: chunked)."""
        return http_chunk(self.sse)


def validate_kind(kind: str) -> str:
    if not KIND_PATTERN.match(kind):
        raise ValueError(f"event kind must look like 'order.posted' (lower-case subject.verb), got {kind!r}")
    return kind


# Stream keys. The braces are Redis Cluster hash tags: everything about one party hashes to one
# slot, so a later per-party key (a cursor, a counter) can sit beside its stream in one
# transaction, and parties spread evenly over the cluster.
def worker_stream(worker_id: uuid.UUID | str) -> str:
    return f"market:{{w:{worker_id}}}:events"


def organisation_stream(organisation_id: uuid.UUID | str) -> str:
    return f"market:{{o:{organisation_id}}}:events"


def district_stream(district_code: str) -> str:
    return f"market:{{d:{district_code}}}:events"


def entry_id(seq: int) -> str:
    """The stream entry id of an event: its seq, so every copy of an event has the same id."""
    return f"{seq}-0"


def seq_of(stream_id: bytes | str) -> int:
    text = stream_id.decode() if isinstance(stream_id, bytes) else stream_id
    milliseconds, _, _ = text.partition("-")
    return int(milliseconds)


# Server-Sent Events (https://html.spec.whatwg.org/multipage/server-sent-events.html).
def sse_event(seq: int | None, kind: str, data: str) -> bytes:
    # The data is compact JSON, which never holds a raw newline, so one `data:` line carries it.
    lines = [] if seq is None else [f"id: {seq}"]
    lines += [f"event: {kind}", f"data: {data}"]
    return ("\n".join(lines) + "\n\n").encode()


def http_chunk(body: bytes) -> bytes:
    """`body` as one chunk of an HTTP/1.1 chunked body (RFC 9112 §7.1)."""
    return b"%x\r\n%b\r\n" % (len(body), body)


def sse_retry(milliseconds: int) -> bytes:
    return f"retry: {milliseconds}\n\n".encode()


def sse_comment(text: str) -> bytes:
    return f": {text}\n\n".encode()
