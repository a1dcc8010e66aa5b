"""The order domain: what an employer posts, in plain frozen dataclasses. Pure, standard library.

Conventions held everywhere in this package:

- Money is integer fen (分). Where a computation produces a fraction of a fen it is kept exact
  (`fractions.Fraction`) until the one place it becomes money, which rounds half-up to the fen
  (`fen_half_up`, SPEC §6).
- Datetimes are timezone-aware. Durations are measured in UTC so that wall-clock arithmetic never
  sneaks in; calendar questions (which day, which ISO week, which minimum-wage standard is in force)
  are asked in Asia/Shanghai, the zone the law and the people use (`SHANGHAI`).
- Identifiers are opaque to the domain (`EntityId`): whatever the database hands out.

The rules that judge these objects live in `market.orders.rules`, the lifecycle in
`market.orders.lifecycle`, the feed ranking in `market.feed.score`.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Protocol

# Minimum-wage standards are catalogue data; the order rules judge pay against them (re-exported).
from market.catalogue.model import MinimumWage as MinimumWage, MinimumWageTable as MinimumWageTable
from market.kernel.clock import SHANGHAI, elapsed, local_date
from market.kernel.money import fen_half_up
from market.kernel.relationships import RelationshipType


EntityId = int | str | uuid.UUID


class OrderKind(enum.StrEnum):
    gig = "gig"  # short-term shifts (零工)
    shared = "shared"  # borrowing another enterprise's employees for a period (共享用工)


# Relationship types whose hourly pay must reach the hourly minimum wage (RULES.md, first table).
MINIMUM_WAGE_RELATIONSHIPS = frozenset(
    {RelationshipType.labor_part_time, RelationshipType.incomplete_labor, RelationshipType.shared_labor}
)


class PayUnit(enum.StrEnum):
    hour = "hour"
    day = "day"
    piece = "piece"


class AllocationMode(enum.StrEnum):
    bids = "bids"  # workers (or lenders) bid; a run chooses among bids
    auto = "auto"  # the platform offers seats to fitting workers who opted into auto-allocation


class OrderState(enum.StrEnum):
    draft = "draft"
    open = "open"
    allocating = "allocating"
    filled = "filled"
    in_progress = "in_progress"
    completed = "completed"
    settled = "settled"
    cancelled = "cancelled"
    expired = "expired"


class TimeSpan(Protocol):
    """Anything with an aware start and end: a shift, a held assignment, a worked interval."""

    @property
    def start(self) -> datetime: ...

    @property
    def end(self) -> datetime: ...


@dataclass(frozen=True)
class Interval:
    """A plain aware time interval [start, end), e.g. hours a worker already holds with an employer."""

    start: datetime
    end: datetime

    @property
    def duration(self) -> timedelta:
        return elapsed(self.start, self.end)


@dataclass(frozen=True)
class Shift:
    """One time window of an order needing `headcount` workers; each of those is a seat."""

    start: datetime
    end: datetime
    headcount: int = 1
    # standby seats and the pay of each when its worker is not called (docs/standby.md)
    standby: int = 0
    standby_amount_fen: int | None = None

    @property
    def duration(self) -> timedelta:
        return elapsed(self.start, self.end)

    @property
    def local_date(self) -> date:
        """The date the shift belongs to: the Chongqing date it starts on (night shifts included)."""
        return local_date(self.start)


@dataclass(frozen=True)
class Pay:
    """What the order pays per unit, and what a unit stands for in hours.

    `stated_hours` is the number of working hours one unit of pay stands for: for `day` pay the
    hours of the working day, for `piece` pay the expected time to finish one piece (so a 5-yuan
    parcel expected to take 12 minutes states 0.2 h). It is ignored for `hour` pay. It is what
    converts day and piece pay into an hourly rate for the minimum-wage check (SPEC §4).

    `cycle_days` is the pay cycle the employer promises: settled at least every N days
    (part-time: ≤ 15, 劳动合同法 art. 72).
    """

    unit: PayUnit
    amount_fen: int
    stated_hours: Decimal | Fraction | None = None
    cycle_days: int = 1

    def hours_per_unit(self) -> Fraction:
        if self.unit is PayUnit.hour:
            return Fraction(1)
        if self.stated_hours is None or self.stated_hours <= 0:
            raise ValueError(f"{self.unit.value} pay needs positive stated_hours to convert to hourly")
        return Fraction(self.stated_hours)

    def hourly_rate(self) -> Fraction:
        """The exact hourly equivalent in fen (a Fraction): what the minimum-wage check compares."""
        return Fraction(self.amount_fen) / self.hours_per_unit()

    def hourly_equivalent_fen(self) -> int:
        """The hourly equivalent rounded half-up to the fen, for display and for the feed score.

        Checks never compare this rounded figure (rounding could lift 2299.6 fen to the 2300 minimum);
        they compare `hourly_rate()` exactly.
        """
        return fen_half_up(self.hourly_rate())

    def pay_for(self, hours: Fraction | Decimal | int) -> int:
        """Pay for `hours` of work at the hourly equivalent, rounded half-up to the fen."""
        return fen_half_up(self.hourly_rate() * Fraction(hours))


@dataclass(frozen=True)
class SkillRequirement:
    """A skill an order needs: the catalogue code, the lowest acceptable level 1–5, and whether the
    worker must hold the skill's certificate (e.g. 特种设备作业人员证 for forklifts)."""

    skill_code: str
    min_level: int = 1
    certificate_required: bool = False


