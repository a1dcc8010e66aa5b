"""Escrow, timesheets, approval → settlement, pay slips, statements, payouts and arrears over HTTP."""
import uuid
from datetime import timedelta

import asyncpg
import pytest

from market.attendance.keys import ATTENDANCE
from market.settlement.keys import SETTLEMENTS
from tests import factories
from tests.settlement.support import (
    SITE, admin, assign, fund, minutes, now_local, principal_of, shift_at, work_shift,
)


async def _live_assignment(client, conn, *, relationship="labor_service", rate_fen=3000, deposit=10**7, hold=True):
    """An employer, a worker and an assignment whose shift started 10 minutes ago."""
    employer, worker = await factories.employer(client, escrow_fen=0), await factories.worker(client)
    await fund(client, employer, deposit)
    start = now_local() - minutes(10)
    posted, shift_id = await shift_at(client, conn, employer, start, start + minutes(180),
                                      relationship=relationship, rate_fen=rate_fen)
    return employer, worker, await assign(conn, shift_id, worker, rate_fen, hold=hold), posted


async def test_a_confirmed_deposit_shows_as_available_escrow(client):
    employer = await factories.employer(client, escrow_fen=0)
    await fund(client, employer, 50_000)
    balance = await (await client.get("/v1/employers/me/balance", headers=employer.auth)).json()
    assert balance == {"available_fen": 50_000, "held_fen": 0, "red_flag": False, "red_flag_since": None}


async def test_a_pending_deposit_credits_nothing_and_only_an_admin_confirms_it(client):
    employer = await factories.employer(client, escrow_fen=0)
    response = await client.post("/v1/employers/me/deposits", json={"amount_fen": 100, "bank_reference": "T1"},
                                 headers=employer.auth)
    deposit_id = (await response.json())["id"]
    assert (await client.post(f"/v1/admin/deposits/{deposit_id}/confirm", headers=employer.auth)).status == 403
    balance = await (await client.get("/v1/employers/me/balance", headers=employer.auth)).json()
    assert balance["available_fen"] == 0


async def test_a_deposit_of_no_money_is_a_422_naming_the_field(client):
    employer = await factories.employer(client, escrow_fen=0)
    response = await client.post("/v1/employers/me/deposits", json={"amount_fen": 0, "bank_reference": "T1"},
                                 headers=employer.auth)
    assert response.status == 422
    assert ["amount_fen"] in [e["loc"] for e in (await response.json())["errors"]]


async def test_a_worker_checks_in_and_out_at_the_site_and_the_employer_approves_and_it_settles(client, conn):
    employer, worker, assignment_id, _ = await _live_assignment(client, conn)
    held = await (await client.get("/v1/employers/me/balance", headers=employer.auth)).json()
    assert held["held_fen"] == 3 * 3000 + 450 + 7  # gross + 5 % fee + 职业伤害保障
    where = {"lat": SITE[0], "lon": SITE[1]}
    checked_in = await client.post(f"/v1/assignments/{assignment_id}/check-in", json=where, headers=worker.auth)
    assert checked_in.status == 200, await checked_in.text()
    out = await client.post(f"/v1/assignments/{assignment_id}/check-out", json=where, headers=worker.auth)
    assert (await out.json())["state"] == "submitted"
    approved = await client.post(f"/v1/assignments/{assignment_id}/approve", json={"minutes": 120, "reason": "2 h"},
                                 headers=employer.auth)
    assert approved.status == 200, await approved.text()
    assert (await approved.json())["approved_minutes"] == 120
    slips = await (await client.get("/v1/workers/me/payslips", headers=worker.auth)).json()
    [slip] = slips["items"]
    assert slip["gross_fen"] == 6000 and slip["net_fen"] == 6000 and slip["hours"] == 2.0
    assert slip["relationship"] == "labor_service"
    balance = await (await client.get("/v1/employers/me/balance", headers=employer.auth)).json()
    assert balance["held_fen"] == 0
    assert balance["available_fen"] == 10**7 - (6000 + 300 + 7)
    assert await conn.fetchval("SELECT reliability FROM workers WHERE id = $1", uuid.UUID(worker.id)) == 51
    csv_response = await client.get("/v1/workers/me/payslips?format=csv", headers=worker.auth)
    assert csv_response.content_type == "text/csv"
    assert (await csv_response.text()).splitlines()[1].endswith(",6000")


