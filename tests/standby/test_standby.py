"""Standby seats through the API (docs/standby.md): the posting rule, signing up and withdrawing
with the escrow hold, the replacement offer on a cancellation (short clock, next on a decline),
the sweep (no-shows, concurrent runs) and the standby pay at the shift's end, exactly once; and
the races: the last standby seat, a standby offered while the seat is taken back."""
import asyncio
import uuid
from datetime import datetime, timedelta, timezone

import asyncpg
import pytest

from market.allocation.service import SeatTaken, hold_seat
from market.settlement.keys import SETTLEMENTS
from market.standby.keys import STANDBY
from market.web.keys import DB
from tests import factories
from tests.allocation.support import offers_of, quiet, skilled_worker
from tests.factories import at, gig_order_body
from tests.standby.support import AMOUNT, held_fen, on_call, seat, sign_up, standby_order, standbys


@pytest.fixture
def settings(settings):
    return quiet(settings)


async def test_posting_bounds_the_standby_seats_and_floors_their_pay(client):
    employer = await factories.employer(client)
    too_many = await client.post("/v1/orders", headers=employer.auth, json=gig_order_body(
        shifts=[{"start": at(2, 9), "end": at(2, 13), "headcount": 2, "standby": 3, "standby_amount_fen": AMOUNT}]))
    assert too_many.status == 422
    assert [e["loc"] for e in (await too_many.json())["errors"]] == [["shifts", 0, "standby"]]
    too_little = await client.post("/v1/orders", headers=employer.auth, json=gig_order_body(
        shifts=[{"start": at(2, 9), "end": at(2, 13), "headcount": 2, "standby": 1, "standby_amount_fen": 2399}]))
    assert too_little.status == 422
    [error] = (await too_little.json())["errors"]
    assert error["loc"] == ["shifts", 0, "standby_amount_fen"]
    assert error["ctx"] == {"floor_fen": 2400, "ceiling_fen": 12000}  # a fifth of 4 h at 30 元, and all of it
    missing = await client.post("/v1/orders", headers=employer.auth, json=gig_order_body(
        shifts=[{"start": at(2, 9), "end": at(2, 13), "headcount": 2, "standby": 1}]))
    assert missing.status == 422
    assert (await standby_order(client, employer, headcount=2, standby=2))["shifts"][0]["headcount"] == 2


async def test_a_worker_goes_on_call_with_the_pay_held_and_withdraws_before_the_cutoff(client, conn):
    employer = await factories.employer(client)
    order = await standby_order(client, employer, headcount=2, standby=2)
    before = await held_fen(client, employer)
    worker = await skilled_worker(client, conn)
    response = await sign_up(client, worker, order)
    assert response.status == 201, await response.text()
    standby = await response.json()
    assert standby["state"] == "on_call" and standby["amount_fen"] == AMOUNT
    assert await held_fen(client, employer) == before + AMOUNT
    again = await sign_up(client, worker, order)
    assert again.status == 409 and (await again.json())["reason"] == "overlap"
    mine = await (await client.get("/v1/workers/me/standbys", headers=worker.auth)).json()
    assert [s["id"] for s in mine["items"]] == [standby["id"]]
    seen = await client.get(f"/v1/shifts/{order['shifts'][0]['id']}/standby", headers=employer.auth)
    assert (await seen.json())["held"] == 1
    other = await factories.worker(client)
    assert (await client.post(f"/v1/standbys/{standby['id']}/withdraw", headers=other.auth)).status == 404
    withdrawn = await client.post(f"/v1/standbys/{standby['id']}/withdraw", headers=worker.auth)
    assert withdrawn.status == 200 and (await withdrawn.json())["state"] == "withdrawn"
    assert await held_fen(client, employer) == before
    # past the cutoff (2 h before the start) a standby may not withdraw
    second = await on_call(client, conn, order)
    await conn.execute("UPDATE standbys SET period = tstzrange(now() + interval '1 hour', now() + interval '5 hours') "
                       "WHERE worker_id = $1", uuid.UUID(second.id))
    [row] = await conn.fetch("SELECT id FROM standbys WHERE worker_id = $1", uuid.UUID(second.id))
    late = await client.post(f"/v1/standbys/{row['id']}/withdraw", headers=second.auth)
    assert late.status == 409 and (await late.json())["reason"] == "cutoff_passed"


