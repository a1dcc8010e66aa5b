"""The events as /openapi.json documents them: every event type of the registry
(market/events/payloads.py) on the SSE streams it reaches and, if an employer can subscribe to it,
in the `webhooks` section, with one payload schema for both; and real events, read from a stream
with httpx-sse and from a webhook delivery, valid by the schemas documented for them. The registry
itself is held to the code: every kind an `emit` in market/ names is in it, and every kind in it is
emitted somewhere (tests/conftest.py holds each test's emitted payloads to it)."""
from __future__ import annotations

import ast
import asyncio
import json
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from aiohttp import web
from httpx_sse import aconnect_sse
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

import market
from market.app import create_app
from market.events.payloads import DISTRICT, EVENT_TYPES, ORGANISATION, STREAM_EVENT_TYPES, WORKER
from market.orders.model import OrderState
from market.webhooks.model import EVENT_KINDS
from tests import factories
from tests.api.test_bids import skilled_worker

STREAMS = {"/v1/workers/me/events": WORKER, "/v1/employers/me/events": ORGANISATION,
           "/v1/supervision/events": DISTRICT}
DOCUMENT_URI = "urn:market:openapi"


def validator(document: dict, schema: dict) -> Draft202012Validator:
    """A validator of `schema` whose `#/components/...` references resolve in the document."""
    registry = Registry().with_resource(DOCUMENT_URI, Resource.from_contents(document, default_specification=DRAFT202012))
    rebased = json.loads(json.dumps(schema).replace('"#/components/', f'"{DOCUMENT_URI}#/components/'))
    return Draft202012Validator(rebased, registry=registry)


def problems(document: dict, schema: dict, instance) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator(document, schema).iter_errors(instance)]


async def document_of(client) -> dict:
    return await (await client.get("/openapi.json")).json()


def stream_events(document: dict, path: str) -> dict[str, dict]:
    return document["paths"][path]["get"]["responses"]["200"]["content"]["text/event-stream"]["x-events"]


async def test_every_event_type_is_documented_on_each_stream_it_reaches_and_as_a_webhook(client):
    document = await document_of(client)
    every_type = {**EVENT_TYPES, **STREAM_EVENT_TYPES}
    for path, stream in STREAMS.items():
        documented = stream_events(document, path)
        assert set(documented) == {kind for kind, t in every_type.items() if stream in t.streams}, path
        for kind, ref in documented.items():
            name = ref["$ref"].rsplit("/", 1)[1]
            assert name == every_type[kind].payload.__name__ and name in document["components"]["schemas"]
            assert f"`{kind}`: `{name}`" in document["paths"][path]["get"]["responses"]["200"]["content"][
                "text/event-stream"]["schema"]["description"]
    reached = {kind for path in STREAMS for kind in stream_events(document, path)}
    assert reached == set(every_type)

    assert set(document["webhooks"]) == set(EVENT_KINDS)
    for kind in EVENT_KINDS:
        assert ORGANISATION in EVENT_TYPES[kind].streams, f"{kind} never reaches an organisation"
        hook = document["webhooks"][kind]["post"]
        body = hook["requestBody"]["content"]["application/json"]["schema"]
        # one payload schema, shared by the stream and the webhook
        assert body["properties"]["data"] == stream_events(document, "/v1/employers/me/events")[kind]
        assert {p["name"] for p in hook["parameters"] if p["in"] == "header"} == {
            "webhook-id", "webhook-timestamp", "webhook-signature"}


async def test_each_stream_declares_the_last_event_id_header_and_a_text_event_stream_response(client):
    document = await document_of(client)
    for path in STREAMS:
        operation = document["paths"][path]["get"]
        assert {"name": "Last-Event-ID", "in": "header"}.items() <= next(
            p for p in operation["parameters"] if p["name"] == "Last-Event-ID").items()
        assert operation["responses"]["200"]["content"]["text/event-stream"]["schema"]["type"] == "string"


