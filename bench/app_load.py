"""The worker app's first load on a slow phone: bytes transferred before the feed shows, and the
time until it does, on a throttled mobile profile.

    python -m bench.app_load                 # 3 cold and 3 warm loads
    python -m bench.app_load --runs 5

It creates a scratch database (--admin-url), inserts a worker with a token and an employer, starts
`market serve` on it (Redis from --redis-url), posts 20 orders near the worker, then opens /app in
Debian's Chromium (Playwright, a 390×844 phone context, the token put in localStorage before the
page runs, as after a sign-in) with the DevTools protocol's throttling: 1.6 Mbps down, 750 kbps up,
150 ms RTT (`Network.emulateNetworkConditions`) and a 4× CPU slowdown
(`Emulation.setCPUThrottlingRate`). For each load it prints the bytes transferred (the sum of
`encodedDataLength` of every finished response, headers included) and the milliseconds from the
navigation's start until the feed's first card is drawn. *Cold*: a fresh context (no HTTP cache,
no service worker). *Warm*: the same context loaded again (versioned assets from the cache, the
service worker installed). The database is dropped at the end.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import random
import shutil
import statistics
import time
import uuid

import aiohttp

from bench._support import (
    CENTRE_LAT, CENTRE_LON, DEFAULT_ADMIN_URL, DEFAULT_REDIS_URL, create_database, drop_database, free_port,
    insert_employers, insert_workers, progress, start_service, stop, wait_ready,
)
from bench.http import order_body

DOWN_BPS = 1_600_000
UP_BPS = 750_000
RTT_MS = 150
CPU_SLOWDOWN = 4
BUDGET_BYTES = 150 * 1024
BUDGET_MS = 2000


async def populate(database: str) -> tuple[str, str]:
    import asyncpg

    from market import db

    rng = random.Random(1)
    conn = await asyncpg.connect(database)
    try:
        await db.upgrade(conn)
        employer, = await insert_employers(conn, 1, rng)
        worker, = await insert_workers(conn, 1, rng)
        # a worker with a skill opens on the feed (one without is sent to the profile first)
        await conn.execute("INSERT INTO worker_skills (worker_id, skill_code, level) VALUES ($1, 'warehouse_picking', 2)",
                           worker.id)
    finally:
        await conn.close()
    return employer.token, worker.token


async def post_orders(base: str, token: str, count: int) -> None:
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {token}"}) as session:
        for index in range(count):
            body = order_body(f"解放碑附近的工作{index}", lat=CENTRE_LAT, lon=CENTRE_LON, district="500103",
                              shifts=[(2 + index % 10, 8 + index % 3)], headcount=3)
            async with session.post(f"{base}/v1/orders", json=body) as response:
                if response.status != 201:
                    raise RuntimeError(f"posting failed: {response.status} {await response.text()}")


async def load_once(page, cdp, url: str) -> tuple[int, float]:
    transferred = 0

    def finished(event: dict) -> None:
        nonlocal transferred
        transferred += int(event.get("encodedDataLength", 0))

    cdp.on("Network.loadingFinished", finished)
    started = time.monotonic()
    await page.goto(url, wait_until="commit")
    await page.wait_for_selector("#feed-list .card", timeout=60_000)
    elapsed = (time.monotonic() - started) * 1000
    shown = transferred
    cdp.remove_listener("Network.loadingFinished", finished)
    return shown, elapsed


async def measure(base: str, token: str, runs: int) -> dict[str, list[tuple[int, float]]]:
    from playwright.async_api import async_playwright

    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        raise SystemExit("needs Debian's chromium (apt-get install -y chromium)")
    results: dict[str, list[tuple[int, float]]] = {"cold": [], "warm": []}
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=executable,
                                                   args=["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"])
        try:
            for _ in range(runs):
                context = await browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                                                    has_touch=True, device_scale_factor=2, locale="zh-CN",
                                                    timezone_id="Asia/Shanghai")
                await context.add_init_script(f"localStorage.setItem('market.worker.token', {json.dumps(token)})")
                page = await context.new_page()
                cdp = await context.new_cdp_session(page)
                await cdp.send("Network.enable")
                await cdp.send("Network.emulateNetworkConditions", {
                    "offline": False, "latency": RTT_MS, "downloadThroughput": DOWN_BPS / 8,
                    "uploadThroughput": UP_BPS / 8})
                await cdp.send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})
                results["cold"].append(await load_once(page, cdp, f"{base}/app"))
                # the service worker has the shell once the page said so
                await page.wait_for_selector("body[data-offline-ready=true]", timeout=60_000)
                results["warm"].append(await load_once(page, cdp, f"{base}/app"))
                await context.close()
        finally:
            await browser.close()
    return results


def report(results: dict[str, list[tuple[int, float]]]) -> None:
    print(f"\n## Worker app first load: 1.6 Mbps down, {RTT_MS} ms RTT, {CPU_SLOWDOWN}× CPU slowdown, 390×844\n")
    print("| load | runs | KB transferred before the feed shows (median, max) | ms until the feed shows (median, max) |")
    print("|---|---:|---:|---:|")
    for name, values in results.items():
        sizes = [v[0] / 1024 for v in values]
        times = [v[1] for v in values]
        print(f"| {name} | {len(values)} | {statistics.median(sizes):.1f}, {max(sizes):.1f} "
              f"| {statistics.median(times):.0f}, {max(times):.0f} |")
    cold = results["cold"]
    print(f"\nbudget: ≤ {BUDGET_BYTES // 1024} KB: {'met' if max(v[0] for v in cold) <= BUDGET_BYTES else 'NOT met'}; "
          f"feed within {BUDGET_MS} ms (cold, worst run): {'met' if max(v[1] for v in cold) <= BUDGET_MS else 'NOT met'}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--admin-url", default=DEFAULT_ADMIN_URL)
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)

    async def run() -> None:
        name = f"bench_app_{uuid.uuid4().hex[:8]}"
        database = await create_database(args.admin_url, name)
        service = None
        try:
            employer_token, worker_token = await populate(database)
            port = free_port()
            service = start_service(database, args.redis_url, port, 1)
            base = f"http://127.0.0.1:{port}"
            await wait_ready(f"{base}/readyz", service)
            progress("posting orders")
            await post_orders(base, employer_token, 20)
            progress("loading /app")
            report(await measure(base, worker_token, args.runs))
        finally:
            if service is not None:
                stop(service)
            await drop_database(args.admin_url, name)

    asyncio.run(run())


if __name__ == "__main__":
    main()
