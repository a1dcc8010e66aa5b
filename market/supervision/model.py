"""The supervision core: scope, date ranges, masking and the overview's arithmetic. Pure, no I/O."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Iterable, Mapping
from zoneinfo import ZoneInfo

RELATIONSHIPS = ("labor_part_time", "incomplete_labor", "labor_service", "shared_labor")
KINDS = ("gig", "shared")
ALERT_CATEGORIES = ("below_minimum", "settlement", "arrears", "late_cancellation", "no_show", "red_flag",
                    "out_of_range")
ALERT_STATUSES = ("open", "cleared", "recorded")
DEFAULT_RANGE_DAYS = 30
MAX_RANGE_DAYS = 366

# Two-character surnames (复姓) common enough to matter; anything else keeps its first character.
COMPOUND_SURNAMES = frozenset({
    "欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "令狐", "慕容", "司徒", "尉迟", "长孙", "宇文", "夏侯",
    "端木", "公孙", "轩辕", "西门", "南宫", "独孤", "万俟", "闻人", "澹台", "公冶", "呼延", "赫连",
})


def mask_name(name: str) -> str:
    """张三 → 张*, 欧阳娜娜 → 欧阳*: enough to talk about a case, not to find the person."""
    name = name.strip()
    if not name:
        return "*"
    surname = name[:2] if name[:2] in COMPOUND_SURNAMES and len(name) > 2 else name[:1]
    return surname + "*"


class OutOfScope(Exception):
    """Districts a caller asked for that are not theirs."""

    def __init__(self, districts: list[str]) -> None:
        super().__init__(", ".join(districts))
        self.districts = districts


def resolve_scope(allowed: Iterable[str], requested: Iterable[str] | None) -> list[str]:
    """The districts a request covers: all of the caller's when none are named; naming one outside
    the caller's scope is refused (OutOfScope → 403) rather than silently dropped, so that a
    supervisor never reads an empty chart as "nothing happened there"."""
    allowed_set = set(allowed)
    wanted = {code.strip() for code in requested or () if code.strip()}
    if not wanted:
        return sorted(allowed_set)
    outside = sorted(wanted - allowed_set)
    if outside:
        raise OutOfScope(outside)
    return sorted(wanted)


@dataclass(frozen=True)
class DateRange:
    first: date
    last: date  # inclusive
    zone: ZoneInfo

    @property
    def starts(self) -> datetime:
        return datetime.combine(self.first, time(), self.zone)

    @property
    def ends(self) -> datetime:
        """Exclusive: midnight after the last day."""
        return datetime.combine(self.last + timedelta(days=1), time(), self.zone)

    def days(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]


def date_range(first: date | None, last: date | None, today: date, zone: ZoneInfo) -> DateRange:
    """The requested local dates (inclusive), defaulting to the last 30 days up to today.
    Raises ValueError with the reason for a reversed or too long range."""
    last = last or (first + timedelta(days=DEFAULT_RANGE_DAYS - 1) if first else today)
    first = first or last - timedelta(days=DEFAULT_RANGE_DAYS - 1)
    if last < first:
        raise ValueError("`to` is before `from`")
    if (last - first).days + 1 > MAX_RANGE_DAYS:
        raise ValueError(f"at most {MAX_RANGE_DAYS} days at once")
    return DateRange(first, last, zone)


@dataclass
class Tally:
    """Additive facts of one cell (district × day × breakdown); the ratios come from them."""

    orders_posted: int = 0
    below_minimum_orders: int = 0
    hourly_sum_fen: int = 0
    seats_posted: int = 0
    seats_filled: int = 0
    minutes_worked: int = 0
    gross_paid_fen: int = 0
    paid_minutes: int = 0
    # the gross of the settlements paid for time (every one but a standby's pay): a standby's
    # pay (no minutes: nobody worked) counts in gross_paid_fen but not in the average hourly pay
    timed_gross_fen: int = 0
    no_shows: int = 0
    # not additive: set from the level PostgreSQL computed it at
    workers_active: int = 0
    median_fill_seconds: float | None = None

    def add(self, other: Tally) -> None:
        for name in ("orders_posted", "below_minimum_orders", "hourly_sum_fen", "seats_posted", "seats_filled",
                     "minutes_worked", "gross_paid_fen", "paid_minutes", "timed_gross_fen", "no_shows"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def metrics(self) -> dict:
        return {
            "orders_posted": self.orders_posted,
            "below_minimum_orders": self.below_minimum_orders,
            "seats_posted": self.seats_posted,
            "seats_filled": self.seats_filled,
            "fill_rate": round(self.seats_filled / self.seats_posted, 4) if self.seats_posted else None,
            "median_time_to_fill_seconds": (round(self.median_fill_seconds)
                                            if self.median_fill_seconds is not None else None),
            "workers_active": self.workers_active,
            "hours_worked": round(self.minutes_worked / 60, 2),
            "no_shows": self.no_shows,
            "gross_paid_fen": self.gross_paid_fen,
            "avg_hourly_posted_fen": (_half_up(self.hourly_sum_fen, self.orders_posted)
                                      if self.orders_posted else None),
            "avg_hourly_paid_fen": (_half_up(self.timed_gross_fen * 60, self.paid_minutes)
                                    if self.paid_minutes else None),
        }


def _half_up(numerator: int, denominator: int) -> int:
    return (2 * numerator + denominator) // (2 * denominator)


def kind_of(relationship: str) -> str:
    return "shared" if relationship == "shared_labor" else "gig"


@dataclass
class Cell:
    total: Tally = field(default_factory=Tally)
    by_relationship: dict[str, Tally] = field(default_factory=lambda: {r: Tally() for r in RELATIONSHIPS})
    by_kind: dict[str, Tally] = field(default_factory=lambda: {k: Tally() for k in KINDS})

    def add(self, relationship: str, tally: Tally) -> None:
        self.total.add(tally)
        self.by_relationship[relationship].add(tally)
        self.by_kind[kind_of(relationship)].add(tally)

    def out(self) -> dict:
        return {**self.total.metrics(),
                "by_relationship": {r: t.metrics() for r, t in self.by_relationship.items()},
                "by_kind": {k: t.metrics() for k, t in self.by_kind.items()}}


def build_overview(
    districts: list[str], days: list[date], *, posted: Iterable[Mapping], seats: Iterable[Mapping],
    work: Iterable[Mapping], paid: Iterable[Mapping], minimums: Iterable[Mapping], arrears: Iterable[Mapping],
) -> dict:
    """Assemble the rows of the overview queries into per-district-day cells, a per-day series over
    all the requested districts (what the dashboard charts) and totals over the range."""
    cells: dict[tuple[str, date], Cell] = {(d, day): Cell() for d in districts for day in days}
    series: dict[date, Cell] = {day: Cell() for day in days}
    totals = Cell()

    def additive(rows: Iterable[Mapping], make) -> None:
        for row in rows:
            key = (row["district_code"], row["day"])
            if key not in cells:
                continue
            tally = make(row)
            cells[key].add(row["relationship_type"], tally)
            series[row["day"]].add(row["relationship_type"], tally)
            totals.add(row["relationship_type"], tally)

    additive(posted, lambda r: Tally(orders_posted=r["orders_posted"], below_minimum_orders=r["below_minimum_orders"],
                                     hourly_sum_fen=r["hourly_sum_fen"]))
    additive(seats, lambda r: Tally(seats_posted=r["seats_posted"], seats_filled=r["seats_filled"]))
    additive(paid, lambda r: Tally(gross_paid_fen=r["gross_fen"], paid_minutes=r["paid_minutes"],
                                   timed_gross_fen=r["timed_gross_fen"]))

    # GROUPING bits over (district_code, day, relationship_type, kind): 8 4 2 1, 1 = rolled up.
    for row in work:
        grouped = row["grouped"]
        target: Tally | None
        if grouped & 0b1100 == 0:
            cell = cells.get((row["district_code"], row["day"]))
            if cell is None:
                continue
        elif grouped & 0b1100 == 0b1000:
            cell = series.get(row["day"])
            if cell is None:
                continue
        elif grouped & 0b1100 == 0b1100:
            cell = totals
        else:
            continue
        if grouped & 0b0011 == 0b0001:
            target = cell.by_relationship[row["relationship_type"]]
        elif grouped & 0b0011 == 0b0010:
            target = cell.by_kind[row["kind"]]
        else:
            target = cell.total
        target.workers_active = row["workers_active"]
        target.minutes_worked += row["minutes_worked"]
        target.no_shows += row["no_shows"]
        target.median_fill_seconds = row["median_fill_seconds"]

    minimum = {(r["district_code"], r["day"]): r["hourly_fen"] for r in minimums}
    open_arrears = {(r["district_code"], r["day"]): (r["open_arrears"], r["open_arrears_fen"]) for r in arrears}

    day_rows = []
    for (district, day), cell in cells.items():
        count, amount = open_arrears.get((district, day), (0, 0))
        day_rows.append({"district_code": district, "date": day, **cell.out(),
                         "minimum_hourly_fen": minimum.get((district, day)),
                         "open_arrears": count, "open_arrears_fen": amount})
    series_rows = []
    for day, cell in series.items():
        floors = [minimum[(d, day)] for d in districts if minimum.get((d, day)) is not None]
        series_rows.append({"date": day, **cell.out(),
                            # the strictest floor among the requested districts
                            "minimum_hourly_fen": max(floors) if floors else None,
                            "open_arrears": sum(open_arrears.get((d, day), (0, 0))[0] for d in districts),
                            "open_arrears_fen": sum(open_arrears.get((d, day), (0, 0))[1] for d in districts)})
    return {"days": day_rows, "series": series_rows, "totals": totals.out()}
