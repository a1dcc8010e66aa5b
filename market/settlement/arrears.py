"""Wage arrears: recording every wage not paid by its due date (and every lender's wage leg not
confirmed by its due date), each with a supervisor alert, once; and the arrears that concern a caller."""
from __future__ import annotations

from datetime import date, datetime

import asyncpg

from market.kernel import workdays
from market.kernel.principal import Principal
from market.events.outbox import emit
from market.kernel import clock
from market.kernel.clock import local_date
from market.settlement import queries
from market.settlement.records import Arrear, NewArrear
from market.settlement.rules import pay_due_date


class Arrears:
    pool: asyncpg.Pool

    async def check_arrears(self, *, today: date | None = None, now: datetime | None = None) -> list[NewArrear]:
        """Record arrears for every approved timesheet not paid by its due date and every lender
        wage leg not confirmed by its due date; each gets a supervisor alert (once). `now` is when
        the check runs (its rows' time), `today` the local day it judges by (now's by default)."""
        now = clock.now(now)
        today = today or local_date(now)
        async with self.pool.acquire() as conn, conn.transaction():
            # unsettled timesheets: due dates on China's working days (rules.pay_due_date), see queries
            unsettled = await queries.unsettled_unpaid_shift_days(conn, workdays.first_working_day(today))
            due = [(day, pay_due_date(day.shift_date, day.pay_cycle_days)) for day in unsettled]
            found = await queries.record_wage_arrears(conn, today, [(day, on) for day, on in due if on < today], now)
            for arrear in found:
                district = await queries.district_of_assignment(conn, arrear.assignment_id)
                await queries.insert_alert(conn, f"arrears_{arrear.kind}", district, arrear.organisation_id, None,
                                           f"arrears:{arrear.id}",
                                           {"assignment_id": str(arrear.assignment_id), "amount_fen": arrear.amount_fen,
                                            "due_date": arrear.due_date.isoformat(),
                                            "employer_at_fault": arrear.employer_at_fault}, now)
                await emit(conn, "arrears.recorded", {"arrears_id": str(arrear.id), "kind": arrear.kind,
                                                      "due_date": arrear.due_date.isoformat()},
                           district_code=district, worker_ids=[arrear.worker_id],
                           organisation_ids=[arrear.organisation_id])
            return found

    async def arrears_of(self, caller: Principal) -> list[Arrear]:
        async with self.pool.acquire() as conn:
            if caller.role == "worker":
                return await queries.arrears_of_worker(conn, caller.worker_id)
            return await queries.arrears_of_organisation(conn, caller.organisation_id)
