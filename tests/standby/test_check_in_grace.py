"""The automatic no-show (docs/standby.md): on a shift with a standby worker on call, a seat whose
worker has not checked in by MARKET_STANDBY_CHECK_IN_GRACE after the start is recorded a no-show by
the platform (attendance's own no-show: the seat's hold back, the event saying who) and offered to
the standby; without anyone on call nothing happens; a late check-in is a 409 replaced_by_standby;
a check-in racing the sweep, and two sweeps racing, are decided by the database."""
import asyncio
import json
import uuid
from datetime import datetime, timedelta

import pytest

from market.attendance.keys import ATTENDANCE
from market.errors import Conflict
from market.standby.keys import STANDBY
from tests import factories
from tests.allocation.support import offers_of, quiet
from tests.settlement.support import SITE, principal_of
from tests.standby.support import held_fen, on_call, seat, standby_order, standbys

GRACE = timedelta(minutes=15)


@pytest.fixture
def settings(settings):
    return quiet(settings)


async def _late_seat(client, conn, settings, *, standby: bool = True):
    """A one-seat shift with one standby seat, a worker seated and (unless not) one on call."""
    employer = await factories.employer(client)
    order = await standby_order(client, employer)
    worker, assignment_id = await seat(client, conn, settings, employer, order)
    waiting = await on_call(client, conn, order) if standby else None
    start = datetime.fromisoformat(order["shifts"][0]["start"])
    return employer, order, worker, uuid.UUID(assignment_id), waiting, start


async def _states(conn, assignment_id):
    return tuple(await conn.fetchrow(
        "SELECT a.state, t.state, t.no_show_by FROM assignments a LEFT JOIN timesheets t ON t.assignment_id = a.id "
        "WHERE a.id = $1", assignment_id))


async def _events(conn, kind):
    return [json.loads(r["payload"]) for r in await conn.fetch(
        "SELECT payload FROM events WHERE kind = $1 ORDER BY id", kind)]


async def test_before_the_grace_nothing_happens(client, conn, settings):
    _, order, _, assignment_id, standby, start = await _late_seat(client, conn, settings)
    counts = await client.app[STANDBY].sweep(now=start + GRACE - timedelta(seconds=1))
    assert counts.no_shows == 0 and counts.offered == 0
    assert (await _states(conn, assignment_id))[0] == "active"
    assert await standbys(conn, order) == [(standby.id, "on_call")]


async def test_after_the_grace_with_a_standby_the_platform_records_the_no_show_and_offers_the_seat(
        client, conn, settings):
    employer, order, worker, assignment_id, standby, start = await _late_seat(client, conn, settings)
    held_before = await held_fen(client, employer)
    seat_hold = await conn.fetchval("SELECT amount_fen FROM escrow_holds WHERE assignment_id = $1", assignment_id)
    counts = await client.app[STANDBY].sweep(now=start + GRACE)
    assert counts.no_shows == 1 and counts.offered == 1
    assert await _states(conn, assignment_id) == ("no_show", "no_show", "platform")
    # the money: the seat's escrow hold went back to the employer, once
    assert await held_fen(client, employer) == held_before - seat_hold
    assert await conn.fetchval("SELECT count(*) FROM journal_entries WHERE business_key = $1",
                               f"hold_release:{assignment_id}") == 1
    assert await _events(conn, "assignment.no_show") == [
        {"assignment_id": str(assignment_id), "recorded_by": "platform"}]
    [made] = [e for e in await _events(conn, "offer.made") if e.get("standby_id")]
    [standby_row] = await conn.fetch("SELECT id FROM standbys WHERE order_id = $1", uuid.UUID(order["id"]))
    assert made["standby_id"] == str(standby_row["id"])
    [offer] = await offers_of(client, standby, "pending")
    assert offer["id"] == made["offer_id"]
    assert await standbys(conn, order) == [(standby.id, "offered")]
    assert (await client.app[STANDBY].sweep(now=start + GRACE)).no_shows == 0


