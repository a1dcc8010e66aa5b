"""The kernel's clock: instants are aware, dates are Beijing's. Unit tier: no server."""
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo

import pytest

from market.kernel import clock
from market.kernel.clock import SHANGHAI

NEW_YORK_WINTER = timezone(timedelta(hours=-5))


def test_now_returns_the_instant_it_is_given():
    at = datetime(2026, 3, 2, 9, 30, tzinfo=SHANGHAI)
    assert clock.now(at) is at


def test_now_refuses_a_naive_instant():
    with pytest.raises(ValueError, match="time zone"):
        clock.now(datetime(2026, 3, 2, 9, 30))


def test_now_without_an_instant_is_the_current_utc_instant():
    before = datetime.now(UTC)
    now = clock.now()
    assert now.utcoffset() == timedelta(0) and before <= now <= datetime.now(UTC)


def test_the_local_date_turns_at_midnight_beijing_time_not_utc():
    assert clock.local_date(datetime(2026, 3, 1, 15, 59, 59, tzinfo=UTC)) == date(2026, 3, 1)
    assert clock.local_date(datetime(2026, 3, 1, 16, 0, tzinfo=UTC)) == date(2026, 3, 2)


def test_the_local_date_of_an_instant_is_the_same_whatever_zone_it_is_written_in():
    moment = datetime(2026, 3, 1, 11, 30, tzinfo=NEW_YORK_WINTER)  # 00:30 on 2 March in Beijing
    assert clock.local_date(moment) == date(2026, 3, 2)
    assert clock.local_date(moment, NEW_YORK_WINTER) == date(2026, 3, 1)


def test_the_local_date_refuses_a_naive_instant():
    with pytest.raises(ValueError, match="time zone"):
        clock.local_date(datetime(2026, 3, 1, 23, 30))


def test_today_is_the_beijing_date_of_the_given_instant():
    assert clock.today(datetime(2026, 12, 31, 16, 0, tzinfo=UTC)) == date(2027, 1, 1)


def test_elapsed_is_real_time_across_zones():
    start = datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI)
    assert clock.elapsed(start, datetime(2026, 3, 2, 2, 0, tzinfo=UTC)) == timedelta(hours=1)


def test_awareness_needs_an_offset_not_only_a_tzinfo():
    class NoOffset(tzinfo):  # a zone that knows no offset
        def utcoffset(self, dt):
            return None

    assert clock.is_aware(datetime(2026, 3, 2, tzinfo=SHANGHAI))
    assert not clock.is_aware(datetime(2026, 3, 2))
    assert not clock.is_aware(datetime(2026, 3, 2, tzinfo=NoOffset()))
