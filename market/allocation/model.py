"""The allocation problem and its solution, as plain data.

A *builder* (in the service layer) turns orders, shifts, bids, worker profiles and held
assignments into a `Problem`; `market.allocation.solver.solve` turns a `Problem` into a
`Solution`; `market.allocation.checker.check` verifies a `Solution` against its `Problem`
independently of the solver. Nothing here does I/O. Standard library and numpy only.

Conventions every part relies on:

* **Time** is an integer count of minutes since 1970-01-01 00:00 *local* time (Asia/Shanghai has
  no daylight saving, so local minutes are a plain offset of UTC minutes; use
  `local_minutes`). A shift's or commitment's hours count towards the calendar day on which it
  *starts*, and the week is the Monday-to-Sunday week containing that day (`day_index`,
  `week_index`).
* **Workers and shifts are referred to by position** (index into `Problem.workers` /
  `Problem.shifts`); their own `id` fields are opaque and only carried through.
* **A shift has a headcount**; each unit of headcount is a *seat*. A worker takes at most one seat
  of a shift.
* **Costs are integer points.** `AllocationConfig` converts fen, metres, skill levels and so on into
  points; the objective is minimised.
"""
from __future__ import annotations

import enum
from collections.abc import Hashable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from types import MappingProxyType
from typing import Any

import numpy as np

from market.kernel.clock import SHANGHAI
from market.kernel.relationships import RelationshipType

MINUTES_PER_DAY = 24 * 60
# 1970-01-01 was a Thursday; shifting by 3 days makes weeks start on Monday.
_EPOCH_WEEKDAY_OFFSET = 3