async def test_a_settlement_names_its_assignments_order_employer_and_worker_or_nothing(client, conn):
    """One composite reference to the assignment (schema.sql) holds all three, and refuses a mix."""
    employer, worker, assignment_id, _ = await _live_assignment(client, conn)
    where = {"lat": SITE[0], "lon": SITE[1]}
    for step in ("check-in", "check-out"):
        assert (await client.post(f"/v1/assignments/{assignment_id}/{step}", json=where, headers=worker.auth)).status == 200
    approved = await client.post(f"/v1/assignments/{assignment_id}/approve", json={"minutes": 60, "reason": "1 h"},
                                 headers=employer.auth)
    assert approved.status == 200, await approved.text()
    other = await factories.worker(client)
    with pytest.raises(asyncpg.ForeignKeyViolationError, match="settlements_assignment"):
        await conn.execute("UPDATE settlements SET worker_id = $2 WHERE assignment_id = $1", assignment_id,
                           uuid.UUID(other.id))
    assert await conn.fetchval("SELECT worker_id FROM settlements WHERE assignment_id = $1",
                               assignment_id) == uuid.UUID(worker.id)


async def test_a_check_in_far_from_the_site_is_a_422_naming_lat_and_lon_unless_overridden(client, conn):
    employer, worker, assignment_id, _ = await _live_assignment(client, conn)
    far = {"lat": SITE[0] + 0.05, "lon": SITE[1]}
    response = await client.post(f"/v1/assignments/{assignment_id}/check-in", json=far, headers=worker.auth)
    assert response.status == 422
    errors = (await response.json())["errors"]
    assert {tuple(e["loc"]) for e in errors} == {("lat",), ("lon",)}
    assert errors[0]["ctx"]["radius_m"] == 500 and errors[0]["ctx"]["distance_m"] > 5000
    allowed = await client.post(f"/v1/assignments/{assignment_id}/location-override", json={"allowed": True},
                                headers=employer.auth)
    assert allowed.status == 200
    assert (await client.post(f"/v1/assignments/{assignment_id}/check-in", json=far, headers=worker.auth)).status == 200


async def test_another_workers_assignment_is_a_404(client, conn):
    _, _, assignment_id, _ = await _live_assignment(client, conn)
    stranger = await factories.worker(client)
    response = await client.post(f"/v1/assignments/{assignment_id}/check-in", json={"lat": SITE[0], "lon": SITE[1]},
                                 headers=stranger.auth)
    assert response.status == 404


async def test_a_worker_cannot_approve_and_an_employer_cannot_check_in(client, conn):
    employer, worker, assignment_id, _ = await _live_assignment(client, conn)
    where = {"lat": SITE[0], "lon": SITE[1]}
    assert (await client.post(f"/v1/assignments/{assignment_id}/approve", json={}, headers=worker.auth)).status == 403
    assert (await client.post(f"/v1/assignments/{assignment_id}/check-in", json=where,
                              headers=employer.auth)).status == 403
    other = await factories.employer(client, escrow_fen=0)
    assert (await client.post(f"/v1/assignments/{assignment_id}/approve", json={}, headers=other.auth)).status == 404


async def test_adjusting_minutes_without_a_reason_is_a_422(client, conn):
    employer, worker, assignment_id, _ = await _live_assignment(client, conn)
    response = await client.post(f"/v1/assignments/{assignment_id}/approve", json={"minutes": 60},
                                 headers=employer.auth)
    assert response.status == 422
    assert ["reason"] in [e["loc"] for e in (await response.json())["errors"]]


async def test_a_no_show_is_refused_inside_the_grace_period_and_lowers_reliability_after_it(client, conn):
    employer, worker, assignment_id, _ = await _live_assignment(client, conn)
    early = await client.post(f"/v1/assignments/{assignment_id}/no-show", headers=employer.auth)
    assert early.status == 409
    await conn.execute("UPDATE assignments SET period = tstzrange(lower(period) - interval '15 minutes', "
                       "upper(period)) WHERE id = $1", assignment_id)
    marked = await client.post(f"/v1/assignments/{assignment_id}/no-show", headers=employer.auth)
    assert marked.status == 200, await marked.text()
    assert await conn.fetchval("SELECT reliability FROM workers WHERE id = $1", uuid.UUID(worker.id)) == 40
    balance = await (await client.get("/v1/employers/me/balance", headers=employer.auth)).json()
    assert balance == {"available_fen": 10**7, "held_fen": 0, "red_flag": False, "red_flag_since": None}


