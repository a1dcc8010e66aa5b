"""SQL of the HTTP conventions (idempotency keys) and of the readiness probe."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import asyncpg

CLAIM_KEY = """
INSERT INTO idempotency_keys (caller, key, request_hash, locked_at, expires_at)
VALUES ($1, $2, $3, now(), now() + $4::interval)
ON CONFLICT (caller, key) DO NOTHING
RETURNING 1
"""
READ_KEY = """
SELECT request_hash, locked_at, response_status, response_body, response_type,
       expires_at <= now() AS expired, locked_at < now() - $3::interval AS stale
FROM idempotency_keys WHERE caller = $1 AND key = $2
"""
DROP_EXPIRED_KEY = "DELETE FROM idempotency_keys WHERE caller = $1 AND key = $2 AND expires_at <= now()"
TAKE_OVER_STALE_KEY = """
UPDATE idempotency_keys SET locked_at = now()
WHERE caller = $1 AND key = $2 AND response_status IS NULL AND locked_at < now() - $3::interval
RETURNING 1
"""
FINISH_KEY = """
UPDATE idempotency_keys SET locked_at = NULL, response_status = $3, response_body = $4, response_type = $5
WHERE caller = $1 AND key = $2
"""
RELEASE_KEY = "DELETE FROM idempotency_keys WHERE caller = $1 AND key = $2 AND response_status IS NULL"
PURGE_EXPIRED_KEYS = "DELETE FROM idempotency_keys WHERE expires_at <= now()"
PING = "SELECT 1"


@dataclass(frozen=True)
class StoredKey:
    request_hash: bytes
    response_status: int | None
    response_body: bytes | None
    response_type: str | None
    expired: bool
    stale: bool


async def claim_key(conn: asyncpg.Connection, caller: str, key: str, request_hash: bytes, ttl: timedelta) -> bool:
    return await conn.fetchval(CLAIM_KEY, caller, key, request_hash, ttl) is not None


async def read_key(conn: asyncpg.Connection, caller: str, key: str, lock_timeout: timedelta) -> StoredKey | None:
    row = await conn.fetchrow(READ_KEY, caller, key, lock_timeout)
    if row is None:
        return None
    return StoredKey(bytes(row["request_hash"]), row["response_status"],
                     bytes(row["response_body"]) if row["response_body"] is not None else None,
                     row["response_type"], row["expired"], bool(row["stale"]))


async def drop_expired_key(conn: asyncpg.Connection, caller: str, key: str) -> None:
    await conn.execute(DROP_EXPIRED_KEY, caller, key)


async def take_over_stale_key(conn: asyncpg.Connection, caller: str, key: str, lock_timeout: timedelta) -> bool:
    return await conn.fetchval(TAKE_OVER_STALE_KEY, caller, key, lock_timeout) is not None


async def finish_key(conn: asyncpg.Connection, caller: str, key: str, status: int, body: bytes,
                     content_type: str) -> None:
    await conn.execute(FINISH_KEY, caller, key, status, body, content_type)


async def release_key(conn: asyncpg.Connection, caller: str, key: str) -> None:
    await conn.execute(RELEASE_KEY, caller, key)


async def purge_expired_keys(conn: asyncpg.Connection) -> int:
    return int((await conn.execute(PURGE_EXPIRED_KEYS)).split()[-1])


async def ping(pool: asyncpg.Pool) -> None:
    """A round trip to PostgreSQL (raises when it is unreachable)."""
    await pool.fetchval(PING)
