"""Shared employment (共享用工): posting a borrower's demand (lending a worker to it: tests/bids/test_lending.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, time

from market.kernel.clock import SHANGHAI
from market.kernel.relationships import RelationshipType
from market.orders.rules import review_order

from .factories import DISTRICT_TIERS, MINIMUM_WAGES, NOW, shared_order


def locs(order) -> list[tuple]:
    return [
        e.loc for e in review_order(order, now=NOW, minimum_wages=MINIMUM_WAGES, district_tiers=DISTRICT_TIERS).errors
    ]


def test_a_sound_shared_order_has_one_shift_per_working_day_in_chongqing_time():
    order = shared_order()
    shifts = order.all_shifts()
    assert len(shifts) == 10  # two Mon–Fri weeks
    assert shifts[0].start.isoformat() == "2025-03-03T09:00:00+08:00"
    assert shifts[0].start.tzinfo is SHANGHAI and all(s.headcount == 5 for s in shifts)
    assert locs(order) == []


def test_the_borrowers_fee_per_worker_day_meets_the_hourly_minimum_over_the_daily_hours():
    # 8 h a day × 23 yuan = 184 yuan
    assert locs(shared_order(fee_per_worker_day_fen=18400)) == []
    assert locs(shared_order(fee_per_worker_day_fen=18399)) == [("fee_per_worker_day_fen",)]


def test_a_period_across_new_year_is_held_to_the_2025_minimum():
    schedule = replace(shared_order().schedule, start_date=date(2024, 12, 30), end_date=date(2025, 1, 3))
    order = shared_order(schedule=schedule, fee_per_worker_day_fen=17600)  # 22 yuan/h: ok in 2024 only
    errors = review_order(order, now=NOW, minimum_wages=MINIMUM_WAGES, district_tiers=DISTRICT_TIERS).errors
    # the first working day the 23-yuan standard applies to is Wednesday 2025-01-01
    assert [(e.loc, e.ctx["date"], e.ctx["minimum_hourly_fen"]) for e in errors] == [
        (("fee_per_worker_day_fen",), "2025-01-01", 2300)
    ]


def test_shared_orders_must_be_shared_labor():
    assert locs(shared_order(relationship=RelationshipType.labor_service)) == [("relationship",)]


def test_schedule_errors_point_at_the_schedule_fields():
    schedule = replace(shared_order().schedule, end_date=date(2025, 3, 1), daily_end=time(8))
    assert locs(shared_order(schedule=schedule)) == [("schedule", "end_date"), ("schedule", "daily_end")]


def test_a_working_day_over_12_hours_and_headcount_501_are_refused():
    schedule = replace(shared_order().schedule, daily_start=time(6), daily_end=time(18, 1))
    assert locs(shared_order(schedule=schedule, headcount=501, fee_per_worker_day_fen=50000)) == [
        ("headcount",),
        ("schedule", "daily_end"),
    ]


def test_a_period_with_no_working_day_is_refused():
    schedule = replace(shared_order().schedule, start_date=date(2025, 3, 8), end_date=date(2025, 3, 9))  # Sat–Sun
    assert locs(shared_order(schedule=schedule)) == [("schedule", "weekdays")]


def test_a_shared_order_whose_first_working_day_has_begun_is_refused():
    # now is 2024-12-01 09:00; the first working day started at 08:00
    schedule = replace(
        shared_order().schedule,
        start_date=date(2024, 12, 1),
        end_date=date(2024, 12, 6),
        daily_start=time(8),
        daily_end=time(16),
        weekdays=frozenset(range(1, 8)),
    )
    assert locs(shared_order(schedule=schedule)) == [("schedule", "start_date")]
