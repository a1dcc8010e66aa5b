"""Filings subcommands of `market admin`: reseal-ids. Registered by `add_commands` from market/cli.py."""
from __future__ import annotations

import argparse
import asyncio

from market import db
from market.config import Settings


def cmd_reseal_ids(settings: Settings, args: argparse.Namespace) -> int:
    from market.filings.service import Filings
    from market.sealing import keyring
    from market.servers import servers

    async def run(ready: Settings) -> int:
        assert ready.database_url is not None  # servers() fills it in
        pool = await db.create_pool(ready.database_url, min_size=1, max_size=2)
        try:
            async with pool.acquire() as conn:
                await db.upgrade(conn)
            ring = keyring(ready)
            done = await Filings(pool, ring).reseal(lambda n, total: print(f"resealed {n}/{total}", flush=True),
                                                    batch=args.batch)
        finally:
            await pool.close()
        print(f"{done} resident IDs resealed; every sealed ID is under key {ring.current_key_id}")
        return 0

    with servers(settings) as ready:
        return asyncio.run(run(ready))


def add_commands(admin: argparse._SubParsersAction) -> None:
    reseal = admin.add_parser("reseal-ids", help="seal every resident ID under the first key of MARKET_SEALING_KEYS "
                                                 "(key rotation; idempotent)")
    reseal.add_argument("--batch", type=int, default=500, help="rows per transaction (default 500)")
    reseal.set_defaults(run=cmd_reseal_ids)
