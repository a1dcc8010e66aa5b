"""A closed pair ends the worker's standbys on the employer's shifts (docs/standby.md): a block or
a hide withdraws the on-call standbys in its transaction, their holds back once, with
standby.withdrawn saying why (the block to the employer only); an offered standby's offer is
withdrawn by the block and the sweep passes it on."""
import asyncio
import json
import uuid

import pytest

from market.standby.keys import STANDBY
from tests import factories
from tests.allocation.support import offers_of, quiet, skilled_worker
from tests.standby.support import AMOUNT, held_fen, on_call, seat, sign_up, standby_order, standbys


@pytest.fixture
def settings(settings):
    return quiet(settings)


async def _dealt_and_on_call(client, conn, order):
    """A worker who bid on the order (an employer relates only to workers who dealt with it), on call."""
    worker = await skilled_worker(client, conn)
    placed = await client.post(f"/v1/orders/{order['id']}/bids", headers=worker.auth, json={
        "shift_ids": [order["shifts"][0]["id"]], "rate_fen": 3000})
    assert placed.status == 201, await placed.text()
    joined = await sign_up(client, worker, order)
    assert joined.status == 201, await joined.text()
    return worker


async def _withdrawn_events(conn):
    return [(json.loads(r["payload"]), [str(w) for w in r["worker_ids"]]) for r in await conn.fetch(
        "SELECT payload, worker_ids FROM events WHERE kind = 'standby.withdrawn' ORDER BY id")]


async def test_a_block_or_a_hide_withdraws_the_workers_standbys_and_gives_the_holds_back(client, conn):
    employer = await factories.employer(client)
    order = await standby_order(client, employer, headcount=3, standby=3)
    blocked, hiding, staying = [await _dealt_and_on_call(client, conn, order) for _ in range(3)]
    held_before = await held_fen(client, employer)
    relation = await client.put(f"/v1/organisations/me/workers/{blocked.id}/relation",
                                json={"kind": "blocked", "reason": "迟到"}, headers=employer.auth)
    assert relation.status == 200, await relation.text()
    hidden = await client.put(f"/v1/workers/me/hidden-employers/{employer.id}", headers=hiding.auth)
    assert hidden.status == 200, await hidden.text()
    assert await standbys(conn, order) == [(blocked.id, "withdrawn"), (hiding.id, "withdrawn"),
                                           (staying.id, "on_call")]
    assert await held_fen(client, employer) == held_before - 2 * AMOUNT
    ids = {str(r["worker_id"]): r["id"] for r in await conn.fetch(
        "SELECT id, worker_id FROM standbys WHERE order_id = $1", uuid.UUID(order["id"]))}
    for worker in (blocked, hiding):
        assert await conn.fetchval("SELECT count(*) FROM journal_entries WHERE business_key = $1",
                                   f"standby_release:{ids[worker.id]}") == 1
    events = await _withdrawn_events(conn)
    assert [(e["standby_id"], e["reason"], who) for e, who in events] == [
        (str(ids[blocked.id]), "blocked", []),  # a block is never named to the worker
        (str(ids[hiding.id]), "hidden", [hiding.id])]
    # blocking again changes nothing more
    again = await client.put(f"/v1/organisations/me/workers/{blocked.id}/relation",
                             json={"kind": "blocked", "reason": "迟到"}, headers=employer.auth)
    assert again.status == 200
    assert await held_fen(client, employer) == held_before - 2 * AMOUNT
    assert len(await _withdrawn_events(conn)) == 2


async def test_a_blocked_standby_holding_an_offer_has_it_withdrawn_and_the_sweep_passes_it_on(
        client, conn, settings):
    employer = await factories.employer(client)
    order = await standby_order(client, employer, headcount=2, standby=2)
    worker, assignment_id = await seat(client, conn, settings, employer, order)
    first = await on_call(client, conn, order)
    second = await on_call(client, conn, order)
    cancelled = await client.post(f"/v1/assignments/{assignment_id}/cancel", json={"reason": "x"},
                                  headers=worker.auth)
    assert cancelled.status == 200, await cancelled.text()
    assert await standbys(conn, order) == [(first.id, "offered"), (second.id, "on_call")]
    held_before = await held_fen(client, employer)
    relation = await client.put(f"/v1/organisations/me/workers/{first.id}/relation",
                                json={"kind": "blocked", "reason": "态度"}, headers=employer.auth)
    assert relation.status == 200, await relation.text()
    assert await offers_of(client, first, "pending") == []
    counts = await client.app[STANDBY].sweep()
    assert counts.passed == 1 and counts.offered == 1
    assert await standbys(conn, order) == [(first.id, "passed"), (second.id, "offered")]
    assert await held_fen(client, employer) == held_before - AMOUNT
    assert len(await offers_of(client, second, "pending")) == 1


async def test_a_block_racing_a_sign_up_leaves_no_active_standby(client, conn):
    """The pair's advisory lock orders them: the sign-up refused (blocked) or withdrawn by the block."""
    employer = await factories.employer(client)
    order = await standby_order(client, employer, headcount=3, standby=3)
    for _ in range(3):
        worker = await skilled_worker(client, conn)
        placed = await client.post(f"/v1/orders/{order['id']}/bids", headers=worker.auth, json={
            "shift_ids": [order["shifts"][0]["id"]], "rate_fen": 3000})
        assert placed.status == 201, await placed.text()
        held_before = await held_fen(client, employer)
        joined, blocked = await asyncio.gather(
            sign_up(client, worker, order),
            client.put(f"/v1/organisations/me/workers/{worker.id}/relation",
                       json={"kind": "blocked", "reason": "迟到"}, headers=employer.auth))
        assert blocked.status == 200, await blocked.text()
        assert joined.status in (201, 409), await joined.text()
        if joined.status == 409:
            assert (await joined.json())["reason"] == "blocked"
        assert [s for w, s in await standbys(conn, order) if w == worker.id] in ([], ["withdrawn"])
        assert await held_fen(client, employer) == held_before
