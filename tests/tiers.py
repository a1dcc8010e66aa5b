"""The two test tiers, told apart by what a test's fixtures need.

- `integration`: the test needs a server. Its fixture closure holds a PostgreSQL, Redis, Redis
  Cluster or aiohttp server fixture (`pg_server_url`, `redis_url`, `redis_cluster_url`,
  `aiohttp_client`, ... and so everything built on them: `database`, `conn`, `settings`,
  `client`, ...), or it is marked `own_servers` (it starts private servers itself), or it is
  marked `integration` by hand.
- `unit`: every other test. It is pure: no PostgreSQL, no Redis, no app being served.

Each collected test gets one of the two markers, so `pytest -m unit` runs the unit tier alone (in
seconds, with no server anywhere) and `pytest -m integration` the rest; a new test file is tiered
by its fixtures, without anyone listing it. A unit test is held to it: while it is set up and runs,
a connection to a PostgreSQL or Redis port or socket, or starting a PostgreSQL or Redis server
(embedded or not), fails it, naming what it tried.

Loaded by tests/conftest.py as a plugin.
"""
from __future__ import annotations

import contextlib
import os
import socket
import subprocess
from collections.abc import Iterator
from pathlib import PurePath
from typing import Any
from urllib.parse import urlsplit

import pytest

# The fixtures that reach a server; any fixture that depends on one is in a test's closure too.
SERVER_FIXTURES = frozenset({
    "pg_server_url", "redis_url", "redis_cluster_url",
    "aiohttp_client", "aiohttp_server", "aiohttp_raw_server",
})
# Markers that say a test starts or reaches servers without asking for a fixture.
SERVER_MARKERS = ("own_servers", "integration")

POSTGRES_PORT, REDIS_PORT = 5432, 6379
SERVER_PROGRAMS = frozenset({"postgres", "pg_ctl", "initdb", "redis-server"})


class ServerInUnitTest(AssertionError):
    """A unit test reached for a server: it belongs to the integration tier (or should not)."""


def is_integration(item: pytest.Item) -> bool:
    if any(item.get_closest_marker(name) for name in SERVER_MARKERS):
        return True
    return not SERVER_FIXTURES.isdisjoint(getattr(item, "fixturenames", ()))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        item.add_marker(pytest.mark.integration if is_integration(item) else pytest.mark.unit)


def _server_ports() -> set[int]:
    ports = {POSTGRES_PORT, REDIS_PORT}
    for variable in ("MARKET_TEST_DATABASE_URL", "MARKET_TEST_REDIS_URL"):
        with contextlib.suppress(ValueError):
            if port := urlsplit(os.environ.get(variable, "")).port:
                ports.add(port)
    return ports


def _refused_address(family: int, address: Any, ports: set[int]) -> str | None:
    if family in (socket.AF_INET, socket.AF_INET6) and isinstance(address, tuple) and len(address) >= 2:
        return f"{address[0]}:{address[1]}" if address[1] in ports else None
    if family == getattr(socket, "AF_UNIX", None) and isinstance(address, (str, bytes)):
        path = os.fsdecode(address)
        name = PurePath(path).name
        # PostgreSQL's socket is .s.PGSQL.<port>; the embedded Redis listens on redis.sock (market/embedded.py).
        if name.startswith(".s.PGSQL.") or "redis" in name:
            return path
    return None


@contextlib.contextmanager
def no_servers(nodeid: str) -> Iterator[None]:
    """While inside: a socket connection to a PostgreSQL or Redis server, or starting one, raises."""
    ports = _server_ports()
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex
    real_popen_init = subprocess.Popen.__init__

    def refuse(what: str) -> None:
        raise ServerInUnitTest(f"{nodeid} is a unit test (no server fixture) but {what}: "
                               "ask for a server fixture (it then is an integration test) or do without")

    def guarded(real):
        def connect(self: socket.socket, address: Any, *args: Any) -> Any:
            if target := _refused_address(self.family, address, ports):
                self.close()  # the caller's cleanup expects an OSError, not this
                refuse(f"connects to {target}")
            return real(self, address, *args)
        return connect

    def guarded_popen_init(self: subprocess.Popen, args: Any, *rest: Any, **options: Any) -> None:
        argv = [args] if isinstance(args, (str, bytes, os.PathLike)) else list(args)
        program = PurePath(os.fsdecode(argv[0])).name if argv else ""
        if options.get("shell"):
            program = PurePath(os.fsdecode(argv[0]).split()[0]).name if argv and argv[0] else ""
        if program in SERVER_PROGRAMS:
            refuse(f"starts {program}")
        real_popen_init(self, args, *rest, **options)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket.socket, "connect", guarded(real_connect))
        patch.setattr(socket.socket, "connect_ex", guarded(real_connect_ex))
        patch.setattr(subprocess.Popen, "__init__", guarded_popen_init)
        yield


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Iterator[None]:
    if item.get_closest_marker("unit") is None:
        return (yield)
    with no_servers(item.nodeid):
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    if item.get_closest_marker("unit") is None:
        return (yield)
    with no_servers(item.nodeid):
        return (yield)