async def test_after_the_grace_without_a_standby_nothing_is_automatic(client, conn, settings):
    _, _, _, assignment_id, _, start = await _late_seat(client, conn, settings, standby=False)
    counts = await client.app[STANDBY].sweep(now=start + 2 * GRACE)
    assert counts.no_shows == 0
    assert (await _states(conn, assignment_id))[0] == "active"


async def test_an_employer_no_show_says_it_was_the_employer(client, conn, settings):
    employer, _, _, assignment_id, _, start = await _late_seat(client, conn, settings, standby=False)
    who = await principal_of(client, employer)
    await client.app[ATTENDANCE].no_show(who, assignment_id, now=start + timedelta(minutes=30))
    assert await _states(conn, assignment_id) == ("no_show", "no_show", "employer")
    assert await _events(conn, "assignment.no_show") == [
        {"assignment_id": str(assignment_id), "recorded_by": "employer"}]


async def test_a_check_in_after_the_platforms_no_show_is_409_replaced_by_standby(client, conn, settings):
    _, _, worker, assignment_id, _, start = await _late_seat(client, conn, settings)
    await client.app[STANDBY].sweep(now=start + GRACE)
    late = await client.post(f"/v1/assignments/{assignment_id}/check-in", headers=worker.auth,
                             json={"lat": SITE[0], "lon": SITE[1]})
    assert late.status == 409, await late.text()
    assert late.content_type == "application/problem+json"
    problem = await late.json()
    assert problem["reason"] == "replaced_by_standby" and "standby" in problem["detail"]


async def test_a_check_in_before_the_grace_keeps_the_seat(client, conn, settings):
    _, order, worker, assignment_id, standby, start = await _late_seat(client, conn, settings)
    who = await principal_of(client, worker)
    await client.app[ATTENDANCE].check_in(who, assignment_id, *SITE, now=start + timedelta(minutes=10))
    counts = await client.app[STANDBY].sweep(now=start + GRACE)
    assert counts.no_shows == 0 and counts.offered == 0
    assert (await _states(conn, assignment_id))[:2] == ("active", "open")
    assert await standbys(conn, order) == [(standby.id, "on_call")]


async def test_a_check_in_racing_the_automatic_no_show_exactly_one_wins(client, conn, settings):
    for _ in range(3):
        _, order, worker, assignment_id, standby, start = await _late_seat(client, conn, settings)
        who = await principal_of(client, worker)
        moment = start + GRACE + timedelta(minutes=1)
        checked_in, counts = await asyncio.gather(
            client.app[ATTENDANCE].check_in(who, assignment_id, *SITE, now=moment),
            client.app[STANDBY].sweep(now=moment), return_exceptions=True)
        assert not isinstance(counts, BaseException), counts
        if isinstance(checked_in, BaseException):
            assert isinstance(checked_in, Conflict) and checked_in.extra.get("reason") == "replaced_by_standby", \
                checked_in
            assert counts.no_shows == 1 and counts.offered == 1
            assert await _states(conn, assignment_id) == ("no_show", "no_show", "platform")
            assert await standbys(conn, order) == [(standby.id, "offered")]
        else:
            assert counts.no_shows == 0 and counts.offered == 0
            assert checked_in.checked_in_at == moment
            assert (await _states(conn, assignment_id))[:2] == ("active", "open")
            assert await standbys(conn, order) == [(standby.id, "on_call")]


async def test_two_sweeps_at_once_record_one_no_show_and_make_one_offer(client, conn, settings):
    _, order, _, assignment_id, standby, start = await _late_seat(client, conn, settings)
    service = client.app[STANDBY]
    counts = await asyncio.gather(*(service.sweep(now=start + GRACE) for _ in range(3)))
    assert sum(c.no_shows for c in counts) == 1
    assert sum(c.offered for c in counts) == 1
    assert len(await _events(conn, "assignment.no_show")) == 1
    assert len(await offers_of(client, standby, "pending")) == 1
    assert await standbys(conn, order) == [(standby.id, "offered")]
