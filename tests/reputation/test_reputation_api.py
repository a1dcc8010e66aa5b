"""Ratings and colours over HTTP against the real database: rating a completed shift once per side,
the fixed reasons, the aggregate shown from five ratings, ratings held while a case between the
two is open, the colours derived from cases, arrears and late cancellations, and who sees what."""
from __future__ import annotations

import asyncio
import json
import uuid
from datetime import timedelta

import asyncpg
import pytest

from market.accounts.keys import ACCOUNTS
from market.attendance.keys import ATTENDANCE
from market.reputation.keys import REPUTATION
from tests import factories
from tests.settlement.support import admin, assign, fund, minutes, now_local, principal_of, shift_at, work_shift


async def staff(client, role: str, districts: list[str]) -> dict:
    issued = await client.app[ACCOUNTS].create_staff(role, f"{role}-{uuid.uuid4().hex[:6]}", districts)
    return {"Authorization": f"Bearer {issued.token}"}


async def funded_employer(client):
    employer = await factories.employer(client, escrow_fen=0)
    await fund(client, employer, 10**7)
    return employer


async def completed(client, conn, employer, worker, days_ago: int = 0) -> uuid.UUID:
    """A 3-hour shift of `employer`, `days_ago` days back, that `worker` worked and the employer approved."""
    start = now_local() - minutes(240) - timedelta(days=days_ago)
    _, shift_id = await shift_at(client, conn, employer, start, start + minutes(180))
    assignment = await assign(conn, shift_id, worker, 3000)
    await work_shift(client, await principal_of(client, worker), assignment, start, start + minutes(180))
    await client.app[ATTENDANCE].approve(await principal_of(client, employer), assignment,
                                         now=start + minutes(181))
    assert await conn.fetchval("SELECT state FROM assignments WHERE id = $1", assignment) == "completed"
    return assignment


async def rate(client, party, assignment, score: int, reasons: list[str], status: int = 201) -> dict:
    response = await client.post(f"/v1/assignments/{assignment}/ratings", json={"score": score, "reasons": reasons},
                                 headers=party.auth)
    assert response.status == status, await response.text()
    return await response.json()


async def test_each_side_rates_a_completed_shift_once_and_sees_the_other_only_after_its_own(client, conn):
    employer, worker = await funded_employer(client), await factories.worker(client)
    assignment = await completed(client, conn, employer, worker)
    given = await rate(client, worker, assignment, 5, ["paid_on_time", "safe_site"])
    assert (given["rater"], given["score"], given["held"]) == ("worker", 5, False)
    seen = await (await client.get(f"/v1/assignments/{assignment}/ratings", headers=employer.auth)).json()
    assert seen["items"] == []  # the employer has not rated yet: it does not answer the worker's rating
    await rate(client, employer, assignment, 4, ["punctual"])
    seen = await (await client.get(f"/v1/assignments/{assignment}/ratings", headers=employer.auth)).json()
    assert [(r["rater"], r["score"]) for r in seen["items"]] == [("employer", 4), ("worker", 5)]
    again = await rate(client, worker, assignment, 1, [], status=409)
    assert again["current_state"] == "rated"
    with pytest.raises(asyncpg.CheckViolationError, match="not changed"):
        await conn.execute("UPDATE ratings SET score = 1 WHERE assignment_id = $1", assignment)


async def test_two_ratings_by_one_side_at_once_leave_one(client, conn):
    employer, worker = await funded_employer(client), await factories.worker(client)
    assignment = await completed(client, conn, employer, worker)
    responses = await asyncio.gather(*(client.post(f"/v1/assignments/{assignment}/ratings", headers=worker.auth,
                                                   json={"score": s, "reasons": []}) for s in (1, 2, 3, 4)))
    assert sorted(r.status for r in responses) == [201, 409, 409, 409]
    assert await conn.fetchval("SELECT count(*) FROM ratings WHERE assignment_id = $1", assignment) == 1


