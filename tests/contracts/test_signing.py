"""Written agreements end to end, on real PostgreSQL and Redis: made pending with the seat (never
rendered inline), rendered in the background or when first opened, signed by each party with the
document's hash (a wrong hash, a second signature: 409 with the current state; racing clients:
exactly one signature), immutable once signed (the database refuses), verifiable by hash or file,
and required before check-in where the law asks for it in writing."""
from __future__ import annotations

import asyncio
import hashlib
import json
import uuid
from datetime import date

import aiohttp
import asyncpg
import pytest

from market.accounts.keys import ACCOUNTS
from market.allocation.service import SeatTaken, hold_seat
from market.contracts.keys import CONTRACTS
from market.contracts.service import render_document
from market.contracts import queries
from market.web.keys import DB
from tests import factories
from tests.contracts.support import agreement, digest, pdf, seat, sign, uid
from tests.settlement.support import SITE, admin

WHERE = {"lat": SITE[0], "lon": SITE[1]}


async def test_a_seat_gets_a_pending_agreement_in_its_own_transaction_and_nothing_is_rendered_inline(client, conn):
    employer, worker, assignment_id = await seat(client, conn)
    row = await conn.fetchrow("SELECT state, document, sha256, relationship_type, template_version, required_roles "
                              "FROM contracts WHERE assignment_id = $1", uid(assignment_id))
    assert dict(row) == {"state": "pending", "document": None, "sha256": None, "relationship_type": "labor_service",
                         "template_version": "labor_service/v1", "required_roles": ["employer", "worker"]}


async def test_a_refused_seat_leaves_no_agreement_behind(client, conn):
    employer, worker, assignment_id = await seat(client, conn)
    shift_id = await conn.fetchval("SELECT shift_id FROM assignments WHERE id = $1", uid(assignment_id))
    with pytest.raises(SeatTaken):
        async with conn.transaction():
            await hold_seat(conn, shift_id=shift_id, worker_id=uuid.UUID(worker.id), rate_fen=3000)
    assert await conn.fetchval("SELECT count(*) FROM contracts") == 1


async def test_accepting_an_offer_makes_the_agreement_pending_and_the_background_renders_it(client, conn):
    employer, worker = await factories.employer(client), await factories.worker(client)
    order = await factories.post_order(client, employer, factories.gig_order_body())
    shift_id = uuid.UUID(order["shifts"][0]["id"])
    offer_id = await conn.fetchval(
        "INSERT INTO offers (order_id, shift_id, worker_id, rate_fen, expires_at) "
        "VALUES ($1, $2, $3, 3000, now() + interval '30 minutes') RETURNING id",
        uuid.UUID(order["id"]), shift_id, uuid.UUID(worker.id))
    accepted = await client.post(f"/v1/offers/{offer_id}/accept", headers=worker.auth)
    assert accepted.status == 200, await accepted.text()
    assignment_id = (await accepted.json())["assignment_id"]
    assert await conn.fetchval("SELECT state FROM contracts WHERE assignment_id = $1", uid(assignment_id)) == "pending"

    assert await client.app[CONTRACTS].render_pending() == 1
    document, sha256 = await conn.fetchrow("SELECT document, sha256 FROM contracts WHERE assignment_id = $1",
                                           uid(assignment_id))
    assert sha256 == hashlib.sha256(document).digest()
    assert await client.app[CONTRACTS].render_pending() == 0


async def test_opening_a_pending_agreement_renders_it_and_its_pdf_is_the_document_hashed(client, conn):
    employer, worker, assignment_id = await seat(client, conn, "incomplete_labor")
    shown = await agreement(client, assignment_id, worker)
    assert shown["state"] == "rendered" and shown["written_required"] is True
    assert shown["missing_roles"] == ["employer", "worker"] and shown["your_roles"] == ["worker"]
    masked = await conn.fetchval("SELECT id_number_masked FROM workers WHERE id = $1", uid(worker.id))
    assert shown["terms"]["parties"][1] == {"role": "worker", "id": worker.id, "name": "李秀兰", "detail": masked}
    document = await pdf(client, assignment_id, employer)
    assert digest(document) == shown["sha256"]
    # The same agreement renders the same bytes: rendering its terms again gives the stored document.
    async with client.app[DB].acquire() as db:
        facts = await queries.facts(db, uid(shown["id"]))
    assert facts.row["id"] == uid(shown["id"])
    again, _ = render_document(facts.terms(20, date.fromisoformat(shown["terms"]["pay"]["due_date"])))
    assert again == document


