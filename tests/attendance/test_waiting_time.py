"""宽放 waiting time end to end: claimed by the worker at check-out, approved (or disputed and
approved at the employer's figure) by the employer, paid at the order's rate and shown apart on the
timesheet and the pay slip; refused where it is not working time or leaves the shift; held by the
database too."""
from __future__ import annotations

import json
from datetime import timedelta

import asyncpg
import pytest

from market.attendance.keys import ATTENDANCE
from market.errors import ValidationFailed
from market.settlement.keys import SETTLEMENTS
from tests import factories
from tests.settlement.support import SITE, assign, fund, now_local, principal_of, shift_at

RATE_FEN = 3_000  # 30 yuan an hour


async def checked_out(client, conn, relationship="incomplete_labor", *, waiting=None, reason=None):
    """A worker's 180-minute shift, checked in 5 min after its start and out 120 min later (120
    minutes worked), claiming `waiting` minutes of waiting time. (employer, worker, assignment id)"""
    employer, worker = await factories.employer(client), await factories.worker(client)
    await fund(client, employer, 1_000_000)
    start = now_local() - timedelta(minutes=10)
    _, shift_id = await shift_at(client, conn, employer, start, start + timedelta(minutes=180),
                                 relationship=relationship, rate_fen=RATE_FEN)
    assignment_id = await assign(conn, shift_id, worker, RATE_FEN)
    who = await principal_of(client, worker)
    await client.app[ATTENDANCE].check_in(who, assignment_id, *SITE, now=start + timedelta(minutes=5))
    await client.app[ATTENDANCE].check_out(who, assignment_id, *SITE, now=start + timedelta(minutes=125),
                                           waiting_minutes=waiting, waiting_reason=reason)
    return employer, worker, assignment_id


async def settlement_of(conn, assignment_id):
    row = await conn.fetchrow("SELECT paid_minutes, gross_fen, lines FROM settlements WHERE assignment_id = $1",
                              assignment_id)
    lines = {line["kind"]: line["amount_fen"] for line in json.loads(row["lines"])}
    return row["paid_minutes"], row["gross_fen"], lines


async def test_waiting_the_worker_claims_and_the_employer_approves_is_paid_and_shown_apart(client, conn):
    employer, worker, assignment_id = await checked_out(client, conn, waiting=40, reason="按要求等候到货")
    response = await client.post(f"/v1/assignments/{assignment_id}/approve", json={}, headers=employer.auth)
    assert response.status == 200, await response.text()
    sheet = await response.json()
    assert (sheet["approved_minutes"], sheet["waiting_minutes"], sheet["waiting_minutes_claimed"]) == (120, 40, 40)
    assert sheet["waiting_reason"] == "按要求等候到货"
    paid_minutes, gross, lines = await settlement_of(conn, assignment_id)
    assert paid_minutes == 160 and gross == 8_000  # 160 minutes at 30 yuan an hour
    assert lines["gross_wage"] == 6_000 and lines["waiting_time_wage"] == 2_000
    slips = await (await client.get("/v1/workers/me/payslips", headers=worker.auth)).json()
    [slip] = slips["items"]
    assert [(e["kind"], e["amount_fen"]) for e in slip["earnings"]] == [("gross_wage", 6_000),
                                                                       ("waiting_time_wage", 2_000)]
    assert slip["gross_fen"] == 8_000
    mine = await (await client.get("/v1/workers/me/assignments", headers=worker.auth)).json()
    assert mine["items"][0]["waiting_minutes"] == 40


async def test_the_employer_disputes_a_claim_and_approves_its_own_figure(client, conn):
    employer, _, assignment_id = await checked_out(client, conn, waiting=50)
    disputed = await client.post(f"/v1/assignments/{assignment_id}/dispute", json={"reason": "只等了 10 分钟"},
                                 headers=employer.auth)
    assert disputed.status == 200
    approved = await client.post(f"/v1/assignments/{assignment_id}/approve",
                                 json={"waiting_minutes": 10, "waiting_reason": "核实等候 10 分钟"}, headers=employer.auth)
    assert approved.status == 200, await approved.text()
    assert (await approved.json())["waiting_minutes"] == 10
    _, gross, lines = await settlement_of(conn, assignment_id)
    assert lines["waiting_time_wage"] == 500 and gross == 6_500


async def test_the_employer_may_record_waiting_when_approving(client, conn):
    employer, _, assignment_id = await checked_out(client, conn)
    response = await client.post(f"/v1/assignments/{assignment_id}/approve",
                                 json={"minutes": 90, "reason": "30 分钟无货可分拣", "waiting_minutes": 30},
                                 headers=employer.auth)
    assert response.status == 200, await response.text()
    paid_minutes, gross, lines = await settlement_of(conn, assignment_id)
    assert (paid_minutes, gross, lines["gross_wage"], lines["waiting_time_wage"]) == (120, 6_000, 4_500, 1_500)


