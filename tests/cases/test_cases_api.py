"""Cases over HTTP against the real database: opening (only against an employer the worker worked
or bid for), answering, accepting, escalating, the supervisor's scope and take-over, decisions and
their effects (reliability, arrears with their alert), the audit trail, the immutability of closed
cases, the sweep, and two decisions at once."""
from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import asyncpg
import pytest

from market.accounts.keys import ACCOUNTS
from market.cases.keys import CASES
from tests import factories
from tests.settlement.support import admin, assign, fund, minutes, now_local, shift_at


async def staff(client, role: str, districts: list[str]) -> dict:
    issued = await client.app[ACCOUNTS].create_staff(role, f"{role}-{uuid.uuid4().hex[:6]}", districts)
    return {"Authorization": f"Bearer {issued.token}"}


async def worked(client, conn):
    """An employer of 渝中区 and a worker holding a seat of its shift that started 30 minutes ago."""
    employer, worker = await factories.employer(client, escrow_fen=0), await factories.worker(client)
    await fund(client, employer, 10**7)
    start = now_local() - minutes(30)
    _, shift_id = await shift_at(client, conn, employer, start, start + minutes(180))
    return employer, worker, await assign(conn, shift_id, worker, 3000)


async def opened(client, worker, body: dict, status: int = 201) -> dict:
    response = await client.post("/v1/cases", json=body, headers=worker.auth)
    assert response.status == status, await response.text()
    return await response.json()


async def post(client, path: str, headers: dict, body: dict | None = None, status: int = 200) -> dict:
    response = await client.post(path, json=body or {}, headers=headers)
    assert response.status == status, await response.text()
    return await response.json()


async def test_a_worker_opens_a_case_the_employer_answers_and_the_worker_accepts(client, conn):
    employer, worker, assignment = await worked(client, conn)
    case = await opened(client, worker, {"kind": "changed_terms", "assignment_id": str(assignment),
                                         "statement": "到岗后被要求搬运重物，与订单不符"})
    assert (case["state"], case["organisation_id"], case["district_code"]) == ("open", employer.id, "500103")
    assert case["due_at"].endswith("+08:00")
    answered = await post(client, f"/v1/cases/{case['id']}/answer", employer.auth, {"text": "已调整岗位并致歉"})
    assert (answered["state"], answered["answer"]) == ("answered", "已调整岗位并致歉")
    second = await client.post(f"/v1/cases/{case['id']}/answer", json={"text": "再答一次"}, headers=employer.auth)
    assert second.status == 409 and (await second.json())["current_state"] == "answered"
    resolved = await post(client, f"/v1/cases/{case['id']}/accept", worker.auth)
    assert resolved["state"] == "resolved" and resolved["due_at"] is None
    assert [(t["role"], t["move"], t["from_state"], t["to_state"]) for t in resolved["transitions"]] == [
        ("worker", "open", None, "open"), ("employer", "answer", "open", "answered"),
        ("worker", "accept", "answered", "resolved")]
    late = await client.post(f"/v1/cases/{case['id']}/escalate", json={}, headers=worker.auth)
    assert late.status == 409 and (await late.json())["current_state"] == "resolved"


async def test_a_worker_cannot_open_a_case_about_an_order_they_neither_worked_nor_bid_for(client, conn):
    _, _, assignment = await worked(client, conn)
    stranger = await factories.worker(client)
    refused = await opened(client, stranger, {"kind": "safety", "assignment_id": str(assignment),
                                              "statement": "现场无安全帽"}, 422)
    assert ["assignment_id"] in [e["loc"] for e in refused["errors"]]
    order_id = await conn.fetchval("SELECT order_id FROM assignments WHERE id = $1", assignment)
    refused = await opened(client, stranger, {"kind": "safety", "order_id": str(order_id), "statement": "x"}, 422)
    assert ["order_id"] in [e["loc"] for e in refused["errors"]]
    missing = await opened(client, stranger, {"kind": "unpaid_pay", "order_id": str(order_id), "statement": "x"}, 422)
    assert ["assignment_id"] in [e["loc"] for e in missing["errors"]]


