"""A database brought forward by the migrations equals one built from market/schema.sql.

Both are built on empty databases and compared by a dump of the catalogue read from pg_catalog
(no pg_dump binary): tables, columns (position, type, default, nullability, generation), every
constraint by name with pg_get_constraintdef, indexes with pg_get_indexdef, functions with
pg_get_functiondef, triggers with pg_get_triggerdef, sequences and extensions.
"""
from __future__ import annotations

import uuid

import asyncpg
import pytest

from market import db
from tests.server_fixtures import database_url

DUMP = {
    "table": """
        SELECT relname || ' ' || relkind::text || ' ' || relpersistence::text FROM pg_class
        WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'p', 'v', 'm', 'f')""",
    "column": """
        SELECT c.relname || '.' || a.attname || ' #' || row_number() OVER (PARTITION BY c.oid ORDER BY a.attnum)
               || ' ' || format_type(a.atttypid, a.atttypmod) || CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END
               || coalesce(' DEFAULT ' || pg_get_expr(d.adbin, d.adrelid), '')
               || ' generated=' || a.attgenerated::text || ' identity=' || a.attidentity::text
               || coalesce(' COLLATE ' || nullif(co.collname, 'default'), '')
        FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
        LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        LEFT JOIN pg_collation co ON co.oid = a.attcollation
        WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
          AND a.attnum > 0 AND NOT a.attisdropped""",
    "constraint": """
        SELECT conrelid::regclass::text || ' ' || conname || ' ' || contype::text || ' ' || pg_get_constraintdef(oid)
               || ' deferrable=' || condeferrable || ' deferred=' || condeferred || ' valid=' || convalidated
        FROM pg_constraint WHERE connamespace = 'public'::regnamespace""",
    "index": """
        SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
        WHERE c.relnamespace = 'public'::regnamespace""",
    "function": """
        SELECT pg_get_functiondef(oid) FROM pg_proc WHERE pronamespace = 'public'::regnamespace AND prokind <> 'a'""",
    "trigger": """
        SELECT pg_get_triggerdef(t.oid) || ' enabled=' || t.tgenabled::text
        FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid WHERE c.relnamespace = 'public'::regnamespace AND NOT t.tgisinternal""",
    "sequence": """
        SELECT c.relname || ' ' || format_type(s.seqtypid, NULL) || ' start=' || s.seqstart || ' by=' || s.seqincrement
               || ' min=' || s.seqmin || ' max=' || s.seqmax || ' cache=' || s.seqcache || ' cycle=' || s.seqcycle
        FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid WHERE c.relnamespace = 'public'::regnamespace""",
    "extension": "SELECT extname || ' ' || extversion FROM pg_extension",
}
# A database made before numbered migrations: schema_version held checksums of the whole schema text.
OLD_LOG = """
CREATE TABLE schema_version (version integer PRIMARY KEY, checksum text NOT NULL,
                             applied_at timestamptz NOT NULL DEFAULT now());
INSERT INTO schema_version (version, checksum) VALUES (1, 'an older schema text'), (2, 'the one after');
"""


async def schema_dump(conn: asyncpg.Connection) -> set[str]:
    dump = set()
    for kind, query in DUMP.items():
        dump |= {f"{kind}: {row[0]}" for row in await conn.fetch(query)}
    return dump


@pytest.fixture
async def empty_database(pg_server_url):
    """A function making empty databases (from template0: nothing but what PostgreSQL brings)."""
    names = []

    async def make() -> asyncpg.Connection:
        names.append(f"market_empty_{uuid.uuid4().hex[:12]}")
        admin = await asyncpg.connect(pg_server_url)
        try:
            await admin.execute(f'CREATE DATABASE "{names[-1]}" TEMPLATE template0')
        finally:
            await admin.close()
        opened.append(await asyncpg.connect(database_url(pg_server_url, names[-1])))
        return opened[-1]

    opened: list[asyncpg.Connection] = []
    yield make
    for conn in opened:
        await conn.close()
    admin = await asyncpg.connect(pg_server_url)
    try:
        for name in names:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


