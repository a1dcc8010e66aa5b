"""Standby pay through the settlement engine (docs/standby.md, "Standby pay"; migration 0018): the
relationship type's withholding on the pair's month (劳务报酬) or year (工资薪金) facts, the pay slip's
standby line, the pair's later tax facts counting it, the ledger balanced, and exactly once under
concurrent sweeps and the database's own refusal of a second settlement of one standby."""
import asyncio
import uuid
from datetime import datetime, timedelta, timezone

import asyncpg
import pytest

from market.kernel.clock import local_date
from market.settlement import batch, escrow
from market.settlement.keys import SETTLEMENTS
from market.settlement.tax import (
    LaborRemunerationMonthToDate, WageYearToDate, labor_remuneration_withholding, wage_withholding,
)
from market.standby.keys import STANDBY
from tests import factories
from tests.allocation.support import quiet
from tests.factories import at, gig_order_body, post_order
from tests.standby.support import on_call, sign_up


@pytest.fixture
def settings(settings):
    return quiet(settings)


async def _two_shift_order(client, employer, relationship: str, rate_fen: int) -> dict:
    """Two 4-hour shifts, one standby seat each, the standby amount the whole seat's pay (the ceiling)."""
    amount = rate_fen * 4
    return await post_order(client, employer, gig_order_body(
        relationship=relationship, pay={"unit": "hour", "amount_fen": rate_fen},
        shifts=[{"start": at(2, 9), "end": at(2, 13), "headcount": 1, "standby": 1, "standby_amount_fen": amount},
                {"start": at(3, 9), "end": at(3, 13), "headcount": 1, "standby": 1, "standby_amount_fen": amount}]))


async def _on_call_for_both(client, conn, order: dict) -> factories.Party:
    worker = await on_call(client, conn, order)
    response = await sign_up(client, worker, order, shift=1)
    assert response.status == 201, await response.text()
    return worker


async def _ended(conn, order: dict) -> None:
    """Both shifts' standbys moved into the past, one after the other (the worker's periods may not overlap)."""
    end = datetime.now(timezone.utc) - timedelta(minutes=1)
    for index, shift in enumerate(order["shifts"]):
        ends = end - timedelta(hours=5 * (1 - index))
        await conn.execute("UPDATE standbys SET period = tstzrange($2, $3) WHERE shift_id = $1",
                           uuid.UUID(shift["id"]), ends - timedelta(hours=4), ends)


async def _settlements(conn, worker: factories.Party) -> list[asyncpg.Record]:
    return await conn.fetch("SELECT * FROM settlements WHERE worker_id = $1 ORDER BY journal_entry_id",
                            uuid.UUID(worker.id))


async def _balance(conn, kind: str, holder: str) -> int:
    return await conn.fetchval("SELECT coalesce(-sum(balance_fen), 0)::bigint FROM ledger_accounts "
                               "WHERE kind = $1 AND holder_id = $2", kind, uuid.UUID(holder))


async def test_a_labor_service_standby_over_800_yuan_in_the_month_is_withheld_as_labour_remuneration(
        client, conn, settings):
    employer = await factories.employer(client)
    order = await _two_shift_order(client, employer, "labor_service", 15000)  # 600 元 a standby
    worker = await _on_call_for_both(client, conn, order)
    await _ended(conn, order)
    counts = await asyncio.gather(client.app[STANDBY].sweep(), client.app[STANDBY].sweep())
    assert sum(c.paid for c in counts) == 2
    assert (await client.app[STANDBY].sweep()).paid == 0

    rows = await _settlements(conn, worker)
    assert len(rows) == 2
    standby_ids = {r["id"] for r in await conn.fetch("SELECT id FROM standbys WHERE order_id = $1",
                                                     uuid.UUID(order["id"]))}
    assert {r["standby_id"] for r in rows} == standby_ids
    assert all(r["assignment_id"] is None and r["relationship_type"] == "labor_service" and r["paid_minutes"] == 0
               for r in rows)
    # The month's first 600 元 is under the 800 元 deduction; the second, with the first counted in the
    # pair's facts: (1200 − 800) × 20% = 80 元, what the engine's own rule computes.
    table = escrow.rate_book().labor_remuneration_tax.in_force(local_date(datetime.now(timezone.utc)))
    assert labor_remuneration_withholding(60000, LaborRemunerationMonthToDate(60000, 0), table) == 8000
    assert [r["income_tax_withheld_fen"] for r in rows] == [0, 8000]
    assert [r["net_pay_fen"] for r in rows] == [60000, 52000]
    assert await _balance(conn, "worker_payable", worker.id) == 112000
    assert await _balance(conn, "tax_payable", employer.id) == 8000
    assert await conn.fetchval("SELECT sum(amount_fen) FROM payables WHERE source = 'compensation' AND payee_id = $1",
                               uuid.UUID(worker.id)) == 112000
    report = await client.app[SETTLEMENTS].ledger_check()
    assert report.ok, report.problems

    # The pair's tax facts, as a later settlement (a timesheet, a compensation) reads them, count both.
    async with conn.transaction():
        facts = await batch._tax_facts(conn, [{"organisation_id": uuid.UUID(employer.id),
                                               "worker_id": uuid.UUID(worker.id)}],
                                       local_date(datetime.now(timezone.utc)))
    pair = facts[(uuid.UUID(employer.id), uuid.UUID(worker.id))]
    assert (pair.remuneration_fen, pair.remuneration_tax_fen) == (120000, 8000)

    # The worker's pay slips show the standby line and the withholding.
    response = await client.get("/v1/workers/me/payslips", headers=worker.auth)
    assert response.status == 200, await response.text()
    slips = (await response.json())["items"]
    assert len(slips) == 2
    taxed = next(s for s in slips if s["net_fen"] == 52000)
    assert taxed["assignment_id"] is None and taxed["standby_id"] in {str(r["standby_id"]) for r in rows}
    assert taxed["hours"] == 0 and taxed["gross_fen"] == 60000 and taxed["relationship"] == "labor_service"
    assert [(e["kind"], e["amount_fen"]) for e in taxed["earnings"]] == [("standby_pay", 60000)]
    assert [(w["kind"], w["amount_fen"]) for w in taxed["withholdings"]] == [("income_tax_withheld", 8000)]

    # The employer's statement: the standby entries, with the settlement's lines.
    month = local_date(datetime.now(timezone.utc)).strftime("%Y-%m")
    response = await client.get(f"/v1/employers/me/statements?month={month}", headers=employer.auth)
    assert response.status == 200, await response.text()
    lines = [i for i in (await response.json())["items"] if i["memo"].startswith("standby pay")]
    assert [(i["kind"], i["amount_fen"]) for i in lines] == [("compensation", 60000)] * 2
    assert all({"standby_pay", "income_tax_withheld"} <= {line["kind"] for line in i["lines"]} for i in lines)


