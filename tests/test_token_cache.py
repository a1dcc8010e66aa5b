"""The auth middleware's token cache (accounts/service.py, TokenCache): repeats are answered from
memory for at most MARKET_TOKEN_CACHE_TTL, sign-out in this process is exact, expiry is exact."""
from datetime import datetime, timedelta, timezone

import pytest

from market.accounts.service import TokenCache, token_hash
from market.app import create_app
from market.accounts.keys import ACCOUNTS
from tests import factories


async def _me(client, party) -> int:
    return (await client.get("/v1/me", headers=party.auth)).status


async def test_a_token_revoked_behind_the_process_back_is_honoured_within_the_ttl_and_sign_out_at_once(client, conn):
    worker = await factories.worker(client)
    assert await _me(client, worker) == 200  # looked up once: now cached
    # Revoked in PostgreSQL by another process: this one may answer from memory for up to the TTL…
    await conn.execute("UPDATE tokens SET revoked_at = now() WHERE token_hash = $1", token_hash(worker.token))
    assert await _me(client, worker) == 200
    # …while an uncached lookup (what every caller but the middleware does) sees the revocation.
    with pytest.raises(Exception, match="unknown, expired or revoked"):
        await client.app[ACCOUNTS].authenticate(f"Bearer {worker.token}")

    other = await factories.worker(client)
    assert await _me(client, other) == 200
    signed_out = await client.delete("/v1/auth/tokens/current", headers=other.auth)
    assert signed_out.status == 204
    assert await _me(client, other) == 401  # sign-out here evicts at once


async def test_with_no_ttl_every_request_asks_postgresql(settings, aiohttp_client, conn):
    client = await aiohttp_client(create_app(settings.model_copy(update={"token_cache_ttl": timedelta(0)})))
    worker = await factories.worker(client)
    assert await _me(client, worker) == 200
    await conn.execute("UPDATE tokens SET revoked_at = now() WHERE token_hash = $1", token_hash(worker.token))
    assert await _me(client, worker) == 401


def test_an_entry_never_outlives_its_token_nor_the_ttl_and_a_sign_out_during_a_lookup_is_not_cached():
    cache = TokenCache(timedelta(seconds=60), max_entries=2)
    now = datetime.now(timezone.utc)
    cache.put(b"expired", "p", now - timedelta(seconds=1), cache.evictions)
    assert cache.get(b"expired") is None
    cache.put(b"live", "p", now + timedelta(hours=1), cache.evictions)
    assert cache.get(b"live") == "p"
    before = cache.evictions
    cache.evict(b"someone else")  # a sign-out while a lookup was under way
    cache.put(b"racing", "p", now + timedelta(hours=1), before)
    assert cache.get(b"racing") is None
    cache.put(b"second", "p", now + timedelta(hours=1), cache.evictions)
    cache.put(b"third", "p", now + timedelta(hours=1), cache.evictions)  # over max_entries: oldest goes
    assert cache.get(b"live") is None and cache.get(b"third") == "p"
    short = TokenCache(timedelta(0))
    short.put(b"any", "p", now + timedelta(hours=1), short.evictions)
    assert short.get(b"any") is None
