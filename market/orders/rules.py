"""The rules of SPEC §4 (and the worker-level limits of §4–§6) as pure functions. Standard library only.

Two kinds of answer:

- Posting an order: `review_order` collects *every* broken field as a `FieldError` whose `loc` is the
  path of the field in the request body (the body uses the dataclass field names of
  `market.orders.model`, e.g. `("pay", "amount_fen")`, `("shifts", 2, "start")`), plus supervisor
  alerts that do not block posting. `check_order` raises `ValidationFailed` with all of them.
- A worker and a seat: functions return `Refusal`s — a stable reason `code` the allocation
  solver records for unfilled seats, a human `msg`, and `ctx` facts. The rules of a bid (a
  worker's, a lender's) build on them in `market.bids.rules`, which turns them into a 422.

Every fact the rules need (minimum-wage standards, district tiers, the worker's hours) is an
argument; nothing here reads a file, the clock or the database. Decisions and sources are in
docs/orders-rules.md.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

from market.catalogue.model import MinimumWageUnknown
from market.certificates import model as certificates
from market.errors import FieldError, ValidationFailed
from market.kernel.clock import SHANGHAI, elapsed, is_aware, local_date
from market.kernel.relationships import RelationshipType
from market.orders.model import (
    MINIMUM_WAGE_RELATIONSHIPS,
    DistrictTiers,
    GigOrder,
    MinimumWageTable,
    Order,
    PayUnit,
    SharedOrder,
    Shift,
    SkillRequirement,
    TimeSpan,
    WorkerSkill,
)

Loc = tuple[str | int, ...]

# SPEC §4, posting.
MAX_SHIFT_LENGTH = timedelta(hours=12)
MIN_HEADCOUNT, MAX_HEADCOUNT = 1, 500
SKILL_LEVELS = range(1, 6)

# 劳动合同法 art. 68–72 (RULES.md "Part-time labor").
PART_TIME_MAX_DAILY_SHIFT = timedelta(hours=4)
PART_TIME_MAX_WEEKLY_HOURS = timedelta(hours=24)
PART_TIME_MAX_DAILY_AVERAGE = timedelta(hours=4)
PART_TIME_MAX_PAY_CYCLE_DAYS = 15

# The longest pay cycle RULES.md lists ("hourly/daily/weekly/monthly") is a month.
MAX_PAY_CYCLE_DAYS = 31
# A working day cannot state more hours than a day has.
MAX_STATED_HOURS_PER_DAY = 24
# Platform policy: a loan longer than a year should be renewed, not posted once (keeps shared
# employment from turning into disguised permanent dispatch, and one posting's shifts bounded).
MAX_SHARED_PERIOD_DAYS = 366
# Platform policy: work is posted at most a year ahead (366 days, so a date a year on is always
# bookable). The minimum wage of a date further out is not known yet, a typo in the year
# (2062 for 2026) is caught, and the feed, supervision and settlement only ever meet dates near now.
BOOKING_HORIZON = timedelta(days=366)


@dataclass(frozen=True)
class Refusal:
    """Why a worker, a lender or a bid cannot take a seat: a stable code, a message and facts."""

    code: str
    msg: str
    ctx: dict[str, Any] = field(default_factory=dict)

    def at(self, loc: Loc) -> FieldError:
        return FieldError(loc=loc, msg=self.msg, ctx={"reason": self.code, **self.ctx})


@dataclass(frozen=True)
class SupervisorAlert:
    """Something supervisors should see that does not stop the posting (e.g. labor_service pay
    below the minimum wage, which the law allows for a civil relationship)."""

    code: str
    msg: str
    ctx: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class OrderReview:
    """The outcome of checking a posting: every field error, and the alerts to raise if it posts."""

    errors: tuple[FieldError, ...]
    alerts: tuple[SupervisorAlert, ...]

    @property
    def ok(self) -> bool:
        return not self.errors


# Refusal codes → the coarser `market.allocation.model.Reason` values, for a builder that lists
# ineligible pairs with reasons (kept as strings: this module must not import the solver's numpy).
ALLOCATION_REASON: dict[str, str] = {
    "overlap": "overlap",
    "part_time_weekly_hours": "hours_limit",
    "part_time_daily_average": "hours_limit",
    "part_time_daily_hours": "hours_limit",
    "weekly_hours_cap": "hours_limit",
    "missing_skill": "skill_mismatch",
    "skill_level_too_low": "skill_mismatch",
    "certificate_missing": "certificate_missing",
    "certificate_expires": "certificate_expires",
    "bid_above_rate": "bid_above_rate",
}


def yuan(fen: int) -> str:
    """2300 → '23.00' (for messages only; money stays in fen)."""
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100}.{abs(fen) % 100:02d}"


def decimal_hours(hours: Decimal | Fraction | None) -> str:
    """7.5 → '7.5', Fraction(22, 3) → '7.33' (for messages only)."""
    if hours is None:
        return "no"
    return f"{float(hours):.2f}".rstrip("0").rstrip(".")


def hours_text(span: timedelta) -> str:
    minutes = int(span.total_seconds() // 60)
    return f"{minutes // 60} h {minutes % 60:02d} min" if minutes % 60 else f"{minutes // 60} h"


# ---------------------------------------------------------------------------------------------------
# Posting an order
# ---------------------------------------------------------------------------------------------------


def is_daily(order: GigOrder) -> bool:
    """Whether a part-time order "says daily" (SPEC §4): the employer ticked `daily` (the work repeats
    every day, 每天 N 小时) or pays by the day (a day's pay describes a working day). Either way one
    shift is one day's work, so the 4 h daily average caps the shift itself."""
    return order.daily or order.pay.unit is PayUnit.day


def review_order(
    order: Order,
    *,
    now: datetime,
    minimum_wages: MinimumWageTable,
    district_tiers: DistrictTiers,
    known_skill_codes: Collection[str] | None = None,
    known_sector_codes: Collection[str] | None = None,
) -> OrderReview:
    """Every SPEC §4 posting check on a gig or shared order, collecting all errors and alerts.

    `now` must be aware. `district_tiers` maps each district accepting orders to its tier;
    `known_skill_codes`, when given, is the skill catalogue; `known_sector_codes` the sector catalogue.
    """
    if not is_aware(now):
        raise ValueError("now must be timezone-aware")
    errors: list[FieldError] = []
    alerts: list[SupervisorAlert] = []
    errors += _common_errors(order, district_tiers, known_skill_codes)
    if known_sector_codes is not None and order.sector_code is not None \
            and order.sector_code not in known_sector_codes:
        errors.append(FieldError(("sector_code",), "not in the sector catalogue (GET /v1/sectors)",
                                 {"sector_code": order.sector_code}))
    if isinstance(order, SharedOrder):
        shifts_ok = _shared_schedule_errors(order, now, errors)
    else:
        shifts_ok = _gig_shift_errors(order, now, errors)
        errors += _gig_pay_errors(order, shifts_ok)
        errors += standby_errors(order)
    tier = district_tiers.get(order.district_code)
    if tier is not None and shifts_ok and _pay_is_convertible(order):
        _minimum_wage_check(order, tier, shifts_ok, minimum_wages, errors, alerts)
    errors += _bid_deadline_errors(order, now, shifts_ok)
    return OrderReview(tuple(errors), tuple(alerts))


# Standby seats (docs/standby.md): at most the shift's headcount and at most this many; each paid a
# fixed amount agreed at posting, at least STANDBY_FLOOR_SHARE of the seat's pay for the shift (at
# the order's hourly equivalent over the shift's length) and at most the whole of it.
MAX_STANDBY_SEATS = 50
STANDBY_FLOOR_SHARE = Fraction(1, 5)


def standby_floor_fen(order: GigOrder, shift: Shift) -> int:
    """The least standby amount for a seat of `shift`: a fifth of its pay, rounded up to the fen."""
    pay = order.pay.hourly_rate() * Fraction(int(shift.duration.total_seconds()), 3600)
    return math.ceil(pay * STANDBY_FLOOR_SHARE)


def standby_ceiling_fen(order: GigOrder, shift: Shift) -> int:
    """The most a standby seat of `shift` may pay: the seat's own pay for the shift."""
    return order.pay.pay_for(Fraction(int(shift.duration.total_seconds()), 3600))


def standby_errors(order: GigOrder) -> list[FieldError]:
    """The standby seats and amount of each shift."""
    errors: list[FieldError] = []
    for index, shift in enumerate(order.shifts):
        loc: Loc = ("shifts", index)
        if shift.standby == 0:
            continue
        if shift.standby < 0 or shift.standby > min(shift.headcount, MAX_STANDBY_SEATS):
            errors.append(FieldError((*loc, "standby"), f"between 0 and the headcount (at most {MAX_STANDBY_SEATS})",
                                     {"headcount": shift.headcount}))
        if shift.duration <= timedelta(0) or not _pay_is_convertible(order):
            continue
        if shift.standby_amount_fen is None:
            errors.append(FieldError((*loc, "standby_amount_fen"), "required when the shift has standby seats"))
            continue
        floor, ceiling = standby_floor_fen(order, shift), standby_ceiling_fen(order, shift)
        if not floor <= shift.standby_amount_fen <= ceiling:
            errors.append(FieldError((*loc, "standby_amount_fen"),
                                     "at least a fifth of the seat's pay for the shift and at most all of it",
                                     {"floor_fen": floor, "ceiling_fen": ceiling}))
    return errors


def check_order(
    order: Order,
    *,
    now: datetime,
    minimum_wages: MinimumWageTable,
    district_tiers: DistrictTiers,
    known_skill_codes: Collection[str] | None = None,
    known_sector_codes: Collection[str] | None = None,
) -> tuple[SupervisorAlert, ...]:
    """`review_order`, raising ValidationFailed (422) with all field errors; else the alerts to record."""
    review = review_order(
        order,
        now=now,
        minimum_wages=minimum_wages,
        district_tiers=district_tiers,
        known_skill_codes=known_skill_codes,
        known_sector_codes=known_sector_codes,
    )
    if review.errors:
        raise ValidationFailed(list(review.errors))
    return review.alerts


def _common_errors(
    order: Order, district_tiers: DistrictTiers, known_skill_codes: Collection[str] | None
) -> list[FieldError]:
    errors: list[FieldError] = []
    if isinstance(order, SharedOrder):
        if order.relationship is not RelationshipType.shared_labor:
            errors.append(FieldError(("relationship",), "a shared order's relationship must be shared_labor"))
    elif order.relationship is RelationshipType.shared_labor:
        errors.append(FieldError(("relationship",), "shared_labor is only for shared orders (kind = shared)"))
    if not order.title.strip():
        errors.append(FieldError(("title",), "must not be blank"))
    if order.district_code not in district_tiers:
        errors.append(
            FieldError(
                ("district_code",), "not a Chongqing district accepting orders", {"district_code": order.district_code}
            )
        )
    site = order.site
    if not -90 <= site.lat <= 90:
        errors.append(FieldError(("site", "lat"), "must be between -90 and 90"))
    if not -180 <= site.lon <= 180:
        errors.append(FieldError(("site", "lon"), "must be between -180 and 180"))
    if site.check_in_radius_m <= 0:
        errors.append(FieldError(("site", "check_in_radius_m"), "must be positive"))
    seen: set[str] = set()
    for index, skill in enumerate(order.skills):
        if skill.skill_code in seen:
            errors.append(FieldError(("skills", index, "skill_code"), "listed twice"))
        seen.add(skill.skill_code)
        if known_skill_codes is not None and skill.skill_code not in known_skill_codes:
            errors.append(FieldError(("skills", index, "skill_code"), "not in the skill catalogue"))
        if skill.min_level not in SKILL_LEVELS:
            errors.append(FieldError(("skills", index, "min_level"), "must be between 1 and 5"))
    return errors


def _headcount_error(loc: Loc, headcount: int) -> FieldError | None:
    if MIN_HEADCOUNT <= headcount <= MAX_HEADCOUNT:
        return None
    return FieldError(loc, f"must be between {MIN_HEADCOUNT} and {MAX_HEADCOUNT}", {"headcount": headcount})


def _gig_shift_errors(order: GigOrder, now: datetime, errors: list[FieldError]) -> list[tuple[int, Shift]]:
    """Append shift errors; return the shifts whose times are sound enough for the pay checks."""
    if not order.shifts:
        errors.append(FieldError(("shifts",), "at least one shift is needed"))
        return []
    daily_part_time = order.relationship is RelationshipType.labor_part_time and is_daily(order)
    sound: list[tuple[int, Shift]] = []
    for index, shift in enumerate(order.shifts):
        loc: Loc = ("shifts", index)
        if (error := _headcount_error((*loc, "headcount"), shift.headcount)) is not None:
            errors.append(error)
        start_aware, end_aware = is_aware(shift.start), is_aware(shift.end)
        if not start_aware:
            errors.append(FieldError((*loc, "start"), "must carry a time zone (e.g. +08:00)"))
        if not end_aware:
            errors.append(FieldError((*loc, "end"), "must carry a time zone (e.g. +08:00)"))
        if not (start_aware and end_aware):
            continue
        # A shift outside [now, now + horizon] gets no pay checks: there is no minimum wage to hold
        # it to before the first standard or after the ones announced (checked in this order).
        start_error = _start_error(now, shift.start, (*loc, "start"))
        if start_error is not None:
            errors.append(start_error)
        length = shift.duration
        if length <= timedelta(0):
            errors.append(FieldError((*loc, "end"), "must be after start"))
            continue
        if length > MAX_SHIFT_LENGTH:
            errors.append(
                FieldError(
                    (*loc, "end"),
                    f"a shift may last at most 12 h, this one lasts {hours_text(length)}",
                    {"max_hours": 12, "minutes": int(length.total_seconds() // 60)},
                )
            )
        if daily_part_time and length > PART_TIME_MAX_DAILY_SHIFT:
            errors.append(
                FieldError(
                    (*loc, "end"),
                    "a daily part-time shift may last at most 4 h (劳动合同法 art. 68), "
                    f"this one lasts {hours_text(length)}",
                    {"max_hours": 4, "minutes": int(length.total_seconds() // 60)},
                )
            )
        if start_error is None:
            sound.append((index, shift))
    return sound


def _start_error(now: datetime, start: datetime, loc: Loc, what: str = "must") -> FieldError | None:
    """A start in the past or beyond the booking horizon (SPEC §4: in the future; BOOKING_HORIZON)."""
    if elapsed(now, start) <= timedelta(0):
        return FieldError(loc, f"{what} be in the future")
    if elapsed(now, start) > BOOKING_HORIZON:
        latest = now + BOOKING_HORIZON
        return FieldError(loc, f"{what} be at most {BOOKING_HORIZON.days} days ahead (by {latest.isoformat()})",
                          {"max_days_ahead": BOOKING_HORIZON.days, "latest": latest.isoformat()})
    return None


def _gig_pay_errors(order: GigOrder, sound_shifts: list[tuple[int, Shift]]) -> list[FieldError]:
    pay = order.pay
    errors: list[FieldError] = []
    if pay.amount_fen <= 0:
        errors.append(FieldError(("pay", "amount_fen"), "must be positive"))
    if pay.unit is not PayUnit.hour:
        if pay.stated_hours is None or pay.stated_hours <= 0:
            what = "hours of the working day" if pay.unit is PayUnit.day else "hours one piece takes"
            errors.append(FieldError(("pay", "stated_hours"), f"{pay.unit.value} pay must state the {what}"))
        elif pay.unit is PayUnit.day:
            stated = timedelta(hours=float(pay.stated_hours))
            if pay.stated_hours > MAX_STATED_HOURS_PER_DAY:
                errors.append(FieldError(("pay", "stated_hours"), "a day has at most 24 hours"))
            longest = max((shift.duration for _, shift in sound_shifts), default=timedelta(0))
            # Day pay is converted to hourly with the stated hours; stating fewer hours than the
            # shift lasts would lift the hourly figure over the minimum wage on paper only.
            if longest > stated:
                errors.append(
                    FieldError(
                        ("pay", "stated_hours"),
                        f"day pay states {decimal_hours(pay.stated_hours)} h but a shift lasts {hours_text(longest)}",
                        {"longest_shift_minutes": int(longest.total_seconds() // 60)},
                    )
                )
            if (
                order.relationship is RelationshipType.labor_part_time
                and is_daily(order)
                and stated > PART_TIME_MAX_DAILY_SHIFT
            ):
                errors.append(
                    FieldError(
                        ("pay", "stated_hours"),
                        "a daily part-time working day may state at most 4 h (劳动合同法 art. 68)",
                        {"max_hours": 4},
                    )
                )
    max_cycle = (
        PART_TIME_MAX_PAY_CYCLE_DAYS if order.relationship is RelationshipType.labor_part_time else MAX_PAY_CYCLE_DAYS
    )
    if not 1 <= pay.cycle_days <= max_cycle:
        why = " for part-time work (劳动合同法 art. 72)" if max_cycle == PART_TIME_MAX_PAY_CYCLE_DAYS else ""
        errors.append(
            FieldError(("pay", "cycle_days"), f"must be between 1 and {max_cycle} days{why}", {"max_days": max_cycle})
        )
    return errors


def _shared_schedule_errors(order: SharedOrder, now: datetime, errors: list[FieldError]) -> list[tuple[int, Shift]]:
    """Append errors on the shared order's period and schedule; return its daily shifts when sound."""
    schedule = order.schedule
    if (error := _headcount_error(("headcount",), order.headcount)) is not None:
        errors.append(error)
    if order.fee_per_worker_day_fen <= 0:
        errors.append(FieldError(("fee_per_worker_day_fen",), "must be positive"))
    sound = True
    if schedule.end_date < schedule.start_date:
        errors.append(FieldError(("schedule", "end_date"), "must not be before start_date"))
        sound = False
    elif (schedule.end_date - schedule.start_date).days + 1 > MAX_SHARED_PERIOD_DAYS:
        errors.append(
            FieldError(
                ("schedule", "end_date"),
                f"a loan period may last at most {MAX_SHARED_PERIOD_DAYS} days",
                {"max_days": MAX_SHARED_PERIOD_DAYS},
            )
        )
        sound = False
    if not schedule.weekdays or not schedule.weekdays <= frozenset(range(1, 8)):
        errors.append(
            FieldError(("schedule", "weekdays"), "must be ISO weekdays 1 (Monday) to 7 (Sunday), at least one")
        )
        sound = False
    hours = schedule.hours_per_day()
    if hours <= 0:
        errors.append(FieldError(("schedule", "daily_end"), "must be after daily_start (no overnight schedules)"))
        sound = False
    elif hours > 12:
        errors.append(FieldError(("schedule", "daily_end"), "a working day may last at most 12 h", {"max_hours": 12}))
    if not sound:
        return []
    shifts = order.all_shifts()
    if not shifts:
        errors.append(FieldError(("schedule", "weekdays"), "no working day falls in the period"))
        return []
    start_error = _start_error(now, shifts[0].start, ("schedule", "start_date"), "the first working day must")
    if start_error is not None:
        errors.append(start_error)
        return []
    return list(enumerate(shifts))


def _pay_is_convertible(order: Order) -> bool:
    pay = order.pay
    return pay.amount_fen > 0 and (pay.unit is PayUnit.hour or (pay.stated_hours is not None and pay.stated_hours > 0))


def _minimum_wage_check(
    order: Order,
    tier: int,
    shifts: Sequence[tuple[int, Shift]],
    minimum_wages: MinimumWageTable,
    errors: list[FieldError],
    alerts: list[SupervisorAlert],
) -> None:
    """Hourly pay against the tier's hourly minimum on each shift's Chongqing date (RULES.md: "the
    standard in force on the shift date"). Reports once, naming the highest minimum it falls short
    of (the binding one) and the first date that minimum applies."""
    hourly_rate = order.pay.hourly_rate()
    worst: tuple[int, date] | None = None
    dates_checked: set[date] = set()
    for index, shift in shifts:
        day = shift.local_date
        if day in dates_checked:
            continue
        dates_checked.add(day)
        try:
            minimum = minimum_wages.hourly_minimum_fen(tier, day)
        except MinimumWageUnknown as unknown:  # a gap in the data, never a guess: the shift cannot post
            loc: Loc = ("schedule", "start_date") if isinstance(order, SharedOrder) else ("shifts", index, "start")
            errors.append(FieldError(loc, unknown.detail, {"tier": tier, "date": day.isoformat()}))
            continue
        if hourly_rate < minimum and (worst is None or minimum > worst[0] or (minimum == worst[0] and day < worst[1])):
            worst = (minimum, day)
    if worst is None:
        return
    minimum, day = worst
    hourly_pay_fen = int(hourly_rate)  # rounded down: never shows a failing rate as the minimum
    msg = f"below the hourly minimum wage of {yuan(minimum)} yuan ({minimum} fen) for tier {tier} on {day.isoformat()}"
    ctx = {"minimum_hourly_fen": minimum, "hourly_pay_fen": hourly_pay_fen, "tier": tier, "date": day.isoformat()}
    if order.relationship in MINIMUM_WAGE_RELATIONSHIPS:
        loc = ("fee_per_worker_day_fen",) if isinstance(order, SharedOrder) else ("pay", "amount_fen")
        if order.pay.unit is not PayUnit.hour:
            per = f"{decimal_hours(order.pay.stated_hours)} h per {order.pay.unit.value}"
            msg = f"{msg}; converted with {per} it pays {yuan(hourly_pay_fen)} yuan an hour"
        errors.append(FieldError(loc, msg, ctx))
    elif order.relationship is RelationshipType.labor_service:
        alerts.append(SupervisorAlert("labor_service_below_minimum_wage", f"labor_service pay {msg}", ctx))


def _bid_deadline_errors(order: Order, now: datetime, shifts: Sequence[tuple[int, Shift]]) -> list[FieldError]:
    deadline = order.bid_deadline
    if deadline is None:
        return []
    if not is_aware(deadline):
        return [FieldError(("bid_deadline",), "must carry a time zone (e.g. +08:00)")]
    errors = []
    if (start_error := _start_error(now, deadline, ("bid_deadline",))) is not None:
        errors.append(start_error)
    if shifts:
        first_start = min(shift.start for _, shift in shifts)
        if deadline > first_start:
            errors.append(FieldError(("bid_deadline",), "must not be after the first shift starts"))
    return errors


# ---------------------------------------------------------------------------------------------------
# A worker and a seat: hour limits, overlap, skills (allocation, acceptance and bids call these)
# ---------------------------------------------------------------------------------------------------


def iso_week(moment: datetime) -> tuple[int, int]:
    """(ISO year, ISO week) of the Chongqing date of `moment`: Monday 00:00 to Sunday 24:00 local."""
    year, week, _ = local_date(moment).isocalendar()
    return year, week


def overlap_refusal(held: Iterable[TimeSpan], candidate: TimeSpan) -> Refusal | None:
    """A refusal when `candidate` overlaps a held shift. Intervals are half-open: a shift ending at
    12:00 and one starting at 12:00 do not overlap."""
    for span in held:
        if span.start < candidate.end and candidate.start < span.end:
            return Refusal(
                "overlap",
                "overlaps a shift the worker already holds",
                {"held_start": span.start.astimezone(SHANGHAI).isoformat(),
                 "held_end": span.end.astimezone(SHANGHAI).isoformat()},
            )
    return None


def _same_week(spans: Iterable[TimeSpan], candidate: TimeSpan) -> list[TimeSpan]:
    week = iso_week(candidate.start)
    return [span for span in spans if iso_week(span.start) == week] + [candidate]


def part_time_hours_refusal(
    hours_with_employer: Iterable[TimeSpan], candidate: TimeSpan, *, strict_each_day: bool = False
) -> Refusal | None:
    """Part-time limits per worker per employer (劳动合同法 art. 68) if the worker took `candidate`.

    `hours_with_employer`: every interval the worker holds or has worked with the same employer
    (other employers do not count: a part-time worker may have several). A week is the ISO week in
    Chongqing; a shift belongs wholly to the day (and week) it starts on. Refused when the week's
    hours would exceed 24 h, or their average over the days worked that week would exceed 4 h.

    `strict_each_day=True` holds every single day to 4 h instead of the average (the stricter
    reading the allocation solver's default `HourLimit` applies), so acceptance can match it.
    """
    week_spans = _same_week(hours_with_employer, candidate)
    total = sum((span_length(span) for span in week_spans), timedelta(0))
    year, week = iso_week(candidate.start)
    ctx: dict[str, Any] = {"iso_year": year, "iso_week": week, "week_minutes": int(total.total_seconds() // 60)}
    if total > PART_TIME_MAX_WEEKLY_HOURS:
        return Refusal(
            "part_time_weekly_hours",
            "part-time work with one employer is limited to 24 h a week; "
            f"this would make {hours_text(total)} in week {year}-W{week:02d}",
            {**ctx, "max_hours": 24},
        )
    if strict_each_day:
        day = local_date(candidate.start)
        day_total = sum((span_length(s) for s in week_spans if local_date(s.start) == day), timedelta(0))
        if day_total > PART_TIME_MAX_DAILY_AVERAGE:
            return Refusal(
                "part_time_daily_hours",
                f"part-time work with one employer is limited to 4 h a day; this would make "
                f"{hours_text(day_total)} on {day.isoformat()}",
                {**ctx, "day_minutes": int(day_total.total_seconds() // 60), "max_hours": 4},
            )
        return None
    days_worked = len({local_date(span.start) for span in week_spans})
    if total > PART_TIME_MAX_DAILY_AVERAGE * days_worked:
        return Refusal(
            "part_time_daily_average",
            f"part-time work with one employer is limited to 4 h a day on average; this would make "
            f"{hours_text(total)} over {days_worked} {'day' if days_worked == 1 else 'days'} worked in "
            f"week {year}-W{week:02d}",
            {**ctx, "days_worked": days_worked, "max_hours": 4},
        )
    return None


def weekly_cap_refusal(hours: Iterable[TimeSpan], candidate: TimeSpan, cap: timedelta) -> Refusal | None:
    """A negotiated weekly cap (incomplete_labor: "caps by negotiation, the system must stop at the
    cap", RULES.md): refused when the ISO week's hours with `candidate` would exceed `cap`."""
    total = sum((span_length(span) for span in _same_week(hours, candidate)), timedelta(0))
    if total > cap:
        return Refusal(
            "weekly_hours_cap",
            f"would make {hours_text(total)} this week, over the agreed cap of {hours_text(cap)}",
            {"week_minutes": int(total.total_seconds() // 60), "cap_minutes": int(cap.total_seconds() // 60)},
        )
    return None


def span_length(span: TimeSpan) -> timedelta:
    return elapsed(span.start, span.end)


def skill_refusals(requirements: Iterable[SkillRequirement], worker_skills: Iterable[WorkerSkill],
                   shift_end: datetime) -> list[Refusal]:
    """One refusal per requirement the worker does not meet: missing skill, level, or a certificate
    that is not verified or does not last through the shift's last day (ending at `shift_end`)."""
    by_code = {skill.skill_code: skill for skill in worker_skills}
    refusals: list[Refusal] = []
    for requirement in requirements:
        code = requirement.skill_code
        held = by_code.get(code)
        if held is None:
            refusals.append(Refusal("missing_skill", f"the shift needs skill {code}", {"skill_code": code}))
        elif held.level < requirement.min_level:
            refusals.append(
                Refusal(
                    "skill_level_too_low",
                    f"the shift needs {code} at level {requirement.min_level}, the worker has level {held.level}",
                    {"skill_code": code, "min_level": requirement.min_level, "level": held.level},
                )
            )
        if held is not None and requirement.certificate_required:
            short = certificates.shortfall(held.certificate_valid_until, shift_end)
            if short == certificates.MISSING:
                refusals.append(Refusal(short, f"the shift needs a verified certificate for {code}",
                                        {"skill_code": code}))
            elif short is not None:
                until = held.certificate_valid_until
                refusals.append(Refusal(short, f"the certificate for {code} counts through {until}, "
                                               "before the shift ends", {"skill_code": code,
                                                                         "valid_until": str(until)}))
    return refusals


@dataclass(frozen=True)
class WorkerFacts:
    """What the checks need to know about one worker, loaded by the caller.

    `held_shifts`: every seat the worker holds, with any employer (for overlap).
    `hours_with_employer`: intervals held or worked with the order's employer (for hour limits);
    include worked hours earlier in the same ISO week.
    `weekly_cap`: the negotiated weekly cap for incomplete_labor, if one was agreed.
    """

    skills: tuple[WorkerSkill, ...] = ()
    held_shifts: tuple[TimeSpan, ...] = ()
    hours_with_employer: tuple[TimeSpan, ...] = ()
    weekly_cap: timedelta | None = None


def seat_refusals(
    *,
    shift: TimeSpan,
    relationship: RelationshipType,
    requirements: Iterable[SkillRequirement],
    worker: WorkerFacts,
    strict_each_day: bool = False,
) -> list[Refusal]:
    """Every reason `worker` cannot hold a seat of `shift`: overlap, hour limits of the relationship
    type, skills. Empty when they can. Allocation (per candidate pair) and offer acceptance call it."""
    refusals: list[Refusal] = []
    if (overlap := overlap_refusal(worker.held_shifts, shift)) is not None:
        refusals.append(overlap)
    hour_limit: Refusal | None = None
    if relationship is RelationshipType.labor_part_time:
        hour_limit = part_time_hours_refusal(worker.hours_with_employer, shift, strict_each_day=strict_each_day)
    elif relationship is RelationshipType.incomplete_labor and worker.weekly_cap is not None:
        hour_limit = weekly_cap_refusal(worker.hours_with_employer, shift, worker.weekly_cap)
    if hour_limit is not None:
        refusals.append(hour_limit)
    refusals += skill_refusals(requirements, worker.skills, shift.end)
    return refusals