async def test_a_full_day_of_part_time_day_pay_settles_at_the_agreed_days_pay_to_the_fen(client, conn):
    # 100.00 yuan for a stated 3-hour day (33.333… yuan/h): the day pays 100.00, not 3 × 33.33 = 99.99
    employer, worker = await factories.employer(client, escrow_fen=0), await factories.worker(client)
    await fund(client, employer, 10**6)
    start = now_local() - minutes(200)
    _, shift_id = await shift_at(client, conn, employer, start, start + minutes(180), relationship="labor_part_time",
                                 pay={"unit": "day", "amount_fen": 10_000, "stated_hours": 3}, posted_end_hour=12)
    assignment_id = await assign(conn, shift_id, worker, 10_000)
    held = await (await client.get("/v1/employers/me/balance", headers=employer.auth)).json()
    assert held["held_fen"] == 10_000 + 50 + 500  # the day's pay, 0.5 % work-injury insurance, 5 % fee
    await work_shift(client, await principal_of(client, worker), assignment_id, start, start + minutes(180))
    approved = await client.post(f"/v1/assignments/{assignment_id}/approve", json={}, headers=employer.auth)
    assert approved.status == 200, await approved.text()
    [slip] = (await (await client.get("/v1/workers/me/payslips", headers=worker.auth)).json())["items"]
    assert slip["gross_fen"] == 10_000 and slip["net_fen"] == 10_000


async def test_a_worker_lists_their_own_assignments_only(client, conn):
    _, worker, assignment_id, _ = await _live_assignment(client, conn)
    stranger = await factories.worker(client)
    mine = await (await client.get("/v1/workers/me/assignments", headers=worker.auth)).json()
    assert [a["id"] for a in mine["items"]] == [str(assignment_id)]
    assert (await (await client.get("/v1/workers/me/assignments", headers=stranger.auth)).json())["items"] == []


async def test_a_late_cancellation_pays_compensation_from_escrow_and_releases_the_holds(client, conn):
    employer, worker = await factories.employer(client, escrow_fen=0), await factories.worker(client)
    await fund(client, employer, 10**6)
    start = now_local() + minutes(120)
    posted, shift_id = await shift_at(client, conn, employer, start, start + minutes(240))
    await assign(conn, shift_id, worker)
    response = await client.post(f"/v1/orders/{posted['id']}/cancel", json={"reason": "rain"}, headers=employer.auth)
    assert (await response.json())["compensation_total_fen"] == 4 * 3000
    balance = await (await client.get("/v1/employers/me/balance", headers=employer.auth)).json()
    assert balance["held_fen"] == 0 and balance["available_fen"] == 10**6 - 12_000
    assert await conn.fetchval("SELECT amount_fen FROM payables WHERE source = 'compensation'") == 12_000


