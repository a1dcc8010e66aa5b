"""Members, roles and sites of an organisation through the API (docs/organisations.md): the owner
adds members; a site manager reaches only their sites' orders and timesheets; finance reads money
and writes no orders; every event names the acting account; two managers approving one timesheet."""
from __future__ import annotations

import asyncio
import json
import uuid
from datetime import timedelta

from market.attendance.keys import ATTENDANCE
from tests import factories
from tests.settlement.support import SITE, assign, fund, now_local, principal_of

PASSWORD = "correct horse battery"
SITE_BODY = {"name": "解放碑仓库", "address": "渝中区解放碑某仓库", "lat": SITE[0], "lon": SITE[1],
             "check_in_radius_m": 300}


async def add_site(client, owner, **overrides) -> dict:
    response = await client.post("/v1/sites", json={**SITE_BODY, **overrides}, headers=owner.auth)
    assert response.status == 201, await response.text()
    return await response.json()


async def add_member(client, owner, role: str, site_ids=()) -> factories.Party:
    login = f"m{uuid.uuid4().hex[:10]}@example.com"
    response = await client.post("/v1/organisations/me/members", json={
        "login": login, "password": PASSWORD, "display_name": "李经理", "role": role, "site_ids": list(site_ids)},
        headers=owner.auth)
    assert response.status == 201, await response.text()
    body = await response.json()
    return factories.Party(owner.id, body["account_id"], await factories.sign_in(client, login, PASSWORD), login)


async def site_order(client, party, site_id: str, **overrides) -> dict:
    body = factories.gig_order_body(**overrides)
    del body["site"]
    return await factories.post_order(client, party, {**body, "site_id": site_id})


async def test_the_registering_account_is_the_owner_and_adds_members(client):
    owner = await factories.employer(client)
    me = await (await client.get("/v1/me", headers=owner.auth)).json()
    assert me["organisation_role"] == "owner"
    site = await add_site(client, owner)
    manager = await add_member(client, owner, "site_manager", [site["id"]])
    finance = await add_member(client, owner, "finance")
    members = await (await client.get("/v1/organisations/me/members", headers=owner.auth)).json()
    roles = {m["account_id"]: m["role"] for m in members["items"]}
    assert roles == {owner.account_id: "owner", manager.account_id: "site_manager", finance.account_id: "finance"}
    assert all(m["login_masked"] and "@" not in m["login_masked"][:2] for m in members["items"])
    me = await (await client.get("/v1/me", headers=manager.auth)).json()
    assert (me["organisation_id"], me["organisation_role"], me["site_ids"]) == (owner.id, "site_manager", [site["id"]])
    # Every member sees the organisation as its own.
    assert (await (await client.get("/v1/employers/me", headers=finance.auth)).json())["id"] == owner.id


async def test_only_the_owner_changes_members_and_the_last_owner_stays(client):
    owner = await factories.employer(client)
    finance = await add_member(client, owner, "finance")
    refused = await client.post("/v1/organisations/me/members", json={
        "login": "x@example.com", "password": PASSWORD, "display_name": "x", "role": "owner"}, headers=finance.auth)
    assert refused.status == 403
    assert refused.content_type == "application/problem+json"
    demote = await client.put(f"/v1/organisations/me/members/{owner.account_id}", json={"role": "finance"},
                              headers=owner.auth)
    assert demote.status == 409, await demote.text()
    assert "owner" in (await demote.json())["detail"]
    promoted = await client.put(f"/v1/organisations/me/members/{finance.account_id}", json={"role": "owner"},
                                headers=owner.auth)
    assert promoted.status == 200 and (await promoted.json())["role"] == "owner"
    removed = await client.delete(f"/v1/organisations/me/members/{finance.account_id}", headers=owner.auth)
    assert removed.status == 204
    # A removed member's tokens are revoked.
    assert (await client.get("/v1/me", headers=finance.auth)).status == 401


async def test_a_site_manager_needs_sites_of_the_organisation(client):
    owner, other = await factories.employer(client), await factories.employer(client)
    foreign = await add_site(client, other)
    for site_ids, field in (([], "site_ids"), ([foreign["id"]], "site_ids")):
        response = await client.post("/v1/organisations/me/members", json={
            "login": f"m{uuid.uuid4().hex[:8]}@example.com", "password": PASSWORD, "display_name": "x",
            "role": "site_manager", "site_ids": site_ids}, headers=owner.auth)
        assert response.status == 422, await response.text()
        assert json.dumps(field) in await response.text()


