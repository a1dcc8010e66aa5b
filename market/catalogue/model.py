"""Catalogue facts: districts with their minimum-wage tier, the wage standards, skills, the
职业伤害保障 sectors. Pure."""
from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from market.errors import MarketError


class MinimumWageUnknown(MarketError):
    """No minimum-wage standard is known for the tier on the date (before the first one held): a
    gap in the data, never filled by a guess. Callers that can name the field turn it into a field
    error; reached anywhere else it is a 422 saying so, not a 500."""

    status = 422
    type = "minimum-wage-unknown"
    title = "No minimum wage is known for that date"


@dataclass(frozen=True)
class MinimumWage:
    """One minimum-wage standard: in force for `tier` from `effective_from` until the next one."""

    tier: int
    effective_from: date
    hourly_fen: int
    monthly_fen: int
    source: str = ""


class MinimumWageTable:
    """Minimum-wage standards by tier and date, built from rows the service loads from the database.

    >>> table = MinimumWageTable([MinimumWage(1, date(2025, 1, 1), 2300, 233000)])
    >>> table.hourly_minimum_fen(1, date(2025, 6, 1))
    2300
    """

    def __init__(self, standards: Iterable[MinimumWage]) -> None:
        by_tier: dict[int, list[MinimumWage]] = {}
        for standard in standards:
            by_tier.setdefault(standard.tier, []).append(standard)
        self._by_tier = {tier: sorted(rows, key=lambda s: s.effective_from) for tier, rows in by_tier.items()}
        for tier, rows in self._by_tier.items():
            dates = [row.effective_from for row in rows]
            if len(set(dates)) != len(dates):
                raise ValueError(f"two minimum-wage standards for tier {tier} take effect on the same date")

    def standard_on(self, tier: int, on: date) -> MinimumWage:
        """The standard in force for `tier` on `on`; MinimumWageUnknown when none is known (a data gap)."""
        rows = self._by_tier.get(tier, [])
        index = bisect.bisect_right([row.effective_from for row in rows], on) - 1
        if index < 0:
            raise MinimumWageUnknown(f"no minimum wage is known for tier {tier} on {on.isoformat()}")
        return rows[index]

    def hourly_minimum_fen(self, tier: int, on: date) -> int:
        return self.standard_on(tier, on).hourly_fen

    def standards_between(self, tier: int, first: date, last: date) -> list[MinimumWage]:
        """Every standard in force for `tier` on some day from `first` to `last` inclusive."""
        in_force = [self.standard_on(tier, first)]
        in_force += [row for row in self._by_tier.get(tier, []) if first < row.effective_from <= last]
        return in_force


@dataclass(frozen=True)
class District:
    code: str
    name: str
    kind: str
    tier: int
    active: bool
    lat: float
    lon: float
    note: str | None


@dataclass(frozen=True)
class Skill:
    code: str
    name_zh: str
    name_en: str
    certificate: str | None


@dataclass(frozen=True)
class Sector:
    """A sector of work for the 职业伤害保障 pilot: an order names one, and its code selects the
    per-order contribution of the rate book (docs/settlement-rules.md)."""

    code: str
    name_zh: str
    name_en: str
