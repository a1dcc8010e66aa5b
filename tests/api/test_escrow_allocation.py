"""Pre-funding through allocation: every assignment holds escrow, a run offers no more than escrow
covers, cancellation withdraws offers and releases holds, and a worker may give a seat back."""
import asyncio
import uuid
from datetime import timedelta

import pytest

from market.attendance.keys import ATTENDANCE
from market.settlement.keys import SETTLEMENTS
from tests import factories
from tests.allocation.support import accept, allocate, bid, offers_of, quiet, seated, skilled_worker
from tests.factories import at, gig_order_body, post_order
from tests.settlement.support import SITE, assign, principal_of


@pytest.fixture
def settings(settings):
    return quiet(settings)


async def balance(client, employer) -> dict:
    response = await client.get("/v1/employers/me/balance", headers=employer.auth)
    assert response.status == 200, await response.text()
    return await response.json()


async def test_a_run_offers_only_the_seats_the_employers_escrow_covers(client, conn, settings):
    employer = await factories.employer(client, escrow_fen=0)
    order = await post_order(client, employer, gig_order_body(
        shifts=[{"start": at(2, 9), "end": at(2, 13), "headcount": 3}]))
    workers = [await skilled_worker(client, conn) for _ in range(3)]
    for worker in workers:
        await bid(client, worker, order, 2500)
    one_seat = 4 * 2500 + 500 + 7  # 4 h gross + 5 % platform fee + 职业伤害保障 (rates.json)
    await factories.deposit(client, employer, 2 * one_seat + one_seat // 2)

    run = await allocate(client, settings, employer, order)

    outcomes = sorted((r["outcome"], r["reason"]) for r in run["results"] if r["worker_id"])
    assert outcomes == [("conflict", "insufficient_escrow"), ("offered", None), ("offered", None)]
    assert run["seats_filled"] == 2


async def test_an_accepted_offer_holds_its_cost_and_one_escrow_cannot_cover_is_refused(client, conn, settings):
    employer = await factories.employer(client, escrow_fen=0)
    order = await post_order(client, employer, gig_order_body(
        shifts=[{"start": at(2, 9), "end": at(2, 13), "headcount": 2}]))
    first, second = await skilled_worker(client, conn), await skilled_worker(client, conn)
    await bid(client, first, order, 2500)
    await bid(client, second, order, 2500)
    cost = 4 * 2500 + 500 + 7
    await factories.deposit(client, employer, 2 * cost)
    await allocate(client, settings, employer, order)
    # The employer spends escrow elsewhere between the offers and the answers.
    elsewhere = await post_order(client, employer, gig_order_body(
        relationship="labor_service", shifts=[{"start": at(3, 9), "end": at(3, 13), "headcount": 1}]))
    third = await skilled_worker(client, conn)
    await bid(client, third, elsewhere, 2500)
    await allocate(client, settings, employer, elsewhere)  # offers nothing: both seats are promised
    assert await offers_of(client, third) == []

    await accept(client, first)
    assert await balance(client, employer) == {"available_fen": cost, "held_fen": cost, "red_flag": False,
                                               "red_flag_since": None}
    # The rest of escrow goes to a seat placed by another path (held directly on the other order).
    await assign(conn, uuid.UUID(elsewhere["shifts"][0]["id"]), third, 2500)

    [offer] = await offers_of(client, second, "pending")
    refused = await client.post(f"/v1/offers/{offer['id']}/accept", headers=second.auth)
    assert refused.status == 409
    body = await refused.json()
    assert body["reason"] == "insufficient_escrow" and "available_fen" not in body
    assert [o["state"] for o in await offers_of(client, second)] == ["pending"]
    assert await conn.fetchval("SELECT count(*) FROM assignments WHERE worker_id = $1", uuid.UUID(second.id)) == 0
    assert (await balance(client, employer))["available_fen"] == 0


async def test_racing_accepts_never_hold_more_than_escrow(client, conn, settings):
    employer = await factories.employer(client, escrow_fen=0)
    order = await post_order(client, employer, gig_order_body(
        shifts=[{"start": at(2, 9), "end": at(2, 13), "headcount": 6}]))
    workers = [await skilled_worker(client, conn) for _ in range(6)]
    for worker in workers:
        await bid(client, worker, order, 2500)
    cost = 4 * 2500 + 500 + 7
    await factories.deposit(client, employer, 6 * cost)
    await allocate(client, settings, employer, order)
    offers = {w.id: (await offers_of(client, w, "pending"))[0]["id"] for w in workers}
    # Half of escrow goes to seats held on another order before anyone answers.
    extra = await post_order(client, employer, gig_order_body(
        shifts=[{"start": at(4, 9), "end": at(4, 13), "headcount": 3}]))
    for worker in workers[:3]:
        await assign(conn, uuid.UUID(extra["shifts"][0]["id"]), worker, 2500)

    responses = await asyncio.gather(*[
        client.post(f"/v1/offers/{offers[w.id]}/accept", headers=w.auth) for w in workers])

    statuses = sorted(r.status for r in responses)
    assert statuses == [200, 200, 200, 409, 409, 409]
    held = await conn.fetchval("SELECT count(*) FROM escrow_holds WHERE organisation_id = $1 AND state = 'held'",
                               uuid.UUID(employer.id))
    assert held == 6
    assert await balance(client, employer) == {"available_fen": 0, "held_fen": 6 * cost, "red_flag": False,
                                               "red_flag_since": None}


async def test_cancelling_an_order_withdraws_its_pending_offers(client, conn, settings):
    employer = await factories.employer(client)
    order = await post_order(client, employer, gig_order_body())
    worker = await skilled_worker(client, conn)
    await bid(client, worker, order, 2500)
    await allocate(client, settings, employer, order)
    [offer] = await offers_of(client, worker, "pending")

    cancelled = await client.post(f"/v1/orders/{order['id']}/cancel", json={"reason": "客户取消"},
                                  headers=employer.auth)
    assert cancelled.status == 200, await cancelled.text()

    assert [o["state"] for o in await offers_of(client, worker)] == ["withdrawn"]
    late = await client.post(f"/v1/offers/{offer['id']}/accept", headers=worker.auth)
    assert late.status == 409 and (await late.json())["current_state"] == "withdrawn"


async def reliability(conn, worker) -> int:
    return await conn.fetchval("SELECT reliability FROM workers WHERE id = $1", uuid.UUID(worker.id))


async def test_a_worker_gives_a_seat_back_early_the_hold_is_released_and_the_order_reopens(client, conn, settings):
    employer = await factories.employer(client, escrow_fen=0)
    await factories.deposit(client, employer, 50_000)
    order, worker, assignment_id, _ = await seated(client, conn, settings, employer)
    assert (await balance(client, employer))["held_fen"] == 4 * 2500 + 500 + 7
    before = await reliability(conn, worker)
    other = await factories.worker(client)
    assert (await client.post(f"/v1/assignments/{assignment_id}/cancel", json={"reason": "x"},
                              headers=other.auth)).status == 404

    response = await client.post(f"/v1/assignments/{assignment_id}/cancel", json={"reason": "家里有事"},
                                 headers=worker.auth)

    assert response.status == 200, await response.text()
    assert await response.json() == {"assignment_id": assignment_id, "state": "cancelled", "late": False,
                                     "reliability": None}
    assert await reliability(conn, worker) == before
    assert await balance(client, employer) == {"available_fen": 50_000, "held_fen": 0, "red_flag": False,
                                               "red_flag_since": None}
    fetched = await (await client.get(f"/v1/orders/{order['id']}", headers=employer.auth)).json()
    assert fetched["state"] == "open" and fetched["filled"] == 0
    queued = await conn.fetchval("SELECT count(*) FROM allocation_runs WHERE order_id = $1 AND status = 'queued'",
                                 uuid.UUID(order["id"]))
    assert queued == 1
    late = await conn.fetch("SELECT payload ->> 'late' AS late FROM events WHERE kind = 'assignment.cancelled'")
    assert [r["late"] for r in late] == ["false"]
    again = await client.post(f"/v1/assignments/{assignment_id}/cancel", json={"reason": "x"}, headers=worker.auth)
    assert again.status == 409 and (await again.json())["current_state"] == "cancelled"


async def test_a_late_cancellation_lowers_reliability_and_a_started_shift_cannot_be_given_back(client, conn, settings):
    employer = await factories.employer(client)
    _, worker, assignment_id, _ = await seated(client, conn, settings, employer, start_in=timedelta(hours=3))
    before = await reliability(conn, worker)

    response = await client.post(f"/v1/assignments/{assignment_id}/cancel", json={"reason": "临时有事"},
                                 headers=worker.auth)

    assert response.status == 200, await response.text()
    body = await response.json()
    assert body["late"] is True and body["reliability"] == await reliability(conn, worker) < before

    _, started_worker, started, start = await seated(client, conn, settings, employer,
                                                     start_in=timedelta(minutes=10))
    await client.app[ATTENDANCE].check_in(await principal_of(client, started_worker), uuid.UUID(started), *SITE,
                                           now=start)
    refused = await client.post(f"/v1/assignments/{started}/cancel", json={"reason": "x"},
                                headers=started_worker.auth)
    assert refused.status == 409


async def test_cancelling_an_order_keeps_checked_in_work_which_is_approved_and_paid(client, conn, settings):
    employer = await factories.employer(client)
    order, worker, assignment_id, start = await seated(client, conn, settings, employer, start_in=timedelta(minutes=5))
    principal = await principal_of(client, worker)
    await client.app[ATTENDANCE].check_in(principal, uuid.UUID(assignment_id), *SITE, now=start)

    cancelled = await client.post(f"/v1/orders/{order['id']}/cancel", json={"reason": "提前收工"},
                                  headers=employer.auth)
    assert cancelled.status == 200, await cancelled.text()
    assert await conn.fetchval("SELECT state FROM assignments WHERE id = $1", uuid.UUID(assignment_id)) == "active"

    await client.app[ATTENDANCE].check_out(principal, uuid.UUID(assignment_id), *SITE, now=start + timedelta(hours=2))
    # Approved after the check-out (the shift's clock, not the wall clock: run near midnight, the
    # wall clock is on the day before the shift and a settlement is never dated before its shift).
    await client.app[ATTENDANCE].approve(await principal_of(client, employer), uuid.UUID(assignment_id),
                                         now=start + timedelta(hours=2, minutes=1))
    assert await conn.fetchval("SELECT gross_fen FROM settlements WHERE assignment_id = $1",
                               uuid.UUID(assignment_id)) == 2 * 2500


async def test_auto_approval_is_announced_to_the_employer_and_the_worker(client, conn, settings):
    employer = await factories.employer(client)
    _, worker, assignment_id, start = await seated(client, conn, settings, employer, start_in=timedelta(minutes=5))
    service, principal = client.app[SETTLEMENTS], await principal_of(client, worker)
    await client.app[ATTENDANCE].check_in(principal, uuid.UUID(assignment_id), *SITE, now=start)
    await client.app[ATTENDANCE].check_out(principal, uuid.UUID(assignment_id), *SITE, now=start + timedelta(hours=4))

    assert await service.auto_approve(now=start + timedelta(hours=4, minutes=1)) == 0
    assert await service.auto_approve(now=start + timedelta(hours=29)) == 1

    events = await conn.fetch("SELECT kind, payload ->> 'assignment_id' AS assignment_id, "
                              "(payload ->> 'approved_minutes')::int AS minutes FROM events WHERE kind LIKE 'timesheet.%'")
    assert [tuple(e) for e in events] == [("timesheet.auto_approved", assignment_id, 240)]