async def test_a_no_show_appeal_needs_a_no_show_and_a_timesheet_counter_a_disputed_timesheet(client, conn):
    _, worker, assignment = await worked(client, conn)
    for kind in ("no_show_appeal", "timesheet_dispute", "cancelled_seat"):
        refused = await opened(client, worker, {"kind": kind, "assignment_id": str(assignment), "statement": "x"}, 422)
        assert ["assignment_id"] in [e["loc"] for e in refused["errors"]]


async def test_only_the_parties_the_operator_and_supervisors_in_scope_see_a_case(client, conn):
    employer, worker, assignment = await worked(client, conn)
    case = await opened(client, worker, {"kind": "safety", "assignment_id": str(assignment), "statement": "无防护"})
    inside, outside = await staff(client, "supervisor", ["500103"]), await staff(client, "supervisor", ["500101"])
    other_employer, other_worker = await factories.employer(client, escrow_fen=0), await factories.worker(client)
    for headers in (worker.auth, employer.auth, inside, await admin(client)):
        assert (await client.get(f"/v1/cases/{case['id']}", headers=headers)).status == 200
    for headers in (outside, other_employer.auth, other_worker.auth):
        assert (await client.get(f"/v1/cases/{case['id']}", headers=headers)).status == 404
    listed = await (await client.get("/v1/cases", headers=inside)).json()
    assert case["id"] in [c["id"] for c in listed["items"]]
    assert (await (await client.get("/v1/cases", headers=outside)).json())["items"] == []
    assert (await (await client.get("/v1/cases", headers=other_employer.auth)).json())["items"] == []


async def no_show(client, conn):
    employer, worker, assignment = await worked(client, conn)
    marked = await client.post(f"/v1/assignments/{assignment}/no-show", headers=employer.auth)
    assert marked.status == 200, await marked.text()
    return employer, worker, assignment


async def test_an_upheld_no_show_appeal_restores_the_reliability_the_no_show_took(client, conn):
    employer, worker, assignment = await no_show(client, conn)
    assert await conn.fetchval("SELECT reliability FROM workers WHERE id = $1", uuid.UUID(worker.id)) == 40
    case = await opened(client, worker, {"kind": "no_show_appeal", "assignment_id": str(assignment),
                                         "statement": "我 9 点已到岗，门卫可作证"})
    await post(client, f"/v1/cases/{case['id']}/evidence", worker.auth, {"text": "门禁记录 08:55"}, 201)
    await post(client, f"/v1/cases/{case['id']}/escalate", worker.auth, {"note": "企业未答复"})
    operator = await admin(client)
    decided = await post(client, f"/v1/cases/{case['id']}/decide", operator,
                         {"outcome": "upheld", "reason": "门禁记录显示已到岗"})
    assert (decided["state"], decided["outcome"]) == ("decided", "upheld")
    assert [e["body"] for e in decided["evidence"]] == ["门禁记录 08:55"]
    assert await conn.fetchval("SELECT reliability FROM workers WHERE id = $1", uuid.UUID(worker.id)) == 50
    # the withdrawn seat is owed what a late cancellation owes (4 h capped at the 3-h shift, at
    # ¥30 an hour), settled through the ledger onto the worker's pay slip
    assert await conn.fetchval("SELECT amount_fen FROM compensations WHERE assignment_id = $1", assignment) == 9000
    assert await conn.fetchval("SELECT gross_fen FROM settlements WHERE assignment_id = $1", assignment) == 9000
    assert await conn.fetchval("SELECT coalesce(sum(amount_fen), 0) FROM journal_postings") == 0
    # the no-show record itself is not edited: the decision is an effect, not a rewrite
    assert await conn.fetchval("SELECT state FROM assignments WHERE id = $1", assignment) == "no_show"
    again = await client.post(f"/v1/cases/{case['id']}/decide", json={"outcome": "dismissed", "reason": "x"},
                              headers=operator)
    assert again.status == 409 and (await again.json())["current_state"] == "decided"


