"""The worker app (/app; docs/worker-app.md) in a real Chromium on a phone's screen (390×844), by
tapping, against the real service: a worker signs up (a refused field shows its message beside the
field), fills a profile, sees a shift an employer posts appear live, bids and withdraws, accepts an
offer, checks in and out at the site with the phone's location (and is told why when refused), and
reads the pay slip; goes on call (待命) from a feed card, sees it in 我的待命 and withdraws (a refusal and
the cutoff said in plain words). Screenshots of each main screen go to artifacts/app-*.png.

Waits are on conditions (Playwright's expect and locators), never on time.
"""
import re
import uuid
from datetime import timedelta

import pytest
from playwright.async_api import expect

from tests import factories
from tests.allocation.support import allocator, quiet
from tests.browser import ARTIFACTS
from tests.certificates.support import pdf_bytes
from tests.api.test_feed import profiled_worker
from tests.factories import at, gig_order_body, post_order, shared_order_body
from tests.settlement.support import SITE, assign, minutes, now_local, shift_at

# what arrives through the outbox, the relay, Redis and the stream: more than expect's 5 s on a busy CI machine
LIVE_MS = 15_000
HOME = {"latitude": 29.5600, "longitude": 106.5750}  # near 解放碑, 1 km from the orders' site


@pytest.fixture
def settings(settings):
    return quiet(settings)


def unexpected(errors: list[str]) -> list[str]:
    """The page's errors but the refusals the test asked for (Chromium logs each 4xx response)."""
    return [e for e in errors if not re.search(r"status of 4(22|09)", e)]


async def open_app(page, client) -> None:
    await page.goto(str(client.make_url("/app")))
    await expect(page.locator("body")).to_have_attribute("data-state", "signed-out")


async def sign_up(page, *, phone: str, id_number: str, name: str = "李四") -> None:
    await page.get_by_role("button", name="没有账号？注册").tap()
    form = page.locator("#sign-up-form")
    await form.get_by_label("姓名").fill(name)
    await form.get_by_label("身份证号").fill(id_number)
    await form.get_by_label("所在区县").select_option("500103")
    await form.get_by_label("手机号").fill(phone)
    await form.get_by_label("密码").fill("correct horse battery")
    await form.get_by_role("button", name="注册").tap()


async def shot(page, name: str) -> None:
    await page.evaluate("window.scrollTo(0, 0)")
    await page.screenshot(path=ARTIFACTS / f"app-{name}.png", full_page=True)


