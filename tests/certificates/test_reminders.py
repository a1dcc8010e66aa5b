"""Expiry reminders: 30 and 7 days before a verified certificate stops counting, each exactly once
(however many sweeps run), to the worker and to each employer whose future seats outlast it."""
import asyncio
import json
import uuid
from datetime import timedelta

from market.certificates.keys import CERTIFICATES
from tests import factories
from tests.certificates.support import cook, verified
from tests.settlement.support import assign, now_local, shift_at


async def reminders(conn) -> list[tuple[str, dict, list, list]]:
    rows = await conn.fetch("SELECT kind, payload, worker_ids, organisation_ids FROM events "
                            "WHERE kind = 'certificate.expiring' ORDER BY id")
    return [(r["kind"], json.loads(r["payload"]), r["worker_ids"], r["organisation_ids"]) for r in rows]


async def test_the_30_and_the_7_day_reminders_each_go_once(client, conn):
    worker = await factories.worker(client)
    certificate = await verified(client, worker, valid_days=30)
    service = client.app[CERTIFICATES]
    now = now_local()
    assert await service.send_reminders(now=now - timedelta(days=1)) == 0  # 31 days ahead: not yet
    assert sum(await asyncio.gather(service.send_reminders(now=now), service.send_reminders(now=now))) == 1
    assert await service.send_reminders(now=now + timedelta(days=5)) == 0
    assert await service.send_reminders(now=now + timedelta(days=23)) == 1  # 7 days ahead
    assert await service.send_reminders(now=now + timedelta(days=29)) == 0
    assert await service.send_reminders(now=now + timedelta(days=31)) == 0  # no longer counts
    sent = await reminders(conn)
    assert [(p["days_before"], p["certificate_id"], p["valid_until"]) for _, p, _, _ in sent] == [
        (30, certificate["id"], certificate["valid_until"]), (7, certificate["id"], certificate["valid_until"])]
    assert all(w == [uuid.UUID(worker.id)] and o == [] for _, _, w, o in sent)


async def test_employers_with_future_seats_outlasting_the_certificate_are_told_with_those_seats(client, conn):
    affected, unaffected = await factories.employer(client), await factories.employer(client)
    worker = await factories.worker(client)
    await cook(conn, worker)
    await verified(client, worker, valid_days=20)
    now = now_local()
    seats = {}
    for employer, days in ((affected, 25), (unaffected, 10)):
        _, shift_id = await shift_at(client, conn, employer, now + timedelta(days=days),
                                     now + timedelta(days=days, hours=4))
        await conn.execute("INSERT INTO order_skills (order_id, skill_code, min_level, certificate_required) "
                           "SELECT order_id, 'cook', 1, true FROM shifts WHERE id = $1", shift_id)
        seats[employer.id] = await assign(conn, shift_id, worker)
    assert await client.app[CERTIFICATES].send_reminders(now=now) == 1
    sent = await reminders(conn)
    to_employers = [(o, p["assignment_ids"]) for _, p, _, o in sent if o]
    assert to_employers == [([uuid.UUID(affected.id)], [str(seats[affected.id])])]
    [(_, to_worker, workers, _)] = [s for s in sent if not s[3]]
    assert workers == [uuid.UUID(worker.id)] and to_worker["assignment_ids"] == []


async def test_a_renewed_certificate_silences_the_old_ones_reminders(client, conn):
    worker = await factories.worker(client)
    await verified(client, worker, valid_days=20)
    await verified(client, worker, valid_days=300)
    assert await client.app[CERTIFICATES].send_reminders(now=now_local()) == 0


async def test_employers_can_subscribe_to_the_reminder(client):
    from market.webhooks.model import EVENT_KINDS

    document = await (await client.get("/openapi.json")).json()
    assert "certificate.expiring" in EVENT_KINDS and "certificate.expiring" in document["webhooks"]
