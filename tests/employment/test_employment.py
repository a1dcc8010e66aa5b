import asyncio
import uuid

from openapi_spec_validator import validate

from market import db
from tests import factories

EMPLOYEES = "/v1/employers/me/employees"


async def hourly_minimum_fen(client, district_code: str) -> int:
    districts = (await (await client.get("/v1/districts")).json())["items"]
    return next(d for d in districts if d["code"] == district_code)["minimum_wage"]["hourly_fen"]


async def register(client, employer, *, wage_fen: int = 3000, job_title: str = "分拣员", **who):
    return await client.post(EMPLOYEES, json={"job_title": job_title, "agreed_hourly_wage_fen": wage_fen, **who},
                             headers=employer.auth)


async def registered(client, employer, worker, **kwargs) -> dict:
    response = await register(client, employer, worker_id=worker.id, **kwargs)
    assert response.status == 201, await response.text()
    return await response.json()


async def act(client, party, employment_id: str, action: str):
    return await client.post(f"/v1/employments/{employment_id}/{action}", headers=party.auth)


async def test_an_employer_registers_an_employee_by_worker_id_and_the_record_is_pending(client):
    employer = await factories.employer(client, name="重庆山城物流有限公司")
    worker = await factories.worker(client, name="陈九")
    response = await register(client, employer, worker_id=worker.id, job_title=" 叉车司机 ", wage_fen=3200)
    assert response.status == 201, await response.text()
    record = await response.json()
    assert record["state"] == "pending"
    assert record["worker_id"] is None and record["worker_name"] is None  # not until the worker confirms
    assert record["worker_id_number_masked"] is None
    assert record["organisation_id"] == employer.id
    assert record["employer_name"] == "重庆山城物流有限公司"
    assert record["job_title"] == "叉车司机"
    assert record["agreed_hourly_wage_fen"] == 3200
    assert record["decided_at"] is None


async def test_an_employer_registers_an_employee_by_id_number_without_keeping_it(client, conn):
    employer = await factories.employer(client)
    number = factories.resident_id()
    worker = await factories.worker(client, id_number=number)
    response = await register(client, employer, id_number=number.lower())
    assert response.status == 201, await response.text()
    record = await response.json()
    assert record["worker_id"] is None and record["worker_name"] is None
    assert record["worker_id_number_masked"] == number[:4] + "*" * 10 + number[-4:]  # of the number it sent
    assert number not in await response.text()
    assert worker.id not in await response.text()
    dump = await conn.fetchval("SELECT string_agg(row_to_json(e)::text, '|') FROM employments e")
    assert number not in dump


def same_shape(record: dict) -> dict:
    """A record with what differs between any two registrations (ids, times, the mask) left out."""
    return {key: (type(value).__name__ if key in ("id", "created_at", "worker_id_number_masked") else value)
            for key, value in record.items()}


async def test_a_registered_and_an_unregistered_id_number_get_the_same_answer(client):
    employer = await factories.employer(client)
    registered_number, unregistered_number = factories.resident_id(), factories.resident_id()
    await factories.worker(client, name="刘一", id_number=registered_number)
    known = await register(client, employer, id_number=registered_number)
    unknown = await register(client, employer, id_number=unregistered_number)
    assert known.status == unknown.status == 201
    known_record, unknown_record = await known.json(), await unknown.json()
    assert same_shape(known_record) == same_shape(unknown_record)
    assert known_record["worker_name"] is None and "刘一" not in await known.text()
    assert known.headers.keys() == unknown.headers.keys()
    listed = (await (await client.get(EMPLOYEES, headers=employer.auth)).json())["items"]
    assert [same_shape(e) for e in listed] == [same_shape(unknown_record), same_shape(known_record)]


async def test_a_second_registration_of_an_unregistered_number_is_a_409_like_a_registered_ones(client):
    employer = await factories.employer(client)
    registered_number, unregistered_number = factories.resident_id(), factories.resident_id()
    await factories.worker(client, id_number=registered_number)
    for number in (registered_number, unregistered_number):
        first = await (await register(client, employer, id_number=number)).json()
        again = await register(client, employer, id_number=number)
        assert again.status == 409
        problem = await again.json()
        assert (problem["field"], problem["current_state"], problem["employment_id"]) == (
            "id_number", "pending", first["id"])


async def test_the_employer_sees_the_person_only_once_they_confirm(client):
    employer = await factories.employer(client, name="重庆山城物流有限公司")
    number = factories.resident_id()
    worker = await factories.worker(client, name="陈九", id_number=number)
    record = await (await register(client, employer, id_number=number)).json()
    mine = (await (await client.get("/v1/workers/me/employments", headers=worker.auth)).json())["items"]
    assert [(e["id"], e["employer_name"], e["worker_name"], e["state"]) for e in mine] == [
        (record["id"], "重庆山城物流有限公司", "陈九", "pending")]
    confirmed = await act(client, worker, record["id"], "confirm")
    assert confirmed.status == 200, await confirmed.text()
    [seen] = (await (await client.get(EMPLOYEES, headers=employer.auth)).json())["items"]
    assert (seen["worker_id"], seen["worker_name"], seen["state"]) == (worker.id, "陈九", "active")


