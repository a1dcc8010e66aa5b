"""SQL of cases, their audit trail and evidence, and of the effects of decisions (arrears). Each
function takes a connection (the service owns the transaction)."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

import asyncpg


@dataclass(frozen=True)
class CaseRow:
    id: uuid.UUID
    kind: str
    state: str
    worker_id: uuid.UUID
    organisation_id: uuid.UUID
    district_code: str
    order_id: uuid.UUID | None
    assignment_id: uuid.UUID | None
    statement: str
    answer: str | None
    outcome: str | None
    decision_reason: str | None
    taken_over_by: uuid.UUID | None
    due_at: datetime | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class TransitionRow:
    account_id: uuid.UUID | None
    role: str
    move: str
    from_state: str | None
    to_state: str
    note: str | None
    created_at: datetime


@dataclass(frozen=True)
class EvidenceRow:
    id: uuid.UUID
    account_id: uuid.UUID
    role: str
    body: str
    created_at: datetime


@dataclass(frozen=True)
class EvidenceFileRow:
    id: uuid.UUID
    account_id: uuid.UUID
    role: str
    sha256: str
    media_type: str
    size_bytes: int
    created_at: datetime


@dataclass(frozen=True)
class Subject:
    """What a case is about, as the worker names it: the order's employer and district."""
    organisation_id: uuid.UUID
    district_code: str
    order_id: uuid.UUID
    assignment_id: uuid.UUID | None
    assignment_state: str | None
    timesheet_state: str | None
    # the worker gave the seat back inside the late-cancel window (what lowered their reliability):
    # a gig seat cancelled while its order was not (the order's cancellation is the employer's)
    worker_cancelled_late: bool


CASE_COLUMNS = ("id, kind, state, worker_id, organisation_id, district_code, order_id, assignment_id, statement, "
                "answer, outcome, decision_reason, taken_over_by, due_at, created_at, updated_at")
SUBJECT_OF_ASSIGNMENT = """
SELECT a.organisation_id, o.district_code, a.order_id, a.id AS assignment_id, a.state AS assignment_state,
       t.state AS timesheet_state,
       (a.state = 'cancelled' AND o.kind = 'gig' AND o.state <> 'cancelled' AND a.ended_at IS NOT NULL
        AND lower(a.period) - a.ended_at < make_interval(mins => o.late_cancel_window_minutes)) AS worker_cancelled_late
FROM assignments a JOIN orders o ON o.id = a.order_id LEFT JOIN timesheets t ON t.assignment_id = a.id
WHERE a.id = $1 AND a.worker_id = $2
"""
# An order the worker worked (an assignment) or bid for (a bid, or a consent to be lent to it).
SUBJECT_OF_ORDER = """
SELECT o.organisation_id, o.district_code, o.id AS order_id, NULL::uuid AS assignment_id,
       NULL::text AS assignment_state, NULL::text AS timesheet_state, false AS worker_cancelled_late
FROM orders o WHERE o.id = $1 AND (
    EXISTS (SELECT 1 FROM assignments a WHERE a.order_id = o.id AND a.worker_id = $2)
    OR EXISTS (SELECT 1 FROM bids b WHERE b.order_id = o.id AND b.worker_id = $2))
"""
INSERT_CASE = ("""
INSERT INTO cases (kind, worker_id, organisation_id, district_code, order_id, assignment_id, statement, due_at,
                   created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING """ + CASE_COLUMNS)
CASE_BY_ID = "SELECT " + CASE_COLUMNS + " FROM cases WHERE id = $1"
CASE_FOR_UPDATE = CASE_BY_ID + " FOR UPDATE"
MOVE_CASE = ("""
UPDATE cases SET state = $2, due_at = $3, updated_at = $4,
    answer = coalesce($5, answer), outcome = coalesce($6, outcome), decision_reason = coalesce($7, decision_reason),
    taken_over_by = coalesce($8, taken_over_by)
WHERE id = $1 RETURNING """ + CASE_COLUMNS)
INSERT_TRANSITION = """
INSERT INTO case_transitions (case_id, account_id, role, move, from_state, to_state, note, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
"""
TRANSITIONS_OF = ("SELECT account_id, role, move, from_state, to_state, note, created_at FROM case_transitions "
                  "WHERE case_id = $1 ORDER BY id")
