"""Compressed responses (gzip) for clients that accept them: the browser's assets, the pages and
the larger JSON answers.

Decisions and their reasons:
- **A middleware asks for compression; aiohttp does it** (`StreamResponse.enable_compression()`,
  which picks gzip or deflate from the request's `Accept-Encoding`). It must be asked before the
  response is prepared: aiohttp settles `Content-Encoding` while it prepares the headers, before
  the `on_response_prepare` signal runs, so a signal is too late for it.
- **gzip only.** Brotli would save a little more, but no brotli library is installed and one is
  not added for this: gzip already takes the worker app's cold load under its budget
  (docs/benchmarks.md).
- **What is compressed:** a `/static/` file of a textual type (scripts, styles, HTML, JSON, SVG)
  compressed as it is sent (no `.gz` siblings, so no build step and nothing to keep in step with
  the sources), and any other response whose body is at least `MIN_BYTES` of a textual type.
  Below 1 KB gzip saves a few hundred bytes at best and costs a compressor per request.
- **What never is:** a response already prepared by its handler (a stream: the event stream's
  `text/event-stream` must reach the client event by event, not held in a compressor's buffer),
  types that are compressed already (PDF, PNG, the icon), a byte range (a range of the
  compressed bytes is not what was asked for), and a body given as a stream (its size is unknown).
- **A file asked for conditionally (`If-None-Match`, `If-Modified-Since`), or by HEAD, is sent as
  it is.** aiohttp's file response decides on its 304 only while it is prepared, after the choice
  to compress, and a compressor started on a response that must have no body still writes the
  gzip trailer into the connection (the next response on it is then garbage). A revalidation is
  almost always a 304 (no body to compress); the rare 200 after a file changed costs its full
  size once, and the next cold load is compressed again.
- **Caches see the variants** (market/web/headers.py): every response that could have been
  compressed says `Vary: Accept-Encoding`, whether or not this one was, so a shared cache never
  hands gzip to a client that cannot read it; and a compressed file's ETag is made weak (`W/`),
  since the gzip bytes are not the file's bytes. Revalidation still answers 304: `If-None-Match`
  is compared weakly (RFC 9110 13.1.2), as aiohttp's file response does.
"""
from __future__ import annotations

import mimetypes

from aiohttp import hdrs, web

from market.browser import assets

MIN_BYTES = 1024
_TEXTUAL = ("text/", "application/json", "application/problem+json", "application/javascript",
            "application/manifest+json", "application/xml", "image/svg+xml")
_NEVER = ("text/event-stream",)
_CONDITIONAL = {hdrs.IF_NONE_MATCH, hdrs.IF_MODIFIED_SINCE, hdrs.IF_MATCH, hdrs.IF_UNMODIFIED_SINCE}


def compressible(content_type: str | None) -> bool:
    """Whether a response of this media type is worth compressing (textual, and not a stream)."""
    if not content_type:
        return False
    kind = content_type.split(";", 1)[0].strip().lower()
    return kind not in _NEVER and any(kind.startswith(prefix) for prefix in _TEXTUAL)


def _variants(request: web.Request, response: web.StreamResponse) -> tuple[bool, bool]:
    """(whether the response has a gzip variant, whether this one is to be it)."""
    if response.prepared or hdrs.CONTENT_ENCODING in response.headers:
        return False, False
    if isinstance(response, web.FileResponse):
        # Its Content-Type is guessed only when it is prepared; guess it the same way here.
        if not (request.path.startswith(assets.STATIC_PREFIX)
                and compressible(mimetypes.guess_type(request.path)[0])):
            return False, False
        plain = (request.method != "GET" or hdrs.RANGE in request.headers
                 or any(header in request.headers for header in _CONDITIONAL))
        return True, not plain
    if not isinstance(response, web.Response) or not compressible(response.content_type):
        return False, False
    body = response.body
    sized = isinstance(body, bytes | bytearray) and len(body) >= MIN_BYTES
    return sized, sized


@web.middleware
async def compression_middleware(request: web.Request, handler) -> web.StreamResponse:
    response = await handler(request)
    varies, compress = _variants(request, response)
    if varies:
        _vary_on_encoding(response)
    if compress:
        response.enable_compression()
    return response


def _vary_on_encoding(response: web.StreamResponse) -> None:
    vary = response.headers.get(hdrs.VARY, "")
    if "accept-encoding" not in vary.lower():
        response.headers[hdrs.VARY] = f"{vary}, Accept-Encoding" if vary else "Accept-Encoding"


def weaken_etag(response: web.StreamResponse) -> None:
    """A compressed response's ETag as a weak one (called once its headers are final)."""
    etag = response.headers.get(hdrs.ETAG)
    if etag and not etag.startswith("W/") and response.headers.get(hdrs.CONTENT_ENCODING):
        response.headers[hdrs.ETAG] = f"W/{etag}"
