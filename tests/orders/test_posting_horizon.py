"""A shift, a shared schedule and a bid deadline lie between now and the booking horizon (366 days);
a date outside it is a field error before any minimum-wage lookup (issue 13)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from market.catalogue.model import MinimumWage, MinimumWageTable
from market.kernel.relationships import RelationshipType
from market.orders.rules import BOOKING_HORIZON, review_order

from .factories import DISTRICT_TIERS, MINIMUM_WAGES, NOW, cq, gig_order, shared_order, shift


def locs(order, minimum_wages=MINIMUM_WAGES) -> list[tuple]:
    review = review_order(order, now=NOW, minimum_wages=minimum_wages, district_tiers=DISTRICT_TIERS)
    return [error.loc for error in review.errors]


def test_a_shift_exactly_at_the_horizon_passes_and_one_a_minute_later_is_refused():
    assert locs(gig_order(shifts=(shift(NOW + BOOKING_HORIZON),))) == []
    assert locs(gig_order(shifts=(shift(NOW + BOOKING_HORIZON + timedelta(minutes=1)),))) == [("shifts", 0, "start")]


@pytest.mark.parametrize("relationship", [RelationshipType.labor_part_time, RelationshipType.labor_service])
def test_a_shift_before_the_first_minimum_wage_known_is_in_the_past_not_a_lookup_error(relationship):
    # The factories' first standard takes effect on 2022-04-01: a shift in 2020 (a mistyped year).
    error_locs = locs(gig_order(relationship=relationship, shifts=(shift(cq(2020, 3, 3, 9)),)))
    assert error_locs == [("shifts", 0, "start")]


def test_the_message_of_a_shift_beyond_the_horizon_names_the_limit():
    review = review_order(gig_order(shifts=(shift(cq(2026, 3, 3, 9)),)), now=NOW, minimum_wages=MINIMUM_WAGES,
                          district_tiers=DISTRICT_TIERS)
    [error] = review.errors
    assert "366 days ahead" in error.msg and error.ctx["max_days_ahead"] == 366


def test_a_minimum_wage_not_known_for_a_bookable_date_is_a_field_error_at_the_shift():
    only_from_2025 = MinimumWageTable([MinimumWage(1, date(2025, 1, 1), 2300, 233000)])
    error_locs = locs(gig_order(shifts=(shift(cq(2024, 12, 20, 9)),)), minimum_wages=only_from_2025)
    assert error_locs == [("shifts", 0, "start")]


def test_a_shared_schedule_starting_beyond_the_horizon_is_refused_at_its_start_date():
    order = shared_order()
    start = (NOW + BOOKING_HORIZON).date() + timedelta(days=2)
    late = shared_order(schedule=type(order.schedule)(start, start + timedelta(days=4), order.schedule.daily_start,
                                                      order.schedule.daily_end, order.schedule.weekdays))
    assert locs(late) == [("schedule", "start_date")]


def test_a_bid_deadline_beyond_the_horizon_is_refused():
    # The shift itself is within the horizon; a deadline after it is refused on both counts.
    order = gig_order(bid_deadline=NOW + BOOKING_HORIZON + timedelta(minutes=1))
    assert locs(order) == [("bid_deadline",), ("bid_deadline",)]
