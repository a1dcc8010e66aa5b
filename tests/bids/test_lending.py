"""Lending a worker to a shared order (共享用工, 人社厅发〔2020〕98号): who may lend whom, at what
wage and fee, and the 422 a lender's bid is answered with."""

from __future__ import annotations

import uuid
from fractions import Fraction

import pytest

from market.bids.rules import (
    LendingCostAllowance,
    LentEmployee,
    check_lending,
    lender_wage_refusal,
    lending_fee_finding,
    lending_refusals,
    lent_worker_refusals,
    shared_bid_errors,
)
from market.errors import ValidationFailed


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


# The 422 a lender's bid is answered with (shared_bid_errors): what tests/api/test_shared.py sees

LENDER, BORROWER, OTHER = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
WORKER_A, WORKER_B = uuid.uuid4(), uuid.uuid4()


def employee(worker=WORKER_A, employer=LENDER, state="active", wage=2600, agreed=2500) -> LentEmployee:
    return LentEmployee(employer_of_record_id=employer, employment_state=state, worker_id=worker,
                        wage_hourly_fen=wage, agreed_hourly_wage_fen=agreed)


def bid_errors(*employees: LentEmployee, lender=LENDER, fee=20_000, order_fee=30_000, headcount=5, finding=None):
    return [(e.loc, e.msg, e.ctx) for e in shared_bid_errors(
        borrower_id=BORROWER, lender_id=lender, fee_per_worker_day_fen=fee, order_fee_per_worker_day_fen=order_fee,
        headcount=headcount, employees=list(employees), minimum_hourly_fen=2300, fee=finding)]


def test_a_sound_lenders_bid_has_no_errors():
    assert bid_errors(employee(), employee(worker=WORKER_B)) == []


def test_an_enterprise_bidding_on_its_own_order_is_answered_at_the_order():
    assert bid_errors(employee(employer=BORROWER), lender=BORROWER) == [
        (("path", "id"), "an enterprise cannot borrow its own employees", {})]


def test_another_employers_employee_or_no_record_is_not_an_employee_of_yours_and_nothing_more_is_asked():
    unknown = LentEmployee(employer_of_record_id=None, employment_state=None, worker_id=None,
                           wage_hourly_fen=1, agreed_hourly_wage_fen=0)
    assert bid_errors(employee(employer=OTHER, wage=1), unknown) == [
        (("employees", 0, "employment_id"), "not an employee of yours", {}),
        (("employees", 1, "employment_id"), "not an employee of yours", {}),
    ]


def test_an_unconfirmed_employment_a_worker_named_twice_and_a_short_wage_are_each_reported():
    errors = bid_errors(employee(state="pending"), employee(wage=2200))
    assert [(loc, msg) for loc, msg, _ in errors] == [
        (("employees", 0, "employment_id"), "the employment is pending; the employee must confirm it first"),
        (("employees", 1, "employment_id"), "named twice"),
        (("employees", 1, "wage_hourly_fen"),
         "the lender must pay the worker at least 25.00 yuan (the worker's agreed wage); 22.00 yuan is less"),
    ]
    assert errors[0][2] == {} and errors[2][2]["reason"] == "lender_wage_below_floor"


def test_the_fee_the_headcount_and_lending_for_profit_are_reported_in_that_order():
    profit = lending_fee_finding(fee_per_worker_day_fen=40_000, wage_per_day_fen=WAGE_PER_DAY_FEN, allowance=ALLOWANCE)
    errors = bid_errors(employee(), employee(worker=WORKER_B), fee=40_000, headcount=1, finding=profit)
    assert [(loc, msg[:40]) for loc, msg, _ in errors] == [
        (("fee_per_worker_day_fen",), "asks 400.00 yuan, more than the order's "),
        (("employees",), "the order asks for 1 workers at most"),
        (("fee_per_worker_day_fen",), profit.refusal.msg[:40]),
    ]
    assert errors[2][2]["reason"] == "lending_for_profit"


def test_a_fee_only_shown_to_the_supervisor_is_no_error():
    flagged = lending_fee_finding(fee_per_worker_day_fen=28_000, wage_per_day_fen=WAGE_PER_DAY_FEN, allowance=ALLOWANCE)
    assert flagged is not None and not flagged.refused
    assert bid_errors(employee(), fee=28_000, finding=flagged) == []


def test_only_a_confirmed_employment_may_be_lent_from():
    assert [r.code for r in lent_worker_refusals(lender_id=20, employer_of_record_id=20)] == []
    assert [r.code for r in lent_worker_refusals(lender_id=20, employer_of_record_id=20,
                                                 employment_state="pending")] == ["employment_not_active"]
