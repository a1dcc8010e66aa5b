"""HR service agencies through the API (docs/agencies.md): the licence, its format and review;
mandates; an agency posting in a client's name within the budget (raced); dispatch refused; the
supervisors' figures; the agency's own pool; the licence and mandate events and their webhooks."""
from __future__ import annotations

import asyncio
import json
import uuid
from datetime import date, timedelta

from market.organisations.agency_queries import agency_pool_workers
from market.organisations import agency_rules
from tests import factories
from market.accounts.keys import ACCOUNTS
from tests.settlement.support import admin, assign

LICENCE = {"kind": "hr_service", "number": "渝人服证字〔2021〕第0103001号", "issuing_bureau": "重庆市渝中区人力资源和社会保障局",
           "scope": "职业中介、人力资源外包", "valid_from": "2021-03-01", "valid_until": "2031-02-28"}
# One 4-hour shift of 3 seats at 30 yuan an hour: it may cost 3 × 4 × 3000 = 36,000 fen.
ORDER_COST_FEN = 36_000


async def agency(client, conn, *, verified: bool = True, **licence) -> factories.Party:
    party = await factories.employer(client, escrow_fen=0)
    response = await client.post("/v1/agencies/me/licences", json={**LICENCE, **licence}, headers=party.auth)
    assert response.status == 201, await response.text()
    if verified:
        reviewed = await client.post(f"/v1/admin/agency-licences/{(await response.json())['id']}/review",
                                     json={"decision": "verify"}, headers=await admin(client))
        assert reviewed.status == 200, await reviewed.text()
    return party


async def mandate(client, client_party, agency_party, **overrides) -> dict:
    today = date.today()
    body = {"agency_organisation_id": agency_party.id, "scope": ["post_orders", "manage_orders"],
            "budget_fen": 100_000, "valid_from": (today - timedelta(days=1)).isoformat(),
            "valid_until": (today + timedelta(days=30)).isoformat(), "fee_per_placement_fen": 2_000, **overrides}
    response = await client.post("/v1/mandates", json=body, headers=client_party.auth)
    assert response.status == 201, await response.text()
    return await response.json()


def acting(agency_party, mandate_row) -> dict:
    return {**agency_party.auth, "X-Mandate-Id": mandate_row["id"]}


def test_licence_numbers_as_printed_or_electronic_pass_and_others_do_not():
    assert agency_rules.number_problem("hr_service", "渝人服证字〔2021〕第0103001号") is None
    assert agency_rules.number_problem("hr_service", "5001032021001234") is None
    assert agency_rules.number_problem("labor_dispatch", "渝劳派证字〔2022〕第0012号") is None
    assert agency_rules.number_problem("hr_service", "ABC-123") is not None
    assert agency_rules.number_problem("labor_dispatch", "渝人服证字〔2021〕第0103001号") is not None
    assert agency_rules.validity_problem("labor_dispatch", date(2024, 1, 1), date(2028, 1, 1), date(2026, 1, 1))


async def test_a_licence_is_format_checked_and_reviewed(client, conn):
    party = await factories.employer(client, escrow_fen=0)
    bad = await client.post("/v1/agencies/me/licences", json={**LICENCE, "number": "123456-x"}, headers=party.auth)
    assert bad.status == 422 and "number" in await bad.text()
    expired = await client.post("/v1/agencies/me/licences", json={**LICENCE, "valid_until": "2022-01-01"},
                                headers=party.auth)
    assert expired.status == 422 and "expired" in await expired.text()
    submitted = await client.post("/v1/agencies/me/licences", json=LICENCE, headers=party.auth)
    assert submitted.status == 201 and (await submitted.json())["state"] == "pending"
    licence_id = (await submitted.json())["id"]
    queue = await (await client.get("/v1/admin/agency-licences", headers=await admin(client))).json()
    assert licence_id in {item["id"] for item in queue["items"]}
    no_reason = await client.post(f"/v1/admin/agency-licences/{licence_id}/review", json={"decision": "reject"},
                                  headers=await admin(client))
    assert no_reason.status == 422 and "reason" in await no_reason.text()
    rejected = await client.post(f"/v1/admin/agency-licences/{licence_id}/review",
                                 json={"decision": "reject", "reason": "证号与证书不符"}, headers=await admin(client))
    assert (await rejected.json())["state"] == "rejected"
    again = await client.post(f"/v1/admin/agency-licences/{licence_id}/review", json={"decision": "verify"},
                              headers=await admin(client))
    assert again.status == 409


