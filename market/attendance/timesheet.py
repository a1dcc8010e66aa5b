"""The timesheet of one assignment as one pure state machine (SPEC §6), beside orders/lifecycle.py.
Standard library only (and market.errors for the refusal it raises).

    open ──check_in──▶ open (checked in) ──check_out──▶ submitted ──approve / auto_approve──▶ approved
      │                                                   │   ▲
      no_show                                          dispute │ approve
      ▼                                                   ▼   │
    no_show                                              disputed

| state     | event        | next      | who sends it, and what must also hold                          |
|-----------|--------------|-----------|----------------------------------------------------------------|
| open      | check_in     | open      | the worker, not yet checked in, from `check_in_opens_before` the start until the end |
| open      | check_out    | submitted | the worker, checked in, not before the check-in                 |
| open      | no_show      | no_show   | the employer, no check-in, from `no_show_grace` after the start; or the platform (the standby sweep), from its own grace, `MARKET_STANDBY_CHECK_IN_GRACE` |
| submitted | approve      | approved  | the employer (optionally adjusting the minutes)                 |
| disputed  | approve      | approved  | the employer, after settling the dispute                        |
| submitted | auto_approve | approved  | the sweep, `timesheet_auto_approve_after` after the check-out   |
| submitted | dispute      | disputed  | the employer                                                    |

Every event but `dispute` also needs the assignment active (a cancelled seat is never worked; an
approved one is completed, a missed one no_show). `approved` and `no_show` are terminal. Approval
completes the assignment; a no-show moves it to no_show.

Each refusal is a Conflict (409) whose detail and `current_state` are the HTTP answer's, word for
word: `refusal` decides them all, in the order the service has always checked them. The location
check (`settlement.model.check_location`, a 422) and the ownership check (a 404) are not state and
stay with the service; so does the adjusted-minutes validation of an approval.

Waiting time (宽放, `waiting_errors`): minutes the employer directed the worker to wait, which are
working time and paid — recorded for incomplete_labor (人社部发〔2021〕56号: 工作时间包括……必要的
宽放时间) and labor_part_time (labor law: time kept at the employer's disposal is working time),
refused for labor_service (a civil price agreed for the work) and shared_labor (the lender's
payroll pays its employee). Paid minutes plus waiting minutes stay within the shift's span, so the
part-time caps (4 h a day, 24 h a week), checked on the spans, hold for the paid time too.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from types import MappingProxyType

from market.errors import Conflict, FieldError
from market.kernel.clock import SHANGHAI  # refusals write times in Beijing time, as every response does


class TimesheetState(enum.StrEnum):
    open = "open"
    submitted = "submitted"
    approved = "approved"
    disputed = "disputed"
    no_show = "no_show"


class TimesheetEvent(enum.StrEnum):
    check_in = "check_in"
    check_out = "check_out"
    approve = "approve"
    auto_approve = "auto_approve"
    dispute = "dispute"
    no_show = "no_show"


S, E = TimesheetState, TimesheetEvent

TRANSITIONS: Mapping[tuple[TimesheetState, TimesheetEvent], TimesheetState] = MappingProxyType({
    (S.open, E.check_in): S.open,
    (S.open, E.check_out): S.submitted,
    (S.open, E.no_show): S.no_show,
    (S.submitted, E.approve): S.approved,
    (S.disputed, E.approve): S.approved,
    (S.submitted, E.auto_approve): S.approved,
    (S.submitted, E.dispute): S.disputed,
})
TERMINAL_STATES = frozenset({S.approved, S.no_show})

# What the assignment becomes when its timesheet takes the event (assignments.state).
ASSIGNMENT_AFTER: Mapping[TimesheetEvent, str] = MappingProxyType({
    E.approve: "completed", E.auto_approve: "completed", E.no_show: "no_show",
})


@dataclass(frozen=True)
class AttendanceRules:
    """The settings of attendance (MARKET_CHECK_IN_OPENS_BEFORE, MARKET_NO_SHOW_GRACE; and
    MARKET_TIMESHEET_AUTO_APPROVE_AFTER, which picks the timesheets the sweep sends auto_approve)."""

    check_in_opens_before: timedelta
    no_show_grace: timedelta
    auto_approve_after: timedelta = timedelta(hours=24)
    # MARKET_CHECK_IN_NEEDS_SIGNED_AGREEMENT: where the law asks for a written agreement, check-in
    # waits for every party's signature (market/contracts; the service asks, this pure core does not).
    needs_signed_agreement: bool = True


@dataclass(frozen=True)
class Timesheet:
    """What the guards look at: the timesheet, its assignment's state and its shift."""

    state: TimesheetState
    assignment_state: str
    starts_at: datetime
    ends_at: datetime
    checked_in_at: datetime | None = None
    checked_out_at: datetime | None = None
    no_show_by: str | None = None  # 'employer' or 'platform' once no_show


def allowed_events(sheet: Timesheet) -> list[TimesheetEvent]:
    """The events whose arrow leaves the sheet's state, in declaration order (time guards aside)."""
    return [event for event in TimesheetEvent if (sheet.state, event) in TRANSITIONS]


def no_show_allowed(now: datetime, shift_start: datetime, grace: timedelta, checked_in: bool) -> str | None:
    """Why a no-show may not be recorded yet, or None when it may."""
    if checked_in:
        return "the worker checked in"
    if now < shift_start + grace:
        return f"a no-show can be recorded from {(shift_start + grace).astimezone(SHANGHAI).isoformat()}"
    return None


