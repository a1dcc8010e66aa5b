"""`market payouts run` through the real command line, on the test servers."""
from __future__ import annotations

import asyncio
import os
import sys


async def payouts_run(database: str, redis_url: str, *args: str) -> tuple[int, str, str]:
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("MARKET_")},
           "MARKET_DATABASE_URL": database, "MARKET_REDIS_URL": redis_url, "MARKET_HASH_KEY": "test-hash-key"}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "market", "payouts", "run", *args, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), 120)
    return process.returncode, out.decode(), err.decode()


async def test_payouts_run_with_nothing_due_creates_no_batch_and_says_so(database, redis_url, conn):
    status, out, err = await payouts_run(database, redis_url, "--due-by", "2026-03-01")
    assert status == 0, err
    assert out == ""  # no bank file: there is nothing to pay
    assert err.strip().splitlines()[-1] == "nothing due by 2026-03-01: no batch created"
    assert await conn.fetchval("SELECT count(*) FROM payout_batches") == 0

    # And again: still none (before, each run left one more empty batch).
    status, _, err = await payouts_run(database, redis_url, "--due-by", "2026-03-01")
    assert status == 0, err
    assert await conn.fetchval("SELECT count(*) FROM payout_batches") == 0