async def test_a_worker_signs_up_fills_a_profile_sees_a_shift_live_bids_and_withdraws(client, conn, new_page, page_errors):
    page = await new_page(phone=True)
    await open_app(page, client)
    ARTIFACTS.mkdir(exist_ok=True)
    await shot(page, "sign-in")
    phone = factories.phone()

    # a refused field: the API's message beside the field, marked invalid
    await sign_up(page, phone=phone, id_number="500103199001011230")
    id_field = page.locator("#sign-up-form [name=id_number]")
    await expect(id_field).to_have_attribute("aria-invalid", "true")
    message = page.locator("#sign-up-form #error-id_number")
    await expect(message).to_be_visible()
    assert (await message.text_content()).strip()
    await shot(page, "sign-up-refused")

    await id_field.fill(factories.resident_id())
    await page.locator("#sign-up-form").get_by_role("button", name="注册").tap()
    await expect(page.locator("body")).to_have_attribute("data-state", "signed-in")
    assert await page.evaluate("localStorage.getItem('market.worker.token')")
    # a new worker has no skills: the profile comes first
    await expect(page.locator("body")).to_have_attribute("data-screen", "profile")

    form = page.locator("#profile-form")
    await form.locator("label", has=page.locator("[data-skill=warehouse_picking]")).locator("input").check()
    await form.locator("[data-level=warehouse_picking]").select_option("2")
    await form.get_by_label("纬度").fill(str(HOME["latitude"]))
    await form.get_by_label("经度").fill(str(HOME["longitude"]))
    await form.get_by_label("最远通勤距离（公里）").fill("10")
    # free on the weekday of the shift to come (factories.at(2): two days ahead)
    weekday = (now_local().date() + timedelta(days=2)).isoweekday()
    day_name = "周一 周二 周三 周四 周五 周六 周日".split()[weekday - 1]
    await form.locator(f"#day-{weekday}").check()
    await form.get_by_label(f"{day_name} 开始").fill("08:00")
    await form.get_by_label(f"{day_name} 结束").fill("18:00")
    for code in ("labor_service", "labor_part_time", "incomplete_labor"):
        await form.locator(f"#rel-{code}").check()
    await form.get_by_role("button", name="保存资料").tap()
    await expect(form).to_have_attribute("data-saved", re.compile(r"\d+"))
    assert await page.evaluate("document.documentElement.scrollWidth") <= 390
    await shot(page, "profile")

    me = await page.evaluate("fetch('/v1/workers/me', {headers: {Authorization: 'Bearer ' + "
                             "localStorage.getItem('market.worker.token')}}).then(r => r.json())")
    assert me["home"] == {"lat": HOME["latitude"], "lon": HOME["longitude"]} and me["max_travel_m"] == 10_000
    assert me["skills"][0]["skill_code"] == "warehouse_picking" and me["skills"][0]["level"] == 2
    assert me["availability"]["weekly"] == [{"weekday": weekday, "start": "08:00", "end": "18:00"}]

    await page.get_by_role("button", name="找活").tap()
    await expect(page.locator("#live")).to_have_class("live on")
    await expect(page.locator("#feed-list")).to_have_attribute("data-count", "0")

    # an employer posts through the API: the shift appears without reloading
    employer = await factories.employer(client)
    order = await post_order(client, employer, gig_order_body(title="解放碑仓库分拣"))
    shift_id = order["shifts"][0]["id"]
    card = page.locator(f"#feed-list [data-shift='{shift_id}']")
    await expect(card).to_be_visible(timeout=LIVE_MS)
    await expect(card).to_contain_text("解放碑仓库分拣")
    await expect(card).to_contain_text("¥30.00")
    await expect(card).to_contain_text("劳务关系")
    await expect(card.locator("[data-colour]")).to_be_visible()
    await shot(page, "feed")

    # a refused bid: the rate's message beside the rate
    await card.get_by_label("我的报价（元）").fill("0")
    await card.get_by_role("button", name="提交投标").tap()
    await expect(card.locator("[name=rate_fen]")).to_have_attribute("aria-invalid", "true")
    await card.get_by_label("我的报价（元）").fill("29.00")
    await card.get_by_role("button", name="提交投标").tap()
    await expect(card).to_have_attribute("data-has-bid", "true")
    bids = await (await client.get(f"/v1/orders/{order['id']}/bids", headers=employer.auth)).json()
    assert [(b["rate_fen"], b["state"]) for b in bids["items"]] == [(2900, "live")]

    await card.get_by_role("button", name="撤回投标").tap()
    await expect(card).to_have_attribute("data-has-bid", "false")
    bids = await (await client.get(f"/v1/orders/{order['id']}/bids", headers=employer.auth)).json()
    assert [b["state"] for b in bids["items"]] == ["withdrawn"]

    # English on a tap, and back
    await page.get_by_role("button", name="English").tap()
    await expect(page.locator("html")).to_have_attribute("lang", "en")
    await expect(page.get_by_role("button", name="Jobs")).to_be_visible()
    await page.get_by_role("button", name="中文").tap()
    await expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    assert await page.evaluate("document.documentElement.scrollWidth") <= 390
    assert unexpected(page_errors) == []


async def sign_in(page, worker: factories.Party, *, touch: bool = True) -> None:
    form = page.locator("#sign-in-form")
    await form.get_by_label("手机号").fill(worker.login)
    await form.get_by_label("密码").fill("correct horse battery")
    button = form.get_by_role("button", name="登录")
    await (button.tap() if touch else button.click())
    await expect(page.locator("body")).to_have_attribute("data-state", "signed-in")