async def test_a_dismissed_appeal_leaves_reliability_as_it_was(client, conn):
    _, worker, assignment = await no_show(client, conn)
    case = await opened(client, worker, {"kind": "no_show_appeal", "assignment_id": str(assignment), "statement": "x"})
    await post(client, f"/v1/cases/{case['id']}/escalate", worker.auth)
    await post(client, f"/v1/cases/{case['id']}/decide", await admin(client), {"outcome": "dismissed", "reason": "无证据"})
    assert await conn.fetchval("SELECT reliability FROM workers WHERE id = $1", uuid.UUID(worker.id)) == 40
    assert await conn.fetchval("SELECT count(*) FROM compensations WHERE assignment_id = $1", assignment) == 0


async def test_a_shift_has_one_case_of_a_kind_even_when_two_are_opened_at_once(client, conn):
    _, worker, assignment = await no_show(client, conn)
    body = {"kind": "no_show_appeal", "assignment_id": str(assignment), "statement": "我已到岗"}
    responses = await asyncio.gather(*(client.post("/v1/cases", json=body, headers=worker.auth) for _ in range(4)))
    assert sorted(r.status for r in responses) == [201, 409, 409, 409]
    [first] = [await r.json() for r in responses if r.status == 201]
    refusals = [await r.json() for r in responses if r.status == 409]
    assert {r["case_id"] for r in refusals} == {first["id"]}
    assert await conn.fetchval("SELECT count(*) FROM cases WHERE assignment_id = $1", assignment) == 1
    other = await opened(client, worker, {"kind": "safety", "assignment_id": str(assignment), "statement": "x"})
    assert other["kind"] == "safety"


async def test_an_upheld_pay_complaint_becomes_arrears_with_a_supervisor_alert(client, conn):
    employer, worker, assignment = await worked(client, conn)
    case = await opened(client, worker, {"kind": "unpaid_pay", "assignment_id": str(assignment),
                                         "statement": "工资逾期未付"})
    await post(client, f"/v1/cases/{case['id']}/answer", employer.auth, {"text": "下周付"})
    await post(client, f"/v1/cases/{case['id']}/escalate", worker.auth)
    await post(client, f"/v1/cases/{case['id']}/decide", await admin(client),
               {"outcome": "partly_upheld", "reason": "工资确已逾期"})
    arrear = await conn.fetchrow("SELECT * FROM arrears WHERE assignment_id = $1", assignment)
    assert (arrear["kind"], arrear["organisation_id"], arrear["employer_at_fault"]) == (
        "wage_unpaid", uuid.UUID(employer.id), True)
    assert arrear["amount_fen"] == 3 * 3000  # three hours at 30 yuan, nothing settled yet
    alert = await conn.fetchrow("SELECT * FROM alerts WHERE business_key = $1", f"arrears:{arrear['id']}")
    assert (alert["kind"], alert["district_code"]) == ("arrears_wage_unpaid", "500103")
    arrears = await (await client.get("/v1/workers/me/arrears", headers=worker.auth)).json()
    assert [a["assignment_id"] for a in arrears["items"]] == [str(assignment)]


async def test_the_supervisor_of_the_district_takes_over_an_escalated_case_and_decides_it(client, conn):
    _, worker, assignment = await worked(client, conn)
    case = await opened(client, worker, {"kind": "discrimination", "assignment_id": str(assignment),
                                         "statement": "因户籍被拒"})
    inside, outside = await staff(client, "supervisor", ["500103"]), await staff(client, "supervisor", ["500101"])
    early = await client.post(f"/v1/cases/{case['id']}/take-over", json={}, headers=inside)
    assert early.status == 409 and (await early.json())["current_state"] == "open"
    await post(client, f"/v1/cases/{case['id']}/escalate", worker.auth)
    assert (await client.post(f"/v1/cases/{case['id']}/take-over", json={}, headers=outside)).status == 404
    not_yet = await client.post(f"/v1/cases/{case['id']}/decide", json={"outcome": "upheld", "reason": "x"},
                                headers=inside)
    assert not_yet.status == 403
    taken = await post(client, f"/v1/cases/{case['id']}/take-over", inside, {"note": "本区处理"})
    assert taken["taken_over"] and taken["state"] == "escalated"
    operator = await client.post(f"/v1/cases/{case['id']}/decide", json={"outcome": "upheld", "reason": "x"},
                                 headers=await admin(client))
    assert operator.status == 409
    decided = await post(client, f"/v1/cases/{case['id']}/decide", inside, {"outcome": "upheld", "reason": "查实"})
    assert decided["transitions"][-1]["role"] == "supervisor"


