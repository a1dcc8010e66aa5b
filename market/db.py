"""PostgreSQL plumbing: the pool, the schema upgrade, and catalogue seeding.

`upgrade()` applies schema.sql (idempotent by construction) and loads the catalogue data files in
one transaction under an advisory lock, so several processes starting at once apply it once. It
records the checksum of the applied schema text in schema_version; applying the same text again
changes nothing.
"""
from __future__ import annotations

import hashlib
import json
import logging
from datetime import date
from importlib import resources

import asyncpg
import orjson

log = logging.getLogger(__name__)

# Any constant shared by every process of this service; pg_advisory_xact_lock takes a bigint.
SCHEMA_LOCK_ID = 0x6D61726B6574  # "market"

UPSERT_DISTRICT = """
INSERT INTO districts (code, name, kind, tier, active, lat, lon, note)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, kind = EXCLUDED.kind, tier = EXCLUDED.tier,
    active = EXCLUDED.active, lat = EXCLUDED.lat, lon = EXCLUDED.lon, note = EXCLUDED.note
WHERE (districts.name, districts.kind, districts.tier, districts.active, districts.lat, districts.lon, districts.note)
    IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.kind, EXCLUDED.tier, EXCLUDED.active, EXCLUDED.lat, EXCLUDED.lon, EXCLUDED.note)
"""
UPSERT_MINIMUM_WAGE = """
INSERT INTO minimum_wages (tier, effective_from, monthly_fen, hourly_fen, source)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (tier, effective_from) DO UPDATE SET monthly_fen = EXCLUDED.monthly_fen,
    hourly_fen = EXCLUDED.hourly_fen, source = EXCLUDED.source
WHERE (minimum_wages.monthly_fen, minimum_wages.hourly_fen, minimum_wages.source)
    IS DISTINCT FROM (EXCLUDED.monthly_fen, EXCLUDED.hourly_fen, EXCLUDED.source)
"""
UPSERT_SKILL = """
INSERT INTO skills (code, name_zh, name_en, certificate) VALUES ($1, $2, $3, $4)
ON CONFLICT (code) DO UPDATE SET name_zh = EXCLUDED.name_zh, name_en = EXCLUDED.name_en,
    certificate = EXCLUDED.certificate
WHERE (skills.name_zh, skills.name_en, skills.certificate)
    IS DISTINCT FROM (EXCLUDED.name_zh, EXCLUDED.name_en, EXCLUDED.certificate)
"""
LATEST_SCHEMA = "SELECT version, checksum FROM schema_version ORDER BY version DESC LIMIT 1"
RECORD_SCHEMA = "INSERT INTO schema_version (version, checksum) VALUES ($1, $2)"


def schema_text() -> str:
    return resources.files("market").joinpath("schema.sql").read_text(encoding="utf-8")


def _catalogue(name: str) -> dict:
    return json.loads(resources.files("market.catalogue").joinpath("data", name).read_text(encoding="utf-8"))


async def upgrade(conn: asyncpg.Connection) -> int:
    """Bring the database to schema.sql and the catalogue data; return the schema version."""
    text = schema_text()
    catalogue = {name: _catalogue(name) for name in ("districts.json", "skills.json")}
    checksum = hashlib.sha256(
        text.encode() + json.dumps(catalogue, sort_keys=True, ensure_ascii=False).encode()
    ).hexdigest()
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", SCHEMA_LOCK_ID)
        has_table = await conn.fetchval("SELECT to_regclass('schema_version') IS NOT NULL")
        latest = await conn.fetchrow(LATEST_SCHEMA) if has_table else None
        if latest is not None and latest["checksum"] == checksum:
            return latest["version"]
        await conn.execute(text)
        districts = catalogue["districts.json"]
        await conn.executemany(UPSERT_DISTRICT, [
            (d["code"], d["name"], d["kind"], d["tier"], d["active"], d["lat"], d["lon"], d.get("note"))
            for d in districts["districts"]
        ])
        await conn.executemany(UPSERT_MINIMUM_WAGE, [
            (w["tier"], date.fromisoformat(w["effective_from"]), w["monthly_fen"], w["hourly_fen"], w["source"])
            for w in districts["minimum_wages"]
        ])
        await conn.executemany(UPSERT_SKILL, [
            (s["code"], s["name_zh"], s["name_en"], s["certificate"]) for s in catalogue["skills.json"]["skills"]
        ])
        version = (latest["version"] + 1) if latest is not None else 1
        await conn.execute(RECORD_SCHEMA, version, checksum)
    log.info("schema applied", extra={"schema_version": version, "checksum": checksum[:12]})
    return version


def dump_json(value) -> str:
    """JSON text for PostgreSQL (orjson: a settlement batch spent a sixth of its Python time in the
    standard library's encoder; non-ASCII stays as is, keys that are not strings become strings)."""
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


async def _init_connection(conn: asyncpg.Connection) -> None:
    # jsonb in and out as Python objects.
    await conn.set_type_codec("jsonb", encoder=dump_json, decoder=orjson.loads, schema="pg_catalog")


async def _keep_session(conn: asyncpg.Connection) -> None:
    """Pool reset hook: nothing beyond asyncpg's own (a rollback of any open transaction, listener
    callbacks dropped). asyncpg's default also sends `pg_advisory_unlock_all(); CLOSE ALL;
    UNLISTEN *; RESET ALL` on every release: a round trip per acquire (two or three per request)
    to undo session state this service never leaves behind: its advisory locks are transaction
    locks, its cursors live inside transactions, it sets no session settings, and the one LISTEN
    (the relay's) is undone by the relay. A stray LISTEN would be harmless: a connection with no
    listener callback drops notifications."""


async def create_pool(url: str, *, min_size: int = 2, max_size: int = 20) -> asyncpg.Pool:
    # JIT off: asyncpg's one-off type introspection query is a known trigger of PostgreSQL's JIT,
    # which on a small machine turns a millisecond query into seconds; our queries are OLTP-sized.
    return await asyncpg.create_pool(url, min_size=min_size, max_size=max_size, init=_init_connection,
                                     reset=_keep_session, server_settings={"jit": "off"})


async def upgrade_url(url: str) -> int:
    conn = await asyncpg.connect(url)
    try:
        return await upgrade(conn)
    finally:
        await conn.close()
