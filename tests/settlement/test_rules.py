from datetime import date, datetime, timedelta
from fractions import Fraction

import pytest

from market.errors import ValidationFailed
from market.kernel.clock import SHANGHAI
from market.kernel.relationships import RelationshipType
from market.settlement.escrow import seat_cost
from market.settlement.model import hourly_rate
from market.settlement.rules import (
    EMPLOYER_ESCROW, EMPLOYER_TAX_PAYABLE, LENDER_RECEIVABLE, PLATFORM_FEE_REVENUE,
    PLATFORM_OCCUPATIONAL_INJURY_PROTECTION_PAYABLE, WORKER_PAYABLE, AlertKind, LineKind, Party,
    LateCancellation, Settlement, SettlementCause, SettlementRefused, SharedLaborTimesheet, Timesheet,
    gross_for_minutes, pay_due_date, pay_slip, postings, settle_incomplete_labor, settle_labor_part_time,
    settle_labor_service, settle_late_cancellation, settle_shared_labor, settle_standby,
)
from market.settlement.tax import LaborRemunerationMonthToDate, WageYearToDate

YUAN = 100
MONDAY = date(2026, 3, 2)
TIER_1_MINIMUM_FEN = 2_300  # 23 yuan/h from 2025-01-01


def line_amounts(settlement: Settlement) -> dict[LineKind, int]:
    return {line.kind: line.amount_fen for line in settlement.lines}


def part_time(rate_book, timesheet, year=WageYearToDate(), **options):
    return settle_labor_part_time(timesheet, hourly_minimum_fen=TIER_1_MINIMUM_FEN, wage_year_to_date=year,
                                  rate_book=rate_book, settled_on=timesheet.shift_date, **options)


def labor_service(rate_book, timesheet, month=LaborRemunerationMonthToDate()):
    return settle_labor_service(timesheet, hourly_minimum_fen=TIER_1_MINIMUM_FEN, month_to_date=month,
                                rate_book=rate_book, settled_on=timesheet.shift_date)


def incomplete_labor(rate_book, timesheet, month=LaborRemunerationMonthToDate()):
    return settle_incomplete_labor(timesheet, hourly_minimum_fen=TIER_1_MINIMUM_FEN, month_to_date=month,
                                   rate_book=rate_book, settled_on=timesheet.shift_date)


# Gross pay and rounding -------------------------------------------------------------------------------


def test_gross_is_the_hourly_rate_times_minutes_over_60_rounded_half_up():
    assert gross_for_minutes(2_500, 240) == 10_000
    assert gross_for_minutes(2_301, 30) == 1_151  # 1,150.5 fen rounds up
    assert gross_for_minutes(2_301, 1) == 38  # 38.35 fen rounds down


def test_the_platform_fee_rounds_a_half_fen_up_not_to_even(rate_book):
    # 30 minutes at 23.40 yuan/h = 1,170 fen; 5 % = 58.5 fen → 59 (round-half-even would give 58)
    settlement = part_time(rate_book, Timesheet(MONDAY, 30, 2_340))
    assert line_amounts(settlement)[LineKind.PLATFORM_FEE] == 59


def test_work_injury_insurance_rounds_a_half_fen_up_not_to_even(rate_book):
    # 30 minutes at 26.00 yuan/h = 1,300 fen; 0.5 % = 6.5 fen → 7
    assert line_amounts(part_time(rate_book, Timesheet(MONDAY, 30, 2_600)))[LineKind.WORK_INJURY_INSURANCE] == 7
    # 1 minute at 60.00 yuan/h = 100 fen; 0.5 % = 0.5 fen → 1
    assert line_amounts(part_time(rate_book, Timesheet(MONDAY, 1, 6_000)))[LineKind.WORK_INJURY_INSURANCE] == 1


# Day and piece pay: the exact hourly rate, money rounded once ---------------------------------------------


def test_day_and_piece_pay_convert_to_their_exact_hourly_rate_in_fen():
    assert hourly_rate(10_000, "day", Fraction(3)) == Fraction(10_000, 3)
    assert hourly_rate(1_000, "piece", Fraction(7, 10)) == Fraction(10_000, 7)
    assert hourly_rate(2_500, "hour", None) == 2_500


