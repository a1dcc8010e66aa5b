"""`market demo` at a tiny scale on the test database: real outcomes, the same for one seed, and
the arrears case visible to its district's supervisor only."""
import uuid
from datetime import datetime

import pytest

from market import db
from market.demo import run_demo
from market.demo.plan import CORE
from market.demo.report import summarise
from market.kernel.clock import SHANGHAI
from market.accounts.keys import ACCOUNTS
from market.settlement.keys import SETTLEMENTS
from market.web.keys import DB, HASH_KEY
from tests.server_fixtures import _admin_execute, database_url

SEED, SCALE = 7, 0.05


def today():
    return datetime.now(SHANGHAI).date()


async def demo(app, settings, day):
    return await run_demo(app[DB], settings, app[HASH_KEY], seed=SEED, scale=SCALE, today=day)


@pytest.fixture
async def second_database(pg_server_url, template_database):
    name = f"market_test_{uuid.uuid4().hex[:12]}"
    await _admin_execute(pg_server_url, f'CREATE DATABASE "{name}" TEMPLATE "{template_database}"')
    yield database_url(pg_server_url, name)
    await _admin_execute(pg_server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def test_one_seed_builds_the_same_market_twice_up_to_allocation_ties(client, settings, second_database):
    day = today()
    await demo(client.app, settings, day)
    pool = await db.create_pool(second_database, min_size=1, max_size=4)
    try:
        await run_demo(pool, settings, client.app[HASH_KEY], seed=SEED, scale=SCALE, today=day)
        async with client.app[DB].acquire() as conn:
            first = await summarise(conn)
        async with pool.acquire() as conn:
            second = await summarise(conn)
    finally:
        await pool.close()
    assert first.planned() == second.planned()
    # Allocation may place a seat or two differently (see Summary.planned); the market is the same.
    assert abs(first.totals["filled"] - second.totals["filled"]) <= 0.05 * first.totals["filled"]
    assert first.totals["filled"] > 0 and first.totals["gross_fen"] > 0


async def test_a_demo_week_has_every_kind_of_work_a_no_show_a_late_cancellation_payouts_and_a_sound_ledger(
        client, settings):
    await demo(client.app, settings, today())
    async with client.app[DB].acquire() as conn:
        summary = await summarise(conn)
    for relationship in ("labor_part_time", "incomplete_labor", "labor_service", "shared_labor"):
        assert summary.by_relationship[relationship]["orders"] > 0, relationship
        assert summary.by_relationship[relationship]["filled"] > 0, relationship
    assert summary.totals["no_shows"] >= 1 and summary.totals["cancelled"] >= 1
    figures = summary.figures
    assert figures["compensations"] >= 1 and figures["compensation_fen"] > 0  # the late cancellation paid
    assert figures["payout_batches"] >= 1 and figures["payouts"] > 0 and figures["paid_out_fen"] > 0
    assert figures["offers_accepted"] > 0 and figures["offers_declined"] > 0 and figures["agreements"] > 0
    report = await client.app[SETTLEMENTS].ledger_check()
    assert report.ok, report.problems
    async with client.app[DB].acquire() as conn:  # faster pay: some workers chose daily pay, and were paid early
        assert await conn.fetchval("SELECT count(*) FROM payout_preferences WHERE cadence = 'daily'") > 0
        assert await conn.fetchval(
            "SELECT count(*) FROM payables pa JOIN payouts p ON p.id = pa.payout_id "
            "JOIN payout_batches b ON b.id = p.batch_id WHERE pa.due_date > b.due_by") > 0


async def test_the_arrears_case_is_seen_by_its_districts_supervisor_and_by_no_other(client, settings):
    result = await demo(client.app, settings, today())
    home = result.plan.arrears_district
    auth = {"Authorization": f"Bearer {result.supervisor.token}"}
    body = await (await client.get("/v1/supervision/alerts?limit=200", headers=auth)).json()
    arrears = [i for i in body["items"] if i["category"] == "arrears"]
    assert arrears and all(i["district_code"] == home and i["details"]["employer_at_fault"] for i in arrears)
    [flag] = [i for i in body["items"] if i["category"] == "red_flag"]
    lender = next(e for e in result.plan.employers if e.role == "arrears_lender")
    assert flag["organisation_name"] == lender.name and flag["status"] == "open" and flag["amount_fen"] > 0
    overview = await (await client.get("/v1/supervision/overview", headers=auth)).json()
    assert [d["code"] for d in overview["districts"]] == [home]
    assert overview["totals"]["orders_posted"] > 0

    away = next(code for code in CORE if code != home)
    issued = await client.app[ACCOUNTS].create_staff("supervisor", "另一区县监管员", [away])
    other = {"Authorization": f"Bearer {issued.token}"}
    theirs = await (await client.get("/v1/supervision/alerts?kind=arrears,red_flag&limit=200", headers=other)).json()
    assert theirs["items"] == []
    assert (await client.get(f"/v1/supervision/alerts?districts={away}", headers=auth)).status == 403

