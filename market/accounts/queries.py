"""SQL of the accounts package. Functions take a connection and return domain objects."""
from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg

from market.accounts.model import LoginAccount, Organisation, Worker
from market.kernel.principal import Principal
from market.sealing import Sealed

INSERT_ACCOUNT = """
INSERT INTO accounts (role, login_hash, login_skeleton_hash, login_masked, password_hash, display_name)
VALUES ($1, $2, $3, $4, $5, $6) RETURNING id
"""
INSERT_ORGANISATION = """
INSERT INTO organisations (account_id, name, credit_code, district_code) VALUES ($1, $2, $3, $4)
RETURNING id, account_id, name, credit_code, district_code
"""
INSERT_WORKER = """
INSERT INTO workers (account_id, name, id_number_hash, id_number_masked, district_code, id_number_sealed,
                     id_number_key_id)
VALUES ($1, $2, $3, $4, $5, $6, $7)
RETURNING id, account_id, name, id_number_masked, district_code
"""
INSERT_SUPERVISOR_DISTRICT = "INSERT INTO supervisor_districts (account_id, district_code) VALUES ($1, $2)"
ACCOUNT_FOR_LOGIN = """
SELECT id, role, password_hash, login_skeleton_hash IS NULL AS made_before_skeletons FROM accounts
WHERE login_hash = $1
"""
# An account made before skeletons were kept, found by the hash of the login as it was normalised then.
ACCOUNT_FOR_LEGACY_LOGIN = """
SELECT id, role, password_hash, true AS made_before_skeletons FROM accounts
WHERE login_hash = $1 AND login_skeleton_hash IS NULL
"""
STORE_LOGIN_FORMS = "UPDATE accounts SET login_hash = $2, login_skeleton_hash = $3 WHERE id = $1"
UPDATE_PASSWORD_HASH = "UPDATE accounts SET password_hash = $2 WHERE id = $1"
INSERT_TOKEN = "INSERT INTO tokens (token_hash, account_id, expires_at) VALUES ($1, $2, $3)"
REVOKE_TOKEN = "UPDATE tokens SET revoked_at = now() WHERE token_hash = $1 AND revoked_at IS NULL"
PRINCIPAL_FOR_TOKEN = """
SELECT a.id, a.role, a.display_name, m.organisation_id, w.id AS worker_id, t.expires_at,
       coalesce((SELECT array_agg(sd.district_code) FROM supervisor_districts sd WHERE sd.account_id = a.id),
                '{}') AS districts,
       m.role AS organisation_role,
       coalesce((SELECT array_agg(sm.site_id) FROM site_managers sm WHERE sm.account_id = a.id
                 AND m.role = 'site_manager'), '{}') AS site_ids
FROM tokens t
JOIN accounts a ON a.id = t.account_id
LEFT JOIN organisation_members m ON m.account_id = a.id AND m.removed_at IS NULL
LEFT JOIN workers w ON w.account_id = a.id
WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND t.expires_at > now()
"""
ORGANISATION_BY_ID = "SELECT id, account_id, name, credit_code, district_code FROM organisations WHERE id = $1"
EXISTING_DISTRICTS = "SELECT code FROM districts WHERE code = ANY($1::text[]) AND active"


async def insert_account(conn: asyncpg.Connection, role: str, login_hash: bytes | None,
                         login_skeleton_hash: bytes | None, login_masked: str | None, password_hash: str | None,
                         display_name: str) -> uuid.UUID:
    return await conn.fetchval(INSERT_ACCOUNT, role, login_hash, login_skeleton_hash, login_masked, password_hash,
                               display_name)


async def insert_organisation(conn: asyncpg.Connection, account_id: uuid.UUID, name: str, credit_code: str,
                              district_code: str) -> Organisation:
    row = await conn.fetchrow(INSERT_ORGANISATION, account_id, name, credit_code, district_code)
    return Organisation(**dict(row))


async def insert_worker(conn: asyncpg.Connection, account_id: uuid.UUID, name: str, id_number_hash: bytes,
                        id_number_masked: str, district_code: str, sealed: Sealed) -> Worker:
    row = await conn.fetchrow(INSERT_WORKER, account_id, name, id_number_hash, id_number_masked, district_code,
                              sealed.blob, sealed.key_id)
    return Worker(**dict(row))


async def add_supervisor_districts(conn: asyncpg.Connection, account_id: uuid.UUID, codes: list[str]) -> None:
    await conn.executemany(INSERT_SUPERVISOR_DISTRICT, [(account_id, code) for code in codes])


async def active_districts(conn: asyncpg.Connection, codes: list[str]) -> set[str]:
    return {row["code"] for row in await conn.fetch(EXISTING_DISTRICTS, codes)}


async def account_for_login(conn: asyncpg.Connection, login_hash: bytes) -> LoginAccount | None:
    row = await conn.fetchrow(ACCOUNT_FOR_LOGIN, login_hash)
    return LoginAccount(*row) if row else None


async def account_for_legacy_login(conn: asyncpg.Connection, login_hash: bytes) -> LoginAccount | None:
    row = await conn.fetchrow(ACCOUNT_FOR_LEGACY_LOGIN, login_hash)
    return LoginAccount(*row) if row else None


async def store_login_forms(conn: asyncpg.Connection, account_id: uuid.UUID, login_hash: bytes,
                            login_skeleton_hash: bytes) -> None:
    await conn.execute(STORE_LOGIN_FORMS, account_id, login_hash, login_skeleton_hash)


async def update_password_hash(conn: asyncpg.Connection, account_id: uuid.UUID, password_hash: str) -> None:
    await conn.execute(UPDATE_PASSWORD_HASH, account_id, password_hash)


async def insert_token(conn: asyncpg.Connection, token_hash: bytes, account_id: uuid.UUID,
                       expires_at: datetime) -> None:
    await conn.execute(INSERT_TOKEN, token_hash, account_id, expires_at)


async def revoke_token(conn: asyncpg.Connection, token_hash: bytes) -> bool:
    return await conn.execute(REVOKE_TOKEN, token_hash) == "UPDATE 1"


async def principal_for_token(conn: asyncpg.Connection, token_hash: bytes) -> tuple[Principal, datetime] | None:
    """The caller a live token names, and when the token expires."""
    row = await conn.fetchrow(PRINCIPAL_FOR_TOKEN, token_hash)
    if row is None:
        return None
    return Principal(
        account_id=row["id"], role=row["role"], display_name=row["display_name"],
        organisation_id=row["organisation_id"], worker_id=row["worker_id"], districts=frozenset(row["districts"]),
        organisation_role=row["organisation_role"], site_ids=frozenset(row["site_ids"]),
    ), row["expires_at"]


async def organisation_by_id(conn: asyncpg.Connection, organisation_id: uuid.UUID) -> Organisation | None:
    row = await conn.fetchrow(ORGANISATION_BY_ID, organisation_id)
    return Organisation(**dict(row)) if row else None
