"""The problems middleware: a connection broken mid-request is a 503 the client may retry; any
other failure is a 500 that says nothing of its cause."""
import asyncpg
from aiohttp import web

from market.web.problems import problems_middleware


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
