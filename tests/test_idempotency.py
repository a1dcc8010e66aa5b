import asyncio

from tests import factories


def employer_body(**overrides):
    body = {"name": "重庆幂等测试有限公司", "credit_code": factories.credit_code(), "district_code": "500103",
            "login": "idem@example.com", "password": "long enough pw"}
    body.update(overrides)
    return body


async def test_the_same_key_and_body_replays_the_first_response(client, conn):
    body = employer_body()
    first = await client.post("/v1/auth/register/employer", json=body, headers={"Idempotency-Key": "k-1"})
    second = await client.post("/v1/auth/register/employer", json=body, headers={"Idempotency-Key": "k-1"})
    assert first.status == second.status == 201
    assert await first.json() == await second.json()
    assert second.headers["Idempotent-Replayed"] == "true"
    assert await conn.fetchval("SELECT count(*) FROM organisations") == 1


async def test_the_same_key_with_another_body_is_a_422(client, conn):
    employer = await factories.employer(client, escrow_fen=0)
    deposit = {"amount_fen": 1000, "bank_reference": "T-1"}
    first = await client.post("/v1/employers/me/deposits", json=deposit,
                              headers={"Idempotency-Key": "k-2", **employer.auth})
    other = await client.post("/v1/employers/me/deposits", json={**deposit, "amount_fen": 2000},
                              headers={"Idempotency-Key": "k-2", **employer.auth})
    assert first.status == 201
    assert other.status == 422
    assert (await other.json())["errors"][0]["loc"] == ["header", "Idempotency-Key"]
    assert await conn.fetchval("SELECT count(*) FROM deposits") == 1


async def test_twenty_concurrent_duplicates_have_one_effect(client, conn):
    body = employer_body()
    responses = await asyncio.gather(*[
        client.post("/v1/auth/register/employer", json=body, headers={"Idempotency-Key": "k-race"})
        for _ in range(20)])
    statuses = {r.status for r in responses}
    bodies = [await r.json() for r in responses]
    assert statuses == {201}
    assert all(b == bodies[0] for b in bodies)
    assert await conn.fetchval("SELECT count(*) FROM organisations") == 1
    assert await conn.fetchval("SELECT count(*) FROM accounts") == 1


async def test_a_failed_validation_is_replayed_too(client, conn):
    bad = employer_body(credit_code="914403001922038217")
    first = await client.post("/v1/auth/register/employer", json=bad, headers={"Idempotency-Key": "k-3"})
    second = await client.post("/v1/auth/register/employer", json=bad, headers={"Idempotency-Key": "k-3"})
    assert first.status == second.status == 422
    assert await first.json() == await second.json()


async def test_keys_are_scoped_to_the_caller(client, conn):
    one, two = await factories.employer(client, escrow_fen=0), await factories.employer(client, escrow_fen=0)
    for party in (one, two):
        response = await client.post("/v1/employers/me/deposits", json={"amount_fen": 1000, "bank_reference": "T-1"},
                                     headers={"Idempotency-Key": "shared-key", **party.auth})
        assert response.status == 201
        assert response.headers.get("Idempotent-Replayed") is None
    assert await conn.fetchval("SELECT count(*) FROM deposits") == 2


async def test_a_strangers_key_does_not_touch_another_persons_sign_up(client, conn):
    stranger = await client.post("/v1/auth/register/employer", json=employer_body(login="stranger@example.com"),
                                 headers={"Idempotency-Key": "1"})
    mine = await client.post("/v1/auth/register/employer", json=employer_body(login="me@example.com"),
                             headers={"Idempotency-Key": "1"})
    assert stranger.status == mine.status == 201
    assert mine.headers.get("Idempotent-Replayed") is None
    assert await conn.fetchval("SELECT count(*) FROM organisations") == 2


async def test_a_strangers_key_does_not_touch_another_persons_sign_in(client):
    one, two = await factories.employer(client, escrow_fen=0), await factories.employer(client, escrow_fen=0)
    for party in (one, two):
        response = await client.post("/v1/auth/tokens", json={"login": party.login, "password": "correct horse battery"},
                                     headers={"Idempotency-Key": "1"})
        assert response.status == 201, await response.text()
        assert (await response.json())["account_id"] == party.account_id


async def test_a_sign_in_token_is_never_kept_in_a_replay_record(client, conn):
    employer = await factories.employer(client, escrow_fen=0)
    login = {"login": employer.login, "password": "correct horse battery"}
    first = await client.post("/v1/auth/tokens", json=login, headers={"Idempotency-Key": "k-token"})
    token = (await first.json())["token"]
    stored = await conn.fetchval("SELECT coalesce(string_agg(encode(response_body, 'escape'), '|'), '') "
                                 "FROM idempotency_keys")
    assert token not in stored


async def test_a_sign_in_repeated_with_its_key_signs_in_again(client):
    employer = await factories.employer(client, escrow_fen=0)
    login = {"login": employer.login, "password": "correct horse battery"}
    first = await client.post("/v1/auth/tokens", json=login, headers={"Idempotency-Key": "k-again"})
    again = await client.post("/v1/auth/tokens", json=login, headers={"Idempotency-Key": "k-again"})
    assert first.status == again.status == 201
    assert again.headers.get("Idempotent-Replayed") is None
    tokens = [(await first.json())["token"], (await again.json())["token"]]
    assert tokens[0] != tokens[1]
    for token in tokens:
        assert (await client.get("/v1/me", headers={"Authorization": f"Bearer {token}"})).status == 200


async def test_an_expired_key_runs_the_request_again(client, conn):
    employer = await factories.employer(client, escrow_fen=0)
    deposit = {"amount_fen": 1000, "bank_reference": "T-old"}
    first = await client.post("/v1/employers/me/deposits", json=deposit,
                              headers={"Idempotency-Key": "k-old", **employer.auth})
    await conn.execute("UPDATE idempotency_keys SET created_at = now() - interval '25 hours', "
                       "expires_at = now() - interval '1 hour'")
    again = await client.post("/v1/employers/me/deposits", json=deposit,
                              headers={"Idempotency-Key": "k-old", **employer.auth})
    assert again.status == 201
    assert again.headers.get("Idempotent-Replayed") is None
    assert (await again.json())["id"] != (await first.json())["id"]


async def test_an_overlong_key_is_a_422(client):
    response = await client.post("/v1/auth/tokens", json={"login": "a", "password": "b"},
                                 headers={"Idempotency-Key": "x" * 256})
    assert response.status == 422