def test_a_full_day_of_day_pay_settles_at_the_agreed_days_pay_exactly(rate_book):
    # 100.00 yuan for a stated 3-hour day: 33.333… yuan/h, never 33.33 (which gives 99.99 for the day)
    day_rate = hourly_rate(10_000, "day", Fraction(3))
    assert labor_service(rate_book, Timesheet(MONDAY, 3 * 60, day_rate)).gross_fen == 10_000
    assert labor_service(rate_book, Timesheet(MONDAY, 2 * 60, day_rate)).gross_fen == 6_667  # 6,666.67 fen


def test_ten_pieces_of_piece_pay_earn_exactly_ten_times_the_piece_rate(rate_book):
    # 10.00 yuan a piece stated at 0.7 h (42 minutes): 14.2857… yuan/h; 10 pieces in 7 h earn 100.00
    piece_rate = hourly_rate(1_000, "piece", Fraction(7, 10))
    assert labor_service(rate_book, Timesheet(MONDAY, 7 * 60, piece_rate)).gross_fen == 10_000


def test_day_pay_just_under_the_hourly_minimum_is_refused_though_its_rounded_rate_reaches_it(rate_book):
    # 68.99 yuan for 3 hours is 22.9967 yuan/h: rounded to the fen it would pass the 23.00 minimum
    outcome = part_time(rate_book, Timesheet(MONDAY, 3 * 60, hourly_rate(6_899, "day", Fraction(3))))
    assert isinstance(outcome, SettlementRefused)
    assert outcome.alerts[0].facts["hourly_minimum_fen"] == TIER_1_MINIMUM_FEN


def test_the_escrow_hold_of_a_full_day_of_day_pay_is_the_days_pay_plus_its_costs():
    start = datetime(2026, 3, 2, 9, tzinfo=SHANGHAI)
    held = seat_cost(RelationshipType.labor_service, rate_fen=10_000, pay_unit="day", stated_hours="3",
                     starts_at=start, ends_at=start + timedelta(hours=3))
    assert held == 10_000 + 500 + 7  # the day's pay, 5 % platform fee, 职业伤害保障 0.07


# labor_part_time -----------------------------------------------------------------------------------------


def test_a_part_time_shift_is_itemised_and_the_employer_pays_insurance_and_fee_on_top(rate_book):
    settlement = part_time(rate_book, Timesheet(MONDAY, 4 * 60, 2_500))
    assert line_amounts(settlement) == {
        LineKind.GROSS_WAGE: 100 * YUAN,
        LineKind.INCOME_TAX_WITHHELD: 0,  # far under 5,000 yuan this month
        LineKind.WORK_INJURY_INSURANCE: 50,  # 0.5 %
        LineKind.PLATFORM_FEE: 5 * YUAN,  # 5 %
    }
    assert settlement.net_pay_fen == 100 * YUAN
    assert settlement.employer_total_fen == 100 * YUAN + 50 + 5 * YUAN
    assert settlement.alerts == ()


def test_part_time_wage_tax_uses_the_year_to_date_facts(rate_book):
    # third month employed, 14,000 already paid, nothing withheld: 16,000 − 15,000 = 1,000 taxable → 30
    year = WageYearToDate(wages_paid_fen=14_000 * YUAN, months_employed=3)
    settlement = part_time(rate_book, Timesheet(MONDAY, 8 * 60, 25_000), year)
    assert settlement.gross_fen == 2_000 * YUAN
    assert settlement.income_tax_withheld_fen == 30 * YUAN
    assert settlement.net_pay_fen == 1_970 * YUAN


def test_part_time_shift_below_the_hourly_minimum_is_refused_with_an_alert(rate_book):
    outcome = part_time(rate_book, Timesheet(MONDAY, 4 * 60, TIER_1_MINIMUM_FEN - 1))
    assert isinstance(outcome, SettlementRefused)
    assert [alert.kind for alert in outcome.alerts] == [AlertKind.BELOW_MINIMUM_WAGE]
    assert outcome.alerts[0].facts == {"hourly_rate_fen": 2_299, "hourly_minimum_fen": 2_300}


def test_part_time_shift_at_exactly_the_hourly_minimum_is_settled(rate_book):
    assert isinstance(part_time(rate_book, Timesheet(MONDAY, 4 * 60, TIER_1_MINIMUM_FEN)), Settlement)


def test_part_time_pay_is_due_15_days_after_the_shift(rate_book):
    # Monday 2026-03-02 + 15 days = Tuesday 2026-03-17
    assert part_time(rate_book, Timesheet(MONDAY, 60, 2_500)).due_date == date(2026, 3, 17)


