"""Settling approved timesheets at volume: time, per-timesheet cost and memory against batch size.

Fills a fresh database with N approved timesheets — employers with confirmed escrow, workers,
past shifts of all three gig relationship types (labor service, incomplete labor, part-time),
each seat with its escrow hold posted through the ledger as allocation would — then settles them
all with `Settlements.settle_pending` (the sweep) and reports:

- wall time and timesheets/s of the batched sweep (SETTLE_BATCH per transaction, SETTLE_LANES
  transactions side by side; --batch and --lanes change them);
- the baseline, measured in the same run on a sample: settling one timesheet per transaction
  (batch size 1, what a single approval does), and the ratio;
- peak resident memory growth while settling (flat in N: a batch's rows are all the sweep holds
  at a time; compare runs with different --timesheets, or --batch);
- `ledger check` afterwards (every entry balanced, balances equal to the journal).

    python -m bench.settlement --timesheets 100000 [--database-url postgresql://...]

With no --database-url it starts the embedded PostgreSQL in a temporary directory.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import random
import sys
import tempfile
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import asyncpg
import psutil

from market import db, embedded
from market.catalogue.service import Catalogue
from market.config import Settings
from market.demo.identities import credit_code
from market.kernel.clock import local_date
from market.kernel.relationships import RelationshipType
from market.settlement import escrow, ledger, service
from market.settlement.model import hold_amount_fen

RELATIONSHIPS = ("labor_service", "incomplete_labor", "labor_part_time")
SEATS_PER_SHIFT = 50
RATE_FEN = 3000  # above every district's hourly minimum
SHIFT_HOURS = 4


def progress(label: str, done: int, total: int) -> None:
    print(f"\r{label}: {done}/{total}", end="" if done < total else "\n", file=sys.stderr, flush=True)


async def populate(conn: asyncpg.Connection, timesheets: int, employers: int, rng: random.Random,
                   now: datetime) -> None:
    """N approved timesheets on past 4-hour shifts; each worker holds one seat per time slot, so
    nobody is double-booked, and each employer's escrow covers its holds."""
    shifts_needed = -(-timesheets // SEATS_PER_SHIFT)
    workers = max(SEATS_PER_SHIFT * 4, timesheets // 20)
    org_ids, worker_ids = [uuid.uuid4() for _ in range(employers)], [uuid.uuid4() for _ in range(workers)]
    account_rows = [(uuid.uuid4(), "employer", rng.randbytes(32), "x", f"bench {i}") for i in range(employers)]
    account_rows += [(uuid.uuid4(), "worker", rng.randbytes(32), "x", f"bench {i}") for i in range(workers)]
    await conn.copy_records_to_table("accounts", records=account_rows,
                                     columns=["id", "role", "login_hash", "password_hash", "display_name"])
    await conn.copy_records_to_table("organisations", columns=["id", "account_id", "name", "credit_code",
                                                               "district_code"], records=[
        (org_ids[i], account_rows[i][0], f"压测企业{i}", credit_code(rng), "500103") for i in range(employers)])
    await conn.copy_records_to_table("workers", columns=["id", "account_id", "name", "id_number_hash",
                                                         "id_number_masked", "district_code"], records=[
        (worker_ids[i], account_rows[employers + i][0], "测试", rng.randbytes(32), "5001**********0000", "500103")
        for i in range(workers)])

    slots_per_day = 2
    parallel = workers // SEATS_PER_SHIFT  # shifts a slot can staff without double-booking anyone
    orders, shifts, assignments, sheets, holds = [], [], [], [], []
    book = escrow.rate_book()
    first_day = (now - timedelta(days=-(-shifts_needed // (parallel * slots_per_day)) - 1)).replace(
        hour=0, minute=0, second=0, microsecond=0)
    for index in range(shifts_needed):
        slot, lane = divmod(index, parallel)
        start = first_day + timedelta(days=slot // slots_per_day, hours=8 + 5 * (slot % slots_per_day))
        end = start + timedelta(hours=SHIFT_HOURS)
        organisation_id = org_ids[index % employers]
        relationship = RELATIONSHIPS[index % len(RELATIONSHIPS)]
        order_id, shift_id = uuid.uuid4(), uuid.uuid4()
        orders.append((order_id, organisation_id, "gig", f"压测订单{index}", "500103", 29.55, 106.57, relationship,
                       "hour", RATE_FEN, RATE_FEN, "bids", "completed"))
        seats = min(SEATS_PER_SHIFT, timesheets - index * SEATS_PER_SHIFT)
        shifts.append((shift_id, order_id, start, end, SEATS_PER_SHIFT, "(106.57,29.55)", False))
        amount = hold_amount_fen(RelationshipType(relationship), hourly_rate=RATE_FEN, minutes=SHIFT_HOURS * 60,
                                 shift_date=local_date(start), rate_book=book)
        for seat in range(seats):
            assignment_id = uuid.uuid4()
            worker_id = worker_ids[lane * SEATS_PER_SHIFT + seat]
            assignments.append((assignment_id, shift_id, order_id, worker_id, organisation_id,
                                asyncpg.Range(start, end), RATE_FEN, "completed"))
            approved_at = end + timedelta(minutes=30 + rng.randrange(600))
            sheets.append((assignment_id, "approved", start, end, SHIFT_HOURS * 60, SHIFT_HOURS * 60, "employer",
                           approved_at))
            holds.append((assignment_id, organisation_id, order_id, amount))
    await conn.copy_records_to_table("orders", records=orders, columns=[
        "id", "organisation_id", "kind", "title", "district_code", "site_lat", "site_lon", "relationship_type",
        "pay_unit", "pay_amount_fen", "hourly_equivalent_fen", "allocation_mode", "state"])
    await conn.execute("CREATE TEMP TABLE shift_load (id uuid, order_id uuid, starts_at timestamptz, "
                       "ends_at timestamptz, headcount int, site text, open boolean)")
    await conn.copy_records_to_table("shift_load", records=shifts)
    await conn.execute("INSERT INTO shifts (id, order_id, starts_at, ends_at, headcount, site, open) "
                       "SELECT id, order_id, starts_at, ends_at, headcount, site::point, open FROM shift_load")
    for start in range(0, len(assignments), 20_000):
        await conn.copy_records_to_table("assignments", records=assignments[start:start + 20_000], columns=[
            "id", "shift_id", "order_id", "worker_id", "organisation_id", "period", "rate_fen", "state"])
        progress("assignments", min(start + 20_000, len(assignments)), len(assignments))
    await conn.copy_records_to_table("timesheets", records=sheets, columns=[
        "assignment_id", "state", "checked_in_at", "checked_out_at", "worked_minutes", "approved_minutes",
        "approved_by", "approved_at"])

    # Money as allocation and deposits leave it: escrow confirmed, one hold per seat, via the ledger.
    held_by = {}
    for _, organisation_id, _, amount in holds:
        held_by[organisation_id] = held_by.get(organisation_id, 0) + amount
    async with conn.transaction():
        await ledger.post_entries(conn, [ledger.Entry(
            f"deposit:bench:{o}", "deposit", ((ledger.BANK_CLEARING, held_by[o] * 2), (ledger.escrow(o), -held_by[o] * 2)),
            organisation_id=o) for o in held_by])
    await conn.copy_records_to_table("escrow_holds", records=[(a, o, amount) for a, o, _, amount in holds],
                                     columns=["assignment_id", "organisation_id", "amount_fen"])
    for start in range(0, len(holds), 5_000):
        async with conn.transaction():
            await ledger.post_entries(conn, [ledger.Entry(
                f"hold:{a}", "hold", ((ledger.escrow(o), amount), (ledger.escrow_held(o), -amount)),
                organisation_id=o, order_id=order_id, assignment_id=a) for a, o, order_id, amount in holds[start:start + 5_000]])
        progress("holds", min(start + 5_000, len(holds)), len(holds))
    await conn.execute("ANALYZE")


class PeakRss:
    """Samples this process's resident memory every 20 ms in a thread (asyncio stays busy)."""

    def __init__(self) -> None:
        self.process = psutil.Process()
        self.base = self.peak = self.process.memory_info().rss
        self.running = True
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()

    def _sample(self) -> None:
        while self.running:
            self.peak = max(self.peak, self.process.memory_info().rss)
            time.sleep(0.02)

    def stop(self) -> float:
        self.running = False
        self.thread.join()
        return (self.peak - self.base) / 2**20


async def _sweep(url: str, now: datetime, batch: int, lanes: int) -> tuple[int, float, float]:
    """One process's sweep: (settled, seconds, peak RSS growth in MiB)."""
    pool = await db.create_pool(url, min_size=1, max_size=lanes + 2)
    try:
        settlements = service.Settlements(pool, Catalogue(pool), Settings(database_url=url, redis_url="redis://unused"))
        await settlements.catalogue.data()
        rss = PeakRss()
        started = time.perf_counter()
        settled = await settlements.settle_pending(now=now, batch_size=batch, lanes=lanes)
        return settled, time.perf_counter() - started, rss.stop()
    finally:
        await pool.close()


def _sweep_process(url: str, now: datetime, batch: int, lanes: int, start: multiprocessing.Event,
                   results: multiprocessing.Queue) -> None:
    start.wait()
    results.put(asyncio.run(_sweep(url, now, batch, lanes)))


def sweep_in_processes(url: str, now: datetime, batch: int, lanes: int, processes: int) -> tuple[int, float, float]:
    """The sweep run by `processes` processes at once, as `serve --workers N` runs it: they share
    the backlog through the sweep's partition claims. (settled in all, wall seconds, largest
    peak RSS growth of one process)."""
    context = multiprocessing.get_context("spawn")
    start, results = context.Event(), context.Queue()
    workers = [context.Process(target=_sweep_process, args=(url, now, batch, lanes, start, results))
               for _ in range(processes)]
    for worker in workers:
        worker.start()
    time.sleep(3.0)  # let them import and connect before the clock starts
    started = time.perf_counter()
    start.set()
    outcomes = [results.get() for _ in workers]
    seconds = time.perf_counter() - started
    for worker in workers:
        worker.join()
    print("processes (settled, seconds): " + ", ".join(f"({o[0]}, {o[1]:.1f})" for o in outcomes), file=sys.stderr)
    return sum(o[0] for o in outcomes), seconds, max(o[2] for o in outcomes)


async def run(url: str, timesheets: int, employers: int, sample: int, batch: int, lanes: int,
              processes: int = 1) -> None:
    now = datetime.now(timezone.utc)
    conn = await asyncpg.connect(url)
    try:
        await db.upgrade(conn)
        await conn.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")
        started = time.perf_counter()
        await populate(conn, timesheets, employers, random.Random(11), now)
        print(f"populated {timesheets} approved timesheets in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    finally:
        await conn.close()
    pool = await db.create_pool(url, min_size=1, max_size=4)
    settlements = service.Settlements(pool, Catalogue(pool), Settings(database_url=url, redis_url="redis://unused"))
    try:
        async with pool.acquire() as conn:
            ids = [r["assignment_id"] for r in await conn.fetch(
                "SELECT assignment_id FROM timesheets ORDER BY approved_at, assignment_id")]
        # Baseline: one timesheet per transaction (approval's path), on the first `sample`.
        rss = PeakRss()
        started = time.perf_counter()
        for assignment_id in ids[:sample]:
            await settlements._settle_batch([assignment_id], now)
        one_seconds, one_rss = time.perf_counter() - started, rss.stop()
        rows = [("1 per transaction (baseline)", sample, one_seconds, one_rss)]
        label = f"sweep, {batch} per tx, {lanes} lane{'s' if lanes > 1 else ''}"
        if processes > 1:
            settled, seconds, grown = await asyncio.to_thread(sweep_in_processes, url, now, batch, lanes, processes)
            rows.append((f"{label}, {processes} processes", settled, seconds, grown))
        else:
            rows.append((label, *await _sweep(url, now, batch, lanes)))
        report = await settlements.ledger_check()
        async with pool.acquire() as conn:
            total = await conn.fetchval("SELECT count(*) FROM settlements")
            entries = await conn.fetchval("SELECT count(*) FROM journal_entries")
    finally:
        await pool.close()

    print(f"\n{'path':<34}{'timesheets':>11}{'seconds':>10}{'per second':>12}{'ms each':>9}{'peak RSS +MiB':>15}")
    for label, count, seconds, grown in rows:
        print(f"{label:<34}{count:>11}{seconds:>10.2f}{count / seconds:>12.0f}{seconds * 1000 / count:>9.3f}{grown:>15.1f}")
    (_, one_count, one_seconds, _), (_, count, seconds, _) = rows
    print(f"sweep vs one per transaction: {(one_seconds / one_count) / (seconds / count):.1f}× faster per timesheet")
    print(f"all {timesheets} at the sweep's rate: {seconds / count * timesheets:.1f} s (target ≤ 30 s)")
    print(f"settlements: {total}; journal entries: {entries}; ledger check: {'ok' if report.ok else report.problems[:5]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timesheets", type=int, default=100_000)
    parser.add_argument("--employers", type=int, default=200)
    parser.add_argument("--sample", type=int, default=1000, help="timesheets settled one per transaction")
    parser.add_argument("--batch", type=int, default=service.SETTLE_BATCH, help="timesheets per transaction")
    parser.add_argument("--lanes", type=int, default=service.SETTLE_LANES, help="transactions side by side")
    parser.add_argument("--processes", type=int, default=1,
                        help="processes sweeping at once (as serve --workers N), sharing the backlog by partition")
    parser.add_argument("--database-url", help="an empty database to fill (default: embedded, temporary)")
    args = parser.parse_args()
    if args.database_url:
        asyncio.run(run(args.database_url, args.timesheets, args.employers, args.sample, args.batch, args.lanes,
                        args.processes))
        return
    directory = Path(tempfile.mkdtemp(prefix="market-bench-settlement-"))
    server, admin = embedded.start_postgres(directory / "pg")
    try:
        asyncio.run(run(embedded.ensure_database(admin, "bench"), args.timesheets, args.employers, args.sample,
                        args.batch, args.lanes, args.processes))
    finally:
        server.cleanup()
        embedded.remove(directory)


if __name__ == "__main__":
    main()