async def test_a_shift_not_completed_is_not_rated_and_reasons_come_from_the_side_s_list(client, conn):
    employer, worker = await funded_employer(client), await factories.worker(client)
    start = now_local() + minutes(60)
    _, shift_id = await shift_at(client, conn, employer, start, start + minutes(180))
    future = await assign(conn, shift_id, worker, 3000)
    refused = await rate(client, worker, future, 5, [], status=409)
    assert refused["current_state"] == "active"
    done = await completed(client, conn, employer, worker)
    wrong = await rate(client, worker, done, 5, ["punctual"], status=422)  # an employer's reason
    assert ["reasons"] in [e["loc"] for e in wrong["errors"]]
    assert (await rate(client, worker, done, 6, [], status=422))["errors"][0]["loc"] == ["score"]
    stranger = await factories.worker(client)
    assert (await client.post(f"/v1/assignments/{done}/ratings", json={"score": 3, "reasons": []},
                              headers=stranger.auth)).status == 404
    assert await conn.fetchval("SELECT count(*) FROM ratings") == 0


async def test_an_employer_s_rating_is_shown_from_five_ratings_and_held_while_a_case_is_open(client, conn):
    employer = await funded_employer(client)
    workers = [await factories.worker(client) for _ in range(5)]
    shifts = [await completed(client, conn, employer, w) for w in workers]
    for worker, assignment in zip(workers[:4], shifts[:4]):
        await rate(client, worker, assignment, 4, ["paid_on_time"])
    reader = await factories.worker(client)
    shown = await (await client.get(f"/v1/organisations/{employer.id}/reputation", headers=reader.auth)).json()
    assert shown["rating"] == {"shown": False, "count": None, "average": None, "reasons": None}
    assert shown["colour"] == "blue"

    # the fifth worker has a case open against the employer: their rating is held
    case = await client.post("/v1/cases", json={"kind": "safety", "assignment_id": str(shifts[4]), "statement": "x"},
                             headers=workers[4].auth)
    assert case.status == 201
    held = await rate(client, workers[4], shifts[4], 1, ["unsafe_site"])
    assert held["held"] is True
    shown = await (await client.get(f"/v1/organisations/{employer.id}/reputation", headers=reader.auth)).json()
    assert shown["rating"]["shown"] is False

    case_id = (await case.json())["id"]
    answered = await client.post(f"/v1/cases/{case_id}/answer", json={"text": "已整改"}, headers=employer.auth)
    assert answered.status == 200
    assert (await client.post(f"/v1/cases/{case_id}/accept", json={}, headers=workers[4].auth)).status == 200
    shown = await (await client.get(f"/v1/organisations/{employer.id}/reputation", headers=reader.auth)).json()
    assert shown["rating"] == {"shown": True, "count": 5, "average": 3.4,
                               "reasons": {"paid_on_time": 4, "unsafe_site": 1}}


async def test_a_worker_s_rating_is_read_by_employers_and_staff_and_by_the_worker_alone(client, conn):
    worker, other = await factories.worker(client), await factories.worker(client)
    employers = [await funded_employer(client) for _ in range(5)]
    for day, employer in enumerate(employers):
        await rate(client, employer, await completed(client, conn, employer, worker, day), 5, ["punctual", "skilled"])
    for headers in (employers[0].auth, worker.auth, await admin(client), await staff(client, "supervisor", ["500103"])):
        body = await (await client.get(f"/v1/workers/{worker.id}/rating", headers=headers)).json()
        assert (body["count"], body["average"], body["reasons"]) == (5, 5.0, {"punctual": 5, "skilled": 5})
    assert (await client.get(f"/v1/workers/{worker.id}/rating", headers=other.auth)).status == 404
    stranger = await funded_employer(client)  # never had the worker bid to or work for it
    assert (await client.get(f"/v1/workers/{worker.id}/rating", headers=stranger.auth)).status == 404
    elsewhere = await staff(client, "supervisor", ["500101"])
    assert (await client.get(f"/v1/workers/{worker.id}/rating", headers=elsewhere)).status == 404


