"""Payouts: a batch of everything due to each payee (worker, or lender for shared labor), its bank
file, and the bank's confirmation that it was paid."""
from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import date, datetime

import asyncpg

from market.background import raise_if_cancelled
from market.config import Settings
from market.errors import Conflict, NotFound
from market.kernel import clock
from market.settlement import ledger, model, queries
from market.settlement.records import Payee, Payout, PayoutBatch

log = logging.getLogger(__name__)


class Payouts:
    pool: asyncpg.Pool
    settings: Settings

    async def run_payouts(self, due_by: date, *, allow_empty: bool = True,
                          now: datetime | None = None) -> uuid.UUID | None:
        """Build a payout batch: one payout per payee of everything due by `due_by` and not yet in a
        payout. Each payee is one transaction (entry payable → bank clearing, payout, links), so a
        run killed midway leaves whole payouts only; the next run resumes the batch being built.
        Re-running never pays a payable twice: it is linked to its payout in the same transaction.
        `allow_empty=False`: with no batch to resume and nothing due, no batch is made (None)."""
        now = clock.now(now)
        async with self.pool.acquire() as conn, conn.transaction():
            batch = await queries.building_batch(conn)
            if batch is None and not allow_empty and not await queries.any_payable_due(conn, due_by):
                return None
            batch = batch or await queries.insert_batch(conn, due_by, now)
            if batch is None:  # another run created one a moment ago
                batch = await queries.building_batch(conn)
        assert batch is not None  # made by this run or by the one that beat it
        batch_id, due_by = batch.id, batch.due_by
        async with self.pool.acquire() as conn:
            payees = await queries.payees_due(conn, due_by)
        for payee in payees:
            try:
                await self._pay_one(batch_id, due_by, payee, now)
            except (OSError, asyncpg.InterfaceError, asyncpg.PostgresConnectionError):
                raise  # the database is away: the run fails, and the next one resumes the batch
            except Exception as error:
                raise_if_cancelled(error)
                # One payee whose payout cannot be computed (a row written around the API: amounts
                # summing past bigint) is left out of the batch, whole, and logged; everyone else is paid.
                log.exception("payee left out of the payout batch", extra={
                    "batch_id": str(batch_id), "payee_type": payee.payee_type, "payee_id": str(payee.payee_id)})
            if self.settings.payout_delay_per_payee_seconds:
                await asyncio.sleep(self.settings.payout_delay_per_payee_seconds)
        async with self.pool.acquire() as conn, conn.transaction():
            await queries.export_batch(conn, batch_id, now)
        return batch_id

    async def _pay_one(self, batch_id: uuid.UUID, due_by: date, payee: Payee, now: datetime) -> None:
        async with self.pool.acquire() as conn, conn.transaction():
            payables = await queries.payables_of_payee_for_update(conn, due_by, payee)
            amount = sum(p.amount_fen for p in payables)
            if amount <= 0:
                return
            account = (ledger.worker_payable(payee.payee_id) if payee.payee_type == "worker"
                       else ledger.lender_receivable(payee.payee_id))
            entry_id, new = await ledger.post_entry(
                conn, f"payout:{batch_id}:{payee.payee_type}:{payee.payee_id}", "payout",
                [(account, amount), (ledger.BANK_CLEARING, -amount)], memo=f"payout batch {batch_id}", now=now)
            if not new:
                return  # this payee is already paid in this batch; newer payables wait for the next one
            await queries.insert_payout(conn, uuid.uuid4(), batch_id, payee, amount, entry_id, now, payables)

    async def batch_csv(self, batch_id: uuid.UUID) -> str:
        _, payouts = await self.batch(batch_id)
        return model.bank_batch_csv([model.PayoutLine(p.batch_id, p.id, p.payee_type, p.payee_id, p.payee_name or "",
                                                      p.amount_fen, f"market payout {batch_id}") for p in payouts])

    async def batch(self, batch_id: uuid.UUID) -> tuple[PayoutBatch, list[Payout]]:
        async with self.pool.acquire() as conn:
            batch = await queries.batch_by_id(conn, batch_id)
            if batch is None:
                raise NotFound("no such payout batch")
            return batch, await queries.payouts_of_batch(conn, batch_id)

    async def confirm_batch(self, batch_id: uuid.UUID, *, now: datetime | None = None) -> PayoutBatch:
        """The bank confirms the batch was paid: every payout of it is marked paid (once)."""
        now = clock.now(now)
        async with self.pool.acquire() as conn, conn.transaction():
            state = await queries.batch_state_for_update(conn, batch_id)
            if state is None:
                raise NotFound("no such payout batch")
            if state == "building":
                raise Conflict("the batch is still being built; run `market payouts run` to finish it",
                               current_state="building")
            if state == "exported":
                await queries.confirm_batch(conn, batch_id, now)
            confirmed = await queries.batch_by_id(conn, batch_id)
            assert confirmed is not None  # locked above
            return confirmed
