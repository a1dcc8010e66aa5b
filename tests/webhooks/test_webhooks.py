"""Employer webhooks: Standard Webhooks deliveries from the outbox, retries with backoff, SSRF refusals, owners only."""
import asyncio
import base64
import re
import time
import uuid
from datetime import timedelta

import aiohttp
import asyncpg
import pytest
import standardwebhooks
from aiohttp import web

from market import db
from market.app import create_app
from market.webhooks.keys import WEBHOOKS
from market.webhooks import model
from tests import factories


@pytest.fixture
def loopback_settings(settings):
    return settings.model_copy(update={
        "webhooks_allow_loopback": True, "webhooks_poll_interval": timedelta(milliseconds=50),
        "webhooks_retry_first": timedelta(milliseconds=50), "webhooks_retry_cap": timedelta(milliseconds=200),
        "webhooks_retry_for": timedelta(seconds=30), "webhooks_timeout": timedelta(seconds=2)})


@pytest.fixture
async def loopback_client(loopback_settings, aiohttp_client):
    return await aiohttp_client(create_app(loopback_settings))


class Receiver:
    def __init__(self, fail_first: int = 0) -> None:
        self.fail_first = fail_first
        self.calls: list[tuple[dict, bytes, float]] = []
        self.got = asyncio.Event()

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.calls.append((dict(request.headers), body, asyncio.get_running_loop().time()))
        if len(self.calls) <= self.fail_first:
            return web.Response(status=500)
        self.got.set()
        return web.Response(status=204)


async def _receiver(aiohttp_server, receiver: Receiver):
    app = web.Application()
    app.router.add_post("/hook", receiver.handle)
    return await aiohttp_server(app)


async def _subscribe(client, employer, url, events=("order.posted",)):
    response = await client.post("/v1/webhooks", json={"url": url, "events": list(events)}, headers=employer.auth)
    assert response.status == 201, await response.text()
    return await response.json()


async def _delivery_row(conn, webhook_id: str, settled: bool = True):
    """The webhook's one delivery row; with `settled`, once the worker has written the attempt's
    outcome (the receiver answers before the row is updated)."""
    query = "SELECT * FROM webhook_deliveries WHERE webhook_id = $1"
    for _ in range(200):
        row = await conn.fetchrow(query, uuid.UUID(webhook_id))
        if row is not None and (not settled or row["state"] != "pending"):
            return row
        await asyncio.sleep(0.05)
    raise AssertionError("the delivery was not settled")


async def test_a_receiver_verifies_a_delivery_with_the_standard_webhooks_library(loopback_client, aiohttp_server):
    client, receiver = loopback_client, Receiver()
    server = await _receiver(aiohttp_server, receiver)
    employer = await factories.employer(client)
    hook = await _subscribe(client, employer, str(server.make_url("/hook")))
    listed = await (await client.get("/v1/webhooks", headers=employer.auth)).json()
    assert "secret" not in listed["items"][0]
    order = await factories.post_order(client, employer, factories.gig_order_body())
    await asyncio.wait_for(receiver.got.wait(), 10)
    headers, body, _ = receiver.calls[0]
    event = standardwebhooks.Webhook(hook["secret"]).verify(body, headers)
    assert event["kind"] == "order.posted" and event["data"]["order_id"] == order["id"]
    assert headers["webhook-id"] == str(event["id"])
    assert re.fullmatch(r"[0-9]+", headers["webhook-timestamp"])
    assert re.fullmatch(r"v1,[A-Za-z0-9+/]{43}=", headers["webhook-signature"])
    assert not any(name.lower().startswith("market-") for name in headers)  # the Stripe-style header is gone


async def test_the_library_refuses_a_tampered_body_a_wrong_secret_and_an_old_timestamp(loopback_client,
                                                                                      aiohttp_server):
    client, receiver = loopback_client, Receiver()
    server = await _receiver(aiohttp_server, receiver)
    employer = await factories.employer(client)
    hook = await _subscribe(client, employer, str(server.make_url("/hook")))
    await factories.post_order(client, employer, factories.gig_order_body())
    await asyncio.wait_for(receiver.got.wait(), 10)
    headers, body, _ = receiver.calls[0]
    verifier = standardwebhooks.Webhook(hook["secret"])
    tampered = body.replace(b'"order.posted"', b'"order.filled"')
    assert tampered != body
    with pytest.raises(standardwebhooks.WebhookVerificationError, match="No matching signature"):
        verifier.verify(tampered, headers)
    other_secret = (await _subscribe(client, employer, str(server.make_url("/hook"))))["secret"]
    with pytest.raises(standardwebhooks.WebhookVerificationError, match="No matching signature"):
        standardwebhooks.Webhook(other_secret).verify(body, headers)
    # The same message signed for an attempt ten minutes ago is a replay: refused for its age alone.
    message_id, now = headers["webhook-id"], int(time.time())
    verifier.verify(body, model.signed_headers(hook["secret"], message_id, now, body))
    with pytest.raises(standardwebhooks.WebhookVerificationError, match="too old"):
        verifier.verify(body, model.signed_headers(hook["secret"], message_id, now - 600, body))


