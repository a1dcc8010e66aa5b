"""Headers of every response: what the server says about itself, and what caches may keep.

- **`Server: market`**, never aiohttp's default `Python/3.x aiohttp/3.x`: the framework and its
  version tell an attacker which published flaws to try. aiohttp answers some requests itself,
  before any application code (its parser's 400 for a malformed request line or header), and
  those take the library's default, so the default is what is replaced (`hide_server_software`).
- **`Cache-Control: no-store`** on every response to a request that carries credentials or to a
  route that needs them (including its 401 and 403): such a response is someone's own data, and
  no browser cache or shared proxy may keep it. Public catalogues and documents are left alone.
- **The browser's assets** (`/static/`): `immutable` for a year under a URL carrying the file's
  content hash (`?v=`), `no-cache` (revalidated by ETag) otherwise (market/browser/assets.py).
- **Compressed responses** (market/web/compression.py) say `Vary: Accept-Encoding`, and a
  compressed file's ETag is weak (`W/"…"`): its bytes are not the file's, and `If-None-Match` is
  compared weakly, so revalidation still answers 304.
"""
from __future__ import annotations

from aiohttp import web, web_response

from market.browser import assets
from market.web import compression
from market.web.endpoint import endpoint_of
from market.web.keys import PRINCIPAL

SERVER = "market"


def hide_server_software() -> None:
    # aiohttp sets `Server` from this module attribute when a response has none (web_response
    # StreamResponse._prepare_headers); there is no setting for it, and its own error responses
    # never pass through the application's signals.
    web_response.SERVER_SOFTWARE = SERVER  # type: ignore[attr-defined]


async def on_response_prepare(request: web.Request, response: web.StreamResponse) -> None:
    response.headers["Server"] = SERVER
    compression.weaken_etag(response)
    if request.method in ("GET", "HEAD") and (kept := assets.cache_control(request.path, request.query.get("v"))):
        response.headers["Cache-Control"] = kept
        response.headers["X-Content-Type-Options"] = "nosniff"
    meta = endpoint_of(request.match_info.handler)
    if (request.get(PRINCIPAL) is not None or "Authorization" in request.headers
            or (meta is not None and meta.roles is not None)):
        response.headers["Cache-Control"] = "no-store"


def setup(app: web.Application) -> None:
    hide_server_software()
    app.on_response_prepare.append(on_response_prepare)
