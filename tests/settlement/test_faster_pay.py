"""Faster pay (docs/faster-pay.md): a worker's daily-pay choice, the payout schedule's slots (each
run once, raced), the daily-payout fee and its minimum-wage floor, all through the API and the ledger."""
from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, time, timedelta

import pytest

from market.app import create_app
from market.attendance.keys import ATTENDANCE
from market.kernel.clock import SHANGHAI
from market.kernel.relationships import RelationshipType
from market.settlement import daily
from market.settlement.keys import SETTLEMENTS
from tests import factories
from tests.settlement.support import SITE, admin, assign, fund, minutes, now_local, principal_of, shift_at


async def _approved(client, conn, *, relationship="labor_service", rate_fen=3000, worker=None, ago=70):
    """An approved, settled hour of work; returns (worker, assignment id, its payable's due date)."""
    employer = await factories.employer(client, escrow_fen=0)
    worker = worker or await factories.worker(client)
    await fund(client, employer, 10**6)
    start = now_local() - minutes(ago)
    _, shift_id = await shift_at(client, conn, employer, start, start + minutes(180), relationship=relationship,
                                 rate_fen=rate_fen)
    assignment_id = await assign(conn, shift_id, worker, rate_fen)
    who = await principal_of(client, worker)
    await client.app[ATTENDANCE].check_in(who, assignment_id, *SITE, now=start)
    await client.app[ATTENDANCE].check_out(who, assignment_id, *SITE, now=start + minutes(60))
    await client.app[ATTENDANCE].approve(await principal_of(client, employer), assignment_id, 60, "1 h")
    due = await conn.fetchval("SELECT due_date FROM payables WHERE assignment_id = $1", assignment_id)
    assert due is not None and due > now_local().date()  # not due today: only daily pay pays it now
    return worker, assignment_id, due


async def _choose_daily(client, worker) -> dict:
    response = await client.put("/v1/workers/me/payout-preference", json={"cadence": "daily"}, headers=worker.auth)
    assert response.status == 200, await response.text()
    return await response.json()


def _slot(day, at=time(10, 0)) -> str:
    return datetime.combine(day, at, tzinfo=SHANGHAI).isoformat()


async def _run_slot(client, ops, slot: str) -> dict:
    response = await client.post("/v1/admin/payouts", json={"slot": slot}, headers=ops)
    assert response.status == 201, await response.text()
    return await response.json()


async def test_the_preference_defaults_to_the_due_date_and_a_worker_may_choose_daily(client):
    worker = await factories.worker(client)
    before = await (await client.get("/v1/workers/me/payout-preference", headers=worker.auth)).json()
    assert before["cadence"] == "on_due_date" and before["updated_at"] is None
    assert before["schedule"] == ["10:00", "16:00"] and before["daily_fee_fen"] == 0
    assert "shared_labor" not in before["daily_relationship_types"]
    chosen = await _choose_daily(client, worker)
    assert chosen["cadence"] == "daily" and chosen["updated_at"] is not None
    again = await (await client.get("/v1/workers/me/payout-preference", headers=worker.auth)).json()
    assert again["cadence"] == "daily"


async def test_a_bad_cadence_is_a_422_naming_the_field(client):
    worker = await factories.worker(client)
    response = await client.put("/v1/workers/me/payout-preference", json={"cadence": "hourly"}, headers=worker.auth)
    assert response.status == 422 and response.content_type == "application/problem+json"
    assert "cadence" in await response.text()


async def test_a_daily_workers_approved_pay_is_in_the_next_slot_and_a_due_date_workers_waits_for_its_due_day(
        client, conn):
    daily_worker, daily_assignment, _ = await _approved(client, conn)
    await _choose_daily(client, daily_worker)
    monthly_worker, monthly_assignment, due = await _approved(client, conn)
    ops = await admin(client)
    batch = await _run_slot(client, ops, _slot(now_local().date()))
    assert batch["slot_key"] == daily.slot_key(datetime.combine(now_local().date(), time(10), tzinfo=SHANGHAI))
    assert [(p["payee_id"], p["amount_fen"], p["fee_fen"]) for p in batch["payouts"]] == [(daily_worker.id, 3000, 0)]
    assert await conn.fetchval("SELECT payout_id FROM payables WHERE assignment_id = $1", monthly_assignment) is None
    # a later slot of the same day: the due-date worker still waits
    later = await _run_slot(client, ops, _slot(now_local().date(), time(16)))
    assert later["payouts"] == [] and later["id"] != batch["id"]
    # the slot of its due day pays it
    on_due = await _run_slot(client, ops, _slot(due))
    assert [(p["payee_id"], p["amount_fen"]) for p in on_due["payouts"]] == [(monthly_worker.id, 3000)]
    # every payout still goes through the bank's confirmation
    confirmed = await (await client.post(f"/v1/admin/payouts/{batch['id']}/confirm", headers=ops)).json()
    assert confirmed["state"] == "confirmed" and [p["state"] for p in confirmed["payouts"]] == ["paid"]
    mine = await (await client.get("/v1/workers/me/payouts", headers=daily_worker.auth)).json()
    assert [(p["payables_fen"], p["fee_fen"], p["amount_fen"], p["state"]) for p in mine["items"]] == [
        (3000, 0, 3000, "paid")]


