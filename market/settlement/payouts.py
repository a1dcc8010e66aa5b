"""Payouts: a batch of everything due to each payee (worker; organisation: a lender's fees for shared
labor, an agency's service fees), its bank file, and the bank's confirmation that it was paid."""
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
from market.catalogue.model import MinimumWageTable
from market.catalogue.service import Catalogue
from market.settlement import daily, ledger, model, queries
from market.settlement.records import Payable, Payee, Payout, PayoutBatch

log = logging.getLogger(__name__)


PLATFORM_FEE_REVENUE = ledger.LedgerAccount("platform_fee_revenue", "platform", model.PLATFORM_ID)


class Payouts:
    pool: asyncpg.Pool
    settings: Settings
    catalogue: Catalogue

    async def run_slot(self, slot: datetime, *, now: datetime | None = None) -> tuple[uuid.UUID, bool]:
        """The payout run of one schedule slot (docs/faster-pay.md), once: the slot's batch is made
        under its unique key, so two processes running the slot build the same batch (and pay each
        payee once, by the payout's own key); a slot already exported is not run again. Returns the
        slot's batch and whether this call ran it (False: it had run already).
        A batch left building by another run is finished first (one batch is built at a time)."""
        key = daily.slot_key(slot)
        due_by = slot.astimezone(clock.SHANGHAI).date()
        now = clock.now(now)
        for _ in range(5):
            async with self.pool.acquire() as conn, conn.transaction():
                mine = await queries.batch_of_slot(conn, key)
                if mine is not None and mine.state != "building":
                    return mine.id, False  # this slot ran already
                building = mine or await queries.building_batch(conn)
                if building is None:
                    building = await queries.insert_slot_batch(conn, due_by, now, key)
            if building is None:
                continue  # another run made a batch a moment ago: look again
            await self._build(building.id, building.due_by, now)  # this slot's batch, or the one in the way
            if building.slot_key == key:
                return building.id, True
        raise Conflict("the payout slot could not start: batches kept being made by other runs", slot_key=key)

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
            if batch is None and not allow_empty and not await queries.any_payable_due(
                    conn, due_by, daily.daily_payout_types()):
                return None
            batch = batch or await queries.insert_batch(conn, due_by, now)
            if batch is None:  # another run created one a moment ago
                batch = await queries.building_batch(conn)
        assert batch is not None  # made by this run or by the one that beat it
        return await self._build(batch.id, batch.due_by, now)

    async def _build(self, batch_id: uuid.UUID, due_by: date, now: datetime) -> uuid.UUID:
        """Pay every payee due into the batch (one transaction each), then export it."""
        async with self.pool.acquire() as conn:
            payees = await queries.payees_due(conn, due_by, daily.daily_payout_types())
        minimum_wages = MinimumWageTable((await self.catalogue.data()).minimum_wages)
        for payee in payees:
            try:
                await self._pay_one(batch_id, due_by, payee, now, minimum_wages)
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

    async def _pay_one(self, batch_id: uuid.UUID, due_by: date, payee: Payee, now: datetime,
                       minimum_wages: MinimumWageTable) -> None:
        async with self.pool.acquire() as conn, conn.transaction():
            if not await queries.batch_still_building(conn, batch_id):
                return  # another run exported it meanwhile: what is left waits for the next batch
            payables = await queries.payables_of_payee_for_update(conn, due_by, payee, daily.daily_payout_types())
            amount = sum(p.amount_fen for p in payables)
            if amount <= 0:
                return
            fee = daily.daily_payout_fee(self.settings.daily_payout_fee_fen,
                                         _early(payables, due_by, minimum_wages)) if payee.payee_type == "worker" else 0
            # The daily-payout fee is a line of the payout's own entry: worker payable → platform fee revenue.
            entry_id, new = await ledger.post_entry(
                conn, f"payout:{batch_id}:{payee.payee_type}:{payee.payee_id}", "payout",
                [*_paid_from(payee, payables), (ledger.BANK_CLEARING, -(amount - fee)), (PLATFORM_FEE_REVENUE, -fee)],
                memo=f"payout batch {batch_id}", now=now)
            if not new:
                return  # this payee is already paid in this batch; newer payables wait for the next one
            await queries.insert_payout(conn, uuid.uuid4(), batch_id, payee, amount - fee, entry_id, now, payables,
                                        fee_fen=fee)

    async def payout_preference(self, worker_id: uuid.UUID) -> tuple[str, datetime | None]:
        """The worker's payout cadence ('on_due_date' until they choose) and when they chose it."""
        async with self.pool.acquire() as conn:
            row = await queries.payout_preference(conn, worker_id)
        return (daily.ON_DUE_DATE, None) if row is None else (row["cadence"], row["updated_at"])

    async def set_payout_preference(self, worker_id: uuid.UUID, cadence: str, *,
                                    now: datetime | None = None) -> tuple[str, datetime]:
        async with self.pool.acquire() as conn:
            row = await queries.set_payout_preference(conn, worker_id, cadence, clock.now(now))
        return row["cadence"], row["updated_at"]

    async def payouts_of_worker(self, worker_id: uuid.UUID, limit: int = 100) -> list[Payout]:
        async with self.pool.acquire() as conn:
            return await queries.payouts_of_worker(conn, worker_id, limit)

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


def _paid_from(payee: Payee, payables: list[Payable]) -> list[tuple[ledger.LedgerAccount, int]]:
    """The accounts a payout settles (debits): a worker's payable; for an organisation, its lender
    receivable (shared-labor fees) and its agency fee account (docs/agencies.md), each by what its
    payables hold. An organisation that is both lender and agency gets one payout with both lines."""
    if payee.payee_type == "worker":
        return [(ledger.worker_payable(payee.payee_id), sum(p.amount_fen for p in payables))]
    agency = sum(p.amount_fen for p in payables if p.source == "agency_fee")
    lender = sum(p.amount_fen for p in payables if p.source != "agency_fee")
    return [(ledger.lender_receivable(payee.payee_id), lender),
            (ledger.agency_fee_payable(payee.payee_id), agency)]


def _early(payables: list[Payable], due_by: date, minimum_wages: MinimumWageTable) -> list[daily.EarlyPayable]:
    """The payables paid before their due date (daily pay), with the minimum wage for their minutes."""
    early = []
    for p in payables:
        if p.due_date is None or p.due_date <= due_by:
            continue
        minimum = (minimum_wages.hourly_minimum_fen(p.tier, p.shift_date)
                   if p.tier is not None and p.shift_date is not None else 0)
        early.append(daily.EarlyPayable(p.amount_fen, p.paid_minutes or 0, minimum))
    return early
