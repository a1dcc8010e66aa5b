"""The ledger check (`market ledger check`): every cached balance equals its journal, every entry
balances over at least two postings, no business key twice, no escrow negative, and the trial
balance sums to zero — read in one repeatable-read snapshot."""
from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from market.settlement import queries


@dataclass(frozen=True)
class LedgerReport:
    ok: bool
    problems: list[str]
    trial_balance: list[tuple[str, str, str, int]]


class LedgerCheck:
    pool: asyncpg.Pool

    async def ledger_check(self) -> LedgerReport:
        async with self.pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
            balances = await queries.recomputed_balances(conn)
            unbalanced = await queries.unbalanced_entries(conn)
            duplicates = await queries.duplicate_keys(conn)
            negative = await queries.negative_escrow(conn)
        problems = [f"account {r.id} ({r.kind} {r.holder_type}): cached {r.cached_fen} ≠ journal "
                    f"{r.journal_fen}" for r in balances if r.cached_fen != r.journal_fen]
        problems += [f"entry {r.id} ({r.business_key}) sums to {r.total} over {r.legs} postings" for r in unbalanced]
        problems += [f"business key {r.business_key} used {r.uses} times" for r in duplicates]
        problems += [f"escrow account {r.id} is negative: {r.balance_fen}" for r in negative]
        total = sum(r.journal_fen for r in balances)
        if total != 0:
            problems.append(f"the trial balance does not sum to zero: {total}")
        trial = [(r.kind, r.holder_type, str(r.holder_id), r.journal_fen) for r in balances]
        return LedgerReport(not problems, problems, trial)
