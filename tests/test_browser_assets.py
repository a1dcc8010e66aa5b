"""The browser's assets (market/browser, docs/browser.md): pages reference their script and style by
content-hashed URLs that caches keep for a year, everything else is revalidated by ETag; and the
shared ES modules (money, Beijing time, the language toggle, problem+json display) do what every
page relies on, run in a real Chromium."""
import hashlib
import re
from importlib import resources

from market.browser import assets
from tests.browser import until

STATIC = resources.files("market.browser").joinpath("static")


def digest(path: str) -> str:
    return hashlib.sha256(STATIC.joinpath(*path.split("/")).read_bytes()).hexdigest()[:16]


def test_a_version_is_the_files_content_hash_and_only_files_under_static_have_one():
    assert assets.version("shared/api.js") == digest("shared/api.js")
    assert assets.url("supervise/supervise.css") == f"/static/supervise/supervise.css?v={digest('supervise/supervise.css')}"
    for outside in ("../__init__.py", "/etc/passwd", "shared", "nothing.js", ""):
        assert assets.version(outside) is None, outside
    assert assets.cache_control("/v1/me", None) is None
    assert assets.cache_control("/static/shared/api.js", digest("shared/api.js")) == assets.IMMUTABLE
    assert assets.cache_control("/static/shared/api.js", "0" * 16) == assets.REVALIDATE
    assert assets.cache_control("/static/shared/api.js", None) == assets.REVALIDATE


async def test_the_dashboard_references_hashed_urls_kept_immutable_and_the_rest_revalidates(client):
    html = await (await client.get("/supervise")).text()
    referenced = dict(re.findall(r'(?:src|href)="/static/([^"?]+)\?v=([0-9a-f]{16})"', html))
    assert referenced == {"supervise/supervise.css": digest("supervise/supervise.css"),
                          "supervise/supervise.js": digest("supervise/supervise.js")}
    for path, version in referenced.items():
        response = await client.get(f"/static/{path}?v={version}")
        assert response.status == 200 and response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        stale = await client.get(f"/static/{path}?v={'0' * 16}")
        assert stale.status == 200 and stale.headers["Cache-Control"] == "no-cache"

    # a module imported by a relative URL: no version, so revalidated, and a 304 while unchanged
    module = await client.get("/static/shared/format.js")
    assert module.status == 200 and module.headers["Cache-Control"] == "no-cache"
    assert "javascript" in module.headers["Content-Type"]
    again = await client.get("/static/shared/format.js", headers={"If-None-Match": module.headers["ETag"]})
    assert again.status == 304
    assert (await client.get("/static/supervise/../../__init__.py")).status in (403, 404)


async def test_the_shared_modules_format_money_and_beijing_time_and_show_a_problem_beside_its_field(
        client, browser_page, page_errors):
    page = browser_page
    await page.goto(str(client.make_url("/supervise")))
    await until(page, "document.readyState === 'complete'")
    shown = await page.evaluate("""async () => {
        const f = await import('/static/shared/format.js');
        return [f.yuan(123456789), f.yuan(5), f.yuan(-1050), f.yuan(0), f.yuan(null),
                f.localTime('2026-12-07T16:30:00Z'), f.span('2026-12-07T01:00:00Z', '2026-12-07T05:00:00Z'),
                f.pct(0.3333)];
    }""")
    assert shown == ["¥1,234,567.89", "¥0.05", "-¥10.50", "¥0.00", "—", "2026/12/8 00:30:00", "09:00–13:00", "33.3%"]

    toggled = await page.evaluate("""async () => {
        const { createI18n } = await import('/static/shared/i18n.js');
        const i18n = createI18n({ zh: { hello: '你好' }, en: { hello: 'Hello' } });
        const seen = [];
        i18n.onChange((lang) => seen.push(lang));
        const before = [i18n.t('hello'), i18n.pick(['是', 'Yes']), i18n.otherName()];
        i18n.toggle();
        return [...before, i18n.t('hello'), i18n.pick(['是', 'Yes']), i18n.otherName(), seen,
                document.documentElement.lang, i18n.t('missing')];
    }""")
    assert toggled == ["你好", "是", "English", "Hello", "Yes", "中文", ["en"], "en", "missing"]

    placed = await page.evaluate("""async () => {
        const { ApiError } = await import('/static/shared/api.js');
        const { showProblem, clearProblems } = await import('/static/shared/errors.js');
        const form = document.createElement('form');
        form.innerHTML = '<input name="rate_fen"><input name="title"><p role="alert" class="banner"></p>';
        document.body.append(form);
        const banner = form.querySelector('.banner');
        const error = new ApiError(422, { type: 'about:blank', title: 'Unprocessable', status: 422,
            detail: '时薪低于最低工资标准', errors: [{ loc: ['body', 'pay', 'rate_fen'], msg: '不得低于 2300 分' },
                                                  { loc: ['body', 'district_code'], msg: '未知区县' }] });
        showProblem(error, { form, banner });
        const input = form.querySelector('[name=rate_fen]');
        const result = { fields: error.fields, status: error.status, message: error.message,
                         beside: input.nextElementSibling.textContent, invalid: input.getAttribute('aria-invalid'),
                         describedBy: document.getElementById(input.getAttribute('aria-describedby')).textContent,
                         banner: banner.textContent };
        clearProblems(form, banner);
        result.cleared = [form.querySelectorAll('.field-error').length, input.hasAttribute('aria-invalid'),
                          banner.textContent];
        form.remove();
        return result;
    }""")
    assert placed["fields"] == [{"field": "pay.rate_fen", "message": "不得低于 2300 分"},
                                {"field": "district_code", "message": "未知区县"}]
    assert (placed["status"], placed["message"]) == (422, "时薪低于最低工资标准")
    assert placed["beside"] == placed["describedBy"] == "不得低于 2300 分" and placed["invalid"] == "true"
    assert placed["banner"] == "时薪低于最低工资标准（district_code: 未知区县）"
    assert placed["cleared"] == [0, False, ""]
    assert page_errors == []
