import asyncio
import uuid

from tests import factories
from tests.factories import at, gig_order_body, post_order


async def skilled_worker(client, conn, *skills: tuple[str, int], **kwargs) -> factories.Party:
    worker = await factories.worker(client, **kwargs)
    for code, level in skills:
        await conn.execute("INSERT INTO worker_skills (worker_id, skill_code, level) VALUES ($1, $2, $3)",
                           uuid.UUID(worker.id), code, level)
    return worker


async def test_a_worker_bids_and_the_employer_sees_the_bid(client, conn):
    employer = await factories.employer(client)
    worker = await skilled_worker(client, conn, ("warehouse_picking", 2))
    order = await post_order(client, employer, gig_order_body())
    shift_id = order["shifts"][0]["id"]
    response = await client.post(f"/v1/orders/{order['id']}/bids",
                                 json={"shift_ids": [shift_id], "rate_fen": 2800, "note": "有经验"},
                                 headers=worker.auth)
    assert response.status == 201, await response.text()
    [bid] = (await response.json())["items"]
    assert bid["state"] == "live" and bid["rate_fen"] == 2800

    seen = await (await client.get(f"/v1/orders/{order['id']}/bids", headers=employer.auth)).json()
    assert [b["id"] for b in seen["items"]] == [bid["id"]]
    fetched = await (await client.get(f"/v1/orders/{order['id']}", headers=employer.auth)).json()
    assert fetched["live_bids"] == 1


async def test_a_second_bid_on_the_same_shift_replaces_the_first(client, conn):
    employer = await factories.employer(client)
    worker = await skilled_worker(client, conn, ("warehouse_picking", 1))
    order = await post_order(client, employer, gig_order_body())
    body = {"shift_ids": [order["shifts"][0]["id"]], "rate_fen": 3000}
    first = (await (await client.post(f"/v1/orders/{order['id']}/bids", json=body, headers=worker.auth)).json())
    second = (await (await client.post(f"/v1/orders/{order['id']}/bids", json={**body, "rate_fen": 2500},
                                       headers=worker.auth)).json())
    mine = await (await client.get("/v1/workers/me/bids", headers=worker.auth)).json()
    states = {b["id"]: b["state"] for b in mine["items"]}
    assert states == {first["items"][0]["id"]: "replaced", second["items"][0]["id"]: "live"}


async def test_a_bid_above_the_order_rate_is_a_422_naming_rate_fen(client, conn):
    employer = await factories.employer(client)
    worker = await skilled_worker(client, conn, ("warehouse_picking", 1))
    order = await post_order(client, employer, gig_order_body())
    response = await client.post(f"/v1/orders/{order['id']}/bids",
                                 json={"shift_ids": [order["shifts"][0]["id"]], "rate_fen": 3001},
                                 headers=worker.auth)
    assert response.status == 422
    assert (await response.json())["errors"][0]["loc"] == ["rate_fen"]


async def test_a_worker_lacking_the_skill_cannot_bid(client):
    employer = await factories.employer(client)
    worker = await factories.worker(client)
    order = await post_order(client, employer, gig_order_body())
    response = await client.post(f"/v1/orders/{order['id']}/bids",
                                 json={"shift_ids": [order["shifts"][0]["id"]], "rate_fen": 3000},
                                 headers=worker.auth)
    problem = await response.json()
    assert response.status == 422
    assert problem["errors"][0]["loc"] == ["shift_ids", 0]
    assert problem["errors"][0]["ctx"]["reason"] == "missing_skill"


async def test_a_worker_cannot_bid_on_a_shift_overlapping_one_they_hold(client, conn):
    employer = await factories.employer(client)
    worker = await skilled_worker(client, conn, ("warehouse_picking", 1))
    held = await post_order(client, employer, gig_order_body(shifts=[{"start": at(2, 8), "end": at(2, 12),
                                                                      "headcount": 1}]))
    await conn.execute(
        "INSERT INTO assignments (shift_id, order_id, worker_id, organisation_id, period, rate_fen) "
        "SELECT s.id, s.order_id, $2, o.organisation_id, s.period, 3000 FROM shifts s "
        "JOIN orders o ON o.id = s.order_id WHERE s.id = $1",
        uuid.UUID(held["shifts"][0]["id"]), uuid.UUID(worker.id))
    other = await post_order(client, employer, gig_order_body())  # 09:00–13:00 the same day
    response = await client.post(f"/v1/orders/{other['id']}/bids",
                                 json={"shift_ids": [other["shifts"][0]["id"]], "rate_fen": 3000},
                                 headers=worker.auth)
    assert response.status == 422
    assert (await response.json())["errors"][0]["ctx"]["reason"] == "overlap"


async def test_part_time_hours_with_one_employer_are_limited_at_bidding(client, conn):
    employer = await factories.employer(client)
    worker = await skilled_worker(client, conn, ("warehouse_picking", 1))
    order = await post_order(client, employer, gig_order_body(
        relationship="labor_part_time", shifts=[{"start": at(2, 8), "end": at(2, 13), "headcount": 1}]))
    response = await client.post(f"/v1/orders/{order['id']}/bids",
                                 json={"shift_ids": [order["shifts"][0]["id"]], "rate_fen": 3000},
                                 headers=worker.auth)
    assert response.status == 422
    assert (await response.json())["errors"][0]["ctx"]["reason"] == "part_time_daily_average"


