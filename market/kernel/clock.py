"""Time: the zone the law and the people use, the current instant and local dates.

Every instant the code handles is aware. The law counts days and weeks in China's civil time
(Asia/Shanghai, UTC+8 without daylight saving since 1991), whatever zone the server runs in."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def is_aware(moment: datetime) -> bool:
    return moment.tzinfo is not None and moment.utcoffset() is not None


def now(at: datetime | None = None) -> datetime:
    """`at` if given (a caller's or a test's fixed instant), else the current instant in UTC.

    A naive `at` is refused: it would silently be read in the server's zone."""
    if at is None:
        return datetime.now(UTC)
    if not is_aware(at):
        raise ValueError(f"an instant needs a time zone: {at!r}")
    return at


def local_date(moment: datetime, zone: tzinfo = SHANGHAI) -> date:
    """The calendar date of an aware instant in `zone` (by default Beijing time)."""
    if not is_aware(moment):
        raise ValueError(f"an instant needs a time zone: {moment!r}")
    return moment.astimezone(zone).date()


def today(at: datetime | None = None, zone: tzinfo = SHANGHAI) -> date:
    """Today's date in `zone` (by default Beijing time), at `at` or now."""
    return local_date(now(at), zone)


def elapsed(start: datetime, end: datetime) -> timedelta:
    """Real time between two aware datetimes, whatever their zones (never wall-clock arithmetic)."""
    return end.astimezone(UTC) - start.astimezone(UTC)
