"""Properties every settlement holds, whatever its inputs: a balanced journal entry, a worker who is
never charged, a shared-labor wage never below the agreed wage nor the minimum."""
from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from market.settlement.rules import (
    EMPLOYER_ESCROW, WORKER_PAYABLE, AlertKind, LineKind, Settlement, SettlementRefused, SharedLaborTimesheet,
    Timesheet, gross_for_minutes, pay_slip, postings, settle_incomplete_labor, settle_labor_part_time,
    settle_labor_service, settle_shared_labor,
)
from market.settlement.tax import LaborRemunerationMonthToDate, WageYearToDate

shift_dates = st.dates(min_value=date(2025, 7, 1), max_value=date(2027, 12, 31))
hourly_minimums_fen = st.sampled_from([2_000, 2_100, 2_200, 2_300])
sector_codes = st.sampled_from([None, "ride_hailing", "instant_delivery", "same_city_freight", "cleaning"])


@st.composite
def timesheets(draw) -> Timesheet:
    return Timesheet(
        shift_date=draw(shift_dates),
        worked_minutes=draw(st.integers(min_value=1, max_value=12 * 60)),
        waiting_minutes=draw(st.integers(min_value=0, max_value=120)),
        hourly_rate_fen=draw(st.integers(min_value=1, max_value=100_000)),
        sector_code=draw(sector_codes),
    )


@st.composite
def wage_years_to_date(draw) -> WageYearToDate:
    return WageYearToDate(
        wages_paid_fen=draw(st.integers(min_value=0, max_value=200_000_000)),
        tax_withheld_fen=draw(st.integers(min_value=0, max_value=50_000_000)),
        months_employed=draw(st.integers(min_value=1, max_value=12)),
        special_deductions_fen=draw(st.integers(min_value=0, max_value=10_000_000)),
    )


@st.composite
def months_to_date(draw) -> LaborRemunerationMonthToDate:
    return LaborRemunerationMonthToDate(
        paid_fen=draw(st.integers(min_value=0, max_value=50_000_000)),
        tax_withheld_fen=draw(st.integers(min_value=0, max_value=20_000_000)),
    )


@st.composite
def settlements(draw, rate_book) -> Settlement | SettlementRefused:
    timesheet = draw(timesheets())
    hourly_minimum_fen = draw(hourly_minimums_fen)
    settled_on = timesheet.shift_date + timedelta(days=draw(st.integers(min_value=0, max_value=3)))
    kind = draw(st.sampled_from(["labor_part_time", "incomplete_labor", "labor_service", "shared_labor"]))
    if kind == "labor_part_time":
        return settle_labor_part_time(timesheet, hourly_minimum_fen=hourly_minimum_fen,
                                      wage_year_to_date=draw(wage_years_to_date()), rate_book=rate_book,
                                      settled_on=settled_on)
    if kind == "incomplete_labor":
        return settle_incomplete_labor(timesheet, hourly_minimum_fen=hourly_minimum_fen,
                                       month_to_date=draw(months_to_date()), rate_book=rate_book,
                                       settled_on=settled_on)
    if kind == "labor_service":
        return settle_labor_service(timesheet, hourly_minimum_fen=hourly_minimum_fen,
                                    month_to_date=draw(months_to_date()), rate_book=rate_book,
                                    settled_on=settled_on)
    shared = SharedLaborTimesheet(
        shift_date=timesheet.shift_date, days_worked=draw(st.integers(min_value=1, max_value=31)),
        worked_minutes=timesheet.worked_minutes,
        lender_fee_per_worker_day_fen=draw(st.integers(min_value=1, max_value=200_000)),
        worker_agreed_wage_fen=draw(st.integers(min_value=0, max_value=5_000_000)),
    )
    return settle_shared_labor(shared, hourly_minimum_fen=hourly_minimum_fen, rate_book=rate_book,
                               settled_on=settled_on)


