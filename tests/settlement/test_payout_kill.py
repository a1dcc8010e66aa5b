"""A payout batch killed mid-run (SIGKILL: no cleanup, no rollback by the process) and run again
pays every due payable exactly once: no payout or journal entry twice, none lost, the ledger checks.
"""
from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from datetime import timedelta

import pytest

from tests import factories
from tests.settlement.support import assert_one_batch_paid_each_payee_once, assign, fund, minutes, now_local, shift_at

PAYEES = 8
DELAY_PER_PAYEE_SECONDS = 0.5


def _environment(database: str, redis_url: str, tmp_path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MARKET_")}
    env.update(MARKET_DATABASE_URL=database, MARKET_REDIS_URL=redis_url, MARKET_DATA_DIR=str(tmp_path),
               MARKET_HASH_KEY="test-hash-key", MARKET_PAYOUT_DELAY_PER_PAYEE_SECONDS=str(DELAY_PER_PAYEE_SECONDS))
    return env


async def _market(env: dict[str, str], *args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(sys.executable, "-m", "market", *args, env=env,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)


async def _late_cancellation_payables(client, conn) -> int:
    """PAYEES workers, each owed a late-cancellation compensation (a payable), from one order."""
    employer = await factories.employer(client, escrow_fen=0)
    await fund(client, employer, 10**7)
    start = now_local() + minutes(120)
    posted, shift_id = await shift_at(client, conn, employer, start, start + minutes(240), headcount=PAYEES)
    for _ in range(PAYEES):
        await assign(conn, shift_id, await factories.worker(client))
    cancelled = await client.post(f"/v1/orders/{posted['id']}/cancel", json={"reason": "rain"}, headers=employer.auth)
    assert cancelled.status == 200, await cancelled.text()
    return await conn.fetchval("SELECT count(*) FROM payables WHERE payout_id IS NULL")


@pytest.mark.slow
async def test_a_payout_batch_killed_mid_run_and_run_again_pays_every_payable_exactly_once(
        client, conn, database, redis_url, tmp_path):
    assert await _late_cancellation_payables(client, conn) == PAYEES
    env = _environment(database, redis_url, tmp_path)
    due_by = (now_local() + timedelta(days=60)).date().isoformat()

    first = await _market(env, "payouts", "run", "--due-by", due_by)
    deadline = time.monotonic() + 60
    while await conn.fetchval("SELECT count(*) FROM payouts") < 2:  # well into the batch, far from its end
        assert first.returncode is None, (await first.communicate())[1].decode()
        assert time.monotonic() < deadline, "the payout run made no progress"
        await asyncio.sleep(0.05)
    first.send_signal(signal.SIGKILL)
    await first.communicate()
    assert first.returncode == -signal.SIGKILL
    paid_before_the_kill = await conn.fetchval("SELECT count(*) FROM payouts")
    assert 2 <= paid_before_the_kill < PAYEES
    assert await conn.fetchval("SELECT state FROM payout_batches") == "building"

    second = await _market(env, "payouts", "run", "--due-by", due_by)
    out, err = await second.communicate()
    assert second.returncode == 0, err.decode()

    # One batch, resumed; one payout and one payout entry per payee; every payable in exactly one.
    assert await conn.fetchval("SELECT state FROM payout_batches") == "exported"
    await assert_one_batch_paid_each_payee_once(conn, PAYEES)
    bank_file = out.decode().splitlines()
    assert len(bank_file) == 1 + PAYEES  # header + one line per payee

    check = await _market(env, "ledger", "check")
    report, err = await check.communicate()
    assert check.returncode == 0, report.decode() + err.decode()
    assert "ledger ok" in report.decode()
