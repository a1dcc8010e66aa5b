"""HTTP throughput and latency of the service against a bare aiohttp + asyncpg endpoint.

    python -m bench.http                              # 16, 64, 256 clients; one server process
    python -m bench.http --workers 2 --clients 64     # two server processes (market serve --workers 2)
    python -m bench.http --operations bid accept --duration 5
    python -m bench.http --operations accept --clients 64 --duration 10   # accept with and without agreements

It creates a scratch database on the PostgreSQL server (--admin-url, default the machine's), fills
it (employers with escrow, workers with tokens, orders near the workers, pending offers), starts
`market serve` on it as a subprocess (Redis from --redis-url; rate limits set out of reach, the
limiter still running), and a bare endpoint in its own process(es): aiohttp + asyncpg, one INSERT
of the posted JSON per request, the same pool size, the same number of processes. A load
generator in a separate process (aiohttp client, one keep-alive connection per client) then
drives each operation at each concurrency:

    post    POST /v1/orders                 an employer posts a one-shift gig order (far from the workers)
    bid     POST /v1/orders/{id}/bids       a worker bids on a shift of an order near them
    feed    GET  /v1/workers/me/feed        a worker reads the first page of their feed
    accept  POST /v1/offers/{id}/accept     a worker accepts a pending offer (each offer once)
    bare    POST /bare                      the bare endpoint

and prints requests/s, p50/p95/p99 latency and errors per operation and concurrency, with each
operation's requests/s and p99 as ratios to the bare endpoint's at the same concurrency, then the
CPU each request cost the server, the agreement renderer, PostgreSQL, Redis and the load generator
over the measured window (`CpuMeter`; run it on a quiet machine, as every postgres and
redis-server process counts). The database is dropped at the end.

Accept runs on services of its own, once per `--agreements` mode (default `both`, in turn, the
service restarted between): `without` (MARKET_AGREEMENTS_RENDER_IN_SERVE=false: each seat's
pending agreement is still inserted, as it is part of accepting, but nothing renders it) and then
`with` (true, as in production: the renderer works through the pending agreements while the
accept load runs; the `without` run's seats are its backlog from the start, and the window opens
once it has rendered its first). Each run consumes its own share of the offers, sized so that no
run runs out before its window ends (`--acceptors`, by default from --duration, --warmup and
--clients at 600 accepts/s, at least 500 offers a run), so the `with` renderer has the seats of
both runs, well over 500, to render. `--agreements without with without` runs
them in that order (a control for the order and the growing database). A last table gives each
accept run's req/s, p50/p95/p99, the agreements rendered during its window and still pending at
its end (contracts by `state`, from the bench database), the renderer's CPU, and the ratio of p99
with agreements to the last run without before it.
`--render-in` and `--render-nice` set the service's MARKET_AGREEMENTS_RENDER_IN and
MARKET_AGREEMENTS_RENDER_NICE for these runs.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import math
import multiprocessing
import os
import random
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

import aiohttp
import asyncpg

from bench._support import (
    CENTRE_LAT, CENTRE_LON, DEFAULT_ADMIN_URL, DEFAULT_REDIS_URL, create_database, drop_database, free_port,
    insert_employers, insert_workers, percentile, progress, start_python, start_service, stop, wait_ready,
)

from market.kernel.clock import SHANGHAI

OPERATIONS = ("post", "bid", "feed", "accept")
# The bare endpoint's pool is the service's default pool (MARKET_DB_POOL_MIN/MAX).
BARE_POOL = (2, 20)
BARE_TABLE = """
CREATE TABLE IF NOT EXISTS bare_orders (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    title text NOT NULL,
    body jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
)
"""
BARE_INSERT = "INSERT INTO bare_orders (title, body) VALUES ($1, $2::jsonb) RETURNING id, created_at"
DROP_SETUP_EVENTS = "DELETE FROM events WHERE relayed_at IS NULL"
INSERT_OFFER = """
INSERT INTO offers (order_id, shift_id, worker_id, rate_fen, expires_at) VALUES ($1, $2, $3, $4, $5)
"""


# -- the bare endpoint ----------------------------------------------------------------------------

def bare_app(database: str):
    """aiohttp + asyncpg and nothing else: parse the JSON body, INSERT it, answer with the row."""
    from aiohttp import web

    pool_key = web.AppKey("pool", asyncpg.Pool)

    async def insert(request: web.Request) -> web.Response:
        body = await request.json()
        async with request.app[pool_key].acquire() as conn:
            row = await conn.fetchrow(BARE_INSERT, body.get("title", ""), json.dumps(body))
        return web.json_response({"id": str(row["id"]), "created_at": row["created_at"].isoformat()}, status=201)

    async def ready(request: web.Request) -> web.Response:
        return web.json_response({"status": "ready"})

    async def pool(app: web.Application):
        app[pool_key] = await asyncpg.create_pool(database, min_size=BARE_POOL[0], max_size=BARE_POOL[1])
        yield
        await app[pool_key].close()

    app = web.Application()
    app.cleanup_ctx.append(pool)
    app.router.add_post("/bare", insert)
    app.router.add_get("/readyz", ready)
    return app


def serve_bare(database: str, port: int) -> None:
    from aiohttp import web

    web.run_app(bare_app(database), host="127.0.0.1", port=port, print=None, access_log=None, reuse_port=True)


# -- the load generator (its own process) ---------------------------------------------------------

@dataclass
class Load:
    """What one operation sends: requests picked at random, or each used once (`consume`)."""
    method: str
    requests: list[tuple[str, str | None, bytes | None]]  # path, bearer token, JSON body
    consume: bool = False
    expect: tuple[int, ...] = (200, 201)


@dataclass
class Figures:
    operation: str
    clients: int
    seconds: float
    latencies_ms: list[float] = field(default_factory=list)  # successful requests, sorted
    errors: int = 0
    error_sample: str = ""
    # CPU seconds each kind of process (CPU_KINDS) used during the measured window.
    cpu_seconds: dict[str, float] = field(default_factory=dict)
    # accept only: "with" or "without" agreements rendered in the background, and the contracts
    # rendered during the measured window and still pending at its end (from the bench database)
    agreements: str = ""
    rendered: int = 0
    pending: int = 0

    @property
    def label(self) -> str:
        return f"{self.operation} ({self.agreements} agreements)" if self.agreements else self.operation

    @property
    def completed(self) -> int:
        return len(self.latencies_ms) + self.errors

    @property
    def per_second(self) -> float:
        return len(self.latencies_ms) / self.seconds if self.seconds else 0.0

    def p(self, fraction: float) -> float:
        return percentile(self.latencies_ms, fraction)

    def cpu_ms_per_request(self, kind: str) -> float:
        return self.cpu_seconds.get(kind, 0.0) * 1000 / self.completed if self.completed else 0.0


# CPU per request, split by process: the server under test (the service's processes, or the bare
# endpoint's), the service's agreement renderer (its forkserver and the render process started
# from it: MARKET_AGREEMENTS_RENDER_IN=process), PostgreSQL (every `postgres` process on the
# machine: run it quiet), Redis (every `redis-server`) and the load generator. Requests/s moves with the machine's noise; CPU per
# request much less, and it says where a request's cost goes.
CPU_KINDS = ("server", "renderer", "postgres", "redis", "client")


class CpuMeter:
    """CPU seconds used by each kind of process between `start` and `stop` (from /proc, via psutil)."""

    def __init__(self, server_pids: list[int], client_pid: int) -> None:
        self.server_pids, self.client_pid = server_pids, client_pid
        self.started: dict[int, tuple[str, float]] = {}

    def _processes(self):
        import psutil

        roots = [psutil.Process(pid) for pid in self.server_pids]
        servers = {p.pid for root in roots for p in [root, *root.children(recursive=True)]}
        for process in psutil.process_iter(["name", "cmdline"]):
            name = process.info["name"] or ""
            renderer = "multiprocessing.forkserver" in " ".join(process.info["cmdline"] or ())
            kind = ("renderer" if process.pid in servers and renderer else "server" if process.pid in servers else "client" if process.pid == self.client_pid
                    else "postgres" if name.startswith("postgres") else "redis" if name.startswith("redis-server")
                    else None)
            if kind is not None:
                yield kind, process

    def _snapshot(self) -> dict[int, tuple[str, float]]:
        import psutil

        times = {}
        for kind, process in self._processes():
            try:
                cpu = process.cpu_times()
            except psutil.Error:
                continue
            times[process.pid] = (kind, cpu.user + cpu.system)
        return times

    def start(self) -> None:
        self.started = self._snapshot()

    def stop(self) -> dict[str, float]:
        used = dict.fromkeys(CPU_KINDS, 0.0)
        for pid, (kind, seconds) in self._snapshot().items():
            used[kind] += seconds - self.started.get(pid, (kind, 0.0))[1]
        return used


async def _drive(base: str, load: Load, clients: int, warmup: float, duration: float,
                 mark=lambda name: None) -> tuple[list[float], int, str, float]:
    """Run the load; `mark("from")` and `mark("to")` are called as the measured window opens and closes."""
    connector = aiohttp.TCPConnector(limit=0, force_close=False)
    timeout = aiohttp.ClientTimeout(total=60)
    started = time.perf_counter()
    measure_from, measure_to = started + warmup, started + warmup + duration
    loop = asyncio.get_running_loop()
    loop.call_later(warmup, mark, "from")
    loop.call_later(warmup + duration, mark, "to")
    latencies: list[float] = []
    errors = 0
    sample = ""
    queue = list(reversed(load.requests)) if load.consume else None
    rng = random.Random(clients)
    last_end = started

    async def client(session: aiohttp.ClientSession) -> None:
        nonlocal errors, sample, last_end
        while time.perf_counter() < measure_to:
            if queue is not None:
                if not queue:
                    return
                path, token, body = queue.pop()
            else:
                path, token, body = rng.choice(load.requests)
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            if body is not None:
                headers["Content-Type"] = "application/json"
            sent = time.perf_counter()
            try:
                async with session.request(load.method, base + path, data=body, headers=headers) as response:
                    text = await response.read()
                    ok = response.status in load.expect
            except (aiohttp.ClientError, TimeoutError) as error:
                ok, text = False, repr(error).encode()
            ended = time.perf_counter()
            if measure_from <= ended <= measure_to:
                last_end = max(last_end, ended)
                if ok:
                    latencies.append((ended - sent) * 1000)
                else:
                    errors += 1
                    sample = sample or text[:300].decode(errors="replace")

    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        await asyncio.gather(*(client(session) for _ in range(clients)))
    # A consumed load may run out before the window ends: count the time it actually ran.
    seconds = min(duration, max(0.0, last_end - measure_from)) if load.consume else duration
    return sorted(latencies), errors, sample, seconds


def _generator_main(base: str, load: Load, clients: int, warmup: float, duration: float, out) -> None:
    figures = asyncio.run(_drive(base, load, clients, warmup, duration, lambda name: out.send(("mark", name))))
    out.send(("figures", figures))
    out.close()


def generate(base: str, operation: str, load: Load, clients: int, warmup: float, duration: float,
             server_pids: list[int], on_mark: Callable[[str], None] | None = None) -> Figures:
    """Drive `load` from a separate process, so the client's CPU is not the server's; meter the CPU
    of every process involved over the measured window (`on_mark("from")`, `on_mark("to")` are
    called as it opens and closes)."""
    context = multiprocessing.get_context("spawn")
    receive, send = context.Pipe(duplex=False)
    process = context.Process(target=_generator_main, args=(base, load, clients, warmup, duration, send))
    process.start()
    send.close()
    meter = CpuMeter(server_pids, process.pid)
    cpu: dict[str, float] = {}
    while True:
        message, value = receive.recv()
        if message == "mark":
            if value == "from":
                meter.start()
            else:
                cpu = meter.stop()
            if on_mark is not None:
                on_mark(value)
            continue
        latencies, errors, sample, seconds = value
        break
    process.join()
    return Figures(operation, clients, seconds, latencies, errors, sample, cpu)


# -- the data -------------------------------------------------------------------------------------

def _at(days: int, hour: int) -> str:
    day = datetime.now(SHANGHAI).date() + timedelta(days=days)
    return datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI).isoformat()


def order_body(title: str, *, lat: float, lon: float, district: str, shifts: list[tuple[int, int]],
               headcount: int) -> dict:
    return {
        "kind": "gig", "title": title, "description": "压测订单", "relationship": "labor_service",
        "district_code": district, "site": {"lat": lat, "lon": lon, "address": "压测地点"},
        "shifts": [{"start": _at(day, hour), "end": _at(day, hour + 4), "headcount": headcount}
                   for day, hour in shifts],
        "pay": {"unit": "hour", "amount_fen": 3000},
    }


@dataclass
class Data:
    loads: dict[str, Load]
    # Each accept run (its index in --agreements, clients) consumes its own share of the pending offers.
    offers: dict[tuple[int, int], list[tuple[str, str | None, bytes | None]]]


async def populate(database: str, args: argparse.Namespace) -> Data:
    from market import db
    from market.accounts.service import Accounts
    from market.catalogue.service import Catalogue
    from market.config import Settings
    from market.orders.service import Orders, PostingOptions
    from market.orders.views import OrderIn, to_domain
    from market.sealing import Keyring
    from market.settlement.service import Settlements, settle_order_cancellation

    rng = random.Random(args.seed)
    pool = await db.create_pool(database, min_size=1, max_size=4)
    try:
        async with pool.acquire() as conn:
            await db.upgrade(conn)
            await conn.execute(BARE_TABLE)
            employers = await insert_employers(conn, args.employers, rng)
            bidders = await insert_workers(conn, args.bidders, rng)
            acceptors = await insert_workers(conn, args.acceptors, rng)
        settings = Settings(database_url=database, redis_url=args.redis_url, hash_key="bench-hash-key")
        catalogue = Catalogue(pool)
        # Only to authenticate the employers: no resident ID is sealed here.
        accounts = Accounts(pool, b"bench-hash-key", timedelta(days=1), keyring=Keyring([("bench", os.urandom(32))]))
        orders = Orders(pool, catalogue, settle_order_cancellation)
        settlements = Settlements(pool, catalogue, settings)
        principals = {}
        for employer in employers:
            principal = await accounts.authenticate(f"Bearer {employer.token}")
            principals[employer.id] = principal
            deposit = await settlements.declare_deposit(principal, 10**9, f"B{uuid.uuid4().hex[:12]}")
            await settlements.confirm_deposit(deposit.id)

        async def post(employer, body: dict):
            return await orders.post(principals[employer.id], to_domain(OrderIn.model_validate_json(json.dumps(body)).root, employer.id),
                                     PostingOptions())

        # Orders near the workers, open for bids: two shifts each over days 3–14.
        progress(f"posting {args.bid_orders} orders to bid on")
        bid_targets = []
        for index in range(args.bid_orders):
            body = order_body(f"压测竞标订单{index}", lat=CENTRE_LAT - 0.005, lon=CENTRE_LON - 0.005, district="500103",
                              shifts=[(3 + index % 12, 8), (3 + (index + 5) % 12, 14)], headcount=5)
            stored = await post(employers[index % len(employers)], body)
            bid_targets.extend((stored.id, shift.id) for shift in stored.shifts)
        # Orders to accept seats of: one per employer, a shift a day over 12 days. Each accepting
        # worker gets an offer for each day, on a different employer's order.
        progress(f"posting {len(employers)} orders with offers to accept")
        accept_orders = [await post(e, order_body(f"压测录用订单{i}", lat=CENTRE_LAT + 0.005, lon=CENTRE_LON + 0.005,
                                                  district="500103", shifts=[(3 + day, 9) for day in range(12)],
                                                  headcount=500))
                         for i, e in enumerate(employers)]
        offers = []
        expires = datetime.now(timezone.utc) + timedelta(hours=3)
        for w, worker in enumerate(acceptors):
            for day in range(12):
                order = accept_orders[(w * 7 + day) % len(accept_orders)]
                offers.append((order.id, order.shifts[day].id, worker.id, 3000, expires, worker.token))
        async with pool.acquire() as conn:
            offer_ids = [await conn.fetchval(INSERT_OFFER + " RETURNING id", *offer[:5]) for offer in offers]
            # The setup's own events are not part of the measurement: announcing its 1,700 shifts to
            # the ~850 workers near them is over a million stream entries, which the relay would
            # still be writing while the operations are timed. bench/feed.py measures the fan-out.
            await conn.execute(DROP_SETUP_EVENTS)
            await conn.execute("ANALYZE")
        progress(f"{len(offer_ids)} pending offers")
    finally:
        await pool.close()

    far = dict(lat=31.948, lon=108.6649, district="500229")  # 城口县: nobody's feed, small fan-out
    post_requests = [("/v1/orders", e.token, json.dumps(order_body(f"压测发布订单{i}", shifts=[(5, 9)], headcount=3,
                                                                    **far), ensure_ascii=False).encode())
                     for i, e in enumerate(employers)]
    bid_requests = []
    for worker in bidders:
        for _ in range(8):
            order_id, shift_id = rng.choice(bid_targets)
            bid_requests.append((f"/v1/orders/{order_id}/bids", worker.token,
                                 json.dumps({"shift_ids": [str(shift_id)], "rate_fen": 2900}).encode()))
    feed_requests = [("/v1/workers/me/feed", worker.token, None) for worker in bidders]
    accept_requests = [(f"/v1/offers/{offer_id}/accept", offer[5], None) for offer_id, offer in zip(offer_ids, offers)]
    rng.shuffle(accept_requests)
    bare_requests = [("/bare", None, body) for _, _, body in post_requests]
    loads = {"post": Load("POST", post_requests), "bid": Load("POST", bid_requests),
             "feed": Load("GET", feed_requests), "bare": Load("POST", bare_requests)}
    runs = [(index, clients) for index in range(len(args.agreement_modes)) for clients in args.clients]
    per_run = len(accept_requests) // max(1, len(runs))
    shares = {run: accept_requests[index * per_run:(index + 1) * per_run] for index, run in enumerate(runs)}
    return Data(loads, shares)


# -- the run --------------------------------------------------------------------------------------


CONTRACT_STATES = """
SELECT count(*) FILTER (WHERE state = 'rendered') AS rendered, count(*) FILTER (WHERE state = 'pending') AS pending
FROM contracts
"""
# Render settings of the service in each agreements mode of the accept runs.
AGREEMENT_MODES = {"without": {"MARKET_AGREEMENTS_RENDER_IN_SERVE": "false"},
                   "with": {"MARKET_AGREEMENTS_RENDER_IN_SERVE": "true"}}
# Offers each accepting worker gets (one a day, DAYS shifts), and the accept rate no run here
# reaches (about 400/s at 64 clients on this machine): the offers of a run are sized on it, so that
# no accept run runs out in its window.
OFFERS_PER_ACCEPTOR = 12
ACCEPT_RATE_CEILING = 600
# Seats accepted before and during an accept run with agreements, all pending for the renderer.
MIN_AGREEMENT_SEATS = 500


async def contract_states(database: str) -> tuple[int, int]:
    """Contracts rendered and still pending (no one signs during a benchmark: rendered stays rendered)."""
    conn = await asyncpg.connect(database)
    try:
        row = await conn.fetchrow(CONTRACT_STATES)
    finally:
        await conn.close()
    return row["rendered"], row["pending"]


def print_table(rows: list[Figures], bare: dict[int, Figures], args: argparse.Namespace) -> None:
    print(f"\n## HTTP: {args.workers} server process(es), {args.duration:g} s per cell after {args.warmup:g} s warm-up\n")
    print("| operation | clients | req/s | p50 ms | p95 ms | p99 ms | errors | req/s vs bare | p99 vs bare |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        base = bare.get(row.clients)
        rate = f"{row.per_second / base.per_second:.0%}" if base and base.per_second and row.operation != "bare" else "–"
        tail = f"{row.p(0.99) / base.p(0.99):.2f}×" if base and base.latencies_ms and row.operation != "bare" else "–"
        print(f"| {row.label} | {row.clients} | {row.per_second:,.0f} | {row.p(0.5):.1f} | {row.p(0.95):.1f} "
              f"| {row.p(0.99):.1f} | {row.errors} | {rate} | {tail} |")
    print(f"\n## CPU per request, ms ({args.workers} server process(es); PostgreSQL and Redis: every such "
          "process on the machine)\n")
    print("| operation | clients | server | renderer | PostgreSQL | Redis | load generator | total | total vs bare |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        total = sum(row.cpu_ms_per_request(kind) for kind in CPU_KINDS)
        base = bare.get(row.clients)
        base_total = sum(base.cpu_ms_per_request(kind) for kind in CPU_KINDS) if base else 0.0
        ratio = f"{total / base_total:.2f}×" if base_total and row.operation != "bare" else "–"
        kinds = " | ".join(f"{row.cpu_ms_per_request(kind):.3f}" for kind in CPU_KINDS)
        print(f"| {row.label} | {row.clients} | {kinds} | {total:.3f} | {ratio} |")
    print_agreements([row for row in rows if row.agreements], args)
    sys.stdout.flush()
    for row in rows:
        if row.errors:
            print(f"\n{row.label} @ {row.clients}: {row.errors} errors, e.g. {row.error_sample}", file=sys.stderr)


def print_agreements(rows: list[Figures], args: argparse.Namespace) -> None:
    if not rows:
        return
    print(f"\n## Accept with and without written agreements rendered in the background "
          f"(MARKET_AGREEMENTS_RENDER_IN={args.render_in}, "
          f"MARKET_AGREEMENTS_RENDER_NICE={'default' if args.render_nice is None else args.render_nice}; "
          "a service each)\n")
    print("| agreements | clients | req/s | p50 ms | p95 ms | p99 ms | errors | accepted | agreements rendered "
          "| pending at the end | renderer CPU s | p99 with / without |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    without: dict[int, Figures] = {}  # the last run without agreements, by clients (rows in the order run)
    for row in rows:
        if row.agreements == "without":
            without[row.clients] = row
        base = without.get(row.clients)
        ratio = f"{row.p(0.99) / base.p(0.99):.2f}×" if row.agreements == "with" and base and base.latencies_ms else "–"
        print(f"| {row.agreements} | {row.clients} | {row.per_second:,.0f} | {row.p(0.5):.1f} | {row.p(0.95):.1f} "
              f"| {row.p(0.99):.1f} | {row.errors} | {len(row.latencies_ms)} | {row.rendered} | {row.pending} "
              f"| {row.cpu_seconds.get('renderer', 0.0):.1f} | {ratio} |")


async def prepare(args: argparse.Namespace) -> tuple[str, Data]:
    database = await create_database(args.admin_url, args.database_name)
    progress(f"database {args.database_name} created; filling it")
    return database, await populate(database, args)


def wait_for_renderer(database: str, timeout: float = 30.0) -> None:
    """Until the renderer has rendered its first agreement (its process started, the font read),
    so that a "with" window measures the renderer at work, not starting."""
    first, pending = asyncio.run(contract_states(database))
    deadline = time.monotonic() + timeout
    while pending and time.monotonic() < deadline:
        if asyncio.run(contract_states(database))[0] > first:
            return
        time.sleep(0.5)


def renderer_niceness(pid: int) -> list[int]:
    import psutil

    return [p.nice() for p in psutil.Process(pid).children(recursive=True)
            if "multiprocessing.forkserver" in " ".join(p.cmdline())]


def run_accept(args: argparse.Namespace, database: str, data: Data, index: int, mode: str) -> list[Figures]:
    """The accept cells on a service of their own, rendering agreements in the background or not."""
    port = free_port()
    render_nice = {} if args.render_nice is None else {"MARKET_AGREEMENTS_RENDER_NICE": str(args.render_nice)}
    service = start_service(database, args.redis_url, port, args.workers, log_file=args.server_log,
                            extra_env={**AGREEMENT_MODES[mode], "MARKET_AGREEMENTS_RENDER_IN": args.render_in,
                                       **render_nice})
    rows = []
    try:
        asyncio.run(wait_ready(f"http://127.0.0.1:{port}/readyz", service))
        rendered, pending = asyncio.run(contract_states(database))
        progress(f"accept {mode} agreements: service pid {service.pid} on :{port}; "
                 f"{rendered} agreements rendered, {pending} pending")
        if mode == "with":
            wait_for_renderer(database)
        for clients in args.clients:
            progress(f"{clients} clients: accept, {mode} agreements")
            states: dict[str, tuple[int, int]] = {}

            def count(mark: str, states: dict[str, tuple[int, int]] = states) -> None:
                states[mark] = asyncio.run(contract_states(database))

            row = generate(f"http://127.0.0.1:{port}", "accept", Load("POST", data.offers[index, clients], consume=True),
                           clients, args.warmup, args.duration, [service.pid], on_mark=count)
            row.agreements = mode
            row.rendered = states["to"][0] - states["from"][0]
            row.pending = states["to"][1]
            progress(f"{clients} clients, {mode} agreements: {len(row.latencies_ms)} accepted, p99 {row.p(0.99):.0f} ms, "
                     f"{row.rendered} agreements rendered in the window, {row.pending} pending"
                     + (f"; renderer niceness {renderer_niceness(service.pid)}" if mode == "with" else ""))
            rows.append(row)
    finally:
        stop(service)
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--admin-url", default=DEFAULT_ADMIN_URL, help="a PostgreSQL server to create the database on")
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL)
    parser.add_argument("--database-name", default=f"market_bench_{os.getpid()}")
    parser.add_argument("--workers", type=int, default=1, help="server processes, for the service and the bare endpoint")
    parser.add_argument("--clients", type=int, nargs="+", default=[16, 64, 256])
    parser.add_argument("--operations", nargs="+", default=list(OPERATIONS), choices=OPERATIONS)
    parser.add_argument("--agreements", nargs="+", choices=("with", "without", "both"), default=["both"],
                        help="accept on a service rendering agreements in the background or not, a service a run "
                             "in the order given (both: without, then with)")
    parser.add_argument("--render-in", choices=("process", "thread"), default="process",
                        help="MARKET_AGREEMENTS_RENDER_IN of the accept runs")
    parser.add_argument("--render-nice", type=int, help="MARKET_AGREEMENTS_RENDER_NICE of the accept runs "
                        "(default: the service's)")
    parser.add_argument("--duration", type=float, default=3.0, help="measured seconds per cell")
    parser.add_argument("--warmup", type=float, default=0.5)
    parser.add_argument("--employers", type=int, default=128)
    parser.add_argument("--bidders", type=int, default=256)
    parser.add_argument("--acceptors", type=int,
                        help=f"workers with {OFFERS_PER_ACCEPTOR} offers each (default: enough for every accept run, "
                             f"at least {MIN_AGREEMENT_SEATS} seats a run)")
    parser.add_argument("--bid-orders", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--server-log", type=Path, help="append the service's log here (default: discarded)")
    parser.add_argument("--keep", action="store_true", help="keep the database and pause before stopping (profiling)")
    args = parser.parse_args(argv)
    args.agreement_modes = ([] if "accept" not in args.operations else
                            [m for mode in args.agreements for m in (["without", "with"] if mode == "both" else [mode])])
    if args.acceptors is None:
        per_run = max(MIN_AGREEMENT_SEATS, ACCEPT_RATE_CEILING * (args.warmup + args.duration))
        runs = len(args.agreement_modes) * len(args.clients)
        args.acceptors = max(600, math.ceil(runs * per_run / OFFERS_PER_ACCEPTOR))

    database, data = asyncio.run(prepare(args))
    others = [operation for operation in args.operations if operation != "accept"]
    bare_port = free_port()
    bare = [start_python(["-c", f"from bench.http import serve_bare; serve_bare({database!r}, {bare_port})"])
            for _ in range(args.workers)]
    service = None
    try:
        for process in bare:
            asyncio.run(wait_ready(f"http://127.0.0.1:{bare_port}/readyz", process))
        if others:
            service_port = free_port()
            service = start_service(database, args.redis_url, service_port, args.workers, log_file=args.server_log)
            asyncio.run(wait_ready(f"http://127.0.0.1:{service_port}/readyz", service))
            progress(f"service pid {service.pid} on :{service_port}, bare endpoint on :{bare_port}")
        rows: list[Figures] = []
        bare_rows: dict[int, Figures] = {}
        for clients in args.clients:
            progress(f"{clients} clients: bare")
            bare_rows[clients] = generate(f"http://127.0.0.1:{bare_port}", "bare", data.loads["bare"], clients,
                                          args.warmup, args.duration, [p.pid for p in bare])
            rows.append(bare_rows[clients])
            for operation in others:
                progress(f"{clients} clients: {operation}")
                rows.append(generate(f"http://127.0.0.1:{service_port}", operation, data.loads[operation], clients,
                                     args.warmup, args.duration, [service.pid]))
        if service is not None:
            stop(service)
            service = None
        # Without first: its seats' agreements stay pending, so the "with" service starts with a
        # backlog to render throughout its window (and runs on the larger database).
        for index, mode in enumerate(args.agreement_modes):
            rows.extend(run_accept(args, database, data, index, mode))
        rows.sort(key=lambda row: row.clients)
        print_table(rows, bare_rows, args)
        if args.keep:
            input("press Enter to stop the servers and drop the database… ")
    finally:
        if service is not None:
            stop(service)
        for process in bare:
            stop(process)
        if not args.keep:
            asyncio.run(drop_database(args.admin_url, args.database_name))


if __name__ == "__main__":
    main()
