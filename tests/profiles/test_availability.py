"""The availability semantics, pure: weekly pattern, dated exceptions, spans across midnight."""
from datetime import UTC, date, datetime

import pytest

from market.kernel.clock import SHANGHAI
from market.profiles.model import Availability, AvailabilityException, WeeklyWindow


def local(day: str, clock: str) -> datetime:
    hour, minute = map(int, clock.split(":"))
    return datetime.fromisoformat(day).replace(hour=hour, minute=minute, tzinfo=SHANGHAI)


# 2030-01-07 is a Monday.
MONDAY, TUESDAY, WEDNESDAY = "2030-01-07", "2030-01-08", "2030-01-09"
PATTERN = Availability(weekly=(
    WeeklyWindow(1, 8 * 60, 12 * 60), WeeklyWindow(1, 12 * 60, 17 * 60), WeeklyWindow(1, 20 * 60, 24 * 60),
    WeeklyWindow(2, 0, 6 * 60),
))


def test_a_worker_with_no_weekly_windows_is_available_at_any_time():
    assert Availability().covers(local(MONDAY, "03:00"), local(WEDNESDAY, "23:00"))


@pytest.mark.parametrize(("start", "end", "covered"), [
    ((MONDAY, "08:00"), (MONDAY, "12:00"), True),
    ((MONDAY, "09:00"), (MONDAY, "16:00"), True),  # windows that touch join up
    ((MONDAY, "07:59"), (MONDAY, "10:00"), False),
    ((MONDAY, "16:00"), (MONDAY, "18:00"), False),
    ((MONDAY, "22:00"), (TUESDAY, "05:00"), True),  # across midnight: Mon 20–24 and Tue 0–6
    ((MONDAY, "22:00"), (TUESDAY, "07:00"), False),
    ((TUESDAY, "08:00"), (TUESDAY, "09:00"), False),  # Tuesday has only 00:00–06:00
])
def test_the_weekly_pattern_decides_in_local_time(start, end, covered):
    assert PATTERN.covers(local(*start), local(*end)) is covered


def test_times_in_other_zones_are_read_in_chongqing_time():
    # 00:30–03:30 UTC is 08:30–11:30 in Chongqing
    assert PATTERN.covers(datetime(2030, 1, 7, 0, 30, tzinfo=UTC), datetime(2030, 1, 7, 3, 30, tzinfo=UTC))


def test_an_exception_without_times_makes_the_whole_day_unavailable():
    off = Availability(PATTERN.weekly, (AvailabilityException(date(2030, 1, 7)),))
    assert not off.covers(local(MONDAY, "09:00"), local(MONDAY, "10:00"))
    assert off.covers(local("2030-01-14", "09:00"), local("2030-01-14", "10:00"))  # next Monday as usual


def test_an_exception_with_times_replaces_the_pattern_on_its_date():
    only_evening = Availability(PATTERN.weekly, (AvailabilityException(date(2030, 1, 7), 18 * 60, 21 * 60),))
    assert not only_evening.covers(local(MONDAY, "09:00"), local(MONDAY, "10:00"))
    assert only_evening.covers(local(MONDAY, "18:30"), local(MONDAY, "21:00"))
    # Wednesday has no weekly window, but the exception opens one
    wednesday = Availability(PATTERN.weekly, (AvailabilityException(date(2030, 1, 9), 9 * 60, 11 * 60),))
    assert wednesday.covers(local(WEDNESDAY, "09:00"), local(WEDNESDAY, "11:00"))


def test_an_exception_restricts_even_a_worker_who_is_otherwise_always_available():
    free = Availability(exceptions=(AvailabilityException(date(2030, 1, 8)),))
    assert free.covers(local(MONDAY, "09:00"), local(MONDAY, "23:00"))
    assert not free.covers(local(MONDAY, "22:00"), local(TUESDAY, "02:00"))


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError):
        PATTERN.covers(datetime(2030, 1, 7, 9), datetime(2030, 1, 7, 10))
