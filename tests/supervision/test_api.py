"""The supervision API: scoped to the supervisor's districts, read-only, masked and audited."""
import asyncio
import csv
import io
import json
from datetime import datetime
from decimal import Decimal

from market.web.endpoint import endpoint_of
from tests import factories
from tests.supervision.support import AWAY, HOME, admin, district_week, supervisor


async def test_a_supervisor_sees_only_their_own_districts_in_the_overview(client, conn):
    week = await district_week(client, conn)
    auth = await supervisor(client)
    response = await client.get("/v1/supervision/overview", headers=auth)
    assert response.status == 200, await response.text()
    body = await response.json()
    assert [d["code"] for d in body["districts"]] == [HOME]
    assert {row["district_code"] for row in body["days"]} == {HOME}
    assert body["totals"]["orders_posted"] == 2  # not the away order
    assert week.away_order["district_code"] == AWAY


async def test_the_overview_counts_seats_fills_hours_pay_and_the_minimum_by_relationship(client, conn):
    await district_week(client, conn)
    body = await (await client.get("/v1/supervision/overview", headers=await supervisor(client))).json()
    totals = body["totals"]
    assert totals["seats_posted"] == 6 and totals["seats_filled"] == 2 and totals["fill_rate"] == 0.3333
    service = totals["by_relationship"]["labor_service"]
    assert service["orders_posted"] == 1 and service["below_minimum_orders"] == 1
    assert service["gross_paid_fen"] == 3000 and service["hours_worked"] == 2.0
    assert service["avg_hourly_paid_fen"] == 1500 and service["avg_hourly_posted_fen"] == 1500
    assert totals["by_kind"]["gig"]["orders_posted"] == 2 and totals["by_kind"]["shared"]["orders_posted"] == 0
    assert totals["workers_active"] == 2
    assert totals["median_time_to_fill_seconds"] is not None
    [today] = [row for row in body["series"] if row["orders_posted"]]
    assert today["minimum_hourly_fen"] == 2300
    assert sum(row["gross_paid_fen"] for row in body["days"]) == 3000


async def test_naming_a_district_outside_ones_scope_is_a_403_and_ones_own_is_fine(client):
    auth = await supervisor(client)
    outside = await client.get(f"/v1/supervision/overview?districts={HOME},{AWAY}", headers=auth)
    assert outside.status == 403
    assert (await outside.json())["districts"] == [AWAY]
    assert (await client.get(f"/v1/supervision/alerts?districts={AWAY}", headers=auth)).status == 403
    assert (await client.get(f"/v1/supervision/overview?districts={HOME}", headers=auth)).status == 200


async def test_a_range_reversed_or_longer_than_a_year_is_a_422(client):
    auth = await supervisor(client)
    assert (await client.get("/v1/supervision/overview?from=2026-03-02&to=2026-03-01", headers=auth)).status == 422
    assert (await client.get("/v1/supervision/overview?from=2024-01-01&to=2026-01-01", headers=auth)).status == 422


async def test_another_districts_order_is_a_404_and_an_own_order_is_masked_and_its_read_audited(client, conn):
    week = await district_week(client, conn)
    auth = await supervisor(client)
    assert (await client.get(f"/v1/supervision/orders/{week.away_order['id']}", headers=auth)).status == 404
    response = await client.get(f"/v1/supervision/orders/{week.below_minimum_order['id']}", headers=auth)
    assert response.status == 200, await response.text()
    text = await response.text()
    detail = json.loads(text)
    [assignment] = detail["assignments"]
    assert assignment["worker_name"] == "王*"
    assert assignment["id_number_masked"].startswith("5001**********")
    assert "王小明" not in text and week.worker.login not in text and "phone" not in text
    [settlement] = detail["settlements"]
    assert settlement["gross_fen"] == 3000 and settlement["worker_name"] == "王*"
    ops = await admin(client)
    log = await (await client.get("/v1/admin/audit-log", headers=ops)).json()
    [entry] = [e for e in log["items"] if e["action"] == "supervision.order.read"]
    assert entry["object_id"] == week.below_minimum_order["id"] and entry["district_codes"] == [HOME]
    assert entry["role"] == "supervisor"
    assert (await client.get("/v1/admin/audit-log", headers=auth)).status == 403


async def test_the_orders_list_holds_only_own_districts_and_pages_with_a_cursor(client, conn):
    await district_week(client, conn)
    auth = await supervisor(client)
    first = await (await client.get("/v1/supervision/orders?limit=1", headers=auth)).json()
    assert len(first["items"]) == 1 and first["next_cursor"]
    second = await (await client.get(f"/v1/supervision/orders?limit=1&cursor={first['next_cursor']}",
                                     headers=auth)).json()
    assert second["next_cursor"] is None
    items = first["items"] + second["items"]
    assert {o["district_code"] for o in items} == {HOME} and len({o["id"] for o in items}) == 2


