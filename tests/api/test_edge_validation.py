"""Bad input is refused at the edge: every amount and quantity has a documented range, integers are
integers (never strings or booleans), and every date is bounded. Each case is a 422 naming the
field, and nothing is written; none is a 500 (issue 13)."""
from __future__ import annotations

import uuid

import pytest

from tests import factories
from tests.factories import at, gig_order_body, shared_order_body

HUGE = 2**63


def locs(problem: dict) -> list[list]:
    return [e["loc"] for e in problem.get("errors", [])]


def piece_pay(**pay) -> dict:
    return {"unit": "piece", "amount_fen": 500, "stated_hours": 0.2, **pay}


# (what, body overrides, the loc named in the 422)
BAD_ORDERS = [
    ("pay of 2^63 fen", {"pay": {"unit": "hour", "amount_fen": HUGE}}, ["pay", "amount_fen"]),
    ("pay above the documented maximum", {"pay": {"unit": "hour", "amount_fen": 10**7 + 1}}, ["pay", "amount_fen"]),
    ("pay as a string", {"pay": {"unit": "hour", "amount_fen": "3000"}}, ["pay", "amount_fen"]),
    ("pay as a float", {"pay": {"unit": "hour", "amount_fen": 3000.0}}, ["pay", "amount_fen"]),
    ("pay as a boolean", {"pay": {"unit": "hour", "amount_fen": True}}, ["pay", "amount_fen"]),
    ("piece pay stating 10000 hours", {"pay": piece_pay(stated_hours=10000)}, ["pay", "stated_hours"]),
    ("piece pay stating 0.001 hours", {"pay": piece_pay(stated_hours=0.001)}, ["pay", "stated_hours"]),
    ("piece pay stating 0.125 hours (over 2 decimals)", {"pay": piece_pay(stated_hours=0.125)},
     ["pay", "stated_hours"]),
    ("a pay cycle of 10^9 days", {"pay": {"unit": "hour", "amount_fen": 3000, "cycle_days": 10**9}},
     ["pay", "cycle_days"]),
    ("headcount as a string", {"shifts": [{"start": at(2, 9), "end": at(2, 13), "headcount": "100"}]},
     ["shifts", 0, "headcount"]),
    ("headcount as a boolean", {"shifts": [{"start": at(2, 9), "end": at(2, 13), "headcount": True}]},
     ["shifts", 0, "headcount"]),
    ("headcount of 2^63", {"shifts": [{"start": at(2, 9), "end": at(2, 13), "headcount": HUGE}]},
     ["shifts", 0, "headcount"]),
    ("a skill level of 2^63", {"skills": [{"skill_code": "warehouse_picking", "min_level": HUGE}]},
     ["skills", 0, "min_level"]),
    ("a late-cancel window of 10^12 hours", {"late_cancel": {"window_hours": 10**12}},
     ["late_cancel", "window_hours"]),
    ("a site latitude of 1e308", {"site": {"lat": 1e308, "lon": 106.5688}}, ["site", "lat"]),
    ("a site latitude as a string", {"site": {"lat": "29.5", "lon": 106.5688}}, ["site", "lat"]),
]
BAD_SHARED_ORDERS = [
    ("a fee of 2^63 fen", {"fee_per_worker_day_fen": HUGE}, ["fee_per_worker_day_fen"]),
    ("a fee as a string", {"fee_per_worker_day_fen": "30000"}, ["fee_per_worker_day_fen"]),
    ("a headcount as a string", {"headcount": "2"}, ["headcount"]),
    ("a weekday of 2^63", {"schedule": {**shared_order_body()["schedule"], "weekdays": [HUGE]}},
     ["schedule", "weekdays", 0]),
]


@pytest.mark.parametrize("what, overrides, loc", BAD_ORDERS, ids=[case[0] for case in BAD_ORDERS])
async def test_an_odd_amount_or_quantity_on_a_gig_order_is_a_422_naming_the_field(client, conn, what, overrides,
                                                                                   loc):
    employer = await factories.employer(client)
    response = await client.post("/v1/orders", json=gig_order_body(**overrides), headers=employer.auth)
    assert response.status == 422, await response.text()
    assert loc in locs(await response.json())
    assert await conn.fetchval("SELECT count(*) FROM orders") == 0


