"""Per-worker checks the allocation, acceptance and bid code share: part-time hour limits, overlap,
skills, and the bid's own rule."""

from __future__ import annotations

from datetime import date, timedelta
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from market.errors import ValidationFailed
from market.kernel.relationships import RelationshipType
from market.orders.model import Interval, SkillRequirement, WorkerSkill
from market.bids.rules import bid_refusals, check_bid
from market.orders.rules import (
    WorkerFacts,
    overlap_refusal,
    part_time_hours_refusal,
    seat_refusals,
    skill_refusals,
    weekly_cap_refusal,
)

from .factories import cq, shift

R = RelationshipType
# ISO week 2025-W10 runs Monday 2025-03-03 to Sunday 2025-03-09.
MONDAY, TUESDAY, WEDNESDAY, SUNDAY = cq(2025, 3, 3), cq(2025, 3, 4), cq(2025, 3, 5), cq(2025, 3, 9)
NEXT_MONDAY = cq(2025, 3, 10)


def span(start, hours, minutes=0) -> Interval:
    return Interval(start, start + timedelta(hours=hours, minutes=minutes))


def code(refusal) -> str | None:
    return None if refusal is None else refusal.code


# --- part-time weekly limit ------------------------------------------------------------------------

SIX_DAYS_OF_FOUR_HOURS = [span(MONDAY + timedelta(days=d, hours=9), 4) for d in range(5)]  # Mon–Fri, 20 h


def test_part_time_worker_may_reach_exactly_24_hours_a_week():
    candidate = span(cq(2025, 3, 8, 9), 4)  # Saturday, 24 h in all
    assert part_time_hours_refusal(SIX_DAYS_OF_FOUR_HOURS, candidate) is None


def test_part_time_worker_cannot_exceed_24_hours_a_week():
    over = span(cq(2025, 3, 8, 9), 4, minutes=1)  # 24 h 01 min, also 4 h 00.2 min a day on average
    refusal = part_time_hours_refusal(SIX_DAYS_OF_FOUR_HOURS, over)
    assert code(refusal) == "part_time_weekly_hours"
    assert refusal.ctx["week_minutes"] == 24 * 60 + 1


def test_part_time_weekly_limit_counts_a_sunday_night_shift_in_the_week_it_starts():
    sunday_night = span(SUNDAY + timedelta(hours=22), 4)  # 22:00 Sun – 02:00 Mon
    week = [span(MONDAY + timedelta(days=d, hours=9), 4) for d in range(5)]  # 20 h
    assert code(part_time_hours_refusal(week, sunday_night)) is None  # 24 h in W10
    monday_after = span(NEXT_MONDAY + timedelta(hours=9), 4)
    assert code(part_time_hours_refusal([*week, sunday_night], monday_after)) is None  # W11: 4 h


def test_hours_in_another_iso_week_do_not_count():
    last_week = [span(cq(2025, 2, 24) + timedelta(days=d, hours=9), 4) for d in range(6)]  # 24 h in W09
    assert part_time_hours_refusal(last_week, span(MONDAY + timedelta(hours=9), 4)) is None


# --- part-time daily average -----------------------------------------------------------------------


def test_part_time_worker_may_work_6_hours_one_day_and_2_the_next():
    assert (
        part_time_hours_refusal([span(MONDAY + timedelta(hours=8), 6)], span(TUESDAY + timedelta(hours=9), 2)) is None
    )


def test_part_time_worker_cannot_average_more_than_4_hours_over_the_days_worked():
    existing = [span(MONDAY + timedelta(hours=9), 4), span(TUESDAY + timedelta(hours=9), 4)]
    refusal = part_time_hours_refusal(existing, span(WEDNESDAY + timedelta(hours=9), 4, minutes=1))
    assert code(refusal) == "part_time_daily_average"
    assert refusal.ctx["days_worked"] == 3


def test_two_four_hour_shifts_on_one_day_break_the_daily_average():
    morning = span(MONDAY + timedelta(hours=8), 4)
    assert code(part_time_hours_refusal([morning], span(MONDAY + timedelta(hours=14), 4))) == "part_time_daily_average"