def test_a_shorter_agreed_pay_cycle_gives_an_earlier_due_date(rate_book):
    settlement = part_time(rate_book, Timesheet(MONDAY, 60, 2_500), pay_cycle_days=7)
    assert settlement.due_date == date(2026, 3, 9)


def test_a_pay_cycle_over_15_days_is_refused(rate_book):
    with pytest.raises(ValidationFailed) as caught:
        part_time(rate_book, Timesheet(MONDAY, 60, 2_500), pay_cycle_days=16)
    assert caught.value.errors[0].loc == ("pay_cycle_days",)


@pytest.mark.parametrize(("shift_date", "due_date"), [
    (date(2026, 3, 6), date(2026, 3, 20)),  # Fri + 15 = Sat 21st → Fri 20th
    (date(2026, 3, 7), date(2026, 3, 20)),  # Sat + 15 = Sun 22nd → Fri 20th
    (date(2026, 3, 8), date(2026, 3, 23)),  # Sun + 15 = Mon 23rd stays
    (date(2026, 3, 5), date(2026, 3, 20)),  # Thu + 15 = Fri 20th stays
])
def test_a_due_date_on_a_weekend_moves_earlier_to_the_friday(shift_date, due_date):
    assert pay_due_date(shift_date) == due_date


def test_a_timesheet_without_working_time_is_refused(rate_book):
    with pytest.raises(ValidationFailed):
        part_time(rate_book, Timesheet(MONDAY, 0, 2_500))


def test_a_settlement_dated_before_its_shift_is_refused(rate_book):
    with pytest.raises(ValidationFailed) as caught:
        settle_labor_part_time(Timesheet(MONDAY, 60, 2_500), hourly_minimum_fen=TIER_1_MINIMUM_FEN,
                               wage_year_to_date=WageYearToDate(), rate_book=rate_book,
                               settled_on=date(2026, 3, 1))
    assert caught.value.errors[0].loc == ("settled_on",)


# incomplete_labor ---------------------------------------------------------------------------------------


def test_incomplete_labor_pays_required_waiting_time_and_the_per_order_protection(rate_book):
    timesheet = Timesheet(MONDAY, worked_minutes=150, waiting_minutes=30, hourly_rate_fen=2_400,
                          sector_code="instant_delivery")
    settlement = incomplete_labor(rate_book, timesheet)
    assert line_amounts(settlement) == {
        LineKind.GROSS_WAGE: 60 * YUAN,  # 2.5 h worked at 24 yuan
        LineKind.WAITING_TIME_WAGE: 12 * YUAN,  # and 0.5 h of waiting, shown apart
        LineKind.INCOME_TAX_WITHHELD: 0,  # under 800 yuan this month
        LineKind.OCCUPATIONAL_INJURY_PROTECTION: 7,  # 0.07 yuan per order
        LineKind.PLATFORM_FEE: 360,
    }
    assert settlement.gross_fen == 72 * YUAN  # 3 h including waiting: the tax and fee base
    protection = next(line for line in settlement.lines if line.kind is LineKind.OCCUPATIONAL_INJURY_PROTECTION)
    assert (protection.payer, protection.payee) == (EMPLOYER_ESCROW, PLATFORM_OCCUPATIONAL_INJURY_PROTECTION_PAYABLE)


def test_incomplete_labor_below_the_minimum_is_refused(rate_book):
    outcome = incomplete_labor(rate_book, Timesheet(MONDAY, 60, 2_000))
    assert isinstance(outcome, SettlementRefused)
    assert outcome.alerts[0].kind is AlertKind.BELOW_MINIMUM_WAGE


def test_incomplete_labor_withholds_labor_remuneration_tax_on_the_month(rate_book):
    # 500 yuan already paid this month, none withheld; 500 more → month 1,000 → (1,000 − 800) × 20 % = 40
    month = LaborRemunerationMonthToDate(paid_fen=500 * YUAN)
    settlement = incomplete_labor(rate_book, Timesheet(MONDAY, 20 * 60, 2_500), month)
    assert settlement.income_tax_withheld_fen == 40 * YUAN
    tax_line = next(line for line in settlement.lines if line.kind is LineKind.INCOME_TAX_WITHHELD)
    assert (tax_line.payer, tax_line.payee) == (WORKER_PAYABLE, EMPLOYER_TAX_PAYABLE)


# labor_service --------------------------------------------------------------------------------------------


def test_labor_service_tax_on_3000_yuan_is_440(rate_book):
    settlement = labor_service(rate_book, Timesheet(MONDAY, 10 * 60, 30_000))
    assert settlement.gross_fen == 3_000 * YUAN
    assert settlement.income_tax_withheld_fen == 440 * YUAN
    assert settlement.net_pay_fen == 2_560 * YUAN


