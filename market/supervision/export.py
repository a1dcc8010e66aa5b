"""The supervision CSV files (docs/supervision.md, "CSV export"): which columns, under which header,
in which unit. Pure: rows in, text out, through the one CSV writer (market/csvfile.py).

Decisions, so that a file reads as the page does:
- headers in Chinese, the page's words (`lang=en`: the page's English words);
- times as Beijing time with their offset (`2026-12-02T09:00:00+08:00`), dates as local dates;
- money in yuan with two decimals (`30.00`), the header saying 元 — exact, from integer fen;
- the fill rate in per cent with two decimals; codes (`open`, `labor_service`) stay codes, so a
  file filters the same whatever the header language.
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Iterable, Literal, Mapping
from zoneinfo import ZoneInfo

from market import csvfile
from market.supervision.model import RELATIONSHIPS

Language = Literal["zh", "en"]


def _yuan(fen: int | None) -> Decimal | None:
    return None if fen is None else Decimal(int(fen)).scaleb(-2)


def _per_cent(ratio: float | None) -> Decimal | None:
    return None if ratio is None else (Decimal(str(ratio)) * 100).quantize(Decimal("0.01"))


@dataclass(frozen=True)
class Column:
    field: str
    zh: str
    en: str
    unit: Literal["plain", "yuan", "per_cent", "moment"] = "plain"

    def header(self, lang: Language) -> str:
        return self.zh if lang == "zh" else self.en

    def value(self, row: Mapping, zone: ZoneInfo) -> object:
        value = row[self.field]
        if self.unit == "yuan":
            return _yuan(value)
        if self.unit == "per_cent":
            return _per_cent(value)
        if self.unit == "moment" and isinstance(value, datetime):
            return value.astimezone(zone).isoformat()
        return value


_METRICS = (
    Column("orders_posted", "发布订单（单）", "Orders posted"),
    Column("seats_posted", "发布岗位（个）", "Seats posted"),
    Column("seats_filled", "已填补岗位（个）", "Seats filled"),
    Column("fill_rate", "填补率（%）", "Fill rate (%)", "per_cent"),
    Column("median_time_to_fill_seconds", "填补用时中位数（秒）", "Median time to fill (s)"),
    Column("workers_active", "在岗人数（人）", "Workers active"),
    Column("hours_worked", "工作时长（小时）", "Hours worked (h)"),
    Column("no_shows", "缺勤（人次）", "No-shows"),
    Column("gross_paid_fen", "应发工资（元）", "Gross pay (yuan)", "yuan"),
    Column("avg_hourly_posted_fen", "发布时薪（元/小时）", "Posted hourly (yuan/h)", "yuan"),
    Column("avg_hourly_paid_fen", "实发时薪（元/小时）", "Paid hourly (yuan/h)", "yuan"),
    Column("minimum_hourly_fen", "最低工资标准（元/小时）", "Minimum wage (yuan/h)", "yuan"),
    Column("below_minimum_orders", "低于最低工资订单（单）", "Below-minimum orders"),
    Column("open_arrears", "未清欠薪笔数（笔）", "Open arrears"),
    Column("open_arrears_fen", "未清欠薪金额（元）", "Open arrears (yuan)", "yuan"),
)
_RELATIONSHIP_NAMES = {"labor_part_time": ("非全日制用工", "Part-time labor"),
                       "incomplete_labor": ("不完全劳动关系", "Incomplete labor relation"),
                       "labor_service": ("劳务关系", "Labor service"), "shared_labor": ("共享用工", "Shared labor")}
_PER_RELATIONSHIP = (("orders_posted", "发布订单（单）", "orders posted", "plain"),
                     ("seats_posted", "发布岗位（个）", "seats posted", "plain"),
                     ("seats_filled", "已填补岗位（个）", "seats filled", "plain"),
                     ("gross_paid_fen", "应发工资（元）", "gross pay (yuan)", "yuan"))

OVERVIEW = (Column("district_code", "区县代码", "District code"), Column("district_name", "区县", "District"),
            Column("date", "日期", "Date"), *_METRICS) + tuple(
    Column(f"{r}_{field}", f"{_RELATIONSHIP_NAMES[r][0]}·{zh}", f"{_RELATIONSHIP_NAMES[r][1]}: {en}", unit)  # type: ignore[arg-type]
    for r in RELATIONSHIPS for field, zh, en, unit in _PER_RELATIONSHIP)

ALERTS = (
    Column("category", "类别", "Category"), Column("kind", "类型", "Kind"), Column("id", "编号", "ID"),
    Column("district_code", "区县代码", "District code"), Column("organisation_name", "用人单位", "Employer"),
    Column("order_id", "订单编号", "Order ID"), Column("at", "时间（北京时间）", "Time (Beijing)", "moment"),
    Column("status", "状态", "Status"), Column("cleared_at", "解除时间（北京时间）", "Cleared (Beijing)", "moment"),
    Column("amount_fen", "金额（元）", "Amount (yuan)", "yuan"),
    Column("hourly_rate_fen", "时薪（元/小时）", "Hourly rate (yuan/h)", "yuan"),
    Column("hourly_minimum_fen", "最低工资标准（元/小时）", "Minimum wage (yuan/h)", "yuan"),
    Column("worker_name", "劳动者（脱敏）", "Worker (masked)"),
    Column("shift_starts_at", "班次开始（北京时间）", "Shift start (Beijing)", "moment"),
    Column("due_date", "应付日期", "Due date"), Column("days_overdue", "逾期天数", "Days overdue"),
)

ORDERS = (
    Column("id", "订单编号", "Order ID"), Column("created_at", "发布时间（北京时间）", "Posted (Beijing)", "moment"),
    Column("district_code", "区县代码", "District code"), Column("kind", "类别", "Kind"),
    Column("relationship_type", "用工关系", "Relationship"), Column("state", "状态", "State"),
    Column("employer_name", "用人单位", "Employer"), Column("title", "名称", "Title"),
    Column("pay_unit", "计酬单位", "Pay unit"), Column("pay_amount_fen", "报酬（元）", "Pay (yuan)", "yuan"),
    Column("hourly_equivalent_fen", "折合时薪（元/小时）", "Hourly equivalent (yuan/h)", "yuan"),
    Column("below_minimum_wage", "低于最低工资", "Below minimum wage"), Column("seats", "岗位（个）", "Seats"),
    Column("seats_filled", "已填补（个）", "Seats filled"),
)


def write(columns: tuple[Column, ...], rows: Iterable[Mapping], lang: Language, zone: ZoneInfo) -> str:
    out = io.StringIO()
    writer = csvfile.Writer(out, bom=True)  # the one CSV writer: no stored text becomes a formula
    writer.header([c.header(lang) for c in columns])
    for row in rows:
        writer.row(c.value(row, zone) for c in columns)
    return out.getvalue()


def overview_rows(days: Iterable[Mapping], names: Mapping[str, str]) -> Iterable[dict]:
    for day in days:
        flat = {**day, "district_name": names.get(day["district_code"])}
        for r in RELATIONSHIPS:
            for field, *_ in _PER_RELATIONSHIP:
                flat[f"{r}_{field}"] = day["by_relationship"][r][field]
        yield flat


def alert_rows(rows: Iterable[Mapping]) -> Iterable[dict]:
    for row in rows:
        details = row["details"] or {}
        yield {**row, "id": row["item_id"], "hourly_rate_fen": _fen_fact(details, "hourly_rate_fen"),
               "hourly_minimum_fen": _fen_fact(details, "hourly_minimum_fen")}


def _fen_fact(details: Mapping, name: str) -> int | None:
    value = details.get(name)
    return value if isinstance(value, int) and not isinstance(value, bool) else None