async def test_a_late_cancellation_compensation_is_taxed_as_pay_shown_on_the_pay_slip_and_counted_in_the_month(
        client, conn):
    # labor_service at 300.00 yuan/h: 4 h compensation = 1,200.00, (1,200 − 800) × 20 % = 80.00 withheld
    employer, worker = await factories.employer(client, escrow_fen=0), await factories.worker(client)
    await fund(client, employer, 10**7)
    start = now_local() + minutes(120)
    cancelled, shift_id = await shift_at(client, conn, employer, start, start + minutes(240), rate_fen=30_000)
    await assign(conn, shift_id, worker, 30_000)
    response = await client.post(f"/v1/orders/{cancelled['id']}/cancel", json={"reason": "rain"}, headers=employer.auth)
    assert (await response.json())["compensation_total_fen"] == 120_000
    [slip] = (await (await client.get("/v1/workers/me/payslips", headers=worker.auth)).json())["items"]
    assert (slip["gross_fen"], slip["net_fen"]) == (120_000, 112_000)
    assert [(e["kind"], e["amount_fen"]) for e in slip["earnings"]] == [("late_cancel_compensation", 120_000)]
    assert [(w["kind"], w["amount_fen"]) for w in slip["withholdings"]] == [("income_tax_withheld", 8_000)]
    assert await conn.fetchval("SELECT amount_fen FROM payables WHERE source = 'compensation'") == 112_000

    # An hour of work for the same payer that month: 1,500.00 in the month owes 140.00; 80.00 was withheld
    worked_start = now_local() - minutes(10)
    _, worked_shift = await shift_at(client, conn, employer, worked_start, worked_start + minutes(180),
                                     rate_fen=30_000)
    assignment_id = await assign(conn, worked_shift, worker, 30_000)
    who = await principal_of(client, worker)
    await client.app[ATTENDANCE].check_in(who, assignment_id, *SITE)
    await client.app[ATTENDANCE].check_out(who, assignment_id, *SITE)
    await client.app[ATTENDANCE].approve(await principal_of(client, employer), assignment_id, 60, "1 h")
    tax = await conn.fetchval("SELECT income_tax_withheld_fen FROM settlements WHERE assignment_id = $1", assignment_id)
    assert tax == 6_000


async def test_a_shared_labor_compensation_goes_to_the_lender_whose_payroll_owes_the_employee_the_wage(client, conn):
    # 人社厅发〔2020〕98号: the borrower settles with the lender; the lender pays its employee
    borrower, lender = await factories.employer(client, escrow_fen=0), await factories.employer(client)
    await fund(client, borrower, 10**7)
    worker = await factories.worker(client)
    employment_id = await factories.employee(client, lender, worker, agreed_hourly_wage_fen=2600)
    order = await factories.post_order(client, borrower, factories.shared_order_body(fee_per_worker_day_fen=25_000))
    placed = await client.post(f"/v1/orders/{order['id']}/bids", headers=lender.auth, json={
        "fee_per_worker_day_fen": 25_000, "employees": [{"employment_id": employment_id, "wage_hourly_fen": 2700}]})
    [consent] = (await placed.json())["shared_bid"]["consents"]
    assert (await client.post(f"/v1/consents/{consent['id']}/accept", headers=worker.auth)).status == 200
    shift_id = uuid.UUID(order["shifts"][0]["id"])
    start = now_local() + minutes(120)
    await conn.execute("UPDATE shifts SET starts_at = $2, ends_at = $3 WHERE id = $1", shift_id, start,
                       start + minutes(8 * 60))
    await assign(conn, shift_id, worker, 25_000)
    cancelled = await client.post(f"/v1/orders/{order['id']}/cancel", json={"reason": "rain"}, headers=borrower.auth)
    assert (await cancelled.json())["compensation_total_fen"] == 12_500  # 4 of the day's 8 h of the fee
    payable = await conn.fetchrow("SELECT payee_type, payee_id, amount_fen FROM payables WHERE source = 'compensation'")
    assert (payable["payee_type"], str(payable["payee_id"]), payable["amount_fen"]) == ("organisation", lender.id, 12_500)
    [slip] = (await (await client.get("/v1/workers/me/payslips", headers=worker.auth)).json())["items"]
    lender_name = await conn.fetchval("SELECT name FROM organisations WHERE id = $1", uuid.UUID(lender.id))
    assert (slip["payer"], slip["gross_fen"], slip["net_fen"]) == (lender_name, 4 * 2700, None)  # the wage owed
    assert [e["kind"] for e in slip["earnings"]] == ["late_cancel_compensation"]
    assert await conn.fetchval("SELECT wage_leg_amount_fen FROM settlements") == 4 * 2700


async def test_approval_without_enough_escrow_is_a_409_with_the_amounts(client, conn):
    employer, worker, assignment_id, _ = await _live_assignment(client, conn, deposit=9457)
    who = await principal_of(client, worker)
    await client.app[ATTENDANCE].check_in(who, assignment_id, *SITE)
    await client.app[ATTENDANCE].check_out(who, assignment_id, *SITE)
    response = await client.post(f"/v1/assignments/{assignment_id}/approve", json={"minutes": 400, "reason": "overtime"},
                                 headers=employer.auth)
    assert response.status == 409
    body = await response.json()
    assert body["needed_fen"] == 20_000 + 1000 + 7 and body["available_fen"] == 9457


