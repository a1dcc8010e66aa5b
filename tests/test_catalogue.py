async def test_the_37_chongqing_districts_are_listed_with_their_tiers(client):
    body = await (await client.get("/v1/districts?on=2026-06-01")).json()
    districts = {d["name"]: d for d in body["items"]}
    assert len(districts) == 37
    assert districts["两江新区"]["tier"] == 1
    assert districts["城口县"]["tier"] == 2
    assert districts["渝中区"]["code"] == "500103"
    assert "江北区" not in districts


async def test_former_districts_resolve_when_asked_for(client):
    body = await (await client.get("/v1/districts?include_inactive=true")).json()
    former = {d["code"]: d for d in body["items"] if not d["active"]}
    assert set(former) == {"500105", "500112"}


async def test_the_minimum_wage_shown_is_the_one_in_force_on_the_date(client):
    before = await (await client.get("/v1/districts?on=2024-12-31")).json()
    after = await (await client.get("/v1/districts?on=2025-01-01")).json()
    by_code = lambda body: {d["code"]: d["minimum_wage"] for d in body["items"]}  # noqa: E731
    assert by_code(before)["500103"]["hourly_fen"] == 2100
    assert by_code(after)["500103"]["hourly_fen"] == 2300
    assert by_code(before)["500229"]["hourly_fen"] == 2000
    assert by_code(after)["500229"]["hourly_fen"] == 2200


async def test_a_bad_date_is_a_422_naming_the_query_field(client):
    response = await client.get("/v1/districts?on=yesterday")
    assert response.status == 422
    assert (await response.json())["errors"][0]["loc"] == ["query", "on"]


async def test_the_skill_catalogue_marks_skills_that_need_a_certificate(client):
    body = await (await client.get("/v1/skills")).json()
    skills = {s["code"]: s for s in body["items"]}
    assert len(skills) >= 30
    assert skills["forklift"]["certificate"]
    assert skills["cleaning"]["certificate"] is None
