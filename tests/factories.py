"""Factories: valid identities and registered parties, built through the public API."""
from __future__ import annotations

import itertools
import random
from dataclasses import dataclass

from market.accounts.model import CREDIT_CODE_ALPHABET, credit_code_check_character, resident_id_check_character

_counter = itertools.count(1)


def credit_code(rng: random.Random | None = None) -> str:
    rng = rng or random.Random()
    # 9 = 工商, 1 = 企业, then a Chongqing registration-authority code and 9 random characters.
    first17 = "91500103" + "".join(rng.choice(CREDIT_CODE_ALPHABET) for _ in range(9))
    return first17 + credit_code_check_character(first17)


def resident_id(rng: random.Random | None = None, born: str = "19900101") -> str:
    rng = rng or random.Random()
    first17 = "500103" + born + f"{rng.randrange(1000):03d}"
    return first17 + resident_id_check_character(first17)


def phone() -> str:
    return f"139{random.randrange(10**8):08d}"


@dataclass
class Party:
    id: str
    account_id: str
    token: str
    login: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


async def sign_in(client, login: str, password: str) -> str:
    response = await client.post("/v1/auth/tokens", json={"login": login, "password": password})
    assert response.status == 201, await response.text()
    return (await response.json())["token"]


async def employer(client, *, name: str | None = None, district_code: str = "500103",
                   password: str = "correct horse battery") -> Party:
    login = f"hr{next(_counter)}-{random.randrange(10**9)}@example.com"
    response = await client.post("/v1/auth/register/employer", json={
        "name": name or f"重庆测试企业{next(_counter)}有限公司", "credit_code": credit_code(),
        "district_code": district_code, "login": login, "password": password,
    })
    assert response.status == 201, await response.text()
    body = await response.json()
    return Party(body["id"], body["account_id"], await sign_in(client, login, password), login)


async def worker(client, *, name: str = "张三", district_code: str = "500103",
                 password: str = "correct horse battery", id_number: str | None = None) -> Party:
    login = phone()
    response = await client.post("/v1/auth/register/worker", json={
        "name": name, "id_number": id_number or resident_id(), "district_code": district_code,
        "phone": login, "password": password,
    })
    assert response.status == 201, await response.text()
    body = await response.json()
    return Party(body["id"], body["account_id"], await sign_in(client, login, password), login)
