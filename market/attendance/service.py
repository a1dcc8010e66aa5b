"""Attendance service: check-in, check-out, the location override, approval, dispute, no-show, and
the automatic approval of timesheets left unanswered. Owns its transactions; another party's
assignment is a 404. Every change of a timesheet is one block (`_change`): lock the timesheet,
ask the state machine (timesheet.py) whether the event may happen, write, emit, re-read.

What an approval or a no-show does to the money (settle the timesheet, release the escrow hold)
belongs to settlement, a layer above: it is handed in as a `TimesheetMoney` and runs in the same
transaction, so an approval escrow cannot cover changes nothing."""
from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Protocol

import asyncpg

from market.kernel.principal import Principal
from market.attendance import queries
from market.attendance.model import (
    RELIABILITY_COMPLETED, RELIABILITY_LATE_WORKER_CANCELLATION, RELIABILITY_NO_SHOW, AttendedAssignment,
    EmployerTimesheet, TimesheetRecord, WorkerAssignment, check_location,
)
from market.attendance.timesheet import (
    AttendanceRules, TimesheetEvent, refusal, shift_span_minutes, transition, waiting_errors, worked_minutes,
)
from market.certificates.service import refuse_unless_covered
from market.config import Settings
from market.contracts import service as contracts
from market.errors import Conflict, FieldError, NotFound, ValidationFailed
from market.events.outbox import emit
from market.geo import haversine_m
from market.kernel import clock

SWEEP_BATCH = 200  # submitted timesheets read per page by the automatic approval


class TimesheetMoney(Protocol):
    """What settlement does, inside attendance's transaction, when a timesheet ends."""

    async def settle_approved(self, conn: asyncpg.Connection, assignment_id: uuid.UUID, minutes: int,
                              now: datetime) -> None:
        """Settle an approval at once; raise (InsufficientEscrow, a 409) when escrow cannot cover it."""

    async def release_hold(self, conn: asyncpg.Connection, assignment_id: uuid.UUID, reason: str,
                           now: datetime) -> None:
        """Give the assignment's escrow hold back to the employer."""


@dataclass(frozen=True)
class Happened:
    kind: str
    payload: dict


Write = Callable[[asyncpg.Connection, AttendedAssignment, TimesheetRecord], Awaitable[Happened]]
After = Callable[[asyncpg.Connection], Awaitable[None]]


def rules_of(settings: Settings) -> AttendanceRules:
    return AttendanceRules(check_in_opens_before=settings.check_in_opens_before, no_show_grace=settings.no_show_grace,
                           auto_approve_after=settings.timesheet_auto_approve_after,
                           needs_signed_agreement=settings.check_in_needs_signed_agreement)


