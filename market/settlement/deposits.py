"""Deposits into escrow and the employer's balance: a declared bank transfer, its confirmation
(bank clearing → escrow, once), what is available and held, and the arrears red flag."""
from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg

from market.kernel.principal import Principal
from market.errors import NotFound
from market.events.outbox import emit
from market.kernel import clock
from market.settlement import escrow, ledger, queries
from market.settlement.records import Balance, Deposit


class Deposits:
    pool: asyncpg.Pool

    async def declare_deposit(self, caller: Principal, amount_fen: int, bank_reference: str, *,
                              now: datetime | None = None) -> Deposit:
        async with self.pool.acquire() as conn, conn.transaction():
            return await queries.insert_deposit(conn, caller.organisation_id, amount_fen, bank_reference,
                                                clock.now(now))

    async def confirm_deposit(self, deposit_id: uuid.UUID, *, now: datetime | None = None) -> Deposit:
        """Credit escrow with a declared transfer the bank shows arrived (bank clearing → escrow).
        Confirming twice changes nothing."""
        now = clock.now(now)
        async with self.pool.acquire() as conn, conn.transaction():
            deposit = await queries.deposit_for_update(conn, deposit_id)
            if deposit is None:
                raise NotFound("no such deposit")
            if deposit.state == "confirmed":
                return deposit
            organisation_id, amount = deposit.organisation_id, deposit.amount_fen
            await ledger.post_entry(conn, f"deposit:{deposit_id}", "deposit",
                                    [(ledger.BANK_CLEARING, amount), (ledger.escrow(organisation_id), -amount)],
                                    memo=f"bank transfer {deposit.bank_reference}", organisation_id=organisation_id,
                                    now=now)
            confirmed = await queries.confirm_deposit(conn, deposit_id, now)
            await emit(conn, "deposit.confirmed", {"deposit_id": str(deposit_id), "amount_fen": amount},
                       organisation_ids=[organisation_id])
            return confirmed

    async def balance(self, caller: Principal) -> Balance:
        organisation_id = caller.organisation_id
        assert organisation_id is not None  # the route is an employer's
        async with self.pool.acquire() as conn:
            return Balance(available_fen=await escrow.escrow_available(conn, organisation_id),
                           held_fen=await escrow.escrow_held(conn, organisation_id),
                           red_flag_since=await queries.red_flag_since(conn, organisation_id))

    async def red_flag_since(self, organisation_id: uuid.UUID) -> datetime | None:
        async with self.pool.acquire() as conn:
            return await queries.red_flag_since(conn, organisation_id)
