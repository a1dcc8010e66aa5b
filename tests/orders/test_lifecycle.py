"""The order state machine (SPEC §3) and late-cancel compensation."""

from __future__ import annotations

import itertools
from datetime import timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from market.errors import Conflict
from market.orders.lifecycle import (
    TRANSITIONS,
    HeldSeat,
    OrderEvent,
    allowed_events,
    is_late_cancel,
    late_cancel_compensation,
    transition,
)
from market.orders.model import LateCancelPolicy, OrderState

from .factories import cq, daily, hourly, shift

S, E = OrderState, OrderEvent

# The SPEC's arrows restated independently of the module, plus the three documented additions.
BEFORE_COMPLETED = [S.draft, S.open, S.allocating, S.filled, S.in_progress]
EXPECTED = {
    (S.draft, E.publish): S.open,
    (S.open, E.start_allocation): S.allocating,
    (S.allocating, E.reopen): S.open,
    (S.allocating, E.fill): S.filled,
    (S.filled, E.start): S.in_progress,
    (S.in_progress, E.complete): S.completed,
    (S.completed, E.settle): S.settled,
    # additions, see the lifecycle module docstring
    (S.open, E.fill): S.filled,
    (S.open, E.start): S.in_progress,
    (S.filled, E.release_seat): S.open,
    **{(state, E.cancel): S.cancelled for state in BEFORE_COMPLETED},
    **{(state, E.expire): S.expired for state in BEFORE_COMPLETED},
}
ALL_PAIRS = list(itertools.product(OrderState, OrderEvent))
ALLOWED = [pair for pair in ALL_PAIRS if pair in EXPECTED]
FORBIDDEN = [pair for pair in ALL_PAIRS if pair not in EXPECTED]


def test_the_module_table_is_exactly_the_documented_table():
    assert dict(TRANSITIONS) == EXPECTED


@pytest.mark.parametrize(("state", "event"), ALLOWED, ids=[f"{s}-{e}" for s, e in ALLOWED])
def test_every_allowed_transition_leads_to_its_documented_state(state, event):
    assert transition(state, event) is EXPECTED[(state, event)]


@pytest.mark.parametrize(("state", "event"), FORBIDDEN, ids=[f"{s}-{e}" for s, e in FORBIDDEN])
def test_every_forbidden_transition_is_a_conflict_carrying_the_current_state(state, event):
    with pytest.raises(Conflict) as raised:
        transition(state, event)
    assert raised.value.status == 409
    assert raised.value.extra["current_state"] == state.value
    assert event.value not in raised.value.extra["allowed_events"]


def test_completed_settled_cancelled_and_expired_orders_can_no_longer_be_cancelled():
    for state in (S.completed, S.settled, S.cancelled, S.expired):
        with pytest.raises(Conflict):
            transition(state, E.cancel)


def test_terminal_states_allow_no_event_at_all():
    for state in (S.settled, S.cancelled, S.expired):
        assert allowed_events(state) == []


def test_an_order_walks_the_happy_path_with_an_unfilled_allocation_round_in_between():
    state = S.draft
    for event in [E.publish, E.start_allocation, E.reopen, E.start_allocation, E.fill, E.start, E.complete, E.settle]:
        state = transition(state, event)
    assert state is S.settled


def test_the_conflict_message_names_the_event_and_the_state():
    with pytest.raises(Conflict, match="cannot settle an order that is in progress"):
        transition(S.in_progress, E.settle)


@given(st.lists(st.sampled_from(list(OrderEvent)), max_size=30))
def test_no_sequence_of_events_leaves_a_terminal_state_or_reaches_completed_without_starting(events):
    state, started = S.draft, False
    for event in events:
        try:
            following = transition(state, event)
        except Conflict:
            continue
        assert state not in (S.settled, S.cancelled, S.expired)
        started = started or following is S.in_progress
        if following is S.completed:
            assert started
        state = following


# --- late cancel -----------------------------------------------------------------------------------

POLICY = LateCancelPolicy()  # 24 h window, 4 h compensation, capped at the shift's length
SHIFT = shift(cq(2025, 3, 3, 9), hours=8)


def seat(assignment_id: int = 1, worker_id: int = 100, held=SHIFT) -> HeldSeat:
    return HeldSeat(assignment_id=assignment_id, worker_id=worker_id, shift=held)


def test_cancelling_exactly_24_hours_before_the_shift_is_late():
    assert is_late_cancel(POLICY, SHIFT.start - timedelta(hours=24), SHIFT)


def test_cancelling_24_hours_and_a_minute_before_the_shift_is_in_time():
    assert not is_late_cancel(POLICY, SHIFT.start - timedelta(hours=24, minutes=1), SHIFT)


def test_cancelling_inside_the_window_pays_each_assigned_worker_4_hours_at_the_order_rate():
    now = SHIFT.start - timedelta(hours=3)
    due = late_cancel_compensation(POLICY, now, hourly(2500), [seat(1, 100), seat(2, 200)])
    assert [(c.assignment_id, c.worker_id, c.amount_fen) for c in due] == [(1, 100, 10000), (2, 200, 10000)]


def test_cancelling_outside_the_window_pays_nothing():
    now = SHIFT.start - timedelta(days=2)
    assert late_cancel_compensation(POLICY, now, hourly(2500), [seat()]) == []


def test_only_seats_whose_shift_is_inside_the_window_are_compensated():
    tomorrow_morning = shift(cq(2025, 3, 3, 9), hours=8)
    next_week = shift(cq(2025, 3, 10, 9), hours=8)
    now = cq(2025, 3, 2, 20)
    due = late_cancel_compensation(POLICY, now, hourly(2500), [seat(1, held=tomorrow_morning), seat(2, held=next_week)])
    assert [c.assignment_id for c in due] == [1]


def test_a_shift_already_under_way_is_compensated_but_a_finished_one_is_not():
    under_way = SHIFT.start + timedelta(hours=1)
    finished = SHIFT.end
    assert late_cancel_compensation(POLICY, under_way, hourly(2500), [seat()])[0].amount_fen == 10000
    assert late_cancel_compensation(POLICY, finished, hourly(2500), [seat()]) == []


def test_compensation_for_a_two_hour_shift_is_capped_at_two_hours():
    short = shift(cq(2025, 3, 3, 9), hours=2)
    due = late_cancel_compensation(POLICY, short.start - timedelta(hours=1), hourly(2500), [seat(held=short)])
    assert due[0].amount_fen == 5000


def test_without_the_cap_a_two_hour_shift_is_compensated_the_full_4_hours():
    short = shift(cq(2025, 3, 3, 9), hours=2)
    policy = LateCancelPolicy(cap_at_shift_length=False)
    due = late_cancel_compensation(policy, short.start - timedelta(hours=1), hourly(2500), [seat(held=short)])
    assert due[0].amount_fen == 10000


def test_day_pay_compensation_uses_the_hourly_equivalent_rounded_half_up_once():
    # 200 yuan for a stated 7.5 h day → 2666.67 fen/h; 4 h → 10666.67 → 10667 fen
    due = late_cancel_compensation(POLICY, SHIFT.start - timedelta(hours=1), daily(20000, "7.5"), [seat()])
    assert due[0].amount_fen == 10667


def test_a_custom_window_of_48_hours_and_2_hours_compensation_is_honoured():
    policy = LateCancelPolicy(window_hours=Decimal(48), compensation_hours=Decimal(2))
    due = late_cancel_compensation(policy, SHIFT.start - timedelta(hours=47), hourly(3000), [seat()])
    assert due[0].amount_fen == 6000
