"""Real-browser fixtures: Playwright for Python driving Debian's Chromium (loaded by tests/conftest.py
as a plugin, beside tests/server_fixtures.py, so every browser test of every part asks for the same
fixtures: the supervisor dashboard, /docs, and the apps to come).

Decisions and their reasons:

- **Playwright's async API, not the sync one** (nor pytest-playwright's own `page`/`browser`
  fixtures, which are sync). The service under test is the aiohttp test server of the `client`
  fixture, served on the test's own asyncio loop (pytest-asyncio, `asyncio_mode = "auto"`). The sync
  API blocks the thread while the browser waits for that server, so the server could never answer
  (Playwright refuses to run its sync API inside a running loop for that reason). The async API
  awaits on the same loop, so the test can set data up through `client`/`conn`, click in the page,
  and read the API's figures to compare, all in one coroutine. pytest-playwright stays installed for
  its command-line options: `--headed` and `--slowmo` (its `browser_type_launch_args`) apply here.
- **Debian's Chromium through `executable_path`**: nothing is downloaded (`playwright install` is
  never run); CI installs the `chromium` package with apt (.ci/run). Without `chromium` on the PATH
  every test asking for a browser is skipped at collection, before any server starts, as before.
- **A browser per test**, on the test's loop (Playwright's objects belong to the loop that made
  them, and each test has its own loop); launching costs about half a second.
- **A page per test**, each in its own context (cookies, sessionStorage), in Chinese
  (`zh-CN`) and in Beijing time (`Asia/Shanghai`) whatever the machine's zone: `browser_page` is
  a desk screen (1440×1000), `phone_page` a phone's (390×844, touch, mobile), `new_page()` makes
  more. Every console error, failed load (Chromium logs it as a console error) and uncaught
  exception of any of a test's pages lands in `page_errors`, which tests assert empty.
- **A screenshot of every page when the test ends**, pass or fail, full page, to
  `artifacts/<test name>.png` (`-phone`, `-2`, ... for the test's other pages): the CI artifacts.
"""
from __future__ import annotations

import re
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:  # Playwright is imported when a browser starts, not when the test session loads
    from playwright.async_api import Browser, Page

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
DESK = {"width": 1440, "height": 1000}
PHONE = {"width": 390, "height": 844}
TIMEOUT_MS = 20_000
# The fixtures that need a browser: a test asking for one is skipped when there is no chromium.
BROWSER_FIXTURES = frozenset({"chromium", "new_page", "browser_page", "phone_page"})

NewPage = Callable[..., Awaitable["Page"]]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if CHROMIUM is not None:
        return
    skip = pytest.mark.skip(reason="needs chromium (apt-get install -y chromium)")
    for item in items:
        if not BROWSER_FIXTURES.isdisjoint(getattr(item, "fixturenames", ())):
            item.add_marker(skip)


def artifact_name(test_name: str) -> str:
    """A test's name as a file name: parametrized ids keep their text, other signs become `-`."""
    return re.sub(r"[^\w.-]+", "-", test_name).strip("-")


async def until(page: Page, expression: str) -> Any:
    """Wait until a JavaScript expression is truthy in the page, and return its value. The expression
    goes as a function's body: Playwright compiles a function through the DevTools protocol, while a
    bare string would be eval()'d in the page, which a page's CSP without 'unsafe-eval' (ours) forbids."""
    handle = await page.wait_for_function(f"() => ({expression})")
    return await handle.json_value()


@pytest.fixture
async def chromium(browser_type_launch_args: dict[str, Any]) -> AsyncIterator[Browser]:
    from playwright.async_api import async_playwright

    assert CHROMIUM is not None
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, **browser_type_launch_args,
            # root in a container: no sandbox; a small /dev/shm: use /tmp
            args=["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--lang=zh-CN"])
        try:
            yield browser
        finally:
            await browser.close()


@pytest.fixture
def page_errors() -> list[str]:
    return []


@pytest.fixture
async def new_page(chromium: Browser, page_errors: list[str], request: pytest.FixtureRequest) -> AsyncIterator[NewPage]:
    """`await new_page(phone=False, name=None)`: a fresh page in its own context (see the module)."""
    opened: list[tuple[Page, str]] = []

    async def open_page(phone: bool = False, name: str | None = None) -> Page:
        context = await chromium.new_context(
            viewport=PHONE if phone else DESK, is_mobile=phone, has_touch=phone, device_scale_factor=2 if phone else 1,
            locale="zh-CN", timezone_id="Asia/Shanghai")
        context.set_default_timeout(TIMEOUT_MS)
        page = await context.new_page()
        page.on("console", lambda message: page_errors.append(f"console: {message.text} {message.location.get('url', '')}")
                if message.type in ("error", "assert") else None)
        page.on("pageerror", lambda error: page_errors.append(f"exception: {error}"))
        suffix = name or ("phone" if phone else "")
        if not suffix and opened:
            suffix = str(len(opened) + 1)
        opened.append((page, artifact_name(request.node.name) + (f"-{suffix}" if suffix else "")))
        return page

    try:
        yield open_page
    finally:
        ARTIFACTS.mkdir(exist_ok=True)
        for page, file_name in opened:
            if not page.is_closed():
                try:
                    await page.screenshot(path=ARTIFACTS / f"{file_name}.png", full_page=True, timeout=10_000)
                except Exception as error:  # a page that cannot be shot must not hide the test's own outcome
                    print(f"no screenshot of {file_name}: {error}")
            await page.context.close()


@pytest.fixture
async def browser_page(new_page: NewPage) -> Page:
    """A desk-sized page (1440×1000)."""
    return await new_page()


@pytest.fixture
async def phone_page(new_page: NewPage) -> Page:
    """A phone-sized page (390×844, touch): the screenshot is artifacts/<test name>-phone.png."""
    return await new_page(phone=True)