def test_a_single_shift_over_4_hours_alone_in_its_week_breaks_the_daily_average():
    assert code(part_time_hours_refusal([], span(MONDAY + timedelta(hours=9), 5))) == "part_time_daily_average"


def test_the_strict_reading_holds_each_day_to_4_hours_even_when_the_average_is_fine():
    six_hour_monday = [span(MONDAY + timedelta(hours=8), 6)]
    tuesday = span(TUESDAY + timedelta(hours=9), 2)
    assert part_time_hours_refusal([], span(MONDAY + timedelta(hours=9), 4), strict_each_day=True) is None
    assert code(part_time_hours_refusal([], span(MONDAY + timedelta(hours=9), 4, 1), strict_each_day=True)) == (
        "part_time_daily_hours"
    )
    assert part_time_hours_refusal([span(MONDAY + timedelta(hours=8), 2)], tuesday, strict_each_day=True) is None
    # six hours on Monday were already held; a Tuesday shift is judged on Tuesday alone
    assert part_time_hours_refusal(six_hour_monday, tuesday, strict_each_day=True) is None


def test_every_refusal_code_maps_to_an_allocation_reason():
    import enum

    from market.orders.rules import ALLOCATION_REASON

    reasons = {"overlap", "hours_limit", "skill_mismatch", "certificate_missing", "certificate_expires",
               "bid_above_rate"}
    assert set(ALLOCATION_REASON.values()) <= reasons
    try:  # the solver's enum, when its dependencies are installed
        from market.allocation.model import Reason
    except ImportError:  # pragma: no cover
        return
    assert issubclass(Reason, enum.Enum)
    assert set(ALLOCATION_REASON.values()) <= {reason.value for reason in Reason}


@given(
    existing_hours=st.lists(st.tuples(st.integers(0, 6), st.integers(1, 8 * 60)), max_size=10),
    candidate_day=st.integers(0, 6),
    candidate_minutes=st.integers(1, 8 * 60),
)
def test_an_accepted_part_time_shift_never_leaves_the_week_over_the_limits(
    existing_hours, candidate_day, candidate_minutes
):
    existing = [
        Interval(MONDAY + timedelta(days=d, hours=6), MONDAY + timedelta(days=d, hours=6, minutes=m))
        for d, m in existing_hours
    ]
    candidate = Interval(
        MONDAY + timedelta(days=candidate_day, hours=15),
        MONDAY + timedelta(days=candidate_day, hours=15, minutes=candidate_minutes),
    )
    total_minutes = sum(m for _, m in existing_hours) + candidate_minutes
    days = len({d for d, _ in existing_hours} | {candidate_day})
    accepted = part_time_hours_refusal(existing, candidate) is None
    assert accepted == (total_minutes <= 24 * 60 and total_minutes <= 4 * 60 * days)


# --- negotiated weekly cap (incomplete_labor) ------------------------------------------------------


def test_incomplete_labor_stops_at_the_negotiated_weekly_cap():
    week = [span(MONDAY + timedelta(days=d, hours=9), 8) for d in range(5)]  # 40 h
    assert weekly_cap_refusal(week, span(cq(2025, 3, 8, 9), 4), timedelta(hours=44)) is None
    assert code(weekly_cap_refusal(week, span(cq(2025, 3, 8, 9), 4, 1), timedelta(hours=44))) == "weekly_hours_cap"


# --- overlap ---------------------------------------------------------------------------------------


def test_a_worker_cannot_hold_two_overlapping_shifts():
    held = [span(MONDAY + timedelta(hours=9), 4)]
    assert code(overlap_refusal(held, span(MONDAY + timedelta(hours=12, minutes=59), 2))) == "overlap"


def test_back_to_back_shifts_do_not_overlap():
    held = [span(MONDAY + timedelta(hours=9), 4)]
    assert overlap_refusal(held, span(MONDAY + timedelta(hours=13), 2)) is None


# --- skills ----------------------------------------------------------------------------------------

FORKLIFT_3_CERTIFIED = SkillRequirement("forklift", min_level=3, certificate_required=True)


