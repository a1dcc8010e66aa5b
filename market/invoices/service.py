"""Invoice requests: made from the ledger for each closed statement month, listed and downloaded by
the employer, issued once by the operator (docs/invoices.md)."""
from __future__ import annotations

import uuid
from datetime import date, datetime

import asyncpg

from market.constraints import Constraint, violated
from market.errors import Conflict, FieldError, NotFound, ValidationFailed
from market.invoices import model, queries
from market.invoices.queries import InvoiceRequest
from market.kernel import clock
from market.kernel.principal import Principal

LIST_LIMIT = 500


class Invoices:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def make(self, period: str, organisation_id: uuid.UUID | None = None, *,
                   now: datetime | None = None) -> None:
        """The requests of a closed month (every employer's, or one's), each made once: the month's
        entries are final, so a request made is the month's for good (concurrent calls make one)."""
        now = clock.now(now)
        if not model.period_closed(period, now):
            raise ValidationFailed([FieldError(("period",), "the month is not over yet: it is invoiced once it is")])
        start, end = model.period_bounds(period)
        async with self.pool.acquire() as conn, conn.transaction():
            amounts = await queries.period_amounts(conn, start, end, organisation_id)
            rows = [(r["organisation_id"], period, line) for r in amounts
                    for line in model.lines_of_period(r["service_fee_fen"], r["charged_fen"] - r["service_fee_fen"])]
            await queries.insert_requests(conn, rows, now)

    async def list_for(self, caller: Principal, period: str | None, *, now: datetime | None = None
                       ) -> list[InvoiceRequest]:
        """An employer's own requests, an operator's of every employer; a closed month asked for is made first."""
        organisation_id = None if caller.role == "admin" else caller.organisation_id
        if caller.role != "admin" and organisation_id is None:
            raise NotFound("no such organisation")
        if period is not None and model.period_closed(period, clock.now(now)):
            await self.make(period, organisation_id, now=now)
        async with self.pool.acquire() as conn:
            return await queries.requests(conn, organisation_id, period, LIST_LIMIT)

    async def get(self, caller: Principal, request_id: uuid.UUID) -> InvoiceRequest:
        async with self.pool.acquire() as conn:
            found = await queries.request(conn, request_id)
        if found is None or (caller.role != "admin" and found.organisation_id != caller.organisation_id):
            raise NotFound("no such invoice request")
        return found

    async def issue(self, caller: Principal, request_id: uuid.UUID, number: str, issued_on: date, *,
                    now: datetime | None = None) -> InvoiceRequest:
        """The operator issued the invoice in the 全电 system: its number and date, once; then it never changes."""
        now = clock.now(now)
        async with self.pool.acquire() as conn:
            found = await queries.request(conn, request_id)
            if found is None:
                raise NotFound("no such invoice request")
            if not model.issue_date_ok(issued_on, found.period, clock.today(now)):
                raise ValidationFailed([FieldError(("issued_on",), "must be in or after the invoiced month and "
                                                                    "not in the future")])
            try:
                async with conn.transaction():
                    issued = await queries.issue(conn, request_id, number, issued_on, caller.account_id, now)
            except asyncpg.UniqueViolationError as error:
                violated(error, Constraint.INVOICE_NUMBER)
                raise ValidationFailed([FieldError(("invoice_number",), "another invoice has this number")]) from None
        if issued is None:
            raise Conflict("the invoice is issued already: an issued invoice never changes", current_state="issued")
        return issued
