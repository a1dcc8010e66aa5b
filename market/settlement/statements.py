"""What settlement shows its parties: a worker's pay slips, an employer's monthly statement of
escrow, and a lender's confirmation that it paid its employee the wage of a shared-labor settlement."""
from __future__ import annotations

import uuid
from datetime import date, datetime

import asyncpg

from market.kernel.principal import Principal
from market.errors import NotFound
from market.kernel import clock
from market.kernel.clock import SHANGHAI
from market.settlement import queries
from market.settlement.records import PaySlipRow, StatementEntry, WageLeg


class Statements:
    pool: asyncpg.Pool

    async def payslips(self, caller: Principal, after: tuple | None, limit: int) -> list[PaySlipRow]:
        async with self.pool.acquire() as conn:
            return await queries.payslips_of_worker(conn, caller.worker_id, after, limit)

    async def statement(self, caller: Principal, month: date) -> list[StatementEntry]:
        start = datetime(month.year, month.month, 1, tzinfo=SHANGHAI)
        end = datetime(month.year + (month.month == 12), month.month % 12 + 1, 1, tzinfo=SHANGHAI)
        async with self.pool.acquire() as conn:
            return await queries.statement_of_organisation(conn, caller.organisation_id, start, end)

    async def confirm_wage_paid(self, caller: Principal, settlement_id: uuid.UUID, *,
                                now: datetime | None = None) -> WageLeg:
        """The lending enterprise confirms it paid its employee the wage leg of a shared-labor settlement."""
        now = clock.now(now)
        async with self.pool.acquire() as conn, conn.transaction():
            found = await queries.wage_leg(conn, settlement_id)
            if found is None or found.lender_id != caller.organisation_id:
                raise NotFound("no such settlement")
            await queries.confirm_wage_leg(conn, settlement_id, now)
            await queries.clear_shared_wage_arrears(conn, found.assignment_id, now)
            confirmed = await queries.wage_leg(conn, settlement_id)
            assert confirmed is not None  # read under the same transaction a moment ago
            return confirmed