async def test_a_worker_accepts_an_offer_checks_in_and_out_by_location_and_reads_the_pay_slip(client, conn, settings,
                                                                                            new_page, page_errors):
    employer = await factories.employer(client)
    worker = await profiled_worker(conn, client)
    order = await post_order(client, employer, gig_order_body(title="朝天门搬运"))
    placed = await client.post(f"/v1/orders/{order['id']}/bids", headers=worker.auth,
                               json={"shift_ids": [order["shifts"][0]["id"]], "rate_fen": 2800})
    assert placed.status == 201, await placed.text()
    page = await new_page(phone=True)
    await open_app(page, client)
    await sign_in(page, worker)
    await expect(page.locator("body")).to_have_attribute("data-screen", "feed")
    await expect(page.locator("#live")).to_have_class("live on")

    # the employer allocates: the offer's badge appears live, the offer counts down
    allocated = await client.post(f"/v1/orders/{order['id']}/allocate", headers=employer.auth)
    assert allocated.status == 202, await allocated.text()
    async with allocator(settings) as engine:
        assert await engine.run_once() == 1
    await expect(page.locator("#offers-count")).to_have_text("1", timeout=LIVE_MS)
    await page.get_by_role("button", name="邀约").tap()
    offer = page.locator("#offers-list .card[data-state=pending]")
    await expect(offer).to_contain_text("朝天门搬运")
    await expect(offer).to_contain_text("¥28.00")
    await expect(offer.get_by_role("timer")).to_contain_text(re.compile(r"剩余 \d"))
    await shot(page, "offers")
    await offer.get_by_role("button", name="接受").tap()
    await expect(page.locator("#offers-list .card[data-state=accepted]")).to_be_visible()
    [accepted] = (await (await client.get("/v1/workers/me/assignments", headers=worker.auth)).json())["items"]
    assert accepted["order_id"] == order["id"]

    # its written agreement: read and signed from the shift's card
    await page.get_by_role("button", name="我的班次").tap()
    booked = page.locator(f"#shifts-list [data-assignment='{accepted['id']}']")
    await booked.get_by_role("button", name="用工协议").tap()
    await expect(booked.locator("[data-agreement-state]")).to_be_visible()
    async with page.expect_download() as pdf_info:
        await booked.get_by_role("button", name="阅读协议（PDF）").tap()
    assert (await (await pdf_info.value).path()).read_bytes().startswith(b"%PDF")
    await booked.get_by_role("button", name="我已阅读，签署").tap()
    await expect(booked.get_by_role("button", name="我已阅读，签署")).to_have_count(0)
    document = await (await client.get(f"/v1/assignments/{accepted['id']}/agreement", headers=worker.auth)).json()
    assert [s["role"] for s in document["signatures"]] == ["worker"]

    # a shift under way today, on the worker's list
    start = now_local() - minutes(10)
    _, shift_id = await shift_at(client, conn, employer, start, start + minutes(180))
    assignment_id = await assign(conn, shift_id, worker)
    await page.get_by_role("button", name="邀约").tap()
    await page.get_by_role("button", name="我的班次").tap()
    shift = page.locator(f"#shifts-list [data-assignment='{assignment_id}']")
    await expect(shift).to_be_visible()

    # no location permission: the reason, and no check-in
    await shift.get_by_role("button", name="签到").tap()
    await expect(shift.get_by_role("alert")).to_contain_text("定位权限")
    # far from the site: the API's refusal on the card
    await page.context.grant_permissions(["geolocation"])
    await page.context.set_geolocation({"latitude": 29.60, "longitude": 106.60})
    await shift.get_by_role("button", name="签到").tap()
    await expect(shift.get_by_role("alert")).to_contain_text(re.compile(r"\d+ ?m", re.I))
    assert await conn.fetchval("SELECT checked_in_at FROM timesheets WHERE assignment_id = $1", assignment_id) is None
    # at the site
    await page.context.set_geolocation({"latitude": SITE[0], "longitude": SITE[1]})
    await shift.get_by_role("button", name="签到").tap()
    await expect(shift.get_by_role("button", name="签退")).to_be_visible()
    await expect(shift).to_contain_text("已签到")
    await expect(shift).to_contain_text("工作中")
    await shot(page, "shifts")
    await shift.get_by_role("button", name="签退").tap()
    await expect(shift).to_have_attribute("data-timesheet", "submitted")

    approved = await client.post(f"/v1/assignments/{assignment_id}/approve", json={"minutes": 120, "reason": "2 h"},
                                 headers=employer.auth)
    assert approved.status == 200, await approved.text()
    [slip] = (await (await client.get("/v1/workers/me/payslips", headers=worker.auth)).json())["items"]
    await page.get_by_role("button", name="工资单").tap()
    card = page.locator(f"#pay-list [data-settlement='{slip['settlement_id']}']")
    await expect(card).to_contain_text("¥60.00")
    await page.get_by_label(re.compile("日结")).check()
    await expect(page.locator("#cadence")).to_have_attribute("data-cadence", "daily")
    preference = await (await client.get("/v1/workers/me/payout-preference", headers=worker.auth)).json()
    assert preference["cadence"] == "daily"
    assert await card.locator("[data-gross]").get_attribute("data-gross") == str(slip["gross_fen"]) == "6000"
    assert await card.locator("[data-net]").get_attribute("data-net") == str(slip["net_fen"])
    await shot(page, "pay")
    async with page.expect_download() as download_info:
        await page.get_by_role("button", name="下载工资单（CSV）").tap()
    download = await download_info.value
    saved = ARTIFACTS / "app-payslips.csv"
    await download.save_as(saved)
    assert slip["settlement_id"] in saved.read_text(encoding="utf-8-sig")
    assert unexpected(page_errors) == []


