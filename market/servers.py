"""Which PostgreSQL and Redis a command uses: the ones the settings name, or the embedded ones
under the data directory for whichever URL is unset (market/embedded.py); and the line `serve`
prints naming them.

Below every command line (market/cli.py, market/demo/cli.py, market/settlement/cli.py), so the
sub-commands take it from here rather than from the command line that imports them.
"""
from __future__ import annotations

import contextlib
from typing import Iterator
from urllib.parse import urlsplit, urlunsplit

from market import embedded
from market.config import Settings


@contextlib.contextmanager
def servers_and_embedded(settings: Settings) -> Iterator[tuple[Settings, embedded.EmbeddedServers | None]]:
    """`servers`, and the embedded servers in use (None: both URLs were given)."""
    if settings.database_url and settings.redis_url:
        yield settings, None
        return
    started = embedded.start(settings.data_dir)
    try:
        yield settings.model_copy(update={
            "database_url": settings.database_url or started.database_url,
            "redis_url": settings.redis_url or started.redis_url,
        }), started
    finally:
        started.stop()


def urls(settings: Settings) -> tuple[str, str]:
    """The PostgreSQL and Redis URLs of settings that `servers` filled."""
    if settings.database_url is None or settings.redis_url is None:
        raise ValueError("both server URLs are needed: take the settings `servers` yields")
    return settings.database_url, settings.redis_url


@contextlib.contextmanager
def servers(settings: Settings) -> Iterator[Settings]:
    """Settings with both URLs filled, using the embedded servers for whichever is unset."""
    with servers_and_embedded(settings) as (ready, _):
        yield ready


def _without_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{host}"))


def banner(settings: Settings, started: embedded.EmbeddedServers | None, workers: int) -> str:
    """The one plain line `serve` prints once it listens: where, and on which servers."""
    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    if started is not None and f"host={started.postgres_socket_dir}" in (settings.database_url or ""):
        postgres = f"embedded at {started.postgres_socket_dir}"
    else:
        postgres = _without_password(settings.database_url or "")
    if started is not None and settings.redis_url == started.redis_url:
        redis = f"embedded at {started.redis_url.removeprefix('unix://')}"
    else:
        redis = _without_password(settings.redis_url or "")
    processes = f"{workers} server processes; " if workers > 1 else ""
    return f"market listening on http://{host}:{settings.port} ({processes}PostgreSQL: {postgres}, Redis: {redis})"