async def test_an_unskilled_worker_or_one_holding_a_seat_of_the_shift_is_refused(client, conn, settings):
    employer = await factories.employer(client)
    order = await standby_order(client, employer, headcount=2, standby=1)
    unskilled = await factories.worker(client)
    response = await sign_up(client, unskilled, order)
    assert response.status == 409 and (await response.json())["reason"] == "missing_skill"
    seated, _ = await seat(client, conn, settings, employer, order)
    response = await sign_up(client, seated, order)
    assert response.status == 409 and (await response.json())["reason"] == "overlap"
    assert await standbys(conn, order) == []
    # and the database refuses it whatever the service judged (either way round)
    shift_id = uuid.UUID(order["shifts"][0]["id"])
    with pytest.raises(asyncpg.ExclusionViolationError) as refused:
        await conn.execute("INSERT INTO standbys (shift_id, order_id, worker_id, organisation_id, period, amount_fen) "
                           "SELECT id, order_id, $2, $3, period, 3000 FROM shifts WHERE id = $1",
                           shift_id, uuid.UUID(seated.id), uuid.UUID(employer.id))
    assert refused.value.constraint_name == "standbys_not_while_assigned"
    standby = await on_call(client, conn, order)
    with pytest.raises(asyncpg.ExclusionViolationError) as refused:
        await conn.execute("INSERT INTO assignments (shift_id, order_id, worker_id, organisation_id, period, rate_fen) "
                           "SELECT id, order_id, $2, $3, period, 2500 FROM shifts WHERE id = $1",
                           shift_id, uuid.UUID(standby.id), uuid.UUID(employer.id))
    assert refused.value.constraint_name == "assignments_not_while_on_standby"
    # which the one place seats are given reads as a refused seat (a run records it, an acceptance a 409)
    with pytest.raises(SeatTaken) as taken:
        await hold_seat(conn, shift_id=shift_id, worker_id=uuid.UUID(standby.id), rate_fen=2500)
    assert taken.value.extra["reason"] == "on_standby"


async def test_two_workers_racing_for_the_last_standby_seat_one_gets_it(client, conn):
    employer = await factories.employer(client)
    order = await standby_order(client, employer, headcount=2, standby=1)
    workers = [await skilled_worker(client, conn) for _ in range(6)]
    responses = await asyncio.gather(*(sign_up(client, w, order) for w in workers))
    statuses = sorted(r.status for r in responses)
    assert statuses == [201] + [409] * 5
    assert {(await r.json())["reason"] for r in responses if r.status == 409} == {"standby_full"}
    assert await conn.fetchval("SELECT standby_held FROM shifts WHERE id = $1",
                               uuid.UUID(order["shifts"][0]["id"])) == 1


async def test_a_cancelled_seat_goes_to_the_first_standby_on_a_short_clock_and_the_next_on_a_decline(
        client, conn, settings):
    employer = await factories.employer(client)
    order = await standby_order(client, employer, headcount=2, standby=2)
    worker, assignment_id = await seat(client, conn, settings, employer, order)
    first = await on_call(client, conn, order)
    second = await on_call(client, conn, order)
    cancelled = await client.post(f"/v1/assignments/{assignment_id}/cancel", json={"reason": "家里有事"},
                                  headers=worker.auth)
    assert cancelled.status == 200, await cancelled.text()
    [offer] = await offers_of(client, first, "pending")
    assert await offers_of(client, second, "pending") == []
    row = await conn.fetchrow("SELECT created_at, expires_at, run_id FROM offers WHERE id = $1",
                              uuid.UUID(offer["id"]))
    assert row["expires_at"] - row["created_at"] == timedelta(minutes=15) and row["run_id"] is None
    made = await conn.fetchval("SELECT payload ->> 'standby_id' FROM events WHERE kind = 'offer.made' "
                               "AND payload ->> 'offer_id' = $1", offer["id"])
    assert made is not None
    declined = await client.post(f"/v1/offers/{offer['id']}/decline", headers=first.auth)
    assert declined.status == 200, await declined.text()
    [offer] = await offers_of(client, second, "pending")
    accepted = await client.post(f"/v1/offers/{offer['id']}/accept", headers=second.auth)
    assert accepted.status == 200, await accepted.text()
    assert await standbys(conn, order) == [(first.id, "passed"), (second.id, "called")]
    seats = await conn.fetch("SELECT worker_id FROM assignments WHERE shift_id = $1 AND state = 'active'",
                             uuid.UUID(order["shifts"][0]["id"]))
    assert [str(r["worker_id"]) for r in seats] == [second.id]
    # both standby holds went back: only the seat's own hold remains
    holds = await conn.fetchval("SELECT count(*) FROM journal_entries WHERE business_key LIKE 'standby_release:%'")
    assert holds == 2


