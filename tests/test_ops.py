import asyncio
import tempfile
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
from openapi_spec_validator import validate

from aiohttp import web
from pydantic import BaseModel, SecretStr

from market import embedded
from market.app import create_app
from market.web.endpoint import ANYONE, endpoint
from market.accounts.keys import ACCOUNTS
from market.web.openapi import build_openapi
from tests import factories


async def test_healthz_says_alive(client):
    response = await client.get("/healthz")
    assert (response.status, await response.json()) == (200, {"status": "ok"})


async def test_readyz_is_ready_with_postgres_and_redis_up(client):
    response = await client.get("/readyz")
    assert response.status == 200
    assert await response.json() == {"status": "ready", "postgres": "ok", "redis": "ok"}


@pytest.mark.own_servers
async def test_readyz_fails_when_redis_is_stopped(aiohttp_client, settings):
    directory = Path(tempfile.mkdtemp(prefix="market-test-stopped-redis-"))
    server, url = embedded.start_redis(directory)
    try:
        client = await aiohttp_client(create_app(settings.model_copy(update={"redis_url": url})))
        assert (await client.get("/readyz")).status == 200
        server.shutdown()
        response = await client.get("/readyz")
        body = await response.json()
        assert response.status == 503
        assert body["postgres"] == "ok"
        assert body["redis"].startswith("down")
    finally:
        embedded.remove(directory)


SCRAPE_TOKEN = "scrape-token-for-tests-0123456789abcdef"


@pytest.fixture
async def scraped_client(settings, aiohttp_client):
    """An app whose /metrics answers Prometheus with MARKET_METRICS_TOKEN."""
    return await aiohttp_client(create_app(settings.model_copy(update={"metrics_token": SecretStr(SCRAPE_TOKEN)})))


SCRAPER = {"Authorization": f"Bearer {SCRAPE_TOKEN}"}


async def test_metrics_count_requests_by_route_template_and_status(scraped_client):
    client = scraped_client
    await client.get("/v1/districts")
    await client.get("/v1/nothing")
    text = await (await client.get("/metrics", headers=SCRAPER)).text()
    assert 'market_http_requests_total{method="GET",route="/v1/districts",status="200"} 1.0' in text
    assert 'route="unmatched",status="404"' in text
    assert "market_http_request_duration_seconds_bucket" in text


async def test_openapi_document_is_valid_openapi_3_1_and_lists_every_route(client):
    document = await (await client.get("/openapi.json")).json()
    validate(document)  # raises on an invalid document
    assert document["openapi"].startswith("3.1")
    served = {(r.method.lower(), r.resource.canonical) for r in client.app.router.routes()
              if r.method != "HEAD" and r.resource.canonical.startswith("/v1")}
    documented = {(method, path) for path, item in document["paths"].items() for method in item}
    assert served <= documented
    register = document["paths"]["/v1/auth/register/worker"]["post"]
    assert "422" in register["responses"] and "requestBody" in register


async def test_docs_page_is_served_without_any_cdn(client):
    response = await client.get("/docs")
    html = await response.text()
    assert response.status == 200
    assert "openapi.json" in html
    assert "http://" not in html and "https://" not in html


async def test_metrics_are_not_public(scraped_client):
    client = scraped_client
    employer = await factories.employer(client, escrow_fen=0)
    assert (await client.get("/metrics")).status == 401
    assert (await client.get("/metrics", headers=employer.auth)).status == 403
    assert (await client.get("/metrics", headers={"Authorization": "Bearer not-the-scrape-token"})).status == 401


async def test_metrics_answer_an_admin_and_the_scrape_token_which_opens_nothing_else(scraped_client):
    client = scraped_client
    admin = await client.app[ACCOUNTS].create_staff("admin", "运营", [])
    assert (await client.get("/metrics", headers={"Authorization": f"Bearer {admin.token}"})).status == 200
    assert (await client.get("/metrics", headers=SCRAPER)).status == 200
    assert (await client.get("/v1/me", headers=SCRAPER)).status == 403
    assert (await client.get("/v1/admin/audit-log", headers=SCRAPER)).status == 403


async def test_without_a_scrape_token_only_admins_read_the_metrics(client):
    assert (await client.get("/metrics", headers=SCRAPER)).status == 401
    admin = await client.app[ACCOUNTS].create_staff("admin", "运营", [])
    assert (await client.get("/metrics", headers={"Authorization": f"Bearer {admin.token}"})).status == 200


async def test_an_authenticated_response_tells_caches_not_to_store_it(client):
    employer = await factories.employer(client, escrow_fen=0)
    for path in ("/v1/me", "/v1/employers/me", "/v1/orders/00000000-0000-0000-0000-000000000000"):
        response = await client.get(path, headers=employer.auth)
        assert response.headers.get("Cache-Control") == "no-store", path
    refused = await client.get("/v1/me", headers={"Authorization": "Bearer stale"})
    assert refused.status == 401 and refused.headers.get("Cache-Control") == "no-store"
    assert (await client.get("/v1/me")).headers.get("Cache-Control") == "no-store"


async def test_the_server_header_names_no_framework_or_version(client):
    for path in ("/healthz", "/v1/nothing", "/v1/districts"):
        server = (await client.get(path)).headers.get("Server", "")
        assert "aiohttp" not in server.lower() and "python" not in server.lower(), server