async def test_a_part_time_standby_is_withheld_cumulatively_as_wages(client, conn, settings):
    employer = await factories.employer(client)
    order = await _two_shift_order(client, employer, "labor_part_time", 100000)  # 4000 元 a standby
    worker = await _on_call_for_both(client, conn, order)
    await _ended(conn, order)
    assert (await client.app[STANDBY].sweep()).paid == 2
    rows = await _settlements(conn, worker)
    assert [r["relationship_type"] for r in rows] == ["labor_part_time"] * 2
    # 累计预扣法: 4000 元 under the month's 5000 元 deduction; then 8000 − 5000 = 3000 元 at 3% = 90 元.
    table = escrow.rate_book().wage_tax.in_force(local_date(datetime.now(timezone.utc)))
    assert wage_withholding(400000, WageYearToDate(400000, 0, 1), table) == 9000
    assert [r["income_tax_withheld_fen"] for r in rows] == [0, 9000]
    assert await _balance(conn, "worker_payable", worker.id) == 800000 - 9000
    assert await _balance(conn, "tax_payable", employer.id) == 9000
    async with conn.transaction():
        facts = await batch._tax_facts(conn, [{"organisation_id": uuid.UUID(employer.id),
                                               "worker_id": uuid.UUID(worker.id)}],
                                       local_date(datetime.now(timezone.utc)))
    pair = facts[(uuid.UUID(employer.id), uuid.UUID(worker.id))]
    assert (pair.wages_fen, pair.wage_tax_fen) == (800000, 9000)
    report = await client.app[SETTLEMENTS].ledger_check()
    assert report.ok, report.problems


async def test_the_database_refuses_a_second_settlement_of_one_standby_and_one_without_subject(
        client, conn, settings):
    employer = await factories.employer(client)
    order = await _two_shift_order(client, employer, "labor_service", 3000)
    worker = await _on_call_for_both(client, conn, order)
    await _ended(conn, order)
    assert (await client.app[STANDBY].sweep()).paid == 2
    first = (await _settlements(conn, worker))[0]
    copy = ("INSERT INTO settlements (assignment_id, standby_id, order_id, organisation_id, worker_id, "
            "relationship_type, shift_date, settled_on, due_date, paid_minutes, gross_fen, income_tax_withheld_fen, "
            "employer_total_fen, lines, pay_slip, journal_entry_id) SELECT $2, $3, order_id, organisation_id, "
            "worker_id, relationship_type, shift_date, settled_on, due_date, paid_minutes, gross_fen, "
            "income_tax_withheld_fen, employer_total_fen, lines, pay_slip, journal_entry_id FROM settlements "
            "WHERE id = $1")
    with pytest.raises(asyncpg.UniqueViolationError):
        await conn.execute(copy, first["id"], None, first["standby_id"])
    with pytest.raises(asyncpg.CheckViolationError):
        await conn.execute(copy, first["id"], None, None)


async def test_supervision_counts_standby_pay_in_the_gross_not_in_the_hourly_average(client, conn, settings):
    from tests.supervision.support import supervisor

    employer = await factories.employer(client)
    order = await _two_shift_order(client, employer, "labor_service", 3000)  # 120 元 a standby
    await _on_call_for_both(client, conn, order)
    await _ended(conn, order)
    assert (await client.app[STANDBY].sweep()).paid == 2
    auth = await supervisor(client)
    body = await (await client.get("/v1/supervision/overview", headers=auth)).json()
    service = body["totals"]["by_relationship"]["labor_service"]
    assert service["gross_paid_fen"] == 24000
    assert service["avg_hourly_paid_fen"] is None  # no paid minutes: nobody worked
    detail = await (await client.get(f"/v1/supervision/orders/{order['id']}", headers=auth)).json()
    assert sorted((s["assignment_id"], s["paid_minutes"], s["gross_fen"]) for s in detail["settlements"]) == [
        (None, 0, 12000)] * 2
    assert all(s["standby_id"] for s in detail["settlements"])
