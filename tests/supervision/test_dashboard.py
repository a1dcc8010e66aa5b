"""The dashboard in a real (headless) Chromium, driven by Playwright (tests/browser.py): it signs in
with a pasted token, shows the supervisor's districts only, draws the API's numbers, and logs no
console errors, on a desk screen and on a phone's (390×844). Screenshots go to artifacts/
(artifacts/supervise.png, artifacts/supervise-phone.png, and one per test, named after it).

Skipped only when Debian's chromium is not installed (CI installs it: apt-get install -y chromium).
"""
import json
import re
import uuid
from datetime import timedelta

from playwright.async_api import expect

from tests.browser import ARTIFACTS, until

from market.recurring.keys import RECURRING
from market.supervision.model import ALERT_CATEGORIES, ALERT_STATUSES, RELATIONSHIPS
from tests import factories
from market.settlement.keys import SETTLEMENTS
from tests.settlement.support import assign, fund, minutes, now_local, shift_at
from tests.supervision.support import AWAY, HOME, district_week, supervisor
from tests.api.test_feed import profiled_worker
from tests.favourites.test_favourites import met, relate
from tests.organisations.test_agencies import acting, agency, mandate
from tests.recurring.support import create_series, series_body

OTHER = "500101"  # 万州区: in the supervisor's scope, with no activity

CHART_ROWS = """JSON.stringify(Object.fromEntries([...document.querySelectorAll('table[data-chart]')].map(t =>
  [t.dataset.chart, [...t.querySelectorAll('tbody tr')].map(r => ({...r.dataset}))])))"""


async def open_dashboard(page, client) -> None:
    await page.goto(str(client.make_url("/supervise")))
    await until(page, "document.readyState === 'complete' && !!document.getElementById('token')")


async def sign_in(page, auth: dict[str, str]) -> None:
    """As a supervisor does: paste the token, press 登录, and wait for the board's figures."""
    await page.locator("#token").fill(auth["Authorization"].removeprefix("Bearer "))
    await page.get_by_role("button", name="登录").click()
    await expect(page.locator("body")).to_have_attribute("data-state", "ready")


def _n(value: str):
    return None if value == "" else float(value)


async def test_the_dashboard_shows_own_districts_and_the_apis_numbers_without_console_errors(client, conn, browser_page, page_errors):
    week = await district_week(client, conn)
    auth = await supervisor(client, districts=(HOME, OTHER))
    token = auth["Authorization"].removeprefix("Bearer ")
    page = browser_page
    await open_dashboard(page, client)
    await sign_in(page, auth)
    assert await page.evaluate("sessionStorage.getItem('market.supervisor.token')") == token

    shown = await page.evaluate("[...document.querySelectorAll('[data-district]')].map(e => e.value)")
    assert sorted(shown) == sorted([HOME, OTHER]) and AWAY not in shown
    first, last = await page.evaluate("[document.getElementById('from').value, document.getElementById('to').value]")
    api = await (await client.get(f"/v1/supervision/overview?from={first}&to={last}", headers=auth)).json()

    charts = json.loads(await page.evaluate(CHART_ROWS))
    assert [r["date"] for r in charts["orders"]] == [d["date"] for d in api["series"]]
    for drawn, day in zip(charts["orders"], api["series"]):
        assert (_n(drawn["ordersPosted"]), _n(drawn["seatsPosted"]), _n(drawn["seatsFilled"])) == (
            day["orders_posted"], day["seats_posted"], day["seats_filled"])
    for drawn, day in zip(charts["pay"], api["series"]):
        assert (_n(drawn["avgHourlyPostedFen"]), _n(drawn["minimumHourlyFen"])) == (
            day["avg_hourly_posted_fen"], day["minimum_hourly_fen"])
    for drawn, day in zip(charts["arrears"], api["series"]):
        assert (_n(drawn["openArrears"]), _n(drawn["openArrearsFen"])) == (day["open_arrears"], day["open_arrears_fen"])
    by_relationship = {r["relationship"]: r for r in charts["relationships"]}
    for name, metrics in api["totals"]["by_relationship"].items():
        assert _n(by_relationship[name]["seatsPosted"]) == metrics["seats_posted"]
        assert _n(by_relationship[name]["grossPaidFen"]) == metrics["gross_paid_fen"]
    assert sum(_n(r["seatsPosted"]) for r in charts["orders"]) == 6
    assert await page.evaluate("document.querySelector('[data-kpi=orders_posted] .value').firstChild.textContent") == "2"

    alerts = await page.evaluate("[...document.querySelectorAll('[data-alert]')].map(r => r.dataset.category)")
    assert {"below_minimum", "arrears", "red_flag"} <= set(alerts)
    assert "低于最低工资" in await page.evaluate("document.getElementById('alerts').innerText")

    # drill down into the below-minimum order: the worker appears masked
    await page.locator(f"[data-order='{week.below_minimum_order['id']}'] button.order").click()
    await until(page, f"document.getElementById('order-detail').dataset.order === "
                        f"{json.dumps(week.below_minimum_order['id'])}")
    detail = await page.evaluate("document.getElementById('order-detail').innerText")
    assert "王*" in detail and "王小明" not in detail

    await page.evaluate("window.scrollTo(0, 0)")
    await page.screenshot(path=ARTIFACTS / "supervise.png", full_page=True)
    assert page_errors == []
    assert (ARTIFACTS / "supervise.png").stat().st_size > 10_000