async def test_alerts_list_below_minimum_orders_arrears_and_red_flags_with_filters_sort_and_cursor(client, conn):
    week = await district_week(client, conn)
    auth = await supervisor(client)
    body = await (await client.get("/v1/supervision/alerts", headers=auth)).json()
    categories = {item["category"] for item in body["items"]}
    assert {"below_minimum", "arrears", "red_flag"} <= categories
    assert body["counts"]["arrears"] == {"open": 2}
    [arrear] = [i for i in body["items"] if i["category"] == "arrears" and i["details"]["employer_at_fault"]]
    assert arrear["kind"] == "wage_unpaid" and arrear["status"] == "open" and arrear["days_overdue"] >= 0
    [flag] = [i for i in body["items"] if i["category"] == "red_flag"]
    assert flag["organisation_id"] == week.arrears_employer.id and flag["organisation_name"] == "重庆欠薪示例有限公司"
    only = await (await client.get("/v1/supervision/alerts?kind=below_minimum&status=open", headers=auth)).json()
    assert [i["order_id"] for i in only["items"]] == [week.below_minimum_order["id"]]
    cleared = await (await client.get("/v1/supervision/alerts?status=cleared", headers=auth)).json()
    assert cleared["items"] == []
    seen, cursor = [], None
    while True:
        url = "/v1/supervision/alerts?limit=1&sort=oldest" + (f"&cursor={cursor}" if cursor else "")
        page = await (await client.get(url, headers=auth)).json()
        seen += [i["id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(i["id"] for i in body["items"]) and len(set(seen)) == len(seen)
    largest = await (await client.get("/v1/supervision/alerts?sort=largest", headers=auth)).json()
    amounts = [i["amount_fen"] if i["amount_fen"] is not None else -1 for i in largest["items"]]
    assert amounts == sorted(amounts, reverse=True)
    assert (await client.get("/v1/supervision/alerts?kind=nonsense", headers=auth)).status == 422


# The writes a supervisor makes by design: signing out (revoking one's own token), and a case of the
# district taken over, decided, or given evidence (docs/cases.md: the supervisor "may take over an
# escalated one").
SUPERVISOR_WRITES = {"/v1/auth/tokens/current", "/v1/cases/{id}/take-over", "/v1/cases/{id}/decide",
                     "/v1/cases/{id}/evidence", "/v1/cases/{id}/evidence/files"}


async def test_a_supervisor_is_on_no_write_endpoint_and_a_write_is_a_403(client):
    for route in client.app.router.routes():
        meta = endpoint_of(route.handler)
        if route.resource.canonical in SUPERVISOR_WRITES:
            continue
        if meta is not None and route.method not in ("GET", "HEAD") and meta.roles is not None:
            assert "supervisor" not in meta.roles, f"{route.method} {route.resource.canonical}"
    auth = await supervisor(client)
    response = await client.post("/v1/orders", json=factories.gig_order_body(), headers=auth)
    assert response.status == 403


async def _csv(client, auth, query: str) -> list[dict[str, str]]:
    response = await client.get(f"/v1/supervision/export.csv?{query}", headers=auth)
    assert response.status == 200 and response.content_type == "text/csv", await response.text()
    raw = await response.read()
    assert raw.startswith("\ufeff".encode())
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))


async def test_the_csv_export_reads_as_the_page_chinese_headers_beijing_times_yuan_and_is_audited(client, conn):
    await district_week(client, conn)
    employer = await factories.employer(client)
    await factories.post_order(client, employer, factories.gig_order_body(title="=HYPERLINK(\"x\")"))
    auth = await supervisor(client)
    listed = await (await client.get("/v1/supervision/orders", headers=auth)).json()
    api_orders = {o["id"]: o for o in listed["items"]}

    orders = await _csv(client, auth, "dataset=orders")
    assert list(orders[0])[:3] == ["订单编号", "发布时间（北京时间）", "区县代码"]
    assert {r["区县代码"] for r in orders} == {HOME} and len(orders) == 3
    assert "重庆渝中示例物流有限公司" in {r["用人单位"] for r in orders}
    for row in orders:
        posted = datetime.fromisoformat(row["发布时间（北京时间）"])
        assert row["发布时间（北京时间）"].endswith("+08:00")
        assert posted == datetime.fromisoformat(api_orders[row["订单编号"]]["created_at"])
    assert {r["折合时薪（元/小时）"] for r in orders} >= {"15.00", "23.00"}
    assert "'=HYPERLINK(\"x\")" in {r["名称"] for r in orders}  # still the one writer: no formula

    overview = await _csv(client, auth, "")
    assert list(overview[0])[:4] == ["区县代码", "区县", "日期", "发布订单（单）"]
    assert sum(Decimal(r["应发工资（元）"]) for r in overview) == Decimal("30.00")
    assert {r["最低工资标准（元/小时）"] for r in overview} == {"23.00"}

    alerts = await _csv(client, auth, "dataset=alerts")
    [below] = [r for r in alerts if r["类型"] == "below_minimum_wage"]
    assert (below["时薪（元/小时）"], below["最低工资标准（元/小时）"]) == ("15.00", "23.00")
    assert below["劳动者（脱敏）"] == "王*"
    assert below["时间（北京时间）"].endswith("+08:00") and below["班次开始（北京时间）"].endswith("+08:00")
    assert {r["金额（元）"] for r in alerts if r["类别"] == "arrears"} == {"30.00", "46.00"}

    english = await _csv(client, auth, "dataset=overview&lang=en")
    assert list(english[0])[:4] == ["District code", "District", "Date", "Orders posted"]
    assert await conn.fetchval("SELECT count(*) FROM audit_log WHERE action LIKE 'supervision.export.%'") == 4