async def test_the_sweep_escalates_a_case_the_employer_did_not_answer_in_time(client, conn):
    _, worker, assignment = await worked(client, conn)
    case = await opened(client, worker, {"kind": "late_pay", "assignment_id": str(assignment), "statement": "迟发"})
    service = client.app[CASES]
    due = await conn.fetchval("SELECT due_at FROM cases WHERE id = $1", uuid.UUID(case["id"]))
    assert await service.sweep(now=due - timedelta(seconds=1)) == []
    [moved] = await service.sweep(now=due)
    assert (moved.id, moved.state) == (uuid.UUID(case["id"]), "escalated")
    trail = await conn.fetch("SELECT role, move, account_id FROM case_transitions WHERE case_id = $1 ORDER BY id",
                             moved.id)
    assert [(r["role"], r["move"], r["account_id"]) for r in trail][-1] == ("system", "expire", None)
    assert await service.sweep(now=due + timedelta(days=30)) == []  # escalated: the operator's clock, no expiry


async def test_the_sweep_escalates_an_answer_the_worker_did_not_reply_to(client, conn):
    employer, worker, assignment = await worked(client, conn)
    case = await opened(client, worker, {"kind": "safety", "assignment_id": str(assignment), "statement": "x"})
    answered = await post(client, f"/v1/cases/{case['id']}/answer", employer.auth, {"text": "已整改"})
    due = await conn.fetchval("SELECT due_at FROM cases WHERE id = $1", uuid.UUID(case["id"]))
    assert due.isoformat() != answered["created_at"]
    [moved] = await client.app[CASES].sweep(now=due)
    assert moved.state == "escalated"


async def test_closed_cases_and_the_audit_trail_cannot_be_changed_in_the_database(client, conn):
    employer, worker, assignment = await worked(client, conn)
    case = await opened(client, worker, {"kind": "safety", "assignment_id": str(assignment), "statement": "x"})
    await post(client, f"/v1/cases/{case['id']}/answer", employer.auth, {"text": "y"})
    await post(client, f"/v1/cases/{case['id']}/accept", worker.auth)
    with pytest.raises(asyncpg.CheckViolationError, match="closed case"):
        await conn.execute("UPDATE cases SET state = 'open' WHERE id = $1", uuid.UUID(case["id"]))
    with pytest.raises(asyncpg.CheckViolationError, match="append-only"):
        await conn.execute("DELETE FROM case_transitions WHERE case_id = $1", uuid.UUID(case["id"]))
    with pytest.raises(asyncpg.CheckViolationError, match="cases_state"):
        await conn.execute("INSERT INTO cases (kind, state, worker_id, organisation_id, district_code, statement) "
                           "VALUES ('safety', 'lost', $1, $2, '500103', 'x')", uuid.UUID(worker.id),
                           uuid.UUID(employer.id))
    with pytest.raises(asyncpg.CheckViolationError, match="cases_decided_has_outcome"):
        await conn.execute("INSERT INTO cases (kind, state, worker_id, organisation_id, district_code, statement, "
                           "answer) VALUES ('safety', 'decided', $1, $2, '500103', 'x', 'y')", uuid.UUID(worker.id),
                           uuid.UUID(employer.id))


async def test_two_decisions_at_once_one_wins_the_other_is_a_409(client, conn):
    _, worker, assignment = await no_show(client, conn)
    case = await opened(client, worker, {"kind": "no_show_appeal", "assignment_id": str(assignment), "statement": "x"})
    await post(client, f"/v1/cases/{case['id']}/escalate", worker.auth)
    operators = [await admin(client), await admin(client)]
    responses = await asyncio.gather(*(client.post(f"/v1/cases/{case['id']}/decide", headers=h,
                                                   json={"outcome": "upheld", "reason": "x"}) for h in operators))
    assert sorted(r.status for r in responses) == [200, 409]
    # the effect happened once
    assert await conn.fetchval("SELECT reliability FROM workers WHERE id = $1", uuid.UUID(worker.id)) == 50
    assert await conn.fetchval("SELECT count(*) FROM case_transitions WHERE case_id = $1 AND move = 'decide'",
                               uuid.UUID(case["id"])) == 1