async def test_on_a_phone_the_dashboard_signs_in_by_tapping_and_never_scrolls_sideways(client, conn, phone_page,
                                                                                         page_errors):
    """390×844, touch: the header, filters, KPI cards and charts wrap to the width; a wide table
    scrolls inside its panel, so the page itself never scrolls sideways."""
    await district_week(client, conn)
    auth = await supervisor(client)
    page = phone_page
    await open_dashboard(page, client)
    await page.locator("#token").fill(auth["Authorization"].removeprefix("Bearer "))
    await page.get_by_role("button", name="登录").tap()
    await expect(page.locator("body")).to_have_attribute("data-state", "ready")
    assert await page.locator("#kpis").is_visible() and await page.locator("#sign-out").is_visible()
    assert await page.evaluate("window.innerWidth") == 390
    assert await page.evaluate("document.documentElement.scrollWidth") <= 390
    box = await page.locator("[data-kpi=orders_posted]").bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
    await page.locator("#alerts tr[data-category=red_flag] .order").first.tap()
    await expect(page.locator("#alert-employer")).to_contain_text("重庆欠薪示例有限公司")
    assert await page.evaluate("document.documentElement.scrollWidth") <= 390
    await page.evaluate("window.scrollTo(0, 0)")
    await page.screenshot(path=ARTIFACTS / "supervise-phone.png", full_page=True)
    assert page_errors == []
    assert (ARTIFACTS / "supervise-phone.png").stat().st_size > 10_000


async def test_a_token_that_is_not_a_supervisors_is_refused_on_the_sign_in_page(client, browser_page, page_errors):
    from tests import factories

    employer = await factories.employer(client)
    page = browser_page
    await open_dashboard(page, client)
    await page.locator("#token").fill(employer.token)
    await page.get_by_role("button", name="登录").click()
    message = await until(page, "document.getElementById('sign-in-error').textContent")
    assert "监管" in message
    assert await page.evaluate("document.getElementById('board').hidden") is True
    assert page_errors == []


async def test_signed_out_only_the_sign_in_card_shows_and_signed_in_only_the_board_and_sign_out(client, conn, browser_page, page_errors):
    auth = await supervisor(client)
    page = browser_page
    await open_dashboard(page, client)
    assert await page.locator("#sign-in").is_visible()
    assert not await page.locator("#board").is_visible() and not await page.locator("#sign-out").is_visible()
    assert not await page.locator("#kpis").is_visible()

    await sign_in(page, auth)
    assert not await page.locator("#sign-in").is_visible()
    assert await page.locator("#board").is_visible() and await page.locator("#sign-out").is_visible()
    assert await page.locator("#who-name").is_visible()

    await page.locator("#sign-out").first.click()
    await until(page, "document.body.dataset.state === 'signed-out'")
    assert await page.locator("#sign-in").is_visible()
    assert not await page.locator("#board").is_visible() and not await page.locator("#sign-out").is_visible()
    assert await page.evaluate("sessionStorage.getItem('market.supervisor.token')") is None
    assert page_errors == []


