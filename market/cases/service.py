"""Cases: opening, answering, accepting, escalating, taking over and deciding, each under the
case's row lock so two moves at once serialise (the second sees the first's state and is refused
with a 409); every move is written to the audit trail in the same transaction. Decisions take
effect through the existing mechanisms: reliability moves the way attendance moves it, and pay
complaints become rows of the arrears the settlement sweep keeps, with their supervisor alert.

Who sees a case: its worker, its organisation, the operator (admin) and the supervisors of its
district; anyone else is told it does not exist (404)."""
from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from market.attendance import queries as attendance_queries
from market.attendance.service import Attendance
from market.cases import model, queries
from market.cases.model import Kind, Move, Outcome, State
from market.cases.queries import CaseRow, EvidenceFileRow, EvidenceRow, TransitionRow
from market.catalogue.service import Catalogue
from market.constraints import Constraint, violated
from market.errors import Conflict, FieldError, NotFound, ValidationFailed
from market.events.outbox import emit
from market.kernel import clock
from market.kernel.clock import local_date
from market.kernel.principal import Principal
from market.orders.service import compensate_withdrawn_seat, minimum_wage_table
from market.settlement import queries as settlement_queries
from market.settlement.sweep import settle_assignment_compensation
from market.uploads import Store


@dataclass(frozen=True)
class CaseFile:
    """A case with its trail and evidence: what a party or a supervisor reads."""
    case: CaseRow
    transitions: list[TransitionRow]
    evidence: list[EvidenceRow]
    files: list[EvidenceFileRow]