def test_labor_service_second_payment_in_a_month_withholds_the_difference(rate_book):
    month = LaborRemunerationMonthToDate(paid_fen=3_000 * YUAN, tax_withheld_fen=440 * YUAN)
    settlement = labor_service(rate_book, Timesheet(MONDAY, 10 * 60, 30_000), month)
    assert settlement.income_tax_withheld_fen == (960 - 440) * YUAN


def test_labor_service_below_the_minimum_is_paid_as_agreed_with_a_supervisor_alert(rate_book):
    settlement = labor_service(rate_book, Timesheet(MONDAY, 60, 1_500, sector_code="same_city_freight"))
    assert settlement.gross_fen == 1_500
    assert [alert.kind for alert in settlement.alerts] == [AlertKind.BELOW_MINIMUM_WAGE]
    assert line_amounts(settlement)[LineKind.OCCUPATIONAL_INJURY_PROTECTION] == 18


def test_labor_service_at_the_minimum_raises_no_alert(rate_book):
    assert labor_service(rate_book, Timesheet(MONDAY, 60, TIER_1_MINIMUM_FEN)).alerts == ()


def test_no_settlement_deducts_the_platform_fee_from_the_worker(rate_book):
    settlement = labor_service(rate_book, Timesheet(MONDAY, 60, 2_500))
    fee = next(line for line in settlement.lines if line.kind is LineKind.PLATFORM_FEE)
    assert (fee.payer, fee.payee) == (EMPLOYER_ESCROW, PLATFORM_FEE_REVENUE)
    assert settlement.net_pay_fen == settlement.gross_fen - settlement.income_tax_withheld_fen


# shared_labor -----------------------------------------------------------------------------------------------


def shared(rate_book, **changes):
    timesheet = dict(shift_date=MONDAY, days_worked=5, worked_minutes=5 * 8 * 60,
                     lender_fee_per_worker_day_fen=300 * YUAN, worker_agreed_wage_fen=1_200 * YUAN)
    timesheet.update(changes)
    return settle_shared_labor(SharedLaborTimesheet(**timesheet), hourly_minimum_fen=TIER_1_MINIMUM_FEN,
                               rate_book=rate_book, settled_on=MONDAY)


def test_shared_labor_posts_the_lender_fee_and_records_the_wage_leg(rate_book):
    settlement = shared(rate_book)
    assert line_amounts(settlement) == {LineKind.LENDER_FEE: 1_500 * YUAN, LineKind.PLATFORM_FEE: 75 * YUAN}
    fee = settlement.lines[0]
    assert (fee.payer, fee.payee) == (EMPLOYER_ESCROW, LENDER_RECEIVABLE)
    wage_leg = settlement.shared_wage_leg
    assert wage_leg.amount_fen == 1_200 * YUAN
    assert wage_leg.confirmed is False
    assert wage_leg.due_date == date(2026, 3, 17)
    assert settlement.alerts == ()


def test_shared_labor_wage_is_never_below_the_minimum_wage(rate_book):
    # 40 hours at 23 yuan = 920 yuan; the lender agreed 800
    settlement = shared(rate_book, worker_agreed_wage_fen=800 * YUAN)
    assert settlement.shared_wage_leg.amount_fen == 920 * YUAN
    assert [alert.kind for alert in settlement.alerts] == [AlertKind.SHARED_WAGE_RAISED_TO_MINIMUM]


def test_shared_labor_wage_is_never_below_the_agreed_wage(rate_book):
    # the borrower's fee (1,500) does not cap the wage the lender owes (2,000)
    settlement = shared(rate_book, worker_agreed_wage_fen=2_000 * YUAN)
    assert settlement.shared_wage_leg.amount_fen == 2_000 * YUAN


def test_shared_labor_wage_leg_keeps_the_lenders_pay_date(rate_book):
    assert shared(rate_book, wage_due_date=date(2026, 3, 10)).shared_wage_leg.due_date == date(2026, 3, 10)


def test_shared_labor_without_a_fee_is_refused(rate_book):
    with pytest.raises(ValidationFailed) as caught:
        shared(rate_book, lender_fee_per_worker_day_fen=0)
    assert caught.value.errors[0].loc == ("lender_fee_per_worker_day_fen",)


# Late-cancellation compensation: income, taxed like the pay of its relationship type ---------------------