async def test_the_parties_sign_with_the_documents_hash_and_the_agreement_becomes_signed(client, conn):
    employer, worker, assignment_id = await seat(client, conn)
    sha256 = (await agreement(client, assignment_id, worker))["sha256"]
    signed_by_worker = await sign(client, assignment_id, worker, sha256)
    assert signed_by_worker.status == 201, await signed_by_worker.text()
    assert (await signed_by_worker.json())["missing_roles"] == ["employer"]
    signed = await (await sign(client, assignment_id, employer, sha256)).json()
    assert signed["state"] == "signed" and signed["missing_roles"] == []
    assert [(s["role"], s["sha256"]) for s in signed["signatures"]] == [("worker", sha256), ("employer", sha256)]
    rows = await conn.fetch("SELECT s.role, s.account_id, s.party_id FROM contract_signatures s ORDER BY s.id")
    assert [(r["role"], str(r["account_id"]), str(r["party_id"])) for r in rows] == [
        ("worker", worker.account_id, worker.id), ("employer", employer.account_id, employer.id)]
    # Both parties were told: the agreement is ready, then each signature.
    told = await conn.fetch("SELECT kind, payload, worker_ids, organisation_ids FROM events "
                            "WHERE kind LIKE 'agreement.%' ORDER BY id")
    assert [(e["kind"], json.loads(e["payload"]).get("role")) for e in told] == [
        ("agreement.ready", None), ("agreement.signed", "worker"), ("agreement.signed", "employer")]
    assert all(e["worker_ids"] == [uid(worker.id)] and e["organisation_ids"] == [uid(employer.id)] for e in told)
    assert json.loads(told[-1]["payload"])["state"] == "signed"


async def test_a_signature_of_another_hash_or_a_second_one_is_a_409_with_the_current_state(client, conn):
    employer, worker, assignment_id = await seat(client, conn)
    sha256 = (await agreement(client, assignment_id, worker))["sha256"]
    wrong = await sign(client, assignment_id, worker, "0" * 64)
    assert wrong.status == 409
    problem = await wrong.json()
    assert problem["current_state"] == "rendered" and problem["sha256"] == sha256 and problem["signed_by"] == []
    assert (await sign(client, assignment_id, worker, sha256)).status == 201
    again = await sign(client, assignment_id, worker, sha256)
    assert again.status == 409
    assert (await again.json())["signed_by"] == ["worker"]
    assert await conn.fetchval("SELECT count(*) FROM contract_signatures") == 1


async def test_racing_clients_signing_for_one_party_leave_exactly_one_signature(client, conn):
    employer, worker, assignment_id = await seat(client, conn)
    sha256 = (await agreement(client, assignment_id, worker))["sha256"]
    url = client.make_url(f"/v1/assignments/{assignment_id}/agreement/signatures")

    async def one() -> int:
        async with aiohttp.ClientSession() as session, session.post(url, json={"sha256": sha256},
                                                                    headers=worker.auth) as response:
            return response.status
    statuses = await asyncio.gather(*(one() for _ in range(8)))
    assert sorted(statuses) == [201] + [409] * 7
    assert await conn.fetchval("SELECT count(*) FROM contract_signatures") == 1


async def test_the_worker_and_the_employer_signing_at_once_make_it_signed(client, conn):
    employer, worker, assignment_id = await seat(client, conn)
    sha256 = (await agreement(client, assignment_id, worker))["sha256"]
    replies = await asyncio.gather(sign(client, assignment_id, worker, sha256), sign(client, assignment_id, employer, sha256))
    assert [r.status for r in replies] == [201, 201]
    assert await conn.fetchval("SELECT state FROM contracts WHERE assignment_id = $1", uid(assignment_id)) == "signed"


async def signed_contract(client, conn) -> tuple[str, str]:
    employer, worker, assignment_id = await seat(client, conn)
    shown = await agreement(client, assignment_id, worker)
    for party in (worker, employer):
        assert (await sign(client, assignment_id, party, shown["sha256"])).status == 201
    return shown["id"], assignment_id


async def test_the_database_refuses_to_change_a_signed_agreement_or_its_signatures(client, conn):
    contract_id, _ = await signed_contract(client, conn)
    for statement in ("UPDATE contracts SET document = 'x' WHERE id = $1",
                      "UPDATE contracts SET sha256 = sha256(document || 'x') WHERE id = $1",
                      "UPDATE contracts SET signed_at = now() WHERE id = $1",
                      "DELETE FROM contracts WHERE id = $1",
                      "UPDATE contract_signatures SET signed_at = now() WHERE contract_id = $1",
                      "DELETE FROM contract_signatures WHERE contract_id = $1"):
        with pytest.raises(asyncpg.RestrictViolationError):
            await conn.execute(statement, uid(contract_id))
    with pytest.raises(asyncpg.RestrictViolationError):
        await conn.execute("TRUNCATE contract_signatures CASCADE")


