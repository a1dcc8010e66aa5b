"""SQL of attendance, and the functions that run it: timesheets, the assignment states they move,
reliability. Each takes a connection (the service owns the transaction) and returns model objects."""
from __future__ import annotations

import uuid
from datetime import date, datetime

import asyncpg

from market.attendance.model import AttendedAssignment, EmployerTimesheet, TimesheetRecord, WorkerAssignment

ASSIGNMENT = """
SELECT a.id, a.order_id, a.worker_id, a.organisation_id, a.state,
       lower(a.period) AS starts_at, upper(a.period) AS ends_at, o.site_lat, o.site_lon, o.check_in_radius_m,
       o.relationship_type, o.site_id, o.agency_organisation_id
FROM assignments a JOIN orders o ON o.id = a.order_id
WHERE a.id = $1
"""
ENSURE_TIMESHEET = "INSERT INTO timesheets (assignment_id) VALUES ($1) ON CONFLICT (assignment_id) DO NOTHING"
TIMESHEET_FOR_UPDATE = """
SELECT assignment_id, state, location_override, checked_in_at, check_in_distance_m, checked_out_at,
       check_out_distance_m, worked_minutes, approved_minutes, adjust_reason, dispute_reason, approved_by,
       approved_at, waiting_minutes, waiting_minutes_claimed, waiting_reason, no_show_by
FROM timesheets WHERE assignment_id = $1 FOR UPDATE
"""
CHECK_IN = """
UPDATE timesheets SET checked_in_at = $2, check_in_distance_m = $3, updated_at = $2 WHERE assignment_id = $1
"""
CHECK_OUT = """
UPDATE timesheets SET checked_out_at = $2, check_out_distance_m = $3, worked_minutes = $4, state = 'submitted',
    waiting_minutes_claimed = $5, waiting_reason = $6, updated_at = $2
WHERE assignment_id = $1
"""
APPROVE_TIMESHEET = """
UPDATE timesheets SET state = 'approved', approved_minutes = $2, adjust_reason = $3, approved_by = $4,
    approved_at = $5, updated_at = $5, waiting_minutes = $6, waiting_reason = $7
WHERE assignment_id = $1
"""
DISPUTE_TIMESHEET = """
UPDATE timesheets SET state = 'disputed', dispute_reason = $2, updated_at = now() WHERE assignment_id = $1
"""
NO_SHOW_TIMESHEET = """
UPDATE timesheets SET state = 'no_show', no_show_by = $3, updated_at = $2 WHERE assignment_id = $1
"""
SET_OVERRIDE = """
UPDATE timesheets SET location_override = $2, updated_at = now() WHERE assignment_id = $1
"""
SET_ASSIGNMENT_STATE = "UPDATE assignments SET state = $2, ended_at = $3 WHERE id = $1"
MOVE_RELIABILITY = """
UPDATE workers SET reliability = greatest(0, least(100, reliability + $2)) WHERE id = $1 RETURNING reliability
"""
DUE_FOR_AUTO_APPROVAL = """
SELECT assignment_id, checked_out_at FROM timesheets WHERE state = 'submitted' AND checked_out_at <= $1
  AND ($2::timestamptz IS NULL OR (checked_out_at, assignment_id) > ($2, $3::uuid))
ORDER BY checked_out_at, assignment_id LIMIT $4
"""
# Each seat with its own settlement (by assignment; a standby's pay settlement matches none).
ASSIGNMENTS_OF_WORKER = """
SELECT a.id, a.order_id, a.shift_id, a.state, lower(a.period) AS starts_at, upper(a.period) AS ends_at,
       a.rate_fen, a.created_at, o.title, o.relationship_type, o.site_address, o.district_code,
       t.state AS timesheet_state, t.checked_in_at, t.checked_out_at, t.worked_minutes, t.approved_minutes,
       s.id AS settlement_id, t.waiting_minutes
FROM assignments a JOIN orders o ON o.id = a.order_id
LEFT JOIN timesheets t ON t.assignment_id = a.id LEFT JOIN settlements s ON s.assignment_id = a.id
WHERE a.worker_id = $1 AND ($2::timestamptz IS NULL OR (a.created_at, a.id) < ($2, $3::uuid))
ORDER BY a.created_at DESC, a.id DESC LIMIT $4
"""
# An organisation's seats with their timesheets, newest first. A seat whose timesheet row is not yet
# written (it is made at the first attendance call) is `open`. $5/$6: a site manager's sites, an
# agency's own orders (Principal.sees_site, as the orders list); from/to: the shift's Beijing date.
TIMESHEETS_OF_ORGANISATION = """
SELECT a.id AS assignment_id, a.order_id, a.shift_id, o.title, a.worker_id, w.name AS worker_name,
       a.state AS assignment_state, lower(a.period) AS starts_at, upper(a.period) AS ends_at, a.created_at,
       coalesce(t.state, 'open') AS state, t.checked_in_at, t.checked_out_at, t.worked_minutes,
       t.approved_minutes, t.waiting_minutes, t.no_show_by
FROM assignments a JOIN orders o ON o.id = a.order_id JOIN workers w ON w.id = a.worker_id
LEFT JOIN timesheets t ON t.assignment_id = a.id
WHERE a.organisation_id = $1
  AND ($2::timestamptz IS NULL OR (a.created_at, a.id) < ($2, $3::uuid))
  AND ($5::uuid[] IS NULL OR o.site_id = ANY($5::uuid[]))
  AND ($6::uuid IS NULL OR o.agency_organisation_id = $6)
  AND ($7::text IS NULL OR coalesce(t.state, 'open') = $7)
  AND ($8::uuid IS NULL OR a.order_id = $8)
  AND ($9::date IS NULL OR (lower(a.period) AT TIME ZONE 'Asia/Shanghai')::date >= $9)
  AND ($10::date IS NULL OR (lower(a.period) AT TIME ZONE 'Asia/Shanghai')::date <= $10)
ORDER BY a.created_at DESC, a.id DESC LIMIT $4
"""


