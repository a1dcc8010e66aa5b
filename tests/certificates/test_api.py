"""Certificates through the API: uploads judged by content with nothing kept on failure, the
worker's list, who sees a certificate and its file, the review and its 409, racing reviews."""
import asyncio
import io
import uuid

from PIL import Image

from tests import factories
from tests.certificates.support import (
    cook, cook_order, health_fields, pdf_bytes, stored_files, upload, uploaded, verified,
)
from tests.settlement.support import admin


async def rows(conn) -> int:
    return await conn.fetchval("SELECT count(*) FROM certificates")


async def test_an_uploaded_certificate_is_pending_masked_and_listed_for_its_worker(client, settings):
    worker = await factories.worker(client)
    made = await uploaded(client, worker)
    assert made["state"] == "pending" and made["counts_today"] is False
    assert made["number_masked"] == "渝健*******0123" and made["media_type"] == "application/pdf"
    assert "number" not in made
    listed = await (await client.get("/v1/workers/me/certificates", headers=worker.auth)).json()
    assert [c["id"] for c in listed["items"]] == [made["id"]]
    assert len(stored_files(settings)) == 1


async def test_the_same_file_sent_again_while_pending_is_the_same_certificate(client, conn):
    worker = await factories.worker(client)
    data = pdf_bytes("once")
    first = await (await upload(client, worker, data, **health_fields())).json()
    again = await upload(client, worker, data, **health_fields())
    assert again.status == 201 and (await again.json())["id"] == first["id"]
    assert await rows(conn) == 1


async def test_a_text_file_named_pdf_is_415_and_nothing_is_kept(client, conn, settings):
    worker = await factories.worker(client)
    response = await upload(client, worker, b"plain text pretending to be a PDF\n", **health_fields())
    assert response.status == 415
    assert stored_files(settings) == [] and await rows(conn) == 0


async def test_an_image_bomb_is_422_and_nothing_is_kept(client, conn, settings):
    worker = await factories.worker(client)
    out = io.BytesIO()
    Image.new("1", (20000, 20000)).save(out, "PNG")  # a few KB that would decode to 400 megapixels
    response = await upload(client, worker, out.getvalue(), **health_fields())
    assert response.status == 422, await response.text()
    assert (await response.json())["errors"][0]["loc"] == ["file"]
    assert stored_files(settings) == [] and await rows(conn) == 0


async def test_a_file_over_the_limit_is_413_and_nothing_is_kept(client, conn, settings):
    worker = await factories.worker(client)
    response = await upload(client, worker, b"%PDF-" + b"0" * (settings.upload_max_bytes + 1), **health_fields())
    assert response.status == 413
    assert stored_files(settings) == [] and await rows(conn) == 0


async def test_dates_beyond_the_kinds_validity_are_422_and_nothing_is_kept(client, conn, settings):
    worker = await factories.worker(client)
    fields = health_fields()
    fields["issued_on"] = "2026-01-01"
    fields["expires_on"] = "2099-01-01"
    response = await upload(client, worker, **fields)
    assert response.status == 422
    assert [e["loc"] for e in (await response.json())["errors"]] == [["expires_on"]]
    unknown = await upload(client, worker, **health_fields(kind="学位证"))
    assert unknown.status == 422
    assert stored_files(settings) == [] and await rows(conn) == 0


async def test_a_rejection_needs_a_reason_and_a_decided_certificate_is_a_409_with_its_state(client):
    worker = await factories.worker(client)
    operator = await admin(client)
    made = await uploaded(client, worker)
    url = f"/v1/certificates/{made['id']}/review"
    assert (await client.post(url, headers=operator, json={"decision": "reject"})).status == 422
    rejected = await client.post(url, headers=operator, json={"decision": "reject", "reason": "照片模糊"})
    assert rejected.status == 200 and (await rejected.json())["reject_reason"] == "照片模糊"
    again = await client.post(url, headers=operator, json={"decision": "verify"})
    assert again.status == 409
    assert (await again.json())["current_state"] == "rejected"


