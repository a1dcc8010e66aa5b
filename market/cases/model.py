"""The case state machine, its deadlines and who may move it: pure (no I/O), so every transition
and every refusal is tested on the unit tier (tests/cases/test_model.py). The rules and their
sources are in docs/cases.md."""
from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from market.attendance.model import RELIABILITY_LATE_WORKER_CANCELLATION, RELIABILITY_NO_SHOW
from market.errors import Conflict, Forbidden
from market.kernel import workdays
from market.kernel.clock import SHANGHAI, local_date


class Kind(enum.StrEnum):
    unpaid_pay = "unpaid_pay"
    late_pay = "late_pay"
    changed_terms = "changed_terms"
    safety = "safety"
    discrimination = "discrimination"
    timesheet_dispute = "timesheet_dispute"
    no_show_appeal = "no_show_appeal"
    reliability_appeal = "reliability_appeal"
    cancelled_seat = "cancelled_seat"


# Kinds about one assignment: the case names it (the no-show, the timesheet, the unpaid shift).
NEEDS_ASSIGNMENT = frozenset({Kind.unpaid_pay, Kind.late_pay, Kind.timesheet_dispute, Kind.no_show_appeal,
                              Kind.reliability_appeal, Kind.cancelled_seat})
PAY_KINDS = frozenset({Kind.unpaid_pay, Kind.late_pay})


class State(enum.StrEnum):
    open = "open"
    answered = "answered"
    resolved = "resolved"
    escalated = "escalated"
    decided = "decided"


CLOSED = frozenset({State.resolved, State.decided})


class Move(enum.StrEnum):
    answer = "answer"  # the employer answers
    accept = "accept"  # the worker accepts the answer
    escalate = "escalate"  # the worker asks the platform to decide
    expire = "expire"  # the deadline of the state passed (the sweep)
    take_over = "take_over"  # the district's supervisor takes an escalated case
    decide = "decide"  # the operator (or the supervisor who took it over) decides


class Outcome(enum.StrEnum):
    upheld = "upheld"
    partly_upheld = "partly_upheld"
    dismissed = "dismissed"


# (state, move) → next state. take_over keeps the state: it changes who decides.
TRANSITIONS: dict[tuple[State, Move], State] = {
    (State.open, Move.answer): State.answered,
    (State.open, Move.escalate): State.escalated,
    (State.open, Move.expire): State.escalated,
    (State.answered, Move.accept): State.resolved,
    (State.answered, Move.escalate): State.escalated,
    (State.answered, Move.expire): State.escalated,
    (State.escalated, Move.take_over): State.escalated,
    (State.escalated, Move.decide): State.decided,
}

# Who makes each move ('system' is the sweep).
MOVERS: dict[Move, frozenset[str]] = {
    Move.answer: frozenset({"employer"}),
    Move.accept: frozenset({"worker"}),
    Move.escalate: frozenset({"worker"}),
    Move.expire: frozenset({"system"}),
    Move.take_over: frozenset({"supervisor"}),
    Move.decide: frozenset({"admin", "supervisor"}),
}

# Deadlines (docs/cases.md): the employer answers within 3 working days (保障农民工工资支付条例
# makes wage complaints a matter of days, and 3 working days is the pilot notice's answer time);
# the worker has 5 working days to accept or escalate an answer; the platform decides within 15
# days of escalation (劳动争议调解仲裁法 art. 14: mediation ends within 15 days).
ANSWER_WORKING_DAYS = 3
REPLY_WORKING_DAYS = 5
DECISION_DAYS = 15


@dataclass(frozen=True)
class Case:
    state: State
    taken_over_by: uuid.UUID | None = None  # the supervisor account that decides instead of the operator


def after_working_days(start: datetime, days: int) -> datetime:
    """The end (24:00 Beijing time) of the `days`-th working day after `start`'s day."""
    day: date = local_date(start)
    for _ in range(days):
        day = workdays.first_working_day(day + timedelta(days=1))
    return datetime.combine(day + timedelta(days=1), time(0), SHANGHAI)


