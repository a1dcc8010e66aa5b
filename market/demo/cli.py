"""`market demo`: build the demo market in a fresh database, print its summary, a supervisor token
and the dashboard URL; with --serve, then run the service on it (what `market serve` runs).

The demo never touches the service's own database: it drops and re-creates `market_demo` on the
same server (the embedded one under the data directory, or MARKET_DATABASE_URL's server, whose
user then needs CREATEDB), so every run with one seed starts from nothing and ends the same.
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import time
from datetime import date
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from market import db
from market.config import Settings
from market.demo import queries, report
from market.demo.plan import PASSWORD
from market.demo.progress import Progress
from market.demo.simulation import DemoResult, run_demo
from market.kernel import clock

DEMO_DATABASE = "market_demo"


def demo_database_url(server_url: str, name: str = DEMO_DATABASE) -> str:
    return urlunsplit(urlsplit(server_url)._replace(path="/" + name))


async def recreate_database(server_url: str, name: str = DEMO_DATABASE) -> str:
    """Drop and create `name` on the server of `server_url`; return its URL."""
    conn = await asyncpg.connect(server_url)
    try:
        await queries.recreate_database(conn, name)
    finally:
        await conn.close()
    return demo_database_url(server_url, name)


async def build(settings: Settings, *, seed: int, scale: float, today: date) -> tuple[DemoResult, report.Summary]:
    from market.web.wiring import hash_key

    pool = await db.create_pool(settings.database_url, min_size=2, max_size=6)
    try:
        async with pool.acquire() as conn:
            await db.upgrade(conn)
        result = await run_demo(pool, settings, hash_key(settings), seed=seed, scale=scale, today=today,
                                progress=Progress(0))
        async with pool.acquire() as conn:
            summary = await report.summarise(conn)
        return result, summary
    finally:
        await pool.close()


def print_summary(result: DemoResult, summary: report.Summary, settings: Settings, seconds: float) -> None:
    plan = result.plan
    names = {d.code: d.name for d in plan.districts}
    district = f"{plan.arrears_district} {names[plan.arrears_district]}"
    arrears_lender = next(e for e in plan.employers if e.role == "arrears_lender")
    print(f"\nmarket demo — seed {plan.seed}, scale {plan.scale:g}, the week {plan.days[0]} … {plan.days[-1]} "
          f"(today {plan.today}), built in {seconds:.0f} s\n")
    print(report.table(summary, names, plan.arrears_district))
    print()
    print(report.figures(summary))
    print(f"ledger check: {'ok' if result.ledger_ok else 'BROKEN (run `market ledger check`)'}")
    print(f"\nThe arrears case: {arrears_lender.name} ({district}) lent employees three weeks ago and never "
          "confirmed paying their wages;\nthe due dates have passed, so `arrears check` recorded wage arrears "
          "and the employer carries a red flag.")
    print(f"\nSupervisor of {district} (token shown once, expires {result.supervisor.expires_at:%Y-%m-%d}):")
    print(f"  {result.supervisor.token}")
    print(f"Dashboard: http://{settings.host}:{settings.port}/supervise  (paste the token to sign in)")
    print(f"\nTo explore as the parties (every account's password is {PASSWORD!r}; tokens for the API):")
    for role, party, what in (("employer", result.employer, "posted the most orders"),
                              ("worker", result.worker, "has open work in the feed, offers and pay slips")):
        if party is not None:
            print(f"  {role} {party.login} ({party.name}, {what}):\n    {party.token.token}")
    print(f"\n{pages(result, settings)}")


def pages(result: DemoResult, settings: Settings) -> str:
    """The three pages with a demo login for each (issue 19: the README's first command ends with
    them): the worker app and the console sign in with a login and the demo password, the
    supervisors' page with the token printed above."""
    base = f"http://{settings.host}:{settings.port}"
    lines = ["Open in a browser:"]
    if result.worker is not None:
        lines.append(f"  worker app        {base}/app        sign in as {result.worker.login} / {PASSWORD}")
    if result.employer is not None:
        lines.append(f"  employer console  {base}/console    sign in as {result.employer.login} / {PASSWORD}")
    lines.append(f"  supervisor page   {base}/supervise  paste the supervisor token above")
    return "\n".join(lines)


def cmd_demo(settings: Settings, args: argparse.Namespace) -> int:
    from market.servers import banner, servers_and_embedded
    from market.serving import listen, serve

    today = args.today or clock.today()
    if today > clock.today():
        print("error: --today cannot be in the future (the week it plays would lie ahead of the real clock)",
              file=sys.stderr)
        return 2
    if args.scale <= 0:
        print("error: --scale must be positive", file=sys.stderr)
        return 2
    sock = None
    if args.serve:  # the port first: a taken one is said at once, not after the demo is built
        try:
            sock = listen(settings.host, settings.port)
        except OSError as error:
            print(f"market: cannot listen on {settings.host}:{settings.port}: {error.strerror or error}",
                  file=sys.stderr)
            return 1
    with sock or contextlib.nullcontext(), servers_and_embedded(settings) as (ready, embedded_servers):
        demo = ready.model_copy(update={"database_url": asyncio.run(recreate_database(ready.database_url))})
        started = time.monotonic()
        result, summary = asyncio.run(build(demo, seed=args.seed, scale=args.scale, today=today))
        print_summary(result, summary, demo, time.monotonic() - started)
        sys.stdout.flush()
        if args.serve:
            print(flush=True)
            serve(demo, sock=sock, banner=banner(demo, embedded_servers, 1) + "; the demo, Ctrl-C stops it")
    return 0 if result.ledger_ok else 1


def add_command(sub: argparse._SubParsersAction) -> None:
    demo = sub.add_parser("demo", help="build a realistic Chongqing market in a fresh `market_demo` database "
                                       "and play a week of it; --serve then runs the service on it")
    demo.add_argument("--seed", type=int, default=2025, help="the same seed gives the same market (default 2025)")
    demo.add_argument("--scale", type=float, default=1.0,
                      help="1 = ~300 employers, ~3,000 workers, ~40 orders a day; 0.1 for a quick look")
    demo.add_argument("--today", type=date.fromisoformat,
                      help="YYYY-MM-DD the week ends before (default today in Chongqing; not in the future)")
    demo.add_argument("--serve", action="store_true", help="then serve the demo (like `market serve`)")
    demo.add_argument("--host", help="bind address for --serve and the printed URL (MARKET_HOST)")
    demo.add_argument("--port", type=int, help="port for --serve and the printed URL (MARKET_PORT)")
    demo.set_defaults(run=cmd_demo)
