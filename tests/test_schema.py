import asyncio
import os
import signal
import socket
import sys
from pathlib import Path

import aiohttp
import asyncpg
import pytest

from market import db
from tests import factories

CATALOG_FINGERPRINT = """
SELECT md5(string_agg(item, '|' ORDER BY item)) FROM (
    SELECT 'col:' || table_name || '.' || column_name || ':' || data_type || ':' || coalesce(column_default, '')
        AS item FROM information_schema.columns WHERE table_schema = 'public'
    UNION ALL SELECT 'con:' || conrelid::regclass::text || '.' || conname || ':' || pg_get_constraintdef(oid)
        FROM pg_constraint WHERE connamespace = 'public'::regnamespace
    UNION ALL SELECT 'idx:' || indexname || ':' || indexdef FROM pg_indexes WHERE schemaname = 'public'
    UNION ALL SELECT 'trg:' || tgname FROM pg_trigger WHERE NOT tgisinternal
    UNION ALL SELECT 'fn:' || proname || ':' || md5(prosrc) FROM pg_proc WHERE pronamespace = 'public'::regnamespace
    UNION ALL SELECT 'ext:' || extname FROM pg_extension
) everything
"""
CATALOGUE_ROWS = "SELECT (SELECT count(*) FROM districts), (SELECT count(*) FROM minimum_wages), (SELECT count(*) FROM skills)"


async def test_applying_the_migrations_again_changes_nothing(conn):
    before = await conn.fetchval(CATALOG_FINGERPRINT)
    rows_before = await conn.fetchrow(CATALOGUE_ROWS)
    latest = db.migrations()[-1].version
    assert await conn.fetchval("SELECT max(version) FROM schema_version") == latest

    assert await db.upgrade(conn) == latest  # nothing pending, the catalogue as recorded: nothing to do
    async with conn.transaction():
        await conn.execute(db.migrations()[0].text)  # and the baseline is idempotent when forced
    await conn.execute("DELETE FROM schema_version")
    assert await db.upgrade(conn) == latest  # every migration again, over existing tables

    assert await conn.fetchval(CATALOG_FINGERPRINT) == before
    assert await conn.fetchrow(CATALOGUE_ROWS) == rows_before


async def test_upgrade_records_the_schema_version_once(conn):
    rows = await conn.fetch("SELECT version, name, catalogue_checksum FROM schema_version")
    assert [(r["version"], r["name"]) for r in rows] == [(db.migrations()[-1].version, db.migrations()[-1].name)]
    await db.upgrade(conn)
    assert await conn.fetch("SELECT version, name, catalogue_checksum FROM schema_version") == rows


async def test_concurrent_upgrades_apply_each_migration_once(database):
    connections = [await asyncpg.connect(database) for _ in range(4)]
    try:
        await connections[0].execute("DELETE FROM schema_version")
        versions = await asyncio.gather(*(db.upgrade(c) for c in connections))
        assert versions == [db.migrations()[-1].version] * 4
        assert [r["version"] for r in await connections[0].fetch("SELECT version FROM schema_version ORDER BY 1")] \
            == [m.version for m in db.migrations()]
    finally:
        for c in connections:
            await c.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def start_service(data_dir: Path, port: int) -> asyncio.subprocess.Process:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MARKET_")}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "market", "--data-dir", str(data_dir), "serve", "--port", str(port),
        env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
    async with aiohttp.ClientSession() as session:
        for _ in range(300):
            try:
                async with session.get(f"http://127.0.0.1:{port}/readyz") as response:
                    if response.status == 200:
                        return process
            except aiohttp.ClientConnectionError:
                pass
            if process.returncode is not None:
                raise AssertionError((await process.stderr.read()).decode()[-3000:])
            await asyncio.sleep(0.1)
    process.kill()
    raise AssertionError("the service did not become ready in 30 s")


async def stop_service(process: asyncio.subprocess.Process) -> None:
    process.send_signal(signal.SIGTERM)
    await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0


@pytest.mark.slow
@pytest.mark.own_servers
async def test_the_embedded_service_keeps_its_data_across_a_restart(tmp_path):
    data_dir = tmp_path / "data"
    port = free_port()
    process = await start_service(data_dir, port)
    try:
        async with aiohttp.ClientSession(f"http://127.0.0.1:{port}") as session:
            employer = await factories.employer(session, escrow_fen=0)  # no app at hand to confirm a deposit
    finally:
        await stop_service(process)
    # Stopped means stopped: no PostgreSQL left running on the data directory.
    assert not (data_dir / "postgres" / "postmaster.pid").exists()

    process = await start_service(data_dir, port)
    try:
        async with aiohttp.ClientSession(f"http://127.0.0.1:{port}") as session:
            token = await factories.sign_in(session, employer.login, "correct horse battery")
            async with session.get("/v1/employers/me", headers={"Authorization": f"Bearer {token}"}) as response:
                assert response.status == 200
                assert (await response.json())["id"] == employer.id
    finally:
        await stop_service(process)