def due_at(state: State, since: datetime) -> datetime | None:
    """When a case entered `state` at `since` runs out of time there (None: no clock)."""
    if state is State.open:
        return after_working_days(since, ANSWER_WORKING_DAYS)
    if state is State.answered:
        return after_working_days(since, REPLY_WORKING_DAYS)
    if state is State.escalated:
        return since + timedelta(days=DECISION_DAYS)
    return None


def transition(case: Case, move: Move, role: str, account_id: uuid.UUID | None = None) -> State:
    """The state after `move` by a caller of `role`, or the refusal: a role that never makes the
    move is Forbidden (403); a move the state does not allow is a Conflict naming the state (409);
    once a supervisor took a case over, only that supervisor decides it, and a second take-over is
    a Conflict."""
    if role not in MOVERS[move]:
        raise Forbidden(f"a {role} cannot {move.value} a case")
    after = TRANSITIONS.get((case.state, move))
    if after is None:
        if case.state in CLOSED:
            raise closed_conflict(case.state)
        raise Conflict(f"a case that is {case.state.value} cannot be moved by {move.value}",
                       current_state=case.state.value)
    if move is Move.take_over and case.taken_over_by is not None:
        raise Conflict("this case has already been taken over by a supervisor", current_state=case.state.value)
    if move is Move.decide:
        if role == "supervisor" and case.taken_over_by != account_id:
            raise Forbidden("only the operator decides a case no supervisor has taken over")
        if role == "admin" and case.taken_over_by is not None:
            raise Conflict("a supervisor has taken this case over and decides it", current_state=case.state.value)
    return after


def closed_conflict(state: State) -> Conflict:
    return Conflict(f"this case is {state.value}, and a closed case does not change", current_state=state.value)


def expired(state: State, deadline: datetime | None, now: datetime) -> bool:
    """Whether the sweep escalates this case: its state has a clock that ran out and expiry moves it."""
    return deadline is not None and now >= deadline and (state, Move.expire) in TRANSITIONS


def timesheet_minutes_error(outcome: Outcome, kind: Kind, minutes: int | None) -> str | None:
    """Why a decision's `minutes` is refused, or None. A decided timesheet dispute approves the
    timesheet: upheld at the minutes the check-in and check-out recorded (the worker's side),
    partly upheld at the minutes the decision names; dismissed, the employer's approval stands."""
    if kind is not Kind.timesheet_dispute:
        return None if minutes is None else "minutes are decided only for a timesheet dispute"
    if outcome is Outcome.partly_upheld and minutes is None:
        return "a partly upheld timesheet dispute names the minutes to approve"
    if outcome is not Outcome.partly_upheld and minutes is not None:
        return "minutes are named only when a timesheet dispute is partly upheld"
    return None


def reliability_returned(outcome: Outcome, kind: Kind) -> int:
    """The reliability points an upheld (or partly upheld) appeal gives back: what the no-show, or
    the late cancellation the worker appeals (illness, an emergency), took (market/attendance/model.py)."""
    if outcome is Outcome.dismissed:
        return 0
    return {Kind.no_show_appeal: -RELIABILITY_NO_SHOW,
            Kind.reliability_appeal: -RELIABILITY_LATE_WORKER_CANCELLATION}.get(kind, 0)


def reliability_restored(outcome: Outcome, kind: Kind) -> bool:
    """An upheld (or partly upheld) no-show appeal reverses the no-show and what it cost."""
    return kind is Kind.no_show_appeal and outcome is not Outcome.dismissed


def becomes_arrears(outcome: Outcome, kind: Kind) -> bool:
    """An upheld (or partly upheld) unpaid or late pay complaint is wage arrears of the employer."""
    return kind in PAY_KINDS and outcome is not Outcome.dismissed
