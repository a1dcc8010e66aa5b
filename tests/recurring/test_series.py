"""Recurring orders through the API and the service: the window materialised at creation and by
the sweep, each occurrence posted under the rules of its own date (the minimum wage in force then,
holidays), refusals recorded and announced, pause and stop, and exactly one order per occurrence
however many materialisations race."""
import asyncio
import json
import uuid
from datetime import datetime, timedelta

from market.catalogue.keys import CATALOGUE
from market.kernel.clock import SHANGHAI
from market.kernel.principal import Principal
from market.recurring.keys import RECURRING
from market.recurring.model import Pattern, Schedule
from tests import factories
from tests.recurring.support import create_series, day, occurrences, series_body, terms


async def orders_of(conn, series_id) -> list:
    return await conn.fetch("SELECT o.occurrence_date, s.lower_start FROM recurring_occurrences o "
                            "JOIN LATERAL (SELECT min(lower(sh.period)) AS lower_start FROM shifts sh "
                            "WHERE sh.order_id = o.order_id) s ON true "
                            "WHERE o.series_id = $1 AND o.state = 'materialised' ORDER BY 1", uuid.UUID(series_id))


async def test_creation_posts_the_window_and_lists_every_occurrence(client, conn):
    employer = await factories.employer(client)
    window = client.app[RECURRING].window_days
    skipped_day = day(3)
    body = series_body(exceptions=[{"date": skipped_day.isoformat()},
                                   {"date": day(4).isoformat(), "start_time": "14:00", "end_time": "18:00",
                                    "headcount": 5}])
    series = await create_series(client, employer, body)
    assert series["state"] == "active"
    decided = {d["date"]: d for d in series["decided"]}
    assert sorted(decided) == [day(n).isoformat() for n in range(1, window + 1)]
    assert decided[skipped_day.isoformat()]["state"] == "skipped"
    assert all(d["state"] == "materialised" for k, d in decided.items() if k != skipped_day.isoformat())
    items = await occurrences(client, employer, series["id"])
    assert len(items) == 60
    assert {i["state"] for i in items[window:]} == {"pending"}
    changed = next(i for i in items if i["date"] == day(4).isoformat())
    order = await (await client.get(f"/v1/orders/{changed['order_id']}", headers=employer.auth)).json()
    assert order["shifts"][0]["start"] == f"{day(4).isoformat()}T14:00:00+08:00"
    assert order["shifts"][0]["headcount"] == 5 and order["title"] == "仓库分拣临时工"
    assert next(i for i in items if i["date"] == skipped_day.isoformat())["problem"] == {"reason": "exception"}
    # the sweep a day later posts the one day that entered the window, and nothing twice
    later = datetime.now(SHANGHAI) + timedelta(days=1)
    assert await client.app[RECURRING].sweep(now=later) == 1
    assert await client.app[RECURRING].sweep(now=later) == 0
    assert len(await orders_of(conn, series["id"])) == window  # window - 1 skipped + 1 new


