"""The three-party agreement of shared employment (共享用工, 人社厅发〔2020〕98号) in writing: the
background renderer gives each agreement its document; the borrower, the lender and the employee
each sign it, and it is signed once all three have. A lent employee's seat asks all three too."""
from __future__ import annotations

from datetime import date, timedelta

from market.contracts.keys import CONTRACTS
from tests import factories
from tests.contracts.support import agreement, digest, sign, uid
from tests.settlement.support import assign, minutes, now_local


async def three_party_agreement(client, conn):
    borrower = await factories.employer(client, name="重庆借用方物流有限公司")
    lender = await factories.employer(client, name="重庆出借方制造有限公司")
    worker = await factories.worker(client, name="赵秀英")
    employment = await factories.employee(client, lender, worker, agreed_hourly_wage_fen=2600)
    start = date.today() + timedelta(days=3)
    order = await factories.post_order(client, borrower, factories.shared_order_body(schedule={
        "start_date": start.isoformat(), "end_date": (start + timedelta(days=2)).isoformat(),
        "daily_start": "09:00", "daily_end": "17:00"}))
    bid = await client.post(f"/v1/orders/{order['id']}/bids", headers=lender.auth, json={
        "fee_per_worker_day_fen": 28000, "employees": [{"employment_id": employment, "wage_hourly_fen": 2700}]})
    assert bid.status == 201, await bid.text()
    consent = (await bid.json())["shared_bid"]["consents"][0]["id"]
    decided = await client.post(f"/v1/consents/{consent}/accept", headers=worker.auth)
    assert decided.status == 200, await decided.text()
    return borrower, lender, worker, (await decided.json())["agreement"]["id"]


async def test_the_three_parties_sign_the_written_three_party_agreement(client, conn):
    borrower, lender, worker, agreement_id = await three_party_agreement(client, conn)
    assert await client.app[CONTRACTS].render_pending() == 1
    url = f"/v1/agreements/{agreement_id}/document"
    shown = await (await client.get(url, headers=lender.auth)).json()
    assert shown["relationship_type"] == "shared_labor" and shown["state"] == "rendered"
    assert shown["required_roles"] == ["employer", "lender", "worker"] and shown["your_roles"] == ["lender"]
    assert [p["name"] for p in shown["terms"]["parties"]] == ["重庆借用方物流有限公司", "重庆出借方制造有限公司", "赵秀英"]
    assert shown["terms"]["pay"]["wage_hourly_fen"] == 2700 and shown["terms"]["pay"]["fee_per_worker_day_fen"] == 28000
    assert len(shown["terms"]["shifts"]) == 3
    document = await (await client.get(url + ".pdf", headers=worker.auth)).read()
    assert digest(document) == shown["sha256"]
    for party, missing in ((borrower, ["lender", "worker"]), (worker, ["lender"]), (lender, [])):
        signed = await client.post(url + "/signatures", json={"sha256": shown["sha256"]}, headers=party.auth)
        assert signed.status == 201, await signed.text()
        assert (await signed.json())["missing_roles"] == missing
    assert await conn.fetchval("SELECT state FROM contracts WHERE agreement_id = $1", uid(agreement_id)) == "signed"
    stranger = await factories.employer(client)
    assert (await client.get(url, headers=stranger.auth)).status == 404


async def test_a_lent_employees_seat_needs_the_borrower_the_lender_and_the_employee_before_check_in(client, conn):
    borrower, lender, worker, agreement_id = await three_party_agreement(client, conn)
    order_id = await conn.fetchval("SELECT order_id FROM agreements WHERE id = $1", uid(agreement_id))
    shift_id = await conn.fetchval("SELECT id FROM shifts WHERE order_id = $1 ORDER BY starts_at LIMIT 1", order_id)
    start = now_local() - minutes(10)
    await conn.execute("UPDATE shifts SET starts_at = $2, ends_at = $3 WHERE id = $1", shift_id, start,
                       start + minutes(420))
    assignment_id = str(await assign(conn, shift_id, worker, 2700))
    shown = await agreement(client, assignment_id, lender)
    assert shown["required_roles"] == ["employer", "lender", "worker"] and shown["your_roles"] == ["lender"]
    assert shown["terms"]["pay"]["wage_hourly_fen"] == 2700
    site = {"lat": 29.5410, "lon": 106.4542}  # factories.shared_order_body's site
    for party in (borrower, worker):
        assert (await sign(client, assignment_id, party, shown["sha256"])).status == 201
    refused = await client.post(f"/v1/assignments/{assignment_id}/check-in", json=site, headers=worker.auth)
    assert refused.status == 409 and "lender" in (await refused.json())["detail"]
    assert (await sign(client, assignment_id, lender, shown["sha256"])).status == 201
    checked_in = await client.post(f"/v1/assignments/{assignment_id}/check-in", json=site, headers=worker.auth)
    assert checked_in.status == 200, await checked_in.text()
