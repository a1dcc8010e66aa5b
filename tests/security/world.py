"""A small marketplace with two tenants of every kind, for the security sweeps.

Tenant 1 owns one real object behind every id-bearing route, each in the state in which its owner's
call succeeds (an open order, a pending offer, a submitted timesheet, …). Tenant 2 is the same cast
owning nothing of tenant 1's. Every placeholder of `authz_matrix.toml` (`{gig_order}`, …) names an
entry of `World.ids`.

Callers (the matrix's columns): anonymous, employer (a borrowing enterprise), worker, lender (an
enterprise lending the worker, its employee), supervisor_in (渝中区, where the employer's gig orders
are) and supervisor_out (万州区), admin.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta

from market.attendance.keys import ATTENDANCE
from market.accounts.keys import ACCOUNTS
from market.webhooks.keys import WEBHOOKS
from tests import factories
from tests.allocation.support import allocator
from tests.security import (
    world_certificates, world_contracts, world_favourites, world_filings, world_invoices, world_notifications,
    world_organisations, world_recurring, world_standby,
)
from tests.security.world_cases import build_cases
from tests.settlement.support import SITE, assign, fund, minutes, now_local, principal_of, shift_at

HOME, SHARED, OUTSIDE = "500103", "500106", "500101"  # 渝中区, 沙坪坝区 (shared orders), 万州区
CALLERS = ("anonymous", "employer", "worker", "lender", "supervisor_in", "supervisor_out", "admin")
PASSWORD = "correct horse battery"


@dataclass
class Caller:
    kind: str
    headers: dict[str, str]
    party: factories.Party | None = None
    districts: tuple[str, ...] = ()


@dataclass
class World:
    callers: dict[str, Caller]  # tenant 1 (and the anonymous caller, the admin)
    others: dict[str, Caller]  # tenant 2: employer, worker, lender, supervisor (another district)
    ids: dict[str, str] = field(default_factory=dict)
    # Strings that only tenant 1 (and the platform) may see: ids, names, phone, masked id number.
    secrets: set[str] = field(default_factory=set)


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def staff(client, role: str, name: str, districts: list[str]) -> dict[str, str]:
    issued = await client.app[ACCOUNTS].create_staff(role, name, districts)
    return auth(issued.token)


async def skilled(conn, party: factories.Party) -> None:
    await conn.execute("INSERT INTO worker_skills (worker_id, skill_code, level) VALUES ($1, 'warehouse_picking', 3)",
                       uuid.UUID(party.id))


def shared_week(weeks_ahead: int, **overrides) -> dict:
    start = date.today() + timedelta(days=3 + 7 * weeks_ahead)
    return factories.shared_order_body(schedule={
        "start_date": start.isoformat(), "end_date": (start + timedelta(days=4)).isoformat(),
        "daily_start": "09:00", "daily_end": "17:00"}, **overrides)


async def ok(response, status: int = 200) -> dict:
    assert response.status == status, f"{response.method} {response.url}: {response.status} {await response.text()}"
    return await response.json() if response.content_type == "application/json" else {}


async def tenant(client, conn, tag: str, district: str) -> dict[str, factories.Party]:
    employer = await factories.employer(client, name=f"重庆{tag}借用方物流有限公司", district_code=district)
    lender = await factories.employer(client, name=f"重庆{tag}出借方制造有限公司", district_code=district)
    worker = await factories.worker(client, name=f"{tag}秀兰", district_code=district)
    await skilled(conn, worker)
    if (await (await client.get("/v1/employers/me/balance", headers=employer.auth)).json())["available_fen"] < 10**7:
        await fund(client, employer, 10**8)
    return {"employer": employer, "lender": lender, "worker": worker}


async def build(client, conn, settings) -> World:
    ids: dict[str, str] = {}
    one = await tenant(client, conn, "甲", HOME)
    two = await tenant(client, conn, "乙", OUTSIDE)
    employer, lender, worker = one["employer"], one["lender"], one["worker"]
    admin = await staff(client, "admin", "运营", [])
    world = World(
        callers={
            "anonymous": Caller("anonymous", {}),
            "employer": Caller("employer", employer.auth, employer),
            "worker": Caller("worker", worker.auth, worker),
            "lender": Caller("lender", lender.auth, lender),
            "supervisor_in": Caller("supervisor_in", await staff(client, "supervisor", "渝中区监管员", [HOME]),
                                    districts=(HOME,)),
            "supervisor_out": Caller("supervisor_out", await staff(client, "supervisor", "万州区监管员", [OUTSIDE]),
                                     districts=(OUTSIDE,)),
            "admin": Caller("admin", admin),
        },
        others={
            "employer": Caller("employer", two["employer"].auth, two["employer"]),
            "worker": Caller("worker", two["worker"].auth, two["worker"]),
            "lender": Caller("lender", two["lender"].auth, two["lender"]),
            "supervisor": Caller("supervisor", await staff(client, "supervisor", "万州区监管员乙", [OUTSIDE]),
                                 districts=(OUTSIDE,)),
        },
        ids=ids,
    )
    ids.update(worker_login=worker.login, password=PASSWORD, home=HOME, outside=OUTSIDE,
               employer_id=employer.id, lender_id=lender.id, worker_id=worker.id)

    # Orders: a gig order with two shifts (bid on, read, allocated), one to cancel, one whose
    # shifts the worker is offered, and three shared orders in successive weeks (three consents).
    gig = await factories.post_order(client, employer, factories.gig_order_body(shifts=[
        {"start": factories.at(2, 9), "end": factories.at(2, 13), "headcount": 3},
        {"start": factories.at(3, 9), "end": factories.at(3, 13), "headcount": 3}]))
    ids.update(gig_order=gig["id"], gig_shift=gig["shifts"][0]["id"], gig_shift_2=gig["shifts"][1]["id"])
    ids["cancel_order"] = (await factories.post_order(client, employer, factories.gig_order_body()))["id"]
    ids["allocate_order"] = (await factories.post_order(client, employer, factories.gig_order_body()))["id"]

    # A live bid of the worker to withdraw (shift 2), and bids that win two offers.
    placed = await ok(await client.post(f"/v1/orders/{gig['id']}/bids", headers=worker.auth,
                                        json={"shift_ids": [ids["gig_shift_2"]], "rate_fen": 2900}), 201)
    ids["bid"] = placed["items"][0]["id"]
    offered = await factories.post_order(client, employer, factories.gig_order_body(shifts=[
        {"start": factories.at(5, 9), "end": factories.at(5, 13), "headcount": 1},
        {"start": factories.at(6, 9), "end": factories.at(6, 13), "headcount": 1}]))
    await ok(await client.post(f"/v1/orders/{offered['id']}/bids", headers=worker.auth, json={
        "shift_ids": [s["id"] for s in offered["shifts"]], "rate_fen": 2800}), 201)
    ids["run"] = (await ok(await client.post(f"/v1/orders/{offered['id']}/allocate", headers=employer.auth), 202))["run_id"]
    async with allocator(settings) as engine:
        assert await engine.run_once() == 1
    offers = (await ok(await client.get("/v1/workers/me/offers?state=pending", headers=worker.auth)))["items"]
    assert len(offers) == 2, offers
    ids["offer"], ids["offer_2"] = offers[0]["id"], offers[1]["id"]

    # Employment: the worker is the lender's employee; the employer asks to employ them too
    # (pending, to confirm); a third enterprise asks (to decline); the employer employs another
    # worker (to end).
    ids["employment"] = await factories.employee(client, lender, worker, agreed_hourly_wage_fen=2600)
    ids["employment_to_confirm"] = (await ok(await client.post("/v1/employers/me/employees", headers=employer.auth, json={
        "worker_id": worker.id, "job_title": "分拣员", "agreed_hourly_wage_fen": 2600}), 201))["id"]
    third = await factories.employer(client)
    ids["employment_to_decline"] = (await ok(await client.post("/v1/employers/me/employees", headers=third.auth, json={
        "worker_id": worker.id, "job_title": "搬运工", "agreed_hourly_wage_fen": 2600}), 201))["id"]
    staffer = await factories.worker(client, name="丙建国")
    ids["employment_to_end"] = await factories.employee(client, employer, staffer)

    # Shared employment: the lender lends the worker to the employer three times; the first
    # consent is accepted (an agreement), the others wait for the matrix to accept and decline.
    consents = []
    for week in range(3):
        shared = await factories.post_order(client, employer, shared_week(week))
        placed = await ok(await client.post(f"/v1/orders/{shared['id']}/bids", headers=lender.auth, json={
            "fee_per_worker_day_fen": 28000, "employees": [{"employment_id": ids["employment"],
                                                            "wage_hourly_fen": 2700}]}), 201)
        consents.append(placed["shared_bid"]["consents"][0]["id"])
        if week == 0:
            ids["shared_order"], ids["shared_bid"] = shared["id"], placed["shared_bid"]["id"]
    decided = await ok(await client.post(f"/v1/consents/{consents[0]}/accept", headers=worker.auth))
    ids["agreement"] = decided["agreement"]["id"]
    ids["consent"], ids["consent_2"] = consents[1], consents[2]

    # Assignments of the employer's seats, each in the state its route needs.
    now = now_local()
    me = await principal_of(client, worker)
    _, shift = await shift_at(client, conn, employer, now - minutes(10), now + minutes(170))
    ids["assignment_check_in"] = str(await assign(conn, shift, worker))
    _, shift = await shift_at(client, conn, employer, now - minutes(300), now - minutes(60))
    ids["assignment_check_out"] = str(await assign(conn, shift, worker))
    _, shift = await shift_at(client, conn, employer, now + timedelta(days=8), now + timedelta(days=8, hours=4))
    ids["assignment_future"] = str(await assign(conn, shift, worker))
    await client.app[ATTENDANCE].check_in(me, uuid.UUID(ids["assignment_check_out"]), *SITE, now=now - minutes(300))
    for name in ("assignment_approve", "assignment_dispute", "assignment_no_show", "assignment_override"):
        helper = await factories.worker(client, name="丁志强")
        _, shift = await shift_at(client, conn, employer, now - minutes(120), now + minutes(60))
        ids[name] = str(await assign(conn, shift, helper))
        if name in ("assignment_approve", "assignment_dispute"):
            who = await principal_of(client, helper)
            await client.app[ATTENDANCE].check_in(who, uuid.UUID(ids[name]), *SITE, now=now - minutes(110))
            await client.app[ATTENDANCE].check_out(who, uuid.UUID(ids[name]), *SITE, now=now - minutes(10))

    # A shared-labor seat of the worker, worked and approved: a settlement whose wage leg the
    # lender confirms.
    shared_shift = await conn.fetchval(
        "SELECT id FROM shifts WHERE order_id = $1 ORDER BY starts_at LIMIT 1", uuid.UUID(ids["shared_order"]))
    await conn.execute("UPDATE shifts SET starts_at = $2, ends_at = $3 WHERE id = $1", shared_shift,
                       now - minutes(600), now - minutes(420))
    lent = await assign(conn, shared_shift, worker, 2700)
    shared_site = (29.5410, 106.4542)  # factories.shared_order_body's site
    await client.app[ATTENDANCE].check_in(me, lent, *shared_site, now=now - minutes(600))
    await client.app[ATTENDANCE].check_out(me, lent, *shared_site, now=now - minutes(420))
    await ok(await client.post(f"/v1/assignments/{lent}/approve", headers=employer.auth, json={}))
    ids["settlement"] = str(await conn.fetchval("SELECT id FROM settlements WHERE assignment_id = $1", lent))
    assert ids["settlement"] != "None"
    ids["lent_assignment"] = str(lent)

    # Escrow and payouts: a declared deposit for the admin to confirm, a payout batch.
    ids["deposit"] = (await ok(await client.post("/v1/employers/me/deposits", headers=employer.auth, json={
        "amount_fen": 500000, "bank_reference": "SEC-0001"}), 201))["id"]
    ids["payout_batch"] = (await ok(await client.post("/v1/admin/payouts", headers=admin, json={
        "due_by": (date.today() + timedelta(days=60)).isoformat()}), 201))["id"]

    # Webhooks: one kept (with a delivery to retry), one to delete.
    hook = await ok(await client.post("/v1/webhooks", headers=employer.auth, json={
        "url": "http://127.0.0.1:9/hook", "events": ["order.posted"]}), 201)
    ids["webhook"] = hook["id"]
    ids["webhook_to_delete"] = (await ok(await client.post("/v1/webhooks", headers=employer.auth, json={
        "url": "http://127.0.0.1:9/other", "events": ["order.posted"]}), 201))["id"]
    await factories.post_order(client, employer, factories.gig_order_body(title="触发 webhook"))
    await _relay_and_enqueue(client, conn)
    ids["delivery"] = str(await conn.fetchval(
        "SELECT id FROM webhook_deliveries WHERE webhook_id = $1 LIMIT 1", uuid.UUID(ids["webhook"])))
    assert ids["delivery"] != "None"

    # Issue 17's parts add their objects here, each from its own module (tests/security/world_<part>.py).
    # written agreements
    await world_contracts.build(client, conn, ids)

    # certificates
    await world_certificates.build(client, conn, ids, employer, worker)

    # cases, ratings and colours
    await build_cases(client, world, admin)

    # filings
    await world_filings.build(conn, ids)

    # invoices (issue 18, docs/invoices.md)
    await world_invoices.build(client, conn, ids, employer)
    # standby (issue 18)
    await world_standby.build(client, conn, ids, employer, worker)
    # favourites, blocks, hidden employers, book again
    await world_favourites.build(client, conn, ids, employer, worker)
    # notifications
    await world_notifications.build(client, conn, ids, worker)
    # templates and recurring orders
    await world_recurring.build(client, ids, employer)
    # organisations: members and sites
    await world_organisations.build(client, ids, employer, admin)

    profile = await ok(await client.get("/v1/workers/me", headers=worker.auth))
    world.secrets |= {v for k, v in ids.items() if k not in ("password", "home", "outside", "filings_month")}
    world.secrets |= {worker.login, worker.account_id, employer.account_id, lender.account_id,
                      profile["name"], profile["id_number_masked"], "重庆甲借用方物流有限公司", "重庆甲出借方制造有限公司"}
    return world


async def _relay_and_enqueue(client, conn) -> None:
    """Deliveries are made from sequenced events: wait for the relay to sequence the order.posted
    event, then let the webhook service enqueue it."""
    import asyncio

    for _ in range(200):
        if await conn.fetchval("SELECT count(*) FROM events WHERE seq IS NOT NULL AND kind = 'order.posted'"):
            if await client.app[WEBHOOKS].enqueue() or await conn.fetchval("SELECT count(*) FROM webhook_deliveries"):
                return
        await asyncio.sleep(0.05)
    raise AssertionError("no webhook delivery was enqueued")
