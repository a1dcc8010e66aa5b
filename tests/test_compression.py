"""Compressed responses (market/web/compression.py): gzip for the assets, the pages and the larger
JSON answers when the client accepts it, the same bytes once decoded; never for the event stream,
a small answer, a client that did not ask, or a type that is compressed already."""
import gzip
import json

import pytest

from market.web import compression
from tests import factories

GZIP = {"Accept-Encoding": "gzip"}
IDENTITY = {"Accept-Encoding": "identity"}


@pytest.mark.unit
def test_textual_types_are_compressible_and_streams_and_compressed_types_are_not():
    for kind in ("application/json", "application/problem+json", "text/html; charset=utf-8", "text/javascript",
                 "text/css", "image/svg+xml", "application/manifest+json"):
        assert compression.compressible(kind), kind
    for kind in ("text/event-stream", "text/event-stream; charset=utf-8", "application/pdf", "image/png",
                 "image/x-icon", "application/octet-stream", None, ""):
        assert not compression.compressible(kind), kind


async def raw(client, path: str, headers: dict):
    response = await client.get(path, headers=headers, auto_decompress=False)
    assert response.status == 200, await response.text()
    return response.headers, await response.read()


async def test_a_json_list_comes_back_gzipped_and_decodes_to_the_same_bytes(client):
    plain_headers, plain = await raw(client, "/v1/districts", IDENTITY)
    assert len(plain) >= compression.MIN_BYTES and "Content-Encoding" not in plain_headers
    assert plain_headers["Vary"] == "Accept-Encoding"
    headers, body = await raw(client, "/v1/districts", GZIP)
    assert headers["Content-Encoding"] == "gzip" and headers["Vary"] == "Accept-Encoding"
    assert int(headers["Content-Length"]) == len(body) < len(plain)
    assert gzip.decompress(body) == plain and json.loads(plain)


async def test_a_static_script_and_a_page_come_back_gzipped_and_still_revalidate(client):
    for path in ("/static/app/app.js", "/static/shared/api.js"):
        plain_headers, plain = await raw(client, path, IDENTITY)
        headers, body = await raw(client, path, GZIP)
        assert headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in headers["Vary"], path
        assert gzip.decompress(body) == plain and len(body) < len(plain), path
        assert "javascript" in headers["Content-Type"] and headers["Cache-Control"] == "no-cache"
        # the gzip bytes are not the file's: a weak ETag, which still revalidates to a 304 with no body
        # (and nothing after it on the connection: the next requests read clean responses)
        assert headers["ETag"] == "W/" + plain_headers["ETag"]
        again = await client.get(path, headers={**GZIP, "If-None-Match": headers["ETag"]}, auto_decompress=False)
        assert again.status == 304 and await again.read() == b""
        head = await client.head(path, headers=GZIP, auto_decompress=False)
        assert head.status == 200 and await head.read() == b""
        # a byte range is a range of the file, never of its compressed bytes
        ranged = await client.get(path, headers={**GZIP, "Range": "bytes=0-9"}, auto_decompress=False)
        assert ranged.status == 206 and "Content-Encoding" not in ranged.headers
        assert await ranged.read() == plain[:10]
    for page in ("/app", "/console", "/supervise"):
        plain_headers, plain = await raw(client, page, IDENTITY)
        headers, body = await raw(client, page, GZIP)
        assert headers["Content-Encoding"] == "gzip" and gzip.decompress(body) == plain, page


async def test_a_small_answer_a_compressed_type_and_a_client_that_did_not_ask_are_sent_as_they_are(client):
    headers, body = await raw(client, "/healthz", GZIP)
    assert "Content-Encoding" not in headers and len(body) < compression.MIN_BYTES
    headers, _ = await raw(client, "/favicon.ico", GZIP)
    assert "Content-Encoding" not in headers
    response = await client.get("/v1/districts", skip_auto_headers=["Accept-Encoding"], auto_decompress=False)
    assert response.status == 200 and "Content-Encoding" not in response.headers


async def test_the_event_stream_is_never_compressed(client):
    me = await factories.worker(client)
    response = await client.get("/v1/workers/me/events", headers={**me.auth, **GZIP}, auto_decompress=False)
    try:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/event-stream")
        assert "Content-Encoding" not in response.headers
        first = await response.content.readline()
        assert first.startswith(b"retry:")
    finally:
        response.close()
