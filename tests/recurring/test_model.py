"""The weekly pattern, its exceptions and the holidays: exactly the expected dates (pure)."""
from datetime import date, datetime, time, timedelta

from market.kernel.clock import SHANGHAI
from market.recurring.model import Change, Pattern, Schedule, due, occurrences, schedule_errors


def schedule(**overrides) -> Schedule:
    fields = dict(pattern=Pattern(frozenset({2, 4}), time(9), time(13), 2), start_date=date(2026, 9, 1),
                  until_date=date(2026, 9, 30), exceptions=(), skip_holidays=False)
    fields.update(overrides)
    return Schedule(**fields)


def test_a_weekly_pattern_with_exceptions_makes_exactly_the_expected_dates():
    made = occurrences(schedule(exceptions=(
        Change(date(2026, 9, 8), skip=True),
        Change(date(2026, 9, 10), start_time=time(10), end_time=time(15), headcount=4),
        Change(date(2026, 9, 15), move_to=date(2026, 9, 16)),
    )))
    # Tuesdays and Thursdays of September 2026
    assert [o.on for o in made] == [date(2026, 9, d) for d in (1, 3, 8, 10, 15, 17, 22, 24, 29)]
    skipped = [o.on for o in made if o.skip]
    assert skipped == [date(2026, 9, 8)]
    by_date = {o.on: o for o in made}
    assert by_date[date(2026, 9, 1)].start == datetime(2026, 9, 1, 9, tzinfo=SHANGHAI)
    assert by_date[date(2026, 9, 1)].end == datetime(2026, 9, 1, 13, tzinfo=SHANGHAI)
    changed = by_date[date(2026, 9, 10)]
    assert (changed.start.hour, changed.end.hour, changed.headcount) == (10, 15, 4)
    moved = by_date[date(2026, 9, 15)]
    assert moved.shift_date == date(2026, 9, 16) and moved.start.hour == 9


def test_a_night_shift_ends_the_next_day():
    made = occurrences(schedule(pattern=Pattern(frozenset({1}), time(22), time(6), 1)))
    first = made[0]
    assert first.on == date(2026, 9, 7)
    assert first.end - first.start == timedelta(hours=8) and first.end.date() == date(2026, 9, 8)


def test_holidays_are_skipped_when_asked_and_named():
    around = schedule(pattern=Pattern(frozenset(range(1, 8)), time(9), time(13), 1),
                      start_date=date(2026, 9, 28), until_date=date(2026, 10, 9))
    assert not any(o.skip for o in occurrences(around))
    skipped = {o.on: o.skip for o in occurrences(Schedule(**{**vars(around), "skip_holidays": True})) if o.skip}
    assert sorted(skipped) == [date(2026, 10, d) for d in range(1, 8)]
    assert skipped[date(2026, 10, 1)] == {"reason": "holiday", "holiday": "National Day", "date": "2026-10-01"}


def test_the_window_takes_future_occurrences_up_to_its_last_day():
    now = datetime(2026, 9, 3, 10, tzinfo=SHANGHAI)  # Thursday's shift has started
    assert [o.on for o in due(schedule(), now=now, window_days=7)] == [date(2026, 9, 8), date(2026, 9, 10)]


def test_a_series_is_validated_field_by_field():
    bad = schedule(pattern=Pattern(frozenset(), time(9), time(9), 0), start_date=date(2026, 9, 1),
                   until_date=date(2026, 9, 1),
                   exceptions=(Change(date(2026, 9, 2)), Change(date(2026, 10, 6)), Change(date(2026, 9, 1)),
                               Change(date(2026, 9, 1))))
    locs = {e.loc for e in schedule_errors(bad, today=date(2026, 9, 1))}
    assert {("pattern", "weekdays"), ("pattern", "end_time"), ("pattern", "headcount"), ("until_date",),
            ("exceptions", 1, "date"), ("exceptions", 3, "date")} <= locs
    too_long = schedule(until_date=date(2027, 9, 30))
    assert [e.loc for e in schedule_errors(too_long, today=date(2026, 9, 1))] == [("until_date",)]
    past = schedule()
    assert [e.loc for e in schedule_errors(past, today=date(2026, 9, 2))] == [("start_date",)]
    long_shift = schedule(pattern=Pattern(frozenset({2}), time(6), time(19), 1))
    assert [e.loc for e in schedule_errors(long_shift, today=date(2026, 9, 1))] == [("pattern", "end_time")]
    assert schedule_errors(schedule(), today=date(2026, 9, 1)) == []
