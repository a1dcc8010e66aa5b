"""The employers' console (/console) in a real Chromium, driven by Playwright (tests/browser.py),
against the real service: an employer signs up by clicking, declares a deposit (confirmed by the
platform), posts an order (a field the API refuses shows its message beside the field), sees workers'
bids arrive live, allocates, reads the solver's reason for the worker not chosen, approves the
timesheet, and downloads the invoice of the month; today's attendance (who checked in, who has
not, the no-show) and the timesheets read a page at a time; a case answered (an empty answer refused
beside it); the wage arrears of the billing screen; a lender's employees, lent on a shared order,
and the three-party agreement; a phone-sized screen signs in and switches to English. Every page must log no console error. Screenshots of each screen go to artifacts/console-*.png.

Workers act through the API (and check in and out through the attendance service at fixed times,
as tests/settlement does), as they would from their own app.
"""
import re
import uuid
from datetime import timedelta

from aiohttp import web
from playwright.async_api import expect

from market.app import create_app

from market.attendance.keys import ATTENDANCE
from market.invoices.keys import INVOICES
from tests import factories
from tests.allocation.support import accept, allocator, bid, skilled_worker
from tests.browser import ARTIFACTS, until
from tests.settlement.support import SITE, admin, minutes, now_local, principal_of
from tests.webhooks.test_webhooks import _delivery_row


async def open_console(page, client) -> None:
    await page.goto(str(client.make_url("/console")))
    await expect(page.locator("body")).to_have_attribute("data-loaded", "true")


async def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=ARTIFACTS / f"console-{name}.png", full_page=True)


