"""Builders for order-domain tests: RULES.md's numbers, Chongqing times, orders valid unless told."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from market.kernel.clock import SHANGHAI
from market.kernel.relationships import RelationshipType
from market.orders.model import (
    DailySchedule,
    GigOrder,
    MinimumWage,
    MinimumWageTable,
    Pay,
    PayUnit,
    SharedOrder,
    Shift,
    Site,
)

# RULES.md, "Chongqing minimum wage".
MINIMUM_WAGES = MinimumWageTable(
    [
        MinimumWage(tier=1, effective_from=date(2022, 4, 1), hourly_fen=2100, monthly_fen=210000),
        MinimumWage(tier=2, effective_from=date(2022, 4, 1), hourly_fen=2000, monthly_fen=200000),
        MinimumWage(tier=1, effective_from=date(2025, 1, 1), hourly_fen=2300, monthly_fen=233000),
        MinimumWage(tier=2, effective_from=date(2025, 1, 1), hourly_fen=2200, monthly_fen=220000),
    ]
)
YUZHONG = "500103"  # 渝中区, tier 1
CHENGKOU = "500229"  # 城口县, tier 2
DISTRICT_TIERS = {YUZHONG: 1, CHENGKOU: 2}

NOW = datetime(2024, 12, 1, 9, 0, tzinfo=SHANGHAI)


def cq(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A Chongqing wall-clock time."""
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def shift(start: datetime, hours: float = 4, headcount: int = 1, *, minutes: int = 0) -> Shift:
    return Shift(start=start, end=start + timedelta(hours=hours, minutes=minutes), headcount=headcount)


def gig_order(**overrides: Any) -> GigOrder:
    """A valid labor_part_time order in 渝中区: one 4-hour shift on 2025-03-03, 25 yuan an hour."""
    base = GigOrder(
        employer_id=1,
        title="仓库拣货",
        relationship=RelationshipType.labor_part_time,
        district_code=YUZHONG,
        site=Site(lat=29.5531, lon=106.5688, address="渝中区解放碑"),
        shifts=(shift(cq(2025, 3, 3, 9)),),
        pay=Pay(unit=PayUnit.hour, amount_fen=2500),
    )
    return replace(base, **overrides)


def hourly(amount_fen: int, **kw: Any) -> Pay:
    return Pay(unit=PayUnit.hour, amount_fen=amount_fen, **kw)


def daily(amount_fen: int, stated_hours: str | int, **kw: Any) -> Pay:
    return Pay(unit=PayUnit.day, amount_fen=amount_fen, stated_hours=Decimal(stated_hours), **kw)


def shared_order(**overrides: Any) -> SharedOrder:
    """A valid shared order: 5 workers, Mon–Fri 2025-03-03..2025-03-14, 09:00–17:00, 240 yuan a day."""
    base = SharedOrder(
        borrower_id=10,
        title="借调包装工",
        district_code=YUZHONG,
        site=Site(lat=29.5531, lon=106.5688),
        schedule=DailySchedule(
            start_date=date(2025, 3, 3),
            end_date=date(2025, 3, 14),
            daily_start=time(9),
            daily_end=time(17),
            weekdays=frozenset(range(1, 6)),
        ),
        headcount=5,
        fee_per_worker_day_fen=24000,
    )
    return replace(base, **overrides)
