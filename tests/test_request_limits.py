"""Limits on the size and pace of a request (docs/limits.md), and what requests leave in the logs."""
import asyncio
import json
import logging
import time
from datetime import timedelta

from market.app import create_app
from market.logs import JsonFormatter
from tests import factories


async def raw_exchange(client, request: bytes) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    reader, writer = await asyncio.open_connection(client.server.host, client.server.port)
    writer.write(request)
    await writer.drain()
    return reader, writer


async def read_response(reader: asyncio.StreamReader) -> tuple[int, dict[str, str], bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {name.lower(): value.strip() for name, _, value in (line.partition(":") for line in lines if line)}
    body = await reader.readexactly(int(headers.get("content-length", 0)))
    return int(status_line.split()[1]), headers, body


async def hung_up(reader: asyncio.StreamReader) -> bool:
    """The server closed the connection (a reset counts: it closed with our bytes unread)."""
    try:
        return await reader.read() == b""
    except ConnectionResetError:
        return True


async def close(writer: asyncio.StreamWriter) -> None:
    writer.close()
    try:
        await writer.wait_closed()
    except ConnectionError:
        pass


def assert_problem(status: int, content_type: str, body: dict, expected: int) -> None:
    assert status == expected
    assert content_type.startswith("application/problem+json")
    assert body["status"] == expected and body["detail"]


async def test_a_body_announced_larger_than_the_limit_is_a_413_before_any_of_it_is_read(settings, aiohttp_client):
    client = await aiohttp_client(create_app(settings.model_copy(update={"max_body_bytes": 1024})))
    reader, writer = await raw_exchange(client, (
        b"POST /v1/auth/tokens HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
        b"Content-Length: 2000000\r\n\r\n"))  # and no body at all: the answer does not wait for it
    try:
        status, headers, body = await asyncio.wait_for(read_response(reader), timeout=5)
    finally:
        await close(writer)
    problem = json.loads(body)
    assert_problem(status, headers["content-type"], problem, 413)
    assert "at most 1024 bytes" in problem["detail"]


async def test_a_chunked_body_that_grows_past_the_limit_is_a_413(settings, aiohttp_client):
    client = await aiohttp_client(create_app(settings.model_copy(update={"max_body_bytes": 1024})))

    async def chunks():
        for _ in range(4):
            yield b" " * 512

    response = await client.post("/v1/auth/tokens", data=chunks(), headers={"Content-Type": "application/json"})
    assert_problem(response.status, response.content_type, await response.json(), 413)


async def test_a_body_within_the_limit_is_read_by_the_handler_as_usual(settings, aiohttp_client):
    client = await aiohttp_client(create_app(settings.model_copy(update={"max_body_bytes": 1024})))
    response = await client.post("/v1/auth/tokens", json={"login": "x" * 200, "password": "y" * 100})
    assert response.status == 401  # parsed and checked: the pre-read body reached the handler


async def test_a_query_string_over_the_limit_is_a_414(settings, aiohttp_client):
    client = await aiohttp_client(create_app(settings.model_copy(update={"max_query_bytes": 100})))
    assert (await client.get("/v1/districts?" + "a=1&" * 25)).status == 200  # exactly 100 bytes
    response = await client.get("/v1/districts?" + "a=1&" * 25 + "b")
    problem = await response.json()
    assert_problem(response.status, response.content_type, problem, 414)
    assert "at most 100 bytes" in problem["detail"]


async def test_the_default_query_limit_is_2_kib(client):
    assert (await client.get("/v1/districts?q=" + "x" * 2040)).status == 200
    assert (await client.get("/v1/districts?q=" + "x" * 2050)).status == 414


async def test_an_oversized_header_and_too_many_headers_are_refused_by_the_parser(client):
    assert (await client.get("/v1/districts", headers={"X-Padding": "x" * 9000})).status == 400
    many = {f"X-Header-{n}": "1" for n in range(130)}
    assert (await client.get("/v1/districts", headers=many)).status == 400
    assert (await client.get("/v1/districts", headers={"X-Padding": "x" * 8000})).status == 200


async def test_a_client_sending_its_body_slowly_is_answered_408_and_cut_off(settings, aiohttp_client):
    timeout = 0.5
    client = await aiohttp_client(create_app(settings.model_copy(update={
        "body_read_timeout": timedelta(seconds=timeout)})))
    started = time.monotonic()
    reader, writer = await raw_exchange(client, (
        b"POST /v1/auth/tokens HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
        b"Content-Length: 60\r\n\r\n{\"login\": "))

    async def trickle():  # one byte every 0.1 s: never finishing in time
        for byte in b'"slow@example.com", "password": "slow and steady"}':
            await asyncio.sleep(0.1)
            writer.write(bytes([byte]))

    trickling = asyncio.create_task(trickle())
    try:
        status, headers, body = await asyncio.wait_for(read_response(reader), timeout=5)
        answered_after = time.monotonic() - started
        # The server hangs up right after answering, however long the client goes on sending.
        assert await asyncio.wait_for(hung_up(reader), timeout=2)
    finally:
        trickling.cancel()
        await close(writer)
    problem = json.loads(body)
    assert_problem(status, headers["content-type"], problem, 408)
    assert headers["connection"].lower() == "close"
    assert timeout <= answered_after < timeout + 2


async def test_an_idle_keep_alive_connection_is_closed_after_the_keepalive_timeout(settings, aiohttp_client):
    client = await aiohttp_client(create_app(settings.model_copy(update={
        "keepalive_timeout": timedelta(seconds=0.3)})))
    reader, writer = await raw_exchange(client, b"GET /v1/skills HTTP/1.1\r\nHost: test\r\n\r\n")
    try:
        status, headers, _ = await asyncio.wait_for(read_response(reader), timeout=5)
        assert status == 200 and headers.get("connection", "keep-alive").lower() != "close"
        idle_started = time.monotonic()
        assert await asyncio.wait_for(hung_up(reader), timeout=5)
        assert time.monotonic() - idle_started < 3
    finally:
        await close(writer)


async def test_passwords_and_bearer_tokens_never_reach_the_logs(client, caplog):
    caplog.set_level(logging.DEBUG)
    password = "Zebra-staple-93125"
    wrong_password = "Otter-pencil-40718"
    worker = await factories.worker(client, password=password)
    await client.post("/v1/auth/tokens", json={"login": worker.login, "password": wrong_password})
    await client.get("/v1/me", headers=worker.auth)
    await client.patch("/v1/workers/me", json={"max_travel_m": 5000}, headers=worker.auth)
    await client.get("/v1/me", headers={"Authorization": "Bearer " + worker.token + "x"})  # a 401 too
    await client.delete("/v1/auth/tokens/current", headers=worker.auth)

    formatter = JsonFormatter()
    lines = [formatter.format(record) for record in caplog.records]
    assert any('"status": 201' in line for line in lines)  # the requests were logged
    for line in lines:
        assert password not in line
        assert wrong_password not in line
        assert worker.token not in line
        assert worker.token[len("mkt_"):][:16] not in line  # not even part of it