class Attendance:
    def __init__(self, pool: asyncpg.Pool, rules: AttendanceRules, money: Callable[[], TimesheetMoney]) -> None:
        self.pool = pool
        self.rules = rules
        self._money = money  # looked up when used: settlement is wired after attendance

    # ---- the one block ---------------------------------------------------------------------------

    async def _owned(self, conn: asyncpg.Connection, caller: Principal, assignment_id: uuid.UUID,
                     ) -> AttendedAssignment:
        found = await queries.assignment(conn, assignment_id)
        owner = found and (found.worker_id if caller.role == "worker" else found.organisation_id)
        mine = caller.worker_id if caller.role == "worker" else caller.organisation_id
        if found is None or owner != mine or (
                caller.role != "worker" and not caller.sees_site(found.site_id, found.agency_organisation_id)):
            raise NotFound("no such assignment")  # a site manager's reach: their sites (docs/organisations.md)
        await queries.ensure_timesheet(conn, assignment_id)
        return found

    async def _change(self, conn: asyncpg.Connection, assignment: AttendedAssignment, sheet: TimesheetRecord,
                      event: TimesheetEvent, now: datetime, write: Write, after: After | None = None,
                      rules: AttendanceRules | None = None) -> TimesheetRecord:
        """Guard, write, emit, then what follows in the same transaction; the timesheet as it is now."""
        transition(sheet.guarded(assignment), event, now, rules or self.rules)
        happened = await write(conn, assignment, sheet)
        await emit(conn, happened.kind, happened.payload,
                   organisation_ids=[assignment.organisation_id], worker_ids=[assignment.worker_id])
        if after is not None:
            await after(conn)
        return await queries.timesheet_for_update(conn, assignment.id)

    async def _caller_changes(self, caller: Principal, assignment_id: uuid.UUID, event: TimesheetEvent,
                              now: datetime, write: Write, after: After | None = None) -> TimesheetRecord:
        async with self.pool.acquire() as conn, conn.transaction():
            assignment = await self._owned(conn, caller, assignment_id)
            sheet = await queries.timesheet_for_update(conn, assignment_id)
            return await self._change(conn, assignment, sheet, event, now, write, after)

    # ---- the events --------------------------------------------------------------------------------

    async def check_in(self, caller: Principal, assignment_id: uuid.UUID, lat: float, lon: float, *,
                       now: datetime | None = None) -> TimesheetRecord:
        now = clock.now(now)

        async def write(conn, assignment, sheet):
            distance = _distance(assignment, sheet, lat, lon)
            if self.rules.needs_signed_agreement and (unsigned := await contracts.check_in_refusal(conn, assignment.id)):
                raise Conflict(unsigned, current_state=sheet.state, reason="agreement_unsigned")
            # A seat needing a certificate is started only by a worker holding it, verified, through
            # the shift's last day (it may have expired or been replaced since the seat was taken).
            await refuse_unless_covered(conn, assignment.worker_id, assignment.order_id, assignment.ends_at,
                                        sheet.state)
            await queries.record_check_in(conn, assignment.id, now, round(distance))
            return Happened("assignment.checked_in", {"assignment_id": str(assignment.id)})
        return await self._caller_changes(caller, assignment_id, TimesheetEvent.check_in, now, write)

    async def check_out(self, caller: Principal, assignment_id: uuid.UUID, lat: float, lon: float, *,
                        waiting_minutes: int | None = None, waiting_reason: str | None = None,
                        now: datetime | None = None) -> TimesheetRecord:
        """Check out, submitting the timesheet; `waiting_minutes` is the 宽放 waiting time the worker
        claims (the employer approves it, or disputes it and approves its own figure)."""
        now = clock.now(now)

        async def write(conn, assignment, sheet):
            distance = _distance(assignment, sheet, lat, lon)
            minutes = worked_minutes(sheet.checked_in_at, now, assignment.starts_at, assignment.ends_at)
            _check_waiting(assignment, waiting_minutes or 0, minutes)
            await queries.record_check_out(conn, assignment.id, now, round(distance), minutes, waiting_minutes,
                                           waiting_reason)
            return Happened("assignment.checked_out", {"assignment_id": str(assignment.id), "worked_minutes": minutes,
                                                       "waiting_minutes": waiting_minutes or 0})
        return await self._caller_changes(caller, assignment_id, TimesheetEvent.check_out, now, write)

    async def set_location_override(self, caller: Principal, assignment_id: uuid.UUID, allowed: bool,
                                    ) -> TimesheetRecord:
        async with self.pool.acquire() as conn, conn.transaction():
            await self._owned(conn, caller, assignment_id)
            await queries.set_location_override(conn, assignment_id, allowed)
            return await queries.timesheet_for_update(conn, assignment_id)

    async def approve(self, caller: Principal, assignment_id: uuid.UUID, minutes: int | None = None,
                      reason: str | None = None, *, waiting_minutes: int | None = None,
                      waiting_reason: str | None = None, now: datetime | None = None) -> TimesheetRecord:
        """Approve a submitted (or disputed) timesheet and settle it in the same transaction. An
        employer whose escrow does not cover it gets a 409 and nothing changes. `waiting_minutes`:
        the 宽放 waiting time approved and paid (else the worker's claim, if any)."""
        now = clock.now(now)
        if minutes is not None and not reason:
            raise ValidationFailed([FieldError(("reason",), "say why the minutes were adjusted")])
        approved: list[int] = []

        async def write(conn, assignment, sheet):
            approved.append(sheet.worked_minutes if minutes is None else minutes)
            waiting = (sheet.waiting_minutes_claimed or 0) if waiting_minutes is None else waiting_minutes
            _check_waiting(assignment, waiting, approved[0])
            return await _record_approval(conn, assignment, approved[0], reason, "employer", now, waiting,
                                          waiting_reason or sheet.waiting_reason)

        async def settle(conn):
            await self._money().settle_approved(conn, assignment_id, approved[0], now)
        return await self._caller_changes(caller, assignment_id, TimesheetEvent.approve, now, write, settle)

    async def approve_by_decision(self, conn: asyncpg.Connection, assignment_id: uuid.UUID, minutes: int | None,
                                  reason: str, now: datetime) -> bool:
        """A case's decision on a disputed timesheet approves it as the platform, in the decision's
        transaction, at `minutes` (None: the minutes the check-in and check-out recorded) with the
        worker's waiting claim; settled by the settlement sweep, as an auto-approval is (an escrow
        that does not cover it becomes arrears there, never a refused decision). False when the
        timesheet is no longer disputed (the employer approved it meanwhile): nothing to do."""
        assignment = await queries.assignment(conn, assignment_id)
        sheet = await queries.timesheet_for_update(conn, assignment_id)
        if assignment is None or sheet.state != "disputed":
            return False

        async def write(conn, assignment, sheet):
            approved = sheet.worked_minutes if minutes is None else minutes
            waiting = sheet.waiting_minutes_claimed or 0
            _check_waiting(assignment, waiting, approved)
            return await _record_approval(conn, assignment, approved, reason, "platform", now, waiting,
                                          sheet.waiting_reason)
        await self._change(conn, assignment, sheet, TimesheetEvent.approve, now, write)
        return True

    async def dispute(self, caller: Principal, assignment_id: uuid.UUID, reason: str, *,
                      now: datetime | None = None) -> TimesheetRecord:
        async def write(conn, assignment, sheet):
            await queries.record_dispute(conn, assignment.id, reason)
            return Happened("timesheet.disputed", {"assignment_id": str(assignment.id), "reason": reason})
        return await self._caller_changes(caller, assignment_id, TimesheetEvent.dispute, clock.now(now), write)

    async def no_show(self, caller: Principal, assignment_id: uuid.UUID, *,
                      now: datetime | None = None) -> TimesheetRecord:
        now = clock.now(now)
        return await self._caller_changes(caller, assignment_id, TimesheetEvent.no_show, now,
                                          self._no_show_write("employer", now))

    async def no_show_by_platform(self, conn: asyncpg.Connection, assignment_id: uuid.UUID, grace: timedelta,
                                  now: datetime) -> bool:
        """The standby sweep records a no-show on the platform's behalf, in its transaction (which
        holds the order's row lock), once `grace` (MARKET_STANDBY_CHECK_IN_GRACE) has passed since
        the start without a check-in: the same event, guards and money as the employer's no-show,
        with `no_show_by` 'platform'. The timesheet's row lock decides a race with the worker's
        check-in: whichever comes second sees the other's write (a checked-in sheet refuses the
        no-show; a no_show one refuses the check-in, reason replaced_by_standby). False when the
        guards refuse (checked in meanwhile, the seat ended, the grace not passed)."""
        assignment = await queries.assignment(conn, assignment_id)
        if assignment is None:
            return False
        await queries.ensure_timesheet(conn, assignment_id)
        sheet = await queries.timesheet_for_update(conn, assignment_id)
        rules = replace(self.rules, no_show_grace=grace)
        if refusal(sheet.guarded(assignment), TimesheetEvent.no_show, now, rules):
            return False
        await self._change(conn, assignment, sheet, TimesheetEvent.no_show, now,
                           self._no_show_write("platform", now), rules=rules)
        return True

    def _no_show_write(self, by: str, now: datetime) -> Write:
        """A no-show's writes: the timesheet (and who recorded it), the assignment, reliability, and
        the seat's escrow hold back to the employer."""
        async def write(conn, assignment, sheet):
            await queries.record_no_show(conn, assignment.id, now, by)
            await queries.set_assignment_state(conn, assignment.id, "no_show", now)
            await queries.move_reliability(conn, assignment.worker_id, RELIABILITY_NO_SHOW)
            await self._money().release_hold(conn, assignment.id, "no-show", now)
            return Happened("assignment.no_show", {"assignment_id": str(assignment.id), "recorded_by": by})
        return write

    async def auto_approve(self, *, now: datetime | None = None) -> list[uuid.UUID]:
        """Approve every timesheet submitted longer ago than the setting, each in its own
        transaction; the ones approved, for settlement to settle in batches."""
        now = clock.now(now)
        cutoff = now - self.rules.auto_approve_after
        approved: list[uuid.UUID] = []
        after = None

        async def write(conn, assignment, sheet):
            # Unanswered, the worker's figures stand: the minutes as checked out and the waiting claimed.
            return await _record_approval(conn, assignment, sheet.worked_minutes, None, "auto", now,
                                          sheet.waiting_minutes_claimed or 0, sheet.waiting_reason)
        while True:
            async with self.pool.acquire() as conn:
                due = await queries.due_for_auto_approval(conn, cutoff, after, SWEEP_BATCH)
            if not due:
                return approved
            after = due[-1]
            for _, assignment_id in due:
                async with self.pool.acquire() as conn, conn.transaction():
                    sheet = await queries.timesheet_for_update(conn, assignment_id)
                    assignment = await queries.assignment(conn, assignment_id)
                    if refusal(sheet.guarded(assignment), TimesheetEvent.auto_approve, now, self.rules):
                        continue  # answered, or its seat ended, since it was read
                    await self._change(conn, assignment, sheet, TimesheetEvent.auto_approve, now, write)
                    approved.append(assignment_id)

    # ---- reads ------------------------------------------------------------------------------------

    async def worker_assignments(self, caller: Principal, after: tuple | None, limit: int) -> list[WorkerAssignment]:
        async with self.pool.acquire() as conn:
            return await queries.assignments_of_worker(conn, caller.worker_id, after, limit)

    async def organisation_timesheets(self, caller: Principal, *, state: str | None, order_id: uuid.UUID | None,
                                      from_date: date | None, to_date: date | None, after: tuple | None,
                                      limit: int) -> list[EmployerTimesheet]:
        """The caller organisation's seats with their timesheets. The reach is `_owned`'s for one
        seat, as a filter: a site manager's sites only (an order naming no site is the owner's), an
        agency's own orders; finance reads them all."""
        site_ids = sorted(caller.site_ids) if caller.organisation_role == "site_manager" else None
        async with self.pool.acquire() as conn:
            return await queries.timesheets_of_organisation(
                conn, caller.organisation_id, site_ids=site_ids, agency_id=caller.agency_organisation_id,
                state=state, order_id=order_id, from_date=from_date, to_date=to_date, after=after, limit=limit)