async def test_a_standby_offered_while_the_seat_is_taken_back_one_seat_is_held_the_other_refused(
        client, conn, settings):
    for _ in range(3):
        employer = await factories.employer(client)
        order = await standby_order(client, employer)
        worker, assignment_id = await seat(client, conn, settings, employer, order)
        standby = await on_call(client, conn, order)
        await client.post(f"/v1/assignments/{assignment_id}/cancel", json={"reason": "x"}, headers=worker.auth)
        [offer] = await offers_of(client, standby, "pending")
        # the seat is filled by another path (the one place seats are given) while the offer is open
        other = await skilled_worker(client, conn)


        accepted, taken = await asyncio.gather(
            client.post(f"/v1/offers/{offer['id']}/accept", headers=standby.auth),
            _take_back(client, uuid.UUID(order["shifts"][0]["id"]), uuid.UUID(other.id)),
            return_exceptions=True)
        active = await conn.fetchval("SELECT count(*) FROM assignments WHERE shift_id = $1 AND state = 'active'",
                                     uuid.UUID(order["shifts"][0]["id"]))
        assert active == 1
        if accepted.status == 200:
            assert isinstance(taken, Exception) and "seat" in str(taken)
        else:
            assert accepted.status == 409 and (await accepted.json())["reason"] == "seat_taken"
            assert not isinstance(taken, Exception)


async def _take_back(client, shift_id: uuid.UUID, worker_id: uuid.UUID) -> uuid.UUID:
    """The seat given to another worker by the one place seats are given, in a transaction of its own."""
    async with client.app[DB].acquire() as conn, conn.transaction():
        return await hold_seat(conn, shift_id=shift_id, worker_id=worker_id, rate_fen=2500)


async def _no_show_vacancy(client, conn, settings, standby: int = 1):
    employer = await factories.employer(client)
    order = await standby_order(client, employer, headcount=standby, standby=standby)
    worker, assignment_id = await seat(client, conn, settings, employer, order)
    standby = await on_call(client, conn, order)
    # the worker did not come: the employer marked the no-show (the seat is free again)
    await conn.execute("UPDATE assignments SET state = 'no_show', ended_at = now() WHERE id = $1",
                       uuid.UUID(assignment_id))
    return employer, order, standby


async def test_the_sweep_offers_a_no_shows_seat_once_even_run_twice_at_once(client, conn, settings):
    employer, order, standby = await _no_show_vacancy(client, conn, settings)
    service = client.app[STANDBY]
    counts = await asyncio.gather(service.sweep(), service.sweep(), service.sweep())
    assert sum(c.offered for c in counts) == 1
    [offer] = await offers_of(client, standby, "pending")
    assert await standbys(conn, order) == [(standby.id, "offered")]
    assert (await service.sweep()).offered == 0
    # the order is still filled (the no-show did not reopen it): the standby takes the seat all the same
    assert await conn.fetchval("SELECT state FROM orders WHERE id = $1", uuid.UUID(order["id"])) == "filled"
    accepted = await client.post(f"/v1/offers/{offer['id']}/accept", headers=standby.auth)
    assert accepted.status == 200, await accepted.text()
    assert await standbys(conn, order) == [(standby.id, "called")]


async def test_a_lapsed_standby_offer_passes_to_the_next(client, conn, settings):
    employer, order, first = await _no_show_vacancy(client, conn, settings, standby=2)
    second = await on_call(client, conn, order)
    service = client.app[STANDBY]
    await service.sweep()
    [offer] = await offers_of(client, first, "pending")
    later = datetime.now(timezone.utc) + timedelta(minutes=16)
    counts = await service.sweep(now=later)
    assert counts.passed == 1 and counts.offered == 1
    assert [o["id"] for o in await offers_of(client, first, "expired")] == [offer["id"]]
    assert await standbys(conn, order) == [(first.id, "passed"), (second.id, "offered")]


