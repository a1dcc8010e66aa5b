import asyncio
import uuid

import pytest
from openapi_spec_validator import validate

from tests import factories

FULL_PROFILE = {
    "district_code": "500106",
    "home": {"lat": 29.5410, "lon": 106.4542},
    "max_travel_m": 15000,
    "accepts_auto_allocation": True,
    "relationship_types": ["labor_service", "labor_part_time"],
    "skills": [{"skill_code": "forklift", "level": 4, "has_certificate": True},
               {"skill_code": "warehouse_picking", "level": 2}],
    "availability": {
        "weekly": [{"weekday": 1, "start": "08:00", "end": "12:00"},
                   {"weekday": 1, "start": "13:00", "end": "17:30"},
                   {"weekday": 5, "start": "18:00", "end": "24:00"}],
        "exceptions": [{"date": "2030-10-01"},
                       {"date": "2030-10-03", "start": "09:00", "end": "11:00"}],
    },
}


async def patch(client, party, body):
    return await client.patch("/v1/workers/me", json=body, headers=party.auth)


async def problem_locs(response):
    assert response.status == 422, await response.text()
    assert response.content_type == "application/problem+json"
    return [tuple(e["loc"]) for e in (await response.json())["errors"]]


async def test_a_new_worker_has_the_default_profile(client):
    worker = await factories.worker(client, name="周八", district_code="500103")
    response = await client.get("/v1/workers/me", headers=worker.auth)
    assert response.status == 200
    profile = await response.json()
    assert profile["id"] == worker.id
    assert profile["name"] == "周八"
    assert profile["id_number_masked"].startswith("5001**********")
    assert profile["district_code"] == "500103"
    assert profile["home"] is None
    assert profile["max_travel_m"] == 10000
    assert profile["accepts_auto_allocation"] is False
    assert sorted(profile["relationship_types"]) == ["incomplete_labor", "labor_part_time", "labor_service",
                                                    "shared_labor"]
    assert profile["skills"] == []
    assert profile["availability"] == {"weekly": [], "exceptions": []}
    assert profile["reliability"] == 50


async def test_a_profile_patched_in_full_reads_back_the_same(client):
    worker = await factories.worker(client)
    patched = await patch(client, worker, FULL_PROFILE)
    assert patched.status == 200, await patched.text()
    read = await (await client.get("/v1/workers/me", headers=worker.auth)).json()
    assert read == await patched.json()
    assert read["district_code"] == "500106"
    assert read["home"] == {"lat": 29.5410, "lon": 106.4542}
    assert read["max_travel_m"] == 15000
    assert read["accepts_auto_allocation"] is True
    assert read["relationship_types"] == ["labor_part_time", "labor_service"]
    # The claim sent (has_certificate: true) is ignored: only a verified certificate counts.
    assert read["skills"] == [
        {"skill_code": "forklift", "level": 4, "has_certificate": False, "certificate_valid_until": None},
        {"skill_code": "warehouse_picking", "level": 2, "has_certificate": False, "certificate_valid_until": None}]
    assert read["availability"]["weekly"] == FULL_PROFILE["availability"]["weekly"]
    assert read["availability"]["exceptions"] == [
        {"date": "2030-10-01", "start": None, "end": None},
        {"date": "2030-10-03", "start": "09:00", "end": "11:00"}]


async def test_a_window_until_midnight_is_stored_as_24_00(client, conn):
    worker = await factories.worker(client)
    response = await patch(client, worker, {"availability": {"weekly": [
        {"weekday": 7, "start": "20:00", "end": "24:00"}]}})
    assert response.status == 200, await response.text()
    stored = await conn.fetchval("SELECT end_time::text FROM worker_availability WHERE worker_id = $1",
                                 uuid.UUID(worker.id))
    assert stored == "24:00:00"
    assert (await response.json())["availability"]["weekly"] == [{"weekday": 7, "start": "20:00", "end": "24:00"}]