async def test_offline_the_app_opens_from_its_cache_and_shows_the_last_feed(client, conn, new_page, page_errors):
    employer = await factories.employer(client)
    worker = await profiled_worker(conn, client)
    order = await post_order(client, employer, gig_order_body(title="南坪夜班理货"))
    page = await new_page(phone=True)
    await open_app(page, client)
    await sign_in(page, worker)
    card = page.locator(f"#feed-list [data-shift='{order['shifts'][0]['id']}']")
    await expect(card).to_be_visible()
    await expect(page.locator("body")).to_have_attribute("data-offline-ready", "true")
    await expect(page.locator("#feed-offline")).to_be_hidden()
    # the feed once more through the service worker, so its copy is the last one
    await page.get_by_role("button", name="找活").tap()
    await expect(card).to_be_visible()

    await page.context.set_offline(True)
    await page.reload()
    await expect(page.locator("body")).to_have_attribute("data-state", "signed-in")
    await expect(page.locator("#feed-offline")).to_be_visible()
    await expect(page.locator("#feed-offline")).to_contain_text("离线")
    await expect(card).to_contain_text("南坪夜班理货")
    await expect(card.get_by_role("button", name="提交投标")).to_have_count(0)  # a bid needs the network
    await expect(page.locator("#live")).to_have_class("live off")
    await shot(page, "feed-offline")
    await page.context.set_offline(False)
    await expect(page.locator("#live")).to_have_class("live on")
    assert [e for e in unexpected(page_errors) if "ERR_INTERNET_DISCONNECTED" not in e] == []


