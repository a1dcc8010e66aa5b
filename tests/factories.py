"""Factories: valid identities and registered parties, built through the public API."""
from __future__ import annotations

import itertools
import random
from dataclasses import dataclass
from datetime import datetime

from market.demo import identities
from market.kernel.clock import SHANGHAI
from market.accounts.keys import ACCOUNTS
from market.settlement.keys import SETTLEMENTS

_counter = itertools.count(1)


def credit_code(rng: random.Random | None = None) -> str:
    return identities.credit_code(rng or random.Random())


def resident_id(rng: random.Random | None = None, born: str | None = None) -> str:
    """`born` as YYYYMMDD; a random birth date when unset (a sequence number alone collides)."""
    return identities.resident_id(rng or random.Random(), born=datetime.strptime(born, "%Y%m%d").date() if born else None)


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


# What a test employer deposits by default: allocation holds escrow for every seat (pre-funding),
# so an unfunded employer gets no seats. Tests about exact balances pass escrow_fen=0 and fund.
DEFAULT_ESCROW_FEN = 10**8


async def employer(client, *, name: str | None = None, district_code: str = "500103",
                   password: str = "correct horse battery", escrow_fen: int = DEFAULT_ESCROW_FEN) -> Party:
    login = f"hr{next(_counter)}-{random.randrange(10**9)}@example.com"
    response = await client.post("/v1/auth/register/employer", json={
        "name": name or f"重庆测试企业{next(_counter)}有限公司", "credit_code": credit_code(),
        "district_code": district_code, "login": login, "password": password,
    })
    assert response.status == 201, await response.text()
    body = await response.json()
    party = Party(body["id"], body["account_id"], await sign_in(client, login, password), login)
    if escrow_fen:
        await deposit(client, party, escrow_fen)
    return party


async def deposit(client, party: Party, amount_fen: int) -> None:
    """A confirmed bank transfer into the employer's escrow, through the settlement service."""
    principal = await client.app[ACCOUNTS].authenticate(f"Bearer {party.token}")
    declared = await client.app[SETTLEMENTS].declare_deposit(principal, amount_fen, f"T{next(_counter)}")
    await client.app[SETTLEMENTS].confirm_deposit(declared.id)


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


def at(days: int = 2, hour: int = 9, minute: int = 0) -> str:
    """A Chongqing local time `days` from today, as RFC 3339 (+08:00)."""
    from datetime import datetime, timedelta

    day = datetime.now(SHANGHAI).date() + timedelta(days=days)
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI).isoformat()


def gig_order_body(**overrides) -> dict:
    body = {
        "kind": "gig", "title": "仓库分拣临时工", "description": "双十二高峰分拣打包",
        "relationship": "labor_service", "district_code": "500103",
        "site": {"lat": 29.5531, "lon": 106.5688, "address": "渝中区解放碑某仓库"},
        "shifts": [{"start": at(2, 9), "end": at(2, 13), "headcount": 3}],
        "pay": {"unit": "hour", "amount_fen": 3000},
        "skills": [{"skill_code": "warehouse_picking", "min_level": 1}],
    }
    body.update(overrides)
    return body


def shared_order_body(**overrides) -> dict:
    from datetime import date, timedelta

    start = date.today() + timedelta(days=3)
    body = {
        "kind": "shared", "title": "借调分拣员（共享用工）", "district_code": "500106",
        "site": {"lat": 29.5410, "lon": 106.4542, "address": "沙坪坝区某物流园"},
        "schedule": {"start_date": start.isoformat(), "end_date": (start + timedelta(days=4)).isoformat(),
                     "daily_start": "09:00", "daily_end": "17:00"},
        "headcount": 2, "fee_per_worker_day_fen": 30000,
    }
    body.update(overrides)
    return body


async def post_order(client, party: Party, body: dict) -> dict:
    response = await client.post("/v1/orders", json=body, headers=party.auth)
    assert response.status == 201, await response.text()
    return await response.json()


async def employee(client, lender: Party, worker: Party, *, agreed_hourly_wage_fen: int = 2600,
                   job_title: str = "仓管员") -> str:
    """An active employment of `worker` by `lender` (registered, then confirmed by the worker)."""
    response = await client.post("/v1/employers/me/employees", json={
        "worker_id": worker.id, "job_title": job_title, "agreed_hourly_wage_fen": agreed_hourly_wage_fen},
        headers=lender.auth)
    assert response.status == 201, await response.text()
    employment_id = (await response.json())["id"]
    confirmed = await client.post(f"/v1/employments/{employment_id}/confirm", headers=worker.auth)
    assert confirmed.status == 200, await confirmed.text()
    return employment_id