def compensated(rate_book, relationship, amount_fen, *, year=WageYearToDate(), month=LaborRemunerationMonthToDate(),
                agreed_wage_fen=0):
    return settle_late_cancellation(
        LateCancellation(MONDAY, amount_fen, minutes=4 * 60, worker_agreed_wage_fen=agreed_wage_fen),
        relationship, hourly_minimum_fen=TIER_1_MINIMUM_FEN, wage_year_to_date=year, month_to_date=month,
        rate_book=rate_book, settled_on=MONDAY)


def test_a_part_time_compensation_is_withheld_as_wages_of_the_pairs_tax_year(rate_book):
    # third month employed, 14,000 already paid: 14,000 + 2,000 − 15,000 = 1,000 taxable → 30.00
    year = WageYearToDate(wages_paid_fen=14_000 * YUAN, months_employed=3)
    settlement = compensated(rate_book, RelationshipType.labor_part_time, 2_000 * YUAN, year=year)
    assert line_amounts(settlement) == {LineKind.LATE_CANCEL_COMPENSATION: 2_000 * YUAN,
                                        LineKind.INCOME_TAX_WITHHELD: 30 * YUAN}
    assert (settlement.gross_fen, settlement.net_pay_fen) == (2_000 * YUAN, 1_970 * YUAN)


def test_a_labor_service_compensation_is_one_次_with_the_months_other_payments_from_the_payer(rate_book):
    # 3,000 paid (440 withheld) this month; with 1,000 more the month's 4,000 owes 640: 200 now
    month = LaborRemunerationMonthToDate(paid_fen=3_000 * YUAN, tax_withheld_fen=440 * YUAN)
    settlement = compensated(rate_book, RelationshipType.labor_service, 1_000 * YUAN, month=month)
    assert settlement.income_tax_withheld_fen == 200 * YUAN


def test_an_incomplete_labor_compensation_is_withheld_as_labor_remuneration(rate_book):
    settlement = compensated(rate_book, RelationshipType.incomplete_labor, 1_200 * YUAN)
    assert settlement.income_tax_withheld_fen == 80 * YUAN  # (1,200 − 800) × 20 %


def test_a_compensation_costs_the_employer_the_compensation_alone(rate_book):
    # no work was done: no platform fee, no work-injury insurance, no 职业伤害保障 per order
    for relationship in (RelationshipType.labor_part_time, RelationshipType.labor_service):
        assert compensated(rate_book, relationship, 12_000).employer_total_fen == 12_000


def test_a_compensation_pay_slip_shows_the_compensation_as_its_own_line(rate_book):
    slip = pay_slip(compensated(rate_book, RelationshipType.labor_service, 1_200 * YUAN))
    assert [(line.kind, line.amount_fen) for line in slip.lines] == [
        ("gross", 1_200 * YUAN),
        ("late_cancel_compensation", 1_200 * YUAN),
        ("income_tax_withheld", 80 * YUAN),
        ("net", 1_120 * YUAN),
    ]


def test_a_shared_labor_compensation_is_paid_to_the_lender_whose_payroll_owes_the_employee_the_wage(rate_book):
    # 4 h cancelled; the lender's agreed wage for them 27.00 × 4 = 108.00 (above 4 × 23.00)
    settlement = compensated(rate_book, RelationshipType.shared_labor, 150 * YUAN, agreed_wage_fen=108 * YUAN)
    assert {(line.kind, line.payee) for line in settlement.lines} == {(LineKind.LENDER_FEE, LENDER_RECEIVABLE)}
    assert settlement.income_tax_withheld_fen == 0  # the lender's payroll withholds
    assert settlement.shared_wage_leg.amount_fen == 108 * YUAN
    slip = pay_slip(settlement)
    assert (slip.paid_by, slip.gross_fen, slip.net_fen) == (Party.LENDER, 108 * YUAN, None)
    assert [line.kind for line in slip.earnings] == ["late_cancel_compensation"]


# Pay slip -------------------------------------------------------------------------------------------------------


def test_a_pay_slip_itemises_gross_each_withholding_each_contribution_and_net(rate_book):
    settlement = labor_service(rate_book, Timesheet(MONDAY, 10 * 60, 30_000))
    slip = pay_slip(settlement)
    assert [(line.kind, line.amount_fen) for line in slip.lines] == [
        ("gross", 3_000 * YUAN),
        ("income_tax_withheld", 440 * YUAN),
        ("occupational_injury_protection", 7),
        ("net", 2_560 * YUAN),
    ]
    assert slip.paid_by is Party.EMPLOYER
    assert slip.due_date == settlement.due_date
    assert "platform_fee" not in {line.kind for line in slip.lines}


