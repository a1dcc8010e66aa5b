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
from typing import Any, Mapping, TypeVar
from zoneinfo import ZoneInfo

import asyncpg

from market.kernel import clock
from market.kernel.principal import Principal
from market.config import Settings
from market.errors import FieldError, Forbidden, NotFound, ValidationFailed
from market.supervision import model, queries
from market.supervision.model import DateRange, OutOfScope


@dataclass(frozen=True)
class AlertFilter:
    categories: list[str] | None
    status: str | None
    sort: str  # newest | oldest | largest
    organisation_id: uuid.UUID | None = None  # one employer's (a red flag's drill-down: its arrears)


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
            facts = await queries.overview_facts(conn, districts, span.starts, span.ends, span.first, span.last, tz)
        built = model.build_overview(districts, span.days(), posted=facts.posted, seats=facts.seats, work=facts.work,
                                     paid=facts.paid, minimums=facts.minimums, arrears=facts.arrears)
        return {"districts": facts.districts, "from": span.first, "to": span.last, "timezone": tz,
                **built, "shared_flows": facts.shared_flows}

    async def everyday(self, caller: Principal, requested: list[str] | None, first: date | None,
                       last: date | None) -> tuple[DateRange, list[queries.EverydayRow]]:
        """Issue 18's everyday in the caller's districts: favourites-first pools and who was in them,
        recurring orders, standby seats, daily pay (docs/supervision.md)."""
        districts = self.scope(caller, requested)
        span = self.date_range(first, last)
        async with self.pool.acquire() as conn:
            return span, await queries.everyday(conn, districts, span.starts, span.ends)

    # Alerts ---------------------------------------------------------------------------------------
    async def alerts(self, caller: Principal, requested: list[str] | None, first: date | None, last: date | None,
                     wanted: AlertFilter, after: list | None, limit: int,
                     audit_read: bool = True) -> tuple[list[queries.Alert], dict[str, dict[str, int]]]:
        districts = self.scope(caller, requested)
        span = self.date_range(first, last)
        scope = queries.AlertScope(districts, wanted.categories, wanted.status, span.starts, span.ends, str(self.zone),
                                   self.today(), wanted.organisation_id)
        cursor_value, cursor_id = (str(after[0]), str(after[1])) if after is not None else (None, None)
        if cursor_value is not None:
            try:
                int(cursor_value) if wanted.sort == "largest" else datetime.fromisoformat(cursor_value)
            except ValueError:
                raise ValidationFailed([FieldError(("query", "cursor"), "is not a cursor of this sort")]) from None
        async with self.pool.acquire() as conn:
            rows = [_masked(r) for r in await queries.alerts(conn, scope, wanted.sort, cursor_value, cursor_id,
                                                            limit + 1)]
            counts = await queries.alert_counts(conn, scope)
            people = sum(1 for r in rows[:limit] if r["worker_name"] is not None)
            if people and audit_read:  # alerts about seats name their (masked) workers: such a read is audited
                await self.audit(conn, caller, "supervision.alerts.read", None, None, districts, {"people": people})
        return rows, counts

    @staticmethod
    def alert_sort_key(row: queries.Alert, sort: str) -> tuple:
        return (row["amount_key"] if sort == "largest" else row["at"].isoformat(), row["item_id"])

    # Orders ---------------------------------------------------------------------------------------
    async def orders(self, caller: Principal, requested: list[str] | None, first: date | None, last: date | None,
                     state: str | None, kind: str | None, relationship: str | None, after: list | None,
                     limit: int) -> list[queries.Order]:
        districts = self.scope(caller, requested)
        span = self.date_range(first, last)
        cursor = (datetime.fromisoformat(after[0]), uuid.UUID(after[1])) if after else None
        async with self.pool.acquire() as conn:
            return await queries.orders_page(conn, districts, span.starts, span.ends, state, kind, relationship,
                                             cursor, limit + 1)

    async def order(self, caller: Principal, order_id: uuid.UUID) -> dict[str, Any]:
        """One order with its bids, assignments, settlements and compensations, people masked.
        Another district's order is a 404. The read is audited."""
        async with self.pool.acquire() as conn, conn.transaction():
            order = await queries.order_by_id(conn, order_id)
            if order is None or order["district_code"] not in caller.districts:
                raise NotFound("no such order in your districts")
            people = await queries.order_people(conn, order_id)
            detail: dict[str, Any] = {
                **order, "shifts": people.shifts, "bids": [_masked(r) for r in people.bids],
                "assignments": [_masked(r) for r in people.assignments],
                "settlements": [_masked(r) for r in people.settlements],
                "compensations": [_masked(r) for r in people.compensations],
                "arrears": [self._arrear(r) for r in people.arrears]}
            await self.audit(conn, caller, "supervision.order.read", "order", str(order_id),
                             [order["district_code"]], {"people": len(detail["assignments"]) + len(detail["bids"])})
            return detail

    def _arrear(self, row: queries.Arrear) -> dict[str, Any]:
        """An arrears row with what it owes (queries.AMOUNT_OWED) and how long it is overdue."""
        out = _masked(row)
        cleared_on = row["cleared_at"].astimezone(self.zone).date() if row["cleared_at"] else None
        return {**out, "days_overdue": max(0, ((cleared_on or self.today()) - row["due_date"]).days)}

    # Audit ----------------------------------------------------------------------------------------
    @staticmethod
    async def audit(conn: asyncpg.Connection, caller: Principal, action: str, object_type: str | None,
                    object_id: str | None, districts: list[str], details: dict | None = None) -> None:
        await queries.insert_audit(conn, caller.account_id, caller.role, action, object_type, object_id, districts,
                                   details or {})

    async def record(self, caller: Principal, action: str, districts: list[str], details: dict) -> None:
        async with self.pool.acquire() as conn:
            await self.audit(conn, caller, action, None, None, districts, details)

    async def audit_log(self, account_id: uuid.UUID | None, after: list | None,
                        limit: int) -> list[queries.AuditEntry]:
        cursor = (datetime.fromisoformat(after[0]), int(after[1])) if after else None
        async with self.pool.acquire() as conn:
            return await queries.audit_page(conn, account_id, cursor, limit + 1)


Row = TypeVar("Row", bound=Mapping[str, Any])


def _masked(row: Row) -> Row:
    """The row with its worker's name masked (in place: rows are the query functions' own dicts)."""
    if row.get("worker_name") is not None:
        row["worker_name"] = model.mask_name(row["worker_name"])  # type: ignore[index]
    return row
