"""Due dates follow China's working days (保障农民工工资支付条例 art. 11, 工资支付暂行规定 art. 7: pay
due on a rest day or a holiday is paid on the working day before): the settlement rules, the
lender's wage leg, and the arrears clock of timesheets left unsettled."""
from datetime import date, datetime, timedelta

from market.kernel.clock import SHANGHAI
from market.settlement.rules import (
    AlertKind, SharedLaborTimesheet, Timesheet, pay_due_date, settle_labor_part_time, settle_shared_labor,
)
from market.settlement.tax import WageYearToDate
from market.settlement.keys import SETTLEMENTS
from tests.settlement.support import approved_but_unfunded

TIER_1_MINIMUM_FEN = 2_300
UNPUBLISHED_YEAR = 2100  # beyond any release of the holiday calendar for a long time


def part_time(rate_book, shift_date, pay_cycle_days=15):
    return settle_labor_part_time(Timesheet(shift_date, 4 * 60, 2_500), hourly_minimum_fen=TIER_1_MINIMUM_FEN,
                                  wage_year_to_date=WageYearToDate(), rate_book=rate_book, settled_on=shift_date,
                                  pay_cycle_days=pay_cycle_days)


def shared(rate_book, shift_date, wage_due_date=None):
    timesheet = SharedLaborTimesheet(shift_date, days_worked=1, worked_minutes=8 * 60,
                                     lender_fee_per_worker_day_fen=30_000, worker_agreed_wage_fen=24_000,
                                     wage_due_date=wage_due_date)
    return settle_shared_labor(timesheet, hourly_minimum_fen=TIER_1_MINIMUM_FEN, rate_book=rate_book,
                               settled_on=shift_date)


def test_pay_due_on_national_day_moves_to_the_last_working_day_before_the_holiday():
    # 2026-09-16 + 15 days = Thursday 10-01; 10-01 to 10-07 are off, 09-30 is a working Wednesday
    assert pay_due_date(date(2026, 9, 16)) == date(2026, 9, 30)


def test_pay_due_on_a_weekday_of_the_spring_festival_moves_back_to_the_make_up_saturday_before_it():
    # 2026-02-01 + 15 = Monday 02-16, inside the 02-15..02-23 holiday; Saturday 02-14 is a 调休 working day
    assert pay_due_date(date(2026, 2, 1)) == date(2026, 2, 14)


def test_pay_due_on_a_weekend_make_up_working_day_stays_on_it():
    assert pay_due_date(date(2026, 9, 25)) == date(2026, 10, 10)  # Saturday, a working day
    assert pay_due_date(date(2026, 9, 5)) == date(2026, 9, 20)  # Sunday, a working day


def test_pay_never_falls_due_before_the_work_was_done():
    # a one-day cycle from a holiday Saturday: the working day before (09-30) is before the shift
    assert pay_due_date(date(2026, 10, 3), 1) == date(2026, 10, 3)


def test_a_part_time_settlement_due_on_a_holiday_is_due_the_working_day_before(rate_book):
    settlement = part_time(rate_book, date(2026, 9, 16))
    assert settlement.due_date == date(2026, 9, 30)
    assert settlement.alerts == ()


def test_the_lenders_wage_leg_due_on_a_holiday_moves_to_the_working_day_before(rate_book):
    settlement = shared(rate_book, date(2026, 9, 16), wage_due_date=date(2026, 10, 2))
    assert settlement.shared_wage_leg.due_date == date(2026, 9, 30)
    assert settlement.due_date == date(2026, 9, 30)  # the lender's fee, by the default cycle


def test_a_due_date_in_a_year_the_calendar_does_not_know_counts_weekends_only_and_alerts_supervisors(rate_book):
    # 2099-12-18 + 15 = Saturday 2100-01-02 → Friday 01-01 (New Year's Day, which the library cannot know yet)
    settlement = part_time(rate_book, date(UNPUBLISHED_YEAR - 1, 12, 18))
    assert settlement.due_date == date(UNPUBLISHED_YEAR, 1, 1)
    [alert] = settlement.alerts
    assert alert.kind is AlertKind.DUE_DATE_WITHOUT_HOLIDAY_CALENDAR
    assert alert.facts["year"] == UNPUBLISHED_YEAR


def test_a_wage_leg_due_in_a_year_the_calendar_does_not_know_alerts_supervisors(rate_book):
    settlement = shared(rate_book, date(UNPUBLISHED_YEAR - 1, 12, 1))
    assert [alert.kind for alert in settlement.alerts] == [AlertKind.DUE_DATE_WITHOUT_HOLIDAY_CALENDAR]


async def test_the_arrears_clock_of_an_unsettled_timesheet_runs_from_the_holiday_moved_due_date(client, conn):
    _, _, assignment_id = await approved_but_unfunded(client, conn)
    service = client.app[SETTLEMENTS]
    # The seat was on 2026-09-16, paid on a 15-day cycle: due on 09-30, the working day before National Day.
    worked_on = datetime(2026, 9, 16, 9, tzinfo=SHANGHAI)
    await conn.execute("UPDATE assignments SET period = tstzrange($2, $3) WHERE id = $1",
                       assignment_id, worked_on, worked_on + timedelta(hours=3))
    await conn.execute("UPDATE orders SET pay_cycle_days = 15 WHERE id = (SELECT order_id FROM assignments "
                       "WHERE id = $1)", assignment_id)

    assert await service.check_arrears(today=date(2026, 9, 30)) == []  # due today: not late yet
    [arrear] = await service.check_arrears(today=date(2026, 10, 1))
    assert arrear.due_date == date(2026, 9, 30) and arrear.employer_at_fault is True
    assert await conn.fetchval("SELECT details->>'due_date' FROM alerts WHERE kind = 'arrears_wage_unpaid'") \
        == "2026-09-30"
