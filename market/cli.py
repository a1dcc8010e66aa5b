"""`market` command line: serve, relay, db upgrade, admin tasks, the demo.

With MARKET_DATABASE_URL / MARKET_REDIS_URL unset, every command that needs the servers uses the
embedded ones under the data directory: it starts them if they are not running, attaches to them
if another process (`market serve`) runs them, and when it ends stops them only if no other process
uses them (market/embedded.py).
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
from pathlib import Path

import pydantic

from market import db, logs
from market.config import Settings, setting_errors
from market.errors import MarketError, ValidationFailed
from market.kernel.clock import SHANGHAI
from market.servers import banner, servers, servers_and_embedded, urls

log = logging.getLogger("market.cli")


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    from market.serving import listen, serve

    workers = getattr(args, "workers", 1)
    # The port first: a second `serve` on a taken port says so at once, before it touches the
    # servers (or its data directory) at all.
    try:
        sock = listen(settings.host, settings.port)
    except OSError as error:
        print(f"market: cannot listen on {settings.host}:{settings.port}: {error.strerror or error}"
              " (is another `market serve` running there?)", file=sys.stderr)
        return 1
    if workers > 1:
        sock.close()  # the server processes bind it themselves (SO_REUSEPORT); this only checked it is free
    with sock if workers == 1 else contextlib.nullcontext(), servers_and_embedded(settings) as (ready, started):
        log.info("serving", extra={"host": ready.host, "port": ready.port, "data_dir": str(ready.data_dir),
                                   "workers": workers})
        return serve(ready, workers, sock=sock if workers == 1 else None, banner=banner(ready, started, workers))


def cmd_relay(settings: Settings, args: argparse.Namespace) -> int:
    from market.app import create_app
    from market.events.wiring import audiences_of
    from market.events.relay import run_standalone

    with servers(settings) as ready:
        # The app is built, never started: only to collect the audience resolvers it registers.
        asyncio.run(run_standalone(*urls(ready), audiences_of(create_app(ready))))
    return 0


def cmd_allocator(settings: Settings, args: argparse.Namespace) -> int:
    from market.allocation.allocator import run_standalone

    with servers(settings) as ready:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(run_standalone(ready))
    return 0


def cmd_db_upgrade(settings: Settings, args: argparse.Namespace) -> int:
    with servers(settings) as ready:
        database_url, _ = urls(ready)
        version = asyncio.run(db.upgrade_url(database_url))
    print(f"schema version {version}")
    return 0


def cmd_create_staff(settings: Settings, args: argparse.Namespace) -> int:
    from market.web.wiring import hash_key
    from market.accounts.service import Accounts
    from market.sealing import keyring

    role = "supervisor" if args.command == "create-supervisor" else "admin"
    districts = [code.strip() for code in (getattr(args, "districts", "") or "").split(",") if code.strip()]

    async def create():
        pool = await db.create_pool(ready.database_url, min_size=1, max_size=2)
        try:
            async with pool.acquire() as conn:
                await db.upgrade(conn)
            return await Accounts(pool, hash_key(ready), ready.token_ttl, keyring=keyring(ready)).create_staff(role, args.name, districts)
        finally:
            await pool.close()

    with servers(settings) as ready:
        try:
            issued = asyncio.run(create())
        except ValidationFailed as error:
            print(f"error: {error.detail}", file=sys.stderr)
            return 2
    print(f"created {role} {args.name} ({issued.account_id})")
    expires = issued.expires_at.astimezone(SHANGHAI).isoformat(timespec="seconds")
    print(f"token (shown once, expires {expires}):")
    print(issued.token)
    return 0


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="market", description=__doc__.splitlines()[0])
    top.add_argument("--data-dir", type=Path, help="where embedded servers keep their data (MARKET_DATA_DIR)")
    sub = top.add_subparsers(dest="group", required=True)

    serve = sub.add_parser("serve", help="run the HTTP API")
    serve.add_argument("--host", help="bind address (MARKET_HOST, default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (MARKET_PORT, default 8080)")
    serve.add_argument("--data-dir", type=Path, dest="data_dir_sub", help=argparse.SUPPRESS)
    serve.add_argument("--workers", type=_positive, default=1,
                       help="server processes sharing the port (SO_REUSEPORT; default 1, see docs/scaling.md)")
    serve.set_defaults(run=cmd_serve)

    sub.add_parser("relay", help="relay events from the outbox to Redis Streams (serve also runs one)").set_defaults(
        run=cmd_relay)

    sub.add_parser("allocator", help="run allocation runs from the queue (any number; serve also runs one)"
                   ).set_defaults(run=cmd_allocator)

    database = sub.add_parser("db", help="database tasks").add_subparsers(dest="command", required=True)
    database.add_parser("upgrade", help="migrate the schema and load the catalogue data (idempotent)").set_defaults(
        run=cmd_db_upgrade)

    admin = sub.add_parser("admin", help="operator tasks").add_subparsers(dest="command", required=True)
    supervisor = admin.add_parser("create-supervisor", help="create a district supervisor; prints a token")
    supervisor.add_argument("--name", required=True)
    supervisor.add_argument("--districts", required=True, help="comma-separated district codes, e.g. 500103,500106")
    supervisor.set_defaults(run=cmd_create_staff)
    create_admin = admin.add_parser("create-admin", help="create a platform admin; prints a token")
    create_admin.add_argument("--name", required=True)
    create_admin.set_defaults(run=cmd_create_staff)
    from market.settlement import cli as settlement_cli  # settlement: payouts, timesheets, arrears, ledger
    settlement_cli.add_commands(sub, admin)
    from market.filings import cli as filings_cli  # filings: re-seal resident IDs under the newest key
    filings_cli.add_commands(admin)
    from market.notifications import cli as notifications_cli  # notifications: the worker on its own
    notifications_cli.add_command(sub)
    from market.demo import cli as demo_cli  # demo: a realistic market to explore
    demo_cli.add_command(sub)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    overrides = {}
    data_dir = getattr(args, "data_dir_sub", None) or args.data_dir
    if data_dir is not None:
        overrides["data_dir"] = data_dir
    for name in ("host", "port"):
        if getattr(args, name, None) is not None:
            overrides[name] = getattr(args, name)
    try:
        settings = Settings(**overrides)
    except pydantic.ValidationError as error:
        for line in setting_errors(error):
            print(f"market: {line}", file=sys.stderr)
        return 2
    logs.configure(settings.log_level, settings.log_json)
    try:
        return args.run(settings, args)
    except MarketError as error:
        print(f"error: {error.detail}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
