from tests import factories
from tests.factories import post_order, shared_order_body


async def lend_setup(client):
    borrower, lender = await factories.employer(client), await factories.employer(client)
    worker = await factories.worker(client, name="刘一")
    employment_id = await factories.employee(client, lender, worker, agreed_hourly_wage_fen=2600)
    order = await post_order(client, borrower, shared_order_body())
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