async def test_an_employer_signs_up_deposits_posts_allocates_approves_and_downloads_an_invoice(
        client, conn, settings, browser_page, page_errors):
    page = browser_page
    await open_console(page, client)
    await shot(page, "sign-in")

    # Sign up: the form posts the registration, then signs in with the same login.
    login = f"hr-{uuid.uuid4().hex[:8]}@example.com"
    form = page.locator("#sign-up-form")
    await form.get_by_label("企业名称").fill("重庆控制台测试有限公司")
    await form.get_by_label("统一社会信用代码").fill(factories.credit_code())
    await form.get_by_label("注册区县").select_option("500103")
    await form.get_by_label("登录名（手机或邮箱）").fill(login)
    await form.get_by_label("密码").fill("correct horse battery")
    await form.get_by_role("button", name="注册企业").click()
    await expect(page.locator("body")).to_have_attribute("data-state", "ready")
    await expect(page.locator("#available")).to_have_text("¥0.00")
    await expect(page.locator("#auth")).to_be_hidden()  # signed in: the board alone
    token = await page.evaluate("sessionStorage.getItem('market.employer.token')")
    auth = {"Authorization": f"Bearer {token}"}

    # A deposit: declared in the console, confirmed by the platform's operator, then shown.
    await page.get_by_label("金额（元）").fill("5,000.50")
    await page.get_by_label("银行流水号").fill("ICBC-CONSOLE-1")
    await page.locator("#deposit-form").get_by_role("button", name="登记入账").click()
    await expect(page.locator("#deposit-done")).to_contain_text("¥5,000.50")
    deposit_id = await conn.fetchval("SELECT id FROM deposits WHERE bank_reference = 'ICBC-CONSOLE-1'")
    confirmed = await client.post(f"/v1/admin/deposits/{deposit_id}/confirm", headers=await admin(client))
    assert confirmed.status == 200, await confirmed.text()
    await page.get_by_role("button", name="刷新").click()
    await expect(page.locator("#available")).to_have_text("¥5,000.50")
    await shot(page, "escrow")

    # Post an order: a headcount of 0 is refused by the API, its message shown beside the field.
    await page.get_by_role("tab", name="发布订单").click()
    await page.locator("#order-form").get_by_label("标题").fill("仓库分拣临时工")
    await page.locator("#order-form").get_by_label("用工关系").select_option("labor_service")
    await page.locator("#order-form").get_by_label("地址", exact=True).fill("渝中区解放碑某仓库")
    await page.locator("#order-form").get_by_label("人数").fill("0")
    await page.locator("#order-form").get_by_label("单价（元）").fill("30")
    await page.locator("#order-form").get_by_label("技能").select_option("warehouse_picking")
    await page.locator("#order-form").get_by_role("button", name="发布", exact=True).click()
    headcount = page.locator("#order-form").get_by_label("人数")
    await expect(headcount).to_have_attribute("aria-invalid", "true")
    described = await headcount.get_attribute("aria-describedby")
    await expect(page.locator(f"#{described}")).to_be_visible()
    await expect(page.locator(f"#{described}")).not_to_be_empty()
    await shot(page, "post-refused")
    await headcount.fill("1")
    await page.locator("#order-form").get_by_role("button", name="发布", exact=True).click()
    await expect(page.locator("#posted")).to_contain_text("仓库分拣临时工")
    assert await headcount.get_attribute("aria-invalid") is None
    [order] = (await (await client.get("/v1/orders", headers=auth)).json())["items"]
    assert order["shifts"][0]["headcount"] == 1 and order["pay"]["amount_fen"] == 3000

    # Orders: two workers bid through the API; the console sees them live and ranks them.
    await page.get_by_role("tab", name="订单", exact=True).click()
    row = page.locator(f"[data-order='{order['id']}']")
    await expect(row.locator("[data-fill]")).to_have_attribute("data-fill", "0/1")
    cheap, dear = await skilled_worker(client, conn, name="李便宜"), await skilled_worker(client, conn, name="王贵")
    await bid(client, dear, order, 3000)
    await bid(client, cheap, order, 2500)
    await expect(row.locator("[data-live-bids]")).to_have_attribute("data-live-bids", "2")  # from the stream
    await row.get_by_role("button", name="投标").click()
    bids = page.locator("#bids-table tbody tr")
    await expect(bids).to_have_count(2)
    assert await bids.nth(0).get_attribute("data-worker") == cheap.id  # the cheaper ask first
    await expect(bids.nth(0)).to_contain_text("¥25.00")

    # Allocate: the run is queued by the click, solved by an allocator, and explained seat by seat.
    await row.get_by_role("button", name="立即分配").click()
    await expect(page.locator("#run-panel")).to_be_visible()
    async with allocator(settings) as engine:
        assert await engine.run_once() >= 1
    await expect(page.locator("#run-panel")).to_have_attribute("data-status", "done")
    await expect(page.locator(f"#run-table tr[data-worker='{cheap.id}']")).to_have_attribute("data-outcome", "offered")
    passed = page.locator(f"#run-table tr[data-worker='{dear.id}']")
    await expect(passed).to_have_attribute("data-reason", "outbid")
    await expect(passed).to_contain_text("报价高于被选中的工人")
    # The offer made is listed with its clock (GET /v1/orders/{id}/offers), counting down.
    offered = page.locator("#offers-table tr[data-state='pending']")
    await expect(offered).to_contain_text("李便宜")
    await expect(offered.locator("[data-expires]")).to_have_text(re.compile(r"^(\d+:)?\d\d:\d\d$"))
    await shot(page, "allocation")

    # The worker accepts and works the shift (moved into the past); the timesheet arrives live.
    assignment_id = (await accept(client, cheap))["assignment_id"]
    await expect(page.locator("#offers-table tr[data-state='accepted']")).to_contain_text("李便宜")
    start = now_local() - timedelta(hours=5)
    await conn.execute("UPDATE shifts SET starts_at = $2, ends_at = $3 WHERE id = $1",
                       uuid.UUID(order["shifts"][0]["id"]), start, start + timedelta(hours=4))
    await conn.execute("UPDATE assignments SET period = tstzrange($2, $3) WHERE id = $1",
                       uuid.UUID(assignment_id), start, start + timedelta(hours=4))
    who = await principal_of(client, cheap)
    await client.app[ATTENDANCE].check_in(who, uuid.UUID(assignment_id), *SITE, now=start + minutes(1))
    await client.app[ATTENDANCE].check_out(who, uuid.UUID(assignment_id), *SITE, now=start + minutes(241))
    await page.get_by_role("tab", name="工时单").click()
    sheet = page.locator(f"[data-timesheet='{assignment_id}']")
    await expect(sheet).to_have_attribute("data-state", "submitted")
    await sheet.get_by_role("checkbox").check()
    await shot(page, "timesheets")
    await page.get_by_role("button", name="批准所选").click()
    await expect(sheet).to_have_attribute("data-state", "approved")
    assert await conn.fetchval("SELECT state FROM timesheets WHERE assignment_id = $1",
                               uuid.UUID(assignment_id)) == "approved"

    # The month's invoice requests (made once the month is over) and the PDF of one.
    period = now_local().strftime("%Y-%m")
    organisation_id = uuid.UUID((await (await client.get("/v1/me", headers=auth)).json())["organisation_id"])
    await client.app[INVOICES].make(period, organisation_id, now=now_local() + timedelta(days=40))
    await page.get_by_role("tab", name="发票与对账单").click()
    invoices = page.locator("#invoice-table tbody tr")
    await expect(invoices.first).to_be_visible()
    async with page.expect_download() as download_info:
        await invoices.first.get_by_role("button", name="下载PDF").click()
    download = await download_info.value
    assert (await download.path()).read_bytes().startswith(b"%PDF")
    await page.locator("#statement-form").get_by_role("button", name="查看").click()
    await expect(page.locator("#st-deposited")).to_have_text("¥5,000.50")
    await shot(page, "billing")
    # Chromium logs every refused request as a console error: the one refusal asked for, and nothing else
    assert [e for e in page_errors if "status of 422" not in e or not e.endswith("/v1/orders")] == []
    assert len(page_errors) <= 1


