"""Employer webhooks: signed deliveries from the outbox, retries with backoff, SSRF refusals, owners only."""
import asyncio
import json
from datetime import timedelta

import pytest
from aiohttp import web

from market.app import create_app
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


async def test_a_receiver_gets_signed_deliveries_it_can_verify_with_the_secret(loopback_client, aiohttp_server):
    client, receiver = loopback_client, Receiver()
    server = await _receiver(aiohttp_server, receiver)
    employer = await factories.employer(client)
    hook = await _subscribe(client, employer, str(server.make_url("/hook")))
    assert hook["secret"].startswith("whsec_")
    listed = await (await client.get("/v1/webhooks", headers=employer.auth)).json()
    assert "secret" not in listed["items"][0]
    order = await factories.post_order(client, employer, factories.gig_order_body())
    await asyncio.wait_for(receiver.got.wait(), 10)
    headers, body, _ = receiver.calls[0]
    assert model.verify(hook["secret"], headers[model.SIGNATURE_HEADER], body)
    assert not model.verify("whsec_wrong", headers[model.SIGNATURE_HEADER], body)
    event = json.loads(body)
    assert event["kind"] == "order.posted" and event["data"]["order_id"] == order["id"]
    assert headers[model.EVENT_ID_HEADER] == str(event["id"])
    deliveries = await (await client.get(f"/v1/webhooks/{hook['id']}/deliveries", headers=employer.auth)).json()
    for _ in range(50):
        if deliveries["items"][0]["state"] == "delivered":
            break
        await asyncio.sleep(0.05)
        deliveries = await (await client.get(f"/v1/webhooks/{hook['id']}/deliveries", headers=employer.auth)).json()
    assert deliveries["items"][0]["state"] == "delivered" and deliveries["items"][0]["attempts"] == 1


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
    assert len({h[model.EVENT_ID_HEADER] for h, _, _ in receiver.calls}) == 1  # same event id: receivers dedupe
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
