"""Only a verified certificate lasting through the shift's last day counts: in the feed, the live
audience of a new shift, bids, allocation (a reason per pair), acceptance and check-in."""
import uuid
from datetime import datetime, timezone

from market import db
from market.allocation.builder import build, default_config
from market.allocation.model import Reason
from market.feed.service import workers_fitting_shift
from tests import factories
from tests.allocation.support import quiet
from tests.certificates.support import cook, cook_order, day, health_fields, uploaded, verified
from tests.settlement.support import SITE, admin, assign, minutes, now_local, shift_at


async def kitchen_worker(client, conn) -> factories.Party:
    worker = await factories.worker(client)
    await cook(conn, worker)
    return worker


async def feed_shifts(client, worker) -> set[str]:
    response = await client.get("/v1/workers/me/feed", headers=worker.auth)
    assert response.status == 200, await response.text()
    return {item["shift_id"] for item in (await response.json())["items"]}


async def bid_on(client, worker, order) -> tuple[int, dict]:
    response = await client.post(f"/v1/orders/{order['id']}/bids", headers=worker.auth,
                                 json={"shift_ids": [order["shifts"][0]["id"]], "rate_fen": 2800})
    return response.status, await response.json()


def reasons(answer: dict) -> list[str]:
    return [e.get("ctx", {}).get("reason") for e in answer.get("errors", [])]


async def test_the_feed_lists_a_shift_needing_a_certificate_only_to_a_verified_holder(client, conn):
    employer = await factories.employer(client)
    order = await factories.post_order(client, employer, cook_order(2))
    shift = order["shifts"][0]["id"]
    claimant, pending, holder = [await kitchen_worker(client, conn) for _ in range(3)]
    await uploaded(client, pending)
    await verified(client, holder)
    assert shift not in await feed_shifts(client, claimant)
    assert shift not in await feed_shifts(client, pending)
    assert shift in await feed_shifts(client, holder)


async def test_the_feed_and_the_live_audience_leave_out_a_shift_that_outlasts_the_certificate(client, conn):
    employer = await factories.employer(client)
    within = await factories.post_order(client, employer, cook_order(2))
    beyond = await factories.post_order(client, employer, cook_order(3))
    worker = await kitchen_worker(client, conn)
    await verified(client, worker, valid_days=2)  # counts through the day after tomorrow
    listed = await feed_shifts(client, worker)
    assert within["shifts"][0]["id"] in listed and beyond["shifts"][0]["id"] not in listed
    now = datetime.now(timezone.utc)
    assert uuid.UUID(worker.id) in await workers_fitting_shift(conn, uuid.UUID(within["shifts"][0]["id"]), now)
    assert uuid.UUID(worker.id) not in await workers_fitting_shift(conn, uuid.UUID(beyond["shifts"][0]["id"]), now)


async def test_a_bid_without_a_verified_certificate_or_with_one_ending_too_soon_is_refused(client, conn):
    employer = await factories.employer(client)
    order = await factories.post_order(client, employer, cook_order(3))
    claimant, short = await kitchen_worker(client, conn), await kitchen_worker(client, conn)
    await uploaded(client, claimant)  # pending: does not count
    await verified(client, short, valid_days=2)
    status, answer = await bid_on(client, claimant, order)
    assert status == 422 and reasons(answer) == ["certificate_missing"]
    status, answer = await bid_on(client, short, order)
    assert status == 422 and reasons(answer) == ["certificate_expires"]
    holder = await kitchen_worker(client, conn)
    await verified(client, holder, valid_days=3)
    assert (await bid_on(client, holder, order))[0] == 201


async def test_allocation_lists_each_refused_pair_with_its_certificate_reason(client, conn, settings):
    employer = await factories.employer(client)
    order = await factories.post_order(client, employer, cook_order(3))
    lapsed, ending, holder = [await kitchen_worker(client, conn) for _ in range(3)]
    for worker in (lapsed, ending, holder):
        await verified(client, worker, valid_days=30)
        assert (await bid_on(client, worker, order))[0] == 201
    # Since the bids: one certificate was withdrawn, one now ends the day before the shift.
    await conn.execute("DELETE FROM certificates WHERE worker_id = $1", uuid.UUID(lapsed.id))
    await conn.execute("UPDATE certificates SET expires_on = $2 WHERE worker_id = $1", uuid.UUID(ending.id), day(2))
    pool = await db.create_pool(quiet(settings).database_url, min_size=1, max_size=2)
    try:
        async with pool.acquire() as c:
            result = await build(c, [uuid.UUID(order["id"])], datetime.now(timezone.utc), default_config())
    finally:
        await pool.close()
    refused = {result.worker_ids[p.worker]: p.reason for p in result.problem.ineligible}
    assert refused == {uuid.UUID(lapsed.id): Reason.CERTIFICATE_MISSING,
                       uuid.UUID(ending.id): Reason.CERTIFICATE_EXPIRES}
    assert [result.worker_ids[w] for w in result.problem.pairs.worker.tolist()] == [uuid.UUID(holder.id)]