async def _states_allowed(conn, table: str) -> set[str]:
    """The states a table's CHECK constraint allows: what the API can return."""
    [definition] = [d for d in await conn.fetch(
        "SELECT pg_get_constraintdef(oid) AS d FROM pg_constraint WHERE conrelid = $1::regclass AND contype = 'c'",
        table) if d["d"].startswith("CHECK ((state = ANY (ARRAY[")]
    return set(re.findall(r"'(\w+)'::text", definition["d"]))


async def test_every_state_and_code_the_api_returns_has_one_chinese_and_one_english_label(client, conn, browser_page, page_errors):
    page = browser_page
    await open_dashboard(page, client)
    # the page's label tables, from the very module instance it runs (same URL, same module)
    states = json.loads(await page.evaluate("async () => JSON.stringify((await import('/static/supervise/labels.js')).STATES)"))
    labels = json.loads(await page.evaluate("async () => JSON.stringify((await import('/static/supervise/labels.js')).LABELS)"))
    for thing, tables in {"order": ["orders"], "bid": ["bids", "shared_bids"], "assignment": ["assignments"],
                          "timesheet": ["timesheets"], "case": ["cases"]}.items():
        for table in tables:
            allowed = await _states_allowed(conn, table)
            assert allowed <= set(states[thing]), (table, allowed - set(states[thing]))
    assert set(ALERT_STATUSES) == set(states["alert"])
    assert set(ALERT_CATEGORIES) | set(RELATIONSHIPS) <= set(labels)
    for pair in [*labels.values(), *(p for table in states.values() for p in table.values())]:
        zh, en = pair
        assert zh and en and zh != en
    assert states["order"]["open"] == ["招募中", "Recruiting"] and states["order"]["in_progress"][0] == "进行中"


ORDER_STATE_ZH = {"open": "招募中", "allocating": "分配中", "filled": "已满员", "in_progress": "进行中"}
KPI_UNITS_ZH = {"orders_posted": "单", "seats_posted": "个", "seats_filled": "个", "fill_rate": "%",
                "workers_active": "人", "hours_worked": "小时", "below_minimum_orders": "单", "open_arrears": "笔"}


async def test_orders_read_as_their_state_and_every_kpi_carries_its_unit_and_money_is_yuan(client, conn, browser_page, page_errors):
    await district_week(client, conn)
    auth = await supervisor(client)
    api = await (await client.get("/v1/supervision/orders", headers=auth)).json()
    overview = await (await client.get("/v1/supervision/overview", headers=auth)).json()
    page = browser_page
    await open_dashboard(page, client)
    await sign_in(page, auth)
    shown = json.loads(await page.evaluate("""JSON.stringify(Object.fromEntries(
        [...document.querySelectorAll('#orders tr[data-order]')]
          .map(r => [r.dataset.order, r.lastChild.innerText])))"""))
    assert shown == {o["id"]: ORDER_STATE_ZH[o["state"]] for o in api["items"]}
    assert "未处理" not in await page.locator("#orders").first.inner_text()

    kpis = json.loads(await page.evaluate("""JSON.stringify(Object.fromEntries(
        [...document.querySelectorAll('[data-kpi]')].map(k => [k.dataset.kpi,
          [k.querySelector('.value').firstChild.textContent, k.querySelector('.unit').textContent]])))"""))
    for field, unit in KPI_UNITS_ZH.items():
        assert kpis[field][1] == unit, field
    assert kpis["median_time_to_fill_seconds"][1] in ("分钟", "小时")
    gross = overview["totals"]["gross_paid_fen"]
    assert kpis["gross_paid_fen"][0] == f"¥{gross // 100:,}.{gross % 100:02d}" == "¥30.00"
    assert re.fullmatch(r"¥[\d,]+\.\d\d", kpis["open_arrears_fen"][0])

    await page.locator("#lang").first.click()
    await until(page, "document.querySelector('[data-kpi=workers_active] .unit').textContent === 'people'")
    await until(page, "[...document.querySelectorAll('#orders tr[data-order]')]"
                        ".every(r => /^[A-Z][a-z ]+$/.test(r.lastChild.innerText))")
    assert page_errors == []


