from tests import factories
from tests.factories import post_order, shared_order_body


async def lend_setup(client, **order_overrides):
    borrower, lender = await factories.employer(client), await factories.employer(client)
    worker = await factories.worker(client, name="刘一")
    employment_id = await factories.employee(client, lender, worker, agreed_hourly_wage_fen=2600)
    order = await post_order(client, borrower, shared_order_body(**order_overrides))
    return borrower, lender, worker, employment_id, order


async def test_a_lender_bids_with_a_consenting_employee_and_all_three_read_the_agreement(client):
    borrower, lender, worker, employment_id, order = await lend_setup(client)
    response = await client.post(f"/v1/orders/{order['id']}/bids", json={
        "fee_per_worker_day_fen": 28000, "employees": [{"employment_id": employment_id, "wage_hourly_fen": 2700}]},
        headers=lender.auth)
    assert response.status == 201, await response.text()
    shared_bid = (await response.json())["shared_bid"]
    [consent] = shared_bid["consents"]
    assert consent["state"] == "pending"

    asked = await (await client.get("/v1/workers/me/consents", headers=worker.auth)).json()
    assert [c["id"] for c in asked["items"]] == [consent["id"]]
    decision = await client.post(f"/v1/consents/{consent['id']}/accept", headers=worker.auth)
    assert decision.status == 200
    agreement = (await decision.json())["agreement"]
    terms = agreement["terms"]
    assert terms["pay"]["wage_hourly_fen"] == 2700
    assert terms["pay"]["fee_per_worker_day_fen"] == 28000
    assert terms["period"]["working_days"] == 5
    assert terms["hours"] == {"daily_start": "09:00", "daily_end": "17:00", "time_zone": "Asia/Shanghai"}
    assert terms["place"]["district_name"] == "沙坪坝区"

    for party in (borrower, lender, worker):
        read = await client.get(f"/v1/agreements/{agreement['id']}", headers=party.auth)
        assert read.status == 200
        assert (await read.json())["terms"] == terms
    outsider = await factories.employer(client)
    assert (await client.get(f"/v1/agreements/{agreement['id']}", headers=outsider.auth)).status == 404

    bids = await (await client.get(f"/v1/orders/{order['id']}/bids", headers=borrower.auth)).json()
    assert bids["shared_bids"][0]["consents"][0]["state"] == "accepted"


async def test_a_lender_cannot_lend_another_employers_employee(client):
    borrower, lender, worker, employment_id, order = await lend_setup(client)
    thief = await factories.employer(client)
    response = await client.post(f"/v1/orders/{order['id']}/bids", json={
        "fee_per_worker_day_fen": 28000, "employees": [{"employment_id": employment_id, "wage_hourly_fen": 2700}]},
        headers=thief.auth)
    assert response.status == 422
    assert (await response.json())["errors"][0]["loc"] == ["employees", 0, "employment_id"]


async def test_the_borrower_cannot_bid_on_its_own_order(client):
    borrower, lender, worker, _, order = await lend_setup(client)
    own_employee = await factories.worker(client)
    employment_id = await factories.employee(client, borrower, own_employee)
    response = await client.post(f"/v1/orders/{order['id']}/bids", json={
        "fee_per_worker_day_fen": 28000, "employees": [{"employment_id": employment_id, "wage_hourly_fen": 2700}]},
        headers=borrower.auth)
    assert response.status == 422
    assert "borrow its own" in (await response.json())["detail"]


async def test_the_lenders_wage_is_never_below_the_employees_agreed_wage(client):
    _, lender, _, employment_id, order = await lend_setup(client)
    response = await client.post(f"/v1/orders/{order['id']}/bids", json={
        "fee_per_worker_day_fen": 28000, "employees": [{"employment_id": employment_id, "wage_hourly_fen": 2599}]},
        headers=lender.auth)
    assert response.status == 422
    error = (await response.json())["errors"][0]
    assert error["loc"] == ["employees", 0, "wage_hourly_fen"]
    assert error["ctx"]["floor_fen"] == 2600


