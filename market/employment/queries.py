"""SQL of the employment package. Functions take a connection and return domain objects."""
from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg

from market.employment.model import Employment, EmploymentState

EMPLOYMENT_COLUMNS = """
e.id, e.organisation_id, o.name AS employer_name, e.worker_id, w.name AS worker_name,
w.id_number_masked AS worker_id_number_masked, e.job_title, e.agreed_hourly_wage_fen, e.state, e.created_at,
e.decided_at
"""
EMPLOYMENT_FROM = """
FROM employments e JOIN organisations o ON o.id = e.organisation_id JOIN workers w ON w.id = e.worker_id
"""

ORGANISATION_DISTRICT = "SELECT district_code FROM organisations WHERE id = $1"
WORKER_EXISTS = "SELECT id FROM workers WHERE id = $1"
WORKER_BY_ID_NUMBER_HASH = "SELECT id FROM workers WHERE id_number_hash = $1"
# The partial unique index employments_one_current holds "one pending or active record per
# employer and worker"; a concurrent or repeated registration inserts nothing.
INSERT_EMPLOYMENT = """
INSERT INTO employments (organisation_id, worker_id, job_title, agreed_hourly_wage_fen) VALUES ($1, $2, $3, $4)
ON CONFLICT (organisation_id, worker_id) WHERE state IN ('pending', 'active') DO NOTHING
RETURNING id
"""
CURRENT_EMPLOYMENT = """
SELECT id, state FROM employments WHERE organisation_id = $1 AND worker_id = $2 AND state IN ('pending', 'active')
"""
EMPLOYMENT_BY_ID = "SELECT " + EMPLOYMENT_COLUMNS + EMPLOYMENT_FROM + " WHERE e.id = $1"
# Locks the record for a transition, but only if the caller is its worker ($2) or its employer ($3).
LOCK_EMPLOYMENT_OF_PARTY = """
SELECT state FROM employments
WHERE id = $1 AND (worker_id = $2 OR organisation_id = $3)
FOR UPDATE
"""
SET_STATE = """
UPDATE employments SET state = $2, decided_at = coalesce($3, decided_at),
    ended_at = CASE WHEN $2 = 'ended' THEN now() ELSE ended_at END
WHERE id = $1
"""
EMPLOYMENTS_OF_ORGANISATION = ("SELECT " + EMPLOYMENT_COLUMNS + EMPLOYMENT_FROM + """
WHERE e.organisation_id = $1 AND ($2::text IS NULL OR e.state = $2)
  AND ($3::timestamptz IS NULL OR (e.created_at, e.id) < ($3, $4::uuid))
ORDER BY e.created_at DESC, e.id DESC LIMIT $5
""")
EMPLOYMENTS_OF_WORKER = ("SELECT " + EMPLOYMENT_COLUMNS + EMPLOYMENT_FROM + """
WHERE e.worker_id = $1 AND ($2::text IS NULL OR e.state = $2)
  AND ($3::timestamptz IS NULL OR (e.created_at, e.id) < ($3, $4::uuid))
ORDER BY e.created_at DESC, e.id DESC LIMIT $5
""")


async def organisation_district(conn: asyncpg.Connection, organisation_id: uuid.UUID) -> str | None:
    return await conn.fetchval(ORGANISATION_DISTRICT, organisation_id)


async def worker_exists(conn: asyncpg.Connection, worker_id: uuid.UUID) -> bool:
    return await conn.fetchval(WORKER_EXISTS, worker_id) is not None


async def worker_by_id_number_hash(conn: asyncpg.Connection, id_number_hash: bytes) -> uuid.UUID | None:
    return await conn.fetchval(WORKER_BY_ID_NUMBER_HASH, id_number_hash)


async def insert_employment(conn: asyncpg.Connection, organisation_id: uuid.UUID, worker_id: uuid.UUID,
                            job_title: str, agreed_hourly_wage_fen: int) -> uuid.UUID | None:
    """The new record's id, or None when the pair already has a pending or active record."""
    return await conn.fetchval(INSERT_EMPLOYMENT, organisation_id, worker_id, job_title, agreed_hourly_wage_fen)


async def current_employment(conn: asyncpg.Connection, organisation_id: uuid.UUID,
                             worker_id: uuid.UUID) -> tuple[uuid.UUID, EmploymentState] | None:
    row = await conn.fetchrow(CURRENT_EMPLOYMENT, organisation_id, worker_id)
    return (row["id"], EmploymentState(row["state"])) if row else None


async def employment_by_id(conn: asyncpg.Connection, employment_id: uuid.UUID) -> Employment | None:
    row = await conn.fetchrow(EMPLOYMENT_BY_ID, employment_id)
    return _employment(row) if row else None


async def lock_employment_of_party(conn: asyncpg.Connection, employment_id: uuid.UUID, worker_id: uuid.UUID | None,
                                   organisation_id: uuid.UUID | None) -> EmploymentState | None:
    """The record's state, locked, when the caller is a party to it; None for anyone else."""
    state = await conn.fetchval(LOCK_EMPLOYMENT_OF_PARTY, employment_id, worker_id, organisation_id)
    return EmploymentState(state) if state is not None else None


async def set_state(conn: asyncpg.Connection, employment_id: uuid.UUID, state: EmploymentState,
                    decided_at: datetime | None) -> None:
    await conn.execute(SET_STATE, employment_id, state.value, decided_at)


async def employments_of_organisation(conn: asyncpg.Connection, organisation_id: uuid.UUID, state: str | None,
                                      after: tuple[datetime, uuid.UUID] | None, limit: int) -> list[Employment]:
    rows = await conn.fetch(EMPLOYMENTS_OF_ORGANISATION, organisation_id, state, *(after or (None, None)), limit)
    return [_employment(row) for row in rows]


async def employments_of_worker(conn: asyncpg.Connection, worker_id: uuid.UUID, state: str | None,
                                after: tuple[datetime, uuid.UUID] | None, limit: int) -> list[Employment]:
    rows = await conn.fetch(EMPLOYMENTS_OF_WORKER, worker_id, state, *(after or (None, None)), limit)
    return [_employment(row) for row in rows]


def _employment(row: asyncpg.Record) -> Employment:
    return Employment(**{**dict(row), "state": EmploymentState(row["state"])})