async def test_the_database_refuses_to_change_a_rendered_document_or_to_mark_it_signed_unsigned(client, conn):
    employer, worker, assignment_id = await seat(client, conn)
    contract_id = uid((await agreement(client, assignment_id, worker))["id"])
    for statement in ("UPDATE contracts SET document = 'x' WHERE id = $1",
                      "UPDATE contracts SET terms = '{}' WHERE id = $1",
                      "UPDATE contracts SET state = 'signed', signed_at = now() WHERE id = $1",
                      "DELETE FROM contracts WHERE id = $1"):
        with pytest.raises(asyncpg.RestrictViolationError):
            await conn.execute(statement, contract_id)


async def test_the_database_refuses_a_signature_of_another_hash_or_by_a_party_it_does_not_name(client, conn):
    employer, worker, assignment_id = await seat(client, conn)
    contract_id = uid((await agreement(client, assignment_id, worker))["id"])
    insert = ("INSERT INTO contract_signatures (contract_id, role, party_id, account_id, sha256, signed_at) "
              "VALUES ($1, $2, $3, $4, $5, now())")
    with pytest.raises(asyncpg.ForeignKeyViolationError):
        await conn.execute(insert, contract_id, "worker", uuid.UUID(worker.id), uuid.UUID(worker.account_id), b"0" * 32)
    sha256 = await conn.fetchval("SELECT sha256 FROM contracts WHERE id = $1", contract_id)
    with pytest.raises(asyncpg.CheckViolationError):
        await conn.execute(insert, contract_id, "lender", uuid.UUID(employer.id), uuid.UUID(employer.account_id), sha256)
    await conn.execute(insert, contract_id, "worker", uuid.UUID(worker.id), uuid.UUID(worker.account_id), sha256)
    with pytest.raises(asyncpg.UniqueViolationError):
        await conn.execute(insert, contract_id, "worker", uuid.UUID(worker.id), uuid.UUID(worker.account_id), sha256)


async def test_anyone_verifies_a_document_by_its_hash_or_the_file_itself(client, conn):
    contract_id, assignment_id = await signed_contract(client, conn)
    document = await (await client.get(f"/v1/assignments/{assignment_id}/agreement.pdf",
                                       headers=await admin(client))).read()
    by_hash = await client.post("/v1/agreements/verify", json={"sha256": digest(document)})
    assert by_hash.status == 200, await by_hash.text()
    answer = await by_hash.json()
    assert answer["id"] == contract_id and answer["state"] == "signed"
    assert [s["role"] for s in answer["signatures"]] == ["worker", "employer"]
    by_file = await client.post("/v1/agreements/verify", data=document, headers={"Content-Type": "application/pdf"})
    assert (await by_file.json()) == answer
    form = aiohttp.FormData()
    form.add_field("file", document, filename="agreement.pdf", content_type="application/pdf")
    assert (await (await client.post("/v1/agreements/verify", data=form)).json()) == answer
    changed = document + b"\n"
    assert (await client.post("/v1/agreements/verify", data=changed,
                              headers={"Content-Type": "application/octet-stream"})).status == 404
    assert (await client.post("/v1/agreements/verify", json={"sha256": "f" * 64})).status == 404
    assert (await client.post("/v1/agreements/verify", json={"sha256": "not a hash"})).status == 422
    assert (await client.post("/v1/agreements/verify", data="x", headers={"Content-Type": "text/plain"})).status == 415


async def check_in(client, assignment_id: str, worker):
    return await client.post(f"/v1/assignments/{assignment_id}/check-in", json=WHERE, headers=worker.auth)


@pytest.mark.parametrize("relationship", ["labor_service", "incomplete_labor"])
async def test_a_worker_checks_in_only_once_both_sides_signed_where_the_law_asks_for_writing(client, conn, relationship):
    employer, worker, assignment_id = await seat(client, conn, relationship)
    refused = await check_in(client, assignment_id, worker)
    assert refused.status == 409
    problem = await refused.json()
    assert problem["reason"] == "agreement_unsigned" and "employer, worker" in problem["detail"]
    sha256 = (await agreement(client, assignment_id, worker))["sha256"]
    await sign(client, assignment_id, worker, sha256)
    assert (await check_in(client, assignment_id, worker)).status == 409
    await sign(client, assignment_id, employer, sha256)
    checked_in = await check_in(client, assignment_id, worker)
    assert checked_in.status == 200, await checked_in.text()