async def test_a_worker_complains_about_a_shift_accepts_the_answer_and_sets_notifications(client, conn, new_page,
                                                                                          page_errors):
    employer = await factories.employer(client)
    worker = await profiled_worker(conn, client)
    start = now_local() - minutes(10)
    _, shift_id = await shift_at(client, conn, employer, start, start + minutes(180))
    assignment_id = await assign(conn, shift_id, worker)
    page = await new_page(phone=True)
    await open_app(page, client)
    await sign_in(page, worker)
    await page.get_by_role("button", name="我的班次").tap()
    shift = page.locator(f"#shifts-list [data-assignment='{assignment_id}']")
    await shift.get_by_role("button", name="投诉/申诉").tap()
    await shift.get_by_label("类型").select_option("unpaid_pay")
    await shift.get_by_role("button", name="提交").tap()  # no statement: refused beside the field
    await expect(shift.locator("[name=statement]")).to_have_attribute("aria-invalid", "true")
    await shift.get_by_label("说明经过").fill("干完三个小时，工资一直没到账。")
    await shift.get_by_role("button", name="提交").tap()
    await expect(page.locator("body")).to_have_attribute("data-screen", "cases")
    case = page.locator("#cases-list .card[data-state=open]")
    await expect(case).to_contain_text("拖欠工资")
    [opened] = (await (await client.get("/v1/cases", headers=worker.auth)).json())["items"]
    assert opened["assignment_id"] == str(assignment_id) and opened["kind"] == "unpaid_pay"
    # evidence: words and a PDF
    await case.get_by_label("补充说明（证据）").fill("老板微信说月底再说。")
    await case.get_by_label("照片或PDF（工资条、聊天记录等）").set_input_files(
        {"name": "聊天记录.pdf", "mimeType": "application/pdf", "buffer": pdf_bytes()})
    await case.get_by_role("button", name="提交证据").tap()
    await expect(case.locator("form.evidence")).to_have_attribute("data-sent", re.compile(r"\d+"))
    full = await (await client.get(f"/v1/cases/{opened['id']}", headers=worker.auth)).json()
    assert [e["body"] for e in full["evidence"]] == ["老板微信说月底再说。"] and len(full["files"]) == 1

    answered = await client.post(f"/v1/cases/{opened['id']}/answer", json={"text": "已安排今日补发。"},
                                 headers=employer.auth)
    assert answered.status == 200, await answered.text()
    case = page.locator(f"#cases-list [data-case='{opened['id']}']")
    await expect(case).to_have_attribute("data-state", "answered", timeout=LIVE_MS)  # live, from case.moved
    await expect(case).to_contain_text("已安排今日补发。")
    await shot(page, "cases")
    await case.get_by_role("button", name="接受答复").tap()
    await expect(case).to_have_attribute("data-state", "resolved")

    await page.get_by_role("button", name="我的", exact=True).tap()
    await page.get_by_role("button", name="通知设置").tap()
    form = page.locator("#notify-form")
    await form.locator("[data-kind='offer.made']").get_by_label("短信").check()
    await form.get_by_label("开始").fill("22:00")
    await form.get_by_label("结束").fill("07:00")
    await form.get_by_role("button", name="保存").tap()
    await expect(form).to_have_attribute("data-saved", re.compile(r"\d+"))
    prefs = await (await client.get("/v1/notifications/preferences", headers=worker.auth)).json()
    assert prefs["channels"]["offer.made"] == ["sms"]
    assert prefs["quiet_hours"]["start"].startswith("22:00") and prefs["quiet_hours"]["end"].startswith("07:00")
    await expect(page.locator("#push-state")).to_contain_text("未开启")
    # Web Push asks the phone's permission; refused, the page says so
    await page.get_by_role("button", name="在这台手机上接收推送").tap()
    await expect(page.locator("#push-error")).to_contain_text("not allowed")
    await shot(page, "notifications")

    # a certificate: a validity longer than the kind allows is refused beside the date, then uploaded
    await page.get_by_role("button", name="我的", exact=True).tap()
    await page.get_by_role("button", name="我的证书").tap()
    upload = page.locator("#cert-form")
    today = now_local().date()
    await upload.get_by_label("证书种类").select_option("健康证")
    await upload.get_by_label("证书编号").fill("渝健2026-0001")
    await upload.get_by_label("发证机关").fill("重庆市渝中区疾病预防控制中心")
    await upload.get_by_label("发证日期").fill((today - timedelta(days=30)).isoformat())
    await upload.get_by_label("有效期至").fill((today + timedelta(days=3 * 365)).isoformat())
    await upload.get_by_label("证书照片或PDF").set_input_files(
        {"name": "健康证.pdf", "mimeType": "application/pdf", "buffer": pdf_bytes()})
    await upload.get_by_role("button", name="上传").tap()
    await expect(upload.locator("[name=expires_on]")).to_have_attribute("aria-invalid", "true")
    await upload.get_by_label("有效期至").fill((today + timedelta(days=300)).isoformat())
    await upload.get_by_role("button", name="上传").tap()
    await expect(page.locator("#certs-list .card[data-state=pending]")).to_contain_text("健康证")
    [certificate] = (await (await client.get("/v1/workers/me/certificates", headers=worker.auth)).json())["items"]
    assert certificate["kind"] == "健康证" and certificate["state"] == "pending"
    await shot(page, "certificates")
    assert unexpected(page_errors) == []


async def test_the_page_its_service_worker_and_manifest_are_served_as_a_pwa_needs(client):
    page = await client.get("/app")
    assert page.status == 200 and page.content_type == "text/html"
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    html = await page.text()
    for path in re.findall(r'(?:src|href)="(/static/[^"]+)"', html):
        assert "?v=" in path, path  # versioned: a phone keeps it for a year, never a stale one
        assert (await client.get(path)).status == 200
    worker = await client.get("/app/sw.js")
    assert worker.status == 200 and worker.content_type == "text/javascript"
    assert worker.headers["Service-Worker-Allowed"] == "/app" and worker.headers["Cache-Control"] == "no-cache"
    manifest = await (await client.get("/static/app/manifest.json")).json()
    assert manifest["start_url"] == "/app" and manifest["scope"] == "/app" and manifest["lang"] == "zh-CN"
    assert manifest["display"] == "standalone" and manifest["icons"]