async def test_a_pending_employment_cannot_be_lent(client):
    borrower, lender = await factories.employer(client), await factories.employer(client)
    worker = await factories.worker(client)
    registered = await client.post("/v1/employers/me/employees", json={
        "worker_id": worker.id, "job_title": "分拣员", "agreed_hourly_wage_fen": 2600}, headers=lender.auth)
    employment_id = (await registered.json())["id"]
    order = await post_order(client, borrower, shared_order_body())
    response = await client.post(f"/v1/orders/{order['id']}/bids", json={
        "fee_per_worker_day_fen": 28000, "employees": [{"employment_id": employment_id, "wage_hourly_fen": 2700}]},
        headers=lender.auth)
    assert response.status == 422
    assert "confirm" in (await response.json())["errors"][0]["msg"]


async def test_only_the_named_worker_can_give_consent(client):
    _, lender, worker, employment_id, order = await lend_setup(client)
    placed = await (await client.post(f"/v1/orders/{order['id']}/bids", json={
        "fee_per_worker_day_fen": 28000, "employees": [{"employment_id": employment_id, "wage_hourly_fen": 2700}]},
        headers=lender.auth)).json()
    consent_id = placed["shared_bid"]["consents"][0]["id"]
    impostor = await factories.worker(client)
    assert (await client.post(f"/v1/consents/{consent_id}/accept", headers=impostor.auth)).status == 404
    assert (await client.post(f"/v1/consents/{consent_id}/accept", headers=lender.auth)).status == 403
    declined = await client.post(f"/v1/consents/{consent_id}/decline", headers=worker.auth)
    assert (await declined.json())["consent"]["state"] == "declined"
    again = await client.post(f"/v1/consents/{consent_id}/accept", headers=worker.auth)
    assert again.status == 409


async def test_a_worker_cannot_bid_on_a_shared_order(client):
    _, _, worker, _, order = await lend_setup(client)
    response = await client.post(f"/v1/orders/{order['id']}/bids",
                                 json={"shift_ids": [order["shifts"][0]["id"]], "rate_fen": 100}, headers=worker.auth)
    assert response.status == 422


async def _bid(client, lender, order, employment_id, fee_fen, wage_hourly_fen):
    return await client.post(f"/v1/orders/{order['id']}/bids", json={
        "fee_per_worker_day_fen": fee_fen,
        "employees": [{"employment_id": employment_id, "wage_hourly_fen": wage_hourly_fen}]}, headers=lender.auth)


async def test_a_lenders_fee_far_above_the_wage_and_its_costs_is_refused_as_lending_for_profit(client, conn):
    # 人社厅发〔2020〕98号: not for profit. 28.00 yuan/h × 8 h = 224.00 a day; the cap is 224.00 × 1.35
    _, lender, _, employment_id, order = await lend_setup(client, fee_per_worker_day_fen=40_000)
    response = await _bid(client, lender, order, employment_id, 30_241, 2_800)
    assert response.status == 422, await response.text()
    [error] = (await response.json())["errors"]
    assert error["loc"] == ["fee_per_worker_day_fen"]
    assert error["ctx"]["reason"] == "lending_for_profit" and error["ctx"]["fee_cap_fen"] == 30_240
    assert await conn.fetchval("SELECT count(*) FROM shared_bids") == 0


async def test_a_lenders_fee_above_the_wage_and_social_insurance_is_taken_and_flagged_to_the_supervisor(client, conn):
    _, lender, _, employment_id, order = await lend_setup(client)
    response = await _bid(client, lender, order, employment_id, 28_000, 2_800)  # 280.00 against 224.00 a day
    assert response.status == 201, await response.text()
    alert = await conn.fetchrow("SELECT district_code, order_id, (details ->> 'fee_per_worker_day_fen')::int AS fee, "
                                "(details ->> 'wage_per_day_fen')::int AS wage FROM alerts "
                                "WHERE kind = 'lending_fee_above_wage_and_insurance'")
    assert alert["district_code"] == order["district_code"] and str(alert["order_id"]) == order["id"]
    assert (alert["fee"], alert["wage"]) == (28_000, 22_400)