async def test_on_a_phone_the_console_signs_in_fits_the_screen_and_speaks_english(client, phone_page, page_errors):
    employer = await factories.employer(client, escrow_fen=12345)
    worker = await factories.worker(client)
    page = phone_page
    await open_console(page, client)
    form = page.locator("#sign-in-form")
    # a worker's login is not an employer's: said beside the form, and the token given back
    await form.get_by_label("登录名（手机或邮箱）").fill(worker.login)
    await form.get_by_label("密码").fill("correct horse battery")
    await form.get_by_role("button", name="登录").click()
    await expect(form.get_by_role("alert")).to_have_text("该账号不是雇主账号")
    await form.get_by_label("登录名（手机或邮箱）").fill(employer.login)
    await form.get_by_label("密码").fill("correct horse battery")
    await form.get_by_label("密码").press("Enter")  # the keyboard alone signs in
    await expect(page.locator("#available")).to_have_text("¥123.45")
    await expect(page.locator("#sign-in-form")).to_be_hidden()
    assert await until(page, "document.documentElement.scrollWidth <= window.innerWidth + 1")
    await page.get_by_role("button", name="Language / 语言").click()
    await expect(page.get_by_role("tab", name="Post an order")).to_be_visible()
    assert await page.evaluate("document.documentElement.lang") == "en"
    await page.get_by_role("tab", name="Post an order").click()
    await expect(page.get_by_label("Headcount")).to_be_visible()
    assert await until(page, "document.documentElement.scrollWidth <= window.innerWidth + 1")
    await shot(page, "phone")
    assert page_errors == []