async def test_an_occurrence_after_a_minimum_wage_rise_is_refused_with_the_new_minimum_and_the_series_goes_on(
        client, conn):
    employer = await factories.employer(client)
    rise = day(5)
    await conn.execute("INSERT INTO minimum_wages (tier, effective_from, monthly_fen, hourly_fen, source) "
                       "VALUES (1, $1, 260000, 2600, 'test rise')", rise)
    await client.app[CATALOGUE].refresh()
    body = series_body(terms=terms(relationship="labor_part_time", pay={"unit": "hour", "amount_fen": 2400}),
                       until_date=day(9).isoformat())
    series = await create_series(client, employer, body)
    states = {d["date"]: d["state"] for d in series["decided"]}
    assert states == {day(n).isoformat(): ("materialised" if day(n) < rise else "refused") for n in range(1, 10)}
    items = {i["date"]: i for i in await occurrences(client, employer, series["id"])}
    problem = items[rise.isoformat()]["problem"]
    assert problem["status"] == 422
    error = problem["errors"][0]
    assert error["loc"] == ["pay", "amount_fen"]
    assert error["ctx"]["minimum_hourly_fen"] == 2600 and error["ctx"]["date"] == rise.isoformat()
    # before the rise the old minimum (23 yuan) holds, and 24 yuan passes
    assert items[day(4).isoformat()]["state"] == "materialised"
    events = await conn.fetch("SELECT payload FROM events WHERE kind = 'recurring.occurrence_refused' "
                              "AND $1 = ANY(organisation_ids) ORDER BY id", uuid.UUID(employer.id))
    assert [json.loads(e["payload"])["occurrence_date"] for e in events] == [day(n).isoformat() for n in range(5, 10)]
    # a refusal is decided once: another sweep neither retries nor announces it again
    assert await client.app[RECURRING].sweep() == 0
    assert await conn.fetchval("SELECT count(*) FROM events WHERE kind = 'recurring.occurrence_refused'") == 5


async def test_holiday_occurrences_are_skipped_when_asked_and_else_posted_on_their_own_date(client, conn):
    employer = await factories.employer(client)
    organisation_id = uuid.UUID(employer.id)
    caller = Principal(account_id=uuid.UUID(employer.account_id), role="employer", display_name="hr",
                       organisation_id=organisation_id)
    service = client.app[RECURRING]
    now = datetime(2026, 9, 28, 8, tzinfo=SHANGHAI)
    from datetime import date, time
    schedule = Schedule(Pattern(frozenset(range(1, 8)), time(9), time(13), 1), date(2026, 9, 28), date(2026, 10, 9),
                        skip_holidays=True)
    skipping, decided = await service.create_series(caller, name="国庆", template_id=None, terms=terms(),
                                                    schedule=schedule, now=now)
    by_day = {d.on: d.state for d in decided}
    assert [d for d, s in sorted(by_day.items()) if s == "skipped"] == [date(2026, 10, n) for n in range(1, 8)]
    assert by_day[date(2026, 9, 30)] == by_day[date(2026, 10, 8)] == "materialised"
    problem = await conn.fetchval("SELECT problem FROM recurring_occurrences WHERE series_id = $1 "
                                  "AND occurrence_date = '2026-10-01'", skipping.id)
    assert json.loads(problem) == {"reason": "holiday", "holiday": "National Day", "date": "2026-10-01"}
    posting, decided = await service.create_series(
        caller, name="国庆照常", template_id=None, terms=terms(),
        schedule=Schedule(**{**vars(schedule), "skip_holidays": False}), now=now)
    assert {d.state for d in decided} == {"materialised"}
    national_day = next(d for d in decided if d.on == date(2026, 10, 1))
    start = await conn.fetchval("SELECT lower(period) FROM shifts WHERE order_id = $1", national_day.order_id)
    assert start.astimezone(SHANGHAI) == datetime(2026, 10, 1, 9, tzinfo=SHANGHAI)


async def test_racing_sweeps_and_requests_post_one_order_per_occurrence(client, conn):
    employer = await factories.employer(client)
    service = client.app[RECURRING]
    window = service.window_days
    service.window_days = 0  # nothing is due at creation
    try:
        series = await create_series(client, employer, series_body())
    finally:
        service.window_days = window
    assert series["decided"] == []
    path = f"/v1/recurring-orders/{series['id']}/materialise"
    results = await asyncio.gather(service.sweep(), service.sweep(),
                                   client.post(path, headers=employer.auth), client.post(path, headers=employer.auth))
    http = [await r.json() for r in results[2:]]
    assert all(r.status == 200 for r in results[2:])
    decided_count = results[0] + results[1] + sum(len(h["decided"]) for h in http)
    assert decided_count == window
    rows = await orders_of(conn, series["id"])
    assert [r["occurrence_date"] for r in rows] == [day(n) for n in range(1, window + 1)]
    assert await conn.fetchval("SELECT count(*) FROM orders WHERE organisation_id = $1",
                               uuid.UUID(employer.id)) == window


