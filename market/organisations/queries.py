"""SQL of organisations: members and sites. Functions take a connection and return model objects."""
from __future__ import annotations

import uuid

import asyncpg

from market.organisations.model import Member, Site

MEMBERS = """
SELECT m.account_id, m.organisation_id, m.role, a.display_name, a.login_masked, m.created_at, m.created_by,
       coalesce((SELECT array_agg(sm.site_id ORDER BY sm.site_id) FROM site_managers sm
                 WHERE sm.account_id = m.account_id), '{}') AS site_ids
FROM organisation_members m JOIN accounts a ON a.id = m.account_id
WHERE m.organisation_id = $1 AND m.removed_at IS NULL AND ($2::uuid IS NULL OR m.account_id = $2)
ORDER BY m.created_at, m.account_id
"""
INSERT_MEMBER = """
INSERT INTO organisation_members (account_id, organisation_id, role, created_by) VALUES ($1, $2, $3, $4)
"""
LOCK_ORGANISATION = "SELECT id FROM organisations WHERE id = $1 FOR UPDATE"
LOCK_MEMBER = """
SELECT role FROM organisation_members WHERE account_id = $1 AND organisation_id = $2 AND removed_at IS NULL
FOR UPDATE
"""
OWNERS = "SELECT count(*) FROM organisation_members WHERE organisation_id = $1 AND role = 'owner' AND removed_at IS NULL"
SET_ROLE = "UPDATE organisation_members SET role = $2 WHERE account_id = $1"
REMOVE_MEMBER = "UPDATE organisation_members SET removed_at = now() WHERE account_id = $1"
CLEAR_MANAGED_SITES = "DELETE FROM site_managers WHERE account_id = $1"
ADD_MANAGED_SITE = "INSERT INTO site_managers (site_id, account_id, organisation_id) VALUES ($1, $2, $3)"
REVOKE_TOKENS = "UPDATE tokens SET revoked_at = now() WHERE account_id = $1 AND revoked_at IS NULL"
SITES_OF_ORGANISATION = "SELECT id FROM sites WHERE organisation_id = $1 AND id = ANY($2::uuid[])"

SITES = """
SELECT s.id, s.organisation_id, s.name, s.address, s.lat, s.lon, s.check_in_radius_m, s.created_at, s.created_by,
       coalesce((SELECT array_agg(sm.account_id ORDER BY sm.account_id) FROM site_managers sm
                 JOIN organisation_members m ON m.account_id = sm.account_id AND m.removed_at IS NULL
                 WHERE sm.site_id = s.id), '{}') AS manager_ids
FROM sites s
WHERE s.organisation_id = $1 AND ($2::uuid IS NULL OR s.id = $2)
  AND ($3::uuid[] IS NULL OR s.id = ANY($3::uuid[]))
ORDER BY s.created_at, s.id
"""
INSERT_SITE = """
INSERT INTO sites (organisation_id, name, address, lat, lon, check_in_radius_m, created_by)
VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id
"""
SITE_OF_ORGANISATION = """
SELECT id, organisation_id, name, address, lat, lon, check_in_radius_m FROM sites WHERE id = $1
"""


def _member(row: asyncpg.Record) -> Member:
    data = dict(row)
    data["site_ids"] = tuple(data["site_ids"])
    return Member(**data)


def _site(row: asyncpg.Record) -> Site:
    data = dict(row)
    data["manager_ids"] = tuple(data["manager_ids"])
    return Site(**data)


async def members(conn: asyncpg.Connection, organisation_id: uuid.UUID,
                  account_id: uuid.UUID | None = None) -> list[Member]:
    return [_member(row) for row in await conn.fetch(MEMBERS, organisation_id, account_id)]


async def insert_member(conn: asyncpg.Connection, account_id: uuid.UUID, organisation_id: uuid.UUID, role: str,
                        created_by: uuid.UUID) -> None:
    await conn.execute(INSERT_MEMBER, account_id, organisation_id, role, created_by)


async def lock_organisation(conn: asyncpg.Connection, organisation_id: uuid.UUID) -> None:
    await conn.execute(LOCK_ORGANISATION, organisation_id)


async def lock_member(conn: asyncpg.Connection, account_id: uuid.UUID, organisation_id: uuid.UUID) -> str | None:
    return await conn.fetchval(LOCK_MEMBER, account_id, organisation_id)


async def owner_count(conn: asyncpg.Connection, organisation_id: uuid.UUID) -> int:
    return await conn.fetchval(OWNERS, organisation_id)


async def set_role(conn: asyncpg.Connection, account_id: uuid.UUID, role: str) -> None:
    await conn.execute(SET_ROLE, account_id, role)


async def remove_member(conn: asyncpg.Connection, account_id: uuid.UUID) -> None:
    await conn.execute(REMOVE_MEMBER, account_id)
    await conn.execute(CLEAR_MANAGED_SITES, account_id)
    await conn.execute(REVOKE_TOKENS, account_id)


async def set_managed_sites(conn: asyncpg.Connection, account_id: uuid.UUID, organisation_id: uuid.UUID,
                            site_ids: list[uuid.UUID]) -> None:
    await conn.execute(CLEAR_MANAGED_SITES, account_id)
    await conn.executemany(ADD_MANAGED_SITE, [(site_id, account_id, organisation_id) for site_id in site_ids])


async def known_sites(conn: asyncpg.Connection, organisation_id: uuid.UUID, site_ids: list[uuid.UUID]) -> set[uuid.UUID]:
    return {row["id"] for row in await conn.fetch(SITES_OF_ORGANISATION, organisation_id, site_ids)}


async def sites(conn: asyncpg.Connection, organisation_id: uuid.UUID, site_id: uuid.UUID | None = None,
                only: list[uuid.UUID] | None = None) -> list[Site]:
    return [_site(row) for row in await conn.fetch(SITES, organisation_id, site_id, only)]


async def insert_site(conn: asyncpg.Connection, organisation_id: uuid.UUID, name: str, address: str, lat: float,
                      lon: float, check_in_radius_m: int, created_by: uuid.UUID) -> uuid.UUID:
    return await conn.fetchval(INSERT_SITE, organisation_id, name, address, lat, lon, check_in_radius_m, created_by)


async def site_by_id(conn: asyncpg.Connection, site_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(SITE_OF_ORGANISATION, site_id)
