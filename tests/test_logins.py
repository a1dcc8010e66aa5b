"""Sign-in names compared as identity systems compare them (PRECIS UsernameCaseMapped, RFC 8265,
and the UTS #39 skeleton): a login that only looks like an existing one is refused, not a second
account (market/accounts/logins.py)."""
import asyncio

import pytest

from market import db
from market.accounts import logins
from market.accounts.model import keyed_hash
from tests import factories

LATIN = "hr.lead@example.com"
CYRILLIC = "hr.lеad@example.com"  # U+0435 CYRILLIC SMALL LETTER IE for the "e" of "lead"
FULL_WIDTH = "ｈｒ.ｌｅａｄ＠ｅｘａｍｐｌｅ.ｃｏｍ"
ZERO_WIDTH = "hr.lead\u200b@example.com"
PASSWORD = "correct horse battery"


def employer_body(login: str) -> dict:
    return {"name": "重庆同名测试有限公司", "credit_code": factories.credit_code(), "district_code": "500103",
            "login": login, "password": PASSWORD}


async def register(client, login: str):
    return await client.post("/v1/auth/register/employer", json=employer_body(login))


def test_case_and_full_width_characters_are_the_same_login():
    assert logins.of("HR.Lead@Example.com").normalised == LATIN
    assert logins.of(FULL_WIDTH).normalised == LATIN


def test_a_cyrillic_letter_is_another_login_with_the_same_skeleton():
    latin, cyrillic = logins.of(LATIN), logins.of(CYRILLIC)
    assert latin.normalised != cyrillic.normalised
    assert latin.skeleton == cyrillic.skeleton


def test_a_zero_width_space_is_not_allowed_in_a_login():
    with pytest.raises(logins.LoginRefused, match="U\\+200B"):
        logins.of(ZERO_WIDTH)


@pytest.mark.parametrize("login", ["\u001d", "\u200b", "a\u05d0", "\u0000x"])
def test_a_login_that_is_empty_or_breaks_the_profile_is_refused_with_a_reason(login):
    with pytest.raises(logins.LoginRefused):
        logins.of(login)


async def test_a_sign_in_with_a_login_that_is_only_a_control_character_is_a_401(client):
    response = await client.post("/v1/auth/tokens", json={"login": "\u001d", "password": PASSWORD})
    assert response.status == 401


async def test_a_login_with_a_cyrillic_letter_is_refused_as_a_twin_of_an_existing_one(client, conn):
    assert (await register(client, LATIN)).status == 201
    twin = await register(client, CYRILLIC)
    assert twin.status == 409, await twin.text()
    problem = await twin.json()
    assert problem["field"] == "login"
    assert "looks like" in problem["detail"]
    assert await conn.fetchval("SELECT count(*) FROM accounts") == 1


async def test_a_login_in_full_width_characters_is_the_existing_account(client, conn):
    assert (await register(client, LATIN)).status == 201
    again = await register(client, FULL_WIDTH)
    assert again.status == 409
    assert (await again.json())["field"] == "login"
    signed_in = await client.post("/v1/auth/tokens", json={"login": FULL_WIDTH, "password": PASSWORD})
    assert signed_in.status == 201, await signed_in.text()


async def test_a_login_with_a_zero_width_space_is_a_422_naming_it(client, conn):
    response = await register(client, ZERO_WIDTH)
    assert response.status == 422
    assert [e["loc"] for e in (await response.json())["errors"]] == [["login"]]
    assert await conn.fetchval("SELECT count(*) FROM accounts") == 0


async def test_a_look_alike_login_does_not_sign_in_to_the_account(client):
    assert (await register(client, LATIN)).status == 201
    for look_alike in (CYRILLIC, ZERO_WIDTH):
        response = await client.post("/v1/auth/tokens", json={"login": look_alike, "password": PASSWORD})
        assert response.status == 401


async def test_twenty_concurrent_registrations_of_look_alike_logins_make_one_account(client, conn):
    variants = [LATIN, CYRILLIC, FULL_WIDTH, LATIN.upper(), "hr.lеаd@еxample.com"] * 4
    responses = await asyncio.gather(*(register(client, login) for login in variants))
    assert sorted(r.status for r in responses) == [201] + [409] * 19
    assert {(await r.json())["field"] for r in responses if r.status == 409} == {"login"}
    assert await conn.fetchval("SELECT count(*) FROM accounts") == 1


async def _as_made_before_skeletons(conn, login: str) -> None:
    """The account as a database made before logins had skeletons holds it: the keyed hash of
    the login lower-cased, nothing else."""
    await conn.execute("UPDATE accounts SET login_hash = $1, login_skeleton_hash = NULL",
                       keyed_hash(b"test-hash-key", login.strip().lower()))


async def test_an_account_made_before_skeletons_signs_in_and_gets_its_skeleton(client, conn):
    employer = await factories.employer(client, escrow_fen=0)
    await _as_made_before_skeletons(conn, employer.login)
    response = await client.post("/v1/auth/tokens", json={"login": employer.login, "password": PASSWORD})
    assert response.status == 201, await response.text()
    assert await conn.fetchval("SELECT count(*) FROM accounts WHERE login_skeleton_hash IS NOT NULL") == 1
    assert (await register(client, employer.login.replace("e", "е"))).status == 409


async def test_a_cyrillic_twin_of_an_account_made_before_skeletons_is_refused(client, conn):
    assert (await register(client, LATIN)).status == 201
    await _as_made_before_skeletons(conn, LATIN)
    twin = await register(client, CYRILLIC)
    assert twin.status == 409
    assert (await twin.json())["field"] == "login"


async def test_applying_the_schema_keeps_the_skeletons_unique(conn):
    await conn.execute("DELETE FROM schema_version")
    await db.upgrade(conn)
    assert await conn.fetchval(
        "SELECT count(*) FROM pg_constraint WHERE conname = 'accounts_login_skeleton_hash_key'") == 1