async def test_a_slot_run_twice_concurrently_pays_once(client, conn):
    workers = []
    for _ in range(3):
        worker, _, _ = await _approved(client, conn)
        await _choose_daily(client, worker)
        workers.append(worker)
    ops = await admin(client)
    slot = _slot(now_local().date())
    first, second = await asyncio.gather(_run_slot(client, ops, slot), _run_slot(client, ops, slot))
    assert first["id"] == second["id"]
    assert await conn.fetchval("SELECT count(*) FROM payout_batches") == 1
    assert await conn.fetchval("SELECT count(*) FROM payouts") == 3
    assert await conn.fetchval("SELECT count(*) FROM journal_entries WHERE kind = 'payout'") == 3
    assert await conn.fetchval("SELECT count(*) FROM payables WHERE payout_id IS NULL") == 0
    # and once more, later: the slot has run; nothing is paid again
    third = await _run_slot(client, ops, slot)
    assert third["id"] == first["id"] and await conn.fetchval("SELECT count(*) FROM payouts") == 3


async def test_a_slot_run_by_two_processes_at_once_makes_one_batch(client, conn):
    worker, _, _ = await _approved(client, conn)
    await _choose_daily(client, worker)
    slot = datetime.combine(now_local().date(), time(16), tzinfo=SHANGHAI)
    service = client.app[SETTLEMENTS]
    results = await asyncio.gather(*(service.run_slot(slot) for _ in range(4)))
    assert len({batch_id for batch_id, _ in results}) == 1
    assert await conn.fetchval("SELECT count(*) FROM payouts") == 1


async def test_shared_labor_and_a_bad_slot_are_refused_or_left_alone(client):
    ops = await admin(client)
    response = await client.post("/v1/admin/payouts", json={"slot": _slot(now_local().date(), time(11, 0))},
                                 headers=ops)
    assert response.status == 422 and "slot" in await response.text()
    both = await client.post("/v1/admin/payouts", json={"slot": _slot(now_local().date()), "due_by": "2026-12-01"},
                             headers=ops)
    assert both.status == 422 and "due_by" in await both.text()


@pytest.fixture
async def fee_client(settings, aiohttp_client):
    return await aiohttp_client(create_app(settings.model_copy(update={"daily_payout_fee_fen": 200})))


async def test_the_daily_fee_posts_to_the_platform_balances_and_is_on_the_workers_payout(fee_client, conn):
    client = fee_client
    worker, _, due = await _approved(client, conn)
    await _choose_daily(client, worker)
    ops = await admin(client)
    batch = await _run_slot(client, ops, _slot(now_local().date()))
    assert [(p["amount_fen"], p["fee_fen"]) for p in batch["payouts"]] == [(2800, 200)]
    postings = {(r["kind"], r["amount_fen"]) for r in await conn.fetch(
        "SELECT a.kind, p.amount_fen FROM journal_postings p JOIN ledger_accounts a ON a.id = p.account_id "
        "JOIN journal_entries e ON e.id = p.entry_id WHERE e.kind = 'payout'")}
    assert postings == {("worker_payable", 3000), ("bank_clearing", -2800), ("platform_fee_revenue", -200)}
    assert await conn.fetchval("SELECT balance_fen FROM ledger_accounts WHERE kind = 'worker_payable' "
                               "AND holder_id = $1", uuid.UUID(worker.id)) == 0
    report = await client.app[SETTLEMENTS].ledger_check()
    assert report.ok, report.problems
    [mine] = (await (await client.get("/v1/workers/me/payouts", headers=worker.auth)).json())["items"]
    assert (mine["payables_fen"], mine["fee_fen"], mine["amount_fen"]) == (3000, 200, 2800)
    # pay that is due anyway is never charged for: the same worker's next hour, paid on its due day
    _, _, due2 = await _approved(client, conn, worker=worker, ago=400)
    on_due = await _run_slot(client, ops, _slot(max(due, due2) + timedelta(days=1)))
    assert [(p["amount_fen"], p["fee_fen"]) for p in on_due["payouts"]] == [(3000, 0)]


