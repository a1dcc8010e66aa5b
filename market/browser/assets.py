"""The browser's assets with content hashes (docs/browser.md): what lets a browser keep a page's
script and style for a year and still never run a stale one.

- Every file under static/ has a **version**, the first 16 hex digits of the SHA-256 of its bytes,
  read once per process (the files ship in the package and do not change while it runs; after an
  edit in a development checkout, restart).
- A page's HTML is served with each `src="/static/…"` and `href="/static/…"` given its version as
  `?v=<hash>` (`page()`): the URL changes exactly when the file does.
- `cache_control()` says what a cache may keep: a `/static/` URL whose `v` is the file's current
  version is `immutable` for a year; any other (no `v`, or a stale one) is `no-cache`, revalidated
  with its ETag, so a module imported by a relative URL (`import … from "../shared/api.js"`, which
  carries no version) is fetched again only when it changed (a 304 otherwise).
  Hashing query strings, not file names, keeps the files as they are on disk, served by aiohttp's
  static route as before; no build step.

Pure: reads package files, imports no web library (the web plumbing applies it: market/web/ops.py,
market/web/headers.py).
"""
from __future__ import annotations

import functools
import hashlib
import re
from importlib import resources
from importlib.resources.abc import Traversable

STATIC_PREFIX = "/static/"
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
_REFERENCE = re.compile(r'(\s(?:src|href)=")/static/([^"?#]+)(")')


def _static() -> Traversable:
    return resources.files("market.browser").joinpath("static")


@functools.cache
def version(path: str) -> str | None:
    """The version of static/<path>, or None when there is no such file (or it is outside static/)."""
    if not path or ".." in path.split("/") or path.startswith("/"):
        return None
    node = _static().joinpath(*path.split("/"))
    if not node.is_file():
        return None
    return hashlib.sha256(node.read_bytes()).hexdigest()[:16]


def url(path: str) -> str:
    """`/static/<path>?v=<version>` (without `v` for a file that does not exist: it 404s anyway)."""
    found = version(path)
    return f"{STATIC_PREFIX}{path}" + (f"?v={found}" if found else "")


@functools.cache
def page(path: str) -> str:
    """The HTML of static/<path> with every /static/ reference versioned."""
    html = _static().joinpath(*path.split("/")).read_text(encoding="utf-8")
    return _REFERENCE.sub(lambda m: m.group(1) + url(m.group(2)) + m.group(3), html)


def cache_control(request_path: str, requested_version: str | None) -> str | None:
    """What a cache may keep of a GET of `request_path` (None: not a static asset, not ours to say)."""
    if not request_path.startswith(STATIC_PREFIX):
        return None
    current = version(request_path.removeprefix(STATIC_PREFIX))
    if current is not None and requested_version == current:
        return IMMUTABLE
    return REVALIDATE
