"""The fan-in: each event that matters to a person becomes one notification per channel, once,
however many consumers race; the sweeps; quiet hours; opt-out; the hourly allowance."""
import asyncio
import uuid
from datetime import datetime, time, timedelta

import pytest

from market.app import create_app
from market.kernel.clock import SHANGHAI
from market.notifications.keys import NOTIFICATIONS
from tests import factories
from tests.notifications.support import event, offer_made, put_preferences, quick, rows
from tests.settlement.support import assign, shift_at


@pytest.fixture
async def app_client(settings, aiohttp_client):
    return await aiohttp_client(create_app(quick(settings, notifications_default_channels=("log",))))


async def _case(conn, worker, employer) -> uuid.UUID:
    """A case the worker opened and the employer answered (rows as the cases service writes them)."""
    async with conn.transaction():
        case_id = await conn.fetchval(
            "INSERT INTO cases (kind, state, worker_id, organisation_id, district_code, statement, answer) "
            "VALUES ('late_pay', 'answered', $1, $2, '500103', '工资晚发', '已补发') RETURNING id",
            uuid.UUID(worker.id), uuid.UUID(employer.id))
        await conn.execute("INSERT INTO case_transitions (case_id, account_id, role, move, from_state, to_state) "
                           "VALUES ($1, $2, 'worker', 'open', NULL, 'open'), "
                           "($1, $3, 'employer', 'answer', 'open', 'answered')",
                           case_id, uuid.UUID(worker.account_id), uuid.UUID(employer.account_id))
    return case_id


async def test_each_event_kind_becomes_one_notification_even_with_two_consumers_racing(app_client, conn):
    client = app_client
    worker, employer = await factories.worker(client), await factories.employer(client)
    service = client.app[NOTIFICATIONS]
    w, o = [worker.id], [employer.id]
    assignment = {"assignment_id": str(uuid.uuid4()), "order_id": str(uuid.uuid4()), "approved_minutes": 240}
    await event(conn, "offer.made", offer_made(worker.id), workers=w)
    await event(conn, "timesheet.approved", assignment, workers=w, organisations=o)
    await event(conn, "timesheet.auto_approved", {**assignment, "assignment_id": str(uuid.uuid4())},
                workers=w, organisations=o)
    certificate = {"certificate_id": str(uuid.uuid4()), "worker_id": worker.id, "kind": "health",
                   "valid_until": "2027-01-01", "days_before": 30}
    await event(conn, "certificate.expiring", {**certificate, "assignment_ids": []}, workers=w)
    case_id = await _case(conn, worker, employer)
    await event(conn, "case.moved", {"case_id": str(case_id), "kind": "late_pay", "state": "open", "move": "open"},
                workers=w, organisations=o)
    await event(conn, "case.moved", {"case_id": str(case_id), "kind": "late_pay", "state": "answered",
                                     "move": "answer"}, workers=w, organisations=o)
    await event(conn, "order.posted", {"order_id": str(uuid.uuid4()), "kind": "gig", "title": "x", "district_code": "500103"},
                organisations=o)  # not a person's
    made = await asyncio.gather(*(service.fan_in() for _ in range(4)))
    assert sum(made) == 5
    assert await asyncio.gather(service.fan_in(), service.fan_in()) == [0, 0]
    got = await rows(conn, worker.account_id)
    assert sorted(r["kind"] for r in got) == sorted(["offer.made", "timesheet.approved", "timesheet.approved",
                                                     "certificate.expiring", "case.answered"])
    assert {r["channel"] for r in got} == {"log"} and await rows(conn, employer.account_id) == []
    # the message says what happened, in Beijing time, with the ids it is about
    offer = next(r for r in got if r["kind"] == "offer.made")
    assert "仓库分拣" in offer["message"]["body"] and offer["event_key"] == f"event:{offer['event_id']}"


async def test_the_answerer_is_not_told_of_their_own_answer(app_client, conn):
    client = app_client
    worker, employer = await factories.worker(client), await factories.employer(client)
    case_id = await _case(conn, worker, employer)
    await event(conn, "case.moved", {"case_id": str(case_id), "kind": "late_pay", "state": "answered",
                                     "move": "answer"}, workers=[worker.id], organisations=[employer.id])
    await client.app[NOTIFICATIONS].fan_in()
    assert [r["kind"] for r in await rows(conn, worker.account_id)] == ["case.answered"]
    assert await rows(conn, employer.account_id) == []


