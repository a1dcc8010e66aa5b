"""Limits on the size and pace of a request (docs/limits.md).

aiohttp's own parser holds the request line, each header and the number of headers (the constants
below, passed to it through the application's handler_args); past them it answers 400 itself,
before any middleware runs. The application holds the rest, as problem+json:

- a query string longer than `max_query_bytes` is a 414;
- a body larger than `max_body_bytes` is a 413 (at once when Content-Length says so; otherwise
  when the body read passes the limit: aiohttp's client_max_size);
- a body not received within `body_read_timeout` is a 408 and the connection is closed. aiohttp
  has no server-side read timeout, so a client trickling a body a byte at a time would otherwise
  hold a connection and a task for as long as it liked. The body is read here, once, under that
  timeout; handlers then get it from aiohttp's cache.

Slow headers are not covered: the handler runs only once the headers are in. In production a
reverse proxy in front holds those (nginx's client_header_timeout).
"""
from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from market.config import Settings
from market.errors import PayloadTooLarge, RequestTimeout, UriTooLong
from market.web.keys import SETTINGS
from market.web.problems import from_market_error

# aiohttp's defaults, stated so an upgrade cannot change them unnoticed.
MAX_REQUEST_LINE_BYTES = 8190
MAX_HEADER_FIELD_BYTES = 8190
MAX_HEADERS = 128
# After a response sent before the whole body arrived (413, 408), aiohttp keeps reading and
# discarding the rest for this long so the client can see the response, then closes.
LINGERING_SECONDS = 5.0


def server_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for aiohttp's request handler (web.Application(handler_args=...))."""
    return {
        "keepalive_timeout": settings.keepalive_timeout.total_seconds(),
        "max_line_size": MAX_REQUEST_LINE_BYTES,
        "max_field_size": MAX_HEADER_FIELD_BYTES,
        "max_headers": MAX_HEADERS,
        "lingering_time": LINGERING_SECONDS,
    }


@web.middleware
async def request_limits_middleware(request: web.Request, handler) -> web.StreamResponse:
    settings = request.app[SETTINGS]
    if len(request.rel_url.raw_query_string) > settings.max_query_bytes:
        raise UriTooLong(f"the query string may be at most {settings.max_query_bytes} bytes")
    if request.body_exists and request.content_type == "multipart/form-data":
        # An upload is not read here: market/uploads.py streams it under its own size limit and
        # the same timeout, so a file never sits whole in memory before it is judged.
        if request.content_length is not None and request.content_length > settings.max_body_bytes + settings.upload_max_bytes:
            raise PayloadTooLarge(f"the request body may be at most {settings.max_body_bytes + settings.upload_max_bytes} bytes")
    elif request.body_exists:
        if request.content_length is not None and request.content_length > request.client_max_size:
            raise PayloadTooLarge(f"the request body may be at most {request.client_max_size} bytes")
        try:
            async with asyncio.timeout(settings.body_read_timeout.total_seconds()):
                await request.read()
        except TimeoutError:
            response = from_market_error(RequestTimeout(
                f"the request body must arrive within {settings.body_read_timeout.total_seconds():g} seconds"))
            response.force_close()
            # Answer and hang up at once: aiohttp would otherwise go on reading the trickle for
            # lingering_time before closing.
            await response.prepare(request)
            await response.write_eof()
            if request.transport is not None:
                request.transport.close()
            return response
    return await handler(request)