async def test_a_partial_patch_leaves_the_other_fields_as_they_were(client):
    worker = await factories.worker(client)
    assert (await patch(client, worker, FULL_PROFILE)).status == 200
    response = await patch(client, worker, {"max_travel_m": 3000,
                                            "availability": {"exceptions": []}})
    assert response.status == 200, await response.text()
    profile = await response.json()
    assert profile["max_travel_m"] == 3000
    assert profile["availability"]["exceptions"] == []
    # untouched: everything else, including the weekly pattern next to the replaced exceptions
    assert profile["availability"]["weekly"] == FULL_PROFILE["availability"]["weekly"]
    assert profile["home"] == FULL_PROFILE["home"]
    assert profile["district_code"] == "500106"
    assert [s["skill_code"] for s in profile["skills"]] == ["forklift", "warehouse_picking"]
    assert profile["relationship_types"] == ["labor_part_time", "labor_service"]


async def test_skills_given_replace_the_whole_list(client):
    worker = await factories.worker(client)
    assert (await patch(client, worker, FULL_PROFILE)).status == 200
    profile = await (await patch(client, worker, {"skills": [{"skill_code": "loading", "level": 3}]})).json()
    assert profile["skills"] == [{"skill_code": "loading", "level": 3, "has_certificate": False,
                                  "certificate_valid_until": None}]


async def test_null_home_clears_the_home_location(client):
    worker = await factories.worker(client)
    assert (await patch(client, worker, FULL_PROFILE)).status == 200
    profile = await (await patch(client, worker, {"home": None})).json()
    assert profile["home"] is None


@pytest.mark.parametrize(("body", "loc", "words"), [
    ({"skills": [{"skill_code": "loading", "level": 2}, {"skill_code": "juggling", "level": 2}]},
     ("skills", 1, "skill_code"), "not in the skill catalogue"),
    ({"skills": [{"skill_code": "loading", "level": 6}]}, ("skills", 0, "level"), "less than or equal to 5"),
    ({"skills": [{"skill_code": "loading", "level": 2}, {"skill_code": "loading", "level": 3}]},
     ("skills", 1, "skill_code"), "listed twice"),
    ({"home": {"lat": 30.5728, "lon": 104.0668}}, ("home", "lon"), "outside Chongqing"),  # Chengdu
    ({"home": {"lat": 27.5, "lon": 106.55}}, ("home", "lat"), "outside Chongqing"),
    ({"home": {"lat": 29.56}}, ("home", "lon"), "Field required"),
    ({"availability": {"weekly": [{"weekday": 3, "start": "08:00", "end": "12:00"},
                                  {"weekday": 3, "start": "11:00", "end": "14:00"}]}},
     ("availability", "weekly", 1), "overlaps window 0"),
    ({"availability": {"weekly": [{"weekday": 2, "start": "12:00", "end": "12:00"}]}},
     ("availability", "weekly", 0, "end"), "after start"),
    ({"availability": {"weekly": [{"weekday": 8, "start": "08:00", "end": "12:00"}]}},
     ("availability", "weekly", 0, "weekday"), "less than or equal to 7"),
    ({"availability": {"weekly": [{"weekday": 1, "start": "24:00", "end": "24:00"}]}},
     ("availability", "weekly", 0, "start"), "pattern"),
    ({"availability": {"exceptions": [{"date": "2030-01-02", "start": "09:00"}]}},
     ("availability", "exceptions", 0, "end"), "both start and end"),
    ({"availability": {"exceptions": [{"date": "2030-01-02", "start": "15:00", "end": "09:00"}]}},
     ("availability", "exceptions", 0, "end"), "after start"),
    ({"availability": {"exceptions": [{"date": "2030-01-02"}, {"date": "2030-01-02"}]}},
     ("availability", "exceptions", 1, "date"), "listed twice"),
    ({"relationship_types": []}, ("relationship_types",), "at least 1"),
    ({"relationship_types": ["gig"]}, ("relationship_types", 0), "labor_part_time"),
    ({"max_travel_m": 99}, ("max_travel_m",), "greater than or equal to 100"),
    ({"max_travel_m": 200_001}, ("max_travel_m",), "less than or equal to 200000"),
    ({"max_travel_m": None}, ("max_travel_m",), "may not be null"),
    ({"district_code": "500105"}, ("district_code",), "not an active Chongqing district"),
    ({"reliability": 100}, ("reliability",), "read-only"),
    ({"name": "别人"}, ("name",), "read-only"),
    ({"id_number_masked": "5001**********0000"}, ("id_number_masked",), "read-only"),
    ({"max_travel": 5000}, ("max_travel",), "Extra inputs are not permitted"),
])
async def test_each_broken_field_is_a_422_naming_it(client, body, loc, words):
    worker = await factories.worker(client)
    before = await (await client.get("/v1/workers/me", headers=worker.auth)).json()
    response = await patch(client, worker, body)
    assert await problem_locs(response) == [loc]
    message = (await response.json())["errors"][0]["msg"]
    assert words in message
    after = await (await client.get("/v1/workers/me", headers=worker.auth)).json()
    assert after == before