@pytest.mark.parametrize("what, overrides, loc", BAD_SHARED_ORDERS, ids=[case[0] for case in BAD_SHARED_ORDERS])
async def test_an_odd_amount_or_quantity_on_a_shared_order_is_a_422_naming_the_field(client, conn, what, overrides,
                                                                                     loc):
    employer = await factories.employer(client)
    response = await client.post("/v1/orders", json=shared_order_body(**overrides), headers=employer.auth)
    assert response.status == 422, await response.text()
    assert loc in locs(await response.json())
    assert await conn.fetchval("SELECT count(*) FROM orders") == 0


async def test_decimal_hours_are_taken_as_json_numbers_or_decimal_strings(client):
    employer = await factories.employer(client)
    for stated_hours, window_hours in [(0.2, 12), ("0.25", "2.5"), (24, 0)]:
        body = gig_order_body(pay=piece_pay(stated_hours=stated_hours),
                              late_cancel={"window_hours": window_hours, "compensation_hours": 2.5})
        response = await client.post("/v1/orders", json=body, headers=employer.auth)
        assert response.status == 201, await response.text()
        posted = await response.json()
        assert float(posted["pay"]["stated_hours"]) == float(stated_hours)
        assert float(posted["late_cancel"]["window_hours"]) == float(window_hours)


async def test_type_and_range_errors_are_all_reported_at_once(client):
    employer = await factories.employer(client)
    body = gig_order_body(shifts=[{"start": at(2, 9), "end": at(2, 13), "headcount": "3"}],
                          pay={"unit": "hour", "amount_fen": HUGE})
    response = await client.post("/v1/orders", json=body, headers=employer.auth)
    assert response.status == 422
    assert {("shifts", 0, "headcount"), ("pay", "amount_fen")} <= {tuple(loc) for loc in locs(await response.json())}


@pytest.mark.parametrize("fee, wage, loc", [
    (0, 2600, ["fee_per_worker_day_fen"]),
    (-500, 2600, ["fee_per_worker_day_fen"]),
    (HUGE, 2600, ["fee_per_worker_day_fen"]),
    ("30000", 2600, ["fee_per_worker_day_fen"]),
    (30000, HUGE, ["employees", 0, "wage_hourly_fen"]),
    (30000, True, ["employees", 0, "wage_hourly_fen"]),
], ids=["fee 0", "fee -500", "fee 2^63", "fee as a string", "wage 2^63", "wage as a boolean"])
async def test_an_odd_fee_or_wage_on_a_lenders_bid_is_a_422_naming_the_field(client, conn, fee, wage, loc):
    borrower, lender, worker = await factories.employer(client), await factories.employer(client), \
        await factories.worker(client)
    order = await factories.post_order(client, borrower, shared_order_body())
    employment_id = await factories.employee(client, lender, worker)
    response = await client.post(f"/v1/orders/{order['id']}/bids", headers=lender.auth, json={
        "fee_per_worker_day_fen": fee, "employees": [{"employment_id": employment_id, "wage_hourly_fen": wage}]})
    assert response.status == 422, await response.text()
    assert loc in locs(await response.json())
    assert await conn.fetchval("SELECT count(*) FROM shared_bids") == 0


@pytest.mark.parametrize("rate", [HUGE, "3000", True, 3000.0, 0], ids=["2^63", "string", "boolean", "float", "zero"])
async def test_an_odd_rate_on_a_workers_bid_is_a_422_naming_the_field(client, conn, rate):
    employer, worker = await factories.employer(client), await factories.worker(client)
    order = await factories.post_order(client, employer, gig_order_body())
    response = await client.post(f"/v1/orders/{order['id']}/bids", headers=worker.auth, json={
        "shift_ids": [order["shifts"][0]["id"]], "rate_fen": rate})
    assert response.status == 422, await response.text()
    assert ["rate_fen"] in locs(await response.json())
    assert await conn.fetchval("SELECT count(*) FROM bids") == 0


@pytest.mark.parametrize("amount", [10**10 + 1, HUGE, "100", 100.0, True],
                         ids=["over 10^10", "2^63", "string", "float", "boolean"])
async def test_an_odd_deposit_is_a_422_naming_the_amount(client, conn, amount):
    employer = await factories.employer(client, escrow_fen=0)
    response = await client.post("/v1/employers/me/deposits", headers=employer.auth,
                                 json={"amount_fen": amount, "bank_reference": "T-1"})
    assert response.status == 422, await response.text()
    assert ["amount_fen"] in locs(await response.json())
    assert await conn.fetchval("SELECT count(*) FROM deposits") == 0