def _distance(assignment: AttendedAssignment, sheet: TimesheetRecord, lat: float, lon: float) -> float:
    distance = haversine_m(lat, lon, assignment.site_lat, assignment.site_lon)
    check_location(distance, assignment.check_in_radius_m, sheet.location_override)
    return distance


def _check_waiting(assignment: AttendedAssignment, waiting_minutes: int, paid_minutes: int) -> None:
    """422 on waiting_minutes when the relationship type has no waiting time or it leaves the shift."""
    errors = waiting_errors(assignment.relationship_type, waiting_minutes, paid_minutes,
                            shift_span_minutes(assignment.starts_at, assignment.ends_at))
    if errors:
        raise ValidationFailed(errors)


async def _record_approval(conn: asyncpg.Connection, assignment: AttendedAssignment, minutes: int,
                           reason: str | None, by: str, now: datetime, waiting_minutes: int = 0,
                           waiting_reason: str | None = None) -> Happened:
    await queries.record_approval(conn, assignment.id, minutes, reason, by, now, waiting_minutes, waiting_reason)
    await queries.set_assignment_state(conn, assignment.id, "completed", now)
    await queries.move_reliability(conn, assignment.worker_id, RELIABILITY_COMPLETED)
    return Happened("timesheet.auto_approved" if by == "auto" else "timesheet.approved",
                  {"assignment_id": str(assignment.id), "order_id": str(assignment.order_id),
                   "approved_minutes": minutes, "waiting_minutes": waiting_minutes})


async def record_late_worker_cancellation(conn: asyncpg.Connection, worker_id: uuid.UUID) -> int:
    """Lower a worker's reliability for cancelling an assignment late; returns the new value.
    Called by `Allocations.cancel_assignment` (POST /v1/assignments/{id}/cancel), in its transaction."""
    return await queries.move_reliability(conn, worker_id, RELIABILITY_LATE_WORKER_CANCELLATION)
