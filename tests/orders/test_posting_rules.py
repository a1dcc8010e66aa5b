"""SPEC §4: the checks made when a gig order is posted, with RULES.md's numbers and exact edges."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from market.errors import FieldError, ValidationFailed
from market.kernel.relationships import RelationshipType
from market.orders.model import Pay, PayUnit, SkillRequirement
from market.orders.rules import check_order, is_daily, review_order

from .factories import CHENGKOU, DISTRICT_TIERS, MINIMUM_WAGES, NOW, cq, daily, gig_order, hourly, shift

R = RelationshipType


def review(order, now=NOW, **kw):
    return review_order(order, now=now, minimum_wages=MINIMUM_WAGES, district_tiers=DISTRICT_TIERS, **kw)


def locs(order, **kw) -> list[tuple]:
    return [error.loc for error in review(order, **kw).errors]


def error_at(order, loc) -> FieldError:
    matching = [error for error in review(order).errors if error.loc == loc]
    assert len(matching) == 1, review(order).errors
    return matching[0]


def test_a_sound_order_passes_with_no_errors_and_no_alerts():
    result = review(gig_order())
    assert result.ok and result.errors == () and result.alerts == ()


# --- shift times and headcount ---------------------------------------------------------------------


def test_shift_ending_before_it_starts_is_refused_at_its_end():
    start = cq(2025, 3, 3, 9)
    order = gig_order(shifts=(shift(start), replace(shift(start), end=start - timedelta(minutes=1))))
    assert locs(order) == [("shifts", 1, "end")]


def test_shift_ending_when_it_starts_is_refused():
    start = cq(2025, 3, 3, 9)
    assert locs(gig_order(shifts=(replace(shift(start), end=start),))) == [("shifts", 0, "end")]


def test_naive_times_are_refused_at_each_naive_field():
    naive = replace(shift(cq(2025, 3, 3, 9)), start=datetime(2025, 3, 3, 9), end=datetime(2025, 3, 3, 12))
    assert locs(gig_order(shifts=(naive,))) == [("shifts", 0, "start"), ("shifts", 0, "end")]


def test_a_shift_starting_now_is_refused_and_one_a_minute_later_passes():
    assert locs(gig_order(shifts=(shift(NOW),))) == [("shifts", 0, "start")]
    assert locs(gig_order(shifts=(shift(NOW + timedelta(minutes=1)),))) == []


def test_times_in_another_zone_are_compared_as_instants():

    # 01:00 UTC is 09:00 in Chongqing, exactly now: not in the future
    utc_now = datetime(2024, 12, 1, 1, 0, tzinfo=UTC)
    assert locs(gig_order(shifts=(shift(utc_now),))) == [("shifts", 0, "start")]


@pytest.mark.parametrize(
    ("hours", "minutes", "ok"), [(12, 0, True), (12, 1, False)], ids=["exactly-12h", "12h-and-1min"]
)
def test_a_shift_may_last_12_hours_but_not_a_minute_more(hours, minutes, ok):
    order = gig_order(relationship=R.labor_service, shifts=(shift(cq(2025, 3, 3, 6), hours, minutes=minutes),))
    assert locs(order) == ([] if ok else [("shifts", 0, "end")])


@pytest.mark.parametrize(("headcount", "ok"), [(0, False), (1, True), (500, True), (501, False), (-1, False)])
def test_headcount_must_be_between_1_and_500(headcount, ok):
    order = gig_order(shifts=(shift(cq(2025, 3, 3, 9), headcount=headcount),))
    assert locs(order) == ([] if ok else [("shifts", 0, "headcount")])


def test_an_order_without_shifts_is_refused():
    assert locs(gig_order(shifts=())) == [("shifts",)]


def test_all_broken_fields_are_reported_at_once_with_json_paths():
    order = gig_order(
        shifts=(
            shift(cq(2025, 3, 3, 9)),
            shift(cq(2025, 3, 4, 9), headcount=0),
            shift(cq(2025, 3, 5, 6), hours=13),
        ),
        pay=hourly(0, cycle_days=30),
        district_code="999999",
    )
    with pytest.raises(ValidationFailed) as raised:
        check_order(order, now=NOW, minimum_wages=MINIMUM_WAGES, district_tiers=DISTRICT_TIERS)
    assert {error.loc for error in raised.value.errors} == {
        ("district_code",),
        ("shifts", 1, "headcount"),
        ("shifts", 2, "end"),
        ("pay", "amount_fen"),
        ("pay", "cycle_days"),
    }
    assert raised.value.status == 422


# --- minimum wage ----------------------------------------------------------------------------------


def test_pay_equal_to_the_2025_tier_1_minimum_passes():
    assert locs(gig_order(pay=hourly(2300))) == []


def test_pay_one_fen_below_the_2025_tier_1_minimum_is_refused_naming_the_minimum():
    error = error_at(gig_order(pay=hourly(2299)), ("pay", "amount_fen"))
    assert error.msg == "below the hourly minimum wage of 23.00 yuan (2300 fen) for tier 1 on 2025-03-03"
    assert error.ctx["minimum_hourly_fen"] == 2300
    assert error.ctx["hourly_pay_fen"] == 2299


def test_a_shift_on_2024_12_31_uses_the_old_21_yuan_minimum():
    order = gig_order(pay=hourly(2100), shifts=(shift(cq(2024, 12, 31, 9)),))
    assert locs(order) == []


def test_a_shift_on_2025_01_01_uses_the_new_23_yuan_minimum():
    order = gig_order(pay=hourly(2100), shifts=(shift(cq(2025, 1, 1, 9)),))
    assert error_at(order, ("pay", "amount_fen")).ctx["minimum_hourly_fen"] == 2300


def test_the_shift_date_is_the_chongqing_date_not_the_utc_date():

    # 2024-12-31 17:00 UTC is 2025-01-01 01:00 in Chongqing: the 2025 minimum applies
    start = datetime(2024, 12, 31, 17, 0, tzinfo=UTC)
    order = gig_order(pay=hourly(2100), shifts=(shift(start),), relationship=R.incomplete_labor)
    assert error_at(order, ("pay", "amount_fen")).ctx == {
        "minimum_hourly_fen": 2300,
        "hourly_pay_fen": 2100,
        "tier": 1,
        "date": "2025-01-01",
    }


def test_an_order_spanning_new_year_is_held_to_the_higher_minimum():
    order = gig_order(pay=hourly(2200), shifts=(shift(cq(2024, 12, 31, 9)), shift(cq(2025, 1, 2, 9))))
    error = error_at(order, ("pay", "amount_fen"))
    assert (error.ctx["minimum_hourly_fen"], error.ctx["date"]) == (2300, "2025-01-02")


def test_a_tier_2_county_has_the_lower_22_yuan_minimum():
    assert locs(gig_order(district_code=CHENGKOU, pay=hourly(2200))) == []
    assert error_at(gig_order(district_code=CHENGKOU, pay=hourly(2199)), ("pay", "amount_fen")).ctx["tier"] == 2


@pytest.mark.parametrize("relationship", [R.labor_part_time, R.incomplete_labor])
def test_relationships_bound_by_the_minimum_wage_are_refused_below_it(relationship):
    assert locs(gig_order(relationship=relationship, pay=hourly(2299))) == [("pay", "amount_fen")]


def test_labor_service_below_the_minimum_posts_but_raises_a_supervisor_alert():
    alerts = check_order(
        gig_order(relationship=R.labor_service, pay=hourly(2000)),
        now=NOW,
        minimum_wages=MINIMUM_WAGES,
        district_tiers=DISTRICT_TIERS,
    )
    assert [alert.code for alert in alerts] == ["labor_service_below_minimum_wage"]
    assert alerts[0].ctx["minimum_hourly_fen"] == 2300


def test_labor_service_at_the_minimum_raises_no_alert():
    assert review(gig_order(relationship=R.labor_service, pay=hourly(2300))).alerts == ()


def test_day_pay_is_converted_with_the_stated_hours():
    order = gig_order(relationship=R.incomplete_labor, shifts=(shift(cq(2025, 3, 3, 9), 8),))
    assert locs(replace(order, pay=daily(18400, 8))) == []  # 184 yuan / 8 h = 23 yuan/h
    error = error_at(replace(order, pay=daily(18399, 8)), ("pay", "amount_fen"))
    assert error.ctx["minimum_hourly_fen"] == 2300 and "converted with 8 h per day" in error.msg


def test_day_pay_converted_to_2299_point_9_fen_is_below_the_minimum_despite_rounding_to_2300():
    order = gig_order(relationship=R.incomplete_labor, shifts=(shift(cq(2025, 3, 3, 9), 8),), pay=daily(18399, 8))
    assert order.pay.hourly_equivalent_fen() == 2300
    assert locs(order) == [("pay", "amount_fen")]


def test_piece_pay_is_converted_with_the_stated_hours_per_piece():
    # 5 yuan a parcel expected to take 12 minutes → 25 yuan an hour
    piece = Pay(unit=PayUnit.piece, amount_fen=500, stated_hours=Decimal("0.2"))
    assert locs(gig_order(relationship=R.incomplete_labor, pay=piece)) == []
    slow = replace(piece, stated_hours=Decimal("0.25"))  # 20 yuan an hour
    assert locs(gig_order(relationship=R.incomplete_labor, pay=slow)) == [("pay", "amount_fen")]


def test_day_or_piece_pay_without_stated_hours_is_refused_and_not_wage_checked():
    piece = Pay(unit=PayUnit.piece, amount_fen=1)
    assert locs(gig_order(relationship=R.incomplete_labor, pay=piece)) == [("pay", "stated_hours")]


def test_day_pay_stating_fewer_hours_than_the_shift_lasts_is_refused():
    order = gig_order(relationship=R.incomplete_labor, shifts=(shift(cq(2025, 3, 3, 9), 10),), pay=daily(30000, 8))
    assert locs(order) == [("pay", "stated_hours")]


# --- part-time ------------------------------------------------------------------------------------


def test_an_order_says_daily_when_flagged_daily_or_paid_by_the_day():
    assert not is_daily(gig_order())
    assert is_daily(gig_order(daily=True))
    assert is_daily(gig_order(pay=daily(10000, 4)))


@pytest.mark.parametrize(("minutes", "ok"), [(0, True), (1, False)], ids=["4h", "4h-1min"])
def test_a_daily_part_time_shift_may_last_4_hours_but_not_a_minute_more(minutes, ok):
    order = gig_order(daily=True, shifts=(shift(cq(2025, 3, 3, 9), 4, minutes=minutes),))
    assert locs(order) == ([] if ok else [("shifts", 0, "end")])


def test_a_part_time_shift_over_4_hours_is_allowed_when_the_order_is_not_daily():
    assert locs(gig_order(shifts=(shift(cq(2025, 3, 3, 9), 6),))) == []


def test_a_part_time_order_paid_by_the_day_is_daily_and_caps_its_shifts_at_4_hours():
    order = gig_order(shifts=(shift(cq(2025, 3, 3, 9), 5),), pay=daily(15000, 5))
    assert set(locs(order)) == {("shifts", 0, "end"), ("pay", "stated_hours")}


def test_a_daily_shift_over_4_hours_is_fine_for_other_relationships():
    assert locs(gig_order(relationship=R.incomplete_labor, daily=True, shifts=(shift(cq(2025, 3, 3, 9), 8),))) == []


@pytest.mark.parametrize(("days", "ok"), [(15, True), (16, False), (0, False)])
def test_part_time_pay_cycle_is_at_most_15_days(days, ok):
    assert locs(gig_order(pay=hourly(2500, cycle_days=days))) == ([] if ok else [("pay", "cycle_days")])


def test_other_relationships_may_pay_monthly_but_not_beyond_31_days():
    assert locs(gig_order(relationship=R.incomplete_labor, pay=hourly(2500, cycle_days=31))) == []
    assert locs(gig_order(relationship=R.incomplete_labor, pay=hourly(2500, cycle_days=32))) == [("pay", "cycle_days")]


# --- the rest of the body --------------------------------------------------------------------------


def test_a_gig_order_cannot_be_shared_labor():
    assert locs(gig_order(relationship=R.shared_labor)) == [("relationship",)]


def test_an_unknown_or_inactive_district_is_refused_and_the_wage_check_skipped():
    assert locs(gig_order(district_code="500105", pay=hourly(100))) == [("district_code",)]


def test_skill_levels_outside_1_to_5_duplicates_and_unknown_codes_are_refused():
    skills = (
        SkillRequirement("forklift", min_level=0),
        SkillRequirement("forklift", min_level=6),
        SkillRequirement("juggling"),
    )
    assert locs(gig_order(skills=skills), known_skill_codes={"forklift"}) == [
        ("skills", 0, "min_level"),
        ("skills", 1, "skill_code"),
        ("skills", 1, "min_level"),
        ("skills", 2, "skill_code"),
    ]


def test_the_bid_deadline_must_be_in_the_future_and_not_after_the_first_shift():
    first = cq(2025, 3, 3, 9)
    assert locs(gig_order(bid_deadline=first)) == []
    assert locs(gig_order(bid_deadline=first + timedelta(minutes=1))) == [("bid_deadline",)]
    assert locs(gig_order(bid_deadline=NOW)) == [("bid_deadline",)]


def test_site_coordinates_and_radius_are_checked():
    from market.orders.model import Site

    assert locs(gig_order(site=Site(lat=91, lon=181, check_in_radius_m=0))) == [
        ("site", "lat"),
        ("site", "lon"),
        ("site", "check_in_radius_m"),
    ]


def test_a_blank_title_is_refused():
    assert locs(gig_order(title="  ")) == [("title",)]


def test_now_must_be_timezone_aware():
    with pytest.raises(ValueError):
        review(gig_order(), now=datetime(2024, 12, 1, 9))
