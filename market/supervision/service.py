"""Supervision reads: every method takes the caller and works inside their districts only.

Scope rules (docs/supervision.md): no `districts=` means all of the caller's; naming a district
outside them is a 403; an object (an order) outside them is a 404, like any unknown id. Reads of
personal data (the order drill-down, the CSV export) write an audit_log row in the same
transaction as the read.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from market.kernel.principal import Principal
from market.config import Settings
from market.errors import FieldError, Forbidden, NotFound, ValidationFailed
from market.kernel import clock
from market.supervision import model, queries
from market.supervision.model import DateRange, OutOfScope


@dataclass(frozen=True)
class AlertFilter:
    categories: list[str] | None
    status: str | None
    sort: str  # newest | oldest | largest
    organisation_id: uuid.UUID | None = None  # one employer's (a red flag's drill-down: its arrears)


_ALERT_SORTS = {"newest": queries.ALERTS_NEWEST, "oldest": queries.ALERTS_OLDEST, "largest": queries.ALERTS_LARGEST}


class Supervision:
    def __init__(self, pool: asyncpg.Pool, settings: Settings) -> None:
        self.pool = pool
        self.zone = ZoneInfo(settings.display_timezone)

    # Scope ----------------------------------------------------------------------------------------
    def scope(self, caller: Principal, requested: list[str] | None) -> list[str]:
        try:
            return model.resolve_scope(caller.districts, requested)
        except OutOfScope as error:
            raise Forbidden(f"outside your districts: {', '.join(error.districts)}",
                            districts=error.districts) from None

    def today(self) -> date:
        return clock.today(zone=self.zone)

    def date_range(self, first: date | None, last: date | None) -> DateRange:
        try:
            return model.date_range(first, last, self.today(), self.zone)
        except ValueError as error:
            raise ValidationFailed([FieldError(("query", "to"), str(error))]) from None

    # Overview -------------------------------------------------------------------------------------
    async def overview(self, caller: Principal, requested: list[str] | None, first: date | None,
                       last: date | None) -> dict:
        districts = self.scope(caller, requested)
        span = self.date_range(first, last)
        tz = str(self.zone)
        async with self.pool.acquire() as conn:
            names = await conn.fetch(queries.DISTRICTS, districts)
            posted = _exact(await conn.fetch(queries.ORDERS_POSTED, districts, span.starts, span.ends, tz))
            seats = _exact(await conn.fetch(queries.SEATS, districts, span.starts, span.ends, tz))
            work = _exact(await conn.fetch(queries.WORK, districts, span.starts, span.ends, tz))
            paid = _exact(await conn.fetch(queries.PAID, districts, span.first, span.last))
            minimums = await conn.fetch(queries.MINIMUMS, districts, span.first, span.last)
            arrears = _exact(await conn.fetch(queries.ARREARS_OPEN, districts, span.first, span.last, tz))
            flows = _exact(await conn.fetch(queries.SHARED_FLOWS, districts, span.first, span.last))
        built = model.build_overview(districts, span.days(), posted=posted, seats=seats, work=work, paid=paid,
                                     minimums=minimums, arrears=arrears)
        return {"districts": [dict(r) for r in names], "from": span.first, "to": span.last, "timezone": tz,
                **built, "shared_flows": flows}

    # Alerts ---------------------------------------------------------------------------------------
    async def alerts(self, caller: Principal, requested: list[str] | None, first: date | None, last: date | None,
                     wanted: AlertFilter, after: list | None, limit: int,
                     audit_read: bool = True) -> tuple[list[dict], dict[str, Any]]:
        districts = self.scope(caller, requested)
        span = self.date_range(first, last)
        common = (districts, wanted.categories, wanted.status, span.starts, span.ends, str(self.zone), self.today(),
                  wanted.organisation_id)
        cursor_value, cursor_id = (str(after[0]), str(after[1])) if after is not None else (None, None)
        if cursor_value is not None:
            try:
                int(cursor_value) if wanted.sort == "largest" else datetime.fromisoformat(cursor_value)
            except ValueError:
                raise ValidationFailed([FieldError(("query", "cursor"), "is not a cursor of this sort")]) from None
        async with self.pool.acquire() as conn:
            rows = [_masked_dict(r) for r in _exact(
                await conn.fetch(_ALERT_SORTS[wanted.sort], *common, cursor_value, cursor_id, limit + 1))]
            counts = await conn.fetch(queries.ALERT_COUNTS, *common)
            people = sum(1 for r in rows[:limit] if r["worker_name"] is not None)
            if people and audit_read:  # alerts about seats name their (masked) workers: such a read is audited
                await self.audit(conn, caller, "supervision.alerts.read", None, None, districts, {"people": people})
        summary: dict[str, Any] = {}
        for row in counts:
            summary.setdefault(row["category"], {})[row["status"]] = row["n"]
        return rows, summary

    @staticmethod
    def alert_sort_key(row: dict, sort: str) -> tuple:
        return (row["amount_key"] if sort == "largest" else row["at"].isoformat(), row["item_id"])

    # Orders ---------------------------------------------------------------------------------------
    async def orders(self, caller: Principal, requested: list[str] | None, first: date | None, last: date | None,
                     state: str | None, kind: str | None, relationship: str | None, after: list | None,
                     limit: int) -> list[dict]:
        districts = self.scope(caller, requested)
        span = self.date_range(first, last)
        created, last_id = (datetime.fromisoformat(after[0]), uuid.UUID(after[1])) if after else (None, None)
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(queries.ORDERS_PAGE, districts, span.starts, span.ends, state, kind,
                                    relationship, created, last_id, limit + 1)
        return [dict(r) for r in rows]

    async def order(self, caller: Principal, order_id: uuid.UUID) -> dict:
        """One order with its bids, assignments, settlements and compensations, people masked.
        Another district's order is a 404. The read is audited."""
        async with self.pool.acquire() as conn, conn.transaction():
            order = await conn.fetchrow(queries.ORDER_BY_ID, order_id)
            if order is None or order["district_code"] not in caller.districts:
                raise NotFound("no such order in your districts")
            detail = dict(order)
            detail["shifts"] = [dict(r) for r in await conn.fetch(queries.SHIFTS_OF_ORDER, order_id)]
            detail["bids"] = [_masked(r) for r in await conn.fetch(queries.BIDS_OF_ORDER, order_id)]
            detail["assignments"] = [_masked(r) for r in await conn.fetch(queries.ASSIGNMENTS_OF_ORDER, order_id)]
            detail["settlements"] = [_masked(r) for r in await conn.fetch(queries.SETTLEMENTS_OF_ORDER, order_id)]
            detail["compensations"] = [_masked(r) for r in await conn.fetch(queries.COMPENSATIONS_OF_ORDER, order_id)]
            detail["arrears"] = [self._arrear(r) for r in await conn.fetch(queries.ARREARS_OF_ORDER, order_id)]
            await self.audit(conn, caller, "supervision.order.read", "order", str(order_id),
                             [order["district_code"]], {"people": len(detail["assignments"]) + len(detail["bids"])})
            return detail

    def _arrear(self, row: asyncpg.Record) -> dict:
        """An arrears row with what it owes (queries.AMOUNT_OWED) and how long it is overdue."""
        out = _masked_dict(_exact([row])[0])
        cleared_on = row["cleared_at"].astimezone(self.zone).date() if row["cleared_at"] else None
        return {**out, "days_overdue": max(0, ((cleared_on or self.today()) - row["due_date"]).days)}

    # Audit ----------------------------------------------------------------------------------------
    @staticmethod
    async def audit(conn: asyncpg.Connection, caller: Principal, action: str, object_type: str | None,
                    object_id: str | None, districts: list[str], details: dict | None = None) -> None:
        await conn.execute(queries.INSERT_AUDIT, caller.account_id, caller.role, action, object_type, object_id,
                           districts, details or {})

    async def record(self, caller: Principal, action: str, districts: list[str], details: dict) -> None:
        async with self.pool.acquire() as conn:
            await self.audit(conn, caller, action, None, None, districts, details)

    async def audit_log(self, account_id: uuid.UUID | None, after: list | None, limit: int) -> list[dict]:
        created, last_id = (datetime.fromisoformat(after[0]), int(after[1])) if after else (None, None)
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(queries.AUDIT_PAGE, account_id, created, last_id, limit + 1)
        return [dict(r) for r in rows]


def _exact(rows: list[asyncpg.Record]) -> list[dict]:
    """Rows with their numeric sums as ints: exact whatever their size (sums are numeric in SQL so
    that no row can make them overflow; queries.py)."""
    return [{k: int(v) if isinstance(v, Decimal) else v for k, v in r.items()} for r in rows]


def _masked(row: asyncpg.Record) -> dict:
    return _masked_dict(dict(row))


def _masked_dict(out: dict) -> dict:
    if out.get("worker_name") is not None:
        out["worker_name"] = model.mask_name(out["worker_name"])
    return out