async def test_an_upheld_appeal_of_a_late_cancellation_gives_back_the_reliability_it_took(client, conn):
    employer, worker = await factories.employer(client, escrow_fen=0), await factories.worker(client)
    await fund(client, employer, 10**7)
    start = now_local() + minutes(120)  # inside the 24-hour late-cancel window
    _, shift_id = await shift_at(client, conn, employer, start, start + minutes(180))
    assignment = await assign(conn, shift_id, worker, 3000)
    kept = await assign(conn, (await shift_at(client, conn, employer, start + timedelta(days=3),
                                              start + timedelta(days=3, hours=3)))[1], worker, 3000)
    refused = await opened(client, worker, {"kind": "reliability_appeal", "assignment_id": str(kept),
                                            "statement": "x"}, 422)
    assert ["assignment_id"] in [e["loc"] for e in refused["errors"]]
    cancelled = await client.post(f"/v1/assignments/{assignment}/cancel", json={"reason": "突发急病住院"},
                                  headers=worker.auth)
    assert cancelled.status == 200, await cancelled.text()
    assert await conn.fetchval("SELECT reliability FROM workers WHERE id = $1", uuid.UUID(worker.id)) == 45
    case = await opened(client, worker, {"kind": "reliability_appeal", "assignment_id": str(assignment),
                                         "statement": "住院证明已上传"})
    await post(client, f"/v1/cases/{case['id']}/escalate", worker.auth)
    await post(client, f"/v1/cases/{case['id']}/decide", await admin(client), {"outcome": "upheld", "reason": "病假属实"})
    assert await conn.fetchval("SELECT reliability FROM workers WHERE id = $1", uuid.UUID(worker.id)) == 50
    assert await conn.fetchval("SELECT count(*) FROM compensations WHERE assignment_id = $1", assignment) == 0


async def test_files_of_evidence_are_judged_by_content_kept_once_readable_by_who_sees_the_case(client, conn, settings):
    from tests.certificates.support import form, pdf_bytes

    employer, worker, assignment = await worked(client, conn)
    case = await opened(client, worker, {"kind": "safety", "assignment_id": str(assignment), "statement": "无防护"})
    kept = lambda: sorted(p.name for p in settings.uploads_path.rglob("*") if p.is_file())  # noqa: E731
    before = kept()

    not_a_pdf = await client.post(f"/v1/cases/{case['id']}/evidence/files", headers=worker.auth,
                                  data=form(b"%PDF-1.7 but not really a document"))
    assert not_a_pdf.status in (415, 422), await not_a_pdf.text()
    extra = await client.post(f"/v1/cases/{case['id']}/evidence/files", headers=worker.auth,
                              data=form(pdf_bytes(), note="x"))
    assert extra.status == 422 and (await extra.json())["errors"][0]["loc"] == ["note"]
    assert kept() == before

    photo = pdf_bytes("现场照片")
    added = await client.post(f"/v1/cases/{case['id']}/evidence/files", headers=worker.auth, data=form(photo))
    assert added.status == 201, await added.text()
    [file] = (await added.json())["files"]
    assert (file["role"], file["media_type"], file["size_bytes"]) == ("worker", "application/pdf", len(photo))
    assert len(kept()) == len(before) + 1

    inside = await staff(client, "supervisor", ["500103"])
    for headers in (worker.auth, employer.auth, inside, await admin(client)):
        got = await client.get(f"/v1/cases/{case['id']}/evidence/files/{file['id']}", headers=headers)
        assert got.status == 200 and await got.read() == photo
        assert got.headers["Content-Type"] == "application/octet-stream"
        assert got.headers["Content-Disposition"].startswith("attachment")
    for headers in (await staff(client, "supervisor", ["500101"]), (await factories.worker(client)).auth):
        assert (await client.get(f"/v1/cases/{case['id']}/evidence/files/{file['id']}", headers=headers)).status == 404

    await post(client, f"/v1/cases/{case['id']}/answer", employer.auth, {"text": "已整改"})
    await post(client, f"/v1/cases/{case['id']}/accept", worker.auth)
    closed = await client.post(f"/v1/cases/{case['id']}/evidence/files", headers=worker.auth, data=form(pdf_bytes()))
    assert closed.status == 409 and (await closed.json())["current_state"] == "resolved"
    assert len(kept()) == len(before) + 1
    with pytest.raises(asyncpg.CheckViolationError, match="append-only"):
        await conn.execute("DELETE FROM case_evidence_files WHERE case_id = $1", uuid.UUID(case["id"]))


