"""A worker's profile: where they live, how far they travel, what they can do and when. Pure.

Times of day are minutes since local midnight in Asia/Shanghai (0–1440; 1440 is "24:00", the end
of a window that runs until midnight), the zone the worker thinks in. Weekdays are ISO (1 = Monday).

Availability semantics (docs/profiles.md):
- no weekly windows at all: available at any time (a worker who said nothing has not restricted
  themselves), except on dates that have an exception;
- an exception replaces the weekly pattern on its date: without times the worker is unavailable
  all day, with times available only in that window.
"""
from __future__ import annotations

import enum
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

from market.errors import FieldError
from market.geo import BoundingBox
from market.kernel.clock import SHANGHAI
from market.kernel.relationships import RelationshipType
from market.orders.model import WorkerSkill

MINUTES_PER_DAY = 24 * 60
WEEKDAY_NAMES = ("", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

# Chongqing's municipality, roughly (28.16–32.20 N, 105.29–110.19 E) with a small margin: a home
# outside it is a typo or swapped coordinates, not a worker of this marketplace.
CHONGQING_BOUNDS = BoundingBox(min_lat=28.1, max_lat=32.3, min_lon=105.2, max_lon=110.2)


def clock(minute: int) -> str:
    """Minutes since midnight as "HH:MM" (1440 → "24:00")."""
    return f"{minute // 60:02d}:{minute % 60:02d}"


@dataclass(frozen=True)
class Home:
    lat: float
    lon: float


@dataclass(frozen=True)
class WeeklyWindow:
    """Available every `weekday` from `start` to `end` (minutes since local midnight)."""

    weekday: int
    start: int
    end: int

    def __str__(self) -> str:
        return f"{WEEKDAY_NAMES[self.weekday]} {clock(self.start)}–{clock(self.end)}"


@dataclass(frozen=True)
class AvailabilityException:
    """On `day` the weekly pattern does not apply: unavailable (no times) or available start–end."""

    day: date
    start: int | None = None
    end: int | None = None

    @property
    def all_day_off(self) -> bool:
        return self.start is None


@dataclass(frozen=True)
class Availability:
    weekly: tuple[WeeklyWindow, ...] = ()
    exceptions: tuple[AvailabilityException, ...] = ()

    def windows_on(self, day: date) -> list[tuple[int, int]]:
        """The (start, end) minute windows the worker is available on local date `day`, sorted."""
        exception = next((e for e in self.exceptions if e.day == day), None)
        if exception is not None:
            return [] if exception.start is None or exception.end is None else [(exception.start, exception.end)]
        if not self.weekly:
            return [(0, MINUTES_PER_DAY)]
        return sorted((w.start, w.end) for w in self.weekly if w.weekday == day.isoweekday())

    def covers(self, start: datetime, end: datetime) -> bool:
        """Whether the worker is available for the whole of [start, end) (aware datetimes).

        Windows that touch, on one day or across midnight (Mon 18:00–24:00 and Tue 00:00–06:00),
        join up, so a night shift may span two days' windows.
        """
        if start.tzinfo is None or end.tzinfo is None:
            raise ValueError("covers() needs timezone-aware datetimes")
        if end <= start:
            return True
        local_start, local_end = start.astimezone(SHANGHAI), end.astimezone(SHANGHAI)
        first_day = local_start.date()
        # Everything measured in minutes from the first day's local midnight.
        want_start = _minutes_since(first_day, local_start)
        want_end = _minutes_since(first_day, local_end)
        reached = want_start
        day, offset = first_day, 0
        while offset < want_end:
            for window_start, window_end in self.windows_on(day):
                if offset + window_start <= reached < offset + window_end:
                    reached = offset + window_end
            if reached >= want_end:
                return True
            if reached < offset + MINUTES_PER_DAY:
                return False  # a gap before this day ends
            day += timedelta(days=1)
            offset += MINUTES_PER_DAY
        return reached >= want_end


def _minutes_since(day: date, moment: datetime) -> int:
    midnight = datetime.combine(day, time(), tzinfo=SHANGHAI)
    return int((moment - midnight).total_seconds() // 60)


@dataclass(frozen=True)
class WorkerProfile:
    id: uuid.UUID
    account_id: uuid.UUID
    name: str
    id_number_masked: str
    district_code: str
    home: Home | None
    max_travel_m: int
    accepts_auto_allocation: bool
    relationship_types: frozenset[RelationshipType]
    # Levels are the worker's own claim; certificate_valid_until is the platform's, from verified
    # certificates (docs/certificates.md).
    skills: tuple[WorkerSkill, ...]
    availability: Availability
    reliability: int  # 0–100, 50 neutral; kept by the platform, never by the worker

    def accepts(self, relationship: RelationshipType) -> bool:
        return relationship in self.relationship_types

    def skill(self, code: str) -> WorkerSkill | None:
        return next((s for s in self.skills if s.skill_code == code), None)


class _Unchanged(enum.Enum):
    UNCHANGED = "unchanged"


UNCHANGED = _Unchanged.UNCHANGED


@dataclass(frozen=True)
class ProfileChanges:
    """A partial update: every field left UNCHANGED keeps its value; lists replace the whole list."""

    district_code: str | _Unchanged = UNCHANGED
    home: Home | None | _Unchanged = UNCHANGED  # None clears the home location
    max_travel_m: int | _Unchanged = UNCHANGED
    accepts_auto_allocation: bool | _Unchanged = UNCHANGED
    relationship_types: frozenset[RelationshipType] | _Unchanged = UNCHANGED
    skills: tuple[WorkerSkill, ...] | _Unchanged = UNCHANGED
    weekly: tuple[WeeklyWindow, ...] | _Unchanged = UNCHANGED
    exceptions: tuple[AvailabilityException, ...] | _Unchanged = UNCHANGED

    def given(self) -> set[str]:
        return {name for name in self.__dataclass_fields__ if getattr(self, name) is not UNCHANGED}


def apply(profile: WorkerProfile, changes: ProfileChanges) -> WorkerProfile:
    """The profile after `changes` (checked beforehand with `change_problems`)."""
    updated: dict = {}
    for name in changes.given() - {"weekly", "exceptions"}:
        updated[name] = getattr(changes, name)
    availability = profile.availability
    if changes.weekly is not UNCHANGED:
        availability = replace(availability, weekly=tuple(sorted(changes.weekly, key=lambda w: (w.weekday, w.start))))
    if changes.exceptions is not UNCHANGED:
        availability = replace(availability, exceptions=tuple(sorted(changes.exceptions, key=lambda e: e.day)))
    return replace(profile, **updated, availability=availability)


@dataclass(frozen=True)
class Catalogues:
    """What the checks need to know from the catalogues."""

    skill_codes: frozenset[str]
    active_district_codes: frozenset[str]


def change_problems(changes: ProfileChanges, catalogues: Catalogues) -> list[FieldError]:
    """Every broken field of a profile update, with its location in the request body."""
    errors: list[FieldError] = []
    if changes.district_code is not UNCHANGED and changes.district_code not in catalogues.active_district_codes:
        errors.append(FieldError(("district_code",),
                                 f"{changes.district_code!r} is not an active Chongqing district code "
                                 "(see GET /v1/districts)"))
    if isinstance(changes.home, Home):
        errors += home_problems(changes.home)
    if changes.skills is not UNCHANGED:
        errors += skill_problems(changes.skills, catalogues.skill_codes)
    if changes.weekly is not UNCHANGED:
        errors += weekly_problems(changes.weekly)
    if changes.exceptions is not UNCHANGED:
        errors += exception_problems(changes.exceptions)
    return errors


def home_problems(home: Home) -> list[FieldError]:
    bounds = CHONGQING_BOUNDS
    errors = []
    if not bounds.min_lat <= home.lat <= bounds.max_lat:
        errors.append(FieldError(("home", "lat"), f"{home.lat} is outside Chongqing "
                                 f"(latitude {bounds.min_lat}–{bounds.max_lat}); are lat and lon swapped?",
                                 {"min": bounds.min_lat, "max": bounds.max_lat}))
    if not bounds.min_lon <= home.lon <= bounds.max_lon:
        errors.append(FieldError(("home", "lon"), f"{home.lon} is outside Chongqing "
                                 f"(longitude {bounds.min_lon}–{bounds.max_lon}); are lat and lon swapped?",
                                 {"min": bounds.min_lon, "max": bounds.max_lon}))
    return errors


def skill_problems(skills: Iterable[WorkerSkill], known_codes: frozenset[str]) -> list[FieldError]:
    errors = []
    seen: set[str] = set()
    for index, skill in enumerate(skills):
        loc = ("skills", index, "skill_code")
        if skill.skill_code not in known_codes:
            errors.append(FieldError(loc, f"{skill.skill_code!r} is not in the skill catalogue (see GET /v1/skills)"))
        elif skill.skill_code in seen:
            errors.append(FieldError(loc, f"{skill.skill_code!r} is listed twice"))
        seen.add(skill.skill_code)
    return errors


def weekly_problems(windows: Iterable[WeeklyWindow]) -> list[FieldError]:
    errors = []
    accepted: list[tuple[int, WeeklyWindow]] = []
    for index, window in enumerate(windows):
        loc = ("availability", "weekly", index)
        if window.end <= window.start:
            errors.append(FieldError((*loc, "end"), f"must be after start ({clock(window.start)})"))
            continue
        clash = next(((i, other) for i, other in accepted
                      if other.weekday == window.weekday and other.start < window.end and window.start < other.end),
                      None)
        if clash is not None:
            errors.append(FieldError(loc, f"{window} overlaps window {clash[0]} ({clash[1]}); "
                                          "join them into one window"))
            continue
        accepted.append((index, window))
    return errors


def exception_problems(exceptions: Iterable[AvailabilityException]) -> list[FieldError]:
    errors = []
    seen: set[date] = set()
    for index, exception in enumerate(exceptions):
        loc = ("availability", "exceptions", index)
        if (exception.start is None) != (exception.end is None):
            missing = "end" if exception.end is None else "start"
            errors.append(FieldError((*loc, missing), "give both start and end (available only then), "
                                                      "or neither (unavailable all day)"))
        elif exception.start is not None and exception.end is not None and exception.end <= exception.start:
            errors.append(FieldError((*loc, "end"), f"must be after start ({clock(exception.start)})"))
        if exception.day in seen:
            errors.append(FieldError((*loc, "date"), f"{exception.day} is listed twice; one exception per date"))
        seen.add(exception.day)
    return errors