async def test_part_time_work_is_offered_an_agreement_but_checks_in_without_one_and_shows_it_unsigned(client, conn):
    employer, worker, assignment_id = await seat(client, conn, "labor_part_time", rate_fen=2500)
    assert (await check_in(client, assignment_id, worker)).status == 200
    shown = await agreement(client, assignment_id, employer)
    assert shown["written_required"] is False and shown["state"] == "rendered"
    assert shown["missing_roles"] == ["employer", "worker"]
    assert "第六十九条" in shown["basis"]


async def test_only_the_parties_admin_and_the_districts_supervisors_see_an_agreement(client, conn):
    employer, worker, assignment_id = await seat(client, conn)
    other_worker, other_employer = await factories.worker(client, name="王五"), await factories.employer(client)
    staff = client.app[ACCOUNTS]
    inside = {"Authorization": f"Bearer {(await staff.create_staff('supervisor', '渝中区', ['500103'])).token}"}
    outside = {"Authorization": f"Bearer {(await staff.create_staff('supervisor', '万州区', ['500101'])).token}"}
    admin = {"Authorization": f"Bearer {(await staff.create_staff('admin', '运营', [])).token}"}
    for path in ("agreement", "agreement.pdf"):
        url = f"/v1/assignments/{assignment_id}/{path}"
        for headers, status in ((worker.auth, 200), (employer.auth, 200), (inside, 200), (admin, 200),
                                (other_worker.auth, 404), (other_employer.auth, 404), (outside, 404), ({}, 401)):
            assert (await client.get(url, headers=headers)).status == status, (path, headers, status)
    sha256 = (await agreement(client, assignment_id, worker))["sha256"]
    assert (await sign(client, assignment_id, other_worker, sha256)).status == 404
    assert (await client.post(f"/v1/assignments/{assignment_id}/agreement/signatures", json={"sha256": sha256},
                              headers=inside)).status == 403
    assert (await client.get(f"/v1/assignments/{uuid.uuid4()}/agreement", headers=admin)).status == 404


async def test_supervisors_see_signing_rates_of_their_own_districts_only(client, conn):
    await signed_contract(client, conn)
    await seat(client, conn, "incomplete_labor")
    staff = client.app[ACCOUNTS]
    inside = {"Authorization": f"Bearer {(await staff.create_staff('supervisor', '渝中区', ['500103'])).token}"}
    outside = {"Authorization": f"Bearer {(await staff.create_staff('supervisor', '万州区', ['500101'])).token}"}
    rates = await (await client.get("/v1/supervision/agreements/signing-rates", headers=inside)).json()
    assert rates["items"] == [
        {"district_code": "500103", "relationship_type": "incomplete_labor", "signed": 0, "unsigned": 1, "rate": 0.0},
        {"district_code": "500103", "relationship_type": "labor_service", "signed": 1, "unsigned": 0, "rate": 1.0}]
    assert (await (await client.get("/v1/supervision/agreements/signing-rates?district=500103",
                                    headers=inside)).json()) == rates
    assert (await (await client.get("/v1/supervision/agreements/signing-rates", headers=outside)).json())["items"] == []
    assert (await client.get("/v1/supervision/agreements/signing-rates?district=500103",
                             headers=outside)).status == 403


async def test_an_agreement_that_fails_to_render_stays_pending_and_does_not_hold_up_the_others(client, conn, monkeypatch):
    from market.contracts import service
    employer, worker, first = await seat(client, conn)
    _, _, second = await seat(client, conn, employer=employer, worker=await factories.worker(client, name="周强"))
    broken = await conn.fetchval("SELECT id FROM contracts WHERE assignment_id = $1", uid(first))
    real = service.render_document

    def render_or_fail(terms):
        if terms.contract_id == broken:
            raise RuntimeError("a template that cannot be filled")
        return real(terms)
    monkeypatch.setattr(service, "render_document", render_or_fail)
    assert await client.app[CONTRACTS].render_pending() == 1
    states = await conn.fetch("SELECT assignment_id, state FROM contracts ORDER BY created_at")
    assert [(str(r["assignment_id"]), r["state"]) for r in states] == [(first, "pending"), (second, "rendered")]
