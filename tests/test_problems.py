import io

import asyncpg
from aiohttp import web

from market.app import create_app
from market.web.endpoint import ANYONE, endpoint
from market.web.problems import problems_middleware


def assert_problem(response, body, status):
    assert response.status == status
    assert response.content_type == "application/problem+json"
    assert {"type", "title", "status", "detail"} <= body.keys()
    assert body["status"] == status


async def test_unknown_route_is_a_problem_404(client):
    response = await client.get("/v1/nothing-here")
    assert_problem(response, await response.json(), 404)


async def test_wrong_method_is_a_problem_405(client):
    response = await client.put("/v1/districts")
    assert_problem(response, await response.json(), 405)


async def test_non_json_body_is_a_415(client):
    response = await client.post("/v1/auth/tokens", data="login=a&password=b",
                                 headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert_problem(response, await response.json(), 415)


async def test_malformed_json_is_a_422(client):
    response = await client.post("/v1/auth/tokens", data="{not json",
                                 headers={"Content-Type": "application/json"})
    body = await response.json()
    assert_problem(response, body, 422)
    assert body["errors"]


async def test_missing_and_mistyped_fields_are_named(client):
    response = await client.post("/v1/auth/register/worker", json={"name": "", "phone": 12345})
    body = await response.json()
    assert_problem(response, body, 422)
    locs = {tuple(e["loc"]) for e in body["errors"]}
    assert {("name",), ("phone",), ("id_number",), ("district_code",), ("password",)} <= locs


async def test_an_oversized_body_is_a_413(client):
    response = await client.post("/v1/auth/tokens", data=io.BytesIO(b"{" + b" " * (2 << 20) + b"}"),
                                 headers={"Content-Type": "application/json"})
    assert_problem(response, await response.json(), 413)


async def test_an_unexpected_error_is_a_500_that_leaks_nothing(aiohttp_client, settings, caplog):
    @endpoint(roles=ANYONE, tag="test", summary="fails")
    async def boom(request: web.Request):
        raise RuntimeError("secret internals: password=hunter2 at db.py line 42")

    app = create_app(settings)
    app.router.add_get("/boom", boom)
    client = await aiohttp_client(app)
    response = await client.get("/boom", headers={"X-Request-ID": "req-abc-123"})
    body = await response.json()
    assert_problem(response, body, 500)
    assert "hunter2" not in await response.text()
    assert body["request_id"] == "req-abc-123"
    assert response.headers["X-Request-ID"] == "req-abc-123"
    logged = [r for r in caplog.records if r.getMessage() == "unhandled error"]
    assert logged and "hunter2" in logged[0].exc_text


async def test_a_route_without_a_declaration_is_refused_at_start(settings):
    async def undeclared(request):
        return web.Response()

    app = create_app(settings)
    app.router.add_get("/undeclared", undeclared)
    from market.web.endpoint import assert_routes_declared
    import pytest
    with pytest.raises(RuntimeError, match="/undeclared"):
        assert_routes_declared(app)


# A connection broken mid-request is a 503 the client may retry; any other failure a 500.
def _app(error: Exception) -> web.Application:
    async def fail(request):
        raise error
    app = web.Application(middlewares=[problems_middleware])
    app.router.add_get("/", fail)
    return app


async def test_a_connection_still_busy_from_a_vanished_server_is_a_retryable_503(aiohttp_client):
    client = await aiohttp_client(_app(asyncpg.exceptions._base.InternalClientError(
        "cannot switch to state 15; another operation (2) is in progress")))
    response = await client.get("/")
    assert response.status == 503 and response.headers["Retry-After"] == "2"
    assert (await response.json())["type"].endswith("unavailable")


async def test_a_closed_connection_is_a_503_and_any_other_client_error_a_500_without_details(aiohttp_client):
    closed = await aiohttp_client(_app(asyncpg.exceptions.ConnectionDoesNotExistError("closed")))
    assert (await closed.get("/")).status == 503
    other = await aiohttp_client(_app(asyncpg.exceptions._base.InternalClientError("unexpected protocol state")))
    response = await other.get("/")
    assert response.status == 500
    assert "protocol" not in await response.text()