async def test_on_a_desk_an_employers_login_is_turned_away_and_a_worker_reads_the_feed(client, conn, browser_page,
                                                                                      page_errors):
    employer = await factories.employer(client)
    worker = await profiled_worker(conn, client)
    order = await post_order(client, employer, gig_order_body(title="江北嘴展会布展"))
    page = browser_page
    await open_app(page, client)
    form = page.locator("#sign-in-form")
    await form.get_by_label("手机号").fill(employer.login)
    await form.get_by_label("密码").fill("correct horse battery")
    await form.get_by_role("button", name="登录").click()
    await expect(form.get_by_role("alert")).to_contain_text("不是零工账号")
    assert await page.evaluate("localStorage.getItem('market.worker.token')") is None
    await sign_in(page, worker, touch=False)
    card = page.locator(f"#feed-list [data-shift='{order['shifts'][0]['id']}']")
    await expect(card).to_contain_text("江北嘴展会布展")
    box = await page.locator("#screen-feed").bounding_box()
    assert box is not None and box["width"] <= 640 and box["x"] > 300  # one column, centred on a desk
    assert await page.evaluate("document.documentElement.scrollWidth") <= 1440
    await shot(page, "feed-desk")
    assert unexpected(page_errors) == []


async def test_a_worker_confirms_an_employer_and_consents_to_be_lent(client, new_page, page_errors):
    borrower, lender = await factories.employer(client), await factories.employer(client, name="重庆派出示例有限公司")
    worker = await factories.worker(client, name="刘一")
    registered = await client.post("/v1/employers/me/employees", headers=lender.auth, json={
        "worker_id": worker.id, "job_title": "仓管员", "agreed_hourly_wage_fen": 2600})
    assert registered.status == 201, await registered.text()
    employment_id = (await registered.json())["id"]
    page = await new_page(phone=True)
    await open_app(page, client)
    await sign_in(page, worker)
    await page.get_by_role("button", name="我的", exact=True).tap()
    await page.get_by_role("button", name="共享用工").tap()
    employment = page.locator(f"#employments-list [data-employment='{employment_id}']")
    await expect(employment).to_contain_text("重庆派出示例有限公司")
    await expect(employment).to_contain_text("¥26.00")
    await employment.get_by_role("button", name="确认是我的单位").tap()
    await expect(employment).to_have_attribute("data-state", "active")

    order = await post_order(client, borrower, shared_order_body())
    placed = await client.post(f"/v1/orders/{order['id']}/bids", headers=lender.auth, json={
        "fee_per_worker_day_fen": 28000, "employees": [{"employment_id": employment_id, "wage_hourly_fen": 2700}]})
    assert placed.status == 201, await placed.text()
    [consent] = (await placed.json())["shared_bid"]["consents"]
    await page.get_by_role("button", name="我的", exact=True).tap()
    await page.get_by_role("button", name="共享用工").tap()
    asked = page.locator(f"#consents-list [data-consent='{consent['id']}']")
    await expect(asked).to_contain_text("¥27.00")
    await shot(page, "shared-employment")
    await asked.get_by_role("button", name="同意借调").tap()
    await expect(asked).to_have_attribute("data-state", "accepted")
    [decided] = (await (await client.get("/v1/workers/me/consents", headers=worker.auth)).json())["items"]
    assert decided["state"] == "accepted"
    assert unexpected(page_errors) == []


async def test_a_part_time_worker_claims_waiting_time_at_check_out_and_a_claim_too_long_is_refused_beside_it(
        client, conn, new_page, page_errors):
    employer = await factories.employer(client)
    worker = await profiled_worker(conn, client)
    start = now_local() - minutes(10)
    _, shift_id = await shift_at(client, conn, employer, start, start + minutes(180), relationship="labor_part_time")
    assignment_id = await assign(conn, shift_id, worker)
    page = await new_page(phone=True)
    await page.context.grant_permissions(["geolocation"])
    await page.context.set_geolocation({"latitude": SITE[0], "longitude": SITE[1]})
    await open_app(page, client)
    await sign_in(page, worker)
    await page.get_by_role("button", name="我的班次").tap()
    shift = page.locator(f"#shifts-list [data-assignment='{assignment_id}']")
    await shift.get_by_role("button", name="签到").tap()
    await shift.get_by_label("按雇主安排等待的时间（分钟，可不填）").fill("1000")
    await shift.get_by_label("等待原因").fill("等货车卸货")
    await shift.get_by_role("button", name="签退").tap()
    await expect(shift.locator("[name=waiting_minutes]")).to_have_attribute("aria-invalid", "true")
    await shift.get_by_label("按雇主安排等待的时间（分钟，可不填）").fill("30")
    await shift.get_by_role("button", name="签退").tap()
    await expect(shift).to_have_attribute("data-timesheet", "submitted")
    claimed = await conn.fetchrow("SELECT waiting_minutes_claimed, waiting_reason FROM timesheets WHERE assignment_id = $1",
                                  assignment_id)
    assert (claimed["waiting_minutes_claimed"], claimed["waiting_reason"]) == (30, "等货车卸货")
    assert unexpected(page_errors) == []