async def test_a_payout_batch_pays_each_payee_once_and_rerunning_pays_nothing_twice(client, conn):
    employer, worker, assignment_id, _ = await _live_assignment(client, conn)
    service = client.app[SETTLEMENTS]
    who = await principal_of(client, worker)
    await client.app[ATTENDANCE].check_in(who, assignment_id, *SITE)
    await client.app[ATTENDANCE].check_out(who, assignment_id, *SITE)
    boss = await principal_of(client, employer)
    await client.app[ATTENDANCE].approve(boss, assignment_id, 60, "1 h")
    ops = await admin(client)
    far = (now_local() + timedelta(days=30)).date().isoformat()
    first = await (await client.post("/v1/admin/payouts", json={"due_by": far}, headers=ops)).json()
    assert [p["amount_fen"] for p in first["payouts"]] == [3000]
    second = await (await client.post("/v1/admin/payouts", json={"due_by": far}, headers=ops)).json()
    assert second["payouts"] == []
    bank_file = await (await client.get(f"/v1/admin/payouts/{first['id']}/file", headers=ops)).text()
    assert bank_file.splitlines()[0].startswith("batch_id,payout_id,payee_type")
    assert ',3000,30.00,"CNY",' in bank_file  # amounts bare numbers, text quoted (market/csvfile.py)
    confirmed = await (await client.post(f"/v1/admin/payouts/{first['id']}/confirm", headers=ops)).json()
    assert confirmed["state"] == "confirmed" and confirmed["payouts"][0]["state"] == "paid"
    assert (await service.ledger_check()).ok
    assert await conn.fetchval("SELECT count(*) FROM journal_entries WHERE kind = 'payout'") == 1


async def test_an_approved_timesheet_unpaid_past_its_due_date_is_arrears_and_red_flags_the_employer(client, conn):
    employer, worker, assignment_id, _ = await _live_assignment(client, conn, relationship="labor_part_time",
                                                               rate_fen=2300, deposit=100, hold=False)
    service = client.app[SETTLEMENTS]
    who = await principal_of(client, worker)
    start = now_local() - minutes(10)  # the shift's start (see _live_assignment); work an hour of it
    await client.app[ATTENDANCE].check_in(who, assignment_id, *SITE, now=start)
    await client.app[ATTENDANCE].check_out(who, assignment_id, *SITE, now=start + minutes(60))
    await service.auto_approve(now=now_local() + timedelta(days=2))  # escrow short: approved, unsettled
    assert await conn.fetchval("SELECT state FROM timesheets") == "approved"
    found = await service.check_arrears(today=(now_local() + timedelta(days=20)).date())
    assert [a.employer_at_fault for a in found] == [True]
    balance = await (await client.get("/v1/employers/me/balance", headers=employer.auth)).json()
    assert balance["red_flag"] is True
    arrears = await (await client.get("/v1/workers/me/arrears", headers=worker.auth)).json()
    assert len(arrears["items"]) == 1
    assert await conn.fetchval("SELECT count(*) FROM alerts WHERE kind = 'arrears_wage_unpaid'") == 1


async def test_an_employer_statement_lists_each_charge_with_its_order_and_assignment(client, conn):
    employer, worker, assignment_id, posted = await _live_assignment(client, conn)
    who = await principal_of(client, worker)
    await client.app[ATTENDANCE].check_in(who, assignment_id, *SITE)
    await client.app[ATTENDANCE].check_out(who, assignment_id, *SITE)
    await client.app[ATTENDANCE].approve(await principal_of(client, employer), assignment_id, 60, "1 h")
    month = now_local().strftime("%Y-%m")
    statement = await (await client.get(f"/v1/employers/me/statements?month={month}", headers=employer.auth)).json()
    [charge] = [i for i in statement["items"] if i["kind"] == "settlement"]
    assert charge["order_id"] == posted["id"] and charge["assignment_id"] == str(assignment_id)
    assert charge["amount_fen"] == 3000 + 150 + 7
    assert statement["deposited_fen"] == 10**7
    bad = await client.get("/v1/employers/me/statements?month=2026-13", headers=employer.auth)
    assert bad.status == 422