async def test_openapi_json_is_documented_as_the_openapi_object_it_serves(client):
    document = await document_of(client)
    schema = document["paths"]["/openapi.json"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert problems(document, schema, document) == []
    assert problems(document, schema, {"info": {}}) != []  # it does require openapi, info and paths
    component = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    assert set(component["required"]) >= {"openapi", "info", "paths"}


async def read_events(client, path: str, party, wanted: set[str], *, last_event_id: str | None = None,
                      act=None) -> list:
    """Events of a stream read with httpx-sse until every kind in `wanted` came; `act` runs once
    the stream is open."""
    headers = dict(party.auth) | ({"Last-Event-ID": last_event_id} if last_event_id is not None else {})
    seen = []
    async with httpx.AsyncClient(base_url=str(client.make_url("/")), timeout=httpx.Timeout(20)) as http:
        async with aconnect_sse(http, "GET", path, headers=headers) as source:
            assert source.response.status_code == 200
            if act is not None:
                await act()
            async for sse in source.aiter_sse():
                if sse.event and sse.data:
                    seen.append(sse)
                if wanted <= {s.event for s in seen}:
                    return seen
    raise AssertionError(f"the stream ended before {wanted - {s.event for s in seen}}")


async def test_real_events_read_with_httpx_sse_are_valid_by_their_documented_schemas(client, conn):
    document = await document_of(client)
    employer = await factories.employer(client)
    worker = await skilled_worker(client, conn, ("warehouse_picking", 2))

    async def post_and_bid():
        order = await factories.post_order(client, employer, factories.gig_order_body())
        bid = await client.post(f"/v1/orders/{order['id']}/bids",
                                json={"shift_ids": [order["shifts"][0]["id"]], "rate_fen": 2800}, headers=worker.auth)
        assert bid.status == 201, await bid.text()

    read = await read_events(client, "/v1/employers/me/events", employer, {"order.posted", "bid.placed"},
                             act=post_and_bid)
    read += await read_events(client, "/v1/workers/me/events", worker, {"shift.opened", "bid.placed"},
                              last_event_id="0")
    for path, events in (("/v1/employers/me/events", read[:-2]), ("/v1/workers/me/events", read[-2:])):
        documented = stream_events(document, path)
        for sse in events:
            assert sse.event in documented, (path, sse.event)
            assert problems(document, documented[sse.event], json.loads(sse.data)) == [], (sse.event, sse.data)
    assert {s.event for s in read} == {"order.posted", "shift.opened", "bid.placed"}


@pytest.fixture
async def loopback_client(settings, aiohttp_client):
    return await aiohttp_client(create_app(settings.model_copy(update={
        "webhooks_allow_loopback": True, "webhooks_poll_interval": timedelta(milliseconds=50)})))


async def test_a_real_webhook_delivery_is_the_documented_body_with_the_documented_headers(loopback_client,
                                                                                         aiohttp_server):
    client, delivered = loopback_client, asyncio.Queue()

    async def receive(request: web.Request) -> web.Response:
        await delivered.put((dict(request.headers), await request.json()))
        return web.Response(status=204)

    receiver = web.Application()
    receiver.router.add_post("/hook", receive)
    server = await aiohttp_server(receiver)
    employer = await factories.employer(client)
    subscribed = await client.post("/v1/webhooks", json={"url": str(server.make_url("/hook")),
                                                         "events": ["order.posted"]}, headers=employer.auth)
    assert subscribed.status == 201, await subscribed.text()
    await factories.post_order(client, employer, factories.gig_order_body())

    headers, body = await asyncio.wait_for(delivered.get(), 20)
    document = await document_of(client)
    hook = document["webhooks"][body["kind"]]["post"]
    assert problems(document, hook["requestBody"]["content"]["application/json"]["schema"], body) == []
    documented_headers = {p["name"].lower() for p in hook["parameters"] if p["in"] == "header" and p["required"]}
    assert documented_headers <= {name.lower() for name in headers}


def emitted_kinds() -> tuple[set[str], set[str]]:
    """The kinds the code passes to emit, emit_many, PreparedEvent.of and Happened, read from its source:
    literal kinds, and the literal prefixes of kinds built by f-strings (`order.{state.value}`)."""
    literal, prefixes = set(), set()

    def collect(node: ast.expr) -> None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            literal.add(node.value)
        elif isinstance(node, ast.IfExp):
            collect(node.body), collect(node.orelse)
        elif isinstance(node, ast.JoinedStr) and isinstance(node.values[0], ast.Constant):
            prefixes.add(node.values[0].value)
        else:
            raise AssertionError(f"an event kind the test cannot read: {ast.unparse(node)}")

    for path in Path(market.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name in ("emit", "emit_many") and len(node.args) >= 2:
                kind = node.args[1]
                # `emit(conn, happened.kind, …)`: the kind was named where its carrier was built
                # (PreparedEvent.of, or attendance's Happened), which this walk reads below.
                if not (isinstance(kind, ast.Attribute) and kind.attr == "kind"):
                    collect(kind)
            elif name == "of" and isinstance(node.func.value, ast.Name) and node.func.value.id == "PreparedEvent":
                collect(node.args[0])
            elif name == "Happened":
                collect(node.args[0])
    return literal, prefixes


def test_every_kind_the_code_emits_is_registered_and_every_registered_kind_is_emitted():
    literal, prefixes = emitted_kinds()
    assert literal and prefixes == {"order."}
    assert literal - set(EVENT_TYPES) == set()
    built = {kind for kind in EVENT_TYPES if any(kind.startswith(prefix) for prefix in prefixes)}
    # order.{state} is emitted for the states the progress sweep moves an order to
    assert {kind.removeprefix("order.") for kind in built - literal} <= {state.value for state in OrderState}
    assert set(EVENT_TYPES) - literal - built == set()
