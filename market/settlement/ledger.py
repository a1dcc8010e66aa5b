"""Posting to the double-entry ledger inside the caller's transaction.

The database holds the invariants (schema.sql): entries sum to zero at commit, postings and
entries are immutable, escrow accounts never go negative, business keys are unique. This module
only writes: `post_entry` inserts an entry under its business key and, if the key was already
posted, does nothing and says so — a retry of any step can therefore never post twice.
"""
from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import asyncpg

from market.settlement import queries
from market.settlement.model import PLATFORM_ID
from market.settlement.rules import Account, Party


@dataclass(frozen=True)
class LedgerAccount:
    """A concrete account: its kind and holder (an organisation, a worker, or the platform)."""

    kind: str
    holder_type: str
    holder_id: uuid.UUID


def escrow(organisation_id: uuid.UUID) -> LedgerAccount:
    return LedgerAccount("employer_escrow", "organisation", organisation_id)


def escrow_held(organisation_id: uuid.UUID) -> LedgerAccount:
    return LedgerAccount("employer_escrow_held", "organisation", organisation_id)


def worker_payable(worker_id: uuid.UUID) -> LedgerAccount:
    return LedgerAccount("worker_payable", "worker", worker_id)


def lender_receivable(organisation_id: uuid.UUID) -> LedgerAccount:
    return LedgerAccount("lender_receivable", "organisation", organisation_id)


BANK_CLEARING = LedgerAccount("bank_clearing", "platform", PLATFORM_ID)


def concrete(account: Account, parties: Mapping[Party, uuid.UUID]) -> LedgerAccount:
    """The holder of a settlement rule's account: the rules name roles, the ledger names holders."""
    party = account.party
    if party is Party.PLATFORM:
        return LedgerAccount(account.kind.value, "platform", PLATFORM_ID)
    holder_type = "worker" if party is Party.WORKER else "organisation"
    return LedgerAccount(account.kind.value, holder_type, parties[party])


async def account_id(conn: asyncpg.Connection, account: LedgerAccount) -> int:
    found = await conn.fetchval(queries.ACCOUNT_ID, account.kind, account.holder_type, account.holder_id)
    if found is None:
        await conn.execute(queries.ENSURE_ACCOUNT, account.kind, account.holder_type, account.holder_id)
        found = await conn.fetchval(queries.ACCOUNT_ID, account.kind, account.holder_type, account.holder_id)
    return found


async def balance(conn: asyncpg.Connection, account: LedgerAccount) -> int:
    """Debit-positive balance (0 for an account never posted to)."""
    value = await conn.fetchval(queries.ACCOUNT_BALANCE, account.kind, account.holder_type, account.holder_id)
    return value or 0


async def lock_balance(conn: asyncpg.Connection, account: LedgerAccount) -> int:
    """The balance with the account row locked until the transaction ends (serialises holds)."""
    await account_id(conn, account)
    row = await conn.fetchrow(queries.ACCOUNT_FOR_UPDATE, account.kind, account.holder_type, account.holder_id)
    return row["balance_fen"]


async def post_entry(
    conn: asyncpg.Connection, business_key: str, kind: str, postings: Iterable[tuple[LedgerAccount, int]], *,
    memo: str = "", organisation_id: uuid.UUID | None = None, order_id: uuid.UUID | None = None,
    assignment_id: uuid.UUID | None = None, reverses: int | None = None,
) -> tuple[int, bool]:
    """Post one journal entry; return (entry id, whether it was posted now). An entry already posted
    under `business_key` is left alone and reported as (its id, False). Zero amounts are dropped;
    the database refuses the commit if the rest does not sum to zero."""
    if not conn.is_in_transaction():
        raise RuntimeError("post_entry() runs inside the caller's transaction")
    entry_id = await conn.fetchval(queries.INSERT_ENTRY, business_key, kind, memo, organisation_id, order_id,
                                   assignment_id, reverses)
    if entry_id is None:
        return await conn.fetchval(queries.ENTRY_BY_KEY, business_key), False
    merged: dict[LedgerAccount, int] = {}
    for account, amount_fen in postings:
        merged[account] = merged.get(account, 0) + amount_fen
    # Credits first: an entry that moves money out of escrow then fails on the debit leg, whose
    # account the CHECK guards, rather than on an unrelated one.
    for account, amount_fen in sorted(merged.items(), key=lambda item: item[1]):
        if amount_fen != 0:
            await conn.execute(queries.INSERT_POSTING, entry_id, await account_id(conn, account), amount_fen)
    return entry_id, True
