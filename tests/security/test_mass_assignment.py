"""Mass assignment: fields a caller may not set (`id`, `state`, `role`, `reliability`, another
party's `organisation_id` or district, `filled`, amounts of settlements, `created_at`, …) are refused
with a 422 naming the field, on every route that takes a body, and nothing of them is applied."""
import uuid
from collections import defaultdict

from market.accounts.keys import ACCOUNTS
from tests import factories
from tests.security import matrix
from tests.security.world import CALLERS, Caller, World, auth

# What a client must never set, with a value that would matter if it were applied.
FORBIDDEN = {
    "id": str(uuid.uuid4()), "account_id": str(uuid.uuid4()), "state": "settled", "role": "admin",
    "reliability": 100, "organisation_id": str(uuid.uuid4()), "worker_id": str(uuid.uuid4()),
    "lender_id": str(uuid.uuid4()), "districts": ["500101"], "filled": 3, "created_at": "2020-01-01T00:00:00+08:00",
    "gross_fen": 1, "net_fen": 10**9, "amount_fen": 10**9, "below_minimum_wage": False, "red_flag": False,
    "confirmed_at": "2020-01-01T00:00:00+08:00", "secret": "chosen-by-the-client",
}


async def cast(client) -> World:
    """One caller per role (bodies are parsed before any object is looked up: ids may be unknown)."""
    employer, worker = await factories.employer(client), await factories.worker(client)
    staff = client.app[ACCOUNTS]
    callers = {
        "anonymous": Caller("anonymous", {}), "employer": Caller("employer", employer.auth, employer),
        "worker": Caller("worker", worker.auth, worker), "lender": Caller("lender", employer.auth, employer),
        "supervisor_in": Caller("supervisor_in", auth((await staff.create_staff("supervisor", "s", ["500103"])).token)),
        "admin": Caller("admin", auth((await staff.create_staff("admin", "a", [])).token)),
    }
    callers["supervisor_out"] = callers["supervisor_in"]
    ids = defaultdict(lambda: str(uuid.uuid4()), worker_login=worker.login, password="correct horse battery",
                      this_month="2026-01")
    return World(callers=callers, others={}, ids=ids)


async def test_every_request_body_refuses_fields_the_caller_may_not_set(client):
    world = await cast(client)
    rows = {row.route: row for row in matrix.load()}
    document = await (await client.get("/openapi.json")).json()
    with_body = sorted(f"{method.upper()} {path}" for path, ops in document["paths"].items()
                       for method, op in ops.items() if "requestBody" in op)
    assert len(with_body) >= 15
    wrong = []
    for route in with_body:
        row = rows[route]
        assert isinstance(row.body, (dict, str)), f"{route}: its row in authz_matrix.toml needs a valid body"
        kind = next(k for k in CALLERS if "2xx" in row.expect[k])
        url = matrix.PLACEHOLDER.sub(lambda m: world.ids[m.group(1)], row.url)
        for name, value in FORBIDDEN.items():
            body = await matrix.resolve(client, world, row.body)
            if name in body:
                continue  # a field this route legitimately takes (e.g. a deposit's amount_fen)
            reply = await matrix.call(client, row, world.callers[kind].headers, world, url=url, body={**body, name: value})
            locs = [e["loc"] for e in (await _json(reply)).get("errors", [])]
            if reply.status != 422 or not any(name in loc for loc in locs):
                wrong.append(f"{route} with {name!r}: {reply.status} {reply.text[:160]}")
    assert wrong == []


async def _json(reply: matrix.Reply) -> dict:
    import json

    try:
        return json.loads(reply.text)
    except ValueError:
        return {}


async def test_a_sign_up_cannot_choose_its_role_id_or_red_flag_and_a_sign_in_not_its_role(client):
    employer_body = {"name": "重庆自封管理员有限公司", "credit_code": factories.credit_code(), "district_code": "500103",
                     "login": "self-made-admin@example.com", "password": "correct horse battery"}
    for extra in ({"role": "admin"}, {"id": FORBIDDEN["id"]}, {"red_flag": True}, {"districts": ["500101"]}):
        response = await client.post("/v1/auth/register/employer", json={**employer_body, **extra})
        assert response.status == 422, await response.text()
    refused = await client.post("/v1/auth/tokens", json={"login": employer_body["login"],
                                                         "password": employer_body["password"]})
    assert refused.status == 401  # nothing was registered

    phone = factories.phone()
    worker_body = {"name": "李自评", "id_number": factories.resident_id(), "district_code": "500103", "phone": phone,
                   "password": "correct horse battery"}
    for extra in ({"reliability": 100}, {"role": "supervisor"}, {"id": FORBIDDEN["id"]}):
        assert (await client.post("/v1/auth/register/worker", json={**worker_body, **extra})).status == 422
    assert (await client.post("/v1/auth/register/worker", json=worker_body)).status == 201
    token = await client.post("/v1/auth/tokens", json={"login": phone, "password": "correct horse battery",
                                                       "role": "admin"})
    assert token.status == 422
    worker = auth(await factories.sign_in(client, phone, "correct horse battery"))
    me = await (await client.get("/v1/me", headers=worker)).json()
    assert me["role"] == "worker" and me["worker_id"] != FORBIDDEN["id"]
    profile = await (await client.get("/v1/workers/me", headers=worker)).json()
    assert profile["reliability"] == 50
    assert (await client.get("/v1/admin/audit-log", headers=worker)).status == 403