class Cases:
    def __init__(self, pool: asyncpg.Pool, catalogue: Catalogue, store: Store, attendance: Attendance) -> None:
        self.pool = pool
        self.catalogue = catalogue
        self.store = store  # evidence files, outside the rows (market/uploads.py)
        self.attendance = attendance  # a decided timesheet dispute approves the timesheet

    async def open(self, caller: Principal, kind: Kind, statement: str, order_id: uuid.UUID | None,
                   assignment_id: uuid.UUID | None, *, now: datetime | None = None) -> CaseFile:
        """A worker opens a case against the employer of an order they worked or bid for. The
        kinds about one shift name its assignment, and the assignment must be in the state the
        kind is about (a no-show appeal on a no-show, a timesheet counter on a disputed one)."""
        now = clock.now(now)
        assert caller.worker_id is not None
        if kind in model.NEEDS_ASSIGNMENT and assignment_id is None:
            raise ValidationFailed([FieldError(("assignment_id",), f"a {kind.value} case names its assignment")])
        if assignment_id is None and order_id is None:
            raise ValidationFailed([FieldError(("order_id",), "name the order (or the assignment) the case is about")])
        async with self.pool.acquire() as conn, conn.transaction():
            about = await queries.subject(conn, caller.worker_id, order_id, assignment_id)
            if about is None:
                field = "assignment_id" if assignment_id is not None else "order_id"
                raise ValidationFailed([FieldError((field,), "not an order or assignment of yours")])
            if kind is Kind.no_show_appeal and about.assignment_state != "no_show":
                raise ValidationFailed([FieldError(("assignment_id",), "this assignment was not recorded as a no-show")])
            if kind is Kind.timesheet_dispute and about.timesheet_state != "disputed":
                raise ValidationFailed([FieldError(("assignment_id",), "this assignment's timesheet is not disputed")])
            if kind is Kind.reliability_appeal and not about.worker_cancelled_late:
                raise ValidationFailed([FieldError(("assignment_id",), "you did not give this seat back late: "
                                                                       "no reliability was taken for it")])
            if kind is Kind.cancelled_seat and about.assignment_state != "cancelled":
                raise ValidationFailed([FieldError(("assignment_id",), "this assignment was not cancelled")])
            try:
                async with conn.transaction():
                    case = await queries.insert_case(conn, kind.value, caller.worker_id, about, statement,
                                                     model.due_at(State.open, now), now)
            except asyncpg.UniqueViolationError as error:
                violated(error, Constraint.ONE_CASE_PER_SHIFT)
                raise Conflict(f"this shift already has a {kind.value} case: add evidence to it",
                               case_id=str(await queries.case_of_kind(conn, about.assignment_id, kind.value))) from None
            await queries.insert_transition(conn, case.id, caller.account_id, "worker", "open", None, State.open.value,
                                            None, now)
            await self._announce(conn, case, "open")
            return await self._file(conn, case)

    async def answer(self, caller: Principal, case_id: uuid.UUID, text: str, *,
                     now: datetime | None = None) -> CaseFile:
        return await self._move(caller, case_id, Move.answer, text, now=now, answer=text)

    async def accept(self, caller: Principal, case_id: uuid.UUID, note: str | None, *,
                     now: datetime | None = None) -> CaseFile:
        return await self._move(caller, case_id, Move.accept, note, now=now)

    async def escalate(self, caller: Principal, case_id: uuid.UUID, note: str | None, *,
                       now: datetime | None = None) -> CaseFile:
        return await self._move(caller, case_id, Move.escalate, note, now=now)

    async def take_over(self, caller: Principal, case_id: uuid.UUID, note: str | None, *,
                        now: datetime | None = None) -> CaseFile:
        return await self._move(caller, case_id, Move.take_over, note, now=now, taken_over_by=caller.account_id)

    async def decide(self, caller: Principal, case_id: uuid.UUID, outcome: Outcome, reason: str,
                     minutes: int | None = None, *, now: datetime | None = None) -> CaseFile:
        return await self._move(caller, case_id, Move.decide, reason, now=now, outcome=outcome, decision_reason=reason,
                                minutes=minutes)

    async def add_evidence(self, caller: Principal, case_id: uuid.UUID, body: str, *,
                           now: datetime | None = None) -> CaseFile:
        """A party (or the operator, or a supervisor in scope) adds evidence while the case is not closed."""
        now = clock.now(now)
        async with self.pool.acquire() as conn, conn.transaction():
            case = await self._visible(conn, caller, case_id, for_update=True)
            if State(case.state) in model.CLOSED:
                raise model.closed_conflict(State(case.state))
            await queries.insert_evidence(conn, case.id, caller.account_id, caller.role, body, now)
            return await self._file(conn, case)

    async def add_evidence_file(self, caller: Principal, case_id: uuid.UUID, data: bytes, media_type: str, *,
                                now: datetime | None = None) -> CaseFile:
        """A file of evidence (already judged by content, market/uploads.py), by whoever may add
        written evidence; kept only once the case is found open to the caller, so a refused one
        stores nothing."""
        now = clock.now(now)
        async with self.pool.acquire() as conn, conn.transaction():
            case = await self._visible(conn, caller, case_id, for_update=True)
            if State(case.state) in model.CLOSED:
                raise model.closed_conflict(State(case.state))
            stored = await asyncio.to_thread(self.store.put, data, media_type)
            await queries.insert_evidence_file(conn, case.id, caller.account_id, caller.role, stored.sha256,
                                               stored.media_type, stored.size, now)
            return await self._file(conn, case)

    async def evidence_file(self, caller: Principal, case_id: uuid.UUID,
                            file_id: uuid.UUID) -> tuple[EvidenceFileRow, bytes]:
        """One file of a case, to those who see the case."""
        async with self.pool.acquire() as conn:
            case = await self._visible(conn, caller, case_id)
            found = await queries.evidence_file(conn, case.id, file_id)
        if found is None:
            raise NotFound("no such file")
        return found, await asyncio.to_thread(self.store.read, found.sha256)

    async def get(self, caller: Principal, case_id: uuid.UUID) -> CaseFile:
        async with self.pool.acquire() as conn:
            return await self._file(conn, await self._visible(conn, caller, case_id))

    async def visible_to(self, caller: Principal) -> list[CaseRow]:
        """The caller's cases: a worker's own, an organisation's, a supervisor's districts', all for the operator."""
        async with self.pool.acquire() as conn:
            if caller.role == "worker":
                assert caller.worker_id is not None
                return await queries.cases_of_worker(conn, caller.worker_id)
            if caller.role == "employer":
                assert caller.organisation_id is not None
                return await queries.cases_of_organisation(conn, caller.organisation_id)
            if caller.role == "supervisor":
                return await queries.cases_in_districts(conn, sorted(caller.districts))
            return await queries.all_cases(conn)

    async def sweep(self, *, now: datetime | None = None, limit: int = 500) -> list[CaseRow]:
        """Escalate every case whose employer did not answer, or whose worker did not reply, in time."""
        now = clock.now(now)
        async with self.pool.acquire() as conn, conn.transaction():
            moved = []
            for case in await queries.overdue(conn, now, limit):
                if not model.expired(State(case.state), case.due_at, now):
                    continue
                after = model.transition(model.Case(State(case.state)), Move.expire, "system")
                moved.append(await self._write_move(conn, case, None, "system", Move.expire, after,
                                                    "the deadline passed", now))
            return moved

    # ---- internals ---------------------------------------------------------------------------------

    async def _move(self, caller: Principal, case_id: uuid.UUID, move: Move, note: str | None, *,
                    now: datetime | None, answer: str | None = None, outcome: Outcome | None = None,
                    decision_reason: str | None = None, taken_over_by: uuid.UUID | None = None,
                    minutes: int | None = None) -> CaseFile:
        now = clock.now(now)
        async with self.pool.acquire() as conn, conn.transaction():
            case = await self._visible(conn, caller, case_id, for_update=True)
            if outcome is not None and (refused := model.timesheet_minutes_error(outcome, Kind(case.kind), minutes)):
                raise ValidationFailed([FieldError(("minutes",), refused)])
            after = model.transition(model.Case(State(case.state), case.taken_over_by), move, caller.role,
                                     caller.account_id)
            moved = await self._write_move(conn, case, caller.account_id, caller.role, move, after, note, now,
                                           answer=answer, outcome=outcome.value if outcome else None,
                                           decision_reason=decision_reason, taken_over_by=taken_over_by)
            if outcome is not None:
                await self._take_effect(conn, moved, outcome, now, minutes)
            return await self._file(conn, moved)

    async def _write_move(self, conn: asyncpg.Connection, case: CaseRow, account_id: uuid.UUID | None, role: str,
                          move: Move, after: State, note: str | None, now: datetime, **changes: object) -> CaseRow:
        # take_over keeps the state and its clock; every other move starts the next state's clock.
        deadline = case.due_at if move is Move.take_over else model.due_at(after, now)
        moved = await queries.move_case(conn, case.id, after.value, deadline, now, **changes)  # type: ignore[arg-type]
        await queries.insert_transition(conn, case.id, account_id, role, move.value, case.state, after.value, note, now)
        await self._announce(conn, moved, move.value)
        return moved

    async def _take_effect(self, conn: asyncpg.Connection, case: CaseRow, outcome: Outcome, now: datetime,
                           minutes: int | None) -> None:
        """A decision's effects, each through the mechanism that owns the record (never an edit of it)."""
        kind = Kind(case.kind)
        if kind is Kind.timesheet_dispute and outcome is not Outcome.dismissed and case.assignment_id is not None:
            await self.attendance.approve_by_decision(conn, case.assignment_id, minutes,
                                                      f"case {case.id}: {case.decision_reason}", now)
        if points := model.reliability_returned(outcome, kind):
            await attendance_queries.move_reliability(conn, case.worker_id, points)
        if model.reliability_restored(outcome, kind) and case.assignment_id is not None:
            # The no-show is reversed: the seat the employer withdrew is owed what a late
            # cancellation owes, paid through the ledger.
            if await compensate_withdrawn_seat(conn, case.assignment_id, "no-show reversed by a case", now):
                await settle_assignment_compensation(conn, case.assignment_id, now=now,
                                                     minimum_wages=minimum_wage_table(await self.catalogue.data()))
        if model.becomes_arrears(outcome, kind) and case.assignment_id is not None:
            arrear_id = await queries.insert_arrear(conn, case.assignment_id, local_date(now), now)
            if arrear_id is not None:
                await settlement_queries.insert_alert(
                    conn, "arrears_wage_unpaid", case.district_code, case.organisation_id, case.order_id,
                    f"arrears:{arrear_id}", {"assignment_id": str(case.assignment_id), "case_id": str(case.id),
                                             "employer_at_fault": True}, now)
                await emit(conn, "arrears.recorded", {"arrears_id": str(arrear_id), "kind": "wage_unpaid",
                                                      "due_date": local_date(now).isoformat()},
                           district_code=case.district_code, worker_ids=[case.worker_id],
                           organisation_ids=[case.organisation_id])

    async def _visible(self, conn: asyncpg.Connection, caller: Principal, case_id: uuid.UUID, *,
                       for_update: bool = False) -> CaseRow:
        case = await queries.case_by_id(conn, case_id, for_update=for_update)
        if case is None or not _sees(caller, case):
            raise NotFound("no such case")
        return case

    async def _file(self, conn: asyncpg.Connection, case: CaseRow) -> CaseFile:
        return CaseFile(case, await queries.transitions_of(conn, case.id), await queries.evidence_of(conn, case.id),
                        await queries.evidence_files_of(conn, case.id))

    async def _announce(self, conn: asyncpg.Connection, case: CaseRow, move: str) -> None:
        await emit(conn, "case.moved", {"case_id": str(case.id), "kind": case.kind, "state": case.state, "move": move},
                   district_code=case.district_code, worker_ids=[case.worker_id],
                   organisation_ids=[case.organisation_id])


def _sees(caller: Principal, case: CaseRow) -> bool:
    if caller.role == "worker":
        return caller.worker_id == case.worker_id
    if caller.role == "employer":
        return caller.organisation_id == case.organisation_id
    if caller.role == "supervisor":
        return case.district_code in caller.districts
    return caller.role == "admin"
