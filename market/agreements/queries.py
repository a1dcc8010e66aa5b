"""SQL of consents' decisions and three-party agreements, and the functions that run it (taking a
connection, returning the records of model.py and of market/bids/model.py)."""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import asyncpg

from market.agreements.model import Agreement, PendingConsent
from market.bids.model import StoredConsent
from market.bids.queries import CONSENT_COLUMNS, consent_of_row

CONSENTS_OF_WORKER = ("SELECT " + CONSENT_COLUMNS + """ FROM consents c
JOIN workers w ON w.id = c.worker_id JOIN shared_bids sb ON sb.id = c.shared_bid_id
JOIN organisations lo ON lo.id = sb.lender_id
WHERE c.worker_id = $1 ORDER BY c.created_at DESC, c.id DESC
""")
CONSENT_FOR_UPDATE = """
SELECT c.id, c.shared_bid_id, c.employment_id, c.worker_id, c.wage_hourly_fen, c.state FROM consents c
WHERE c.id = $1 FOR UPDATE
"""
DECIDE_CONSENT = "UPDATE consents SET state = $2, decided_at = $3 WHERE id = $1"
INSERT_AGREEMENT = """
INSERT INTO agreements (consent_id, order_id, borrower_id, lender_id, worker_id, terms, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id, created_at
"""
AGREEMENT_COLUMNS = "id, consent_id, order_id, borrower_id, lender_id, worker_id, terms, created_at"
AGREEMENT_BY_ID = "SELECT " + AGREEMENT_COLUMNS + " FROM agreements WHERE id = $1"
AGREEMENTS_OF_PARTY = ("SELECT " + AGREEMENT_COLUMNS + """ FROM agreements
WHERE borrower_id = $1 OR lender_id = $1 OR worker_id = $1 ORDER BY created_at DESC, id DESC
""")
ORGANISATION_NAMES = "SELECT id, name FROM organisations WHERE id = ANY($1::uuid[])"
WORKER_NAME = "SELECT name FROM workers WHERE id = $1"


async def consents_of_worker(conn: asyncpg.Connection, worker_id: uuid.UUID) -> list[StoredConsent]:
    return [consent_of_row(r) for r in await conn.fetch(CONSENTS_OF_WORKER, worker_id)]


async def consent_for_update(conn: asyncpg.Connection, consent_id: uuid.UUID) -> PendingConsent | None:
    row = await conn.fetchrow(CONSENT_FOR_UPDATE, consent_id)
    return PendingConsent(**dict(row)) if row else None


async def decide_consent(conn: asyncpg.Connection, consent_id: uuid.UUID, state: str, now: datetime) -> None:
    await conn.execute(DECIDE_CONSENT, consent_id, state, now)


async def insert_agreement(conn: asyncpg.Connection, consent_id: uuid.UUID, order_id: uuid.UUID,
                           borrower_id: uuid.UUID, lender_id: uuid.UUID, worker_id: uuid.UUID,
                           terms: dict[str, Any], now: datetime) -> Agreement:
    row = await conn.fetchrow(INSERT_AGREEMENT, consent_id, order_id, borrower_id, lender_id, worker_id, terms, now)
    return Agreement(row["id"], consent_id, order_id, borrower_id, lender_id, worker_id, terms, row["created_at"])


async def agreement_by_id(conn: asyncpg.Connection, agreement_id: uuid.UUID) -> Agreement | None:
    row = await conn.fetchrow(AGREEMENT_BY_ID, agreement_id)
    return Agreement(**dict(row)) if row else None


async def agreements_of_party(conn: asyncpg.Connection, party_id: uuid.UUID) -> list[Agreement]:
    return [Agreement(**dict(r)) for r in await conn.fetch(AGREEMENTS_OF_PARTY, party_id)]


async def organisation_names(conn: asyncpg.Connection, ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    return {r["id"]: r["name"] for r in await conn.fetch(ORGANISATION_NAMES, ids)}


async def worker_name(conn: asyncpg.Connection, worker_id: uuid.UUID) -> str | None:
    return await conn.fetchval(WORKER_NAME, worker_id)
