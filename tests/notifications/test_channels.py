"""Each channel against a local fake of its provider: Aliyun SMS SendSms (the signature checked as
Aliyun documents it), WeChat subscribeMessage.send (with its access_token), Web Push (the
encrypted body decrypted here with http_ece, the VAPID header checked)."""
import asyncio
import base64
import hashlib
import hmac
import json
import logging
import os
import urllib.parse
import uuid
from datetime import UTC, datetime, timedelta

import aiohttp
import http_ece
import pytest
from aiohttp import web
from pydantic import SecretStr
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from market.app import create_app
from market.notifications.keys import NOTIFICATIONS
from tests import factories
from tests.notifications.support import event, offer_made, put_preferences, quick, rows

SECRET = "test-secret-of-aliyun"


def _aliyun_encode(text: str) -> str:
    # Aliyun's documented percentEncode (RPC signature v1)
    return urllib.parse.quote(text, safe="").replace("+", "%20").replace("*", "%2A").replace("%7E", "~")


class FakeAliyun:
    def __init__(self, fail_first: int = 0) -> None:
        self.calls: list[dict] = []
        self.nonces: set[str] = set()
        self.fail_first = fail_first

    async def handle(self, request: web.Request) -> web.Response:
        assert request.method == "POST" and not request.query  # the number travels in the body only
        params = dict(await request.post())
        signature = params.pop("Signature")
        canonical = "&".join(f"{_aliyun_encode(k)}={_aliyun_encode(v)}" for k, v in sorted(params.items()))
        to_sign = "POST&%2F&" + _aliyun_encode(canonical)
        expected = base64.b64encode(hmac.new((SECRET + "&").encode(), to_sign.encode(), hashlib.sha1).digest()).decode()
        if signature != expected:
            return web.json_response({"Code": "SignatureDoesNotMatch", "Message": "bad"}, status=400)
        stamp = datetime.strptime(params["Timestamp"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        if abs(datetime.now(UTC) - stamp) > timedelta(minutes=15) or params["SignatureNonce"] in self.nonces:
            return web.json_response({"Code": "SignatureNonceUsed"}, status=400)
        self.nonces.add(params["SignatureNonce"])
        self.calls.append(params)
        if len(self.calls) <= self.fail_first:
            return web.json_response({"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "触发流控"})
        return web.json_response({"Code": "OK", "Message": "OK", "BizId": "900619746936498440^0", "RequestId": "x"})


async def test_sms_goes_through_aliyun_signed_as_documented_and_the_phone_is_kept_sealed(
        settings, aiohttp_client, aiohttp_server, conn, caplog):
    fake = FakeAliyun(fail_first=1)
    app = web.Application()
    app.router.add_post("/", fake.handle)
    server = await aiohttp_server(app)
    client = await aiohttp_client(create_app(quick(
        settings, notifications_sms_endpoint=str(server.make_url("/")), notifications_sms_access_key_id="LTAI-test",
        notifications_sms_access_key_secret=SecretStr(SECRET), notifications_sms_template_code="SMS_123")))
    worker = await factories.worker(client)
    phone = "13912345678"
    prefs = await put_preferences(client, worker, channels={"offer.made": ["sms"]}, phone=phone)
    assert prefs["phone_masked"] == "139****5678"
    stored = await conn.fetchrow("SELECT * FROM notification_preferences WHERE account_id = $1",
                                 uuid.UUID(worker.account_id))
    assert phone.encode() not in stored["phone_sealed"] and phone not in str(dict(stored))
    caplog.set_level(logging.DEBUG)
    await event(conn, "offer.made", offer_made(worker.id), workers=[worker.id])
    service = client.app[NOTIFICATIONS]
    await service.fan_in()
    async with aiohttp.ClientSession() as session:
        channels = service.channels(session)
        for _ in range(100):
            await service.deliver_due(channels)
            [row] = await rows(conn, worker.account_id)
            if row["state"] != "pending":
                break
            await asyncio.sleep(0.03)
    assert row["channel"] == "sms" and row["state"] == "sent" and row["attempts"] == 2  # throttled once, retried
    assert [c["PhoneNumbers"] for c in fake.calls] == [phone, phone]
    assert fake.calls[-1]["TemplateCode"] == "SMS_123" and json.loads(fake.calls[-1]["TemplateParam"])["title"]
    assert phone not in caplog.text


async def test_a_bad_signature_is_refused_by_the_fake_and_the_notification_fails_without_retry(
        settings, aiohttp_client, aiohttp_server, conn):
    fake = FakeAliyun()
    app = web.Application()
    app.router.add_post("/", fake.handle)
    server = await aiohttp_server(app)
    client = await aiohttp_client(create_app(quick(
        settings, notifications_sms_endpoint=str(server.make_url("/")), notifications_sms_access_key_id="LTAI-test",
        notifications_sms_access_key_secret=SecretStr("a-wrong-secret"))))
    worker = await factories.worker(client)
    await put_preferences(client, worker, channels={"offer.made": ["sms"]}, phone="13912345678")
    await event(conn, "offer.made", offer_made(worker.id), workers=[worker.id])
    service = client.app[NOTIFICATIONS]
    await service.fan_in()
    async with aiohttp.ClientSession() as session:
        await service.deliver_due(service.channels(session))
    [row] = await rows(conn, worker.account_id)
    assert row["state"] == "failed" and row["last_error"] == "aliyun: SignatureDoesNotMatch" and fake.calls == []


class FakeWeChat:
    def __init__(self) -> None:
        self.tokens_issued = 0
        self.sent: list[dict] = []

    async def token(self, request: web.Request) -> web.Response:
        q = request.query
        if (q.get("grant_type"), q.get("appid"), q.get("secret")) != ("client_credential", "wx-app", "wx-secret"):
            return web.json_response({"errcode": 40013, "errmsg": "invalid appid"})
        self.tokens_issued += 1
        return web.json_response({"access_token": f"TOKEN{self.tokens_issued}", "expires_in": 7200})

    async def send(self, request: web.Request) -> web.Response:
        if request.query.get("access_token") != f"TOKEN{self.tokens_issued}" or self.tokens_issued < 2:
            return web.json_response({"errcode": 42001, "errmsg": "access_token expired"})
        self.sent.append(await request.json())
        return web.json_response({"errcode": 0, "errmsg": "ok"})


async def test_wechat_subscription_message_with_a_fresh_access_token(settings, aiohttp_client, aiohttp_server, conn):
    fake = FakeWeChat()
    app = web.Application()
    app.router.add_get("/cgi-bin/token", fake.token)
    app.router.add_post("/cgi-bin/message/subscribe/send", fake.send)
    server = await aiohttp_server(app)
    client = await aiohttp_client(create_app(quick(
        settings, notifications_wechat_base_url=str(server.make_url("/")), notifications_wechat_app_id="wx-app",
        notifications_wechat_app_secret=SecretStr("wx-secret"), notifications_wechat_template_id="TPL-1")))
    worker = await factories.worker(client)
    openid = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"
    prefs = await put_preferences(client, worker, channels={"offer.made": ["wechat", "log"]}, wechat_openid=openid)
    assert prefs["wechat_linked"] is True and openid not in json.dumps(prefs)
    await event(conn, "offer.made", offer_made(worker.id), workers=[worker.id])
    service = client.app[NOTIFICATIONS]
    await service.fan_in()
    async with aiohttp.ClientSession() as session:
        await service.deliver_due(service.channels(session))
    assert {r["channel"]: r["state"] for r in await rows(conn, worker.account_id)} == {"wechat": "sent", "log": "sent"}
    [body] = fake.sent
    assert body["touser"] == openid and body["template_id"] == "TPL-1" and body["data"]["thing1"]["value"]
    assert fake.tokens_issued == 2  # the expired token was replaced once


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


async def test_web_push_payload_decrypts_with_the_browsers_keys_and_carries_our_vapid_key(
        settings, aiohttp_client, aiohttp_server, conn):
    received: list[tuple[dict, bytes]] = []

    async def push(request: web.Request) -> web.Response:
        received.append(({k.lower(): v for k, v in request.headers.items()}, await request.read()))
        return web.Response(status=410 if request.match_info["id"] == "gone" else 201)

    app = web.Application()
    app.router.add_post("/push/{id}", push)
    server = await aiohttp_server(app)
    client = await aiohttp_client(create_app(quick(settings, notifications_web_push_allow_http=True,
                                                   notifications_default_channels=("web_push",))))
    worker = await factories.worker(client)
    browser = ec.generate_private_key(ec.SECP256R1())
    p256dh = _b64(browser.public_key().public_bytes(serialization.Encoding.X962,
                                                     serialization.PublicFormat.UncompressedPoint))
    auth = os.urandom(16)
    for name in ("live", "gone"):
        response = await client.post("/v1/notifications/web-push/subscriptions", headers=worker.auth, json={
            "endpoint": str(server.make_url(f"/push/{name}")), "keys": {"p256dh": p256dh, "auth": _b64(auth)}})
        assert response.status == 201, await response.text()
    public = (await (await client.get("/v1/notifications/web-push/public-key")).json())["public_key"]
    assert len(_unb64(public)) == 65
    await event(conn, "offer.made", offer_made(worker.id), workers=[worker.id])
    service = client.app[NOTIFICATIONS]
    await service.fan_in()
    async with aiohttp.ClientSession() as session:
        await service.deliver_due(service.channels(session))
    [row] = await rows(conn, worker.account_id)
    assert row["channel"] == "web_push" and row["state"] == "sent"
    assert len(received) == 2
    headers, body = received[0]
    assert headers["content-encoding"] == "aes128gcm" and headers["ttl"] == "3600"
    message = json.loads(http_ece.decrypt(body, private_key=browser, auth_secret=auth, version="aes128gcm"))
    assert message["kind"] == "offer.made" and message["title"] == "新的工作邀请" and "仓库分拣" in message["body"]
    scheme, _, params = headers["authorization"].partition(" ")
    fields = dict(part.split("=", 1) for part in params.split(","))
    assert scheme == "vapid" and fields["k"] == public
    claims = json.loads(_unb64(fields["t"].split(".")[1]))
    assert claims["aud"] == f"http://{server.host}:{server.port}" and claims["sub"].startswith("mailto:")
    # the push service said the second subscription is gone: it is removed
    left = await conn.fetch("SELECT endpoint FROM notification_web_push_subscriptions WHERE account_id = $1",
                            uuid.UUID(worker.account_id))
    assert [r["endpoint"] for r in left] == [str(server.make_url("/push/live"))]


@pytest.mark.parametrize("endpoint", ["http://127.0.0.1/push/x", "ftp://example.com/x"])
async def test_a_push_endpoint_must_be_https(client, endpoint):
    worker = await factories.worker(client)
    response = await client.post("/v1/notifications/web-push/subscriptions", headers=worker.auth, json={
        "endpoint": endpoint, "keys": {"p256dh": "B" + "A" * 86, "auth": "A" * 22}})
    assert response.status == 422 and "endpoint" in await response.text()


async def test_serve_pushes_to_public_addresses_only(settings, aiohttp_client, aiohttp_server, conn):
    """A push endpoint is the person's to give: one resolving to loopback (or any private address)
    is refused at connection time, and nothing reaches it."""
    from market.notifications.channels import PublicOnlyResolver

    hits: list[int] = []

    async def push(request: web.Request) -> web.Response:
        hits.append(1)
        return web.Response(status=201)

    app = web.Application()
    app.router.add_post("/push", push)
    server = await aiohttp_server(app)
    client = await aiohttp_client(create_app(quick(settings, notifications_default_channels=("web_push",))))
    worker = await factories.worker(client)
    browser = ec.generate_private_key(ec.SECP256R1())
    p256dh = _b64(browser.public_key().public_bytes(serialization.Encoding.X962,
                                                     serialization.PublicFormat.UncompressedPoint))
    response = await client.post("/v1/notifications/web-push/subscriptions", headers=worker.auth, json={
        "endpoint": f"https://localhost:{server.port}/push", "keys": {"p256dh": p256dh, "auth": _b64(os.urandom(16))}})
    assert response.status == 201
    await event(conn, "offer.made", offer_made(worker.id), workers=[worker.id])
    service = client.app[NOTIFICATIONS]
    await service.fan_in()
    async with aiohttp.ClientSession() as session, \
            aiohttp.ClientSession(connector=aiohttp.TCPConnector(resolver=PublicOnlyResolver())) as push_session:
        await service.deliver_due(service.channels(session, push_session))
    [row] = await rows(conn, worker.account_id)
    # refused by the resolver (aiohttp reports it as a DNS error; reaching the plain-http fake would
    # have been an SSL error), and retried later like any failed attempt
    assert row["state"] == "pending" and "ClientConnectorDNSError" in row["last_error"] and hits == []


async def test_two_serve_loops_racing_send_each_notification_once(settings, aiohttp_client, aiohttp_server, conn):
    """Two apps on one database, each running the worker as serve does (fan-in, sweeps, delivery):
    the provider gets each notification exactly once."""
    fake = FakeAliyun()
    app = web.Application()
    app.router.add_post("/", fake.handle)
    server = await aiohttp_server(app)
    racing = quick(settings, notifications_in_serve=True, notifications_poll_interval=timedelta(milliseconds=10),
                   notifications_sms_endpoint=str(server.make_url("/")), notifications_sms_access_key_id="LTAI-test",
                   notifications_sms_access_key_secret=SecretStr(SECRET), notifications_default_channels=("sms",))
    first = await aiohttp_client(create_app(racing))
    await aiohttp_client(create_app(racing))
    workers = [await factories.worker(first) for _ in range(3)]
    for i, worker in enumerate(workers):
        await put_preferences(first, worker, phone=f"1391234567{i}")
    for _ in range(4):
        for worker in workers:
            await event(conn, "offer.made", offer_made(worker.id), workers=[worker.id])
    for _ in range(400):
        if await conn.fetchval("SELECT count(*) FROM notifications WHERE state = 'sent'") == 12:
            break
        await asyncio.sleep(0.025)
    await asyncio.sleep(0.3)  # time for a duplicate to show, were there one
    assert await conn.fetchval("SELECT count(*) FROM notifications") == 12
    assert await conn.fetchval("SELECT count(*) FROM notifications WHERE state = 'sent'") == 12
    assert sorted(c["PhoneNumbers"] for c in fake.calls) == sorted(f"1391234567{i}" for i in range(3) for _ in range(4))
