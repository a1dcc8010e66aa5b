"""Garbage in, no 5xx and no internals out: every route of the OpenAPI document, called by a caller
it admits, with malformed JSON, wrong types, huge numbers, unknown and malformed ids, and junk in
every query parameter and in the Authorization header. No response is a 5xx, and none carries a
traceback, a driver's name or SQL text."""
import re
import uuid

from tests.security import matrix
from tests.security.test_mass_assignment import cast
from tests.security.world import CALLERS

LEAK = re.compile(r"Traceback|File \"|\.py\", line|asyncpg|psycopg|pydantic_core|sqlstate|"
                  r"\bSELECT\b[^\"]{0,200}\bFROM\b|\bINSERT\s+INTO\b|\bUPDATE\s+\w+\s+SET\b|\bDELETE\s+FROM\b|"
                  r"\bWHERE\b\s+\w+\s*=\s*\$\d", re.IGNORECASE)
BAD_IDS = [str(uuid.uuid4()), "not-a-uuid", "1%27%20OR%20%271%27%3D%271", "%00", "9" * 300, "-1",
           "00000000-0000-0000-0000-000000000000", "%E4%B8%AD%E6%96%87"]
BAD_BODIES = [b'{"a":', b"[]", b"null", b'"text"', b"1e999999", b'{"amount_fen": NaN}', b"[" * 5000 + b"]" * 5000,
              b"\xff\xfe\x00", b'{"x": "' + b"y" * 200_000 + b'"}']
BAD_VALUES = [10**40, -1, 1.5e308, "x", None, {}, "9" * 1000, "\u0000"]
BAD_QUERY = ["-1", "99999999999999999999999999", "%00", "%27%20OR%201%3D1--", "9999-99-99", "%FF"]
BAD_AUTH = ["Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Bearer " + "a" * 5000, "bearer x y z", "Token abc"]


def check(wrong: list[str], what: str, reply: matrix.Reply) -> None:
    if reply.status >= 500:
        wrong.append(f"{what}: {reply.status} {reply.text[:200]}")
    elif found := LEAK.search(reply.text):
        wrong.append(f"{what}: leaks {found.group(0)!r} in {reply.text[:300]}")


def test_the_leak_pattern_catches_what_it_should():
    assert LEAK.search('Traceback (most recent call last):\n  File "x.py", line 3')
    assert LEAK.search("asyncpg.exceptions.UniqueViolationError") and LEAK.search("SELECT id FROM orders")
    assert LEAK.search("UPDATE shifts SET filled = 1") and LEAK.search("where id = $1")
    assert not LEAK.search('{"detail": "no such order", "errors": [{"loc": ["month"], "msg": "select a month"}]}')


async def test_no_route_answers_garbage_with_a_5xx_or_a_leak(client):
    world = await cast(client)
    rows = {row.route: row for row in matrix.load()}
    document = await (await client.get("/openapi.json")).json()
    wrong: list[str] = []
    for path, operations in sorted(document["paths"].items()):
        for method, operation in operations.items():
            route = f"{method.upper()} {path}"
            row = rows[route]
            if row.fresh_token:
                continue  # revokes the token it is called with: swept below with junk tokens only
            kind = next(k for k in CALLERS if "2xx" in row.expect[k])
            headers = world.callers[kind].headers
            url = matrix.PLACEHOLDER.sub(lambda m: world.ids[m.group(1)], row.url)

            # Unknown and malformed ids in every path parameter.
            if "{" in path:
                for bad in BAD_IDS:
                    bad_url = re.sub(r"\{[^}]+\}", bad, path)
                    check(wrong, f"{route} at {bad_url[:80]}",
                          await matrix.call(client, row, headers, world, url=bad_url, body=await _body(client, world, row)))

            # Malformed bodies, wrong content types, and each field given a wrong or huge value.
            if "requestBody" in operation:
                for raw in BAD_BODIES:
                    response = await client.request(method.upper(), url, data=raw,
                                                    headers={**headers, "Content-Type": "application/json"})
                    check(wrong, f"{route} with body {raw[:20]!r}", await _reply(response, url))
                response = await client.request(method.upper(), url, data=b"a=1", headers={
                    **headers, "Content-Type": "application/x-www-form-urlencoded"})
                check(wrong, f"{route} as a form", await _reply(response, url))
                body = await _body(client, world, row)
                for name in body:
                    for value in BAD_VALUES:
                        check(wrong, f"{route} with {name}={str(value)[:20]!r}", await matrix.call(
                            client, row, headers, world, url=url, body={**body, name: value}))

            # Junk in every query parameter.
            for parameter in operation.get("parameters", []):
                if parameter["in"] != "query":
                    continue
                for bad in BAD_QUERY:
                    sep = "&" if "?" in url else "?"
                    check(wrong, f"{route} with ?{parameter['name']}={bad[:20]}", await matrix.call(
                        client, row, headers, world, url=f"{url}{sep}{parameter['name']}={bad}",
                        body=await _body(client, world, row)))

    # Junk tokens: a 401, never a 500.
    me = matrix.Row("GET", "/v1/me", "/v1/me")
    for header in BAD_AUTH:
        reply = await matrix.call(client, me, {"Authorization": header}, world)
        check(wrong, f"GET /v1/me with Authorization {header[:20]!r}", reply)
        if reply.status != 401:
            wrong.append(f"GET /v1/me with Authorization {header[:20]!r}: {reply.status}, not 401")
    assert wrong == [], "\n".join(wrong)


async def _body(client, world, row: matrix.Row):
    return None if row.body is None else await matrix.resolve(client, world, row.body)


async def _reply(response, url: str) -> matrix.Reply:
    try:
        text = await response.text(errors="replace")
    finally:
        response.close()
    return matrix.Reply(response.status, text, url, "")


async def test_a_nul_character_in_a_body_or_a_query_is_a_422_naming_the_field_not_a_500(client):
    from tests import factories

    employer = await factories.employer(client, escrow_fen=0)
    body = factories.gig_order_body(title="仓库\u0000分拣", site={**factories.gig_order_body()["site"], "address": "\u0000"})
    response = await client.post("/v1/orders", json=body, headers=employer.auth)
    assert response.status == 422, await response.text()
    assert sorted(e["loc"] for e in (await response.json())["errors"]) == [["site", "address"], ["title"]]
    assert (await (await client.get("/v1/orders", headers=employer.auth)).json())["items"] == []
    listed = await client.get("/v1/orders?state=open%00", headers=employer.auth)
    assert listed.status == 422 and (await listed.json())["errors"][0]["loc"] == ["query", "state"]
    # An escaped backslash before "u0000" is ordinary text, not a NUL.
    fine = await client.post("/v1/orders", json=factories.gig_order_body(title="路径 C:\\u0000"), headers=employer.auth)
    assert fine.status == 201 and (await fine.json())["title"] == "路径 C:\\u0000"


async def test_a_deeply_nested_sign_in_body_is_a_422_not_a_500(client):
    response = await client.post("/v1/auth/tokens", data=b"[" * 5000 + b"]" * 5000,
                                 headers={"Content-Type": "application/json"})
    assert response.status == 422