async def test_a_recurring_order_and_a_template_are_made_from_the_order_form(client, browser_page, page_errors):
    employer = await factories.employer(client)
    page = browser_page
    await open_console(page, client)
    form = page.locator("#sign-in-form")
    await form.get_by_label("登录名（手机或邮箱）").fill(employer.login)
    await form.get_by_label("密码").fill("correct horse battery")
    await form.get_by_role("button", name="登录").click()
    await expect(page.locator("body")).to_have_attribute("data-state", "ready")
    await page.get_by_role("tab", name="发布订单").click()
    await page.locator("#order-form").get_by_label("标题").fill("每周分拣")
    await page.locator("#order-form").get_by_label("单价（元）").fill("28.50")
    start = now_local().date() + timedelta(days=1)
    await page.locator("#order-form").get_by_label("日期", exact=True).fill(start.isoformat())
    await page.locator("#order-form").get_by_label("截止日期").fill((start + timedelta(days=13)).isoformat())
    for day in ("周二", "周四"):
        await page.locator("#order-form").get_by_label(day).check()
    await page.locator("#order-form").get_by_label("名称", exact=True).fill("每周二四分拣")

    await page.get_by_role("button", name="存为模板").click()
    await expect(page.locator("#template-table tbody tr")).to_have_count(1)
    await expect(page.locator("#template-table tbody tr")).to_contain_text("¥28.50")

    await page.get_by_role("button", name="发布周期订单").click()
    series = page.locator("#series-table tbody tr")
    await expect(series).to_have_count(1)
    await expect(series).to_have_attribute("data-state", "active")
    occurrences = page.locator("#occurrences li")
    await expect(occurrences).to_have_count(4)  # two weeks of Tuesdays and Thursdays
    listed = (await (await client.get("/v1/recurring-orders", headers=employer.auth)).json())["items"]
    assert [(s["name"], s["pattern"]["weekdays"], s["terms"]["pay"]["amount_fen"]) for s in listed] == [
        ("每周二四分拣", [2, 4], 2850)]
    await series.get_by_role("button", name="暂停").click()
    await expect(series).to_have_attribute("data-state", "paused")
    await shot(page, "recurring")
    assert page_errors == []


async def test_favourite_and_block_a_bidder_from_the_bids_and_undo_it(client, conn, browser_page, page_errors):
    employer = await factories.employer(client)
    order = await factories.post_order(client, employer, factories.gig_order_body())
    liked, unwanted = await skilled_worker(client, conn, name="赵好"), await skilled_worker(client, conn, name="钱差")
    await bid(client, liked, order, 2600)
    await bid(client, unwanted, order, 2700)
    page = browser_page
    await open_console(page, client)
    form = page.locator("#sign-in-form")
    await form.get_by_label("登录名（手机或邮箱）").fill(employer.login)
    await form.get_by_label("密码").fill("correct horse battery")
    await form.get_by_role("button", name="登录").click()
    await page.get_by_role("tab", name="订单", exact=True).click()
    await page.locator(f"[data-order='{order['id']}']").get_by_role("button", name="投标").click()
    bids = page.locator("#bids-table tbody tr")
    await expect(bids).to_have_count(2)
    await page.locator(f"#bids-table tr[data-worker='{liked.id}']").get_by_role("button", name="收藏").click()
    await page.locator(f"#bids-table tr[data-worker='{unwanted.id}']").get_by_role("button", name="屏蔽").click()
    await expect(bids).to_have_count(1)  # the block ended the worker's live bid
    await page.get_by_role("tab", name="收藏与屏蔽").click()
    relations = page.locator("#relation-table tbody tr")
    await expect(relations).to_have_count(2)
    await expect(page.locator(f"tr[data-relation='{liked.id}']")).to_have_attribute("data-kind", "favourite")
    await expect(page.locator(f"tr[data-relation='{unwanted.id}']")).to_have_attribute("data-kind", "blocked")
    await page.get_by_label("查看").select_option("blocked")
    await expect(relations).to_have_count(1)
    await shot(page, "workers")
    await relations.get_by_role("button", name="移除").click()
    await expect(page.locator("#relations-empty")).to_be_visible()
    response = await client.get(f"/v1/organisations/me/workers/{unwanted.id}/relation", headers=employer.auth)
    assert response.status == 404
    assert page_errors == []


async def sign_in(page, client, employer) -> None:
    await open_console(page, client)
    form = page.locator("#sign-in-form")
    await form.get_by_label("登录名（手机或邮箱）").fill(employer.login)
    await form.get_by_label("密码").fill("correct horse battery")
    await form.get_by_role("button", name="登录").click()
    await expect(page.locator("body")).to_have_attribute("data-state", "ready")