def test_a_shared_labor_pay_slip_shows_the_wage_owed_by_the_lender(rate_book):
    slip = pay_slip(shared(rate_book))
    assert slip.relationship_type is RelationshipType.shared_labor
    assert slip.paid_by is Party.LENDER
    assert slip.gross_fen == 1_200 * YUAN
    assert slip.net_fen is None


def test_postings_of_a_part_time_settlement_are_the_expected_journal_entry(rate_book):
    settlement = part_time(rate_book, Timesheet(MONDAY, 4 * 60, 2_500))
    assert {(posting.account, posting.amount_fen) for posting in postings(settlement)} == {
        (EMPLOYER_ESCROW, 10_550),
        (WORKER_PAYABLE, -10_000),
        (PLATFORM_FEE_REVENUE, -500),
        (settlement.lines[2].payee, -50),  # work-injury insurance payable
    }


def test_the_part_time_worked_example_of_the_settlement_doc_holds(rate_book):
    # docs/settlement-rules.md: third month employed, 15,400 paid and 9 withheld before this 100-yuan shift
    year = WageYearToDate(wages_paid_fen=15_400 * YUAN, tax_withheld_fen=9 * YUAN, months_employed=3)
    settlement = settle_labor_part_time(Timesheet(MONDAY, 4 * 60, 2_500), hourly_minimum_fen=TIER_1_MINIMUM_FEN,
                                        wage_year_to_date=year, rate_book=rate_book, settled_on=date(2026, 3, 3))
    assert line_amounts(settlement) == {LineKind.GROSS_WAGE: 10_000, LineKind.INCOME_TAX_WITHHELD: 600,
                                        LineKind.WORK_INJURY_INSURANCE: 50, LineKind.PLATFORM_FEE: 500}
    assert (settlement.net_pay_fen, settlement.employer_total_fen) == (9_400, 10_550)
    assert settlement.due_date == date(2026, 3, 17)
    assert sorted(posting.amount_fen for posting in postings(settlement)) == [-9_400, -600, -500, -50, 10_550]


# Standby pay (docs/standby.md): the late-cancel compensation's taxation, its own slip line --------


def standby(rate_book, relationship, amount_fen, *, year=WageYearToDate(), month=LaborRemunerationMonthToDate()):
    return settle_standby(MONDAY, amount_fen, relationship, wage_year_to_date=year, month_to_date=month,
                          rate_book=rate_book, settled_on=MONDAY + timedelta(days=1))


def test_standby_pay_is_withheld_as_the_relationship_types_pay_and_due_the_shifts_day(rate_book):
    # 劳务报酬, 500 already paid this month: 500 + 600 − 800 = 300 at 20% → 60.00
    month = LaborRemunerationMonthToDate(paid_fen=500 * YUAN)
    for relationship in (RelationshipType.labor_service, RelationshipType.incomplete_labor):
        settlement = standby(rate_book, relationship, 600 * YUAN, month=month)
        assert line_amounts(settlement) == {LineKind.STANDBY_PAY: 600 * YUAN, LineKind.INCOME_TAX_WITHHELD: 60 * YUAN}
        assert (settlement.gross_fen, settlement.net_pay_fen, settlement.employer_total_fen) == (
            600 * YUAN, 540 * YUAN, 600 * YUAN)
        assert settlement.due_date == MONDAY and settlement.cause is SettlementCause.STANDBY
    # 工资薪金, third month, 14,000 paid: 14,000 + 2,000 − 15,000 = 1,000 at 3% → 30.00
    year = WageYearToDate(wages_paid_fen=14_000 * YUAN, months_employed=3)
    wages = standby(rate_book, RelationshipType.labor_part_time, 2_000 * YUAN, year=year)
    assert wages.income_tax_withheld_fen == 30 * YUAN
    slip = pay_slip(wages)
    assert [(line.kind, line.amount_fen) for line in slip.earnings] == [("standby_pay", 2_000 * YUAN)]
    assert slip.net_fen == 1_970 * YUAN


def test_shared_labor_and_a_non_positive_amount_have_no_standby_pay(rate_book):
    with pytest.raises(ValidationFailed):
        standby(rate_book, RelationshipType.shared_labor, 600 * YUAN)
    with pytest.raises(ValidationFailed):
        standby(rate_book, RelationshipType.labor_service, 0)
