"""The filings: the monthly 个人所得税 withholding file per payer, which opens the sealed resident
IDs (admins only, each opening audited), the re-sealing of those IDs under the newest key, and the
monthly 职业伤害保障 report for the social insurance agency (masked IDs only: it opens nothing)."""
from __future__ import annotations

import logging
import uuid
from datetime import date
from typing import Callable

import asyncpg

from market.errors import NotFound
from market.filings import model, queries
from market.kernel.principal import Principal
from market.sealing import Keyring, Sealed, SealingError, worker_id_number_aad

log = logging.getLogger("market.filings")

NO_SUCH_PAYER = "no organisation with this id"


def next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


class Filings:
    def __init__(self, pool: asyncpg.Pool, keyring: Keyring, platform_name: str = "market") -> None:
        self.pool = pool
        self.keyring = keyring
        self.platform_name = platform_name

    async def occupational_injury_file(self, month: date) -> str:
        """Every order of `month` (by shift day) whose settlement paid a 职业伤害保障 contribution, one
        row per worker and order, for the social insurance agency."""
        async with self.pool.acquire() as conn:
            rows = await queries.covered_orders(conn, month, next_month(month))
        return model.occupational_injury_csv(self.platform_name, rows)

    async def withholding_file(self, admin: Principal, payer_id: uuid.UUID, month: date,
                               item: model.IncomeItem) -> str:
        """The withholding file of one payer, month and income item. The IDs are opened and the
        opening is recorded in one transaction: no file leaves without its audit row."""
        async with self.pool.acquire() as conn, conn.transaction():
            if not await queries.payer_exists(conn, payer_id):
                raise NotFound(NO_SUCH_PAYER)
            found = await queries.withholdings(conn, payer_id, month, next_month(month), model.RELATIONSHIPS[item])
            rows = [self._opened(r) for r in found]
            decrypted = sum(1 for r in rows if r.id_number is not None)
            await queries.record_decryption(conn, admin.account_id, f"iit_{item.value}", payer_id, month,
                                            decrypted, len(rows) - decrypted)
        return model.withholding_csv(item, rows)

    def _opened(self, row: asyncpg.Record) -> model.Withholding:
        id_number, unreadable = None, False
        if row["id_number_sealed"] is not None:
            try:
                id_number = self.keyring.open(Sealed(row["id_number_key_id"], row["id_number_sealed"]),
                                              worker_id_number_aad(row["account_id"]))
            except SealingError as error:
                # Named by the worker's id only: never the number, which did not open anyway.
                log.error("sealed id number does not open", extra={"worker_id": str(row["worker_id"]),
                                                                   "reason": str(error)})
                unreadable = True
        return model.Withholding(row["worker_id"], row["name"], id_number, unreadable, row["income_fen"],
                                 row["tax_withheld_fen"], row["payments"])

    async def reseal(self, progress: Callable[[int, int], None], batch: int = 500) -> int:
        """Seal every resident ID not yet under the keyring's first key with it, a batch per
        transaction, calling `progress(done, total)` after each; idempotent (a second run finds
        nothing to do). An ID that does not open stops the run (its old key is missing)."""
        current = self.keyring.current_key_id
        async with self.pool.acquire() as conn:
            total = await conn.fetchval(queries.COUNT_STALE_SEALS, current)
            done = 0
            while True:
                async with conn.transaction():
                    stale = await conn.fetch(queries.STALE_SEALS, current, batch)
                    if not stale:
                        return done
                    updates = []
                    for row in stale:
                        aad = worker_id_number_aad(row["account_id"])
                        clear = self.keyring.open(Sealed(row["id_number_key_id"], row["id_number_sealed"]), aad)
                        sealed = self.keyring.seal(clear, aad)
                        updates.append((row["id"], sealed.blob, sealed.key_id))
                    await conn.executemany(queries.UPDATE_SEAL, updates)
                done += len(updates)
                progress(done, max(total, done))