def test_a_worker_meeting_level_and_certificate_is_not_refused():
    held = WorkerSkill("forklift", 3, certificate_valid_until=date(2025, 3, 3))
    assert skill_refusals([FORKLIFT_3_CERTIFIED], [held], MONDAY + timedelta(hours=18)) == []


def test_missing_skill_low_level_and_missing_certificate_each_have_a_reason():
    end = MONDAY + timedelta(hours=18)
    assert [r.code for r in skill_refusals([FORKLIFT_3_CERTIFIED], [], end)] == ["missing_skill"]
    assert [r.code for r in skill_refusals([FORKLIFT_3_CERTIFIED], [WorkerSkill("forklift", 2)], end)] == [
        "skill_level_too_low",
        "certificate_missing",
    ]


def test_a_certificate_ending_before_the_shifts_last_local_day_is_refused():
    # Monday 22:00 to Tuesday 02:00 Chongqing: the last day is Tuesday.
    held = WorkerSkill("forklift", 3, certificate_valid_until=MONDAY.date())
    refusals = skill_refusals([FORKLIFT_3_CERTIFIED], [held], MONDAY + timedelta(hours=26))
    assert [(r.code, r.ctx["valid_until"]) for r in refusals] == [("certificate_expires", str(MONDAY.date()))]


# --- seat and bid checks ---------------------------------------------------------------------------


def test_seat_refusals_apply_part_time_limits_only_to_part_time_orders():
    worker = WorkerFacts(hours_with_employer=tuple(SIX_DAYS_OF_FOUR_HOURS))
    saturday = shift(cq(2025, 3, 8, 9), 5)
    assert [
        r.code for r in seat_refusals(shift=saturday, relationship=R.labor_part_time, requirements=(), worker=worker)
    ] == ["part_time_weekly_hours"]
    for relationship in (R.labor_service, R.incomplete_labor, R.shared_labor):
        assert seat_refusals(shift=saturday, relationship=relationship, requirements=(), worker=worker) == []


def test_a_bid_collects_every_reason_as_field_errors():
    worker = WorkerFacts(
        skills=(WorkerSkill("forklift", 2),),
        held_shifts=(span(MONDAY + timedelta(hours=10), 2),),
        hours_with_employer=(),
    )
    with pytest.raises(ValidationFailed) as raised:
        check_bid(
            shift=shift(MONDAY + timedelta(hours=9), 4),
            relationship=R.labor_part_time,
            requirements=[FORKLIFT_3_CERTIFIED],
            worker=worker,
            bid_amount_fen=3000,
            order_amount_fen=2500,
        )
    assert [(e.loc, e.ctx["reason"]) for e in raised.value.errors] == [
        (("shift_index",), "overlap"),
        (("shift_index",), "skill_level_too_low"),
        (("shift_index",), "certificate_missing"),
        (("amount_fen",), "bid_above_rate"),
    ]


def test_a_bid_at_the_order_rate_by_a_fitting_worker_passes():
    check_bid(
        shift=shift(MONDAY + timedelta(hours=9), 4),
        relationship=R.labor_part_time,
        requirements=(),
        worker=WorkerFacts(),
        bid_amount_fen=2500,
        order_amount_fen=2500,
    )


@pytest.mark.parametrize("relationship, refused", [
    (R.labor_part_time, True), (R.incomplete_labor, True), (R.labor_service, False)])
def test_a_bid_below_the_hourly_minimum_is_refused_where_the_law_sets_a_floor(relationship, refused):
    def ask(amount_fen: int, hours_per_unit=Fraction(1)) -> list[str]:
        return [r.code for r in bid_refusals(shift=shift(MONDAY + timedelta(hours=9), 4), relationship=relationship,
                                             requirements=(), worker=WorkerFacts(), bid_amount_fen=amount_fen,
                                             order_amount_fen=30_000, minimum_hourly_fen=2300,
                                             hours_per_unit=hours_per_unit)]

    assert ask(2300) == [] and ask(18_400, Fraction(8)) == []  # exactly the minimum, by the hour or the day
    assert ask(2299) == (["bid_below_minimum_wage"] if refused else [])
    assert ask(18_399, Fraction(8)) == (["bid_below_minimum_wage"] if refused else [])  # 2299.875 an hour
