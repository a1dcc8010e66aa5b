"""The timesheet state machine (market/attendance/timesheet.py): pure, no server, no fixtures."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from market.attendance.timesheet import (
    ASSIGNMENT_AFTER, TERMINAL_STATES, TRANSITIONS, AttendanceRules, Timesheet, TimesheetEvent as E,
    TimesheetState as S, allowed_events, refusal, transition, worked_minutes,
)
from market.errors import Conflict

RULES = AttendanceRules(check_in_opens_before=timedelta(minutes=30), no_show_grace=timedelta(minutes=20))
START = datetime(2026, 12, 7, 1, 0, tzinfo=timezone.utc)  # 09:00 in Chongqing
END = START + timedelta(hours=4)


def sheet(state: S = S.open, assignment: str = "active", checked_in_at: datetime | None = None) -> Timesheet:
    return Timesheet(state, assignment, START, END, checked_in_at)


def refused(before: Timesheet, event: E, now: datetime) -> Conflict:
    with pytest.raises(Conflict) as caught:
        transition(before, event, now, RULES)
    return caught.value


def test_a_worker_checks_in_from_half_an_hour_before_the_start():
    after = transition(sheet(), E.check_in, START - timedelta(minutes=30), RULES)
    assert (after.state, after.checked_in_at) == (S.open, START - timedelta(minutes=30))


def test_a_check_in_before_the_window_names_when_it_opens_in_beijing_time():
    error = refused(sheet(), E.check_in, START - timedelta(minutes=31))
    assert error.detail == "check-in is open from 2026-12-07T08:30:00+08:00 until the shift ends"
    assert error.extra == {"current_state": "open"}


def test_a_check_in_at_the_end_of_the_shift_is_too_late():
    assert refused(sheet(), E.check_in, END).detail.startswith("check-in is open from")


def test_a_second_check_in_is_refused_as_already_checked_in():
    error = refused(sheet(checked_in_at=START), E.check_in, START + timedelta(minutes=1))
    assert (error.detail, error.extra) == ("already checked in", {"current_state": "checked_in"})


def test_a_check_in_on_a_cancelled_assignment_names_both_states():
    error = refused(sheet(assignment="cancelled"), E.check_in, START)
    assert (error.detail, error.extra) == ("this assignment is cancelled, its timesheet open", {"current_state": "open"})


def test_checking_out_submits_the_timesheet():
    after = transition(sheet(checked_in_at=START), E.check_out, END, RULES)
    assert (after.state, after.checked_out_at) == (S.submitted, END)


def test_a_check_out_without_a_check_in_says_check_in_first():
    error = refused(sheet(), E.check_out, START)
    assert (error.detail, error.extra) == ("check in first", {"current_state": "open"})


def test_a_second_check_out_is_refused_as_already_checked_out():
    error = refused(sheet(S.submitted, checked_in_at=START), E.check_out, END)
    assert (error.detail, error.extra) == ("already checked out", {"current_state": "submitted"})


def test_a_check_out_on_an_ended_assignment_carries_the_assignments_state():
    error = refused(sheet(S.approved, "completed", START), E.check_out, END)
    assert (error.detail, error.extra) == ("this assignment is completed", {"current_state": "completed"})


def test_a_check_out_before_the_check_in_is_refused():
    error = refused(sheet(checked_in_at=START), E.check_out, START - timedelta(seconds=1))
    assert error.detail == "a check-out cannot precede the check-in"


@pytest.mark.parametrize("state", [S.submitted, S.disputed])
def test_a_submitted_or_disputed_timesheet_can_be_approved_and_completes_the_assignment(state):
    after = transition(sheet(state, checked_in_at=START), E.approve, END, RULES)
    assert (after.state, after.assignment_state) == (S.approved, "completed")


def test_an_open_timesheet_cannot_be_approved():
    error = refused(sheet(), E.approve, END)
    assert error.detail == "the timesheet is open; only a submitted or disputed one can be approved"
    assert error.extra == {"current_state": "open"}


def test_a_submitted_timesheet_of_a_cancelled_assignment_cannot_be_approved():
    error = refused(sheet(S.submitted, "cancelled", START), E.approve, END)
    assert (error.detail, error.extra) == ("the assignment is cancelled", {"current_state": "cancelled"})


def test_a_disputed_timesheet_is_not_approved_automatically():
    assert refusal(sheet(S.disputed, checked_in_at=START), E.auto_approve, END, RULES) is not None


def test_only_a_submitted_timesheet_can_be_disputed():
    error = refused(sheet(S.disputed, checked_in_at=START), E.dispute, END)
    assert error.detail == "the timesheet is disputed; only a submitted one can be disputed"
    assert transition(sheet(S.submitted, checked_in_at=START), E.dispute, END, RULES).state is S.disputed


def test_a_no_show_is_refused_inside_the_grace_period_with_the_time_it_may_be_recorded_from():
    error = refused(sheet(), E.no_show, START + timedelta(minutes=19))
    assert error.detail == "no-show refused: a no-show can be recorded from 2026-12-07T09:20:00+08:00"
    assert error.extra == {"current_state": "open"}


def test_a_no_show_after_the_grace_period_moves_the_assignment_to_no_show():
    after = transition(sheet(), E.no_show, START + timedelta(minutes=20), RULES)
    assert (after.state, after.assignment_state) == (S.no_show, "no_show")


def test_a_worker_who_checked_in_is_no_no_show():
    assert refused(sheet(checked_in_at=START), E.no_show, END).detail == "no-show refused: the worker checked in"


def test_a_no_show_on_a_submitted_timesheet_names_the_assignments_state():
    error = refused(sheet(S.submitted, checked_in_at=START), E.no_show, END)
    assert (error.detail, error.extra) == ("the assignment is active", {"current_state": "submitted"})


def test_a_check_in_after_the_platforms_no_show_says_the_seat_went_to_a_standby():
    replaced = Timesheet(S.no_show, "no_show", START, END, no_show_by="platform")
    error = refused(replaced, E.check_in, START + timedelta(minutes=16))
    assert error.extra == {"current_state": "no_show", "reason": "replaced_by_standby"}
    assert "standby" in error.detail
    # the employer's no-show keeps the plain refusal
    by_employer = refused(Timesheet(S.no_show, "no_show", START, END, no_show_by="employer"), E.check_in,
                          START + timedelta(minutes=25))
    assert "reason" not in by_employer.extra


def test_an_open_timesheet_allows_check_in_check_out_and_no_show():
    assert allowed_events(sheet()) == [E.check_in, E.check_out, E.no_show]


def test_minutes_worked_count_only_inside_the_shift():
    assert worked_minutes(START - timedelta(minutes=30), END + timedelta(minutes=30), START, END) == 240
    assert worked_minutes(START + timedelta(seconds=59), START + timedelta(minutes=2), START, END) == 1


# ---- every sequence of events -------------------------------------------------------------------

moments = st.integers(min_value=-90, max_value=6 * 60).map(lambda minutes: START + timedelta(minutes=minutes))


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(list(E)), moments), max_size=12),
       st.sampled_from(["active", "active", "cancelled"]))
def test_any_sequence_of_events_follows_the_table_and_never_leaves_a_terminal_state(steps, assignment):
    current = sheet(assignment=assignment)
    checked_in = left_open = False
    for event, now in steps:
        reason = refusal(current, event, now, RULES)
        if current.state in TERMINAL_STATES:
            assert reason is not None, "a terminal timesheet takes no event"
        if (current.state, event) not in TRANSITIONS:
            assert reason is not None, "an event with no arrow from the state is refused"
        if reason is not None:
            assert isinstance(reason, Conflict) and reason.status == 409 and reason.type == "conflict"
            assert set(reason.extra) == {"current_state"}
            with pytest.raises(Conflict):
                transition(current, event, now, RULES)
            continue
        after = transition(current, event, now, RULES)
        assert after.state is TRANSITIONS[(current.state, event)]
        assert after.assignment_state == ASSIGNMENT_AFTER.get(event, current.assignment_state)
        if event is E.check_in:
            assert not checked_in and current.assignment_state == "active"
            checked_in = True
        if event is E.check_out:
            assert checked_in and now >= current.checked_in_at, "a check-out follows its check-in"
        if event is E.no_show:
            assert not checked_in
        assert not (left_open and after.state is S.open), "a timesheet never reopens"
        left_open = left_open or after.state is not S.open
        current = after
    assert current.state is S.open or current.checked_in_at is not None or current.state is S.no_show