async def test_a_retry_carries_the_same_webhook_id_with_a_fresh_timestamp_and_signature(loopback_settings,
                                                                                      aiohttp_client, aiohttp_server):
    # The retry waits at least 1.1 s, so its Unix second is a later one.
    settings = loopback_settings.model_copy(update={"webhooks_retry_first": timedelta(seconds=1.1),
                                                    "webhooks_retry_cap": timedelta(seconds=1.1)})
    client, receiver = await aiohttp_client(create_app(settings)), Receiver(fail_first=1)
    server = await _receiver(aiohttp_server, receiver)
    employer = await factories.employer(client)
    hook = await _subscribe(client, employer, str(server.make_url("/hook")))
    await factories.post_order(client, employer, factories.gig_order_body())
    await asyncio.wait_for(receiver.got.wait(), 10)
    (first, first_body, _), (retry, retry_body, _) = receiver.calls
    assert first_body == retry_body and first["webhook-id"] == retry["webhook-id"]
    assert int(retry["webhook-timestamp"]) > int(first["webhook-timestamp"])
    assert retry["webhook-signature"] != first["webhook-signature"]
    verifier = standardwebhooks.Webhook(hook["secret"])
    assert verifier.verify(first_body, first) == verifier.verify(retry_body, retry)


async def test_a_secret_made_by_the_api_is_a_standard_webhooks_secret(loopback_client):
    employer = await factories.employer(loopback_client)
    for _ in range(4):
        secret = (await _subscribe(loopback_client, employer, "http://127.0.0.1:9/hook"))["secret"]
        assert re.fullmatch(r"whsec_[A-Za-z0-9+/]+={0,2}", secret)
        key = base64.b64decode(secret.removeprefix("whsec_"), validate=True)
        assert 24 <= len(key) <= 64
        signed = model.signed_headers(secret, "1", int(time.time()), b"{}")
        assert standardwebhooks.Webhook(secret).verify(b"{}", signed) == {}  # the library derives the same key


async def test_an_old_scheme_secret_keeps_its_key_written_in_the_standard_alphabet(loopback_client, conn):
    employer = await factories.employer(loopback_client)
    hooks = [(await _subscribe(loopback_client, employer, "http://127.0.0.1:9/hook"))["id"] for _ in range(2)]
    plain_key, dashed_key = bytes(32), bytes(range(224, 256))
    old_bodies = [base64.urlsafe_b64encode(key).decode().rstrip("=") for key in (plain_key, dashed_key)]
    assert not set("-_") & set(old_bodies[0]) and set("-_") & set(old_bodies[1])
    old = ["whsec_" + body for body in old_bodies]
    await loopback_client.close()  # the schema is applied at start-up, with no service running on it
    async with conn.transaction():  # a database of before: the old secrets, no constraint
        await conn.execute("ALTER TABLE webhooks DROP CONSTRAINT webhooks_secret_standard")
        for hook_id, secret in zip(hooks, old):
            await conn.execute("UPDATE webhooks SET secret = $2 WHERE id = $1", uuid.UUID(hook_id), secret)
        await conn.execute("DELETE FROM schema_version")  # and a log that recorded none of the migrations
        await db.upgrade(conn)
    stored = [await conn.fetchval("SELECT secret FROM webhooks WHERE id = $1", uuid.UUID(h)) for h in hooks]
    assert [model.signing_key(secret) for secret in stored] == [plain_key, dashed_key]
    assert stored[1] == "whsec_" + base64.b64encode(dashed_key).decode()
    # The old string without '-' or '_' verifies as it is; the other once written in the standard alphabet.
    signed = model.signed_headers(stored[0], "7", int(time.time()), b"{}")
    assert standardwebhooks.Webhook(old[0]).verify(b"{}", signed) == {}
    signed = model.signed_headers(stored[1], "7", int(time.time()), b"{}")
    translated = "whsec_" + old_bodies[1].replace("-", "+").replace("_", "/")
    assert standardwebhooks.Webhook(translated).verify(b"{}", signed) == {}
    async with conn.transaction():
        await conn.execute("DELETE FROM schema_version")
        await db.upgrade(conn)  # applying the migrations again changes nothing
    assert [await conn.fetchval("SELECT secret FROM webhooks WHERE id = $1", uuid.UUID(h)) for h in hooks] == stored