async def test_sites_members_and_webhooks_are_managed_and_an_order_names_a_site(client, browser_page, page_errors):
    employer = await factories.employer(client)
    page = browser_page
    await sign_in(page, client, employer)
    await page.get_by_role("tab", name="成员与场地").click()
    site_form = page.locator("#site-form")
    await site_form.get_by_label("名称").fill("解放碑仓库")
    await site_form.get_by_label("地址").fill("渝中区解放碑某仓库")
    await site_form.get_by_label("纬度").fill("29.5531")
    await site_form.get_by_label("经度").fill("106.5688")
    await site_form.get_by_role("button", name="添加场地").click()
    await expect(page.locator("#site-table tbody tr")).to_have_count(1)
    [site] = (await (await client.get("/v1/sites", headers=employer.auth)).json())["items"]

    member_form = page.locator("#member-form")
    await member_form.get_by_label("姓名").fill("李经理")
    await member_form.get_by_label("登录名").fill(f"site-{uuid.uuid4().hex[:8]}@example.com")
    await member_form.get_by_label("密码").fill("correct horse battery")
    await member_form.get_by_label("角色").select_option("site_manager")
    await member_form.get_by_label("解放碑仓库").check()
    await member_form.get_by_role("button", name="添加成员").click()
    manager = page.locator("#member-table tr[data-role='site_manager']")
    await expect(manager).to_contain_text("解放碑仓库")
    await shot(page, "team")

    # An order naming the site: its place and radius are the site's.
    await page.get_by_role("tab", name="发布订单").click()
    await page.locator("#order-form").get_by_label("场地").select_option(site["id"])
    await page.locator("#order-form").get_by_label("标题").fill("场地订单")
    await page.locator("#order-form").get_by_label("单价（元）").fill("30")
    await page.locator("#order-form").get_by_role("button", name="发布", exact=True).click()
    await expect(page.locator("#posted")).to_contain_text("场地订单")
    [order] = (await (await client.get("/v1/orders", headers=employer.auth)).json())["items"]
    assert order["site_id"] == site["id"] and order["site"]["address"] == "渝中区解放碑某仓库"

    assert page_errors == []


async def test_a_webhook_is_refused_without_events_then_made_and_its_delivery_log_read(
        settings, conn, aiohttp_client, aiohttp_server, browser_page, page_errors):
    # The delivery worker may post to this machine only with loopback allowed (as tests/webhooks does).
    client = await aiohttp_client(create_app(settings.model_copy(update={
        "webhooks_allow_loopback": True, "webhooks_poll_interval": timedelta(milliseconds=50)})))
    received: list[bytes] = []

    async def receive(request: web.Request) -> web.Response:
        received.append(await request.read())
        return web.Response(status=204)

    receiver = web.Application()
    receiver.router.add_post("/hook", receive)
    server = await aiohttp_server(receiver)
    employer = await factories.employer(client)
    page = browser_page
    await sign_in(page, client, employer)
    # A webhook: refused without events (beside the events), then made; its secret shown once.
    await page.get_by_role("tab", name="Webhook").click()
    await page.get_by_label("接收地址（https://）").fill(str(server.make_url("/hook")))
    await page.locator("#webhook-form").get_by_role("button", name="添加 Webhook").click()
    await expect(page.locator("#w-events")).to_have_attribute("aria-invalid", "true")
    await page.get_by_label("order.posted").check()
    await page.get_by_label("timesheet.approved").check()
    await page.locator("#webhook-form").get_by_role("button", name="添加 Webhook").click()
    await expect(page.locator("[data-secret]")).to_contain_text("whsec_")
    hooks = page.locator("#webhook-table tbody tr")
    await expect(hooks).to_have_count(1)
    await expect(hooks).to_contain_text("order.posted, timesheet.approved")
    # An order posted: the delivery worker delivers its event to the receiver; the log shows it.
    await factories.post_order(client, employer, factories.gig_order_body())
    [hook] = (await (await client.get("/v1/webhooks", headers=employer.auth)).json())["items"]
    await _delivery_row(conn, hook["id"])
    await hooks.get_by_role("button", name="投递记录").click()
    delivery = page.locator("#delivery-table tbody tr")
    await expect(delivery).to_have_attribute("data-state", "delivered")
    await expect(delivery).to_contain_text("order.posted")
    assert len(received) == 1
    await shot(page, "webhooks")
    await hooks.get_by_role("button", name="删除").click()
    await expect(page.locator("#webhooks-empty")).to_be_visible()
    assert (await (await client.get("/v1/webhooks", headers=employer.auth)).json())["items"] == []
    # Chromium logs the refused request as a console error: that one and nothing else
    assert [e for e in page_errors if "status of 422" not in e] == []


