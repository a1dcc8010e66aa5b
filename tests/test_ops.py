import asyncio
import tempfile
from pathlib import Path

import pytest
from openapi_spec_validator import validate

from pydantic import SecretStr

from market import embedded
from market.app import create_app
from market.web.keys import ACCOUNTS
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