async def test_an_offer_is_not_accepted_once_the_certificate_no_longer_covers_the_shift(client, conn):
    employer = await factories.employer(client)
    order = await factories.post_order(client, employer, cook_order(3))
    worker = await kitchen_worker(client, conn)
    await verified(client, worker, valid_days=2)
    offer_id = await conn.fetchval(
        "INSERT INTO offers (order_id, shift_id, worker_id, rate_fen, expires_at) "
        "VALUES ($1, $2, $3, 3000, now() + interval '30 minutes') RETURNING id",
        uuid.UUID(order["id"]), uuid.UUID(order["shifts"][0]["id"]), uuid.UUID(worker.id))
    response = await client.post(f"/v1/offers/{offer_id}/accept", headers=worker.auth)
    assert response.status == 409
    answer = await response.json()
    assert answer["reason"] == "certificate_expires" and answer["current_state"] == "pending"
    assert answer["valid_until"] == day(2).isoformat()
    assert await conn.fetchval("SELECT count(*) FROM assignments WHERE worker_id = $1", uuid.UUID(worker.id)) == 0


async def test_check_in_is_refused_without_a_verified_certificate_and_allowed_with_one(client, conn):
    employer = await factories.employer(client)
    worker = await kitchen_worker(client, conn)
    now = now_local()
    _, shift_id = await shift_at(client, conn, employer, now - minutes(10), now + minutes(170))
    await conn.execute("INSERT INTO order_skills (order_id, skill_code, min_level, certificate_required) "
                       "SELECT order_id, 'cook', 1, true FROM shifts WHERE id = $1", shift_id)
    assignment = await assign(conn, shift_id, worker)
    url = f"/v1/assignments/{assignment}/check-in"
    location = {"lat": SITE[0], "lon": SITE[1]}
    pending = await uploaded(client, worker, **health_fields())
    refused = await client.post(url, headers=worker.auth, json=location)
    assert refused.status == 409
    assert (await refused.json())["reason"] == "certificate_missing"
    await client.post(f"/v1/certificates/{pending['id']}/review", headers=await admin(client),
                      json={"decision": "verify"})
    allowed = await client.post(url, headers=worker.auth, json=location)
    assert allowed.status == 200, await allowed.text()


async def test_a_run_offers_the_seat_to_a_verified_holder_judged_again_at_commit(client, conn, settings):
    from tests.allocation.support import allocate, offers_of

    employer = await factories.employer(client)
    order = await factories.post_order(client, employer, cook_order(3, headcount=1))
    holder = await kitchen_worker(client, conn)
    await verified(client, holder, valid_days=30)
    assert (await bid_on(client, holder, order))[0] == 201
    await allocate(client, quiet(settings), employer, order)
    assert [o["shift_id"] for o in await offers_of(client, holder, "pending")] == [order["shifts"][0]["id"]]


async def test_a_revoked_certificate_stops_counting_at_once(client, conn):
    employer = await factories.employer(client)
    order = await factories.post_order(client, employer, cook_order(2))
    worker = await kitchen_worker(client, conn)
    certificate = await verified(client, worker)
    assert order["shifts"][0]["id"] in await feed_shifts(client, worker)
    url = f"/v1/certificates/{certificate['id']}/review"
    assert (await client.post(url, headers=await admin(client), json={"decision": "revoke"})).status == 422
    revoked = await client.post(url, headers=await admin(client), json={"decision": "revoke", "reason": "证号系伪造"})
    assert revoked.status == 200 and (await revoked.json())["state"] == "revoked"
    assert order["shifts"][0]["id"] not in await feed_shifts(client, worker)
    status, answer = await bid_on(client, worker, order)
    assert status == 422 and reasons(answer) == ["certificate_missing"]