async def test_the_parsers_own_400_names_no_framework_or_version(client):
    reader, writer = await asyncio.open_connection(client.server.host, client.server.port)
    writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n")
    await writer.drain()
    answer = (await reader.read(4096)).decode("latin-1")
    writer.close()
    assert answer.split(" ", 2)[1] == "400"
    assert "aiohttp" not in answer.lower() and "python/" not in answer.lower(), answer


async def test_every_operation_documents_the_parsers_400_and_the_414(client):
    document = await (await client.get("/openapi.json")).json()
    for path, item in document["paths"].items():
        for method, operation in item.items():
            assert {"400", "414"} <= set(operation["responses"]), (method, path)


def _refs(node):
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node["$ref"]
        for child in node.values():
            yield from _refs(child)
    elif isinstance(node, list):
        for child in node:
            yield from _refs(child)


def _is_json(media_type: str) -> bool:
    return media_type == "application/json" or media_type.endswith("+json")


async def test_every_component_has_a_title_of_its_own_and_every_ref_resolves(client):
    document = await (await client.get("/openapi.json")).json()
    schemas = document["components"]["schemas"]
    titles = Counter(schema.get("title", name) for name, schema in schemas.items())
    assert [title for title, count in titles.items() if count > 1] == []
    assert all(schema.get("title", name) == name for name, schema in schemas.items())
    dangling = {ref for ref in {*_refs(document["paths"]), *_refs(schemas)}
                if ref.removeprefix("#/components/schemas/") not in schemas}
    assert dangling == set()


async def test_every_json_body_and_response_of_every_operation_is_a_named_component(client):
    """A code generator makes a class of a component, not of a schema written inline; a JSON
    response without one reaches its callers untyped. /openapi.json is the one exception: it is
    the OpenAPI object itself, whose schema is the OpenAPI specification's own."""
    document = await (await client.get("/openapi.json")).json()
    untyped = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            bodies = operation.get("requestBody", {}).get("content", {}).items()
            answers = [content for response in operation["responses"].values()
                       for content in response.get("content", {}).items()]
            for media_type, content in [*bodies, *answers]:
                if _is_json(media_type) and "$ref" not in content["schema"] and path != "/openapi.json":
                    untyped.append((method, path, media_type))
            success = [status for status in operation["responses"] if status.startswith("2")]
            assert len(success) == 1, (method, path)
    assert untyped == []


class _Hours(BaseModel):
    hours: Decimal  # a JSON number or a string going in, a string coming out: two schemas


class _Body(BaseModel):
    hours: _Hours


class _Answer(BaseModel):
    hours: _Hours


@endpoint(roles=ANYONE, tag="test", summary="Nested both ways", body=_Body, response=_Answer)
async def _nested_both_ways(request, body: _Body) -> _Answer:
    return _Answer(hours=body.hours)


@endpoint(roles=ANYONE, tag="test", summary="Itself both ways", body=_Hours, response=_Hours)
async def _itself_both_ways(request, body: _Hours) -> _Hours:
    return body


def test_a_model_read_and_written_in_two_forms_is_two_components_with_two_titles():
    app = web.Application()
    app.router.add_post("/nested", _nested_both_ways)
    app.router.add_post("/itself", _itself_both_ways)
    document = build_openapi(app, title="t", version="0", description="d")
    schemas = document["components"]["schemas"]
    assert (schemas["_Hours-Input"]["title"], schemas["_Hours-Output"]["title"]) == ("_Hours-Input", "_Hours-Output")
    assert "_Hours" not in schemas

    def schema_of(content):
        return schemas[content["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]]

    nested, itself = document["paths"]["/nested"]["post"], document["paths"]["/itself"]["post"]
    assert schema_of(nested["requestBody"]["content"])["properties"]["hours"]["$ref"].endswith("/_Hours-Input")
    assert schema_of(nested["responses"]["200"]["content"])["properties"]["hours"]["$ref"].endswith("/_Hours-Output")
    assert schema_of(itself["requestBody"]["content"])["title"] == "_Hours-Input"
    assert schema_of(itself["responses"]["200"]["content"])["title"] == "_Hours-Output"


async def test_every_instant_a_json_response_carries_is_documented_as_written_in_shanghai_time(client):
    """Responses write every instant in Asia/Shanghai time (market/web/outputs.py, LocalMoment);
    a response model with a bare datetime would write UTC as the database hands it back."""
    document = await (await client.get("/openapi.json")).json()
    schemas = document["components"]["schemas"]
    pending = [content["schema"]["$ref"] for item in document["paths"].values() for operation in item.values()
               for response in operation["responses"].values()
               for media_type, content in response.get("content", {}).items()
               if _is_json(media_type) and "$ref" in content["schema"]]
    seen: set[str] = set()
    unzoned = []
    while pending:
        name = pending.pop().rsplit("/", 1)[1]
        if name in seen or name not in schemas:
            continue
        seen.add(name)
        stack = [schemas[name]]
        while stack:
            node = stack.pop()
            if isinstance(node, dict):
                if node.get("format") == "date-time" and node.get("pattern") != r"\+08:00$":
                    unzoned.append(name)
                pending.extend(ref for ref in [node.get("$ref")] if isinstance(ref, str))
                stack.extend(value for key, value in node.items() if key != "$ref")
            elif isinstance(node, list):
                stack.extend(node)
    assert len(seen) > 50
    assert unzoned == []