async def test_every_broken_field_is_reported_at_once_and_nothing_is_saved(client):
    worker = await factories.worker(client)
    response = await patch(client, worker, {
        "max_travel_m": 500, "district_code": "999999",
        "home": {"lat": 20.0, "lon": 100.0},
        "skills": [{"skill_code": "juggling", "level": 1}],
        "availability": {"weekly": [{"weekday": 1, "start": "10:00", "end": "09:00"}]},
    })
    assert set(await problem_locs(response)) == {
        ("district_code",), ("home", "lat"), ("home", "lon"), ("skills", 0, "skill_code"),
        ("availability", "weekly", 0, "end")}
    profile = await (await client.get("/v1/workers/me", headers=worker.auth)).json()
    assert profile["max_travel_m"] == 10000


async def test_swapped_coordinates_name_both_and_suggest_the_swap(client):
    worker = await factories.worker(client)
    response = await patch(client, worker, {"home": {"lat": 106.55, "lon": 29.56}})
    assert await problem_locs(response) == [("home", "lat"), ("home", "lon")]
    assert all("swapped" in e["msg"] for e in (await response.json())["errors"])


async def test_windows_that_only_touch_do_not_overlap(client):
    worker = await factories.worker(client)
    response = await patch(client, worker, {"availability": {"weekly": [
        {"weekday": 4, "start": "12:00", "end": "18:00"}, {"weekday": 4, "start": "08:00", "end": "12:00"},
        {"weekday": 5, "start": "08:00", "end": "12:00"}]}})
    assert response.status == 200, await response.text()
    assert (await response.json())["availability"]["weekly"] == [
        {"weekday": 4, "start": "08:00", "end": "12:00"}, {"weekday": 4, "start": "12:00", "end": "18:00"},
        {"weekday": 5, "start": "08:00", "end": "12:00"}]


async def test_a_worker_sees_and_changes_only_their_own_profile(client):
    first = await factories.worker(client, name="甲")
    second = await factories.worker(client, name="乙")
    assert (await patch(client, first, {"max_travel_m": 2000})).status == 200
    other = await (await client.get("/v1/workers/me", headers=second.auth)).json()
    assert other["name"] == "乙"
    assert other["max_travel_m"] == 10000


@pytest.mark.parametrize("method", ["GET", "PATCH"])
async def test_an_employer_cannot_use_the_worker_profile(client, method):
    employer = await factories.employer(client)
    response = await client.request(method, "/v1/workers/me", json={"max_travel_m": 1000}, headers=employer.auth)
    assert response.status == 403
    assert response.content_type == "application/problem+json"


async def test_the_profile_needs_a_token(client):
    assert (await client.get("/v1/workers/me")).status == 401


async def test_concurrent_patches_of_one_worker_leave_one_whole_list(client):
    worker = await factories.worker(client)
    lists = [[{"skill_code": code, "level": level} for code in ("loading", "forklift", "warehouse_picking")]
             for level in range(1, 6)] * 2
    responses = await asyncio.gather(*(patch(client, worker, {"skills": skills}) for skills in lists))
    assert [r.status for r in responses] == [200] * len(lists)
    skills = (await (await client.get("/v1/workers/me", headers=worker.auth)).json())["skills"]
    # one PATCH's list, whole: three skills at one level, never a mix or a duplicate-key failure
    assert sorted(s["skill_code"] for s in skills) == ["forklift", "loading", "warehouse_picking"]
    assert len({s["level"] for s in skills}) == 1


async def test_the_openapi_document_describes_the_profile_endpoints(client):
    document = await (await client.get("/openapi.json")).json()
    assert {"get", "patch"} <= set(document["paths"]["/v1/workers/me"])
    validate(document)