async def test_a_worker_withdraws_their_bid_and_cannot_withdraw_another_workers(client, conn):
    employer = await factories.employer(client)
    worker = await skilled_worker(client, conn, ("warehouse_picking", 1))
    stranger = await factories.worker(client)
    order = await post_order(client, employer, gig_order_body())
    placed = await (await client.post(f"/v1/orders/{order['id']}/bids",
                                      json={"shift_ids": [order["shifts"][0]["id"]], "rate_fen": 3000},
                                      headers=worker.auth)).json()
    bid_id = placed["items"][0]["id"]
    assert (await client.delete(f"/v1/bids/{bid_id}", headers=stranger.auth)).status == 404
    assert (await client.delete(f"/v1/bids/{bid_id}", headers=worker.auth)).status == 204
    again = await client.delete(f"/v1/bids/{bid_id}", headers=worker.auth)
    assert again.status == 409 and (await again.json())["current_state"] == "withdrawn"


async def test_workers_see_only_their_own_bids_and_never_the_orders_bid_list(client, conn):
    employer = await factories.employer(client)
    one = await skilled_worker(client, conn, ("warehouse_picking", 1))
    two = await skilled_worker(client, conn, ("warehouse_picking", 1))
    order = await post_order(client, employer, gig_order_body())
    for worker in (one, two):
        await client.post(f"/v1/orders/{order['id']}/bids",
                          json={"shift_ids": [order["shifts"][0]["id"]], "rate_fen": 3000}, headers=worker.auth)
    assert (await client.get(f"/v1/orders/{order['id']}/bids", headers=one.auth)).status == 403
    mine = await (await client.get("/v1/workers/me/bids", headers=one.auth)).json()
    assert {b["worker_id"] for b in mine["items"]} == {one.id}


async def test_another_employer_cannot_read_the_bids_on_an_order(client):
    owner, other = await factories.employer(client), await factories.employer(client)
    order = await post_order(client, owner, gig_order_body())
    assert (await client.get(f"/v1/orders/{order['id']}/bids", headers=other.auth)).status == 404


async def test_a_cancelled_order_takes_no_bids(client, conn):
    employer = await factories.employer(client)
    worker = await skilled_worker(client, conn, ("warehouse_picking", 1))
    order = await post_order(client, employer, gig_order_body())
    await client.post(f"/v1/orders/{order['id']}/cancel", json={"reason": "x"}, headers=employer.auth)
    response = await client.post(f"/v1/orders/{order['id']}/bids",
                                 json={"shift_ids": [order["shifts"][0]["id"]], "rate_fen": 3000},
                                 headers=worker.auth)
    assert response.status == 409
    assert (await response.json())["current_state"] == "cancelled"


async def test_a_hundred_concurrent_bids_and_withdrawals_leave_at_most_one_live_bid_per_shift(client, conn):
    employer = await factories.employer(client)
    worker = await skilled_worker(client, conn, ("warehouse_picking", 1))
    order = await post_order(client, employer, gig_order_body())
    url = f"/v1/orders/{order['id']}/bids"
    body = {"shift_ids": [order["shifts"][0]["id"]], "rate_fen": 3000}

    async def bid_then_maybe_withdraw(i: int) -> int:
        response = await client.post(url, json={**body, "rate_fen": 2000 + i}, headers=worker.auth)
        if response.status == 201 and i % 3 == 0:
            bid_id = (await response.json())["items"][0]["id"]
            await client.delete(f"/v1/bids/{bid_id}", headers=worker.auth)
        return response.status

    statuses = await asyncio.gather(*[bid_then_maybe_withdraw(i) for i in range(100)])
    assert set(statuses) <= {201, 409}
    assert statuses.count(201) > 0
    live = await conn.fetchval("SELECT count(*) FROM bids WHERE state = 'live'")
    assert live <= 1
    assert await conn.fetchval("SELECT count(*) FROM bids") == statuses.count(201)


async def test_a_part_time_bid_below_the_districts_hourly_minimum_is_a_422_naming_rate_fen(client, conn):
    employer = await factories.employer(client)
    order = await post_order(client, employer, gig_order_body(relationship="labor_part_time"))
    worker = await skilled_worker(client, conn, ("warehouse_picking", 1))
    body = {"shift_ids": [order["shifts"][0]["id"]], "rate_fen": 2000}
    response = await client.post(f"/v1/orders/{order['id']}/bids", json=body, headers=worker.auth)
    assert response.status == 422, await response.text()
    [error] = (await response.json())["errors"]
    assert error["loc"] == ["rate_fen"] and "minimum wage" in error["msg"]
    assert await conn.fetchval("SELECT count(*) FROM bids WHERE order_id = $1", uuid.UUID(order["id"])) == 0
