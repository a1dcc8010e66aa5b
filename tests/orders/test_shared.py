"""Shared employment (共享用工): posting a borrower's demand, and lending a worker to it."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, time
from fractions import Fraction

import pytest

from market.errors import ValidationFailed
from market.kernel.clock import SHANGHAI
from market.kernel.relationships import RelationshipType
from market.orders.rules import (
    LendingCostAllowance, check_lending, lender_wage_refusal, lending_fee_finding, lending_refusals, review_order,
)

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


# --- lending ---------------------------------------------------------------------------------------


def lending(**overrides):
    facts = dict(borrower_id=10, lender_id=20, employer_of_record_id=20, worker_consented=True)
    return [r.code for r in lending_refusals(**{**facts, **overrides})]


def test_the_employer_of_record_may_lend_a_consenting_worker():
    assert lending() == []


def test_an_enterprise_cannot_borrow_from_itself():
    assert lending(lender_id=10, employer_of_record_id=10) == ["lender_is_borrower"]


def test_a_borrowed_worker_cannot_be_lent_on():
    # worker employed by 20, on loan to 30; 30 tries to lend them to 10
    assert lending(lender_id=30, employer_of_record_id=20, currently_borrowed_by=30) == [
        "borrowed_worker_cannot_be_lent_on"
    ]


def test_only_the_employer_of_record_may_lend():
    assert lending(lender_id=30) == ["worker_not_lenders_employee"]


def test_the_worker_must_consent():
    assert lending(worker_consented=False) == ["worker_consent_missing"]


@pytest.mark.parametrize(
    ("wage", "agreed", "minimum", "refused", "floor"),
    [
        (500000, 500000, 233000, False, 500000),  # equal to the agreed wage
        (499999, 500000, 233000, True, 500000),  # a fen short of the agreed wage
        (233000, 200000, 233000, False, 233000),  # agreed wage below the minimum: minimum is the floor
        (232999, 200000, 233000, True, 233000),
    ],
)
def test_the_lenders_wage_is_at_least_the_agreed_wage_and_the_minimum_wage(wage, agreed, minimum, refused, floor):
    refusal = lender_wage_refusal(wage_fen=wage, agreed_wage_fen=agreed, minimum_wage_fen=minimum)
    assert (refusal is not None) == refused
    if refused:
        assert refusal.ctx["floor_fen"] == floor


def test_check_lending_reports_the_worker_and_the_wage_together():
    with pytest.raises(ValidationFailed) as raised:
        check_lending(
            borrower_id=10,
            lender_id=30,
            employer_of_record_id=20,
            currently_borrowed_by=30,
            worker_consented=True,
            wage_fen=1,
            agreed_wage_fen=500000,
            minimum_wage_fen=233000,
        )
    assert [(e.loc, e.ctx["reason"]) for e in raised.value.errors] == [
        (("worker_id",), "borrowed_worker_cannot_be_lent_on"),
        (("wage_fen",), "lender_wage_below_floor"),
    ]


# Not for profit (人社厅发〔2020〕98号): the fee covers the wage, social insurance and reasonable costs

ALLOWANCE = LendingCostAllowance(social_insurance_rate=Fraction(20, 100), reasonable_cost_rate=Fraction(15, 100))
WAGE_PER_DAY_FEN = 22_400  # 28.00 yuan an hour for an 8-hour day


def test_a_lenders_fee_covering_the_wage_and_its_social_insurance_raises_nothing():
    assert lending_fee_finding(fee_per_worker_day_fen=26_880, wage_per_day_fen=WAGE_PER_DAY_FEN,
                               allowance=ALLOWANCE) is None  # 224.00 × 1.20


def test_a_lenders_fee_above_the_wage_and_social_insurance_is_flagged_for_the_supervisor_but_allowed():
    finding = lending_fee_finding(fee_per_worker_day_fen=28_000, wage_per_day_fen=WAGE_PER_DAY_FEN,
                                  allowance=ALLOWANCE)
    assert finding is not None and not finding.refused
    assert finding.refusal.code == "lending_fee_above_wage_and_insurance"
    assert finding.refusal.ctx["wage_and_insurance_fen"] == 26_880


def test_a_lenders_fee_above_the_wage_and_every_allowed_cost_is_refused_as_lending_for_profit():
    finding = lending_fee_finding(fee_per_worker_day_fen=30_241, wage_per_day_fen=WAGE_PER_DAY_FEN,
                                  allowance=ALLOWANCE)
    assert finding is not None and finding.refused
    assert finding.refusal.code == "lending_for_profit"
    assert finding.refusal.ctx["fee_cap_fen"] == 30_240  # 224.00 × 1.35
    assert lending_fee_finding(fee_per_worker_day_fen=30_240, wage_per_day_fen=WAGE_PER_DAY_FEN,
                               allowance=ALLOWANCE).refused is False


def test_the_fee_test_compares_exact_amounts_not_rounded_ones():
    # 7.5 h at 27.01 yuan: 202.575 yuan a day; × 1.35 = 273.47625 yuan, so 273.48 is over the cap
    wage = Fraction(2_701) * Fraction(15, 2)
    assert lending_fee_finding(fee_per_worker_day_fen=27_348, wage_per_day_fen=wage, allowance=ALLOWANCE).refused
    assert not lending_fee_finding(fee_per_worker_day_fen=27_347, wage_per_day_fen=wage, allowance=ALLOWANCE).refused
