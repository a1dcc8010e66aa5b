"""PostgreSQL plumbing: the pool, the schema upgrade, and catalogue seeding.

The schema is market/schema.sql (CREATE statements only: what a database built today holds), and
the numbered migrations in market/migrations/ (`NNNN_<what>.sql`) bring an existing database
forward. `upgrade()` builds an empty database from schema.sql and records it at the latest
migration; an existing one gets its pending migrations, one transaction each, each recorded by
number in schema_version as it commits. Migration 0001 is the schema text of before (idempotent
by construction), so a database that recorded only checksums of it (the old schema_version) is
brought to the baseline by running every migration from 0001. The catalogue data files are then
upserted when their checksum differs from the one recorded. Every step takes the same advisory
lock, so several processes starting at once apply each migration once.

A small runner rather than a migration tool: the well-kept ones (alembic, yoyo, pgmigrate) run on
a second, synchronous driver (SQLAlchemy/psycopg), and dbmate/goose are separate binaries; this
service speaks to PostgreSQL through asyncpg only, with raw SQL files, on an embedded server.
"""
from __future__ import annotations

import hashlib
import json
import logging
import re
from dataclasses import dataclass
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
UPSERT_SECTOR = """
INSERT INTO sectors (code, name_zh, name_en) VALUES ($1, $2, $3)
ON CONFLICT (code) DO UPDATE SET name_zh = EXCLUDED.name_zh, name_en = EXCLUDED.name_en
WHERE (sectors.name_zh, sectors.name_en) IS DISTINCT FROM (EXCLUDED.name_zh, EXCLUDED.name_en)
"""
# The migration log. The runner owns it (it exists before any migration runs), so it is in
# neither schema.sql nor a migration; a log of the old shape (version, checksum, applied_at: one
# row per checksum of the whole schema text applied) is dropped for it, since those numbers were
# not migrations.
CREATE_LOG = """
CREATE TABLE schema_version (
    version             integer PRIMARY KEY,
    name                text NOT NULL,
    -- the catalogue data upserted with this version (NULL: not yet, a later migration is pending)
    catalogue_checksum  text,
    applied_at          timestamptz NOT NULL DEFAULT now()
)
"""
LOG_STATE = """
SELECT to_regclass('schema_version') IS NOT NULL AS has_log,
       EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass('schema_version') AND attname = 'name'
               AND NOT attisdropped) AS log_has_names,
       EXISTS (SELECT 1 FROM pg_class WHERE relnamespace = current_schema()::regnamespace AND relkind IN ('r', 'p')
               AND relname <> 'schema_version') AS has_tables
"""
LATEST_MIGRATION = "SELECT version, catalogue_checksum FROM schema_version ORDER BY version DESC LIMIT 1"
RECORD_MIGRATION = "INSERT INTO schema_version (version, name) VALUES ($1, $2)"
RECORD_CATALOGUE = "UPDATE schema_version SET catalogue_checksum = $2 WHERE version = $1"

CATALOGUE_FILES = ("districts.json", "skills.json", "sectors.json")
MIGRATION_FILE = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    text: str


def schema_text() -> str:
    """market/schema.sql: the CREATE statements a fresh database is built from."""
    return resources.files("market").joinpath("schema.sql").read_text(encoding="utf-8")


def migrations() -> list[Migration]:
    """market/migrations/NNNN_<name>.sql in order; numbered 1, 2, 3 … without a gap."""
    found = []
    for entry in resources.files("market").joinpath("migrations").iterdir():
        if match := MIGRATION_FILE.match(entry.name):
            found.append(Migration(int(match[1]), match[2], entry.read_text(encoding="utf-8")))
    found.sort(key=lambda migration: migration.version)
    if [m.version for m in found] != list(range(1, len(found) + 1)):
        raise RuntimeError(f"market/migrations is not numbered 1..n: {[m.version for m in found]}")
    return found


def _catalogue(name: str) -> dict:
    return json.loads(resources.files("market.catalogue").joinpath("data", name).read_text(encoding="utf-8"))


async def upgrade(conn: asyncpg.Connection) -> int:
    """Bring the database to the latest migration and the catalogue data; return that migration's
    number. One transaction per step (a build from schema.sql, one migration, the catalogue), each
    under the advisory lock and deciding afresh from the log what is left to do."""
    history = migrations()
    latest = history[-1]
    catalogue = {name: _catalogue(name) for name in CATALOGUE_FILES}
    checksum = hashlib.sha256(json.dumps(catalogue, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    while True:
        async with conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", SCHEMA_LOCK_ID)
            state = await conn.fetchrow(LOG_STATE)
            if not state["has_log"] and not state["has_tables"]:
                await conn.execute(CREATE_LOG)
                await conn.execute(schema_text())
                await conn.execute(RECORD_MIGRATION, latest.version, latest.name)
                await _seed_catalogue(conn, catalogue)
                await conn.execute(RECORD_CATALOGUE, latest.version, checksum)
                log.info("schema built", extra={"schema_version": latest.version})
                return latest.version
            if state["has_log"] and not state["log_has_names"]:
                await conn.execute("DROP TABLE schema_version")
            if not (state["has_log"] and state["log_has_names"]):
                await conn.execute(CREATE_LOG)
            recorded = await conn.fetchrow(LATEST_MIGRATION)
            applied = recorded["version"] if recorded is not None else 0
            if applied > latest.version:
                raise RuntimeError(f"the database is at migration {applied}, newer than this code's {latest.version}")
            if applied < latest.version:
                migration = history[applied]  # the next one: numbered without a gap from 1
                await conn.execute(migration.text)
                await conn.execute(RECORD_MIGRATION, migration.version, migration.name)
                log.info("migration applied", extra={"schema_version": migration.version, "migration": migration.name})
                continue
            if recorded["catalogue_checksum"] == checksum:
                return latest.version
            await _seed_catalogue(conn, catalogue)
            await conn.execute(RECORD_CATALOGUE, latest.version, checksum)
            log.info("catalogue loaded", extra={"schema_version": latest.version, "checksum": checksum[:12]})
            return latest.version


async def _seed_catalogue(conn: asyncpg.Connection, catalogue: dict[str, dict]) -> None:
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
    await conn.executemany(UPSERT_SECTOR, [
        (s["code"], s["name_zh"], s["name_en"]) for s in catalogue["sectors.json"]["sectors"]
    ])


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
