import uuid
import asyncio
from datetime import datetime, timedelta

from market.kernel.clock import SHANGHAI

from tests import factories
from tests.factories import at, gig_order_body, post_order, shared_order_body


async def test_an_employer_posts_a_gig_order_and_reads_it_back(client):
    employer = await factories.employer(client)
    posted = await post_order(client, employer, gig_order_body())
    assert posted["state"] == "open"
    assert posted["seats"] == 3 and posted["filled"] == 0
    assert posted["shifts"][0]["start"].endswith("+08:00")
    fetched = await (await client.get(f"/v1/orders/{posted['id']}", headers=employer.auth)).json()
    assert fetched == posted


async def test_pay_below_the_minimum_wage_is_a_422_naming_the_field_and_the_minimum(client):
    employer = await factories.employer(client)
    body = gig_order_body(relationship="labor_part_time", pay={"unit": "hour", "amount_fen": 2299})
    response = await client.post("/v1/orders", json=body, headers=employer.auth)
    assert response.status == 422
    problem = await response.json()
    [error] = [e for e in problem["errors"] if e["loc"] == ["pay", "amount_fen"]]
    assert "23.00" in error["msg"]
    assert error["ctx"]["minimum_hourly_fen"] == 2300


async def test_pay_exactly_at_the_minimum_wage_posts(client):
    employer = await factories.employer(client)
    body = gig_order_body(relationship="labor_part_time", pay={"unit": "hour", "amount_fen": 2300})
    assert (await client.post("/v1/orders", json=body, headers=employer.auth)).status == 201


async def test_labor_service_below_the_minimum_posts_but_is_flagged_for_supervisors(client):
    employer = await factories.employer(client)
    posted = await post_order(client, employer, gig_order_body(pay={"unit": "hour", "amount_fen": 1500}))
    assert posted["below_minimum_wage"] is True


async def test_every_broken_field_of_an_order_is_reported_at_once(client):
    # Rule errors together (a headcount out of range is a type-and-range error of the body, refused
    # before the rules run, with every other such error: tests/api/test_edge_validation.py).
    employer = await factories.employer(client)
    body = gig_order_body(title="   ", shifts=[
        {"start": at(2, 9), "end": at(2, 8), "headcount": 1},
        {"start": "2020-01-01T09:00:00", "end": "2020-01-01T10:00:00", "headcount": 1},
    ], skills=[{"skill_code": "juggling"}])
    response = await client.post("/v1/orders", json=body, headers=employer.auth)
    locs = {tuple(e["loc"]) for e in (await response.json())["errors"]}
    assert response.status == 422
    assert {("title",), ("shifts", 0, "end"), ("shifts", 1, "start"), ("skills", 0, "skill_code")} <= locs


async def test_a_shift_longer_than_twelve_hours_is_refused(client):
    employer = await factories.employer(client)
    body = gig_order_body(shifts=[{"start": at(2, 6), "end": at(2, 18, 1), "headcount": 1}])
    response = await client.post("/v1/orders", json=body, headers=employer.auth)
    assert response.status == 422
    assert ["shifts", 0, "end"] in [e["loc"] for e in (await response.json())["errors"]]


async def test_fields_a_client_may_not_set_are_refused(client):
    employer = await factories.employer(client)
    response = await client.post("/v1/orders", json=gig_order_body(state="filled"), headers=employer.auth)
    assert response.status == 422
    assert ["state"] in [e["loc"] for e in (await response.json())["errors"]]


async def test_an_unknown_order_kind_is_a_422(client):
    employer = await factories.employer(client)
    response = await client.post("/v1/orders", json=gig_order_body(kind="barter"), headers=employer.auth)
    assert response.status == 422


async def test_an_employer_cannot_read_another_employers_order(client):
    owner, other = await factories.employer(client), await factories.employer(client)
    posted = await post_order(client, owner, gig_order_body())
    response = await client.get(f"/v1/orders/{posted['id']}", headers=other.auth)
    assert response.status == 404
    listed = await (await client.get("/v1/orders", headers=other.auth)).json()
    assert listed["items"] == []


async def test_workers_cannot_post_orders(client):
    worker = await factories.worker(client)
    assert (await client.post("/v1/orders", json=gig_order_body(), headers=worker.auth)).status == 403