INSERT_EVIDENCE = """
INSERT INTO case_evidence (case_id, account_id, role, body, created_at) VALUES ($1, $2, $3, $4, $5)
RETURNING id, account_id, role, body, created_at
"""
EVIDENCE_OF = "SELECT id, account_id, role, body, created_at FROM case_evidence WHERE case_id = $1 ORDER BY created_at, id"
CASES_WHERE = "SELECT " + CASE_COLUMNS + " FROM cases WHERE {} ORDER BY created_at DESC, id DESC LIMIT 500"
OVERDUE = ("SELECT " + CASE_COLUMNS + " FROM cases WHERE state IN ('open', 'answered') AND due_at <= $1 "
           "ORDER BY due_at LIMIT $2 FOR UPDATE SKIP LOCKED")
# An upheld pay complaint is wage arrears of the employer, through the arrears table the
# settlement sweep also writes (one per assignment and kind: a second upheld case adds none).
# The seat's own settlement only (by assignment): a standby's pay has none.
INSERT_ARREAR = """
INSERT INTO arrears (kind, assignment_id, organisation_id, worker_id, amount_fen, due_date, employer_at_fault, created_at)
SELECT 'wage_unpaid', a.id, a.organisation_id, a.worker_id,
       coalesce((SELECT coalesce(s.net_pay_fen, s.gross_fen) FROM settlements s WHERE s.assignment_id = a.id),
                a.rate_fen * (extract(epoch FROM upper(a.period) - lower(a.period)) / 3600)::bigint), $2, true, $3
FROM assignments a WHERE a.id = $1
ON CONFLICT (assignment_id, kind) DO NOTHING RETURNING id
"""


def case_of(row: asyncpg.Record) -> CaseRow:
    return CaseRow(**dict(row))


async def subject(conn: asyncpg.Connection, worker_id: uuid.UUID, order_id: uuid.UUID | None,
                  assignment_id: uuid.UUID | None) -> Subject | None:
    if assignment_id is not None:
        row = await conn.fetchrow(SUBJECT_OF_ASSIGNMENT, assignment_id, worker_id)
    else:
        row = await conn.fetchrow(SUBJECT_OF_ORDER, order_id, worker_id)
    return Subject(**dict(row)) if row else None


async def insert_case(conn: asyncpg.Connection, kind: str, worker_id: uuid.UUID, about: Subject, statement: str,
                      due_at: datetime | None, now: datetime) -> CaseRow:
    return case_of(await conn.fetchrow(INSERT_CASE, kind, worker_id, about.organisation_id, about.district_code,
                                       about.order_id, about.assignment_id, statement, due_at, now))


async def case_by_id(conn: asyncpg.Connection, case_id: uuid.UUID, *, for_update: bool = False) -> CaseRow | None:
    row = await conn.fetchrow(CASE_FOR_UPDATE if for_update else CASE_BY_ID, case_id)
    return case_of(row) if row else None


async def move_case(conn: asyncpg.Connection, case_id: uuid.UUID, state: str, due_at: datetime | None,
                    now: datetime, *, answer: str | None = None, outcome: str | None = None,
                    decision_reason: str | None = None, taken_over_by: uuid.UUID | None = None) -> CaseRow:
    return case_of(await conn.fetchrow(MOVE_CASE, case_id, state, due_at, now, answer, outcome, decision_reason,
                                       taken_over_by))


async def insert_transition(conn: asyncpg.Connection, case_id: uuid.UUID, account_id: uuid.UUID | None, role: str,
                            move: str, from_state: str | None, to_state: str, note: str | None,
                            now: datetime) -> None:
    await conn.execute(INSERT_TRANSITION, case_id, account_id, role, move, from_state, to_state, note, now)