@pytest.mark.parametrize("wage", ["2600", True, HUGE], ids=["string", "boolean", "2^63"])
async def test_an_odd_agreed_wage_of_an_employee_is_a_422(client, conn, wage):
    lender, worker = await factories.employer(client), await factories.worker(client)
    response = await client.post("/v1/employers/me/employees", headers=lender.auth, json={
        "worker_id": worker.id, "job_title": "仓管员", "agreed_hourly_wage_fen": wage})
    assert response.status == 422, await response.text()
    assert ["agreed_hourly_wage_fen"] in locs(await response.json())
    assert await conn.fetchval("SELECT count(*) FROM employments") == 0


@pytest.mark.parametrize("path, body, loc", [
    ("check-in", {"lat": "29.5531", "lon": 106.5688}, ["lat"]),
    ("check-out", {"lat": 29.5531, "lon": True}, ["lon"]),
], ids=["latitude as a string", "longitude as a boolean"])
async def test_a_check_in_location_of_the_wrong_type_is_a_422(client, path, body, loc):
    worker = await factories.worker(client)
    response = await client.post(f"/v1/assignments/{uuid.uuid4()}/{path}", json=body, headers=worker.auth)
    assert response.status == 422, await response.text()
    assert loc in locs(await response.json())


async def test_adjusted_minutes_as_a_string_are_a_422(client):
    employer = await factories.employer(client)
    response = await client.post(f"/v1/assignments/{uuid.uuid4()}/approve", headers=employer.auth,
                                 json={"minutes": "60", "reason": "left early"})
    assert response.status == 422, await response.text()
    assert ["minutes"] in locs(await response.json())


@pytest.mark.parametrize("patch, loc", [
    ({"max_travel_m": "5000"}, ["max_travel_m"]),
    ({"accepts_auto_allocation": 1}, ["accepts_auto_allocation"]),
    ({"home": {"lat": 1000.0, "lon": 106.5}}, ["home", "lat"]),
    ({"home": {"lat": "29.5", "lon": 106.5}}, ["home", "lat"]),
    ({"skills": [{"skill_code": "warehouse_picking", "level": "3"}]}, ["skills", 0, "level"]),
    ({"availability": {"weekly": [{"weekday": True, "start": "08:00", "end": "12:00"}]}},
     ["availability", "weekly", 0, "weekday"]),
    ({"availability": {"exceptions": [{"date": "9999-12-31"}]}}, ["availability", "exceptions", 0, "date"]),
    ({"availability": {"exceptions": [{"date": 0}]}}, ["availability", "exceptions", 0, "date"]),
], ids=["travel as a string", "auto allocation as 1", "latitude 1000", "latitude as a string", "level as a string",
        "weekday as a boolean", "exception in 9999", "exception date as a number"])
async def test_an_odd_value_in_the_worker_profile_is_a_422(client, patch, loc):
    worker = await factories.worker(client)
    before = await (await client.get("/v1/workers/me", headers=worker.auth)).json()
    response = await client.patch("/v1/workers/me", json=patch, headers=worker.auth)
    assert response.status == 422, await response.text()
    assert loc in locs(await response.json())
    assert await (await client.get("/v1/workers/me", headers=worker.auth)).json() == before


# ---- dates ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("start, end", [
    ("9999-12-31T09:00:00+08:00", "9999-12-31T13:00:00+08:00"),
    ("9999-12-31T23:00:00-14:00", "9999-12-31T23:59:59-14:00"),
    ("0001-01-01T00:00:00+14:00", "0001-01-01T04:00:00+14:00"),
    ("2019-06-03T09:00:00+08:00", "2019-06-03T13:00:00+08:00"),
    ("2020-06-03T09:00:00+08:00", "2020-06-03T13:00:00+08:00"),
    (at(367, 9), at(367, 13)),
], ids=["year 9999", "year 9999 at -14:00", "year 1 at +14:00", "2019 (before any minimum wage)",
        "2020 (a mistyped year)", "a year and a day ahead"])
@pytest.mark.parametrize("relationship", ["labor_part_time", "labor_service"])
async def test_a_shift_in_the_past_or_beyond_the_horizon_is_a_422_at_its_start(client, conn, start, end,
                                                                               relationship):
    employer = await factories.employer(client)
    body = gig_order_body(relationship=relationship, shifts=[{"start": start, "end": end, "headcount": 1}])
    response = await client.post("/v1/orders", json=body, headers=employer.auth)
    assert response.status == 422, await response.text()
    assert ["shifts", 0, "start"] in locs(await response.json())
    assert await conn.fetchval("SELECT count(*) FROM orders") == 0