async def test_today_shows_who_checked_in_and_who_not_a_no_show_is_recorded_and_more_reads_the_next_page(
        client, conn, settings, browser_page, page_errors):
    employer = await factories.employer(client)
    order = await factories.post_order(client, employer, factories.gig_order_body(
        shifts=[{"start": factories.at(2, 9), "end": factories.at(2, 13), "headcount": 2},
                {"start": factories.at(3, 9), "end": factories.at(3, 13), "headcount": 1}]))
    absent, present = await skilled_worker(client, conn, name="孙缺"), await skilled_worker(client, conn, name="周到")
    later = await skilled_worker(client, conn, name="吴后")
    for worker in (absent, present):
        await bid(client, worker, order, 2500)
    await bid(client, later, order, 2500, shift=1)
    await client.post(f"/v1/orders/{order['id']}/allocate", headers=employer.auth)
    async with allocator(settings) as engine:
        assert await engine.run_once() >= 1
    absent_seat = (await accept(client, absent))["assignment_id"]
    present_seat = (await accept(client, present))["assignment_id"]
    later_seat = (await accept(client, later))["assignment_id"]
    # the first shift started 30 minutes ago (a no-show may be recorded from 20 minutes after the start)
    start = now_local() - minutes(30)
    first = uuid.UUID(order["shifts"][0]["id"])
    await conn.execute("UPDATE shifts SET starts_at = $2, ends_at = $3 WHERE id = $1",
                       first, start, start + timedelta(hours=4))
    await conn.execute("UPDATE assignments SET period = tstzrange($2, $3) WHERE shift_id = $1",
                       first, start, start + timedelta(hours=4))
    who = await principal_of(client, present)
    await client.app[ATTENDANCE].check_in(who, uuid.UUID(present_seat), *SITE, now=start + minutes(1))
    await client.app[ATTENDANCE].check_out(who, uuid.UUID(present_seat), *SITE, now=start + minutes(25))

    page = browser_page
    # the page's "today" is the first shift's day in Beijing (a run just after midnight stays true)
    await page.clock.set_fixed_time(start)
    await sign_in(page, client, employer)
    # a page of one row, so that 更多 reads the next page from the last one's cursor
    await page.locator("#timesheet-table").evaluate("table => { table.dataset.pageSize = '1'; }")
    await page.get_by_role("tab", name="工时单").click()
    rows = page.locator("#timesheet-table tbody tr")
    await expect(rows).to_have_count(1)
    for count in (2, 3):
        await page.get_by_role("button", name="更多").click()
        await expect(rows).to_have_count(count)
    await expect(page.get_by_role("button", name="更多")).to_be_hidden()
    await expect(page.locator(f"[data-timesheet='{later_seat}']")).to_have_attribute("data-state", "assigned")

    # Today's shifts only: the seat of the shift in three days is not among them.
    await page.get_by_label("班次范围").select_option("today")
    absent_row, present_row = (page.locator(f"[data-timesheet='{seat}']") for seat in (absent_seat, present_seat))
    await expect(page.locator(f"[data-timesheet='{later_seat}']")).to_have_count(0)
    await page.get_by_role("button", name="更多").click()  # one row a page: the second of today's two
    await expect(rows).to_have_count(2)
    await expect(absent_row).to_have_attribute("data-state", "assigned")
    await expect(present_row).to_have_attribute("data-state", "submitted")
    await expect(absent_row.locator("[data-checked-in]")).to_have_text("未签到")
    await expect(present_row.locator("[data-checked-in]")).to_have_attribute("data-checked-in", "yes")
    summary = page.locator("#ts-summary")
    await expect(summary).to_contain_text("已签到 1 人，未签到 1 人")
    await shot(page, "today")
    await page.locator("#ts-all").check()  # both chosen; each action takes the rows it applies to
    await page.get_by_role("button", name="所选记为缺勤").click()
    await expect(absent_row).to_have_attribute("data-state", "no_show")
    await expect(present_row).to_have_attribute("data-state", "submitted")
    await page.get_by_label("争议原因").fill("签退时间与门禁记录不符")
    await present_row.get_by_role("checkbox").check()
    await page.get_by_role("button", name="争议所选").click()
    await expect(present_row).to_have_attribute("data-state", "disputed")
    states = dict(await conn.fetch("SELECT assignment_id::text, state FROM timesheets WHERE assignment_id = ANY($1::uuid[])",
                                   [uuid.UUID(absent_seat), uuid.UUID(present_seat)]))
    assert states == {absent_seat: "no_show", present_seat: "disputed"}
    await page.get_by_role("button", name="Language / 语言").click()
    await expect(summary).to_contain_text("1 checked in, 1 not checked in")
    assert page_errors == []