async def disputed(client, conn):
    """A worker who checked in and out of a 3-hour shift (2 h 50 min recorded) whose employer disputed it."""
    from market.attendance.keys import ATTENDANCE
    from tests.settlement.support import SITE, principal_of

    employer, worker, assignment = await worked(client, conn)
    who = await principal_of(client, worker)
    start = await conn.fetchval("SELECT lower(period) FROM assignments WHERE id = $1", assignment)
    await client.app[ATTENDANCE].check_in(who, assignment, *SITE, now=start)
    await client.app[ATTENDANCE].check_out(who, assignment, *SITE, now=start + minutes(170))
    response = await client.post(f"/v1/assignments/{assignment}/dispute", json={"reason": "14:40 已离岗"},
                                 headers=employer.auth)
    assert response.status == 200, await response.text()
    return employer, worker, assignment


@pytest.mark.parametrize(("decision", "approved"), [
    ({"outcome": "upheld", "reason": "门禁记录与打卡一致"}, 170),
    ({"outcome": "partly_upheld", "reason": "监控显示 14:40 离岗", "minutes": 120}, 120),
])
async def test_a_decided_timesheet_dispute_approves_the_timesheet_as_the_platform_and_it_is_paid(
        client, conn, decision, approved):
    from market.settlement.keys import SETTLEMENTS

    _, worker, assignment = await disputed(client, conn)
    case = await opened(client, worker, {"kind": "timesheet_dispute", "assignment_id": str(assignment),
                                         "statement": "我做满了，打卡为证"})
    await post(client, f"/v1/cases/{case['id']}/escalate", worker.auth)
    operator = await admin(client)
    if decision["outcome"] == "partly_upheld":
        missing = await client.post(f"/v1/cases/{case['id']}/decide", headers=operator,
                                    json={k: v for k, v in decision.items() if k != "minutes"})
        assert missing.status == 422 and (await missing.json())["errors"][0]["loc"] == ["minutes"]
    await post(client, f"/v1/cases/{case['id']}/decide", operator, decision)
    sheet = await conn.fetchrow("SELECT state, approved_by, approved_minutes FROM timesheets WHERE assignment_id = $1",
                                assignment)
    assert tuple(sheet) == ("approved", "platform", approved)
    assert await conn.fetchval("SELECT state FROM assignments WHERE id = $1", assignment) == "completed"
    await client.app[SETTLEMENTS].settle_pending()
    assert await conn.fetchval("SELECT gross_fen FROM settlements WHERE assignment_id = $1", assignment) \
        == approved * 3000 // 60


async def test_a_dismissed_timesheet_dispute_leaves_the_timesheet_to_the_employer(client, conn):
    _, worker, assignment = await disputed(client, conn)
    case = await opened(client, worker, {"kind": "timesheet_dispute", "assignment_id": str(assignment),
                                         "statement": "x"})
    await post(client, f"/v1/cases/{case['id']}/escalate", worker.auth)
    refused = await client.post(f"/v1/cases/{case['id']}/decide", headers=await admin(client),
                                json={"outcome": "dismissed", "reason": "x", "minutes": 10})
    assert refused.status == 422 and (await refused.json())["errors"][0]["loc"] == ["minutes"]
    await post(client, f"/v1/cases/{case['id']}/decide", await admin(client), {"outcome": "dismissed", "reason": "x"})
    assert await conn.fetchval("SELECT state FROM timesheets WHERE assignment_id = $1", assignment) == "disputed"
