"""The case state machine (market/cases/model.py): every transition, every refusal, every deadline. Pure."""
from __future__ import annotations

import uuid
from datetime import datetime

import pytest

from market.cases.model import (
    CLOSED, TRANSITIONS, Case, Kind, Move, Outcome, State, becomes_arrears, due_at, expired, reliability_restored,
    reliability_returned, timesheet_minutes_error,
    transition,
)
from market.errors import Conflict, Forbidden
from market.kernel.clock import SHANGHAI

SUPERVISOR = uuid.uuid4()


def at(month: int, day: int, hour: int = 10) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=SHANGHAI)


@pytest.mark.parametrize(("state", "move", "role", "after"), [
    (State.open, Move.answer, "employer", State.answered),
    (State.open, Move.escalate, "worker", State.escalated),
    (State.open, Move.expire, "system", State.escalated),
    (State.answered, Move.accept, "worker", State.resolved),
    (State.answered, Move.escalate, "worker", State.escalated),
    (State.answered, Move.expire, "system", State.escalated),
    (State.escalated, Move.take_over, "supervisor", State.escalated),
    (State.escalated, Move.decide, "admin", State.decided),
])
def test_each_transition(state, move, role, after):
    assert transition(Case(state), move, role) is after


def test_every_pair_not_in_the_table_is_a_409_naming_the_current_state():
    from market.cases.model import MOVERS

    for state in State:
        for move in Move:
            if (state, move) in TRANSITIONS or (state is State.escalated and move is Move.decide):
                continue
            role = sorted(MOVERS[move])[0]
            with pytest.raises(Conflict) as caught:
                transition(Case(state), move, role, SUPERVISOR)
            assert caught.value.extra == {"current_state": state.value}


def test_a_second_answer_is_a_409():
    with pytest.raises(Conflict) as caught:
        transition(Case(State.answered), Move.answer, "employer")
    assert caught.value.extra == {"current_state": "answered"}


def test_a_decision_on_a_closed_case_says_it_is_closed():
    for state in CLOSED:
        with pytest.raises(Conflict) as caught:
            transition(Case(state), Move.decide, "admin")
        assert "closed" in caught.value.detail and caught.value.extra == {"current_state": state.value}


@pytest.mark.parametrize(("move", "role"), [
    (Move.answer, "worker"), (Move.accept, "employer"), (Move.escalate, "employer"), (Move.decide, "employer"),
    (Move.decide, "worker"), (Move.take_over, "admin"), (Move.expire, "admin"),
])
def test_a_role_that_never_makes_a_move_is_forbidden(move, role):
    with pytest.raises(Forbidden):
        transition(Case(State.open if move is Move.answer else State.escalated), move, role)


def test_a_supervisor_decides_only_a_case_they_took_over_and_then_the_operator_does_not():
    with pytest.raises(Forbidden):
        transition(Case(State.escalated), Move.decide, "supervisor", SUPERVISOR)
    taken = Case(State.escalated, taken_over_by=SUPERVISOR)
    assert transition(taken, Move.decide, "supervisor", SUPERVISOR) is State.decided
    with pytest.raises(Forbidden):
        transition(taken, Move.decide, "supervisor", uuid.uuid4())
    with pytest.raises(Conflict):
        transition(taken, Move.decide, "admin")
    with pytest.raises(Conflict):
        transition(taken, Move.take_over, "supervisor", uuid.uuid4())


def test_the_employer_answers_within_three_working_days():
    # Thursday 2026-12-03: Fri 4, Mon 7, Tue 8 → due at the end of Tuesday
    assert due_at(State.open, at(12, 3)) == datetime(2026, 12, 9, tzinfo=SHANGHAI)


def test_the_answer_deadline_skips_the_national_day_holiday():
    # Tue 2026-09-29 10:00: Wed 30 is a working day, 1–7 October are holidays (国庆), Thu 8 and Fri 9 work
    assert due_at(State.open, at(9, 29)) == datetime(2026, 10, 10, tzinfo=SHANGHAI)


def test_the_worker_replies_within_five_working_days_and_the_platform_decides_within_15_days():
    assert due_at(State.answered, at(12, 3)) == datetime(2026, 12, 11, tzinfo=SHANGHAI)  # Fri 4 … Thu 10
    assert due_at(State.escalated, at(12, 3)) == at(12, 18)
    assert due_at(State.resolved, at(12, 3)) is None and due_at(State.decided, at(12, 3)) is None


def test_expiry_moves_open_and_answered_cases_only_once_due():
    deadline = at(12, 9, 0)
    assert not expired(State.open, deadline, at(12, 8, 23))
    assert expired(State.open, deadline, deadline) and expired(State.answered, deadline, deadline)
    assert not expired(State.escalated, deadline, at(12, 30)) and not expired(State.resolved, deadline, at(12, 30))
    assert not expired(State.open, None, at(12, 30))


def test_effects_follow_kind_and_outcome():
    assert reliability_restored(Outcome.upheld, Kind.no_show_appeal)
    assert reliability_restored(Outcome.partly_upheld, Kind.no_show_appeal)
    assert not reliability_restored(Outcome.dismissed, Kind.no_show_appeal)
    assert not reliability_restored(Outcome.upheld, Kind.unpaid_pay)
    assert becomes_arrears(Outcome.upheld, Kind.unpaid_pay) and becomes_arrears(Outcome.upheld, Kind.late_pay)
    assert not becomes_arrears(Outcome.dismissed, Kind.late_pay) and not becomes_arrears(Outcome.upheld, Kind.safety)


def test_an_upheld_appeal_gives_back_what_the_no_show_or_the_late_cancellation_took():
    assert reliability_returned(Outcome.upheld, Kind.no_show_appeal) == 10
    assert reliability_returned(Outcome.partly_upheld, Kind.reliability_appeal) == 5
    assert reliability_returned(Outcome.dismissed, Kind.reliability_appeal) == 0
    assert reliability_returned(Outcome.upheld, Kind.safety) == 0


def test_only_a_partly_upheld_timesheet_dispute_names_its_minutes():
    assert timesheet_minutes_error(Outcome.partly_upheld, Kind.timesheet_dispute, 120) is None
    assert timesheet_minutes_error(Outcome.upheld, Kind.timesheet_dispute, None) is None
    assert timesheet_minutes_error(Outcome.dismissed, Kind.timesheet_dispute, None) is None
    assert "names the minutes" in timesheet_minutes_error(Outcome.partly_upheld, Kind.timesheet_dispute, None)
    assert "only when" in timesheet_minutes_error(Outcome.upheld, Kind.timesheet_dispute, 60)
    assert "only for a timesheet dispute" in timesheet_minutes_error(Outcome.upheld, Kind.safety, 60)
    assert timesheet_minutes_error(Outcome.upheld, Kind.safety, None) is None