async def test_a_case_against_the_employer_is_read_and_answered_and_an_empty_answer_refused_beside_it(
        client, conn, browser_page, page_errors):
    employer = await factories.employer(client)
    order = await factories.post_order(client, employer, factories.gig_order_body())
    worker = await skilled_worker(client, conn, name="郑诉")
    await bid(client, worker, order, 2500)
    response = await client.post("/v1/cases", headers=worker.auth, json={
        "kind": "changed_terms", "order_id": order["id"], "statement": "到场后要求搬运重物，发布时未说明"})
    assert response.status == 201, await response.text()
    case = await response.json()

    page = browser_page
    await sign_in(page, client, employer)
    await page.get_by_role("tab", name="投诉与申诉").click()
    row = page.locator(f"#case-table [data-case='{case['id']}']")
    await expect(row).to_have_attribute("data-state", "open")
    await expect(row).to_contain_text("条件与发布不符")
    await row.get_by_role("button", name="查看").click()
    form = page.locator("#case-form")
    await expect(page.locator("#case-statement")).to_contain_text("到场后要求搬运重物")
    await expect(page.locator("#case-trail li")).to_have_count(1)
    # an empty answer: the API's refusal beside the answer
    await form.get_by_role("button", name="提交答复").click()
    await expect(page.locator("#case-answer")).to_have_attribute("aria-invalid", "true")
    await expect(form.locator(".field-error")).to_be_visible()
    await form.get_by_label("答复").fill("已与现场主管核实，搬运任务另付 50 元")
    await form.get_by_role("button", name="提交答复").click()
    await expect(row).to_have_attribute("data-state", "answered")
    await expect(form).to_have_attribute("data-state", "answered")
    await expect(page.locator("#case-answered")).to_contain_text("另付 50 元")
    await expect(page.locator("#case-answer-box")).to_be_hidden()
    await expect(page.locator("#case-trail li")).to_have_count(2)
    await shot(page, "cases")
    stored = await (await client.get(f"/v1/cases/{case['id']}", headers=employer.auth)).json()
    assert stored["state"] == "answered" and stored["answer"] == "已与现场主管核实，搬运任务另付 50 元"
    await page.get_by_role("button", name="Language / 语言").click()
    await expect(row).to_contain_text("terms changed")
    # Chromium logs the refused request as a console error: that one and nothing else
    assert [e for e in page_errors if "status of 422" not in e] == []


async def test_the_billing_screen_shows_the_wage_arrears_behind_the_red_flag_and_says_payouts_are_not_shown(
        client, conn, browser_page, page_errors):
    employer = await factories.employer(client)
    order = await factories.post_order(client, employer, factories.gig_order_body())
    worker = await factories.worker(client)
    # an approved seat's wage unpaid by its due date, the employer at fault (as the arrears sweep writes it)
    await conn.execute(
        "INSERT INTO assignments (shift_id, order_id, worker_id, organisation_id, period, rate_fen) "
        "SELECT s.id, s.order_id, $2, o.organisation_id, s.period, 3000 FROM shifts s JOIN orders o "
        "ON o.id = s.order_id WHERE s.id = $1", uuid.UUID(order["shifts"][0]["id"]), uuid.UUID(worker.id))
    await conn.execute("INSERT INTO arrears (kind, assignment_id, organisation_id, worker_id, amount_fen, due_date, "
                       "employer_at_fault) SELECT 'wage_unpaid', a.id, a.organisation_id, a.worker_id, 11700, "
                       "current_date, true FROM assignments a WHERE a.organisation_id = $1", uuid.UUID(employer.id))
    [arrear] = (await (await client.get("/v1/employers/me/arrears", headers=employer.auth)).json())["items"]

    page = browser_page
    await sign_in(page, client, employer)
    await page.get_by_role("tab", name="发票与对账单").click()
    row = page.locator(f"[data-arrear='{arrear['id']}']")
    await expect(row).to_contain_text("工资未付")
    await expect(row).to_contain_text("¥117.00")
    await expect(row).to_have_attribute("data-cleared", "no")
    await expect(row).to_contain_text("未结清")
    await expect(page.locator("#payouts-note")).to_contain_text("发放明细不对用工单位开放")
    await shot(page, "arrears")
    await page.get_by_role("button", name="Language / 语言").click()
    await expect(row).to_contain_text("wage unpaid")
    assert page_errors == []