async def transitions_of(conn: asyncpg.Connection, case_id: uuid.UUID) -> list[TransitionRow]:
    return [TransitionRow(**dict(r)) for r in await conn.fetch(TRANSITIONS_OF, case_id)]


async def insert_evidence(conn: asyncpg.Connection, case_id: uuid.UUID, account_id: uuid.UUID, role: str, body: str,
                          now: datetime) -> EvidenceRow:
    return EvidenceRow(**dict(await conn.fetchrow(INSERT_EVIDENCE, case_id, account_id, role, body, now)))


async def evidence_of(conn: asyncpg.Connection, case_id: uuid.UUID) -> list[EvidenceRow]:
    return [EvidenceRow(**dict(r)) for r in await conn.fetch(EVIDENCE_OF, case_id)]


async def cases_of_worker(conn: asyncpg.Connection, worker_id: uuid.UUID) -> list[CaseRow]:
    return [case_of(r) for r in await conn.fetch(CASES_WHERE.format("worker_id = $1"), worker_id)]


async def cases_of_organisation(conn: asyncpg.Connection, organisation_id: uuid.UUID) -> list[CaseRow]:
    return [case_of(r) for r in await conn.fetch(CASES_WHERE.format("organisation_id = $1"), organisation_id)]


async def cases_in_districts(conn: asyncpg.Connection, districts: list[str]) -> list[CaseRow]:
    return [case_of(r) for r in await conn.fetch(CASES_WHERE.format("district_code = ANY($1::text[])"), districts)]


async def all_cases(conn: asyncpg.Connection) -> list[CaseRow]:
    return [case_of(r) for r in await conn.fetch(CASES_WHERE.format("true"))]


async def overdue(conn: asyncpg.Connection, now: datetime, limit: int) -> list[CaseRow]:
    return [case_of(r) for r in await conn.fetch(OVERDUE, now, limit)]


async def insert_arrear(conn: asyncpg.Connection, assignment_id: uuid.UUID, due_date: date,
                        now: datetime) -> uuid.UUID | None:
    return await conn.fetchval(INSERT_ARREAR, assignment_id, due_date, now)


async def case_of_kind(conn: asyncpg.Connection, assignment_id: uuid.UUID | None, kind: str) -> uuid.UUID | None:
    """The case of `kind` about an assignment (there is at most one: cases_one_per_assignment_and_kind)."""
    return await conn.fetchval("SELECT id FROM cases WHERE assignment_id = $1 AND kind = $2", assignment_id, kind)


EVIDENCE_FILE_COLUMNS = "id, account_id, role, sha256, media_type, size_bytes, created_at"


async def insert_evidence_file(conn: asyncpg.Connection, case_id: uuid.UUID, account_id: uuid.UUID, role: str,
                               sha256: str, media_type: str, size_bytes: int, now: datetime) -> uuid.UUID:
    return await conn.fetchval(
        "INSERT INTO case_evidence_files (case_id, account_id, role, sha256, media_type, size_bytes, created_at) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id", case_id, account_id, role, sha256, media_type,
        size_bytes, now)


async def evidence_files_of(conn: asyncpg.Connection, case_id: uuid.UUID) -> list[EvidenceFileRow]:
    rows = await conn.fetch("SELECT " + EVIDENCE_FILE_COLUMNS + " FROM case_evidence_files WHERE case_id = $1 "
                            "ORDER BY created_at, id", case_id)
    return [EvidenceFileRow(**dict(r)) for r in rows]


async def evidence_file(conn: asyncpg.Connection, case_id: uuid.UUID, file_id: uuid.UUID) -> EvidenceFileRow | None:
    row = await conn.fetchrow("SELECT " + EVIDENCE_FILE_COLUMNS + " FROM case_evidence_files "
                              "WHERE case_id = $1 AND id = $2", case_id, file_id)
    return EvidenceFileRow(**dict(row)) if row else None