async def test_a_shift_within_the_horizon_posts(client):
    employer = await factories.employer(client)
    body = gig_order_body(shifts=[{"start": at(365, 9), "end": at(365, 13), "headcount": 1}])
    assert (await client.post("/v1/orders", json=body, headers=employer.auth)).status == 201


async def test_a_bid_deadline_beyond_the_horizon_or_in_year_9999_is_a_422(client):
    employer = await factories.employer(client)
    for deadline in ["9999-12-31T23:59:59-14:00", at(400, 9)]:
        response = await client.post("/v1/orders", json=gig_order_body(bid_deadline=deadline), headers=employer.auth)
        assert response.status == 422, await response.text()
        assert ["bid_deadline"] in locs(await response.json())


@pytest.mark.parametrize("start_date, end_date, loc", [
    ("9999-12-27", "9999-12-31", ["schedule", "start_date"]),
    ("2020-06-01", "2020-06-05", ["schedule", "start_date"]),
    ("0001-01-01", "0001-01-05", ["schedule", "start_date"]),
], ids=["year 9999", "2020", "year 1"])
async def test_a_shared_schedule_in_the_past_or_beyond_the_horizon_is_a_422(client, conn, start_date, end_date, loc):
    employer = await factories.employer(client)
    schedule = {**shared_order_body()["schedule"], "start_date": start_date, "end_date": end_date}
    response = await client.post("/v1/orders", json=shared_order_body(schedule=schedule), headers=employer.auth)
    assert response.status == 422, await response.text()
    assert loc in locs(await response.json())
    assert await conn.fetchval("SELECT count(*) FROM orders") == 0


async def test_a_shared_schedule_starting_beyond_the_horizon_is_a_422(client):
    from datetime import date, timedelta

    employer = await factories.employer(client)
    start = date.today() + timedelta(days=400)
    schedule = {**shared_order_body()["schedule"], "start_date": start.isoformat(),
                "end_date": (start + timedelta(days=4)).isoformat()}
    response = await client.post("/v1/orders", json=shared_order_body(schedule=schedule), headers=employer.auth)
    assert response.status == 422, await response.text()
    assert ["schedule", "start_date"] in locs(await response.json())


SUPERVISION_ROUTES = ["/v1/supervision/orders", "/v1/supervision/alerts", "/v1/supervision/overview",
                      "/v1/supervision/export.csv"]


@pytest.mark.parametrize("route", SUPERVISION_ROUTES)
@pytest.mark.parametrize("query, loc", [
    ("from=9999-12-31", ["query", "from"]),
    ("from=0001-01-01", ["query", "from"]),
    ("to=9999-12-31", ["query", "to"]),
    ("to=0001-01-01", ["query", "to"]),
    ("from=2019-12-31&to=2020-01-10", ["query", "from"]),
    ("from=0", ["query", "from"]),
    ("to=20260101", ["query", "to"]),
], ids=["from 9999", "from 0001", "to 9999", "to 0001", "before 2020", "from a number", "to a number"])
async def test_a_supervision_date_out_of_range_is_a_422_naming_it(client, route, query, loc):
    from tests.security.world import staff

    supervisor = await staff(client, "supervisor", "监管员", ["500103"])
    response = await client.get(f"{route}?{query}", headers=supervisor)
    assert response.status == 422, await response.text()
    assert loc in locs(await response.json())


@pytest.mark.parametrize("url, loc", [
    ("/v1/districts?on=0", ["query", "on"]),
    ("/v1/districts?on=1700000000", ["query", "on"]),
    ("/v1/districts?on=9999-12-31", ["query", "on"]),
], ids=["on=0", "on=epoch seconds", "on=9999-12-31"])
async def test_a_date_in_a_query_string_must_be_a_bounded_calendar_date(client, url, loc):
    response = await client.get(url)
    assert response.status == 422, await response.text()
    assert loc in locs(await response.json())


@pytest.mark.parametrize("query, loc", [
    ("from=0", ["query", "from"]),
    ("to=9999-12-31", ["query", "to"]),
    ("limit=100000000000000000000", ["query", "limit"]),
], ids=["from a number", "to 9999", "limit 10^20"])
async def test_an_order_list_query_out_of_range_is_a_422(client, query, loc):
    employer = await factories.employer(client)
    response = await client.get(f"/v1/orders?{query}", headers=employer.auth)
    assert response.status == 422, await response.text()
    assert loc in locs(await response.json())