async def assignment(conn: asyncpg.Connection, assignment_id: uuid.UUID) -> AttendedAssignment | None:
    row = await conn.fetchrow(ASSIGNMENT, assignment_id)
    return None if row is None else AttendedAssignment(**dict(row))


async def ensure_timesheet(conn: asyncpg.Connection, assignment_id: uuid.UUID) -> None:
    await conn.execute(ENSURE_TIMESHEET, assignment_id)


async def timesheet_for_update(conn: asyncpg.Connection, assignment_id: uuid.UUID) -> TimesheetRecord | None:
    row = await conn.fetchrow(TIMESHEET_FOR_UPDATE, assignment_id)
    return None if row is None else TimesheetRecord(**dict(row))


async def record_check_in(conn: asyncpg.Connection, assignment_id: uuid.UUID, at: datetime, distance_m: int) -> None:
    await conn.execute(CHECK_IN, assignment_id, at, distance_m)


async def record_check_out(conn: asyncpg.Connection, assignment_id: uuid.UUID, at: datetime, distance_m: int,
                           worked_minutes: int, waiting_claimed: int | None, waiting_reason: str | None) -> None:
    await conn.execute(CHECK_OUT, assignment_id, at, distance_m, worked_minutes, waiting_claimed, waiting_reason)


async def record_approval(conn: asyncpg.Connection, assignment_id: uuid.UUID, minutes: int, reason: str | None,
                          by: str, at: datetime, waiting_minutes: int = 0, waiting_reason: str | None = None) -> None:
    await conn.execute(APPROVE_TIMESHEET, assignment_id, minutes, reason, by, at, waiting_minutes, waiting_reason)


async def record_dispute(conn: asyncpg.Connection, assignment_id: uuid.UUID, reason: str) -> None:
    await conn.execute(DISPUTE_TIMESHEET, assignment_id, reason)


async def record_no_show(conn: asyncpg.Connection, assignment_id: uuid.UUID, at: datetime, by: str) -> None:
    """`by`: 'employer' (the route) or 'platform' (the standby sweep, docs/standby.md)."""
    await conn.execute(NO_SHOW_TIMESHEET, assignment_id, at, by)


async def set_location_override(conn: asyncpg.Connection, assignment_id: uuid.UUID, allowed: bool) -> None:
    await conn.execute(SET_OVERRIDE, assignment_id, allowed)


async def set_assignment_state(conn: asyncpg.Connection, assignment_id: uuid.UUID, state: str,
                               ended_at: datetime) -> None:
    await conn.execute(SET_ASSIGNMENT_STATE, assignment_id, state, ended_at)


async def move_reliability(conn: asyncpg.Connection, worker_id: uuid.UUID, step: int) -> int:
    """Move the worker's reliability by `step`, within 0–100; the new value."""
    return await conn.fetchval(MOVE_RELIABILITY, worker_id, step)


async def due_for_auto_approval(conn: asyncpg.Connection, cutoff: datetime,
                                after: tuple[datetime, uuid.UUID] | None, limit: int,
                                ) -> list[tuple[datetime, uuid.UUID]]:
    """Submitted timesheets checked out by `cutoff`, as (checked_out_at, assignment_id), keyset-paged."""
    checked_out_at, assignment_id = after or (None, None)
    rows = await conn.fetch(DUE_FOR_AUTO_APPROVAL, cutoff, checked_out_at, assignment_id, limit)
    return [(r["checked_out_at"], r["assignment_id"]) for r in rows]


async def assignments_of_worker(conn: asyncpg.Connection, worker_id: uuid.UUID,
                                after: tuple[datetime, uuid.UUID] | None, limit: int) -> list[WorkerAssignment]:
    created_at, last_id = after or (None, None)
    rows = await conn.fetch(ASSIGNMENTS_OF_WORKER, worker_id, created_at, last_id, limit)
    return [WorkerAssignment(**dict(r)) for r in rows]


async def timesheets_of_organisation(conn: asyncpg.Connection, organisation_id: uuid.UUID, *,
                                     site_ids: list[uuid.UUID] | None, agency_id: uuid.UUID | None,
                                     state: str | None, order_id: uuid.UUID | None, from_date: date | None,
                                     to_date: date | None, after: tuple[datetime, uuid.UUID] | None,
                                     limit: int) -> list[EmployerTimesheet]:
    created_at, last_id = after or (None, None)
    rows = await conn.fetch(TIMESHEETS_OF_ORGANISATION, organisation_id, created_at, last_id, limit, site_ids,
                            agency_id, state, order_id, from_date, to_date)
    return [EmployerTimesheet(**dict(r)) for r in rows]