async def built_both_ways(empty_database) -> tuple[asyncpg.Connection, asyncpg.Connection]:
    """(a database built from schema.sql, one brought forward from a checksum-only log by every migration)."""
    fresh, migrated = await empty_database(), await empty_database()
    assert await db.upgrade(fresh) == db.migrations()[-1].version
    await migrated.execute(OLD_LOG)
    assert await db.upgrade(migrated) == db.migrations()[-1].version
    return fresh, migrated


def differences(fresh: set[str], migrated: set[str]) -> str:
    return "\n".join([f"only from schema.sql: {item}" for item in sorted(fresh - migrated)]
                     + [f"only from the migrations: {item}" for item in sorted(migrated - fresh)])


async def test_a_database_built_by_the_migrations_equals_one_built_from_schema_sql(empty_database):
    fresh, migrated = await built_both_ways(empty_database)
    fresh_dump, migrated_dump = await schema_dump(fresh), await schema_dump(migrated)
    assert fresh_dump == migrated_dump, differences(fresh_dump, migrated_dump)
    assert any(item.startswith("constraint: shifts shifts_filled_within_headcount c CHECK") for item in fresh_dump)
    # and the migration log reads the same way: at the latest migration, catalogue loaded
    for conn in (fresh, migrated):
        latest = await conn.fetchrow("SELECT version, catalogue_checksum FROM schema_version ORDER BY version DESC")
        assert latest["version"] == db.migrations()[-1].version and latest["catalogue_checksum"]
    districts = "SELECT count(*) FROM districts"
    assert await fresh.fetchval(districts) == await migrated.fetchval(districts)


async def test_a_column_added_to_one_side_only_is_a_difference(empty_database):
    fresh, migrated = await built_both_ways(empty_database)
    await migrated.execute("ALTER TABLE shifts ADD COLUMN note text")
    # the new column's position: one past the columns shifts has (other migrations add columns to it)
    position = await migrated.fetchval("SELECT max(attnum) FROM pg_attribute WHERE attrelid = 'shifts'::regclass")
    fresh_dump, migrated_dump = await schema_dump(fresh), await schema_dump(migrated)
    assert differences(fresh_dump, migrated_dump) == (
        f"only from the migrations: column: shifts.note #{position} text generated= identity=")


async def test_the_old_unnamed_headcount_check_is_renamed_and_refuses_an_extra_seat_by_its_name(empty_database):
    migrated = await empty_database()
    await migrated.execute(OLD_LOG)
    await migrated.execute(db.migrations()[0].text)  # the baseline, as every earlier database holds it
    assert await migrated.fetchval(
        "SELECT conname FROM pg_constraint WHERE conrelid = 'shifts'::regclass "
        "AND pg_get_constraintdef(oid) LIKE '%filled <= headcount%'") == "shifts_check2"
    await db.upgrade(migrated)
    with pytest.raises(asyncpg.CheckViolationError) as refused:
        await migrated.execute("""
            INSERT INTO accounts (role, display_name) VALUES ('admin', 'x');
            INSERT INTO organisations (account_id, name, credit_code, district_code)
                SELECT id, 'o', '91500000MA5U0000XX', (SELECT code FROM districts LIMIT 1) FROM accounts;
            INSERT INTO orders (organisation_id, kind, title, district_code, site_lat, site_lon, relationship_type,
                                pay_unit, pay_amount_fen, hourly_equivalent_fen, allocation_mode)
                SELECT id, 'gig', 't', district_code, 29.5, 106.5, 'labor_part_time', 'hour', 3000, 3000, 'bids'
                FROM organisations;
            INSERT INTO shifts (order_id, starts_at, ends_at, headcount, filled, site)
                SELECT id, now(), now() + interval '1 hour', 1, 2, point(106.5, 29.5) FROM orders""")
    assert refused.value.constraint_name == "shifts_filled_within_headcount"


async def test_applying_the_migrations_again_over_a_built_database_changes_nothing(empty_database):
    fresh = await empty_database()
    await db.upgrade(fresh)
    before = await schema_dump(fresh)
    await fresh.execute("DELETE FROM schema_version")  # as if it had recorded nothing: every migration runs
    assert await db.upgrade(fresh) == db.migrations()[-1].version
    assert await fresh.fetchval("SELECT count(*) FROM schema_version") == len(db.migrations())
    assert await schema_dump(fresh) == before