async def test_a_month_before_2020_or_after_2099_is_a_422(client):
    employer = await factories.employer(client)
    for month in ("1900-01", "2100-01"):
        response = await client.get(f"/v1/employers/me/statements?month={month}", headers=employer.auth)
        assert response.status == 422, await response.text()
        assert ["query", "month"] in locs(await response.json())


# ---- the schema documents every range ---------------------------------------------------------------


def _numeric_without_range(schema: dict, defs: dict, path: str, seen: set[str]) -> list[str]:
    """Every integer or number in `schema` (through $refs, unions, arrays and objects) without both a
    lower and an upper bound."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        if name in seen:
            return []
        return _numeric_without_range(defs[name], defs, path, seen | {name})
    missing: list[str] = []
    for key in ("anyOf", "oneOf", "allOf"):
        for branch in schema.get(key, []):
            missing += _numeric_without_range(branch, defs, path, seen)
    if schema.get("type") in ("integer", "number"):
        low = "minimum" in schema or "exclusiveMinimum" in schema
        high = "maximum" in schema or "exclusiveMaximum" in schema
        if not (low and high):
            missing.append(path)
    if "items" in schema:
        missing += _numeric_without_range(schema["items"], defs, f"{path}[]", seen)
    for name, child in schema.get("properties", {}).items():
        missing += _numeric_without_range(child, defs, f"{path}.{name}", seen)
    if isinstance(schema.get("additionalProperties"), dict):
        missing += _numeric_without_range(schema["additionalProperties"], defs, f"{path}.*", seen)
    return missing


async def test_every_number_a_request_takes_has_a_documented_minimum_and_maximum(client):
    document = await (await client.get("/openapi.json")).json()
    defs = document["components"]["schemas"]
    missing: list[str] = []
    for path, operations in sorted(document["paths"].items()):
        for method, operation in operations.items():
            route = f"{method.upper()} {path}"
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "query":
                    missing += _numeric_without_range(parameter["schema"], defs, f"{route} ?{parameter['name']}",
                                                      set())
            body = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            if body is not None:
                missing += _numeric_without_range(body, defs, f"{route} body", set())
    assert missing == [], missing


async def test_every_date_a_request_takes_documents_its_range(client):
    document = await (await client.get("/openapi.json")).json()
    defs = document["components"]["schemas"]
    undocumented = []

    def walk(schema: dict, path: str, seen: frozenset) -> None:
        if "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[-1]
            if name not in seen:
                walk(defs[name], path, seen | {name})
            return
        for key in ("anyOf", "oneOf", "allOf"):
            for branch in schema.get(key, []):
                walk(branch, path, seen)
        if schema.get("format") in ("date", "date-time") and not ("formatMinimum" in schema
                                                                 and "formatMaximum" in schema):
            undocumented.append(path)
        if "items" in schema:
            walk(schema["items"], f"{path}[]", seen)
        for name, child in schema.get("properties", {}).items():
            walk(child, f"{path}.{name}", seen)

    for path, operations in sorted(document["paths"].items()):
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "query":
                    walk(parameter["schema"], f"{method.upper()} {path} ?{parameter['name']}", frozenset())
            body = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            if body is not None:
                walk(body, f"{method.upper()} {path} body", frozenset())
    assert undocumented == []


def _models_in(annotation) -> list[type]:
    import typing

    from pydantic import BaseModel

    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [model for arg in typing.get_args(annotation) for model in _models_in(arg)]


async def test_every_request_body_is_built_of_the_one_strict_input_base(client):
    from pydantic import RootModel

    from market.web.endpoint import endpoint_of
    from market.web.inputs import Input

    pending = [endpoint_of(route.handler).body for route in client.app.router.routes()
               if endpoint_of(route.handler) is not None and endpoint_of(route.handler).body is not None]
    seen, outside = set(), []
    while pending:
        model = pending.pop()
        if model in seen:
            continue
        seen.add(model)
        if not issubclass(model, RootModel) and not issubclass(model, Input):
            outside.append(model.__name__)
        for field in model.model_fields.values():
            pending += _models_in(field.annotation)
    assert len(seen) > 20 and outside == []