async def test_a_paused_series_posts_nothing_until_resumed_and_a_stopped_one_never_again(client, conn):
    employer = await factories.employer(client)
    service = client.app[RECURRING]
    series = await create_series(client, employer, series_body())
    path = f"/v1/recurring-orders/{series['id']}"
    first = len(await orders_of(conn, series["id"]))
    paused = await client.patch(path, json={"state": "paused"}, headers=employer.auth)
    assert paused.status == 200 and (await paused.json())["state"] == "paused"
    later = datetime.now(SHANGHAI) + timedelta(days=3)
    assert await service.sweep(now=later) == 0
    assert (await (await client.post(f"{path}/materialise", headers=employer.auth)).json())["decided"] == []
    resumed = await client.patch(path, json={"state": "active"}, headers=employer.auth)
    assert (await resumed.json())["state"] == "active"
    assert await service.sweep(now=later) == 3
    stopped = await client.delete(path, headers=employer.auth)
    assert stopped.status == 200 and (await stopped.json())["state"] == "ended"
    assert await service.sweep(now=later + timedelta(days=5)) == 0
    again = await client.patch(path, json={"state": "active"}, headers=employer.auth)
    assert again.status == 409 and (await again.json())["current_state"] == "ended"
    # the orders already posted stay, and are cancelled as any order
    rows = await orders_of(conn, series["id"])
    assert len(rows) == first + 3
    order_id = await conn.fetchval("SELECT order_id FROM recurring_occurrences WHERE series_id = $1 "
                                   "ORDER BY occurrence_date LIMIT 1", uuid.UUID(series["id"]))
    cancelled = await client.post(f"/v1/orders/{order_id}/cancel", json={"reason": "不需要了"}, headers=employer.auth)
    assert cancelled.status == 200


async def test_a_series_from_a_template_copies_its_terms(client):
    employer = await factories.employer(client)
    template = await (await client.post("/v1/order-templates", json={"name": "t", "terms": terms(title="模板单")},
                                        headers=employer.auth)).json()
    body = series_body(template_id=template["id"])
    del body["terms"]
    series = await create_series(client, employer, body)
    assert series["template_id"] == template["id"] and series["terms"]["title"] == "模板单"
    await client.delete(f"/v1/order-templates/{template['id']}", headers=employer.auth)
    kept = await (await client.get(f"/v1/recurring-orders/{series['id']}", headers=employer.auth)).json()
    assert kept["template_id"] is None and kept["terms"]["title"] == "模板单"


async def test_a_bad_series_is_422_naming_each_field_and_nothing_is_kept(client, conn):
    employer = await factories.employer(client)
    body = series_body(pattern={"weekdays": [], "start_time": "09:00", "end_time": "09:00", "headcount": 2},
                       until_date=day(1).isoformat(), exceptions=[{"date": day(90).isoformat()}])
    response = await client.post("/v1/recurring-orders", json=body, headers=employer.auth)
    assert response.status == 422
    locs = [e["loc"] for e in (await response.json())["errors"]]
    assert ["pattern", "weekdays"] in locs
    other_weekday = day(90).isoweekday() % 7 + 1  # so the exception's date is never a pattern date
    fixed = series_body(pattern={"weekdays": [other_weekday], "start_time": "09:00", "end_time": "09:00",
                                 "headcount": 2},
                        until_date=day(400).isoformat(), exceptions=[{"date": day(90).isoformat()}])
    response = await client.post("/v1/recurring-orders", json=fixed, headers=employer.auth)
    assert response.status == 422
    locs = [e["loc"] for e in (await response.json())["errors"]]
    assert ["pattern", "end_time"] in locs and ["until_date"] in locs and ["exceptions", 0, "date"] in locs
    both = series_body(template_id=str(uuid.uuid4()))
    response = await client.post("/v1/recurring-orders", json=both, headers=employer.auth)
    assert response.status == 422 and (await response.json())["errors"][0]["loc"] == ["template_id"]
    assert await conn.fetchval("SELECT count(*) FROM recurring_series") == 0