async def test_a_worker_goes_on_call_from_a_feed_card_sees_it_in_my_standbys_and_withdraws(client, conn, new_page,
                                                                                         page_errors):
    employer = await factories.employer(client)
    worker = await profiled_worker(conn, client)
    standby_shift = {"start": at(2, 9), "end": at(2, 13), "headcount": 1, "standby": 1, "standby_amount_fen": 3000}
    order = await post_order(client, employer, gig_order_body(title="待命分拣", shifts=[standby_shift]))
    same_time = await post_order(client, employer, gig_order_body(title="同时段分拣", shifts=[standby_shift]))
    plain = await post_order(client, employer, gig_order_body(title="无待命分拣", shifts=[
        {"start": at(3, 9), "end": at(3, 13), "headcount": 1}]))
    page = await new_page(phone=True)
    await open_app(page, client)
    await sign_in(page, worker)
    card = page.locator(f"#feed-list [data-shift='{order['shifts'][0]['id']}']")
    await expect(card.locator("[data-standby-amount]")).to_contain_text("¥30.00")
    await expect(card).to_contain_text("待命名额 1")
    without = page.locator(f"#feed-list [data-shift='{plain['shifts'][0]['id']}']")
    await expect(without).to_be_visible()
    await expect(without.locator("[data-action=standby]")).to_have_count(0)
    await shot(page, "feed-standby")

    await card.get_by_role("button", name="待命", exact=True).tap()
    await expect(card.locator("[data-action=standby]")).to_have_count(0)  # the one standby seat is now held
    # another shift at the same time: refused, the reason in plain words on its card
    other = page.locator(f"#feed-list [data-shift='{same_time['shifts'][0]['id']}']")
    await other.get_by_role("button", name="待命", exact=True).tap()
    await expect(other.locator(".error")).to_have_text("你在这个时间已经在待命。")

    await page.get_by_role("button", name="我的", exact=True).tap()
    await page.get_by_role("button", name="我的待命").tap()
    [standby] = (await (await client.get("/v1/workers/me/standbys", headers=worker.auth)).json())["items"]
    assert standby["state"] == "on_call" and standby["shift_id"] == order["shifts"][0]["id"]
    mine = page.locator(f"#standby-list [data-standby='{standby['id']}']")
    await expect(mine).to_have_attribute("data-state", "on_call")
    await expect(mine).to_contain_text("待命分拣")
    await expect(mine).to_contain_text("¥30.00")
    await shot(page, "standby")
    await mine.get_by_role("button", name="退出待命").tap()
    await expect(mine).to_have_attribute("data-state", "withdrawn")
    await expect(mine.locator("[data-action=withdraw-standby]")).to_have_count(0)
    [withdrawn] = (await (await client.get("/v1/workers/me/standbys", headers=worker.auth)).json())["items"]
    assert withdrawn["state"] == "withdrawn"

    # past the cutoff a withdrawal is refused, and the card says why
    await page.get_by_role("button", name="找活").tap()
    await card.get_by_role("button", name="待命", exact=True).tap()
    await expect(card.locator("[data-action=standby]")).to_have_count(0)
    await conn.execute("UPDATE standbys SET period = tstzrange(now() + interval '1 hour', now() + interval '5 hours') "
                       "WHERE worker_id = $1 AND state = 'on_call'", uuid.UUID(worker.id))
    await page.get_by_role("button", name="我的", exact=True).tap()
    await page.get_by_role("button", name="我的待命").tap()
    late = page.locator("#standby-list [data-state=on_call]")
    await late.get_by_role("button", name="退出待命").tap()
    await expect(late.locator(".error")).to_have_text("离开始太近，已经不能退出待命。")
    assert unexpected(page_errors) == []
