"""SQL of the catalogue package."""
from __future__ import annotations

import asyncpg

from market.catalogue.model import District, MinimumWage, Sector, Skill

ALL_DISTRICTS = "SELECT code, name, kind, tier, active, lat, lon, note FROM districts ORDER BY active DESC, code"
ALL_MINIMUM_WAGES = "SELECT tier, effective_from, monthly_fen, hourly_fen, source FROM minimum_wages ORDER BY tier, effective_from"
ALL_SKILLS = "SELECT code, name_zh, name_en, certificate FROM skills ORDER BY code"
ALL_SECTORS = "SELECT code, name_zh, name_en FROM sectors ORDER BY code"


async def all_districts(conn: asyncpg.Connection) -> list[District]:
    return [District(**dict(row)) for row in await conn.fetch(ALL_DISTRICTS)]


async def all_minimum_wages(conn: asyncpg.Connection) -> list[MinimumWage]:
    return [MinimumWage(**dict(row)) for row in await conn.fetch(ALL_MINIMUM_WAGES)]


async def all_skills(conn: asyncpg.Connection) -> list[Skill]:
    return [Skill(**dict(row)) for row in await conn.fetch(ALL_SKILLS)]


async def all_sectors(conn: asyncpg.Connection) -> list[Sector]:
    return [Sector(**dict(row)) for row in await conn.fetch(ALL_SECTORS)]