async def test_an_unverified_or_expired_licence_stops_postings(client, conn):
    unverified = await agency(client, conn, verified=False)
    response = await client.post("/v1/orders", json=factories.gig_order_body(), headers=unverified.auth)
    assert response.status == 409 and "not verified" in (await response.json())["detail"]
    lapsed = await agency(client, conn)
    await conn.execute("UPDATE agency_licences SET valid_until = current_date - 1, valid_from = current_date - 400 "
                       "WHERE organisation_id = $1", uuid.UUID(lapsed.id))
    response = await client.post("/v1/orders", json=factories.gig_order_body(), headers=lapsed.auth)
    assert response.status == 409 and "not today" in (await response.json())["detail"]
    assert await conn.fetchval("SELECT count(*) FROM orders WHERE organisation_id = ANY($1::uuid[])",
                               [uuid.UUID(unverified.id), uuid.UUID(lapsed.id)]) == 0


async def test_an_agency_posts_in_the_clients_name_and_the_order_names_both(client, conn):
    employer, hr = await factories.employer(client), await agency(client, conn)
    granted = await mandate(client, employer, hr)
    me = await (await client.get("/v1/me", headers=acting(hr, granted))).json()
    assert me["organisation_id"] == employer.id
    response = await client.post("/v1/orders", json=factories.gig_order_body(), headers=acting(hr, granted))
    assert response.status == 201, await response.text()
    posted = await response.json()
    row = await conn.fetchrow("SELECT organisation_id, agency_organisation_id, mandate_id FROM orders WHERE id = $1",
                              uuid.UUID(posted["id"]))
    assert (str(row[0]), str(row[1]), str(row[2])) == (employer.id, hr.id, granted["id"])
    assert await conn.fetchval("SELECT committed_fen FROM mandates WHERE id = $1",
                               uuid.UUID(granted["id"])) == ORDER_COST_FEN
    # The client sees the order as its own; the mandate's scope holds no timesheet approval.
    assert (await client.get(f"/v1/orders/{posted['id']}", headers=employer.auth)).status == 200
    refused = await client.post(f"/v1/assignments/{uuid.uuid4()}/approve", json={}, headers=acting(hr, granted))
    assert refused.status == 403 and "mandate" in (await refused.json())["detail"]
    # Another agency cannot use the mandate.
    other = await agency(client, conn)
    assert (await client.get("/v1/me", headers=acting(other, granted))).status == 404


async def test_a_revoked_or_lapsed_mandate_acts_no_more(client, conn):
    employer, hr = await factories.employer(client), await agency(client, conn)
    granted = await mandate(client, employer, hr)
    assert (await client.post(f"/v1/mandates/{granted['id']}/revoke", headers=employer.auth)).status == 200
    response = await client.post("/v1/orders", json=factories.gig_order_body(), headers=acting(hr, granted))
    assert response.status == 409 and "revoked" in (await response.json())["detail"]