async def test_the_live_panel_says_no_live_events_yet_until_one_arrives(client, conn, browser_page, page_errors):
    auth = await supervisor(client)
    page = browser_page
    await open_dashboard(page, client)
    await sign_in(page, auth)
    await until(page, "document.getElementById('live').className === 'live on'")
    assert await page.locator("#feed-empty").is_visible() and await page.locator("#feed-empty").first.inner_text() == "暂无实时事件"
    assert await page.evaluate("document.querySelectorAll('#feed li').length") == 0

    employer = await factories.employer(client, district_code=HOME)
    await factories.post_order(client, employer, factories.gig_order_body(district_code=HOME))
    await until(page, "document.querySelectorAll('#feed li').length > 0")
    assert not await page.locator("#feed-empty").is_visible()
    assert page_errors == []


async def test_a_red_flag_opens_its_employers_arrears_and_their_drill_down_shows_the_amount_owed(client, conn, browser_page, page_errors):
    await district_week(client, conn)
    auth = await supervisor(client)
    page = browser_page
    await open_dashboard(page, client)
    await sign_in(page, auth)
    await page.locator("#alerts tr[data-category=red_flag] .order").first.click()
    await until(page, "!!document.getElementById('alert-employer')")
    assert await page.locator("#alert-employer").is_visible() and "重庆欠薪示例有限公司" in await page.locator("#alert-employer").first.inner_text()
    rows = json.loads(await page.evaluate("""JSON.stringify([...document.querySelectorAll('#alerts tr[data-alert]')]
        .map(r => [r.dataset.category, r.children[4].innerText]))"""))
    assert rows == [["arrears", "重庆欠薪示例有限公司"]]

    # the unfunded wage was never settled: what is owed is its gross, 2 h at 23.00 (not 应发 0.00 / 实发 —)
    await page.locator("#alerts tr[data-category=arrears] .order").first.click()
    await until(page, "!!document.querySelector('#order-detail [data-table=arrears] tr[data-arrear]')")
    owed = await page.locator("#order-detail [data-table=arrears] tr[data-arrear]").first.inner_text()
    assert "¥46.00" in owed and "欧阳*" in owed and "未结算" in owed
    assert page_errors == []


async def test_a_settlement_below_minimum_alert_shows_rate_against_minimum_the_worker_and_the_shift(client, conn, browser_page, page_errors):
    await district_week(client, conn)
    auth = await supervisor(client)
    page = browser_page
    await open_dashboard(page, client)
    await sign_in(page, auth)
    detail = await page.locator("#alerts tr[data-kind=below_minimum_wage] td.detail").first.inner_text()
    assert "¥15.00/小时 < 最低工资标准 ¥23.00/小时" in detail
    assert "王*" in detail and "班次" in detail
    assert page_errors == []


async def test_the_assignments_table_has_one_dated_row_per_assignment_in_shift_order(client, conn, browser_page, page_errors):
    employer = await factories.employer(client)
    order = await factories.post_order(client, employer, factories.gig_order_body(shifts=[
        {"start": factories.at(3, 9), "end": factories.at(3, 13), "headcount": 1},
        {"start": factories.at(2, 14), "end": factories.at(2, 18), "headcount": 1}]))
    shifts = await conn.fetch("SELECT id FROM shifts WHERE order_id = $1 ORDER BY starts_at", order["id"])
    worker = await factories.worker(client, name="李四")
    for shift in reversed(shifts):  # assigned later shift first: the table still reads by date
        await assign(conn, shift["id"], worker)
    auth = await supervisor(client)
    page = browser_page
    await open_dashboard(page, client)
    await sign_in(page, auth)
    await page.locator(f"#orders tr[data-order='{order['id']}'] .order").first.click()
    await until(page, "document.querySelectorAll('[data-table=assignments] tr[data-assignment]').length === 2")
    rows = json.loads(await page.evaluate("""JSON.stringify([...document.querySelectorAll(
        '[data-table=assignments] tr[data-assignment]')].map(r => [r.dataset.date, r.children[0].innerText,
        r.children[1].innerText]))"""))
    groups = await page.evaluate("[...document.querySelectorAll('[data-table=assignments] tr.group')].length")
    assert [name for *_, name in rows] == ["李*", "李*"]
    assert rows[0][0] != rows[1][0] and groups == 2
    assert [time for _, time, _ in rows] == ["14:00–18:00", "09:00–13:00"]  # day 2's shift, then day 3's
    assert page_errors == []