async def test_an_order_naming_a_site_takes_its_location_and_radius(client):
    owner = await factories.employer(client)
    site = await add_site(client, owner, lat=29.56, lon=106.57, check_in_radius_m=150)
    order = await site_order(client, owner, site["id"])
    assert order["site_id"] == site["id"]
    assert (order["site"]["lat"], order["site"]["lon"], order["site"]["check_in_radius_m"]) == (29.56, 106.57, 150)
    foreign = await add_site(client, await factories.employer(client))
    body = factories.gig_order_body()
    del body["site"]
    response = await client.post("/v1/orders", json={**body, "site_id": foreign["id"]}, headers=owner.auth)
    assert response.status == 422 and "site_id" in await response.text()


async def test_a_site_manager_sees_and_posts_only_for_their_sites(client):
    owner = await factories.employer(client)
    mine, theirs = await add_site(client, owner, name="一号仓"), await add_site(client, owner, name="二号仓")
    manager = await add_member(client, owner, "site_manager", [mine["id"]])
    own_order = await site_order(client, manager, mine["id"])
    other_order = await site_order(client, owner, theirs["id"])
    plain_order = await factories.post_order(client, owner, factories.gig_order_body())
    listed = await (await client.get("/v1/orders", headers=manager.auth)).json()
    assert [o["id"] for o in listed["items"]] == [own_order["id"]]
    for order in (other_order, plain_order):
        assert (await client.get(f"/v1/orders/{order['id']}", headers=manager.auth)).status == 404
    body = factories.gig_order_body()
    del body["site"]
    refused = await client.post("/v1/orders", json={**body, "site_id": theirs["id"]}, headers=manager.auth)
    assert refused.status == 422 and "site_id" in await refused.text()
    no_site = await client.post("/v1/orders", json=factories.gig_order_body(), headers=manager.auth)
    assert no_site.status == 422 and "site_id" in await no_site.text()
    sites = await (await client.get("/v1/sites", headers=manager.auth)).json()
    assert [s["id"] for s in sites["items"]] == [mine["id"]]
    assert (await client.get(f"/v1/sites/{theirs['id']}", headers=manager.auth)).status == 404
    # Money is not a site manager's.
    assert (await client.get("/v1/employers/me/statements?month=2026-12", headers=manager.auth)).status == 403


async def test_finance_reads_the_money_and_posts_no_orders(client):
    owner = await factories.employer(client)
    finance = await add_member(client, owner, "finance")
    assert (await client.get("/v1/employers/me/balance", headers=finance.auth)).status == 200
    assert (await client.get("/v1/employers/me/statements?month=2026-12", headers=finance.auth)).status == 200
    refused = await client.post("/v1/orders", json=factories.gig_order_body(), headers=finance.auth)
    assert refused.status == 403 and refused.content_type == "application/problem+json"
    assert "finance" in (await refused.json())["detail"]


async def submitted_at_site(client, conn, owner, site_id: str):
    """A worker's shift at the site, checked in and out: a submitted timesheet (worker, assignment)."""
    worker = await factories.worker(client)
    await fund(client, owner, 1_000_000)
    start = now_local() - timedelta(minutes=10)
    posted = await site_order(client, owner, site_id)
    shift_id = uuid.UUID(posted["shifts"][0]["id"])
    await conn.execute("UPDATE shifts SET starts_at = $2, ends_at = $3 WHERE id = $1", shift_id, start,
                       start + timedelta(minutes=180))
    assignment_id = await assign(conn, shift_id, worker, 3000)
    who = await principal_of(client, worker)
    await client.app[ATTENDANCE].check_in(who, assignment_id, *SITE, now=start + timedelta(minutes=5))
    await client.app[ATTENDANCE].check_out(who, assignment_id, *SITE, now=start + timedelta(minutes=125))
    return worker, assignment_id


