"""The employment state machine and the wage floor, pure."""
from datetime import date

import pytest

from market.catalogue.model import MinimumWage
from market.employment.model import EmploymentAction, EmploymentState, NewEmployment, next_state, wage_problem
from market.errors import Conflict

S, A = EmploymentState, EmploymentAction


@pytest.mark.parametrize(("state", "action", "after"), [
    (S.pending, A.confirm, S.active),
    (S.pending, A.decline, S.declined),
    (S.pending, A.end, S.ended),
    (S.active, A.end, S.ended),
])
def test_the_allowed_transitions(state, action, after):
    assert next_state(state, action) is after


@pytest.mark.parametrize(("state", "action"), [
    (S.active, A.confirm), (S.active, A.decline),
    (S.declined, A.confirm), (S.declined, A.decline), (S.declined, A.end),
    (S.ended, A.confirm), (S.ended, A.decline), (S.ended, A.end),
])
def test_every_other_transition_is_a_conflict_naming_the_current_state(state, action):
    with pytest.raises(Conflict) as raised:
        next_state(state, action)
    assert raised.value.extra == {"current_state": state.value}


def test_the_wage_floor_is_the_hourly_minimum_and_the_message_quotes_it():
    minimum = MinimumWage(1, date(2025, 1, 1), 2300, 233000)
    assert wage_problem(2300, minimum, "渝中区", date(2026, 3, 1)) is None
    problem = wage_problem(2299, minimum, "渝中区", date(2026, 3, 1))
    assert problem is not None
    assert problem.loc == ("agreed_hourly_wage_fen",)
    assert "minimum wage of 23.00 yuan (2300 fen) for tier 1 (渝中区)" in problem.msg
    assert problem.ctx["minimum_hourly_fen"] == 2300


def test_a_registration_never_shows_the_id_number_in_its_repr():
    new = NewEmployment(job_title="分拣员", agreed_hourly_wage_fen=2500, id_number="500103199001010013")
    assert "500103199001010013" not in repr(new)
    assert "500103199001010013" not in str(new)
