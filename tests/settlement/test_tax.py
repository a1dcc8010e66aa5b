from datetime import date
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from market.errors import ValidationFailed
from market.settlement.tax import (
    LaborRemunerationMonthToDate, WageYearToDate, labor_remuneration_tax, labor_remuneration_taxable_income,
    labor_remuneration_withholding, months_employed_this_year, round_half_up_fen, wage_withholding,
)

YUAN = 100  # fen


# Rounding ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("exact_fen", "rounded_fen"), [
    (Fraction(1, 2), 1), (Fraction(3, 2), 2), (Fraction(5, 2), 3),  # halves round up, not to even
    (Fraction(4999, 10000), 0), (Fraction(5001, 10000), 1), (Fraction(7, 1), 7),
    (Fraction(-1, 2), -1), (Fraction(-4999, 10000), 0),  # halves away from zero for negatives
])
def test_round_half_up_fen_rounds_halves_away_from_zero(exact_fen, rounded_fen):
    assert round_half_up_fen(exact_fen) == rounded_fen


@given(st.integers(min_value=0, max_value=10**12))
def test_a_half_fen_always_rounds_up(whole_fen):
    assert round_half_up_fen(Fraction(2 * whole_fen + 1, 2)) == whole_fen + 1


@given(st.fractions(min_value=-10**9, max_value=10**9))
def test_rounding_is_never_more_than_half_a_fen_off(exact_fen):
    assert abs(round_half_up_fen(exact_fen) - exact_fen) <= Fraction(1, 2)


# 劳务报酬: the worked examples of RULES.md ------------------------------------------------------------


@pytest.mark.parametrize(("income_yuan", "tax_yuan"), [
    (800, 0), (3_000, 440), (4_000, 640), (25_000, 4_000), (30_000, 5_200), (70_000, 15_400),
])
def test_labor_service_tax_matches_the_worked_examples(labor_table, income_yuan, tax_yuan):
    assert labor_remuneration_tax(income_yuan * YUAN, labor_table) == tax_yuan * YUAN


def test_labor_service_tax_on_3000_yuan_is_440(labor_table):
    assert labor_remuneration_tax(3_000 * YUAN, labor_table) == 440 * YUAN


def test_labor_service_income_below_800_yuan_is_not_taxed(labor_table):
    assert labor_remuneration_taxable_income(500 * YUAN, labor_table) == 0
    assert labor_remuneration_tax(500 * YUAN, labor_table) == 0
    assert labor_remuneration_tax(0, labor_table) == 0


def test_labor_service_income_of_exactly_4000_yuan_takes_800_off_and_one_fen_more_takes_20_percent_off(
        labor_table):
    assert labor_remuneration_taxable_income(4_000 * YUAN, labor_table) == 3_200 * YUAN
    assert labor_remuneration_taxable_income(4_000 * YUAN + 1, labor_table) == Fraction(400_001 * 4, 5)
    assert labor_remuneration_taxable_income(4_000 * YUAN - 1, labor_table) == 3_200 * YUAN - 1
    # 639.998 / 640 / 640.0016 yuan: the two formulas meet at 4,000, so the tax is continuous
    assert labor_remuneration_tax(4_000 * YUAN - 1, labor_table) == 640 * YUAN
    assert labor_remuneration_tax(4_000 * YUAN + 1, labor_table) == 640 * YUAN


@pytest.mark.parametrize(("taxable_fen", "rate"), [
    (20_000 * YUAN - 1, Fraction(20, 100)), (20_000 * YUAN, Fraction(20, 100)), (20_000 * YUAN + 1, Fraction(30, 100)),
    (50_000 * YUAN - 1, Fraction(30, 100)), (50_000 * YUAN, Fraction(30, 100)), (50_000 * YUAN + 1, Fraction(40, 100)),
])
def test_labor_service_bracket_edges_belong_to_the_lower_bracket(labor_table, taxable_fen, rate):
    assert labor_table.bracket_for(taxable_fen).rate == rate


@pytest.mark.parametrize(("income_fen", "tax_fen"), [
    (25_000 * YUAN, 4_000 * YUAN),  # taxable exactly 20,000: 20 %
    (25_000 * YUAN + 1, 4_000 * YUAN),  # taxable 20,000.008: 30 % − 2,000 = 4,000.0024
    (25_000 * YUAN - 1, 4_000 * YUAN),  # taxable 19,999.992: 20 % = 3,999.9984
    (62_500 * YUAN, 13_000 * YUAN),  # taxable exactly 50,000: 30 % − 2,000
    (62_500 * YUAN + 1, 13_000 * YUAN),  # taxable 50,000.008: 40 % − 7,000 = 13,000.0032
    (62_500 * YUAN + 4, 1_300_001),  # 40 % − 7,000 on 50,000.032 = 13,000.0128
])
def test_labor_service_tax_at_the_taxable_bracket_edges(labor_table, income_fen, tax_fen):
    assert labor_remuneration_tax(income_fen, labor_table) == tax_fen


