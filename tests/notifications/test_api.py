"""The API: preferences (validated, nothing half-written, racing writers leave one row), the
person's delivery log (paginated, one state per channel), the operator's log, push subscriptions;
and the real flow from an auto-approved timesheet to the payout that pays it."""
import asyncio
import uuid
from datetime import timedelta

import aiohttp
import pytest

from market.accounts.keys import ACCOUNTS
from market.app import create_app
from market.notifications.keys import NOTIFICATIONS
from market.settlement.keys import SETTLEMENTS
from tests import factories
from tests.notifications.support import event, offer_made, put_preferences, quick, rows
from tests.security.world_notifications import AUTH, P256DH
from tests.settlement.support import approved_but_unfunded, fund, now_local


@pytest.fixture
async def app_client(settings, aiohttp_client):
    return await aiohttp_client(create_app(quick(settings, notifications_default_channels=("log",))))


async def test_preferences_round_trip_and_the_phone_is_shown_masked_and_kept(app_client):
    client = app_client
    worker = await factories.worker(client)
    first = await (await client.get("/v1/notifications/preferences", headers=worker.auth)).json()
    assert first == {"opted_out": False, "channels": {}, "default_channels": ["log"], "quiet_hours": None,
                     "phone_masked": None, "wechat_linked": False, "web_push_subscribed": False}
    await put_preferences(client, worker, channels={"offer.made": ["sms", "log", "log"]}, phone="13800138000",
                          quiet_hours={"start": "22:00", "end": "07:00"})
    got = await put_preferences(client, worker, channels={"offer.made": ["sms", "log"]},
                                quiet_hours={"start": "22:30", "end": "06:45"})
    assert got["channels"] == {"offer.made": ["log", "sms"]} and got["phone_masked"] == "138****8000"
    assert got["quiet_hours"] == {"start": "22:30", "end": "06:45"}


@pytest.mark.parametrize(("body", "field"), [
    ({"channels": {"offer.maed": ["log"]}}, "offer.maed"),
    ({"channels": {"offer.made": ["pigeon"]}}, "channels"),
    ({"phone": "1234"}, "phone"),
    ({"quiet_hours": {"start": "22:00", "end": "22:00"}}, "quiet_hours"),
    ({"wechat_openid": "no spaces allowed here"}, "wechat_openid"),
    ({"opted_out": "yes"}, "opted_out"),
])
async def test_a_bad_preference_is_a_422_naming_the_field_and_changes_nothing(app_client, body, field):
    client = app_client
    worker = await factories.worker(client)
    await put_preferences(client, worker, opted_out=False, channels={"payout.paid": ["log"]})
    response = await client.put("/v1/notifications/preferences", json={"opted_out": True, **body},
                                headers=worker.auth)
    assert response.status == 422 and response.content_type == "application/problem+json"
    assert field in await response.text()
    after = await (await client.get("/v1/notifications/preferences", headers=worker.auth)).json()
    assert after["opted_out"] is False and after["channels"] == {"payout.paid": ["log"]}


async def test_racing_writers_leave_one_row_of_preferences_and_one_subscription(app_client, conn):
    client = app_client
    worker = await factories.worker(client)
    bodies = [{"channels": {"offer.made": ["log"]}, "quiet_hours": {"start": f"2{i}:00", "end": "07:00"}}
              for i in range(4)]
    answers = await asyncio.gather(*(client.put("/v1/notifications/preferences", json=b, headers=worker.auth)
                                     for b in bodies))
    assert [a.status for a in answers] == [200] * 4
    assert await conn.fetchval("SELECT count(*) FROM notification_preferences WHERE account_id = $1",
                               uuid.UUID(worker.account_id)) == 1
    subscription = {"endpoint": "https://push.example.com/send/one", "keys": {"p256dh": P256DH, "auth": AUTH}}
    answers = await asyncio.gather(*(client.post("/v1/notifications/web-push/subscriptions", json=subscription,
                                                 headers=worker.auth) for _ in range(4)))
    assert [a.status for a in answers] == [201] * 4
    assert len({(await a.json())["id"] for a in answers}) == 1
    gone = await asyncio.gather(*(client.delete("/v1/notifications/web-push/subscriptions",
                                                json={"endpoint": subscription["endpoint"]}, headers=worker.auth)
                                  for _ in range(3)))
    assert sorted(a.status for a in gone) == [204, 404, 404]