async def test_the_sweeps_remind_of_an_expiring_offer_a_shift_tomorrow_and_a_check_in_once(app_client, conn):
    client = app_client
    worker, employer = await factories.worker(client), await factories.employer(client)
    service = client.app[NOTIFICATIONS]
    now = datetime.now(SHANGHAI)
    # a seat starting in 20 minutes (check in), an offer lapsing in 10 minutes
    _, soon = await shift_at(client, conn, employer, now + timedelta(minutes=20), now + timedelta(hours=3))
    await assign(conn, soon, worker)
    _, offered = await shift_at(client, conn, employer, now + timedelta(days=3), now + timedelta(days=3, hours=3))
    await conn.execute("INSERT INTO offers (order_id, shift_id, worker_id, rate_fen, expires_at) "
                       "SELECT order_id, id, $2, 3000, now() + interval '10 minutes' FROM shifts WHERE id = $1",
                       offered, uuid.UUID(worker.id))
    made = await asyncio.gather(service.sweep(), service.sweep(), service.sweep())
    # Run in the evening (from 18:00) with the seat starting after midnight, the seat is also tomorrow's.
    soon_is_tomorrow = now.time() >= time(18) and (now + timedelta(minutes=20)).date() > now.date()
    expected = sorted(["checkin.reminder", "offer.expiring"] + (["shift.tomorrow"] if soon_is_tomorrow else []))
    assert sum(made) == len(expected)
    kinds = sorted(r["kind"] for r in await rows(conn, worker.account_id))
    assert kinds == expected
    # a shift tomorrow: told from 18:00 Beijing time the evening before, once
    tomorrow = datetime.combine(now.date() + timedelta(days=1), time(9), SHANGHAI)
    _, shift = await shift_at(client, conn, employer, tomorrow, tomorrow + timedelta(hours=4))
    await assign(conn, shift, worker)
    afternoon = datetime.combine(now.date(), time(15), SHANGHAI)
    evening = datetime.combine(now.date(), time(19), SHANGHAI)
    assert await service.sweep(at=afternoon) == 0
    assert sum(await asyncio.gather(service.sweep(at=evening), service.sweep(at=evening))) == 1
    assert await service.sweep(at=evening) == 0
    told = [r for r in await rows(conn, worker.account_id) if r["kind"] == "shift.tomorrow"]
    assert len(told) == 1 and "09:00" in told[0]["message"]["body"]


async def test_quiet_hours_hold_a_notification_until_they_end_but_not_an_expiring_offer(app_client, conn):
    client = app_client
    worker = await factories.worker(client)
    now = datetime.now(SHANGHAI)
    start, end = (now - timedelta(hours=1)).time(), (now + timedelta(hours=1)).time()
    await put_preferences(client, worker, quiet_hours={"start": start.strftime("%H:%M"), "end": end.strftime("%H:%M")})
    await event(conn, "offer.made", offer_made(worker.id), workers=[worker.id])
    service = client.app[NOTIFICATIONS]
    await service.fan_in()
    [row] = await rows(conn, worker.account_id)
    due = row["next_attempt_at"].astimezone(SHANGHAI)
    assert due > now and due.strftime("%H:%M") == end.strftime("%H:%M")
    await conn.execute("UPDATE notifications SET next_attempt_at = now()")  # due, yet still in quiet hours
    async with __import__("aiohttp").ClientSession() as session:
        channels = service.channels(session)
        await service.deliver_due(channels)
        [row] = await rows(conn, worker.account_id)
        assert row["state"] == "pending" and row["attempts"] == 0 and row["last_error"] == "quiet hours"
        assert row["next_attempt_at"].astimezone(SHANGHAI).strftime("%H:%M") == end.strftime("%H:%M")
        # the exception: an offer about to lapse goes at once
        await conn.execute("INSERT INTO notifications (event_key, account_id, channel, kind, message) "
                           "VALUES ('offer.expiring:x', $1, 'log', 'offer.expiring', '{}')",
                           uuid.UUID(worker.account_id))
        await service.deliver_due(channels)
    states = {r["kind"]: r["state"] for r in await rows(conn, worker.account_id)}
    assert states == {"offer.made": "pending", "offer.expiring": "sent"}