async def test_another_organisation_cannot_see_or_use_a_series(client):
    owner, other = await factories.employer(client), await factories.employer(client)
    series = await create_series(client, owner, series_body())
    path = f"/v1/recurring-orders/{series['id']}"
    for method, url, body in (("GET", path, None), ("GET", f"{path}/occurrences", None),
                              ("PATCH", path, {"state": "paused"}), ("DELETE", path, None),
                              ("POST", f"{path}/materialise", None)):
        response = await client.request(method, url, json=body, headers=other.auth)
        assert response.status == 404, (method, url)
    assert (await (await client.get("/v1/recurring-orders", headers=other.auth)).json())["items"] == []
    owner_template = await (await client.post("/v1/order-templates", json={"name": "t", "terms": terms()},
                                              headers=owner.auth)).json()
    body = series_body(template_id=owner_template["id"])
    del body["terms"]
    response = await client.post("/v1/recurring-orders", json=body, headers=other.auth)
    assert response.status == 422 and (await response.json())["errors"][0]["loc"] == ["template_id"]


async def test_the_database_holds_one_outcome_per_occurrence_and_one_occurrence_per_order(client, conn):
    import asyncpg
    import pytest

    employer = await factories.employer(client)
    series = await create_series(client, employer, series_body())
    series_id = uuid.UUID(series["id"])
    first = await conn.fetchrow("SELECT occurrence_date, order_id FROM recurring_occurrences WHERE series_id = $1 "
                                "AND state = 'materialised' ORDER BY occurrence_date LIMIT 1", series_id)
    with pytest.raises(asyncpg.UniqueViolationError, match="recurring_occurrences_once"):
        await conn.execute("INSERT INTO recurring_occurrences (series_id, occurrence_date, state, problem, decided_at) "
                           "VALUES ($1, $2, 'skipped', '{}', now())", series_id, first["occurrence_date"])
    with pytest.raises(asyncpg.UniqueViolationError):
        await conn.execute("INSERT INTO recurring_occurrences (series_id, occurrence_date, state, order_id, "
                           "decided_at) VALUES ($1, $2, 'materialised', $3, now())",
                           series_id, day(200), first["order_id"])
    with pytest.raises(asyncpg.CheckViolationError, match="recurring_occurrences_order"):
        await conn.execute("INSERT INTO recurring_occurrences (series_id, occurrence_date, state, decided_at) "
                           "VALUES ($1, $2, 'materialised', now())", series_id, day(201))
    with pytest.raises(asyncpg.CheckViolationError, match="recurring_series_dates"):
        await conn.execute("UPDATE recurring_series SET until_date = start_date + 400 WHERE id = $1", series_id)


async def test_a_stop_racing_the_sweep_leaves_whatever_was_posted_whole_and_nothing_after(client, conn):
    employer = await factories.employer(client)
    service = client.app[RECURRING]
    window = service.window_days
    service.window_days = 0
    try:
        series = await create_series(client, employer, series_body())
    finally:
        service.window_days = window
    path = f"/v1/recurring-orders/{series['id']}"
    swept, stopped = await asyncio.gather(service.sweep(), client.delete(path, headers=employer.auth))
    assert stopped.status == 200 and (await stopped.json())["state"] == "ended"
    rows = await orders_of(conn, series["id"])
    assert len(rows) == swept <= window  # each decided occurrence has its order, and only those
    assert await service.sweep() == 0
    assert (await (await client.post(f"{path}/materialise", headers=employer.auth)).json())["decided"] == []
    assert len(await orders_of(conn, series["id"])) == swept
    items = await occurrences(client, employer, series["id"])
    assert sum(i["state"] == "materialised" for i in items) == swept