async def test_the_database_refuses_a_secret_that_is_not_a_standard_webhooks_secret(loopback_client, conn):
    employer = await factories.employer(loopback_client)
    hook_id = uuid.UUID((await _subscribe(loopback_client, employer, "http://127.0.0.1:9/hook"))["id"])
    for secret in ("whsec_" + base64.urlsafe_b64encode(bytes(range(224, 256))).decode().rstrip("="),
                   "whsec_" + base64.b64encode(bytes(16)).decode(), base64.b64encode(bytes(32)).decode()):
        with pytest.raises(asyncpg.CheckViolationError) as refused:
            await conn.execute("UPDATE webhooks SET secret = $2 WHERE id = $1", hook_id, secret)
        assert refused.value.constraint_name == "webhooks_secret_standard"


async def test_a_delivered_delivery_has_no_next_attempt_in_the_database_or_the_log(loopback_client, aiohttp_server,
                                                                                 conn):
    client, receiver = loopback_client, Receiver()
    server = await _receiver(aiohttp_server, receiver)
    employer = await factories.employer(client)
    hook = await _subscribe(client, employer, str(server.make_url("/hook")))
    await factories.post_order(client, employer, factories.gig_order_body())
    row = await _delivery_row(conn, hook["id"])
    assert row["state"] == "delivered" and row["attempts"] == 1 and row["next_attempt_at"] is None
    [logged] = (await (await client.get(f"/v1/webhooks/{hook['id']}/deliveries", headers=employer.auth)).json())["items"]
    assert logged["state"] == "delivered" and logged["next_attempt_at"] is None


async def test_a_delivery_given_up_has_no_next_attempt(loopback_settings, aiohttp_client, aiohttp_server, conn):
    settings = loopback_settings.model_copy(update={"webhooks_retry_for": timedelta(0)})
    client, receiver = await aiohttp_client(create_app(settings)), Receiver(fail_first=1_000)
    server = await _receiver(aiohttp_server, receiver)
    employer = await factories.employer(client)
    hook = await _subscribe(client, employer, str(server.make_url("/hook")))
    await factories.post_order(client, employer, factories.gig_order_body())
    row = await _delivery_row(conn, hook["id"])
    assert row["state"] == "failed" and row["last_status"] == 500 and row["next_attempt_at"] is None


@pytest.fixture
async def quiet_client(loopback_settings, aiohttp_client):
    """No delivery worker in the app: the test drives enqueue and delivery itself."""
    return await aiohttp_client(create_app(loopback_settings.model_copy(update={"webhooks_in_serve": False})))


async def _enqueued(client, conn) -> None:
    """Deliveries are made from sequenced events: wait for the relay to sequence the order's event,
    then enqueue it as the worker would."""
    for _ in range(200):
        if await conn.fetchval("SELECT count(*) FROM events WHERE seq IS NOT NULL AND kind = 'order.posted'"):
            assert await client.app[WEBHOOKS].enqueue() == 1
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the event was not sequenced")


async def test_the_database_refuses_a_next_attempt_on_a_delivery_that_is_not_pending(quiet_client, conn):
    employer = await factories.employer(quiet_client)
    hook = await _subscribe(quiet_client, employer, "http://127.0.0.1:9/hook")
    await factories.post_order(quiet_client, employer, factories.gig_order_body())
    await _enqueued(quiet_client, conn)
    delivery_id = (await _delivery_row(conn, hook["id"], settled=False))["id"]
    for change in ("state = 'delivered', delivered_at = now()", "state = 'failed'", "next_attempt_at = NULL"):
        with pytest.raises(asyncpg.CheckViolationError) as refused:
            await conn.execute("UPDATE webhook_deliveries SET " + change + " WHERE id = $1", delivery_id)
        assert refused.value.constraint_name == "webhook_deliveries_next_attempt_only_when_pending"


async def test_two_delivery_workers_at_once_deliver_a_message_once(quiet_client, aiohttp_server, conn):
    receiver = Receiver()
    server = await _receiver(aiohttp_server, receiver)
    employer = await factories.employer(quiet_client)
    hook = await _subscribe(quiet_client, employer, str(server.make_url("/hook")))
    await factories.post_order(quiet_client, employer, factories.gig_order_body())
    await _enqueued(quiet_client, conn)
    webhooks = quiet_client.app[WEBHOOKS]
    async with aiohttp.ClientSession() as session:
        claimed = await asyncio.gather(*(webhooks.deliver_due(session) for _ in range(4)))
    assert sum(claimed) == 1 and len(receiver.calls) == 1
    row = await _delivery_row(conn, hook["id"])
    assert row["state"] == "delivered" and row["next_attempt_at"] is None


