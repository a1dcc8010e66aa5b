"""Recurring orders: the weekly pattern, its exceptions, and the occurrences they make. Pure.

A series repeats one shift (start and end in Chongqing local time, a headcount) on some ISO
weekdays from `start_date` to `until_date` inclusive. An exception changes one occurrence of the
pattern: skips it, or moves it to another day and/or other times and headcount. Each occurrence
becomes one order, posted through the orders service, so every posting rule is checked on the
occurrence's own date (docs/recurring-orders.md). What this module decides is only *which*
occurrences there are and when they fall; never whether an order is lawful.
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from market.errors import FieldError
from market.kernel import workdays
from market.kernel.clock import SHANGHAI
from market.kernel.relationships import RelationshipType
from market.orders import model as orders
from market.orders.rules import MAX_HEADCOUNT, MAX_SHIFT_LENGTH, MIN_HEADCOUNT

# A series runs at most a year (366 days, as a shared order's period and the booking horizon of
# market/orders/rules.py: a date further out has no minimum wage to hold it to).
MAX_SERIES_DAYS = 366
MAX_EXCEPTIONS = 200
WEEKDAYS = range(1, 8)  # ISO: 1 = Monday


@dataclass(frozen=True)
class Change:
    """One exception to the pattern, on a date the pattern falls on (`on`): skipped, or moved to
    `move_to` and/or given other times or headcount (None: the pattern's)."""

    on: date
    skip: bool = False
    move_to: date | None = None
    start_time: time | None = None
    end_time: time | None = None
    headcount: int | None = None


@dataclass(frozen=True)
class Pattern:
    weekdays: frozenset[int]
    start_time: time
    end_time: time  # at or before start_time: the shift ends the next day (a night shift)
    headcount: int


@dataclass(frozen=True)
class Schedule:
    pattern: Pattern
    start_date: date
    until_date: date
    exceptions: tuple[Change, ...] = ()
    skip_holidays: bool = False


@dataclass(frozen=True)
class Occurrence:
    """One date of the pattern (`on`, the key of the occurrence) and what it becomes: a shift from
    `start` to `end` for `headcount`, or nothing (`skip`: why)."""

    on: date
    start: datetime
    end: datetime
    headcount: int
    skip: Mapping[str, Any] | None = None

    @property
    def shift_date(self) -> date:
        return self.start.astimezone(SHANGHAI).date()


def shift_span(day: date, start: time, end: time) -> tuple[datetime, datetime]:
    """The shift of `day` from `start` to `end` local time; an end at or before the start is the
    next day's."""
    begins = datetime.combine(day, start, tzinfo=SHANGHAI)
    ends = datetime.combine(day if end > start else day + timedelta(days=1), end, tzinfo=SHANGHAI)
    return begins, ends


def _days(start: date, end: date) -> Iterator[date]:
    day = start
    while day <= end:
        yield day
        day += timedelta(days=1)


def holiday_name(day: date) -> str | None:
    """The official holiday `day` falls in (a day off of the State Council's calendar, e.g.
    "National Day"), or None (a working day, an ordinary weekend, a year the calendar lacks)."""
    return workdays.holiday_name(day)


def occurrences(schedule: Schedule) -> list[Occurrence]:
    """Every occurrence of the series, in pattern-date order: the pattern's dates, each changed
    by its exception, skipped holidays marked skipped."""
    pattern = schedule.pattern
    changes = {change.on: change for change in schedule.exceptions}
    found: list[Occurrence] = []
    for day in _days(schedule.start_date, schedule.until_date):
        if day.isoweekday() not in pattern.weekdays:
            continue
        change = changes.get(day)
        start_time, end_time, headcount, shift_day = pattern.start_time, pattern.end_time, pattern.headcount, day
        if change is not None:
            if change.skip:
                begins, ends = shift_span(day, start_time, end_time)
                found.append(Occurrence(day, begins, ends, headcount, {"reason": "exception"}))
                continue
            shift_day = change.move_to or day
            start_time = change.start_time or start_time
            end_time = change.end_time or end_time
            headcount = change.headcount or headcount
        begins, ends = shift_span(shift_day, start_time, end_time)
        skip: dict[str, Any] | None = None
        if schedule.skip_holidays and (name := holiday_name(shift_day)) is not None:
            skip = {"reason": "holiday", "holiday": name, "date": shift_day.isoformat()}
        found.append(Occurrence(day, begins, ends, headcount, skip))
    return found


def due(schedule: Schedule, *, now: datetime, window_days: int) -> list[Occurrence]:
    """The occurrences to decide now: those whose shift starts after `now` and on or before the
    last day of the rolling window (`window_days` after today, Chongqing)."""
    last = now.astimezone(SHANGHAI).date() + timedelta(days=window_days)
    return [o for o in occurrences(schedule) if o.start > now and o.shift_date <= last]


def schedule_errors(schedule: Schedule, *, today: date) -> list[FieldError]:
    """Every broken field of a series' schedule, located as in the request body."""
    errors: list[FieldError] = []
    pattern = schedule.pattern
    if not pattern.weekdays:
        errors.append(FieldError(("pattern", "weekdays"), "at least one weekday is needed"))
    elif not pattern.weekdays <= set(WEEKDAYS):
        errors.append(FieldError(("pattern", "weekdays"), "ISO weekdays are 1 (Monday) to 7 (Sunday)"))
    errors += _times_errors(("pattern",), pattern.start_time, pattern.end_time)
    if not MIN_HEADCOUNT <= pattern.headcount <= MAX_HEADCOUNT:
        errors.append(FieldError(("pattern", "headcount"), f"must be between {MIN_HEADCOUNT} and {MAX_HEADCOUNT}"))
    if schedule.start_date < today:
        errors.append(FieldError(("start_date",), "must not be in the past", {"today": today.isoformat()}))
    elif schedule.start_date > today + timedelta(days=MAX_SERIES_DAYS):
        errors.append(FieldError(("start_date",), f"at most {MAX_SERIES_DAYS} days ahead"))
    if schedule.until_date <= schedule.start_date:
        errors.append(FieldError(("until_date",), "must be after start_date"))
    elif (schedule.until_date - schedule.start_date).days > MAX_SERIES_DAYS:
        errors.append(FieldError(("until_date",), f"a series runs at most {MAX_SERIES_DAYS} days",
                                 {"max_days": MAX_SERIES_DAYS}))
    seen: set[date] = set()
    for index, change in enumerate(schedule.exceptions):
        loc: tuple[str | int, ...] = ("exceptions", index)
        if change.on in seen:
            errors.append(FieldError((*loc, "date"), "listed twice"))
        seen.add(change.on)
        if not schedule.start_date <= change.on <= schedule.until_date:
            errors.append(FieldError((*loc, "date"), "outside the series (start_date to until_date)"))
        elif change.on.isoweekday() not in pattern.weekdays:
            errors.append(FieldError((*loc, "date"), "not a date of the pattern (its weekday is not in weekdays)"))
        if change.skip and (change.move_to or change.start_time or change.end_time or change.headcount):
            errors.append(FieldError((*loc, "skip"), "a skipped date takes no move_to, times or headcount"))
        if change.move_to is not None and not schedule.start_date <= change.move_to <= schedule.until_date:
            errors.append(FieldError((*loc, "move_to"), "outside the series (start_date to until_date)"))
        if change.start_time is not None or change.end_time is not None:
            errors += _times_errors(loc, change.start_time or pattern.start_time, change.end_time or pattern.end_time)
        if change.headcount is not None and not MIN_HEADCOUNT <= change.headcount <= MAX_HEADCOUNT:
            errors.append(FieldError((*loc, "headcount"), f"must be between {MIN_HEADCOUNT} and {MAX_HEADCOUNT}"))
    return errors


def _times_errors(loc: tuple[str | int, ...], start: time, end: time) -> list[FieldError]:
    if start.tzinfo is not None or end.tzinfo is not None:
        return [FieldError((*loc, "start_time"), "a local Chongqing time, without an offset (e.g. 08:30)")]
    if start == end:
        return [FieldError((*loc, "end_time"), "must differ from start_time")]
    begins, ends = shift_span(date(2026, 1, 5), start, end)
    if ends - begins > MAX_SHIFT_LENGTH:
        return [FieldError((*loc, "end_time"), "a shift may last at most 12 h")]
    return []


# ---- terms: a template's, or a series', order without its dates -----------------------------------


def order_from_terms(terms: Mapping[str, Any], organisation_id: orders.EntityId,
                     shifts: Sequence[orders.Shift], bid_deadline: datetime | None = None) -> orders.GigOrder:
    """The gig order of stored terms (validated at input by market/recurring/views.py TermsIn)
    with the given shifts."""
    site = terms["site"]
    pay = terms["pay"]
    late = terms.get("late_cancel") or {}
    stated = pay.get("stated_hours")
    return orders.GigOrder(
        employer_id=organisation_id, relationship=RelationshipType(terms["relationship"]),
        title=terms["title"], district_code=terms["district_code"],
        site=orders.Site(float(site["lat"]), float(site["lon"]), site.get("address", ""),
                         int(site.get("check_in_radius_m", 500))),
        shifts=tuple(shifts),
        pay=orders.Pay(orders.PayUnit(pay["unit"]), int(pay["amount_fen"]),
                       None if stated is None else _decimal(stated), int(pay.get("cycle_days", 7))),
        skills=tuple(orders.SkillRequirement(s["skill_code"], int(s.get("min_level", 1)),
                                             bool(s.get("certificate_required", False)))
                     for s in terms.get("skills", ())),
        description=terms.get("description", ""), daily=bool(terms.get("daily", False)),
        allocation_mode=orders.AllocationMode(terms.get("allocation_mode", "bids")), bid_deadline=bid_deadline,
        late_cancel=orders.LateCancelPolicy(_decimal(late.get("window_hours", 24)),
                                            _decimal(late.get("compensation_hours", 4))),
        sector_code=terms.get("sector_code"),
    )


def _decimal(value: Any) -> Any:
    from decimal import Decimal

    return Decimal(str(value))