async def test_the_order_list_is_filtered_and_paginated_by_cursor(client):
    employer = await factories.employer(client)
    for _ in range(5):
        await post_order(client, employer, gig_order_body())
    shared = await post_order(client, employer, shared_order_body())
    seen, cursor = [], None
    while True:
        url = "/v1/orders?kind=gig&limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = await (await client.get(url, headers=employer.auth)).json()
        seen += [o["id"] for o in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 5
    assert shared["id"] not in seen
    shared_only = await (await client.get("/v1/orders?kind=shared", headers=employer.auth)).json()
    assert [o["id"] for o in shared_only["items"]] == [shared["id"]]


async def test_a_shared_order_has_one_shift_per_working_day(client):
    employer = await factories.employer(client)
    posted = await post_order(client, employer, shared_order_body())
    assert posted["relationship"] == "shared_labor"
    assert len(posted["shifts"]) == 5
    assert all(s["headcount"] == 2 for s in posted["shifts"])
    assert posted["shifts"][0]["start"].endswith("T09:00:00+08:00")


async def test_a_shared_order_below_the_minimum_wage_is_refused(client):
    employer = await factories.employer(client)
    response = await client.post("/v1/orders", json=shared_order_body(fee_per_worker_day_fen=15000),
                                 headers=employer.auth)
    assert response.status == 422
    assert ["fee_per_worker_day_fen"] in [e["loc"] for e in (await response.json())["errors"]]


async def test_cancelling_an_order_twice_is_a_409_with_the_current_state(client):
    employer = await factories.employer(client)
    posted = await post_order(client, employer, gig_order_body())
    first = await client.post(f"/v1/orders/{posted['id']}/cancel", json={"reason": "weather"}, headers=employer.auth)
    assert first.status == 200
    body = await first.json()
    assert body["order"]["state"] == "cancelled" and body["compensation_total_fen"] == 0
    second = await client.post(f"/v1/orders/{posted['id']}/cancel", json={"reason": "again"}, headers=employer.auth)
    assert second.status == 409
    assert (await second.json())["current_state"] == "cancelled"


async def test_a_late_cancellation_creates_compensation_for_each_held_seat(client, conn):
    employer = await factories.employer(client)
    workers = [await factories.worker(client) for _ in range(2)]
    # A 4-hour shift starting within the hour after next: in the late-cancel window at any time of day.
    start = (datetime.now(SHANGHAI) + timedelta(hours=2)).replace(minute=0, second=0, microsecond=0)
    posted = await post_order(client, employer, gig_order_body(
        shifts=[{"start": start.isoformat(), "end": (start + timedelta(hours=4)).isoformat(), "headcount": 2}],
        pay={"unit": "hour", "amount_fen": 3000}))
    shift_id = posted["shifts"][0]["id"]
    # Seats are normally filled by allocation; here the test holds them directly.
    for worker in workers:
        await conn.execute(
            "INSERT INTO assignments (shift_id, order_id, worker_id, organisation_id, period, rate_fen) "
            "SELECT s.id, s.order_id, $2, o.organisation_id, s.period, 3000 FROM shifts s JOIN orders o "
            "ON o.id = s.order_id WHERE s.id = $1", uuid.UUID(shift_id), uuid.UUID(worker.id))
    response = await client.post(f"/v1/orders/{posted['id']}/cancel", json={"reason": "client cancelled"},
                                 headers=employer.auth)
    body = await response.json()
    assert body["compensation_total_fen"] == 2 * 4 * 3000
    rows = await conn.fetch("SELECT worker_id, amount_fen FROM compensations ORDER BY amount_fen")
    assert [r["amount_fen"] for r in rows] == [12000, 12000]
    assert await conn.fetchval("SELECT count(*) FROM assignments WHERE state = 'active'") == 0
    assert await conn.fetchval("SELECT filled FROM shifts WHERE id = $1", uuid.UUID(shift_id)) == 0


async def test_concurrent_postings_with_one_idempotency_key_create_one_order(client, conn):
    employer = await factories.employer(client)
    body = gig_order_body()
    responses = await asyncio.gather(*[
        client.post("/v1/orders", json=body, headers={**employer.auth, "Idempotency-Key": "order-1"})
        for _ in range(10)])
    assert {r.status for r in responses} == {201}
    assert await conn.fetchval("SELECT count(*) FROM orders") == 1