async def test_a_failing_receiver_gets_retries_that_back_off(loopback_client, aiohttp_server):
    client, receiver = loopback_client, Receiver(fail_first=3)
    server = await _receiver(aiohttp_server, receiver)
    employer = await factories.employer(client)
    hook = await _subscribe(client, employer, str(server.make_url("/hook")))
    await factories.post_order(client, employer, factories.gig_order_body())
    await asyncio.wait_for(receiver.got.wait(), 10)
    times = [at for _, _, at in receiver.calls]
    gaps = [b - a for a, b in zip(times, times[1:])]
    assert len(times) == 4 and gaps[0] >= 0.045 and gaps[1] >= 0.095 and gaps[2] >= 0.195
    assert len({h["webhook-id"] for h, _, _ in receiver.calls}) == 1  # one message id: receivers dedupe
    [delivery] = (await (await client.get(f"/v1/webhooks/{hook['id']}/deliveries", headers=employer.auth)).json())["items"]
    retried = await client.post(f"/v1/webhooks/{hook['id']}/deliveries/{delivery['id']}/retry", headers=employer.auth)
    assert retried.status == 200 and (await retried.json())["state"] == "pending"


def test_backoff_doubles_up_to_the_cap():
    first, cap = timedelta(seconds=30), timedelta(hours=1)
    assert [model.backoff(n, first, cap).total_seconds() for n in (1, 2, 3, 8, 20)] == [30, 60, 120, 3600, 3600]


@pytest.mark.parametrize("url", ["https://10.0.0.1/hook", "https://192.168.1.1/hook", "http://169.254.169.254/latest",
                                 "https://169.254.169.254/latest", "https://localhost/hook", "https://127.0.0.1/hook",
                                 "ftp://example.com/x", "https://[::1]/hook", "https://[2002:7f00:1::]/hook",
                                 "https://[2002:a00:1::]/hook", "https://[64:ff9b::7f00:1]/hook",
                                 "https://[2001:0:4136:e378:8000:63bf:80ff:fffe]/hook", "https://[::ffff:127.0.0.1]/hook"])
async def test_private_link_local_and_loopback_targets_are_refused(client, url):
    employer = await factories.employer(client)
    response = await client.post("/v1/webhooks", json={"url": url, "events": ["order.filled"]}, headers=employer.auth)
    assert response.status == 422, await response.text()
    assert ["url"] in [e["loc"] for e in (await response.json())["errors"]]


@pytest.mark.parametrize("address", ["2002:7f00:1::", "2002:7f00:1:0:1::", "64:ff9b::7f00:1",
                                     "2001:0:4136:e378:8000:63bf:80ff:fffe", "::ffff:127.0.0.1"])
def test_an_ipv6_address_embedding_loopback_is_refused_as_loopback(address):
    # 6to4 (2002::/16), NAT64 (64:ff9b::/96), Teredo (2001::/32) and IPv4-mapped addresses carry an
    # IPv4 address inside; each here carries 127.0.0.1.
    assert model.address_problem(address, allow_loopback=False) == "resolves to a loopback address"


@pytest.mark.parametrize("address", ["2002:a00:1::", "2002:a9fe:a9fe::", "64:ff9b::c0a8:101"])
def test_an_ipv6_address_embedding_a_private_or_link_local_ipv4_address_is_refused(address):
    assert model.address_problem(address, allow_loopback=False) is not None


def test_a_6to4_address_of_a_public_ipv4_address_is_allowed():
    assert model.address_problem("2002:808:808::", allow_loopback=False) is None


async def test_an_unknown_event_kind_is_a_422_naming_it(loopback_client):
    employer = await factories.employer(loopback_client)
    response = await loopback_client.post("/v1/webhooks", json={"url": "http://127.0.0.1:9/x", "events": ["nope.nope"]},
                                          headers=employer.auth)
    assert response.status == 422
    assert ["events", 0] in [e["loc"] for e in (await response.json())["errors"]]


