import asyncio

from market.accounts.keys import ACCOUNTS
from tests import factories


async def test_employer_registers_signs_in_and_signs_out(client):
    employer = await factories.employer(client)
    me = await client.get("/v1/me", headers=employer.auth)
    assert me.status == 200
    assert (await me.json())["role"] == "employer"

    signed_out = await client.delete("/v1/auth/tokens/current", headers=employer.auth)
    assert signed_out.status == 204
    after = await client.get("/v1/me", headers=employer.auth)
    assert after.status == 401
    assert after.content_type == "application/problem+json"


async def test_worker_registration_returns_only_the_masked_id_number(client):
    number = factories.resident_id()
    response = await client.post("/v1/auth/register/worker", json={
        "name": "李四", "id_number": number, "district_code": "500106", "phone": "13800001111",
        "password": "long enough pw"})
    assert response.status == 201
    body = await response.json()
    assert body["id_number_masked"] == number[:4] + "*" * 10 + number[-4:]
    assert number not in await response.text()


async def test_id_numbers_and_logins_are_never_stored_in_clear(client, conn):
    number = factories.resident_id()
    await client.post("/v1/auth/register/worker", json={
        "name": "王五", "id_number": number, "district_code": "500106", "phone": "13800002222",
        "password": "long enough pw"})
    dump = await conn.fetchval("""
        SELECT string_agg(t::text, '|') FROM (
            SELECT row_to_json(a)::text AS t FROM accounts a
            UNION ALL SELECT row_to_json(w)::text FROM workers w) rows""")
    assert "13800002222" not in dump
    assert number not in dump
    assert number[:4] + "**********" + number[-4:] in dump


async def test_invalid_resident_id_is_a_422_naming_the_field(client):
    response = await client.post("/v1/auth/register/worker", json={
        "name": "赵六", "id_number": "110105194912310021", "district_code": "500103", "phone": "13800003333",
        "password": "long enough pw"})
    assert response.status == 422
    problem = await response.json()
    assert problem["errors"][0]["loc"] == ["id_number"]
    assert "check digit" in problem["errors"][0]["msg"]


async def test_invalid_credit_code_is_a_422_naming_the_field(client):
    response = await client.post("/v1/auth/register/employer", json={
        "name": "某公司", "credit_code": "914403001922038217", "district_code": "500103",
        "login": "a@example.com", "password": "long enough pw"})
    assert response.status == 422
    problem = await response.json()
    assert [e["loc"] for e in problem["errors"]] == [["credit_code"]]
    assert problem["type"] == "/problems/validation"


async def test_every_broken_field_is_reported_at_once(client):
    response = await client.post("/v1/auth/register/employer", json={
        "name": "某公司", "credit_code": "914403001922038217", "district_code": "500105",
        "login": "b@example.com", "password": "long enough pw"})
    assert response.status == 422
    locs = [e["loc"] for e in (await response.json())["errors"]]
    assert locs == [["credit_code"], ["district_code"]]  # 500105 (江北区) was abolished in 2025


async def test_a_second_registration_with_the_same_id_number_is_a_409(client, conn):
    number = factories.resident_id()
    first = await factories.worker(client, id_number=number)
    response = await client.post("/v1/auth/register/worker", json={
        "name": "冒名", "id_number": number.lower(), "district_code": "500103", "phone": "13800004444",
        "password": "long enough pw"})
    assert response.status == 409
    assert (await response.json())["field"] == "id_number"
    assert await conn.fetchval("SELECT count(*) FROM accounts") == 1
    assert first.id


async def test_wrong_password_and_unknown_login_get_the_same_401(client):
    employer = await factories.employer(client)
    wrong = await client.post("/v1/auth/tokens", json={"login": employer.login, "password": "not the password"})
    unknown = await client.post("/v1/auth/tokens", json={"login": "nobody@example.com", "password": "whatever1"})
    assert wrong.status == unknown.status == 401
    assert (await wrong.json())["detail"] == (await unknown.json())["detail"]


async def test_tokens_are_long_random_and_stored_hashed(client, conn):
    employer = await factories.employer(client)
    assert len(employer.token) >= 40
    stored = await conn.fetch("SELECT token_hash FROM tokens")
    assert all(employer.token.encode() not in bytes(row["token_hash"]) for row in stored)


async def test_an_expired_token_is_refused(client, conn):
    employer = await factories.employer(client)
    await conn.execute("UPDATE tokens SET created_at = now() - interval '2 days', expires_at = now() - interval '1 second'")
    response = await client.get("/v1/me", headers=employer.auth)
    assert response.status == 401


async def test_a_malformed_authorization_header_is_a_401(client):
    response = await client.get("/v1/me", headers={"Authorization": "Basic dXNlcjpwdw=="})
    assert response.status == 401


async def test_supervisor_created_by_the_operator_sees_their_districts(client):
    issued = await client.app[ACCOUNTS].create_staff("supervisor", "渝中区监管员", ["500103", "500106"])
    response = await client.get("/v1/me", headers={"Authorization": f"Bearer {issued.token}"})
    body = await response.json()
    assert body["role"] == "supervisor"
    assert body["districts"] == ["500103", "500106"]


async def test_roles_are_enforced_before_the_handler_runs(client):
    employer, worker = await asyncio.gather(factories.employer(client), factories.worker(client))
    assert (await client.get("/v1/employers/me", headers=worker.auth)).status == 403
    assert (await client.get("/v1/employers/me", headers=employer.auth)).status == 200
    assert (await client.get("/v1/employers/me")).status == 401
