"""The settlement rate book: tax tables, insurance and fee rates, each versioned by effective date.

`load_rate_book()` is the one place that reads `data/rates.json`; the service loads it once at
start-up and passes the `RateBook` to the pure rules, which ask it for "the rate in force on date
D". `parse_rate_book()` does the parsing and checking without I/O, so tests can feed it documents.

Rates are parsed from decimal strings into `Fraction`s (exact: 0.005 stays 1/200, never a float)
and money stays in integer fen.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any, Generic, TypeVar

from market.bids.rules import LendingCostAllowance
from market.settlement.tax import LaborRemunerationTaxTable, TaxBracket, WageTaxTable

T = TypeVar("T")


class RateNotInForce(LookupError):
    """The rate book has no version of a rate for a date: a gap in `rates.json` for an operator to
    fill, not a client error, so it is deliberately outside the `MarketError` family (→ 500)."""


@dataclass(frozen=True)
class Version(Generic[T]):
    effective_from: date
    source: str
    value: T


@dataclass(frozen=True)
class Schedule(Generic[T]):
    """The versions of one rate, oldest first; each is in force until the next one starts."""

    name: str
    versions: tuple[Version[T], ...]

    def version_in_force(self, on: date) -> Version[T]:
        in_force = [version for version in self.versions if version.effective_from <= on]
        if not in_force:
            raise RateNotInForce(f"no {self.name} rate is in force on {on.isoformat()}")
        return in_force[-1]

    def in_force(self, on: date) -> T:
        return self.version_in_force(on).value


@dataclass(frozen=True)
class OccupationalInjuryProtectionRates:
    """职业伤害保障 contribution per order (per assignment), by sector code."""

    default_per_order_fen: int
    per_order_fen_by_sector: Mapping[str, int]

    def per_order_fen(self, sector_code: str | None) -> int:
        return self.per_order_fen_by_sector.get(sector_code or "", self.default_per_order_fen)


@dataclass(frozen=True)
class RateBook:
    labor_remuneration_tax: Schedule[LaborRemunerationTaxTable]
    wage_tax: Schedule[WageTaxTable]
    occupational_injury_protection: Schedule[OccupationalInjuryProtectionRates]
    work_injury_insurance_rate: Schedule[Fraction]  # share of gross wages
    platform_fee_rate: Schedule[Fraction]  # share of the gross (of the lender fee for shared_labor)
    shared_labor_cost_allowance: Schedule[LendingCostAllowance]  # a lender's fee: not for profit


def load_rate_book(path: Path | None = None) -> RateBook:
    """Read and parse the rate book shipped with the package (or the file at `path`)."""
    if path is None:
        text = resources.files("market.settlement").joinpath("data/rates.json").read_text("utf-8")
    else:
        text = path.read_text("utf-8")
    return parse_rate_book(json.loads(text))


def parse_rate_book(document: Mapping[str, Any]) -> RateBook:
    """Turn the JSON document into a `RateBook`, refusing anything that would settle wrong money:
    unsorted or duplicate dates, rates outside [0, 1), negative amounts, broken bracket tables."""
    return RateBook(
        labor_remuneration_tax=_schedule(document, "labor_remuneration_tax", _labor_remuneration_table),
        wage_tax=_schedule(document, "wage_tax", _wage_table),
        occupational_injury_protection=_schedule(
            document, "occupational_injury_protection", _occupational_injury_protection),
        work_injury_insurance_rate=_schedule(
            document, "work_injury_insurance", lambda entry: _rate(entry["rate_of_gross"])),
        platform_fee_rate=_schedule(document, "platform_fee", lambda entry: _rate(entry["rate_of_gross"])),
        shared_labor_cost_allowance=_schedule(document, "shared_labor_cost_allowance", lambda entry: (
            LendingCostAllowance(_rate(entry["social_insurance_rate_of_wage"]),
                                 _rate(entry["reasonable_cost_rate_of_wage"])))),
    )


def _schedule(document: Mapping[str, Any], name: str, parse_value: Callable[[Mapping[str, Any]], T]) -> Schedule[T]:
    entries = document.get(name)
    if not entries:
        raise ValueError(f"rates: {name} has no versions")
    versions: list[Version[T]] = []
    for index, entry in enumerate(entries):
        where = f"rates: {name}[{index}]"
        try:
            version = Version(date.fromisoformat(entry["effective_from"]), str(entry["source"]),
                              parse_value(entry))
        except (KeyError, TypeError, ValueError) as error:
            raise ValueError(f"{where}: {error!r}") from error
        if not version.source.strip():
            raise ValueError(f"{where}: source must say where the rate comes from")
        if versions and version.effective_from <= versions[-1].effective_from:
            raise ValueError(f"{where}: versions must be in strictly increasing effective_from order")
        versions.append(version)
    return Schedule(name, tuple(versions))


def _rate(text: str) -> Fraction:
    if not isinstance(text, str):
        raise TypeError("rates are decimal strings, e.g. \"0.05\", never JSON numbers (floats)")
    rate = Fraction(text)
    if not 0 <= rate < 1:
        raise ValueError(f"rate {text} is outside [0, 1)")
    return rate


def _fen(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"amount {value!r} must be a non-negative integer of fen")
    return value


def _brackets(entries: list[Mapping[str, Any]]) -> tuple[TaxBracket, ...]:
    brackets = tuple(
        TaxBracket(None if entry["up_to_fen"] is None else _fen(entry["up_to_fen"]),
                   _rate(entry["rate"]), _fen(entry["quick_deduction_fen"]))
        for entry in entries
    )
    bounds = [bracket.up_to_fen for bracket in brackets]
    if not bounds or bounds[-1] is not None or None in bounds[:-1]:
        raise ValueError("brackets must end with exactly one unbounded bracket (up_to_fen: null)")
    finite_bounds = [bound for bound in bounds[:-1] if bound is not None]  # all of them, as just checked
    if any(lower >= upper for lower, upper in zip(finite_bounds, finite_bounds[1:])):
        raise ValueError("bracket bounds must increase")
    return brackets


def _labor_remuneration_table(entry: Mapping[str, Any]) -> LaborRemunerationTaxTable:
    return LaborRemunerationTaxTable(
        flat_deduction_limit_fen=_fen(entry["flat_deduction_limit_fen"]),
        flat_deduction_fen=_fen(entry["flat_deduction_fen"]),
        proportional_deduction=_rate(entry["proportional_deduction"]),
        brackets=_brackets(entry["brackets"]),
    )


def _wage_table(entry: Mapping[str, Any]) -> WageTaxTable:
    return WageTaxTable(
        monthly_basic_deduction_fen=_fen(entry["monthly_basic_deduction_fen"]),
        brackets=_brackets(entry["brackets"]),
    )


def _occupational_injury_protection(entry: Mapping[str, Any]) -> OccupationalInjuryProtectionRates:
    return OccupationalInjuryProtectionRates(
        default_per_order_fen=_fen(entry["default_per_order_fen"]),
        per_order_fen_by_sector=MappingProxyType(
            {str(sector): _fen(fen) for sector, fen in entry["per_order_fen_by_sector"].items()}),
    )
