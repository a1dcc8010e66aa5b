"""SQL of order templates and recurring orders (market/schema.sql, migration 0012)."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

import asyncpg

from market.kernel.principal import Principal


@dataclass(frozen=True)
class Template:
    id: uuid.UUID
    organisation_id: uuid.UUID
    name: str
    terms: dict[str, Any]
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class Series:
    id: uuid.UUID
    organisation_id: uuid.UUID
    template_id: uuid.UUID | None
    name: str
    terms: dict[str, Any]
    weekdays: list[int]
    start_time: time
    end_time: time
    headcount: int
    start_date: date
    until_date: date
    exceptions: list[dict[str, Any]]
    skip_holidays: bool
    state: str
    created_at: datetime
    updated_at: datetime
    ended_at: datetime | None


@dataclass(frozen=True)
class OccurrenceRow:
    series_id: uuid.UUID
    occurrence_date: date
    state: str
    order_id: uuid.UUID | None
    problem: dict[str, Any] | None
    decided_at: datetime


TEMPLATE_COLUMNS = "id, organisation_id, name, terms, created_at, updated_at"
SERIES_COLUMNS = """id, organisation_id, template_id, name, terms, weekdays::int[] AS weekdays, start_time, end_time,
    headcount, start_date, until_date, exceptions, skip_holidays, state, created_at, updated_at, ended_at"""
OCCURRENCE_COLUMNS = "series_id, occurrence_date, state, order_id, problem, decided_at"


def _template(row: asyncpg.Record | None) -> Template | None:
    return None if row is None else Template(**dict(row))


def _series(row: asyncpg.Record | None) -> Series | None:
    return None if row is None else Series(**dict(row))


# ---- templates ----------------------------------------------------------------------------------


async def insert_template(conn: asyncpg.Connection, organisation_id: uuid.UUID, name: str, terms: dict[str, Any],
                          now: datetime) -> Template:
    row = await conn.fetchrow(
        f"INSERT INTO order_templates (organisation_id, name, terms, created_at, updated_at) "
        f"VALUES ($1, $2, $3, $4, $4) RETURNING {TEMPLATE_COLUMNS}", organisation_id, name, terms, now)
    found = _template(row)
    assert found is not None
    return found


async def template_of(conn: asyncpg.Connection, organisation_id: uuid.UUID, template_id: uuid.UUID, *,
                      for_update: bool = False) -> Template | None:
    lock = " FOR UPDATE" if for_update else ""
    return _template(await conn.fetchrow(
        f"SELECT {TEMPLATE_COLUMNS} FROM order_templates WHERE id = $1 AND organisation_id = $2{lock}",
        template_id, organisation_id))


async def templates_of(conn: asyncpg.Connection, organisation_id: uuid.UUID, after: tuple | None,
                       limit: int) -> list[Template]:
    """Newest first, keyset-paginated on (created_at, id)."""
    rows = await conn.fetch(
        f"SELECT {TEMPLATE_COLUMNS} FROM order_templates WHERE organisation_id = $1 "
        f"AND ($2::timestamptz IS NULL OR (created_at, id) < ($2, $3::uuid)) "
        f"ORDER BY created_at DESC, id DESC LIMIT $4",
        organisation_id, after[0] if after else None, after[1] if after else None, limit)
    return [Template(**dict(row)) for row in rows]


async def update_template(conn: asyncpg.Connection, template_id: uuid.UUID, name: str, terms: dict[str, Any],
                          now: datetime) -> Template:
    row = await conn.fetchrow(
        f"UPDATE order_templates SET name = $2, terms = $3, updated_at = $4 WHERE id = $1 "
        f"RETURNING {TEMPLATE_COLUMNS}", template_id, name, terms, now)
    found = _template(row)
    assert found is not None
    return found


async def delete_template(conn: asyncpg.Connection, organisation_id: uuid.UUID, template_id: uuid.UUID) -> bool:
    done = await conn.execute("DELETE FROM order_templates WHERE id = $1 AND organisation_id = $2",
                              template_id, organisation_id)
    return bool(done != "DELETE 0")


# ---- series -------------------------------------------------------------------------------------


async def insert_series(conn: asyncpg.Connection, *, organisation_id: uuid.UUID, template_id: uuid.UUID | None,
                        name: str, terms: dict[str, Any], weekdays: list[int], start_time: time, end_time: time,
                        headcount: int, start_date: date, until_date: date, exceptions: list[dict[str, Any]],
                        skip_holidays: bool, now: datetime) -> Series:
    row = await conn.fetchrow(
        f"""INSERT INTO recurring_series (organisation_id, template_id, name, terms, weekdays, start_time, end_time,
                headcount, start_date, until_date, exceptions, skip_holidays, created_at, updated_at)
            VALUES ($1, $2, $3, $4, $5::smallint[], $6, $7, $8, $9, $10, $11, $12, $13, $13)
            RETURNING {SERIES_COLUMNS}""",
        organisation_id, template_id, name, terms, weekdays, start_time, end_time, headcount, start_date, until_date,
        exceptions, skip_holidays, now)
    found = _series(row)
    assert found is not None
    return found


async def series_of(conn: asyncpg.Connection, organisation_id: uuid.UUID, series_id: uuid.UUID) -> Series | None:
    return _series(await conn.fetchrow(
        f"SELECT {SERIES_COLUMNS} FROM recurring_series WHERE id = $1 AND organisation_id = $2",
        series_id, organisation_id))


async def lock_series(conn: asyncpg.Connection, series_id: uuid.UUID) -> Series | None:
    """The series, its row locked: materialisations of one series and changes of its state take
    turns (one occurrence decided at a time; a pause waits for the occurrence being posted)."""
    return _series(await conn.fetchrow(
        f"SELECT {SERIES_COLUMNS} FROM recurring_series WHERE id = $1 FOR UPDATE", series_id))


async def series_list(conn: asyncpg.Connection, organisation_id: uuid.UUID, after: tuple | None,
                      limit: int) -> list[Series]:
    rows = await conn.fetch(
        f"SELECT {SERIES_COLUMNS} FROM recurring_series WHERE organisation_id = $1 "
        f"AND ($2::timestamptz IS NULL OR (created_at, id) < ($2, $3::uuid)) "
        f"ORDER BY created_at DESC, id DESC LIMIT $4",
        organisation_id, after[0] if after else None, after[1] if after else None, limit)
    return [Series(**dict(row)) for row in rows]


async def active_series_ids(conn: asyncpg.Connection, today: date) -> list[uuid.UUID]:
    """The series the sweep looks at: active and not over."""
    rows = await conn.fetch("SELECT id FROM recurring_series WHERE state = 'active' AND until_date >= $1 "
                            "ORDER BY created_at, id", today)
    return [row["id"] for row in rows]


async def set_series_state(conn: asyncpg.Connection, series_id: uuid.UUID, state: str, now: datetime) -> Series:
    row = await conn.fetchrow(
        f"UPDATE recurring_series SET state = $2::text, updated_at = $3::timestamptz, "
        f"ended_at = CASE WHEN $2::text = 'ended' THEN $3::timestamptz END WHERE id = $1 RETURNING {SERIES_COLUMNS}",
        series_id, state, now)
    found = _series(row)
    assert found is not None
    return found


# ---- occurrences --------------------------------------------------------------------------------


async def decided_dates(conn: asyncpg.Connection, series_id: uuid.UUID) -> set[date]:
    rows = await conn.fetch("SELECT occurrence_date FROM recurring_occurrences WHERE series_id = $1", series_id)
    return {row["occurrence_date"] for row in rows}


async def record_occurrence(conn: asyncpg.Connection, series_id: uuid.UUID, on: date, state: str,
                            order_id: uuid.UUID | None, problem: dict[str, Any] | None, now: datetime) -> bool:
    """Record the occurrence's outcome, once: False when it was recorded already (the key
    recurring_occurrences_once), and the caller's transaction must then be rolled back."""
    done = await conn.fetchval(
        "INSERT INTO recurring_occurrences (series_id, occurrence_date, state, order_id, problem, decided_at) "
        "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (series_id, occurrence_date) DO NOTHING RETURNING true",
        series_id, on, state, order_id, problem, now)
    return bool(done)


