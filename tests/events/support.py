"""Helpers for event tests: committed emits, bounded waits, and an SSE reader."""
from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass
from typing import Any, Awaitable, Callable

import asyncpg
from aiohttp import ClientResponse

from market.events.model import Event
from market.events.outbox import emit


# A kind of the tests' own, so the resolver below never competes with the real ones app.py registers.
DISTRICT_NOTICE = "district_notice.posted"


async def workers_in_the_district(conn, event: Event) -> list[uuid.UUID]:
    """Like the orders package's "which workers does this shift fit", simpler: the district's workers."""
    return [row["id"] for row in await conn.fetch("SELECT id FROM workers WHERE district_code = $1",
                                                  event.district_code)]


async def emit_committed(pool: asyncpg.Pool, kind: str, payload: dict[str, Any] | None = None, **audience) -> int:
    """One event in its own committed transaction, as a service would write it; its outbox id."""
    async with pool.acquire() as conn, conn.transaction():
        return await emit(conn, kind, payload or {}, **audience)


async def wait_until(condition: Callable[[], Awaitable[bool]], timeout: float = 5.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not await condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.01)


async def all_relayed(pool: asyncpg.Pool, timeout: float = 5.0) -> None:
    async def nothing_left() -> bool:
        return await pool.fetchval("SELECT count(*) FROM events WHERE relayed_at IS NULL") == 0

    await wait_until(nothing_left, timeout, "every event to be relayed")


async def stream_ids(redis, key: str) -> list[str]:
    return [stream_id.decode() for stream_id, _ in await redis.xrange(key)]


async def seq_of_event(pool: asyncpg.Pool, event_id: int) -> int:
    return await pool.fetchval("SELECT seq FROM events WHERE id = $1", event_id)


@dataclass
class Frame:
    """One block of a text/event-stream (fields up to a blank line)."""

    id: str | None = None
    event: str | None = None
    data: str | None = None
    retry: int | None = None
    comments: tuple[str, ...] = ()


class EventStreamReader:
    """Reads an SSE response frame by frame, each read bounded by a timeout."""

    def __init__(self, response: ClientResponse) -> None:
        self.response = response

    async def next_frame(self, timeout: float = 5.0) -> Frame | None:
        """The next frame, or None when the server ended the stream."""
        frame, fields = Frame(), False
        comments: list[str] = []
        while True:
            line = await asyncio.wait_for(self.response.content.readline(), timeout)
            if not line:
                return None
            text = line.decode().rstrip("\n")
            if text == "":
                if fields or comments:
                    frame.comments = tuple(comments)
                    return frame
                continue
            if text.startswith(":"):
                comments.append(text[1:].strip())
                continue
            name, _, value = text.partition(":")
            value = value[1:] if value.startswith(" ") else value
            fields = True
            if name == "retry":
                frame.retry = int(value)
            elif name == "data":
                frame.data = value if frame.data is None else frame.data + "\n" + value
            elif name in ("id", "event"):
                setattr(frame, name, value)

    async def next_event(self, timeout: float = 5.0) -> Frame:
        """The next frame that is an event (skipping `retry:` and comment frames)."""
        while True:
            frame = await self.next_frame(timeout)
            if frame is None:
                raise AssertionError("the server ended the stream while an event was expected")
            if frame.event is not None or frame.data is not None:
                return frame

    async def end(self, timeout: float = 5.0) -> list[Frame]:
        """Frames until the server ends the stream."""
        frames = []
        while (frame := await self.next_frame(timeout)) is not None:
            frames.append(frame)
        return frames