async def test_of_two_reviews_at_once_exactly_one_wins(client, conn):
    worker = await factories.worker(client)
    first, second = await admin(client), await admin(client)
    made = await uploaded(client, worker)
    url = f"/v1/certificates/{made['id']}/review"
    answers = await asyncio.gather(client.post(url, headers=first, json={"decision": "verify"}),
                                   client.post(url, headers=second, json={"decision": "reject", "reason": "伪造"}))
    statuses = sorted(a.status for a in answers)
    assert statuses == [200, 409]
    state = await conn.fetchval("SELECT state FROM certificates WHERE id = $1", uuid.UUID(made["id"]))
    loser = next(a for a in answers if a.status == 409)
    assert (await loser.json())["current_state"] == state


async def test_the_worker_is_told_of_the_review(client, conn):
    worker = await factories.worker(client)
    certificate = await verified(client, worker)
    payload = await conn.fetchval("SELECT payload FROM events WHERE kind = 'certificate.reviewed' AND $1 = ANY(worker_ids)",
                                  uuid.UUID(worker.id))
    assert '"verified"' in payload and certificate["id"] in payload


async def test_an_employer_sees_and_reviews_only_the_certificates_of_workers_bidding_on_work_needing_them(client, conn):
    employer, stranger = await factories.employer(client), await factories.employer(client)
    worker = await factories.worker(client)
    await cook(conn, worker)
    made = await uploaded(client, worker)
    url = f"/v1/certificates/{made['id']}"
    assert (await client.get(url, headers=employer.auth)).status == 404  # no dealings yet
    order = await factories.post_order(client, employer, cook_order())
    shift_id = uuid.UUID(order["shifts"][0]["id"])
    await conn.execute("INSERT INTO offers (order_id, shift_id, worker_id, rate_fen, expires_at) "
                       "VALUES ($1, $2, $3, 3000, now() + interval '30 minutes')",
                       uuid.UUID(order["id"]), shift_id, uuid.UUID(worker.id))
    assert (await client.get(url, headers=employer.auth)).status == 200
    assert (await client.get(url + "/file", headers=employer.auth)).status == 200
    assert (await client.get(url, headers=stranger.auth)).status == 404
    assert (await client.post(url + "/review", headers=stranger.auth, json={"decision": "verify"})).status == 404
    reviewed = await client.post(url + "/review", headers=employer.auth, json={"decision": "verify"})
    assert reviewed.status == 200 and (await reviewed.json())["counts_today"] is True


async def test_the_file_is_served_as_uploaded_to_its_worker_and_not_to_another(client):
    worker, other = await factories.worker(client), await factories.worker(client)
    data = pdf_bytes("mine")
    made = await (await upload(client, worker, data, **health_fields())).json()
    response = await client.get(f"/v1/certificates/{made['id']}/file", headers=worker.auth)
    assert response.status == 200 and await response.read() == data
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert (await client.get(f"/v1/certificates/{made['id']}/file", headers=other.auth)).status == 404


async def test_a_supervisor_sees_certificates_of_workers_in_their_district_only(client):
    from market.accounts.keys import ACCOUNTS

    worker = await factories.worker(client, district_code="500103")
    made = await uploaded(client, worker)
    inside = (await client.app[ACCOUNTS].create_staff("supervisor", "渝中", ["500103"])).token
    outside = (await client.app[ACCOUNTS].create_staff("supervisor", "万州", ["500101"])).token
    url = f"/v1/certificates/{made['id']}"
    assert (await client.get(url, headers={"Authorization": f"Bearer {inside}"})).status == 200
    assert (await client.get(url, headers={"Authorization": f"Bearer {outside}"})).status == 404
    assert (await client.post(url + "/review", headers={"Authorization": f"Bearer {inside}"},
                              json={"decision": "verify"})).status == 403


