"""Settlement subcommands of `market`: confirm-deposit, timesheets auto-approve, payouts run and
confirm, arrears check, ledger check. Registered by `add_commands` from market/cli.py."""
from __future__ import annotations

import argparse
import asyncio
import sys
import uuid
from datetime import date
from pathlib import Path
from typing import Awaitable, Callable

from market import db
from market.config import Settings
from market.kernel import clock


def _with_service(settings: Settings, work: Callable[..., Awaitable[int]]) -> int:
    from market.catalogue.service import Catalogue
    from market.servers import servers
    from market.settlement.service import Settlements

    async def run(ready: Settings) -> int:
        pool = await db.create_pool(ready.database_url, min_size=1, max_size=4)
        try:
            async with pool.acquire() as conn:
                await db.upgrade(conn)
            return await work(Settlements(pool, Catalogue(pool), ready))
        finally:
            await pool.close()

    with servers(settings) as ready:
        return asyncio.run(run(ready))


def cmd_confirm_deposit(settings: Settings, args: argparse.Namespace) -> int:
    async def work(service) -> int:
        deposit = await service.confirm_deposit(uuid.UUID(args.deposit_id))
        print(f"deposit {deposit.id} confirmed: {deposit.amount_fen} fen")
        return 0
    return _with_service(settings, work)


def cmd_auto_approve(settings: Settings, args: argparse.Namespace) -> int:
    async def work(service) -> int:
        print(f"auto-approved {await service.auto_approve()}, settled {await service.settle_pending()}")
        return 0
    return _with_service(settings, work)


def cmd_payouts_run(settings: Settings, args: argparse.Namespace) -> int:
    due_by = args.due_by or clock.today()

    async def work(service) -> int:
        batch_id = await service.run_payouts(due_by, allow_empty=False)
        if batch_id is None:
            print(f"nothing due by {due_by.isoformat()}: no batch created", file=sys.stderr)
            return 0
        text = await service.batch_csv(batch_id)
        if args.output:
            Path(args.output).write_text(text, encoding="utf-8")
        else:
            sys.stdout.write(text)
        print(f"batch {batch_id}", file=sys.stderr)
        return 0
    return _with_service(settings, work)


def cmd_payouts_confirm(settings: Settings, args: argparse.Namespace) -> int:
    async def work(service) -> int:
        batch = await service.confirm_batch(uuid.UUID(args.batch_id))
        print(f"batch {batch.id} {batch.state}")
        return 0
    return _with_service(settings, work)


def cmd_arrears_check(settings: Settings, args: argparse.Namespace) -> int:
    async def work(service) -> int:
        found = await service.check_arrears()
        print(f"{len(found)} new arrears")
        return 0
    return _with_service(settings, work)


def cmd_ledger_check(settings: Settings, args: argparse.Namespace) -> int:
    async def work(service) -> int:
        report = await service.ledger_check()
        print(f"{'kind':<40} {'holder':<13} {'holder id':<36} {'balance_fen':>15}")
        for kind, holder_type, holder_id, amount in report.trial_balance:
            print(f"{kind:<40} {holder_type:<13} {holder_id:<36} {amount:>15}")
        print(f"{'total':<91} {sum(row[3] for row in report.trial_balance):>15}")
        for problem in report.problems:
            print(f"BREAK: {problem}", file=sys.stderr)
        print("ledger ok" if report.ok else f"ledger broken: {len(report.problems)} problem(s)")
        return 0 if report.ok else 1
    return _with_service(settings, work)


def add_commands(sub: argparse._SubParsersAction, admin: argparse._SubParsersAction) -> None:
    confirm = admin.add_parser("confirm-deposit", help="confirm a declared deposit: credits the employer's escrow")
    confirm.add_argument("deposit_id")
    confirm.set_defaults(run=cmd_confirm_deposit)

    timesheets = sub.add_parser("timesheets", help="timesheet tasks").add_subparsers(dest="command", required=True)
    timesheets.add_parser("auto-approve", help="approve timesheets left unanswered past the setting; settle them"
                          ).set_defaults(run=cmd_auto_approve)

    payouts = sub.add_parser("payouts", help="payout batches").add_subparsers(dest="command", required=True)
    run = payouts.add_parser("run", help="build a payout batch of everything due; print the bank file (CSV)")
    run.add_argument("--due-by", type=date.fromisoformat, help="YYYY-MM-DD (default today, Chongqing)")
    run.add_argument("--output", help="write the bank file here instead of stdout")
    run.set_defaults(run=cmd_payouts_run)
    paid = payouts.add_parser("confirm", help="the bank paid a batch: mark its payouts paid")
    paid.add_argument("batch_id")
    paid.set_defaults(run=cmd_payouts_confirm)

    arrears = sub.add_parser("arrears", help="wage arrears").add_subparsers(dest="command", required=True)
    arrears.add_parser("check", help="record arrears for pay past its due date").set_defaults(run=cmd_arrears_check)

    ledger = sub.add_parser("ledger", help="the ledger").add_subparsers(dest="command", required=True)
    ledger.add_parser("check", help="recompute balances, check every entry; non-zero exit on any break"
                      ).set_defaults(run=cmd_ledger_check)