def local_minutes(moment: datetime, tz: tzinfo = SHANGHAI) -> int:
    """Minutes since 1970-01-01 00:00 local time, for an aware datetime (the solver's time unit)."""
    if moment.tzinfo is None:
        raise ValueError("allocation times must be timezone-aware")
    local = moment.astimezone(tz).replace(tzinfo=None)
    return int((local - datetime(1970, 1, 1)) // timedelta(minutes=1))


def day_index(minute: int) -> int:
    """The local calendar day (days since 1970-01-01) containing `minute`."""
    return minute // MINUTES_PER_DAY


def week_index(minute: int) -> int:
    """The Monday-to-Sunday local week (weeks since the week of 1970-01-01) containing `minute`."""
    return (minute // MINUTES_PER_DAY + _EPOCH_WEEKDAY_OFFSET) // 7


class Reason(enum.StrEnum):
    """Why a seat stayed empty, or why an eligible (or ineligible) worker did not get a shift.

    The first group is decided by the builder (it never puts such a pair into `EligiblePairs`, but
    may list it in `Problem.ineligible` so the run can explain itself). The rest are set by the
    solver.
    """

    # Decided by the builder: the pair is not eligible at all.
    SKILL_MISMATCH = "skill_mismatch"
    CERTIFICATE_MISSING = "certificate_missing"
    # Verified, but it stops counting before the shift's last day (docs/certificates.md).
    CERTIFICATE_EXPIRES = "certificate_expires"
    TOO_FAR = "too_far"
    UNAVAILABLE = "unavailable"
    BID_ABOVE_RATE = "bid_above_rate"
    RELATIONSHIP_NOT_ACCEPTED = "relationship_not_accepted"
    BLOCKED = "blocked"
    # Seat-level: nobody was eligible for the shift at all.
    NO_ELIGIBLE_WORKER = "no_eligible_worker"
    # The worker's other shifts (held or chosen in this run) rule the shift out.
    OVERLAP = "overlap"
    REST_PERIOD = "rest_period"
    HOURS_LIMIT = "hours_limit"
    MAX_SHIFTS = "max_shifts"
    # The shift was filled by others who were better on the objective.
    OUTBID = "outbid"  # the worker bid, and asked more than every chosen worker
    FARTHER = "farther"  # the worker lives farther than every chosen worker
    LOWER_SCORE = "lower_score"  # skill level and reliability below every chosen worker
    ASSIGNED_ELSEWHERE = "assigned_elsewhere"  # the worker was better used on another shift
    HIGHER_COST = "higher_cost"  # none of the above alone: the total cost was higher
    # The seat stayed empty although this eligible worker was free for it. Never in an optimal run
    # (filling a seat always beats leaving it empty); a run stopped by its time limit, or solved in
    # blocks, may not have got there.
    NOT_REACHED = "not_reached"


@dataclass(frozen=True)
class Commitment:
    """A seat the worker already holds (accepted assignment or outstanding offer) outside this run.

    It blocks overlapping shifts and shifts inside the rest period around it, and its minutes
    count against the worker's day and week limits (and, for `labor_part_time`, against the
    per-employer limits when `employer` matches).
    """

    start: int  # local minutes
    end: int  # local minutes, > start
    employer: Hashable  # same id space as Shift.employer
    relationship: RelationshipType | str
    # Worked minutes counted against hour limits; None means end - start.
    minutes: int | None = None

    @property
    def worked_minutes(self) -> int:
        return self.end - self.start if self.minutes is None else self.minutes


@dataclass(frozen=True)
class Worker:
    """One worker who may receive offers in this run.

    `max_minutes_per_day` / `max_minutes_per_week` are the worker's own limits (from the profile's
    availability, or a platform-wide cap), as *totals*: held commitments count against them.
    Legal limits by relationship type come from `AllocationConfig.hour_limits` instead.
    """

    id: Hashable
    commitments: tuple[Commitment, ...] = ()
    max_minutes_per_day: int | None = None
    max_minutes_per_week: int | None = None
    # At most this many shifts in this run (None: no limit beyond the other constraints).
    max_shifts: int | None = None


@dataclass(frozen=True)
class Shift:
    """One time window of an order, with `headcount` seats."""

    id: Hashable
    start: int  # local minutes
    end: int  # local minutes, > start
    headcount: int
    employer: Hashable  # the employer (用工单位) who will manage the work; keys per-employer limits
    relationship: RelationshipType | str
    # Used only to cut large runs into blocks (district/time); any hashable, e.g. a district code.
    district: Hashable = ""
    # Worked minutes counted against hour limits (e.g. without an unpaid break); None: end - start.
    minutes: int | None = None

    @property
    def worked_minutes(self) -> int:
        return self.end - self.start if self.minutes is None else self.minutes


def _column(values: Any, dtype: Any, length: int, default: Any = 0) -> np.ndarray:
    if values is None:
        return np.full(length, default, dtype=dtype)
    column = np.ascontiguousarray(values, dtype=dtype)
    if column.shape != (length,):
        raise ValueError(f"pair column has shape {column.shape}, expected ({length},)")
    column.setflags(write=False)
    return column


@dataclass(frozen=True, eq=False)
class EligiblePairs:
    """Every eligible worker–shift pair, one row per pair, as parallel numpy columns.

    Eligibility (skill, level, certificate, distance within the worker's maximum, availability,
    bid ≤ order rate, relationship types the worker accepts, blocked pairs) is the builder's job:
    only eligible pairs appear here, at most once each. The solver adds the constraints that
    depend on the *combination* of shifts (overlap, rest, hours, headcount).

    Build it with `EligiblePairs.of(worker=..., shift=..., ...)`; omitted columns default to 0.
    """

    worker: np.ndarray  # int32: index into Problem.workers
    shift: np.ndarray  # int32: index into Problem.shifts
    # int64 fen the employer pays for this worker on this shift: the bid if the worker bid,
    # otherwise the posted rate × the shift's hours.
    pay_fen: np.ndarray
    distance_m: np.ndarray  # int64 metres from the worker's home to the site
    skill_level: np.ndarray  # int16 the worker's level in the shift's skill (0 = baseline)
    reliability: np.ndarray  # float64 in [0, 1]: share of past shifts shown up to and completed
    favourite: np.ndarray  # bool: the employer marked this worker as a favourite
    from_bid: np.ndarray  # bool: the pair comes from a bid (so losing it on price is "outbid")
    # int64 points added to the pair's cost as is: the "one cost per pair" of a plain weighted
    # assignment, or any term the builder wants that has no column of its own.
    extra_cost: np.ndarray

    @classmethod
    def of(
        cls,
        worker: Any,
        shift: Any,
        *,
        pay_fen: Any = None,
        distance_m: Any = None,
        skill_level: Any = None,
        reliability: Any = None,
        favourite: Any = None,
        from_bid: Any = None,
        extra_cost: Any = None,
    ) -> EligiblePairs:
        worker_column = np.ascontiguousarray(worker, dtype=np.int32).reshape(-1)
        worker_column.setflags(write=False)
        length = len(worker_column)
        return cls(
            worker=worker_column,
            shift=_column(shift, np.int32, length),
            pay_fen=_column(pay_fen, np.int64, length),
            distance_m=_column(distance_m, np.int64, length),
            skill_level=_column(skill_level, np.int16, length),
            reliability=_column(reliability, np.float64, length),
            favourite=_column(favourite, np.bool_, length, False),
            from_bid=_column(from_bid, np.bool_, length, False),
            extra_cost=_column(extra_cost, np.int64, length),
        )

    def __len__(self) -> int:
        return len(self.worker)


@dataclass(frozen=True)
class IneligiblePair:
    """A pair the builder ruled out, kept so the run can say why (optional, for reason codes)."""

    worker: int  # index into Problem.workers
    shift: int  # index into Problem.shifts
    reason: Reason


@dataclass(frozen=True, eq=False)
class Problem:
    workers: tuple[Worker, ...]
    shifts: tuple[Shift, ...]
    pairs: EligiblePairs
    ineligible: tuple[IneligiblePair, ...] = ()


@dataclass(frozen=True)
class HourLimit:
    """Legal hour limits for one relationship type, counting held commitments."""

    per_day_minutes: int | None = None
    per_week_minutes: int | None = None
    # True: the limits hold per worker *and employer* (非全日制用工 counts each employer apart);
    # False: across all the worker's shifts of this relationship type.
    per_employer: bool = True


def _default_hour_limits() -> Mapping[str, HourLimit]:
    # 劳动合同法 art. 68: part-time work averages ≤ 4 h a day and ≤ 24 h a week per employer.
    # Holding every day to 4 h is the strict reading the platform enforces at allocation.
    return MappingProxyType(
        {RelationshipType.labor_part_time: HourLimit(per_day_minutes=4 * 60, per_week_minutes=24 * 60)}
    )


@dataclass(frozen=True)
class AllocationConfig:
    """Objective weights and solver limits; the service fills it from settings.

    The cost of giving worker w the shift s is, in integer points (each term rounded on its own)::

        pay_weight_per_fen     * pay_fen
      + distance_weight_per_km * distance_m / 1000
      - skill_level_bonus      * skill_level
      - reliability_bonus      * reliability
      - favourite_bonus        * favourite
      + extra_cost

    and the objective of a run is::

        Σ chosen pair costs
      + Σ_workers fairness_step * n(n-1)/2      (n = shifts the worker gets in this run: the k-th
                                                 shift costs (k-1)·fairness_step more, so work is
                                                 spread before it is piled on one person)
      + unfilled_seat_penalty * empty seats     (filling comes first, whatever the pay)

    The unfilled-seat penalty is not a setting: each run derives it from its own costs
    (`prepare.unfilled_seat_penalty`, reported as `Solution.unfilled_seat_penalty`), larger than
    any difference the rest of the objective can make, so a run that fills more seats is always
    better than one that fills fewer. A fixed penalty (once 1 000 000) left a seat paying more
    than it empty.
    """

    pay_weight_per_fen: float = 1.0
    distance_weight_per_km: float = 200.0
    skill_level_bonus: float = 300.0
    reliability_bonus: float = 2_000.0
    favourite_bonus: float = 1_500.0
    fairness_step: int = 1_000

    min_rest_minutes: int = 8 * 60
    hour_limits: Mapping[str, HourLimit] = field(default_factory=_default_hour_limits)
    # A cap on shifts per worker per run for everyone (Worker.max_shifts may lower it).
    # 1 turns the problem into a plain bipartite assignment.
    max_shifts_per_worker: int | None = None

    # Stop when (objective - best bound) / objective is within this.
    relative_gap_tolerance: float = 0.005
    time_limit_seconds: float = 10.0
    # CP-SAT workers. 1 (default) runs one LP-heavy worker (linearization level 2) under a
    # deterministic time limit as well as the wall-clock one: reproducible for a seed, as the
    # spec asks. 2+ runs the max_lp/default_lp pair of subsolvers (the default portfolio never
    # proves optimality here on two cores): it finds good solutions much sooner when workers
    # are scarce, but two threads racing are not reproducible.
    solver_workers: int = 1
    # Above this many eligible pairs the run is cut into district/time blocks.
    decompose_above_pairs: int = 150_000
    seed: int = 0


@dataclass(frozen=True)
class Assignment:
    worker: int  # index into Problem.workers
    shift: int  # index into Problem.shifts
    pair: int  # row in Problem.pairs


@dataclass(frozen=True)
class ObjectiveTerms:
    """The objective split by term (points); `total` is their sum and equals Solution.objective."""

    pay: int
    distance: int
    skill: int  # ≤ 0: a bonus
    reliability: int  # ≤ 0
    favourite: int  # ≤ 0
    extra: int
    fairness: int
    unfilled: int

    @property
    def total(self) -> int:
        return (
            self.pay + self.distance + self.skill + self.reliability + self.favourite
            + self.extra + self.fairness + self.unfilled
        )


@dataclass(frozen=True)
class UnfilledSeats:
    shift: int  # index into Problem.shifts
    seats: int
    reason: Reason


@dataclass(frozen=True)
class UnchosenPair:
    worker: int
    shift: int
    reason: Reason


class UnchosenPairs:
    """Every pair that did not become an assignment, with its reason, stored as columns.

    A large run has hundreds of thousands of them, so they stay numpy arrays; iterate to get
    `UnchosenPair` objects, or use `reason_of` / the columns directly.
    """

    def __init__(self, worker: np.ndarray, shift: np.ndarray, reason: np.ndarray) -> None:
        self.worker = worker  # int32 indices into Problem.workers
        self.shift = shift  # int32 indices into Problem.shifts
        self.reason = reason  # object array of Reason

    def __len__(self) -> int:
        return len(self.worker)

    def __iter__(self) -> Iterator[UnchosenPair]:
        for worker, shift, reason in zip(self.worker.tolist(), self.shift.tolist(), self.reason):
            yield UnchosenPair(worker, shift, reason)

    def reason_of(self, worker: int, shift: int) -> Reason | None:
        hits = np.flatnonzero((self.worker == worker) & (self.shift == shift))
        return self.reason[hits[0]] if len(hits) else None


@dataclass(frozen=True, eq=False)
class Solution:
    assignments: tuple[Assignment, ...]
    objective: int
    terms: ObjectiveTerms
    # A proven lower bound on the objective of any feasible solution, and
    # (objective - best_bound) / max(1, |objective|).
    best_bound: int
    gap: float
    optimal: bool
    method: str  # "flow", "flow+cp-sat", "decomposed"
    seconds: Mapping[str, float]  # wall seconds by phase, and "total"
    unfilled: tuple[UnfilledSeats, ...]
    # Every eligible pair not chosen, and every pair in Problem.ineligible, with its reason.
    unchosen: UnchosenPairs
    # Solver facts for logs (flow costs, CP-SAT status, sizes).
    stats: Mapping[str, Any] = field(default_factory=dict)
    # The points one empty seat cost in this run: derived from the instance so that filling more
    # seats always wins (prepare.unfilled_seat_penalty); `terms.unfilled` is it × empty seats.
    unfilled_seat_penalty: int = 1
    # The config's points per point of this run's objective: 1 unless its costs were so large that
    # every term was divided by this power of two (rounded on its own) to stay exact.
    cost_scale: int = 1

    @property
    def seats_filled(self) -> int:
        return len(self.assignments)
