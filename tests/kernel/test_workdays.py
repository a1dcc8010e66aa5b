"""China's working days (market/kernel/workdays.py): official holidays and make-up working days (调休) from
the chinese-calendar library, weekends only for a year it does not know yet."""
import logging
from datetime import date

from market.kernel import workdays

# A year no release of the library will know for a long time: the fallback's behaviour.
UNPUBLISHED_YEAR = 2100


def test_a_weekday_of_the_national_day_holiday_is_not_a_working_day():
    assert date(2026, 10, 1).isoweekday() == 4  # a Thursday
    assert not workdays.is_working_day(date(2026, 10, 1))


def test_a_weekend_make_up_working_day_is_a_working_day():
    assert date(2026, 9, 20).isoweekday() == 7 and date(2026, 10, 10).isoweekday() == 6
    assert workdays.is_working_day(date(2026, 9, 20)) and workdays.is_working_day(date(2026, 10, 10))


def test_an_ordinary_weekend_is_a_rest_day_and_an_ordinary_weekday_a_working_day():
    assert not workdays.is_working_day(date(2026, 3, 7))  # Saturday
    assert workdays.is_working_day(date(2026, 3, 9))  # Monday


def test_the_last_working_day_before_the_2026_national_day_holiday_is_september_30():
    # 2026: 10-01 to 10-07 off (the 2025-11 State Council notice, as the library has it)
    assert workdays.last_working_day(date(2026, 10, 5)) == date(2026, 9, 30)
    assert workdays.last_working_day(date(2026, 9, 30)) == date(2026, 9, 30)


def test_the_first_working_day_after_the_2026_national_day_holiday_is_october_8():
    assert workdays.first_working_day(date(2026, 10, 1)) == date(2026, 10, 8)


def test_the_calendar_knows_the_years_the_library_was_published_for():
    assert workdays.knows(date(2026, 12, 31)) and not workdays.knows(date(UNPUBLISHED_YEAR, 1, 1))
    assert workdays.LAST_KNOWN_YEAR >= 2026


def test_a_year_the_library_does_not_know_counts_weekends_only_and_logs_a_warning(caplog):
    caplog.set_level(logging.WARNING, logger="market.kernel.workdays")
    workdays._warn_unknown_year.cache_clear()  # it warns once per year and process
    assert workdays.is_working_day(date(UNPUBLISHED_YEAR, 1, 1))  # a Friday: New Year's Day, not known yet
    assert not workdays.is_working_day(date(UNPUBLISHED_YEAR, 1, 2))  # Saturday
    assert workdays.last_working_day(date(UNPUBLISHED_YEAR, 1, 3)) == date(UNPUBLISHED_YEAR, 1, 1)
    assert any(str(UNPUBLISHED_YEAR) in record.getMessage() and "chinese-calendar" in record.getMessage()
               for record in caplog.records if record.levelno == logging.WARNING)