async def test_an_unanswered_claim_is_approved_with_the_sweep(client, conn):
    _, _, assignment_id = await checked_out(client, conn, waiting=20)
    await client.app[SETTLEMENTS].auto_approve(now=now_local() + timedelta(days=2))
    _, gross, lines = await settlement_of(conn, assignment_id)
    assert lines["waiting_time_wage"] == 1_000 and gross == 7_000


async def test_part_time_waiting_is_paid_as_wages(client, conn):
    employer, _, assignment_id = await checked_out(client, conn, "labor_part_time", waiting=30)
    assert (await client.post(f"/v1/assignments/{assignment_id}/approve", json={},
                              headers=employer.auth)).status == 200
    _, gross, lines = await settlement_of(conn, assignment_id)
    assert gross == 7_500 and lines["waiting_time_wage"] == 1_500 and "work_injury_insurance" in lines


async def test_labor_service_has_no_waiting_time_to_claim(client, conn):
    with pytest.raises(ValidationFailed) as refused:
        await checked_out(client, conn, "labor_service", waiting=30)
    [error] = refused.value.errors
    assert error.loc == ("waiting_minutes",) and error.ctx["reason"] == "waiting_not_working_time"
    assert await conn.fetchval("SELECT state FROM timesheets") == "open"  # the check-out did not happen


async def test_labor_service_approval_with_waiting_is_a_422_naming_the_field(client, conn):
    employer, _, assignment_id = await checked_out(client, conn, "labor_service")
    response = await client.post(f"/v1/assignments/{assignment_id}/approve", json={"waiting_minutes": 15},
                                 headers=employer.auth)
    assert response.status == 422
    assert ["waiting_minutes"] in [e["loc"] for e in (await response.json())["errors"]]
    assert await conn.fetchval("SELECT count(*) FROM settlements") == 0


async def test_waiting_beyond_the_shift_is_refused_and_nothing_is_settled(client, conn):
    employer, _, assignment_id = await checked_out(client, conn, waiting=60)  # 120 + 60 of 180: the most
    response = await client.post(f"/v1/assignments/{assignment_id}/approve", json={"waiting_minutes": 61},
                                 headers=employer.auth)
    assert response.status == 422
    [error] = [e for e in (await response.json())["errors"] if e["loc"] == ["waiting_minutes"]]
    assert error["ctx"]["max_waiting_minutes"] == 60
    assert await conn.fetchval("SELECT state FROM timesheets WHERE assignment_id = $1", assignment_id) == "submitted"
    assert await conn.fetchval("SELECT count(*) FROM settlements") == 0


async def test_a_claim_beyond_the_shift_is_refused_at_check_out(client, conn):
    with pytest.raises(ValidationFailed) as refused:
        await checked_out(client, conn, waiting=61)
    assert refused.value.errors[0].ctx == {"reason": "waiting_beyond_shift", "max_waiting_minutes": 60}


async def test_a_negative_waiting_time_is_a_422_at_the_boundary(client, conn):
    employer, _, assignment_id = await checked_out(client, conn)
    response = await client.post(f"/v1/assignments/{assignment_id}/approve", json={"waiting_minutes": -1},
                                 headers=employer.auth)
    assert response.status == 422
    assert ["waiting_minutes"] in [e["loc"] for e in (await response.json())["errors"]]


async def test_the_database_holds_waiting_time_within_the_rules(client, conn):
    _, _, assignment_id = await checked_out(client, conn)
    with pytest.raises(asyncpg.CheckViolationError) as negative:
        await conn.execute("UPDATE timesheets SET waiting_minutes = -1 WHERE assignment_id = $1", assignment_id)
    assert negative.value.constraint_name == "timesheets_waiting_not_negative"
    with pytest.raises(asyncpg.CheckViolationError) as beyond:
        await conn.execute("UPDATE timesheets SET waiting_minutes = 61 WHERE assignment_id = $1", assignment_id)
    assert beyond.value.constraint_name == "timesheets_waiting_within_shift"
    await conn.execute("UPDATE timesheets SET waiting_minutes = 60 WHERE assignment_id = $1", assignment_id)
    _, _, service_id = await checked_out(client, conn, "labor_service")
    with pytest.raises(asyncpg.CheckViolationError) as civil:
        await conn.execute("UPDATE timesheets SET waiting_minutes = 5 WHERE assignment_id = $1", service_id)
    assert civil.value.constraint_name == "timesheets_waiting_is_working_time"


async def test_an_approval_paying_beyond_the_shift_without_waiting_passes_despite_a_claim(client, conn):
    employer, _, assignment_id = await checked_out(client, conn, waiting=30)
    response = await client.post(f"/v1/assignments/{assignment_id}/approve",
                                 json={"minutes": 200, "reason": "提前到岗准备 20 分钟", "waiting_minutes": 0},
                                 headers=employer.auth)
    assert response.status == 200, await response.text()
    paid_minutes, gross, lines = await settlement_of(conn, assignment_id)
    assert (paid_minutes, gross) == (200, 10_000) and "waiting_time_wage" not in lines