async def test_a_worker_cannot_raise_its_own_reliability_or_rename_itself(client):
    worker = await factories.worker(client, name="周可靠")
    before = await (await client.get("/v1/workers/me", headers=worker.auth)).json()
    for extra in ({"reliability": 100}, {"name": "周改名"}, {"id": FORBIDDEN["id"]}, {"id_number_masked": "x"},
                  {"account_id": FORBIDDEN["account_id"]}, {"role": "admin"}):
        response = await client.patch("/v1/workers/me", json={"max_travel_m": 20000, **extra}, headers=worker.auth)
        assert response.status == 422, (extra, await response.text())
    after = await (await client.get("/v1/workers/me", headers=worker.auth)).json()
    assert after == before  # not even the legitimate max_travel_m of the refused requests


async def test_an_order_cannot_be_posted_already_filled_settled_or_in_another_name(client):
    employer, other = await factories.employer(client), await factories.employer(client)
    body = factories.gig_order_body()
    shifts_filled = [{**body["shifts"][0], "filled": 3}]
    for extra in ({"state": "settled"}, {"organisation_id": other.id}, {"id": FORBIDDEN["id"]},
                  {"created_at": FORBIDDEN["created_at"]}, {"below_minimum_wage": False}, {"shifts": shifts_filled},
                  {"pay": {**body["pay"], "gross_fen": 1}}):
        response = await client.post("/v1/orders", json={**body, **extra}, headers=employer.auth)
        assert response.status == 422, (extra, await response.text())
    assert (await (await client.get("/v1/orders", headers=employer.auth)).json())["items"] == []
    assert (await (await client.get("/v1/orders", headers=other.auth)).json())["items"] == []

    order = await factories.post_order(client, employer, body)
    cancel = await client.post(f"/v1/orders/{order['id']}/cancel", json={"reason": "x", "state": "draft"},
                               headers=employer.auth)
    assert cancel.status == 422
    worker = await factories.worker(client)
    bid = await client.post(f"/v1/orders/{order['id']}/bids", headers=worker.auth, json={
        "shift_ids": [order["shifts"][0]["id"]], "rate_fen": 2800, "state": "chosen", "worker_id": other.id})
    assert bid.status == 422
    read = await (await client.get(f"/v1/orders/{order['id']}", headers=employer.auth)).json()
    assert read["state"] == "open" and read["shifts"][0]["filled"] == 0
    assert (await (await client.get(f"/v1/orders/{order['id']}/bids", headers=employer.auth)).json())["items"] == []


async def test_an_employment_cannot_be_registered_already_active_or_for_another_enterprise(client):
    employer, other = await factories.employer(client), await factories.employer(client)
    worker = await factories.worker(client)
    body = {"worker_id": worker.id, "job_title": "仓管员", "agreed_hourly_wage_fen": 2600}
    for extra in ({"state": "active"}, {"organisation_id": other.id}, {"decided_at": FORBIDDEN["created_at"]}):
        response = await client.post("/v1/employers/me/employees", json={**body, **extra}, headers=employer.auth)
        assert response.status == 422, (extra, await response.text())
    assert (await (await client.get("/v1/workers/me/employments", headers=worker.auth)).json())["items"] == []
    assert (await (await client.get("/v1/employers/me/employees", headers=other.auth)).json())["items"] == []


async def test_a_deposit_cannot_be_declared_confirmed_or_for_another_enterprise(client):
    employer, other = await factories.employer(client, escrow_fen=0), await factories.employer(client, escrow_fen=0)
    for extra in ({"state": "confirmed"}, {"organisation_id": other.id}, {"confirmed_at": FORBIDDEN["confirmed_at"]}):
        response = await client.post("/v1/employers/me/deposits", json={
            "amount_fen": 10**8, "bank_reference": "FAKE", **extra}, headers=employer.auth)
        assert response.status == 422
    for party in (employer, other):
        balance = await (await client.get("/v1/employers/me/balance", headers=party.auth)).json()
        assert balance["available_fen"] == 0 and balance["held_fen"] == 0