async def test_the_fee_never_takes_pay_below_the_minimum_wage_for_its_minutes(settings, aiohttp_client, conn):
    client = await aiohttp_client(create_app(settings.model_copy(update={"daily_payout_fee_fen": 5000})))
    worker, _, _ = await _approved(client, conn, rate_fen=2400)  # 1 h at 24.00; the minimum is 23.00 an hour
    await _choose_daily(client, worker)
    batch = await _run_slot(client, await admin(client), _slot(now_local().date()))
    # the site's district is tier 1: 23.00 an hour since 2025-01-01 (docs/settlement.md, a worker's week)
    assert [(p["amount_fen"], p["fee_fen"]) for p in batch["payouts"]] == [(2300, 100)]


def test_daily_pay_is_allowed_per_relationship_type_as_documented():
    assert daily.DAILY_PAYOUT_ALLOWED == {RelationshipType.labor_part_time: True,
                                          RelationshipType.incomplete_labor: True,
                                          RelationshipType.labor_service: True,
                                          RelationshipType.shared_labor: False}


def test_the_fee_is_capped_by_the_minimum_wage_headroom_and_zero_without_early_pay():
    early = [daily.EarlyPayable(3000, 60, 2300), daily.EarlyPayable(2300, 60, 2300)]
    assert daily.daily_payout_fee(200, early) == 200
    assert daily.daily_payout_fee(5000, early) == 700
    assert daily.daily_payout_fee(200, []) == 0
    assert daily.daily_payout_fee(0, early) == 0
    assert daily.daily_payout_fee(200, [daily.EarlyPayable(2000, 60, 2300)]) == 0  # tax took it under: no fee


def test_the_latest_slot_is_todays_last_passed_or_yesterdays_last():
    schedule = (time(16), time(10))
    at = datetime(2026, 12, 7, 9, 59, tzinfo=SHANGHAI)
    assert daily.latest_slot(at, schedule) == datetime(2026, 12, 6, 16, tzinfo=SHANGHAI)
    assert daily.latest_slot(at.replace(hour=10, minute=0), schedule) == datetime(2026, 12, 7, 10, tzinfo=SHANGHAI)
    assert daily.latest_slot(at.replace(hour=23), schedule) == datetime(2026, 12, 7, 16, tzinfo=SHANGHAI)
    assert daily.latest_slot(at, ()) is None
    assert daily.slot_key(datetime(2026, 12, 7, 2, tzinfo=SHANGHAI)) == "2026-12-07T02:00+08:00"


async def test_concurrent_choices_leave_one_preference_the_last_one_written(client, conn):
    worker = await factories.worker(client)
    cadences = ["daily", "on_due_date"] * 4
    replies = await asyncio.gather(*(client.put("/v1/workers/me/payout-preference", json={"cadence": c},
                                                headers=worker.auth) for c in cadences))
    assert [r.status for r in replies] == [200] * len(cadences)
    rows = await conn.fetch("SELECT cadence FROM payout_preferences WHERE worker_id = $1", uuid.UUID(worker.id))
    assert len(rows) == 1 and rows[0]["cadence"] in ("daily", "on_due_date")
    shown = await (await client.get("/v1/workers/me/payout-preference", headers=worker.auth)).json()
    assert shown["cadence"] == rows[0]["cadence"]


async def test_a_slot_finishes_a_batch_left_building_first_then_runs_its_own(client, conn):
    worker, _, _ = await _approved(client, conn)
    await _choose_daily(client, worker)
    left = await conn.fetchval("INSERT INTO payout_batches (due_by) VALUES ($1) RETURNING id",
                               now_local().date())  # a run killed before its first payee
    batch = await _run_slot(client, await admin(client), _slot(now_local().date()))
    assert batch["id"] != str(left) and batch["slot_key"] is not None
    assert await conn.fetchval("SELECT state FROM payout_batches WHERE id = $1", left) == "exported"
    # the worker was paid once, in the batch left building (it was resumed first)
    assert await conn.fetchval("SELECT count(*) FROM payouts") == 1
    assert await conn.fetchval("SELECT batch_id FROM payouts") == left and batch["payouts"] == []