async def test_a_declined_record_never_shows_the_employer_who_declined_it(client):
    employer = await factories.employer(client)
    number = factories.resident_id()
    worker = await factories.worker(client, name="周八", id_number=number)
    record = await (await register(client, employer, id_number=number)).json()
    declined = await act(client, worker, record["id"], "decline")
    assert (await declined.json())["state"] == "declined"
    [seen] = (await (await client.get(EMPLOYEES, headers=employer.auth)).json())["items"]
    assert (seen["worker_id"], seen["worker_name"], seen["state"]) == (None, None, "declined")


async def test_an_employee_who_signs_up_after_being_registered_finds_the_record_waiting(client):
    employer = await factories.employer(client, name="甲公司")
    number = factories.resident_id()
    record = await (await register(client, employer, id_number=number)).json()
    worker = await factories.worker(client, id_number=number)
    mine = (await (await client.get("/v1/workers/me/employments", headers=worker.auth)).json())["items"]
    assert [(e["id"], e["state"]) for e in mine] == [(record["id"], "pending")]
    assert (await act(client, worker, record["id"], "confirm")).status == 200


async def test_an_id_number_with_a_wrong_check_digit_is_a_422_naming_it(client):
    employer = await factories.employer(client)
    number = factories.resident_id()
    wrong = number[:17] + ("0" if number[17] != "0" else "1")
    response = await register(client, employer, id_number=wrong)
    assert response.status == 422
    [error] = (await response.json())["errors"]
    assert error["loc"] == ["id_number"]
    assert "check digit" in error["msg"]
    assert wrong not in await response.text()


async def test_an_unknown_worker_id_is_a_422_naming_it(client):
    employer = await factories.employer(client)
    response = await register(client, employer, worker_id=str(uuid.uuid4()))
    assert response.status == 422
    assert [e["loc"] for e in (await response.json())["errors"]] == [["worker_id"]]


async def test_the_employee_is_named_by_exactly_one_of_worker_id_and_id_number(client):
    employer = await factories.employer(client)
    worker = await factories.worker(client)
    neither = await register(client, employer)
    assert neither.status == 422
    assert [e["loc"] for e in (await neither.json())["errors"]] == [["worker_id"]]
    both = await register(client, employer, worker_id=worker.id, id_number=factories.resident_id())
    assert both.status == 422
    assert [e["loc"] for e in (await both.json())["errors"]] == [["worker_id"], ["id_number"]]


async def test_a_second_registration_of_the_same_employee_is_a_409(client):
    employer = await factories.employer(client)
    worker = await factories.worker(client)
    first = await registered(client, employer, worker)
    response = await register(client, employer, worker_id=worker.id)
    assert response.status == 409
    problem = await response.json()
    assert problem["field"] == "worker_id"
    assert problem["current_state"] == "pending"
    assert problem["employment_id"] == first["id"]


async def test_another_employer_may_register_the_same_worker(client):
    worker = await factories.worker(client)
    await registered(client, await factories.employer(client), worker)
    await registered(client, await factories.employer(client), worker)


async def test_a_wage_below_the_districts_hourly_minimum_is_a_422_quoting_the_minimum(client):
    employer = await factories.employer(client, district_code="500103")
    worker = await factories.worker(client)
    minimum = await hourly_minimum_fen(client, "500103")
    response = await register(client, employer, worker_id=worker.id, wage_fen=minimum - 1)
    assert response.status == 422
    [error] = (await response.json())["errors"]
    assert error["loc"] == ["agreed_hourly_wage_fen"]
    assert str(minimum) in error["msg"]
    assert error["ctx"]["minimum_hourly_fen"] == minimum
    at_minimum = await register(client, employer, worker_id=worker.id, wage_fen=minimum)
    assert at_minimum.status == 201


async def test_the_minimum_is_that_of_the_employers_own_district_tier(client):
    tier_one, tier_two = await hourly_minimum_fen(client, "500103"), await hourly_minimum_fen(client, "500229")
    assert tier_two < tier_one
    employer = await factories.employer(client, district_code="500229")  # 城口县, tier 2
    response = await register(client, employer, worker_id=(await factories.worker(client)).id, wage_fen=tier_two)
    assert response.status == 201, await response.text()