async def test_a_site_manager_approves_only_their_sites_timesheets_and_the_event_names_them(client, conn):
    owner = await factories.employer(client)
    mine, theirs = await add_site(client, owner, name="一号仓"), await add_site(client, owner, name="二号仓")
    manager = await add_member(client, owner, "site_manager", [mine["id"]])
    _, other = await submitted_at_site(client, conn, owner, theirs["id"])
    refused = await client.post(f"/v1/assignments/{other}/approve", json={}, headers=manager.auth)
    assert refused.status == 404
    _, own = await submitted_at_site(client, conn, owner, mine["id"])
    approved = await client.post(f"/v1/assignments/{own}/approve", json={}, headers=manager.auth)
    assert approved.status == 200, await approved.text()
    payload = await conn.fetchval("SELECT payload FROM events WHERE kind = 'timesheet.approved' "
                                  "AND payload->>'assignment_id' = $1", str(own))
    assert json.loads(payload)["actor_account_id"] == manager.account_id
    posted = await conn.fetchval("SELECT payload FROM events WHERE kind = 'order.posted' "
                                 "AND payload->>'actor_account_id' = $1", owner.account_id)
    assert posted is not None


async def test_two_managers_approving_one_timesheet_one_wins(client, conn):
    owner = await factories.employer(client)
    site = await add_site(client, owner)
    first = await add_member(client, owner, "site_manager", [site["id"]])
    second = await add_member(client, owner, "site_manager", [site["id"]])
    _, assignment_id = await submitted_at_site(client, conn, owner, site["id"])
    responses = await asyncio.gather(*(client.post(f"/v1/assignments/{assignment_id}/approve", json={},
                                                   headers=m.auth) for m in (first, second)))
    assert sorted(r.status for r in responses) == [200, 409]
    assert await conn.fetchval("SELECT count(*) FROM settlements WHERE assignment_id = $1", assignment_id) == 1
    assert await conn.fetchval("SELECT count(*) FROM events WHERE kind = 'timesheet.approved' "
                               "AND payload->>'assignment_id' = $1", str(assignment_id)) == 1


async def test_demoting_the_last_owners_race_leaves_one_owner(client, conn):
    owner = await factories.employer(client)
    second = await add_member(client, owner, "owner")
    responses = await asyncio.gather(
        client.put(f"/v1/organisations/me/members/{second.account_id}", json={"role": "finance"}, headers=owner.auth),
        client.put(f"/v1/organisations/me/members/{owner.account_id}", json={"role": "finance"}, headers=second.auth))
    assert sorted(r.status for r in responses) == [200, 409]
    assert await conn.fetchval("SELECT count(*) FROM organisation_members WHERE organisation_id = $1 "
                               "AND role = 'owner' AND removed_at IS NULL", uuid.UUID(owner.id)) == 1


async def test_a_site_manager_books_their_sites_order_again_and_watches_only_its_standby_seats(client):
    """Issue 18's everyday routes open to a site manager, held to their sites: book again keeps the
    original's site; another site's shift's standby seats are a 404."""
    owner = await factories.employer(client)
    mine, theirs = await add_site(client, owner, name="一号仓"), await add_site(client, owner, name="二号仓")
    manager = await add_member(client, owner, "site_manager", [mine["id"]])
    shift = {"start": factories.at(3, 9), "end": factories.at(3, 13), "headcount": 2, "standby": 1,
             "standby_amount_fen": 2400}
    own_order = await site_order(client, manager, mine["id"], shifts=[shift])
    other_order = await site_order(client, owner, theirs["id"], shifts=[shift])
    again = await client.post(f"/v1/orders/{own_order['id']}/book-again", headers=manager.auth, json={
        "shifts": [{"start": factories.at(10, 9), "end": factories.at(10, 13), "headcount": 1}]})
    assert again.status == 201, await again.text()
    rebooked = (await again.json())["order"]
    assert rebooked["site_id"] == mine["id"]
    assert (await client.get(f"/v1/orders/{rebooked['id']}", headers=manager.auth)).status == 200
    refused = await client.post(f"/v1/orders/{other_order['id']}/book-again", headers=manager.auth, json={
        "shifts": [{"start": factories.at(10, 9), "end": factories.at(10, 13), "headcount": 1}]})
    assert refused.status == 404
    own_shift, other_shift = own_order["shifts"][0]["id"], other_order["shifts"][0]["id"]
    assert (await client.get(f"/v1/shifts/{own_shift}/standby", headers=manager.auth)).status == 200
    assert (await client.get(f"/v1/shifts/{other_shift}/standby", headers=manager.auth)).status == 404
    # Finance downloads no order but reads the invoices (the list; a PDF route it may call).
    finance = await add_member(client, owner, "finance")
    assert (await client.get("/v1/employers/me/invoices", headers=finance.auth)).status == 200
    assert (await client.get(f"/v1/invoices/{uuid.uuid4()}/pdf", headers=finance.auth)).status == 404