async def test_an_orders_drill_down_lists_its_arrears_with_the_amount_owed(client, conn):
    week = await district_week(client, conn)
    auth = await supervisor(client)
    unfunded_order = await conn.fetchval("SELECT order_id FROM assignments WHERE id = $1", week.arrears_assignment)
    [unfunded] = (await (await client.get(f"/v1/supervision/orders/{unfunded_order}", headers=auth)).json())["arrears"]
    # never settled (its employer could not fund it): 120 approved minutes at 23.00/h
    assert (unfunded["amount_fen"], unfunded["amount_owed_fen"], unfunded["amount_basis"]) == (None, 4600, "gross")
    assert unfunded["worker_name"] == "欧阳*" and unfunded["employer_at_fault"] is True
    detail = await (await client.get(f"/v1/supervision/orders/{week.below_minimum_order['id']}", headers=auth)).json()
    [settled] = detail["arrears"]
    assert (settled["amount_owed_fen"], settled["amount_basis"]) == (detail["settlements"][0]["net_pay_fen"], "net_pay")

    # the same amounts in the alerts, the red flag and the overview's open arrears (not the unfunded one as 0)
    alerts = (await (await client.get("/v1/supervision/alerts?kind=arrears,red_flag", headers=auth)).json())["items"]
    owed = {(i["category"], i["organisation_id"]): i["amount_fen"] for i in alerts}
    assert owed[("arrears", week.arrears_employer.id)] == 4600 and owed[("red_flag", week.arrears_employer.id)] == 4600
    overview = await (await client.get("/v1/supervision/overview", headers=auth)).json()
    assert overview["series"][-1]["open_arrears_fen"] == 4600 + settled["amount_owed_fen"]


async def test_alerts_about_a_seat_name_its_masked_worker_and_shift_and_filter_by_employer(client, conn):
    week = await district_week(client, conn)
    auth = await supervisor(client)
    body = await (await client.get("/v1/supervision/alerts", headers=auth)).json()
    [below] = [i for i in body["items"] if i["kind"] == "below_minimum_wage"]
    assert below["worker_name"] == "王*" and below["shift_starts_at"] is not None
    assert (below["details"]["hourly_rate_fen"], below["details"]["hourly_minimum_fen"]) == (1500, 2300)
    assert "王小明" not in json.dumps(body, ensure_ascii=False)
    assert await conn.fetchval("SELECT count(*) FROM audit_log WHERE action = 'supervision.alerts.read'") == 1

    theirs = await (await client.get(f"/v1/supervision/alerts?organisation_id={week.arrears_employer.id}",
                                     headers=auth)).json()
    assert {i["category"] for i in theirs["items"]} == {"arrears", "red_flag"}
    assert {i["organisation_id"] for i in theirs["items"]} == {week.arrears_employer.id}


async def test_the_live_stream_carries_own_districts_events_and_not_others(client):
    auth = await supervisor(client)
    home, away = await factories.employer(client), await factories.employer(client, district_code=AWAY)
    away_order = await factories.post_order(client, away, factories.gig_order_body(district_code=AWAY))
    home_order = await factories.post_order(client, home, factories.gig_order_body())
    response = await client.get("/v1/supervision/events?last_event_id=0", headers=auth)
    assert response.status == 200 and response.content_type == "text/event-stream"
    seen: list[dict] = []

    async def read_until_home_order():
        while True:
            line = (await response.content.readline()).decode()
            if line.startswith("data: "):
                seen.append(json.loads(line[6:]))
                if seen[-1].get("order_id") == home_order["id"] and seen[-1].get("district_code"):
                    return

    await asyncio.wait_for(read_until_home_order(), 10)
    response.close()
    assert all(event.get("order_id") != away_order["id"] for event in seen)
    assert (await client.get(f"/v1/supervision/events?districts={AWAY}", headers=auth)).status == 403


async def test_the_dashboard_page_is_served_in_chinese(client):
    response = await client.get("/supervise")
    assert response.status == 200 and response.content_type == "text/html"
    assert "监管" in await response.text()