async def occurrences_of(conn: asyncpg.Connection, series_id: uuid.UUID) -> list[OccurrenceRow]:
    rows = await conn.fetch(f"SELECT {OCCURRENCE_COLUMNS} FROM recurring_occurrences WHERE series_id = $1 "
                            f"ORDER BY occurrence_date", series_id)
    return [OccurrenceRow(**dict(row)) for row in rows]


async def series_by_id(conn: asyncpg.Connection, series_id: uuid.UUID) -> Series | None:
    return _series(await conn.fetchrow(f"SELECT {SERIES_COLUMNS} FROM recurring_series WHERE id = $1", series_id))


async def is_decided(conn: asyncpg.Connection, series_id: uuid.UUID, on: date) -> bool:
    return bool(await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM recurring_occurrences WHERE series_id = $1 AND occurrence_date = $2)",
        series_id, on))


async def organisation_principal(conn: asyncpg.Connection, organisation_id: uuid.UUID) -> Principal:
    """The organisation's own account as the caller an occurrence is posted by (the sweep has no
    request): the orders service reads only the organisation from it."""
    row = await conn.fetchrow("SELECT account_id, name FROM organisations WHERE id = $1", organisation_id)
    return Principal(account_id=row["account_id"], role="employer", display_name=row["name"],
                     organisation_id=organisation_id)