async def test_two_agency_postings_racing_for_the_last_of_the_budget_one_wins(client, conn):
    employer, hr = await factories.employer(client), await agency(client, conn)
    granted = await mandate(client, employer, hr, budget_fen=ORDER_COST_FEN * 3 // 2)  # room for one order
    responses = await asyncio.gather(*(client.post("/v1/orders", json=factories.gig_order_body(),
                                                   headers=acting(hr, granted)) for _ in range(2)))
    assert sorted(r.status for r in responses) == [201, 409]
    refused = next(r for r in responses if r.status == 409)
    assert "budget" in (await refused.json())["detail"]
    assert await conn.fetchval("SELECT count(*) FROM orders WHERE mandate_id = $1", uuid.UUID(granted["id"])) == 1
    assert await conn.fetchval("SELECT committed_fen FROM mandates WHERE id = $1",
                               uuid.UUID(granted["id"])) == ORDER_COST_FEN


async def test_dispatch_is_refused_with_the_reason(client, conn):
    employer, hr = await factories.employer(client), await agency(client, conn)
    response = await client.post("/v1/orders", json=factories.gig_order_body(relationship="dispatch"),
                                 headers=employer.auth)
    assert response.status == 422
    text = await response.text()
    assert "relationship" in text and "10 %" in text and "临时性" in text
    today = date.today()
    response = await client.post("/v1/mandates", json={
        "agency_organisation_id": hr.id, "scope": ["post_orders"], "budget_fen": 1000, "valid_from": str(today),
        "valid_until": str(today), "relationship": "dispatch"}, headers=employer.auth)
    assert response.status == 422 and "劳务派遣" in await response.text()


async def test_a_mandate_names_an_agency(client, conn):
    employer, plain = await factories.employer(client), await factories.employer(client)
    today = date.today()
    response = await client.post("/v1/mandates", json={
        "agency_organisation_id": plain.id, "scope": ["post_orders"], "budget_fen": 1000, "valid_from": str(today),
        "valid_until": str(today)}, headers=employer.auth)
    assert response.status == 422 and "agency_organisation_id" in await response.text()


async def test_supervisors_see_placements_fill_and_complaints_per_agency(client, conn):
    employer, hr = await factories.employer(client), await agency(client, conn)
    granted = await mandate(client, employer, hr)
    response = await client.post("/v1/orders", json=factories.gig_order_body(), headers=acting(hr, granted))
    shift_id = uuid.UUID((await response.json())["shifts"][0]["id"])
    for _ in range(2):
        await assign(conn, shift_id, await factories.worker(client))
    issued = await client.app[ACCOUNTS].create_staff("supervisor", "监管", ["500103"])
    figures = await (await client.get("/v1/supervision/agencies",
                                      headers={"Authorization": f"Bearer {issued.token}"})).json()
    [mine] = [f for f in figures["items"] if f["agency_organisation_id"] == hr.id]
    assert (mine["placements"], mine["seats"], mine["filled"], mine["fill_rate"]) == (2, 3, 2, round(2 / 3, 4))
    assert (mine["complaints"], mine["open_arrears"]) == (0, 0)


async def test_a_worker_joins_and_leaves_an_agencys_pool(client, conn):
    hr, worker = await agency(client, conn), await factories.worker(client)
    assert (await client.post(f"/v1/agencies/{hr.id}/pool", headers=worker.auth)).status == 204
    pool = await (await client.get("/v1/agencies/me/pool", headers=hr.auth)).json()
    assert pool["worker_ids"] == [worker.id]
    assert await agency_pool_workers(conn, uuid.UUID(hr.id)) == [uuid.UUID(worker.id)]
    assert (await client.delete(f"/v1/agencies/{hr.id}/pool", headers=worker.auth)).status == 204
    assert await agency_pool_workers(conn, uuid.UUID(hr.id)) == []
    plain = await factories.employer(client)
    assert (await client.post(f"/v1/agencies/{plain.id}/pool", headers=worker.auth)).status == 404


async def test_two_operators_reviewing_one_licence_one_decides(client, conn):
    party = await agency(client, conn, verified=False)
    [licence] = (await (await client.get("/v1/agencies/me/licences", headers=party.auth)).json())["items"]
    responses = await asyncio.gather(
        client.post(f"/v1/admin/agency-licences/{licence['id']}/review", json={"decision": "verify"},
                    headers=await admin(client)),
        client.post(f"/v1/admin/agency-licences/{licence['id']}/review", json={"decision": "reject", "reason": "伪造"},
                    headers=await admin(client)))
    assert sorted(r.status for r in responses) == [200, 409]
    state = await conn.fetchval("SELECT state FROM agency_licences WHERE id = $1", uuid.UUID(licence["id"]))
    winner = next(r for r in responses if r.status == 200)
    assert state == (await winner.json())["state"]


async def test_a_bad_mandate_header_is_a_problem_naming_it(client, conn):
    hr, worker = await agency(client, conn), await factories.worker(client)
    bad = await client.get("/v1/me", headers={**hr.auth, "X-Mandate-Id": "not-a-uuid"})
    assert bad.status == 422 and "X-Mandate-Id" in await bad.text()
    as_worker = await client.get("/v1/me", headers={**worker.auth, "X-Mandate-Id": str(uuid.uuid4())})
    assert as_worker.status == 403 and as_worker.content_type == "application/problem+json"
    unknown = await client.get("/v1/me", headers={**hr.auth, "X-Mandate-Id": str(uuid.uuid4())})
    assert unknown.status == 404


async def test_an_agency_reaches_only_the_orders_it_posted_for_the_client(client, conn):
    employer, hr = await factories.employer(client), await agency(client, conn)
    granted = await mandate(client, employer, hr)
    own = await factories.post_order(client, employer, factories.gig_order_body(title="客户自己的单"))
    response = await client.post("/v1/orders", json=factories.gig_order_body(), headers=acting(hr, granted))
    placed = await response.json()
    listed = await (await client.get("/v1/orders", headers=acting(hr, granted))).json()
    assert [o["id"] for o in listed["items"]] == [placed["id"]]
    assert (await client.get(f"/v1/orders/{own['id']}", headers=acting(hr, granted))).status == 404
    cancel = await client.post(f"/v1/orders/{own['id']}/cancel", json={"reason": "试试"}, headers=acting(hr, granted))
    assert cancel.status == 404
    assert (await client.get(f"/v1/orders/{placed['id']}", headers=acting(hr, granted))).status == 200
    # The client sees both.
    mine = await (await client.get("/v1/orders", headers=employer.auth)).json()
    assert {o["id"] for o in mine["items"]} == {own["id"], placed["id"]}


async def _outbox(conn, kind: str) -> list[dict]:
    rows = await conn.fetch("SELECT payload, organisation_ids FROM events WHERE kind = $1 ORDER BY id", kind)
    return [{"payload": json.loads(r["payload"]) if isinstance(r["payload"], str) else r["payload"],
             "organisation_ids": r["organisation_ids"]} for r in rows]


async def test_a_licence_review_and_a_mandates_grant_and_revocation_are_events_in_their_transaction(client, conn):
    hr = await agency(client, conn)  # reviewed: verified
    [reviewed] = await _outbox(conn, "agency.licence_reviewed")
    payload = reviewed["payload"]
    licence_id = await conn.fetchval("SELECT id FROM agency_licences WHERE organisation_id = $1", uuid.UUID(hr.id))
    assert (payload["organisation_id"], payload["licence_id"], payload["decision"], payload["kind"]) == (
        hr.id, str(licence_id), "verified", "hr_service")
    assert [str(o) for o in reviewed["organisation_ids"]] == [hr.id]
    employer = await factories.employer(client)
    granted = await mandate(client, employer, hr, budget_fen=70_000)
    [event] = await _outbox(conn, "mandate.granted")
    payload = event["payload"]
    assert (payload["mandate_id"], payload["agency_organisation_id"], payload["client_organisation_id"],
            payload["scope"], payload["budget_fen"]) == (granted["id"], hr.id, employer.id,
                                                          ["manage_orders", "post_orders"], 70_000)
    assert {str(o) for o in event["organisation_ids"]} == {hr.id, employer.id}
    revoked = await client.post(f"/v1/mandates/{granted['id']}/revoke", headers=employer.auth)
    assert revoked.status == 200
    [event] = await _outbox(conn, "mandate.revoked")
    assert event["payload"]["mandate_id"] == granted["id"]
    assert {str(o) for o in event["organisation_ids"]} == {hr.id, employer.id}
    # a refused revocation (revoked already) writes no event: the event is the change's
    assert (await client.post(f"/v1/mandates/{granted['id']}/revoke", headers=employer.auth)).status == 409
    assert len(await _outbox(conn, "mandate.revoked")) == 1