async def test_the_named_worker_confirms_and_the_record_becomes_active(client):
    employer = await factories.employer(client)
    worker = await factories.worker(client)
    record = await registered(client, employer, worker)
    response = await act(client, worker, record["id"], "confirm")
    assert response.status == 200, await response.text()
    confirmed = await response.json()
    assert confirmed["state"] == "active"
    assert confirmed["decided_at"] is not None
    listed = (await (await client.get(EMPLOYEES, headers=employer.auth)).json())["items"]
    assert [(e["id"], e["state"]) for e in listed] == [(record["id"], "active")]


async def test_another_worker_cannot_confirm_or_decline_and_learns_nothing(client):
    employer = await factories.employer(client)
    named, other = await factories.worker(client), await factories.worker(client)
    record = await registered(client, employer, named)
    for action in ("confirm", "decline"):
        response = await act(client, other, record["id"], action)
        assert response.status == 404
    unknown = await act(client, other, str(uuid.uuid4()), "confirm")
    assert unknown.status == 404
    assert (await unknown.json())["detail"] == (await response.json())["detail"]
    assert (await act(client, other, "not-a-uuid", "confirm")).status == 404
    still = (await (await client.get(EMPLOYEES, headers=employer.auth)).json())["items"][0]
    assert still["state"] == "pending"


async def test_confirming_twice_is_a_409_with_the_current_state(client):
    employer = await factories.employer(client)
    worker = await factories.worker(client)
    record = await registered(client, employer, worker)
    assert (await act(client, worker, record["id"], "confirm")).status == 200
    again = await act(client, worker, record["id"], "confirm")
    assert again.status == 409
    assert (await again.json())["current_state"] == "active"


async def test_the_worker_declines_and_the_employer_may_register_again(client):
    employer = await factories.employer(client)
    worker = await factories.worker(client)
    record = await registered(client, employer, worker)
    response = await act(client, worker, record["id"], "decline")
    assert response.status == 200
    assert (await response.json())["state"] == "declined"
    late = await act(client, worker, record["id"], "confirm")
    assert late.status == 409
    assert (await late.json())["current_state"] == "declined"
    second = await registered(client, employer, worker)
    assert second["id"] != record["id"]


async def test_the_employer_ends_an_active_employment(client):
    employer = await factories.employer(client)
    worker = await factories.worker(client)
    record = await registered(client, employer, worker)
    await act(client, worker, record["id"], "confirm")
    response = await act(client, employer, record["id"], "end")
    assert response.status == 200
    assert (await response.json())["state"] == "ended"
    again = await act(client, employer, record["id"], "end")
    assert again.status == 409
    assert (await again.json())["current_state"] == "ended"
    mine = (await (await client.get("/v1/workers/me/employments", headers=worker.auth)).json())["items"]
    assert [(e["id"], e["state"]) for e in mine] == [(record["id"], "ended")]


async def test_the_employer_may_withdraw_an_unanswered_registration(client):
    employer = await factories.employer(client)
    worker = await factories.worker(client)
    record = await registered(client, employer, worker)
    assert (await (await act(client, employer, record["id"], "end")).json())["state"] == "ended"
    assert (await act(client, worker, record["id"], "confirm")).status == 409


async def test_only_the_registering_employer_can_end_it(client):
    owner, stranger = await factories.employer(client), await factories.employer(client)
    worker = await factories.worker(client)
    record = await registered(client, owner, worker)
    assert (await act(client, stranger, record["id"], "end")).status == 404
    assert (await act(client, worker, record["id"], "end")).status == 403  # a worker may not call it at all
    assert (await act(client, owner, record["id"], "confirm")).status == 403


async def test_employer_a_cannot_see_employer_bs_employees(client):
    employer_a, employer_b = await factories.employer(client), await factories.employer(client)
    worker_a, worker_b = await factories.worker(client), await factories.worker(client)
    record_a = await registered(client, employer_a, worker_a)
    await registered(client, employer_b, worker_b)
    await registered(client, employer_b, worker_a)
    listed = (await (await client.get(EMPLOYEES, headers=employer_a.auth)).json())["items"]
    assert [e["id"] for e in listed] == [record_a["id"]]


async def test_the_worker_sees_their_employments_with_employer_names_and_states(client):
    first = await factories.employer(client, name="甲公司")
    second = await factories.employer(client, name="乙公司")
    worker = await factories.worker(client)
    one = await registered(client, first, worker)
    await registered(client, second, worker)
    await act(client, worker, one["id"], "confirm")
    mine = (await (await client.get("/v1/workers/me/employments", headers=worker.auth)).json())["items"]
    assert sorted((e["employer_name"], e["state"]) for e in mine) == [("乙公司", "pending"), ("甲公司", "active")]
    active = await client.get("/v1/workers/me/employments", params={"state": "active"}, headers=worker.auth)
    assert [e["employer_name"] for e in (await active.json())["items"]] == ["甲公司"]
    stranger = await factories.worker(client)
    theirs = await client.get("/v1/workers/me/employments", headers=stranger.auth)
    assert (await theirs.json())["items"] == []