@given(st.integers(min_value=0, max_value=10**9), st.integers(min_value=0, max_value=10**9))
def test_labor_service_tax_never_falls_when_income_rises(labor_table, income_fen, more_fen):
    assert labor_remuneration_tax(income_fen + more_fen, labor_table) >= labor_remuneration_tax(income_fen, labor_table)


# 劳务报酬: one 次 per payer, worker and calendar month ----------------------------------------------------


def test_monthly_withholding_over_three_payments_sums_to_the_tax_on_the_months_total(labor_table):
    payments_fen = [1_500 * YUAN, 2_500 * YUAN, 3_000 * YUAN]
    month = LaborRemunerationMonthToDate()
    withheld = []
    for payment_fen in payments_fen:
        tax_fen = labor_remuneration_withholding(payment_fen, month, labor_table)
        withheld.append(tax_fen)
        month = LaborRemunerationMonthToDate(month.paid_fen + payment_fen, month.tax_withheld_fen + tax_fen)
    # 1,500 → 140; 4,000 → 640 (500 more); 7,000 → 1,120 (480 more)
    assert withheld == [140 * YUAN, 500 * YUAN, 480 * YUAN]
    assert sum(withheld) == labor_remuneration_tax(7_000 * YUAN, labor_table) == 1_120 * YUAN


@given(st.lists(st.integers(min_value=1, max_value=3_000_000), min_size=1, max_size=20))
def test_monthly_withholding_of_any_payments_sums_to_the_tax_on_the_months_total(labor_table, payments_fen):
    month = LaborRemunerationMonthToDate()
    for payment_fen in payments_fen:
        tax_fen = labor_remuneration_withholding(payment_fen, month, labor_table)
        assert tax_fen >= 0
        month = LaborRemunerationMonthToDate(month.paid_fen + payment_fen, month.tax_withheld_fen + tax_fen)
    assert month.tax_withheld_fen == labor_remuneration_tax(sum(payments_fen), labor_table)


def test_a_new_month_starts_fresh_so_the_800_yuan_deduction_applies_again(labor_table):
    # 3,000 yuan in March, then 3,000 yuan in April: two 次 of 440 each, not one 次 of 6,000 (960)
    march_tax = labor_remuneration_withholding(3_000 * YUAN, LaborRemunerationMonthToDate(), labor_table)
    april_tax = labor_remuneration_withholding(3_000 * YUAN, LaborRemunerationMonthToDate(), labor_table)
    same_month_second_tax = labor_remuneration_withholding(
        3_000 * YUAN, LaborRemunerationMonthToDate(3_000 * YUAN, march_tax), labor_table)
    assert march_tax == april_tax == 440 * YUAN
    assert same_month_second_tax == 960 * YUAN - 440 * YUAN


def test_monthly_withholding_is_never_negative_when_more_was_already_withheld(labor_table):
    over_withheld = LaborRemunerationMonthToDate(paid_fen=1_000 * YUAN, tax_withheld_fen=500 * YUAN)
    assert labor_remuneration_withholding(100 * YUAN, over_withheld, labor_table) == 0


def test_monthly_withholding_never_takes_more_than_the_payment_and_catches_up_on_the_next(labor_table):
    # 1,000 yuan paid earlier this month with nothing withheld (say, by a correction): the month owes 40
    under_withheld = LaborRemunerationMonthToDate(paid_fen=1_000 * YUAN, tax_withheld_fen=0)
    assert labor_remuneration_withholding(10 * YUAN, under_withheld, labor_table) == 10 * YUAN
    caught_up = LaborRemunerationMonthToDate(paid_fen=1_010 * YUAN, tax_withheld_fen=10 * YUAN)
    # month 1,110 → 62; 52 still due, all of it from a 100-yuan payment
    assert labor_remuneration_withholding(100 * YUAN, caught_up, labor_table) == 52 * YUAN


def test_negative_amounts_are_refused_with_the_field_named(labor_table):
    with pytest.raises(ValidationFailed) as caught:
        labor_remuneration_withholding(-1, LaborRemunerationMonthToDate(), labor_table)
    assert caught.value.errors[0].loc == ("payment_fen",)


# 工资薪金: cumulative withholding per employer–worker per tax year ---------------------------------------


def test_wage_tax_is_3_percent_of_cumulative_taxable_income_in_the_first_bracket(wage_table):
    # 8,000 wages − 5,000 basic deduction = 3,000 taxable → 90
    assert wage_withholding(8_000 * YUAN, WageYearToDate(months_employed=1), wage_table) == 90 * YUAN


def test_wages_under_the_basic_deduction_are_not_taxed(wage_table):
    assert wage_withholding(2_000 * YUAN, WageYearToDate(months_employed=1), wage_table) == 0


def test_special_deductions_reduce_the_cumulative_taxable_income(wage_table):
    year = WageYearToDate(months_employed=1, special_deductions_fen=1_000 * YUAN)
    assert wage_withholding(8_000 * YUAN, year, wage_table) == 60 * YUAN


