"""Real PostgreSQL and Redis for the tests that need them (the integration tier).

By default an embedded PostgreSQL and an embedded Redis are started once per session in a
temporary directory; MARKET_TEST_DATABASE_URL / MARKET_TEST_REDIS_URL name ordinary servers
instead (the database URL is an admin connection: tests create their databases on that server).
Each test that asks for a database gets a fresh one cloned from a template that holds the applied
schema, and a flushed Redis, so tests are isolated and can run in any order.

Loaded by tests/conftest.py as a plugin. Nothing here imports asyncpg, redis, the embedded servers
or the app at module level: they are imported by the fixtures that use them, so a unit test (one
whose fixtures need none of these, see tests/tiers.py) runs without the stack being touched.
"""
from __future__ import annotations

import asyncio
import json
import os
import tempfile
import uuid
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

import pytest

if TYPE_CHECKING:
    from market.config import Settings

TEMPLATE = f"market_template_{os.getpid()}"


def database_url(server_url: str, name: str) -> str:
    parts = urlsplit(server_url)
    return urlunsplit(parts._replace(path="/" + name))


@pytest.fixture(scope="session")
def pg_server_url():
    external = os.environ.get("MARKET_TEST_DATABASE_URL")
    if external:
        yield external
        return
    from market import embedded

    directory = Path(tempfile.mkdtemp(prefix="market-test-pg-"))
    server, uri = embedded.start_postgres(directory / "pg")
    yield uri
    server.cleanup()
    embedded.remove(directory)


@pytest.fixture(scope="session")
def redis_url():
    external = os.environ.get("MARKET_TEST_REDIS_URL")
    if external:
        yield external
        return
    from market import embedded

    directory = Path(tempfile.mkdtemp(prefix="market-test-redis-"))
    server, url = embedded.start_redis(directory)
    yield url
    server.shutdown()
    embedded.remove(directory)


async def _admin_execute(server_url: str, *statements: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(server_url)
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def template_database(pg_server_url):
    """A database holding the applied schema, cloned by each test (CREATE DATABASE ... TEMPLATE)."""
    from market import db

    async def build():
        await _admin_execute(pg_server_url, f'DROP DATABASE IF EXISTS "{TEMPLATE}"', f'CREATE DATABASE "{TEMPLATE}"')
        await db.upgrade_url(database_url(pg_server_url, TEMPLATE))

    asyncio.run(build())
    yield TEMPLATE
    asyncio.run(_admin_execute(pg_server_url, f'DROP DATABASE IF EXISTS "{TEMPLATE}" WITH (FORCE)'))


@pytest.fixture
def checks_event_payloads() -> bool:
    """Whether the events a test's flows emitted are held, at teardown, to the registry the API
    documents (market/events/payloads.py): every kind known, every payload its schema, every
    stream one the kind is documented on. The pipeline's own tests (tests/events, tests/faults,
    tests/cluster) emit made-up events and override this with False."""
    return True


async def _undocumented_events(url: str) -> list[str]:
    import asyncpg

    from market.events import payloads

    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch("SELECT id, kind, payload::text AS payload, district_code IS NOT NULL AS d, "
                                "cardinality(worker_ids) > 0 AS w, cardinality(organisation_ids) > 0 AS o "
                                "FROM events ORDER BY id")
    finally:
        await conn.close()
    problems = []
    for row in rows:
        streams = {name for name, reached in (("district", row["d"]), ("worker", row["w"]),
                                              ("organisation", row["o"])) if reached}
        problems += [f"event {row['id']}: {problem}"
                     for problem in payloads.payload_problems(row["kind"], json.loads(row["payload"]), streams=streams)]
    return problems


@pytest.fixture
async def database(pg_server_url, template_database, checks_event_payloads):
    """The URL of a fresh database with the schema applied, dropped after the test (after its
    outbox is checked against the documented event types, unless checks_event_payloads says no)."""
    name = f"market_test_{uuid.uuid4().hex[:12]}"
    await _admin_execute(pg_server_url, f'CREATE DATABASE "{name}" TEMPLATE "{template_database}"')
    url = database_url(pg_server_url, name)
    yield url
    problems = await _undocumented_events(url) if checks_event_payloads else []
    await _admin_execute(pg_server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    assert not problems, "events emitted that market/events/payloads.py does not document:\n" + "\n".join(problems[:20])


@pytest.fixture
async def redis_client(redis_url):
    import redis.asyncio as aioredis

    client = aioredis.from_url(redis_url)
    await client.flushdb()
    yield client
    await client.aclose()


# Tests that are not about rate limits run under limits no test reaches (the limiter still runs,
# on the real Redis). Set in the environment, so apps a test builds from its own Settings get them
# too; tests/test_rate_limits.py passes its own values, which win over the environment.
GENEROUS_RATE_LIMITS = {
    f"MARKET_RATE_LIMIT_{rule}": "1000000/second"
    for rule in ("SIGN_IN_PER_LOGIN", "SIGN_IN_PER_IP", "REGISTRATION_PER_IP", "WRITES_PER_ACCOUNT", "WRITES_PER_IP")
}


@pytest.fixture(autouse=True)
def generous_rate_limits(monkeypatch):
    for name, value in GENEROUS_RATE_LIMITS.items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def settings(database, redis_url, redis_client, tmp_path) -> Settings:
    from market.config import Settings

    # No allocator loop inside test apps: tests that allocate drive allocators themselves (and the
    # agreement renderer: tests render by opening agreements, or call render_pending). The check-in
    # gate of written agreements is on in tests/contracts only (tests/contracts/conftest.py): the
    # other suites seat and check in workers without signing.
    return Settings(database_url=database, redis_url=redis_url, data_dir=tmp_path, hash_key="test-hash-key",
                    log_json=False, allocator_in_serve=False, allocator_solve_in="thread",
                    agreements_render_in_serve=False, agreements_render_in="thread",
                    check_in_needs_signed_agreement=False,
                    payouts_in_serve=False)  # tests run payout slots themselves (docs/faster-pay.md)


@pytest.fixture
async def conn(database):
    import asyncpg

    connection = await asyncpg.connect(database)
    yield connection
    await connection.close()


@pytest.fixture
async def client(settings, aiohttp_client):
    from market.app import create_app

    # settings (and so the database) first: fixtures are torn down in reverse, the app before its database
    return await aiohttp_client(create_app(settings))


class DatabaseFactory:
    """Fresh databases cloned from the session's template, for tests that need more than one (one per
    hypothesis example). Each method is a coroutine: call it from the loop the test owns."""

    def __init__(self, server_url: str, template: str) -> None:
        self.server_url = server_url
        self.template = template

    async def create(self) -> str:
        name = f"market_test_{uuid.uuid4().hex[:12]}"
        await _admin_execute(self.server_url, f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
        return database_url(self.server_url, name)

    async def drop(self, url: str) -> None:
        name = urlsplit(url).path.lstrip("/")
        await _admin_execute(self.server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def database_factory(pg_server_url, template_database) -> DatabaseFactory:
    return DatabaseFactory(pg_server_url, template_database)