async def test_colours_follow_the_record_and_supervisors_see_their_districts(client, conn):
    service = client.app[REPUTATION]
    clean, breached = await funded_employer(client), await funded_employer(client)
    worker = await factories.worker(client)
    for day in range(10):
        await completed(client, conn, clean, worker, day)
    await completed(client, conn, breached, worker, 10)
    # a wage arrear the employer is at fault for, outstanding: black
    assignment = await conn.fetchval("SELECT id FROM assignments WHERE organisation_id = $1", uuid.UUID(breached.id))
    await conn.execute("INSERT INTO arrears (kind, assignment_id, organisation_id, worker_id, due_date, "
                       "employer_at_fault) VALUES ('wage_unpaid', $1, $2, $3, current_date, true)",
                       assignment, uuid.UUID(breached.id), uuid.UUID(worker.id))
    assert await service.recompute() >= 2

    inside, outside = await staff(client, "supervisor", ["500103"]), await staff(client, "supervisor", ["500101"])
    listed = {c["organisation_id"]: c for c in (await (await client.get("/v1/supervision/colours",
                                                                         headers=inside)).json())["items"]}
    assert (listed[clean.id]["colour"], listed[clean.id]["reasons"]) == ("red", ["clean_record"])
    assert listed[breached.id]["colour"] == "black"
    assert listed[breached.id]["reasons"] == ["wage_arrears_outstanding"]
    assert listed[breached.id]["record"]["outstanding_arrears"] == 1
    assert {k: listed[clean.id]["record"][k] for k in ("completed_seats", "seats", "late_cancelled_seats",
                                                       "upheld_pay_complaints")} == {
        "completed_seats": 10, "seats": 10, "late_cancelled_seats": 0, "upheld_pay_complaints": 0}
    assert (await (await client.get("/v1/supervision/colours", headers=outside)).json())["items"] == []
    assert (await client.get("/v1/supervision/colours", headers=worker.auth)).status == 403

    assert await conn.fetchval("SELECT count(*) FROM events WHERE kind = 'organisation.colour_changed'") == 0

    await conn.execute("UPDATE arrears SET cleared_at = now() WHERE assignment_id = $1", assignment)
    await asyncio.gather(service.recompute(), service.recompute())  # two serve processes at once
    shown = await (await client.get(f"/v1/organisations/{breached.id}/reputation", headers=worker.auth)).json()
    assert (shown["colour"], shown["reasons"]) == ("blue", ["short_record"])
    [changed] = await conn.fetch("SELECT payload, district_code FROM events WHERE kind = 'organisation.colour_changed'")
    payload = json.loads(changed["payload"]) if isinstance(changed["payload"], str) else changed["payload"]
    assert (payload["organisation_id"], payload["previous"], payload["colour"]) == (breached.id, "black", "blue")
    assert changed["district_code"] == "500103"


async def test_decided_cases_count_in_the_record_by_kind(client, conn):
    from tests.cases.test_cases_api import no_show, opened, post

    employer, worker, assignment = await no_show(client, conn)
    appeal = await opened(client, worker, {"kind": "no_show_appeal", "assignment_id": str(assignment),
                                           "statement": "已到岗"})
    complaint = await opened(client, worker, {"kind": "unpaid_pay", "assignment_id": str(assignment),
                                              "statement": "未付"})
    safety = await opened(client, worker, {"kind": "safety", "assignment_id": str(assignment), "statement": "x"})
    operator = await admin(client)
    for case, outcome in ((appeal, "upheld"), (complaint, "partly_upheld"), (safety, "dismissed")):
        await post(client, f"/v1/cases/{case['id']}/escalate", worker.auth)
        await post(client, f"/v1/cases/{case['id']}/decide", operator, {"outcome": outcome, "reason": "查实"})
    await client.app[REPUTATION].recompute()
    inside = await staff(client, "supervisor", ["500103"])
    listed = {c["organisation_id"]: c for c in (await (await client.get("/v1/supervision/colours",
                                                                         headers=inside)).json())["items"]}
    record = listed[employer.id]["record"]
    assert (record["upheld_no_show_disputes"], record["upheld_pay_complaints"], record["upheld_other_complaints"]) \
        == (1, 1, 0)
    assert listed[employer.id]["colour"] == "black"  # the upheld pay complaint is an outstanding wage arrear