@pytest.mark.parametrize(("taxable_fen", "rate"), [
    (36_000 * YUAN - 1, Fraction(3, 100)), (36_000 * YUAN, Fraction(3, 100)), (36_000 * YUAN + 1, Fraction(10, 100)),
    (144_000 * YUAN - 1, Fraction(10, 100)), (144_000 * YUAN, Fraction(10, 100)),
    (144_000 * YUAN + 1, Fraction(20, 100)),
])
def test_wage_bracket_edges_belong_to_the_lower_bracket(wage_table, taxable_fen, rate):
    assert wage_table.bracket_for(taxable_fen).rate == rate


@pytest.mark.parametrize(("cumulative_taxable_fen", "tax_fen"), [
    (36_000 * YUAN - 1, 108_000),  # 3 % of 35,999.99 = 1,079.9997
    (36_000 * YUAN, 108_000),  # 3 % of 36,000 = 1,080
    (36_000 * YUAN + 1, 108_000),  # 10 % of 36,000.01 − 2,520 = 1,080.001
    (144_000 * YUAN - 1, 1_188_000),  # 10 % of 143,999.99 − 2,520 = 11,879.999
    (144_000 * YUAN, 1_188_000),  # 10 % of 144,000 − 2,520 = 11,880
    (144_000 * YUAN + 1, 1_188_000),  # 20 % of 144,000.01 − 16,920 = 11,880.002
    (144_000 * YUAN + 3, 1_188_001),  # 20 % of 144,000.03 − 16,920 = 11,880.006
])
def test_wage_tax_at_the_cumulative_bracket_edges(wage_table, cumulative_taxable_fen, tax_fen):
    # one month employed: cumulative wages = taxable + 5,000 yuan
    wages_fen = cumulative_taxable_fen + 5_000 * YUAN
    assert wage_withholding(wages_fen, WageYearToDate(months_employed=1), wage_table) == tax_fen


def test_wage_tax_rounds_a_half_fen_up(wage_table):
    # taxable 0.50 yuan × 3 % = 1.5 fen → 2 fen
    assert wage_withholding(5_000 * YUAN + 50, WageYearToDate(months_employed=1), wage_table) == 2
    # taxable 0.49 yuan × 3 % = 1.47 fen → 1 fen
    assert wage_withholding(5_000 * YUAN + 49, WageYearToDate(months_employed=1), wage_table) == 1


def test_wage_tax_this_payment_is_cumulative_tax_minus_tax_already_withheld(wage_table):
    # March, third month employed: 20,000 paid so far with 150 withheld; 6,000 more.
    # cumulative taxable = 26,000 − 15,000 = 11,000 → 330; this payment 330 − 150 = 180
    year = WageYearToDate(wages_paid_fen=20_000 * YUAN, tax_withheld_fen=150 * YUAN, months_employed=3)
    assert wage_withholding(6_000 * YUAN, year, wage_table) == 180 * YUAN


def test_wage_tax_is_never_negative_when_a_new_month_adds_a_deduction(wage_table):
    year = WageYearToDate(wages_paid_fen=10_000 * YUAN, tax_withheld_fen=150 * YUAN, months_employed=2)
    assert wage_withholding(100 * YUAN, year, wage_table) == 0


@given(st.lists(st.integers(min_value=1, max_value=5_000_000), min_size=1, max_size=24))
def test_wage_withholdings_within_one_month_sum_to_the_tax_on_the_cumulative_total(wage_table, payments_fen):
    year = WageYearToDate(months_employed=1)
    for payment_fen in payments_fen:
        tax_fen = wage_withholding(payment_fen, year, wage_table)
        year = WageYearToDate(year.wages_paid_fen + payment_fen, year.tax_withheld_fen + tax_fen, 1)
    assert year.tax_withheld_fen == wage_withholding(sum(payments_fen), WageYearToDate(months_employed=1), wage_table)


def test_wage_withholding_never_takes_more_than_the_payment(wage_table):
    under_withheld = WageYearToDate(wages_paid_fen=50_000 * YUAN, tax_withheld_fen=0, months_employed=1)
    assert wage_withholding(5 * YUAN, under_withheld, wage_table) == 5 * YUAN


def test_months_employed_outside_1_to_12_are_refused(wage_table):
    with pytest.raises(ValidationFailed) as caught:
        wage_withholding(100, WageYearToDate(months_employed=0), wage_table)
    assert caught.value.errors[0].loc == ("months_employed",)


def test_months_employed_counts_distinct_paid_months_of_this_year_including_the_current_one():
    months_paid = [date(2025, 12, 20), date(2026, 1, 5), date(2026, 1, 20), date(2026, 3, 4)]
    # 2025-12 is last tax year; January and March count once each; May is the current month
    assert months_employed_this_year(months_paid, paid_on=date(2026, 5, 10)) == 3
    assert months_employed_this_year([], paid_on=date(2026, 5, 10)) == 1
    assert months_employed_this_year(months_paid, paid_on=date(2026, 3, 18)) == 2