@dataclass(frozen=True)
class WorkerSkill:
    """A skill a worker has: level 1–5 and the last local day through which they hold a verified
    certificate of the kind the catalogue names for it (None: none), as the database computes it
    (certificate_valid_until, docs/certificates.md)."""

    skill_code: str
    level: int
    certificate_valid_until: date | None = None


@dataclass(frozen=True)
class Site:
    """Where the work happens. Check-in/out beyond `check_in_radius_m` is rejected (SPEC §6)."""

    lat: float
    lon: float
    address: str = ""
    check_in_radius_m: int = 500


@dataclass(frozen=True)
class LateCancelPolicy:
    """Cancelling within `window_hours` before a shift pays each assigned worker `compensation_hours` at
    the order's hourly rate (SPEC §3). With `cap_at_shift_length` a 2-hour shift pays at most 2 h:
    compensation replaces lost earnings, it should not exceed them."""

    window_hours: Decimal = Decimal(24)
    compensation_hours: Decimal = Decimal(4)
    cap_at_shift_length: bool = True

    @property
    def window(self) -> timedelta:
        return timedelta(seconds=float(Fraction(self.window_hours) * 3600))


@dataclass(frozen=True)
class GigOrder:
    """A gig (零工) order as posted: one or more shifts, all paid at `pay`, all needing `skills`.

    `daily` is the employer saying the work repeats every day (每天 N 小时); together with pay by the
    day it is what makes a part-time order "daily" (see `rules.is_daily`).
    """

    employer_id: EntityId
    title: str
    relationship: RelationshipType
    district_code: str
    site: Site
    shifts: tuple[Shift, ...]
    pay: Pay
    skills: tuple[SkillRequirement, ...] = ()
    description: str = ""
    daily: bool = False
    allocation_mode: AllocationMode = AllocationMode.bids
    bid_deadline: datetime | None = None
    late_cancel: LateCancelPolicy = field(default_factory=LateCancelPolicy)
    # The 职业伤害保障 sector (the sector catalogue); None: not given, the rate book's default applies.
    sector_code: str | None = None
    id: EntityId | None = None
    state: OrderState = OrderState.draft

    kind = OrderKind.gig  # a class constant, not a field: the type is the kind

    def all_shifts(self) -> tuple[Shift, ...]:
        return self.shifts

    @property
    def seats(self) -> int:
        return sum(shift.headcount for shift in self.shifts)


@dataclass(frozen=True)
class DailySchedule:
    """A shared order's period and working hours: every date from `start_date` to `end_date`
    inclusive whose ISO weekday (1 = Monday … 7 = Sunday) is in `weekdays`, from `daily_start` to
    `daily_end` local Chongqing time on the same date (no overnight schedules)."""

    start_date: date
    end_date: date
    daily_start: time
    daily_end: time
    weekdays: frozenset[int] = frozenset(range(1, 8))

    def dates(self) -> Iterable[date]:
        day = self.start_date
        while day <= self.end_date:
            if day.isoweekday() in self.weekdays:
                yield day
            day += timedelta(days=1)

    def hours_per_day(self) -> Fraction:
        start = datetime.combine(self.start_date, self.daily_start)
        end = datetime.combine(self.start_date, self.daily_end)
        return Fraction(int((end - start).total_seconds()), 3600)

    def shift_on(self, day: date, headcount: int) -> Shift:
        return Shift(
            start=datetime.combine(day, self.daily_start, tzinfo=SHANGHAI),
            end=datetime.combine(day, self.daily_end, tzinfo=SHANGHAI),
            headcount=headcount,
        )


@dataclass(frozen=True)
class SharedOrder:
    """A borrower's demand for employees of another enterprise (共享用工, 人社厅发〔2020〕98号).

    Lending enterprises answer it with bids; the borrower pays the lender `fee_per_worker_day_fen`
    for each worker and working day. The relationship is always `shared_labor`.
    """

    borrower_id: EntityId
    title: str
    district_code: str
    site: Site
    schedule: DailySchedule
    headcount: int
    fee_per_worker_day_fen: int
    skills: tuple[SkillRequirement, ...] = ()
    description: str = ""
    relationship: RelationshipType = RelationshipType.shared_labor
    allocation_mode: AllocationMode = AllocationMode.bids
    bid_deadline: datetime | None = None
    late_cancel: LateCancelPolicy = field(default_factory=LateCancelPolicy)
    sector_code: str | None = None  # informative: the lender's own insurance covers its employee
    id: EntityId | None = None
    state: OrderState = OrderState.draft

    kind = OrderKind.shared

    @property
    def employer_id(self) -> EntityId:
        return self.borrower_id

    @property
    def pay(self) -> Pay:
        """The fee seen as day pay over the scheduled hours: what minimum-wage and late-cancel use."""
        hours = self.schedule.hours_per_day()
        return Pay(unit=PayUnit.day, amount_fen=self.fee_per_worker_day_fen, stated_hours=hours if hours > 0 else None)

    def all_shifts(self) -> tuple[Shift, ...]:
        """One shift per working day of the period, each for `headcount` workers."""
        return tuple(self.schedule.shift_on(day, self.headcount) for day in self.schedule.dates())


Order = GigOrder | SharedOrder


DistrictTiers = Mapping[str, int]
"""District code (GB/T 2260, or the internal code for 两江新区) → minimum-wage tier. Pass only the
districts that accept new orders (active ones) when checking a posting."""