@given(data=st.data())
def test_postings_of_any_settlement_sum_to_zero(rate_book, data):
    settlement = data.draw(settlements(rate_book))
    if isinstance(settlement, SettlementRefused):
        assert settlement.alerts  # a refusal always says why
        return
    entry = postings(settlement)
    assert sum(posting.amount_fen for posting in entry) == 0
    assert len(entry) >= 2
    assert all(posting.amount_fen != 0 for posting in entry)
    assert len({posting.account for posting in entry}) == len(entry)  # one posting per account


@given(data=st.data())
def test_every_line_is_a_whole_non_negative_number_of_fen(rate_book, data):
    settlement = data.draw(settlements(rate_book))
    if isinstance(settlement, Settlement):
        assert all(isinstance(line.amount_fen, int) and line.amount_fen >= 0 for line in settlement.lines)


@given(data=st.data())
def test_the_worker_gets_gross_minus_tax_and_the_employer_pays_everything_else(rate_book, data):
    settlement = data.draw(settlements(rate_book))
    if isinstance(settlement, SettlementRefused):
        return
    assert settlement.net_pay_fen == settlement.gross_fen - settlement.income_tax_withheld_fen
    assert 0 <= settlement.income_tax_withheld_fen <= settlement.gross_fen
    escrow_lines = sum(line.amount_fen for line in settlement.lines if line.payer == EMPLOYER_ESCROW)
    assert settlement.employer_total_fen == escrow_lines
    # nothing but the tax ever leaves the worker's payable account
    assert {line.kind for line in settlement.lines if line.payer == WORKER_PAYABLE} <= {LineKind.INCOME_TAX_WITHHELD}


@given(data=st.data())
def test_the_pay_slip_adds_up(rate_book, data):
    settlement = data.draw(settlements(rate_book))
    if isinstance(settlement, SettlementRefused) or settlement.shared_wage_leg is not None:
        return
    slip = pay_slip(settlement)
    assert slip.net_fen == slip.gross_fen - sum(line.amount_fen for line in slip.withholdings)


@given(timesheet=timesheets(), hourly_minimum_fen=hourly_minimums_fen,
       settle=st.sampled_from([settle_labor_part_time, settle_incomplete_labor]))
def test_labor_and_incomplete_labor_are_settled_at_or_above_the_minimum_or_refused(
        rate_book, timesheet, hourly_minimum_fen, settle):
    year_or_month = ({"wage_year_to_date": WageYearToDate()} if settle is settle_labor_part_time
                     else {"month_to_date": LaborRemunerationMonthToDate()})
    outcome = settle(timesheet, hourly_minimum_fen=hourly_minimum_fen, rate_book=rate_book,
                     settled_on=timesheet.shift_date, **year_or_month)
    minimum_pay_fen = gross_for_minutes(hourly_minimum_fen, timesheet.paid_minutes)
    if isinstance(outcome, Settlement):
        assert outcome.gross_fen >= minimum_pay_fen
    else:
        assert timesheet.hourly_rate_fen < hourly_minimum_fen
        assert [alert.kind for alert in outcome.alerts] == [AlertKind.BELOW_MINIMUM_WAGE]


@given(shift_date=shift_dates, days_worked=st.integers(min_value=1, max_value=31),
       worked_minutes=st.integers(min_value=0, max_value=31 * 12 * 60),
       agreed_wage_fen=st.integers(min_value=0, max_value=10_000_000), hourly_minimum_fen=hourly_minimums_fen)
def test_shared_labor_wage_is_never_below_the_agreed_wage_nor_the_minimum_wage(
        rate_book, shift_date, days_worked, worked_minutes, agreed_wage_fen, hourly_minimum_fen):
    settlement = settle_shared_labor(
        SharedLaborTimesheet(shift_date, days_worked, worked_minutes, lender_fee_per_worker_day_fen=10_000,
                             worker_agreed_wage_fen=agreed_wage_fen),
        hourly_minimum_fen=hourly_minimum_fen, rate_book=rate_book, settled_on=shift_date)
    wage_fen = settlement.shared_wage_leg.amount_fen
    assert wage_fen >= agreed_wage_fen
    assert wage_fen >= gross_for_minutes(hourly_minimum_fen, worked_minutes)
    assert wage_fen == max(agreed_wage_fen, gross_for_minutes(hourly_minimum_fen, worked_minutes))