async def test_the_employee_list_pages_through_every_record_once_and_filters_by_state(client):
    employer = await factories.employer(client)
    workers = [await factories.worker(client) for _ in range(5)]
    records = [await registered(client, employer, w) for w in workers]
    await act(client, workers[0], records[0]["id"], "confirm")
    seen, cursor = [], None
    while True:
        params = {"limit": "2", **({"cursor": cursor} if cursor else {})}
        page = await (await client.get(EMPLOYEES, params=params, headers=employer.auth)).json()
        assert len(page["items"]) <= 2
        seen += [e["id"] for e in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [r["id"] for r in reversed(records)]
    pending = await (await client.get(EMPLOYEES, params={"state": "pending"}, headers=employer.auth)).json()
    assert {e["id"] for e in pending["items"]} == {r["id"] for r in records[1:]}
    bad_state = await client.get(EMPLOYEES, params={"state": "fired"}, headers=employer.auth)
    assert bad_state.status == 422
    assert (await bad_state.json())["errors"][0]["loc"] == ["query", "state"]


async def test_a_worker_cannot_register_employees(client):
    worker = await factories.worker(client)
    response = await register(client, worker, worker_id=worker.id)
    assert response.status == 403


async def test_twenty_concurrent_registrations_of_one_employee_make_exactly_one_record(client, conn):
    employer = await factories.employer(client)
    worker = await factories.worker(client)
    responses = await asyncio.gather(*(register(client, employer, worker_id=worker.id) for _ in range(20)))
    statuses = sorted(r.status for r in responses)
    assert statuses == [201] + [409] * 19
    assert await conn.fetchval("SELECT count(*) FROM employments") == 1


async def test_twenty_concurrent_registrations_of_one_unregistered_number_make_exactly_one_record(client, conn):
    employer, number = await factories.employer(client), factories.resident_id()
    responses = await asyncio.gather(*(register(client, employer, id_number=number) for _ in range(20)))
    assert sorted(r.status for r in responses) == [201] + [409] * 19
    assert await conn.fetchval("SELECT count(*) FROM employments") == 1


async def test_concurrent_confirm_and_end_leave_one_consistent_outcome(client):
    employer = await factories.employer(client)
    worker = await factories.worker(client)
    record = await registered(client, employer, worker)
    confirm, end = await asyncio.gather(act(client, worker, record["id"], "confirm"),
                                        act(client, employer, record["id"], "end"))
    final = (await (await client.get(EMPLOYEES, headers=employer.auth)).json())["items"][0]["state"]
    if confirm.status == 200:  # confirmed first, then ended from active
        assert end.status == 200 and final == "ended"
    else:  # ended (withdrawn) first, so the confirmation came too late
        assert (confirm.status, end.status, final) == (409, 200, "ended")


async def test_the_openapi_document_describes_the_employment_endpoints(client):
    document = await (await client.get("/openapi.json")).json()
    assert "post" in document["paths"]["/v1/employers/me/employees"]
    assert "post" in document["paths"]["/v1/employments/{id}/confirm"]
    validate(document)


async def test_records_of_a_database_made_before_this_schema_are_named_by_hash_and_unlinked_until_confirmed(
        client, conn):
    employer = await factories.employer(client)
    waiting, confirmed = await factories.worker(client, name="吴七"), await factories.worker(client)
    pending_record = await registered(client, employer, waiting)
    active_record = await registered(client, employer, confirmed)
    await act(client, confirmed, active_record["id"], "confirm")
    # As an older database holds them: every record linked to its worker, no hash of its own.
    await conn.execute("""
        ALTER TABLE employments DROP CONSTRAINT employments_linked_once_confirmed;
        ALTER TABLE employments ALTER COLUMN id_number_hash DROP NOT NULL;
        UPDATE employments SET id_number_hash = NULL""")
    await conn.execute("UPDATE employments SET worker_id = $1 WHERE id = $2", uuid.UUID(waiting.id),
                       uuid.UUID(pending_record["id"]))
    await conn.execute("DELETE FROM schema_version")
    await db.upgrade(conn)
    rows = {str(r["id"]): r for r in await conn.fetch("SELECT id, worker_id, id_number_hash FROM employments")}
    assert rows[pending_record["id"]]["worker_id"] is None
    assert str(rows[active_record["id"]]["worker_id"]) == confirmed.id
    assert all(r["id_number_hash"] is not None for r in rows.values())
    mine = (await (await client.get("/v1/workers/me/employments", headers=waiting.auth)).json())["items"]
    assert [e["id"] for e in mine] == [pending_record["id"]]
    listed = {e["id"]: e for e in (await (await client.get(EMPLOYEES, headers=employer.auth)).json())["items"]}
    assert listed[pending_record["id"]]["worker_name"] is None
