"""Small hand-made allocation problems for the tests: times in hours from a Monday."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from market.allocation import Commitment, EligiblePairs, IneligiblePair, Problem, Shift, Worker

# Monday 2026-03-02 00:00 local, in minutes since 1970-01-01 local.
MONDAY = 20514 * 24 * 60


def at(day: int, hour: float) -> int:
    """Local minutes at `hour` o'clock on `day` days after Monday 2026-03-02."""
    return MONDAY + day * 24 * 60 + int(hour * 60)


def shift(day: int, start_hour: float, end_hour: float, *, headcount: int = 1, employer: Any = "acme",
          relationship: str = "labor_service", district: Any = "yuzhong") -> Shift:
    return Shift(id=f"{employer}-{day}-{start_hour}", start=at(day, start_hour), end=at(day, end_hour),
                 headcount=headcount, employer=employer, relationship=relationship, district=district)


def held(day: int, start_hour: float, end_hour: float, *, employer: Any = "acme",
         relationship: str = "labor_service") -> Commitment:
    return Commitment(start=at(day, start_hour), end=at(day, end_hour), employer=employer, relationship=relationship)


@dataclass
class Pair:
    worker: int
    shift: int
    pay_fen: int = 10_000
    distance_m: int = 1_000
    skill_level: int = 1
    reliability: float = 0.9
    favourite: bool = False
    from_bid: bool = False
    extra_cost: int = 0


@dataclass
class Build:
    workers: Sequence[Worker] = ()
    shifts: Sequence[Shift] = ()
    pairs: Iterable[Pair] = ()
    ineligible: Sequence[IneligiblePair] = field(default_factory=tuple)

    def problem(self) -> Problem:
        rows = list(self.pairs)
        columns = {name: [getattr(p, name) for p in rows] for name in Pair.__dataclass_fields__}
        return Problem(
            workers=tuple(self.workers), shifts=tuple(self.shifts),
            pairs=EligiblePairs.of(
                np.array(columns.pop("worker"), dtype=np.int32), np.array(columns.pop("shift"), dtype=np.int32),
                **{name: np.array(values) for name, values in columns.items()} if rows else {},
            ),
            ineligible=tuple(self.ineligible),
        )


def workers(n: int, **kwargs: Any) -> list[Worker]:
    return [Worker(id=f"w{i}", **kwargs) for i in range(n)]


def assigned(solution) -> set[tuple[int, int]]:
    return {(a.worker, a.shift) for a in solution.assignments}