def refusal(sheet: Timesheet, event: TimesheetEvent, now: datetime, rules: AttendanceRules) -> Conflict | None:
    """Why `event` may not happen to `sheet` at `now` (the 409 to raise), or None when it may."""
    state, assignment = sheet.state, sheet.assignment_state
    if event is E.check_in:
        if state is S.no_show and sheet.no_show_by == "platform":
            return Conflict("you did not check in within the grace after the start, so the platform recorded a "
                            "no-show and offered your seat to a standby worker", current_state=state.value,
                            reason="replaced_by_standby")
        if assignment != "active" or state is not S.open:
            return Conflict(f"this assignment is {assignment}, its timesheet {state}", current_state=state.value)
        if sheet.checked_in_at is not None:
            return Conflict("already checked in", current_state="checked_in")
        opens = sheet.starts_at - rules.check_in_opens_before
        if not opens <= now < sheet.ends_at:
            return Conflict(f"check-in is open from {opens.astimezone(SHANGHAI).isoformat()} until the shift ends",
                            current_state=state.value)
        return None
    if event is E.check_out:
        if assignment != "active":
            return Conflict(f"this assignment is {assignment}", current_state=assignment)
        if sheet.checked_in_at is None or state is not S.open:
            return Conflict("check in first" if sheet.checked_in_at is None else "already checked out",
                            current_state=state.value)
        if now < sheet.checked_in_at:
            # A clock behind the check-in's (another serve process, a step back of the clock): a
            # clear refusal, not the timesheets CHECK (check-out ≥ check-in) as a 500.
            return Conflict("a check-out cannot precede the check-in", current_state=state.value)
        return None
    if event is E.approve:
        if (state, event) not in TRANSITIONS:
            return Conflict(f"the timesheet is {state}; only a submitted or disputed one can be approved",
                            current_state=state.value)
        if assignment != "active":  # cancelled seats were never started (Orders.cancel keeps the rest)
            return Conflict(f"the assignment is {assignment}", current_state=assignment)
        return None
    if event is E.auto_approve:
        if (state, event) not in TRANSITIONS:
            return Conflict(f"the timesheet is {state}; only a submitted one is approved automatically",
                            current_state=state.value)
        if assignment != "active":
            return Conflict(f"the assignment is {assignment}", current_state=assignment)
        return None
    if event is E.dispute:
        if (state, event) not in TRANSITIONS:
            return Conflict(f"the timesheet is {state}; only a submitted one can be disputed",
                            current_state=state.value)
        return None
    if event is E.no_show:
        if assignment != "active" or state is not S.open:
            return Conflict(f"the assignment is {assignment}", current_state=state.value)
        why_not = no_show_allowed(now, sheet.starts_at, rules.no_show_grace, sheet.checked_in_at is not None)
        if why_not:
            return Conflict(f"no-show refused: {why_not}", current_state=state.value)
        return None
    raise AssertionError(f"unhandled timesheet event {event!r}")


def transition(sheet: Timesheet, event: TimesheetEvent, now: datetime, rules: AttendanceRules) -> Timesheet:
    """The sheet after `event` at `now`, or the Conflict (409) `refusal` names."""
    refused = refusal(sheet, event, now, rules)
    if refused is not None:
        raise refused
    after = replace(sheet, state=TRANSITIONS[(sheet.state, event)],
                    assignment_state=ASSIGNMENT_AFTER.get(event, sheet.assignment_state))
    if event is E.check_in:
        return replace(after, checked_in_at=now)
    if event is E.check_out:
        return replace(after, checked_out_at=now)
    return after


def worked_minutes(checked_in_at: datetime, checked_out_at: datetime, shift_start: datetime,
                   shift_end: datetime) -> int:
    """Whole minutes worked inside the shift: an early arrival or a late departure is not paid
    unless the employer adjusts the minutes on approval."""
    start = max(checked_in_at, shift_start)
    end = min(checked_out_at, shift_end)
    return max(0, int((end - start).total_seconds() // 60))


# The relationship types whose waiting time directed by the employer is working time (docstring above).
WAITING_IS_WORKING_TIME = frozenset({"incomplete_labor", "labor_part_time"})


def shift_span_minutes(starts_at: datetime, ends_at: datetime) -> int:
    return int((ends_at - starts_at).total_seconds() // 60)


def waiting_errors(relationship_type: str, waiting_minutes: int, paid_minutes: int, span_minutes: int,
                   ) -> list[FieldError]:
    """Why `waiting_minutes` of waiting time cannot be recorded beside `paid_minutes` of working
    time on a shift of `span_minutes`; [] when it can (no waiting is always fine)."""
    if waiting_minutes == 0:
        return []
    if relationship_type not in WAITING_IS_WORKING_TIME:
        return [FieldError(("waiting_minutes",), "waiting time is recorded only for incomplete_labor and "
                           "labor_part_time work, where it is working time",
                           {"reason": "waiting_not_working_time", "relationship": relationship_type})]
    room = max(0, span_minutes - paid_minutes)
    if waiting_minutes > room:
        return [FieldError(("waiting_minutes",), f"at most {room} minutes: the worked and waiting minutes "
                           f"stay within the shift's {span_minutes} minutes",
                           {"reason": "waiting_beyond_shift", "max_waiting_minutes": room})]
    return []