async def test_a_shared_labor_drill_down_shows_the_wage_its_lender_owes_not_gross_zero(client, conn, browser_page, page_errors):
    # a borrower cancels a lent employee's day late: the lender owes the employee 4 h at 27.00
    borrower, lender = await factories.employer(client, escrow_fen=0), await factories.employer(client)
    await fund(client, borrower, 10**7)
    worker = await factories.worker(client, name="赵六")
    employment_id = await factories.employee(client, lender, worker, agreed_hourly_wage_fen=2600)
    order = await factories.post_order(client, borrower, factories.shared_order_body(
        district_code=HOME, fee_per_worker_day_fen=25_000))
    placed = await client.post(f"/v1/orders/{order['id']}/bids", headers=lender.auth, json={
        "fee_per_worker_day_fen": 25_000, "employees": [{"employment_id": employment_id, "wage_hourly_fen": 2700}]})
    [consent] = (await placed.json())["shared_bid"]["consents"]
    assert (await client.post(f"/v1/consents/{consent['id']}/accept", headers=worker.auth)).status == 200
    shift_id = uuid.UUID(order["shifts"][0]["id"])
    start = now_local() + minutes(120)
    await conn.execute("UPDATE shifts SET starts_at = $2, ends_at = $3 WHERE id = $1", shift_id, start,
                       start + minutes(8 * 60))
    await assign(conn, shift_id, worker, 25_000)
    assert (await client.post(f"/v1/orders/{order['id']}/cancel", json={"reason": "rain"},
                              headers=borrower.auth)).status == 200
    await client.app[SETTLEMENTS].check_arrears(today=(now_local() + timedelta(days=40)).date())

    auth = await supervisor(client)
    page = browser_page
    await open_dashboard(page, client)
    await sign_in(page, auth)
    await page.locator(f"#orders tr[data-order='{order['id']}'] .order").first.click()
    await until(page, "!!document.querySelector('#order-detail [data-table=settlements] tbody tr')")
    gross, net = json.loads(await page.evaluate("""JSON.stringify([...document.querySelector(
        '#order-detail [data-table=settlements] tbody tr').children].map(c => c.innerText))"""))[2:5:2]
    assert (gross, net) == ("¥108.00", "出借企业未确认发放")  # not 应发 ¥0.00 / 实发 —
    owed = await page.locator("#order-detail [data-table=arrears] tr[data-arrear]").first.inner_text()
    assert "¥108.00" in owed and "出借企业应付工资" in owed and "赵*" in owed
    assert page_errors == []


async def test_the_cases_panel_shows_each_case_with_its_clock_and_the_colours_panel_each_employer(client, conn, browser_page, page_errors):
    from market.cases.keys import CASES
    from market.reputation.keys import REPUTATION

    employer = await factories.employer(client, name="重庆欠薪示例有限公司", district_code=HOME, escrow_fen=0)
    await fund(client, employer, 10**6)
    worker = await factories.worker(client)
    start = now_local() - minutes(30)
    _, shift_id = await shift_at(client, conn, employer, start, start + minutes(180))
    assignment = await assign(conn, shift_id, worker, 3000)
    opened = await client.post("/v1/cases", json={"kind": "unpaid_pay", "assignment_id": str(assignment),
                                                  "statement": "工资未付"}, headers=worker.auth)
    assert opened.status == 201
    case = await opened.json()
    due = await conn.fetchval("SELECT due_at FROM cases WHERE id = $1", uuid.UUID(case["id"]))
    await client.app[CASES].sweep(now=due)  # the employer did not answer in time: escalated
    await conn.execute("INSERT INTO arrears (kind, assignment_id, organisation_id, worker_id, due_date, "
                       "employer_at_fault) VALUES ('wage_unpaid', $1, $2, $3, current_date, true)",
                       assignment, uuid.UUID(employer.id), uuid.UUID(worker.id))
    await client.app[REPUTATION].recompute()
    auth = await supervisor(client)
    page = browser_page
    await open_dashboard(page, client)
    await sign_in(page, auth)
    row = f"#cases tr[data-case='{case['id']}']"
    await until(page, f"!!document.querySelector(\"{row}\")")
    text = await page.locator(row).first.inner_text()
    assert "工资未付" in text and "待平台裁决" in text and "渝中区" in text
    colour = f"#colours tr[data-organisation='{employer.id}']"
    assert await page.evaluate(f"document.querySelector(\"{colour}\").dataset.colour") == "black"
    assert "黑色（失信）" in await page.locator(colour).first.inner_text() and "存在未清欠薪" in await page.locator(colour).first.inner_text()
    await page.locator("#lang").first.click()
    await until(page, f"document.querySelector(\"{colour}\").innerText.includes('Black (in breach)')")
    assert "Escalated" in await page.locator(row).first.inner_text()
    assert page_errors == []