async def test_the_log_is_the_persons_own_paginated_with_each_channels_state_and_the_operator_sees_all(
        app_client, conn):
    client = app_client
    worker, other = await factories.worker(client), await factories.worker(client)
    await put_preferences(client, worker, channels={"offer.made": ["log", "web_push"]})
    response = await client.post("/v1/notifications/web-push/subscriptions", headers=worker.auth, json={
        "endpoint": "https://push.invalid/send/x", "keys": {"p256dh": P256DH, "auth": AUTH}})
    assert response.status == 201
    for _ in range(2):
        await event(conn, "offer.made", offer_made(worker.id), workers=[worker.id])
    service = client.app[NOTIFICATIONS]
    await service.fan_in()
    async with aiohttp.ClientSession() as session:
        await service.deliver_due(service.channels(session))
    first = await (await client.get("/v1/notifications?limit=3", headers=worker.auth)).json()
    assert len(first["items"]) == 3 and first["next_cursor"]
    second = await (await client.get(f"/v1/notifications?limit=3&cursor={first['next_cursor']}",
                                     headers=worker.auth)).json()
    items = first["items"] + second["items"]
    assert len(items) == 4 and second["next_cursor"] is None
    states = sorted((i["channel"], i["state"]) for i in items)
    assert states[:2] == [("log", "sent"), ("log", "sent")]
    assert {s for c, s in states if c == "web_push"} <= {"pending", "failed"}  # push.invalid does not resolve
    assert (await (await client.get("/v1/notifications", headers=other.auth)).json())["items"] == []
    admin = await client.app[ACCOUNTS].create_staff("admin", "运营", [])
    everyone = await (await client.get(f"/v1/admin/notifications?account_id={worker.account_id}&state=sent",
                                       headers={"Authorization": f"Bearer {admin.token}"})).json()
    assert [(i["channel"], i["account_id"]) for i in everyone["items"]] == [("log", worker.account_id)] * 2


async def test_an_approved_timesheet_and_its_payout_each_tell_the_worker_once(app_client, conn):
    client = app_client
    employer, worker, _ = await approved_but_unfunded(client, conn)  # auto-approved: timesheet.auto_approved
    settlements = client.app[SETTLEMENTS]
    later = now_local() + timedelta(days=1)
    await fund(client, employer, 10**6)
    assert (await settlements.sweep(now=later))["settled"] == 1
    await settlements.confirm_batch(await settlements.run_payouts((later + timedelta(days=30)).date()))
    service = client.app[NOTIFICATIONS]
    for _ in range(100):  # the relay sequences the approval's event
        if await conn.fetchval("SELECT count(*) FROM events WHERE seq IS NULL") == 0:
            break
        await asyncio.sleep(0.02)
    await asyncio.gather(service.fan_in(), service.fan_in(), service.sweep(), service.sweep())
    await asyncio.gather(service.fan_in(), service.sweep())
    kinds = sorted(r["kind"] for r in await rows(conn, worker.account_id))
    assert kinds == ["payout.paid", "timesheet.approved"]
    paid = next(r for r in await rows(conn, worker.account_id) if r["kind"] == "payout.paid")
    assert "元已发放" in paid["message"]["body"] and paid["message"]["data"]["amount_fen"] > 0


async def test_the_browser_gets_the_service_worker_and_the_subscribe_script(app_client):
    for name, needle in (("notifications-sw.js", "showNotification"), ("notifications.js", "pushManager.subscribe")):
        response = await app_client.get(f"/static/{name}")
        assert response.status == 200 and needle in await response.text()
