"""China's working days: the days on which pay can fall due.

The State Council publishes each year's holidays and the weekend days worked in exchange (调休)
about November of the year before (国务院办公厅 notice on 部分节假日安排). Those facts come from the
`chinese-calendar` library only: one release per notice, and a clear refusal for a year it does not
have, so a missing year is never guessed from rules. Here a year the installed release does not
know counts **weekends only** (and logs a warning once per year): the settlement rules flag every
due date computed that way for supervisors (docs/settlement-rules.md "Due dates"). Upgrading the
library is the fix; nothing else in the code changes.
"""
from __future__ import annotations

import logging
from datetime import date, timedelta
from functools import cache

import chinese_calendar

log = logging.getLogger(__name__)

FIRST_KNOWN_YEAR: int = min(chinese_calendar.holidays).year
LAST_KNOWN_YEAR: int = max(chinese_calendar.holidays).year
_SATURDAY = 5
_ONE_DAY = timedelta(days=1)


def knows(day: date) -> bool:
    """Whether the installed calendar has the official schedule of `day`'s year."""
    return FIRST_KNOWN_YEAR <= day.year <= LAST_KNOWN_YEAR


def is_working_day(day: date) -> bool:
    """A weekday that is not a holiday, or a weekend day worked in exchange for one (调休).
    In a year the calendar does not know: Monday to Friday."""
    if knows(day):
        return bool(chinese_calendar.is_workday(day))
    _warn_unknown_year(day.year)
    return day.weekday() < _SATURDAY


def holiday_name(day: date) -> str | None:
    """The official holiday whose days off `day` is one of (e.g. "National Day"), or None: a
    working day, an ordinary weekend, or a year the calendar does not know."""
    if not knows(day):
        return None
    name = chinese_calendar.holidays.get(day)
    return None if name is None else str(name)


def last_working_day(on_or_before: date) -> date:
    """The latest working day on or before the given day."""
    day = on_or_before
    while not is_working_day(day):
        day -= _ONE_DAY
    return day


def first_working_day(on_or_after: date) -> date:
    """The earliest working day on or after the given day."""
    day = on_or_after
    while not is_working_day(day):
        day += _ONE_DAY
    return day


@cache
def _warn_unknown_year(year: int) -> None:
    log.warning("the installed chinese-calendar (%s) has China's holidays for %d-%d only; days in %d count "
                "weekends only until the library is upgraded", chinese_calendar.__version__, FIRST_KNOWN_YEAR,
                LAST_KNOWN_YEAR, year)