async def test_the_same_file_uploaded_twice_at_once_is_one_certificate(client, conn):
    worker = await factories.worker(client)
    data = pdf_bytes("twice at once")
    answers = await asyncio.gather(*[upload(client, worker, data, **health_fields()) for _ in range(4)])
    assert {a.status for a in answers} <= {201, 409}
    ids = {(await a.json())["id"] for a in answers if a.status == 201}
    assert len(ids) == 1 and await rows(conn) == 1


async def test_a_form_field_the_worker_may_not_set_is_refused(client, conn):
    worker = await factories.worker(client)
    response = await upload(client, worker, **{**health_fields(), "state": "verified"})
    assert response.status == 422
    assert [e["loc"] for e in (await response.json())["errors"]] == [["state"]]
    assert await rows(conn) == 0


async def test_only_the_operator_revokes_and_only_a_verified_certificate(client, conn):
    employer = await factories.employer(client)
    worker = await factories.worker(client)
    await cook(conn, worker)
    order = await factories.post_order(client, employer, cook_order())
    await conn.execute("INSERT INTO offers (order_id, shift_id, worker_id, rate_fen, expires_at) "
                       "VALUES ($1, $2, $3, 3000, now() + interval '30 minutes')",
                       uuid.UUID(order["id"]), uuid.UUID(order["shifts"][0]["id"]), uuid.UUID(worker.id))
    pending = await uploaded(client, worker)
    url = f"/v1/certificates/{pending['id']}/review"
    early = await client.post(url, headers=await admin(client), json={"decision": "revoke", "reason": "假证"})
    assert early.status == 409 and (await early.json())["current_state"] == "pending"
    assert (await client.post(url, headers=employer.auth, json={"decision": "verify"})).status == 200
    assert (await client.post(url, headers=employer.auth, json={"decision": "revoke", "reason": "假证"})).status == 403
    revoked = await client.post(url, headers=await admin(client), json={"decision": "revoke", "reason": "假证"})
    assert revoked.status == 200
    body = await revoked.json()
    assert body["revoke_reason"] == "假证" and body["counts_today"] is False and body["reviewed_at"] is not None


async def test_the_review_queue_lists_pending_certificates_oldest_first_to_whom_may_see_them(client, conn):
    from market.accounts.keys import ACCOUNTS

    first, second = await factories.worker(client), await factories.worker(client, district_code="500101")
    older, newer = await uploaded(client, first), await uploaded(client, second)
    operator = await admin(client)

    async def queue(headers, query: str = "") -> dict:
        response = await client.get(f"/v1/certificates{query}", headers=headers)
        assert response.status == 200, await response.text()
        return await response.json()

    pending = [c["id"] for c in (await queue(operator))["items"]]
    assert pending.index(older["id"]) < pending.index(newer["id"])
    page = await queue(operator, "?limit=1")
    assert len(page["items"]) == 1 and page["next_cursor"]
    rest = await queue(operator, f"?limit=200&cursor={page['next_cursor']}")
    assert page["items"][0]["id"] not in [c["id"] for c in rest["items"]]

    reviewed = await client.post(f"/v1/certificates/{older['id']}/review", headers=operator, json={"decision": "verify"})
    assert reviewed.status == 200
    assert older["id"] not in [c["id"] for c in (await queue(operator))["items"]]
    assert older["id"] in [c["id"] for c in (await queue(operator, "?state=verified"))["items"]]

    issued = await client.app[ACCOUNTS].create_staff("supervisor", "渝中区监管员", ["500103"])
    inside = {"Authorization": f"Bearer {issued.token}"}
    assert [c["id"] for c in (await queue(inside, "?state=verified"))["items"]] == [older["id"]]
    assert newer["id"] not in [c["id"] for c in (await queue(inside))["items"]]  # 万州区's worker
    stranger = await factories.employer(client)  # deals with neither worker
    assert (await queue(stranger.auth))["items"] == []
    assert (await client.get("/v1/certificates", headers=first.auth)).status == 403
    assert (await client.get("/v1/certificates?state=lost", headers=operator)).status == 422