async def test_a_lender_registers_an_employee_lends_them_on_a_shared_order_and_reads_the_agreement(
        client, browser_page, page_errors):
    borrower, lender = await factories.employer(client), await factories.employer(client)
    worker = await factories.worker(client, name="刘借")
    order = await factories.post_order(client, borrower, factories.shared_order_body())
    page = browser_page
    await sign_in(page, client, lender)
    await page.get_by_role("tab", name="共享用工").click()
    form = page.locator("#employee-form")
    await form.get_by_label("工人ID").fill(worker.id)
    await form.get_by_label("岗位").fill("仓管员")
    await form.get_by_label("约定时薪（元）").fill("1")  # below the district's hourly minimum wage
    await form.get_by_role("button", name="登记员工").click()
    await expect(page.locator("#e-wage")).to_have_attribute("aria-invalid", "true")
    await form.get_by_label("约定时薪（元）").fill("26")
    await form.get_by_role("button", name="登记员工").click()
    employee = page.locator("#employee-table tbody tr")
    await expect(employee).to_have_attribute("data-state", "pending")
    [employment] = (await (await client.get("/v1/employers/me/employees", headers=lender.auth)).json())["items"]
    confirmed = await client.post(f"/v1/employments/{employment['id']}/confirm", headers=worker.auth)
    assert confirmed.status == 200, await confirmed.text()
    await page.get_by_role("tab", name="共享用工").click()  # read again
    await expect(employee).to_have_attribute("data-state", "active")
    await expect(employee).to_contain_text("刘借")

    lend = page.locator("#lend-form")
    await lend.get_by_label("共享用工订单ID").fill(order["id"])
    await lend.get_by_label("每人每天服务费（元）").fill("280")
    await lend.get_by_role("checkbox", name="刘借").check()
    wage = lend.get_by_label("借出期间时薪（元） 刘借")
    await wage.fill("25")  # below the employee's own agreed wage: refused beside it
    await lend.get_by_role("button", name="提交借出").click()
    await expect(wage).to_have_attribute("aria-invalid", "true")
    await wage.fill("27")
    await lend.get_by_role("button", name="提交借出").click()
    consent = page.locator("#consent-table tbody tr")
    await expect(consent).to_have_attribute("data-state", "pending")
    await expect(consent).to_contain_text("¥27.00")
    [asked] = (await (await client.get("/v1/workers/me/consents", headers=worker.auth)).json())["items"]
    accepted = await client.post(f"/v1/consents/{asked['id']}/accept", headers=worker.auth)
    assert accepted.status == 200, await accepted.text()
    await page.get_by_role("tab", name="共享用工").click()
    agreement = page.locator("#agreement-table tbody tr")
    await expect(agreement).to_have_count(1)
    await expect(agreement).to_contain_text("刘借")
    await expect(agreement).to_contain_text("¥280.00")
    await expect(consent).to_have_attribute("data-state", "accepted")
    await shot(page, "shared")
    await page.get_by_role("button", name="Language / 语言").click()
    await expect(employee).to_contain_text("active")
    # Chromium logs the refused requests as console errors: those and nothing else
    assert [e for e in page_errors if "status of 422" not in e] == []
