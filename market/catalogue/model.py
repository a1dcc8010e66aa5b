"""Catalogue facts: districts with their minimum-wage tier, the wage standards, skills. Pure."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class MinimumWage:
    tier: int
    effective_from: date
    monthly_fen: int
    hourly_fen: int
    source: str


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


def standard_on(standards: list[MinimumWage], tier: int, day: date) -> MinimumWage | None:
    """The minimum-wage standard of `tier` in force on `day` (the latest that took effect by then)."""
    in_force = [s for s in standards if s.tier == tier and s.effective_from <= day]
    return max(in_force, key=lambda s: s.effective_from, default=None)