async def test_nothing_is_made_or_sent_for_a_person_who_opted_out(app_client, conn):
    client = app_client
    worker, other = await factories.worker(client), await factories.worker(client)
    service = client.app[NOTIFICATIONS]
    await event(conn, "offer.made", offer_made(worker.id), workers=[worker.id])
    await service.fan_in()  # made before the opt-out: cancelled at delivery
    await put_preferences(client, worker, opted_out=True)
    await event(conn, "offer.made", offer_made(worker.id), workers=[worker.id, other.id])
    await service.fan_in()
    async with __import__("aiohttp").ClientSession() as session:
        await service.deliver_due(service.channels(session))
    assert [(r["state"], r["last_error"]) for r in await rows(conn, worker.account_id)] == [("cancelled", "opted out")]
    assert [r["state"] for r in await rows(conn, other.account_id)] == ["sent"]


async def test_the_hourly_allowance_holds_the_excess_even_with_two_deliverers_racing(settings, aiohttp_client, conn):
    client = await aiohttp_client(create_app(quick(settings, notifications_default_channels=("log",),
                                                   notifications_per_hour=3)))
    worker = await factories.worker(client)
    service = client.app[NOTIFICATIONS]
    for _ in range(7):
        await event(conn, "offer.made", offer_made(worker.id), workers=[worker.id])
    await service.fan_in()
    async with __import__("aiohttp").ClientSession() as session:
        channels = service.channels(session)
        await asyncio.gather(*(service.deliver_due(channels) for _ in range(3)))
        await asyncio.gather(*(service.deliver_due(channels) for _ in range(3)))
    got = await rows(conn, worker.account_id)
    sent = [r for r in got if r["state"] == "sent"]
    held = [r for r in got if r["state"] == "pending"]
    assert len(sent) == 3 and len(held) == 4
    first = min(r["slot_at"] for r in sent)
    assert all(r["last_error"] == "rate limit" and r["attempts"] == 0 for r in held)
    assert all(abs(r["next_attempt_at"] - (first + timedelta(hours=1))) < timedelta(seconds=5) for r in held)


async def test_a_claim_whose_worker_died_is_sent_once_its_lease_runs_out(app_client, conn):
    """At least once: a worker killed between claiming and recording (kill -9) leaves the row
    pending under a lease; when it runs out, another worker sends it."""
    from market.notifications import queries

    client = app_client
    worker = await factories.worker(client)
    service = client.app[NOTIFICATIONS]
    await event(conn, "offer.made", offer_made(worker.id), workers=[worker.id])
    await service.fan_in()
    async with client.app[NOTIFICATIONS].pool.acquire() as pooled:
        [claimed] = await queries.claim_due(pooled, 10, timedelta(minutes=5))  # ...and then the process died
    async with __import__("aiohttp").ClientSession() as session:
        channels = service.channels(session)
        assert await service.deliver_due(channels) == 0  # leased: nobody else takes it
        await conn.execute("UPDATE notifications SET next_attempt_at = now() WHERE id = $1", claimed.id)
        assert await service.deliver_due(channels) == 1
    [row] = await rows(conn, worker.account_id)
    assert row["state"] == "sent" and row["attempts"] == 2


async def test_a_reminder_held_past_its_moment_by_quiet_hours_is_cancelled_not_sent(app_client, conn):
    client = app_client
    worker = await factories.worker(client)
    service = client.app[NOTIFICATIONS]
    payload = offer_made(worker.id, minutes=-1)  # lapsed a minute ago (held through the night, say)
    await event(conn, "offer.made", payload, workers=[worker.id])
    await service.fan_in()
    async with __import__("aiohttp").ClientSession() as session:
        await service.deliver_due(service.channels(session))
    [row] = await rows(conn, worker.account_id)
    assert row["state"] == "cancelled" and row["last_error"].startswith("too late")
