"""SQL of the employment package. Functions take a connection and return domain objects."""
from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg

from market.employment.model import Employment, EmploymentState

EMPLOYMENT_COLUMNS = """
e.id, e.organisation_id, o.name AS employer_name, w.id AS worker_id, w.name AS worker_name,
coalesce(w.id_number_masked, e.id_number_masked) AS worker_id_number_masked, e.job_title,
e.agreed_hourly_wage_fen, e.state, e.created_at, e.decided_at
"""
# As the employer sees a record: the worker only through worker_id, which is set when the worker
# confirms (constraint employments_linked_once_confirmed), so before that no name is even read.
FOR_EMPLOYER_FROM = """
FROM employments e JOIN organisations o ON o.id = e.organisation_id LEFT JOIN workers w ON w.id = e.worker_id
"""
# As the worker sees their own records: every record naming their ID number, confirmed or not.
FOR_WORKER_FROM = """
FROM employments e JOIN organisations o ON o.id = e.organisation_id
JOIN workers w ON w.id_number_hash = e.id_number_hash
"""

ORGANISATION_DISTRICT = "SELECT district_code FROM organisations WHERE id = $1"
WORKER_ID_NUMBER_HASH = "SELECT id_number_hash FROM workers WHERE id = $1"
# The partial unique index employments_one_current_per_person holds "one pending or active record
# per employer and person"; a concurrent or repeated registration inserts nothing.
INSERT_EMPLOYMENT = """
INSERT INTO employments (organisation_id, id_number_hash, id_number_masked, job_title, agreed_hourly_wage_fen,
    created_at)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (organisation_id, id_number_hash) WHERE state IN ('pending', 'active') DO NOTHING
RETURNING id
"""
CURRENT_EMPLOYMENT = """
SELECT id, state FROM employments
WHERE organisation_id = $1 AND id_number_hash = $2 AND state IN ('pending', 'active')
"""
EMPLOYMENT_FOR_EMPLOYER = "SELECT " + EMPLOYMENT_COLUMNS + FOR_EMPLOYER_FROM + " WHERE e.id = $1"
EMPLOYMENT_FOR_WORKER = "SELECT " + EMPLOYMENT_COLUMNS + FOR_WORKER_FROM + " WHERE e.id = $1"
# Locks the record for a transition, but only if it names the caller's ID number (a worker, $2) or
# the caller registered it (an employer, $3).
LOCK_EMPLOYMENT_OF_PARTY = """
SELECT state FROM employments
WHERE id = $1 AND (id_number_hash = (SELECT id_number_hash FROM workers WHERE id = $2) OR organisation_id = $3)
FOR UPDATE
"""
# A confirmation links the record to the confirming worker ($4).
SET_STATE = """
UPDATE employments SET state = $2, decided_at = coalesce($3, decided_at),
    ended_at = CASE WHEN $2 = 'ended' THEN $5::timestamptz ELSE ended_at END,
    worker_id = CASE WHEN $2 = 'active' THEN $4::uuid ELSE worker_id END
WHERE id = $1
"""
EMPLOYMENTS_OF_ORGANISATION = ("SELECT " + EMPLOYMENT_COLUMNS + FOR_EMPLOYER_FROM + """
WHERE e.organisation_id = $1 AND ($2::text IS NULL OR e.state = $2)
  AND ($3::timestamptz IS NULL OR (e.created_at, e.id) < ($3, $4::uuid))
ORDER BY e.created_at DESC, e.id DESC LIMIT $5
""")
EMPLOYMENTS_OF_WORKER = ("SELECT " + EMPLOYMENT_COLUMNS + FOR_WORKER_FROM + """
WHERE w.id = $1 AND ($2::text IS NULL OR e.state = $2)
  AND ($3::timestamptz IS NULL OR (e.created_at, e.id) < ($3, $4::uuid))
ORDER BY e.created_at DESC, e.id DESC LIMIT $5
""")


async def organisation_district(conn: asyncpg.Connection, organisation_id: uuid.UUID) -> str | None:
    return await conn.fetchval(ORGANISATION_DISTRICT, organisation_id)


async def worker_id_number_hash(conn: asyncpg.Connection, worker_id: uuid.UUID) -> bytes | None:
    """The keyed hash of a worker's ID number, or None when there is no such worker."""
    return await conn.fetchval(WORKER_ID_NUMBER_HASH, worker_id)


async def insert_employment(conn: asyncpg.Connection, organisation_id: uuid.UUID, id_number_hash: bytes,
                            id_number_masked: str | None, job_title: str,
                            agreed_hourly_wage_fen: int, now: datetime) -> uuid.UUID | None:
    """The new record's id, or None when the pair already has a pending or active record."""
    return await conn.fetchval(INSERT_EMPLOYMENT, organisation_id, id_number_hash, id_number_masked, job_title,
                               agreed_hourly_wage_fen, now)


async def current_employment(conn: asyncpg.Connection, organisation_id: uuid.UUID,
                             id_number_hash: bytes) -> tuple[uuid.UUID, EmploymentState] | None:
    row = await conn.fetchrow(CURRENT_EMPLOYMENT, organisation_id, id_number_hash)
    return (row["id"], EmploymentState(row["state"])) if row else None


async def employment_for_employer(conn: asyncpg.Connection, employment_id: uuid.UUID) -> Employment | None:
    row = await conn.fetchrow(EMPLOYMENT_FOR_EMPLOYER, employment_id)
    return _employment(row) if row else None


async def employment_for_worker(conn: asyncpg.Connection, employment_id: uuid.UUID) -> Employment | None:
    row = await conn.fetchrow(EMPLOYMENT_FOR_WORKER, employment_id)
    return _employment(row) if row else None


async def lock_employment_of_party(conn: asyncpg.Connection, employment_id: uuid.UUID, worker_id: uuid.UUID | None,
                                   organisation_id: uuid.UUID | None) -> EmploymentState | None:
    """The record's state, locked, when the caller is a party to it; None for anyone else."""
    state = await conn.fetchval(LOCK_EMPLOYMENT_OF_PARTY, employment_id, worker_id, organisation_id)
    return EmploymentState(state) if state is not None else None


async def set_state(conn: asyncpg.Connection, employment_id: uuid.UUID, state: EmploymentState,
                    decided_at: datetime | None, worker_id: uuid.UUID | None, now: datetime) -> None:
    await conn.execute(SET_STATE, employment_id, state.value, decided_at, worker_id, now)


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