async def test_standby_workers_not_called_are_paid_once_at_the_shifts_end(client, conn, settings):
    employer = await factories.employer(client)
    order = await standby_order(client, employer, headcount=2, standby=2)
    workers = [await on_call(client, conn, order) for _ in range(2)]
    held_before = await held_fen(client, employer)
    end = datetime.now(timezone.utc) - timedelta(minutes=1)
    await conn.execute("UPDATE standbys SET period = tstzrange($2, $3) WHERE order_id = $1",
                       uuid.UUID(order["id"]), end - timedelta(hours=4), end)
    service = client.app[STANDBY]
    counts = await asyncio.gather(service.sweep(), service.sweep())
    assert sum(c.paid for c in counts) == 2
    assert (await service.sweep()).paid == 0
    assert [s for _, s in await standbys(conn, order)] == ["released_paid", "released_paid"]
    assert await held_fen(client, employer) == held_before - 2 * AMOUNT
    for worker in workers:
        payable = await conn.fetchval(
            "SELECT -balance_fen FROM ledger_accounts WHERE kind = 'worker_payable' AND holder_id = $1",
            uuid.UUID(worker.id))
        assert payable == AMOUNT
    assert await conn.fetchval("SELECT count(*) FROM payables WHERE source = 'compensation' AND payee_id = ANY($1)",
                               [uuid.UUID(w.id) for w in workers]) == 2
    assert await conn.fetchval("SELECT count(*) FROM journal_entries WHERE business_key LIKE 'standby_pay:%' "
                               "AND order_id = $1", uuid.UUID(order["id"])) == 2
    report = await client.app[SETTLEMENTS].ledger_check()  # every entry balances, every cache its journal
    assert report.ok, report.problems


async def test_cancelling_the_order_ends_its_standbys_and_gives_their_holds_back(client, conn, settings):
    employer = await factories.employer(client)
    order = await standby_order(client, employer, headcount=2, standby=2)
    held_before = await held_fen(client, employer)
    worker, assignment_id = await seat(client, conn, settings, employer, order)
    await on_call(client, conn, order)
    await on_call(client, conn, order)
    await client.post(f"/v1/assignments/{assignment_id}/cancel", json={"reason": "x"}, headers=worker.auth)
    assert [s for _, s in await standbys(conn, order)] == ["offered", "on_call"]
    assert await held_fen(client, employer) == held_before + 2 * AMOUNT
    cancelled = await client.post(f"/v1/orders/{order['id']}/cancel", json={"reason": "客户取消"},
                                  headers=employer.auth)
    assert cancelled.status == 200, await cancelled.text()
    counts = await client.app[STANDBY].sweep()
    assert counts.withdrawn == 2
    assert [s for _, s in await standbys(conn, order)] == ["withdrawn", "withdrawn"]
    assert await held_fen(client, employer) == held_before
    assert (await client.app[STANDBY].sweep()).withdrawn == 0


async def test_a_blocked_worker_or_one_hiding_the_employer_is_not_taken_on_standby(client, conn):
    """Standby is judged as a bid is: the employer's block and the worker's hide refuse it (docs/favourites.md)."""
    employer = await factories.employer(client)
    order = await standby_order(client, employer, headcount=2, standby=2)
    blocked, hiding = await skilled_worker(client, conn), await skilled_worker(client, conn)
    for worker in (blocked, hiding):  # an employer relates only to workers who dealt with it
        assert (await client.post(f"/v1/orders/{order['id']}/bids", headers=worker.auth, json={
            "shift_ids": [order["shifts"][0]["id"]], "rate_fen": 3000})).status == 201
    relation = await client.put(f"/v1/organisations/me/workers/{blocked.id}/relation",
                                json={"kind": "blocked", "reason": "迟到"}, headers=employer.auth)
    assert relation.status == 200, await relation.text()
    hidden = await client.put(f"/v1/workers/me/hidden-employers/{employer.id}", headers=hiding.auth)
    assert hidden.status == 200, await hidden.text()
    for worker, reason in ((blocked, "blocked"), (hiding, "hidden")):
        refused = await sign_up(client, worker, order)
        assert refused.status == 409, await refused.text()
        assert (await refused.json())["reason"] == reason
    assert await standbys(conn, order) == []