async def test_the_signing_panel_shows_the_api_s_signed_and_unsigned_agreements_by_district_and_type(client, conn, browser_page, page_errors):
    employer = await factories.employer(client, district_code=HOME, escrow_fen=0)
    await fund(client, employer, 10**6)
    for _ in range(2):
        start = now_local() + timedelta(days=2)
        _, shift_id = await shift_at(client, conn, employer, start, start + minutes(180))
        await assign(conn, shift_id, await factories.worker(client), 3000)
    auth = await supervisor(client)
    api = await (await client.get("/v1/supervision/agreements/signing-rates", headers=auth)).json()
    expected = {(r["district_code"], r["relationship_type"]): (str(r["signed"]), str(r["unsigned"]))
                for r in api["items"]}
    assert sum(int(u) for _, u in expected.values()) >= 2
    page = browser_page
    await open_dashboard(page, client)
    await sign_in(page, auth)
    shown = json.loads(await page.evaluate("""JSON.stringify([...document.querySelectorAll('#signing tr[data-district-code]')]
        .map(r => [r.dataset.districtCode, r.dataset.relationship, r.dataset.signed, r.dataset.unsigned,
                   r.children[1].innerText]))"""))
    assert {(d, k): (s, u) for d, k, s, u, _ in shown} == expected
    assert "劳务关系" in [name for *_, name in shown]
    assert page_errors == []


async def test_the_everyday_and_agencies_panels_show_the_apis_figures(client, conn, browser_page, page_errors):
    """Issue 18 on the dashboard: favourites-first orders, recurring orders, standby and daily pay per
    district; each agency's placements, fill, complaints and arrears (the API's numbers, as shown)."""
    employer = await factories.employer(client, district_code=HOME)
    favourite = await profiled_worker(conn, client)
    await met(client, employer, favourite)
    await relate(client, employer, favourite, "favourite")
    await factories.post_order(client, employer, factories.gig_order_body(private_pool={"minutes": 60}))
    await create_series(client, employer, series_body())
    hr = await agency(client, conn)
    posted = await client.post("/v1/orders", json=factories.gig_order_body(),
                               headers=acting(hr, await mandate(client, employer, hr)))
    assert posted.status == 201, await posted.text()
    auth = await supervisor(client)
    agencies = (await (await client.get("/v1/supervision/agencies", headers=auth)).json())["items"]
    assert [a["agency_organisation_id"] for a in agencies] == [hr.id]
    page = browser_page
    await open_dashboard(page, client)
    await sign_in(page, auth)
    everyday = json.loads(await page.evaluate("""JSON.stringify([...document.querySelectorAll('#everyday tr[data-district-code]')]
        .map(r => [r.dataset.districtCode, r.dataset.poolOrders, r.dataset.recurringOrders, r.children[0].innerText]))"""))
    home = [row for row in everyday if row[0] == HOME]
    assert home == [[HOME, "1", str(client.app[RECURRING].window_days), "渝中区"]]
    shown = json.loads(await page.evaluate("""JSON.stringify([...document.querySelectorAll('#agencies tr[data-agency]')]
        .map(r => [r.dataset.agency, r.dataset.placements, r.children[0].innerText]))"""))
    assert shown == [[a["agency_organisation_id"], str(a["placements"]), a["name"]] for a in agencies]
    assert page_errors == []
