"""Which waiting time a timesheet may record (market/attendance/timesheet.py, pure)."""
from __future__ import annotations

import pytest

from market.attendance.timesheet import waiting_errors


def test_incomplete_labor_waiting_within_the_shift_is_allowed():
    assert waiting_errors("incomplete_labor", 60, 180, 240) == []


def test_part_time_waiting_within_the_shift_is_allowed_and_so_within_its_caps():
    assert waiting_errors("labor_part_time", 30, 210, 240) == []


@pytest.mark.parametrize("relationship", ["labor_service", "shared_labor"])
def test_waiting_time_is_refused_where_it_is_not_working_time(relationship):
    [error] = waiting_errors(relationship, 10, 60, 240)
    assert error.loc == ("waiting_minutes",) and error.ctx["reason"] == "waiting_not_working_time"


def test_no_waiting_is_always_fine():
    assert waiting_errors("labor_service", 0, 600, 240) == []


def test_waiting_beyond_the_shift_span_is_refused_with_the_most_allowed():
    [error] = waiting_errors("incomplete_labor", 61, 180, 240)
    assert error.loc == ("waiting_minutes",)
    assert error.ctx == {"reason": "waiting_beyond_shift", "max_waiting_minutes": 60}


def test_an_approval_already_over_the_span_leaves_no_room_for_waiting():
    [error] = waiting_errors("incomplete_labor", 1, 300, 240)
    assert error.ctx["max_waiting_minutes"] == 0