async def test_another_employers_webhook_is_a_404(loopback_client):
    owner, other = await factories.employer(loopback_client), await factories.employer(loopback_client)
    hook = await _subscribe(loopback_client, owner, "http://127.0.0.1:9/hook")
    assert (await loopback_client.get(f"/v1/webhooks/{hook['id']}/deliveries", headers=other.auth)).status == 404
    assert (await loopback_client.delete(f"/v1/webhooks/{hook['id']}", headers=other.auth)).status == 404
    assert (await loopback_client.get("/v1/webhooks", headers=other.auth)).json is not None
    assert (await (await loopback_client.get("/v1/webhooks", headers=other.auth)).json())["items"] == []
    assert (await loopback_client.delete(f"/v1/webhooks/{hook['id']}", headers=owner.auth)).status == 204
    worker = await factories.worker(loopback_client)
    assert (await loopback_client.get("/v1/webhooks", headers=worker.auth)).status == 403


async def test_a_webhook_secret_is_never_kept_for_a_replay(loopback_client, conn):
    employer = await factories.employer(loopback_client)
    request = {"url": "http://127.0.0.1:9/hook", "events": ["order.posted"]}
    headers = {"Idempotency-Key": "hook-1", **employer.auth}
    first = await loopback_client.post("/v1/webhooks", json=request, headers=headers)
    hook = await first.json()
    stored = await conn.fetchval("SELECT string_agg(encode(response_body, 'escape'), '|') FROM idempotency_keys")
    assert hook["secret"] not in stored


async def test_a_repeated_webhook_subscription_is_a_409_naming_the_webhook_it_made(loopback_client, conn):
    employer = await factories.employer(loopback_client)
    request = {"url": "http://127.0.0.1:9/hook", "events": ["order.posted"]}
    headers = {"Idempotency-Key": "hook-2", **employer.auth}
    hook = await (await loopback_client.post("/v1/webhooks", json=request, headers=headers)).json()
    again = await loopback_client.post("/v1/webhooks", json=request, headers=headers)
    assert again.status == 409
    problem = await again.json()
    assert problem["type"] == "/problems/secret-not-replayed"
    assert problem["first_response"]["id"] == hook["id"]
    assert "secret" not in problem["first_response"]
    assert hook["secret"] not in await again.text()
    assert await conn.fetchval("SELECT count(*) FROM webhooks") == 1


async def test_a_case_against_the_employer_and_its_seat_s_agreement_reach_its_webhook(loopback_client, aiohttp_server,
                                                                                    conn):
    from tests.settlement.support import assign, fund, minutes, now_local, shift_at

    client, receiver = loopback_client, Receiver()
    server = await _receiver(aiohttp_server, receiver)
    employer, worker = await factories.employer(client, escrow_fen=0), await factories.worker(client)
    await fund(client, employer, 10**6)
    hook = await _subscribe(client, employer, str(server.make_url("/hook")), events=("case.moved", "agreement.ready"))
    start = now_local() + minutes(60)
    _, shift_id = await shift_at(client, conn, employer, start, start + minutes(180))
    assignment = await assign(conn, shift_id, worker, 3000)
    opened = await client.post("/v1/cases", headers=worker.auth, json={
        "kind": "safety", "assignment_id": str(assignment), "statement": "无安全帽"})
    assert opened.status == 201
    read = await client.get(f"/v1/assignments/{assignment}/agreement", headers=employer.auth)  # rendered on demand
    assert read.status == 200
    for _ in range(200):
        kinds = {standardwebhooks.Webhook(hook["secret"]).verify(body, headers)["kind"]
                 for headers, body, _ in receiver.calls}
        if kinds >= {"case.moved", "agreement.ready"}:
            break
        await asyncio.sleep(0.05)
    assert kinds == {"case.moved", "agreement.ready"}


async def test_the_agency_events_are_subscribable_and_a_mandate_grant_reaches_both_parties_webhooks(
        loopback_client, aiohttp_server, conn):
    from tests.organisations.test_agencies import agency, mandate

    client = loopback_client
    kinds = ["agency.licence_reviewed", "mandate.granted", "mandate.revoked"]
    employer, hr = await factories.employer(client), await agency(client, conn)
    receivers = {"client": Receiver(), "agency": Receiver()}
    hooks = {}
    for name, party in (("client", employer), ("agency", hr)):
        server = await _receiver(aiohttp_server, receivers[name])
        hooks[name] = await _subscribe(client, party, str(server.make_url("/hook")), events=kinds)
        assert set(hooks[name]["events"]) == set(kinds)
    granted = await mandate(client, employer, hr)
    for name in ("client", "agency"):
        await asyncio.wait_for(receivers[name].got.wait(), 10)
        headers, body, _ = receivers[name].calls[0]
        delivered = standardwebhooks.Webhook(hooks[name]["secret"]).verify(body, headers)
        assert delivered["kind"] == "mandate.granted" and delivered["data"]["mandate_id"] == granted["id"]
