"""Posting to the double-entry ledger inside the caller's transaction.

The database holds the invariants (schema.sql): entries sum to zero at commit, postings and
entries are immutable, escrow accounts never go negative, business keys are unique. This module
only writes: `post_entry` inserts an entry under its business key and, if the key was already
posted, does nothing and says so — a retry of any step can therefore never post twice.
"""
from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

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


def agency_fee_payable(organisation_id: uuid.UUID) -> LedgerAccount:
    """An agency's service fees owed to it (docs/agencies.md), paid out by the payout batch."""
    return LedgerAccount("agency_fee_payable", "organisation", organisation_id)


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


@dataclass(frozen=True)
class Entry:
    """A journal entry to post: its business key (unique forever), kind and postings."""

    business_key: str
    kind: str
    postings: tuple[tuple[LedgerAccount, int], ...]
    memo: str = ""
    organisation_id: uuid.UUID | None = None
    order_id: uuid.UUID | None = None
    assignment_id: uuid.UUID | None = None
    reverses: int | None = None


async def post_entry(
    conn: asyncpg.Connection, business_key: str, kind: str, postings: Iterable[tuple[LedgerAccount, int]], *,
    memo: str = "", organisation_id: uuid.UUID | None = None, order_id: uuid.UUID | None = None,
    assignment_id: uuid.UUID | None = None, reverses: int | None = None, now: datetime | None = None,
) -> tuple[int, bool]:
    """Post one journal entry; return (entry id, whether it was posted now). An entry already posted
    under `business_key` is left alone and reported as (its id, False). Zero amounts are dropped;
    the database refuses the commit if the rest does not sum to zero. `now` is the entry's time
    (the database's clock when None)."""
    [posted] = await post_entries(conn, [Entry(business_key, kind, tuple(postings), memo, organisation_id, order_id,
                                               assignment_id, reverses)], now=now)
    return posted


async def post_entries(conn: asyncpg.Connection, entries: Sequence[Entry], *,
                       now: datetime | None = None) -> list[tuple[int, bool]]:
    """Post many entries in four statements whatever their number (settlement batches); per entry,
    (its id, whether it was posted now), as `post_entry`. A key given twice is posted once."""
    keyed, postings = await open_entries(conn, entries, now=now)
    await postings.post(conn)
    return keyed


@dataclass(frozen=True)
class Postings:
    """The postings of entries opened by `open_entries`, to post before the transaction commits."""

    rows: tuple[tuple[int, LedgerAccount, int], ...]

    async def post(self, conn: asyncpg.Connection) -> None:
        """Insert the postings, ordered by account and, within an account, in the order given: every
        transaction touches ledger rows in the same order (no deadlock between batches), and a hold
        posted back to escrow comes before the settlement that spends it (the escrow CHECK holds at
        every row, not only at commit). The statement locks every account it touches until commit,
        so a caller with more to write (a settlement batch) posts last: concurrent batches then
        wait on the shared platform accounts only for this statement and the commit."""
        if not self.rows:
            return
        ids = await account_ids(conn, {account for _, account, _ in self.rows})
        rows = sorted(self.rows, key=lambda p: ids[p[1]])  # stable: the given order within an account
        await conn.execute(queries.INSERT_POSTINGS, [p[0] for p in rows], [ids[p[1]] for p in rows],
                           [p[2] for p in rows])


async def open_entries(conn: asyncpg.Connection, entries: Sequence[Entry], *,
                       now: datetime | None = None) -> tuple[list[tuple[int, bool]], Postings]:
    """Insert the entries (not yet their postings); per entry, (its id, whether it is new), and the
    new entries' postings, which the caller must `post` in the same transaction: the commit-time
    check refuses an entry without balanced postings."""
    if not conn.is_in_transaction():
        raise RuntimeError("open_entries() and post_entries() run inside the caller's transaction")
    first = list({e.business_key: e for e in reversed(entries)}.values())[::-1]  # first of each key wins
    inserted = await conn.fetch(
        queries.INSERT_ENTRIES, [e.business_key for e in first], [e.kind for e in first], [e.memo for e in first],
        [e.organisation_id for e in first], [e.order_id for e in first], [e.assignment_id for e in first],
        [e.reverses for e in first], now)
    new = {r["business_key"]: r["id"] for r in inserted}
    old_keys = [e.business_key for e in first if e.business_key not in new]
    old = {r["business_key"]: r["id"] for r in await conn.fetch(queries.ENTRIES_BY_KEYS, old_keys)} if old_keys else {}
    postings: list[tuple[int, LedgerAccount, int]] = []
    for e in first:
        if e.business_key not in new:
            continue
        merged: dict[LedgerAccount, int] = {}
        for account, amount_fen in e.postings:
            merged[account] = merged.get(account, 0) + amount_fen
        postings += [(new[e.business_key], account, amount) for account, amount in merged.items() if amount]
    keyed = [(new[e.business_key], True) if e.business_key in new else (old[e.business_key], False) for e in entries]
    return keyed, Postings(tuple(postings))


async def account_ids(conn: asyncpg.Connection, accounts: Iterable[LedgerAccount]) -> dict[LedgerAccount, int]:
    """Ids of the accounts, creating those never used: one statement when all exist (a settlement
    batch's usually do), three otherwise."""
    def columns(accounts):
        accounts = sorted(set(accounts), key=lambda a: (a.kind, a.holder_type, str(a.holder_id)))
        return [a.kind for a in accounts], [a.holder_type for a in accounts], [a.holder_id for a in accounts]

    async def known(accounts):
        return {LedgerAccount(r["kind"], r["holder_type"], r["holder_id"]): r["id"]
                for r in await conn.fetch(queries.ACCOUNT_IDS, *columns(accounts))}

    accounts = set(accounts)
    ids = await known(accounts)
    if missing := accounts - ids.keys():
        await conn.execute(queries.ENSURE_ACCOUNTS, *columns(missing))  # sorted: concurrent creators never deadlock
        ids |= await known(missing)
    return ids
