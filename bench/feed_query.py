"""Feed query plan and latency on a populated database.

Fills a fresh database with N gig orders (4 shifts each) spread over Chongqing's district centres
and 14 days, places one worker near 解放碑, then prints EXPLAIN (ANALYZE, BUFFERS) of the feed query
and its median latency over repeated runs, against a baseline: the same filter without the
bounding box (what a scan of all open shifts would cost).

    python -m bench.feed_query --orders 20000 [--database-url postgresql://...]

With no --database-url it starts the embedded PostgreSQL in a temporary directory.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import asyncpg

from market import db, embedded, geo
from market.feed import queries

SETUP_ORG = """
WITH a AS (INSERT INTO accounts (role, login_hash, login_masked, password_hash, display_name)
           VALUES ('employer', $1, 'b***@example.com', 'x', 'bench') RETURNING id)
INSERT INTO organisations (account_id, name, credit_code, district_code)
SELECT id, 'bench employer', '914403001922038216', '500103' FROM a RETURNING id
"""
SETUP_WORKER = """
WITH a AS (INSERT INTO accounts (role, login_hash, login_masked, password_hash, display_name)
           VALUES ('worker', $1, '139****0000', 'x', 'bench') RETURNING id)
INSERT INTO workers (account_id, name, id_number_hash, id_number_masked, district_code, home_lat, home_lon,
                     max_travel_m)
SELECT id, '测试', $2, '5001**********0000', '500103', 29.5600, 106.5750, 10000 FROM a RETURNING id
"""


async def populate(conn: asyncpg.Connection, orders: int, rng: random.Random) -> uuid.UUID:
    districts = await conn.fetch("SELECT code, lat, lon FROM districts WHERE active")
    org = await conn.fetchval(SETUP_ORG, rng.randbytes(32))
    worker = await conn.fetchval(SETUP_WORKER, rng.randbytes(32), rng.randbytes(32))
    await conn.execute("INSERT INTO worker_skills VALUES ($1, 'warehouse_picking', 3, false)", worker)
    now = datetime.now(timezone.utc)
    order_rows, shift_rows, skill_rows = [], [], []
    for i in range(orders):
        d = rng.choice(districts)
        lat, lon = d["lat"] + rng.gauss(0, 0.05), d["lon"] + rng.gauss(0, 0.05)
        order_id = uuid.uuid4()
        pay = rng.randrange(2300, 6000)
        order_rows.append((order_id, org, "gig", f"bench order {i}", d["code"], lat, lon, "labor_service", "hour",
                           pay, pay, "bids"))
        if rng.random() < 0.5:
            skill_rows.append((order_id, rng.choice(["warehouse_picking", "cleaning", "forklift", "loading"]), 1))
        for _ in range(4):
            start = now + timedelta(minutes=15 * rng.randrange(4, 14 * 96))
            shift_rows.append((uuid.uuid4(), order_id, start, start + timedelta(hours=rng.choice([2, 4, 6, 8])),
                               rng.randrange(1, 6), f"({lon},{lat})"))
    await conn.copy_records_to_table("orders", records=order_rows, columns=[
        "id", "organisation_id", "kind", "title", "district_code", "site_lat", "site_lon", "relationship_type",
        "pay_unit", "pay_amount_fen", "hourly_equivalent_fen", "allocation_mode"])
    await conn.copy_records_to_table("order_skills", records=skill_rows,
                                     columns=["order_id", "skill_code", "min_level"])
    await conn.execute("CREATE TEMP TABLE shift_load (id uuid, order_id uuid, starts_at timestamptz, "
                       "ends_at timestamptz, headcount int, site text)")
    await conn.copy_records_to_table("shift_load", records=shift_rows)
    await conn.execute("INSERT INTO shifts (id, order_id, starts_at, ends_at, headcount, site) "
                       "SELECT id, order_id, starts_at, ends_at, headcount, site::point FROM shift_load")
    await conn.execute("ANALYZE")
    return worker


async def run(url: str, orders: int, repeats: int) -> None:
    conn = await asyncpg.connect(url)
    await db.upgrade(conn)
    await conn.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")
    print(f"populating {orders} orders × 4 shifts …", file=sys.stderr, flush=True)
    worker_id = await populate(conn, orders, random.Random(7))
    worker = await queries.feed_worker(conn, worker_id)
    assert worker is not None
    now = datetime.now(timezone.utc)
    box = geo.bounding_box(worker.lat, worker.lon, worker.max_travel_m)
    args = queries.feed_arguments(worker, now, box, None, 51)
    plan = await conn.fetch("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + queries.FEED, *args)
    print("\n".join(r[0] for r in plan))

    async def timed(sql: str, params: list) -> float:
        samples = []
        for _ in range(repeats):
            started = time.perf_counter()
            await conn.fetch(sql, *params)
            samples.append((time.perf_counter() - started) * 1000)
        return statistics.median(samples)

    everywhere = [*args[:6], -180.0, -90.0, 180.0, 90.0, *args[10:]]
    feed_ms = await timed(queries.FEED, args)
    scan_ms = await timed(queries.FEED, everywhere)
    shifts = await conn.fetchval("SELECT count(*) FROM shifts")
    found = len(await conn.fetch(queries.FEED, *args))
    print(f"\nshifts: {shifts}; first page rows: {found}")
    print(f"feed (bounding box on GiST):       median {feed_ms:8.2f} ms over {repeats} runs")
    print(f"baseline (box = whole world):      median {scan_ms:8.2f} ms over {repeats} runs")
    print(f"ratio baseline / feed:             {scan_ms / feed_ms:8.1f}×")
    await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=20000)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--database-url", help="an empty database to fill (default: embedded, temporary)")
    args = parser.parse_args()
    if args.database_url:
        asyncio.run(run(args.database_url, args.orders, args.repeats))
        return
    directory = Path(tempfile.mkdtemp(prefix="market-bench-feed-"))
    server, admin = embedded.start_postgres(directory / "pg")
    try:
        asyncio.run(run(embedded.ensure_database(admin, "bench"), args.orders, args.repeats))
    finally:
        server.cleanup()
        embedded.remove(directory)


if __name__ == "__main__":
    main()
