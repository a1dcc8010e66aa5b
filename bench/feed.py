"""Live-feed fan-out: a new order reaching 1,000 open event streams.

    python -m bench.feed                       # 1,000 streams, 10 orders, one server process
    python -m bench.feed --streams 1000 --orders 10 --workers 2

It creates a scratch database (--admin-url), inserts one employer and N workers living near the
order site (so the new shift fits every one of them), starts `market serve` on it, and opens one
`GET /v1/workers/me/events` stream per worker from separate listener processes (so parsing a
thousand events does not queue behind one client's event loop). Once every stream is open it
posts the orders one at a time, a second apart, and times each `shift.opened` event's arrival on
each stream:

    from the POST's response  a lower bound of commit → receipt (the commit precedes the response)
    from the POST's sending   an upper bound (it includes the POST itself)

and prints p50/p95/p99/max of both, and how many of the expected deliveries arrived. Target:
p99 ≤ 100 ms. The database is dropped at the end.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import random
import sys
import time
from pathlib import Path

import aiohttp

from bench._support import (
    CENTRE_LAT, CENTRE_LON, DEFAULT_ADMIN_URL, DEFAULT_REDIS_URL, create_database, drop_database, free_port,
    insert_employers, insert_workers, percentile, progress, start_service, stop, wait_ready,
)
from bench.http import order_body

LISTENER_PROCESSES = 2
DELIVERY_WAIT_SECONDS = 10.0


# -- listeners (their own processes) ---------------------------------------------------------------

async def _listen(base: str, tokens: list[str], control) -> tuple[list[tuple[str, float]], int]:
    received: list[tuple[str, float]] = []
    opened = ended = 0
    all_open = asyncio.Event()
    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=None, sock_connect=30)

    async def stream(session: aiohttp.ClientSession, token: str) -> None:
        nonlocal opened, ended
        async with session.get(f"{base}/v1/workers/me/events", headers={"Authorization": f"Bearer {token}"}) as response:
            if response.status != 200:
                raise RuntimeError(f"stream refused: {response.status} {await response.text()}")
            kind = None
            counted = False
            async for raw in response.content:
                line = raw.rstrip(b"\n")
                if not counted and line.startswith(b"retry:"):
                    counted = True
                    opened += 1
                    if opened == len(tokens):
                        all_open.set()
                elif line.startswith(b"event:"):
                    kind = line[6:].strip()
                elif line.startswith(b"data:") and kind == b"shift.opened":
                    arrived = time.monotonic()
                    received.append((json.loads(line[5:])["order_id"], arrived))
                    kind = None
            ended += 1  # the server ended the stream (a client would reconnect; this one does not)

    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        tasks = [asyncio.create_task(stream(session, token)) for token in tokens]
        await asyncio.wait([asyncio.ensure_future(all_open.wait()), *tasks], return_when=asyncio.FIRST_COMPLETED)
        for task in tasks:
            if task.done() and task.exception():
                raise task.exception()
        control.send("open")
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, control.recv)  # "stop"
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return received, ended


def _listener_main(base: str, tokens: list[str], control) -> None:
    control.send(asyncio.run(_listen(base, tokens, control)))


# -- the run ----------------------------------------------------------------------------------------

async def populate(database: str, args: argparse.Namespace) -> tuple[str, list[str]]:
    import asyncpg

    from market import db

    rng = random.Random(args.seed)
    conn = await asyncpg.connect(database)
    try:
        await db.upgrade(conn)
        employer, = await insert_employers(conn, 1, rng)
        workers = await insert_workers(conn, args.streams, rng)
        await conn.execute("ANALYZE")
    finally:
        await conn.close()
    return employer.token, [w.token for w in workers]


async def post_orders(base: str, token: str, count: int, pause: float) -> dict[str, tuple[float, float]]:
    """order id → (sent, answered), monotonic seconds."""
    timings = {}
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {token}"}) as session:
        for index in range(count):
            body = order_body(f"压测直播订单{index}", lat=CENTRE_LAT, lon=CENTRE_LON, district="500103",
                              shifts=[(3 + index % 10, 8 + index % 3)], headcount=5)
            sent = time.monotonic()
            async with session.post(f"{base}/v1/orders", json=body) as response:
                answer = await response.json()
                answered = time.monotonic()
            if response.status != 201:
                raise RuntimeError(f"posting failed: {response.status} {answer}")
            timings[answer["id"]] = (sent, answered)
            await asyncio.sleep(pause)
    return timings


def report(timings: dict[str, tuple[float, float]], received: list[tuple[str, float]], streams: int,
           args: argparse.Namespace) -> None:
    after_response = sorted((arrived - timings[order][1]) * 1000 for order, arrived in received if order in timings)
    after_send = sorted((arrived - timings[order][0]) * 1000 for order, arrived in received if order in timings)
    post_ms = sorted((answered - sent) * 1000 for sent, answered in timings.values())
    expected = streams * len(timings)
    print(f"\n## Live feed: {streams:,} streams, {len(timings)} orders, {args.workers} server process(es)\n")
    print(f"delivered {len(after_response):,} of {expected:,} expected `shift.opened` events "
          f"({len(after_response) / expected:.1%}); POST /v1/orders itself: median {percentile(post_ms, 0.5):.0f} ms\n")
    print("| latency to receipt, measured from | p50 ms | p95 ms | p99 ms | max ms |")
    print("|---|---:|---:|---:|---:|")
    for name, values in (("the POST's response (≤ from commit)", after_response),
                         ("the POST's sending (≥ from commit)", after_send)):
        print(f"| {name} | {percentile(values, 0.5):.0f} | {percentile(values, 0.95):.0f} "
              f"| {percentile(values, 0.99):.0f} | {values[-1] if values else float('nan'):.0f} |")
    sys.stdout.flush()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--admin-url", default=DEFAULT_ADMIN_URL)
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL)
    parser.add_argument("--database-name", default=f"market_bench_feed_{os.getpid()}")
    parser.add_argument("--workers", type=int, default=1, help="server processes (market serve --workers)")
    parser.add_argument("--streams", type=int, default=1000)
    parser.add_argument("--orders", type=int, default=10)
    parser.add_argument("--pause", type=float, default=1.0, help="seconds between posts")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--server-log", type=Path)
    args = parser.parse_args(argv)

    async def prepare():
        database = await create_database(args.admin_url, args.database_name)
        return database, *(await populate(database, args))

    database, employer_token, worker_tokens = asyncio.run(prepare())
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    service = start_service(database, args.redis_url, port, args.workers, log_file=args.server_log)
    listeners = []
    try:
        asyncio.run(wait_ready(f"{base}/readyz", service))
        context = multiprocessing.get_context("spawn")
        share = -(-len(worker_tokens) // LISTENER_PROCESSES)
        for index in range(LISTENER_PROCESSES):
            mine, theirs = context.Pipe()
            process = context.Process(target=_listener_main,
                                      args=(base, worker_tokens[index * share:(index + 1) * share], theirs))
            process.start()
            listeners.append((process, mine))
        progress(f"opening {len(worker_tokens)} streams")
        for _, control in listeners:
            if control.recv() != "open":
                raise RuntimeError("a listener failed")
        progress(f"all streams open; posting {args.orders} orders")
        timings = asyncio.run(post_orders(base, employer_token, args.orders, args.pause))
        time.sleep(min(DELIVERY_WAIT_SECONDS, 2.0 + args.pause))
        received: list[tuple[str, float]] = []
        ended = 0
        for _, control in listeners:
            control.send("stop")
        for process, control in listeners:
            theirs, their_ended = control.recv()
            received += theirs
            ended += their_ended
            process.join()
        report(timings, received, len(worker_tokens), args)
        if ended:
            print(f"\n{ended} streams were ended by the server before the end (see --server-log)")
    finally:
        for process, _ in listeners:
            if process.is_alive():
                process.kill()
        stop(service)
        asyncio.run(drop_database(args.admin_url, args.database_name))


if __name__ == "__main__":
    main()
