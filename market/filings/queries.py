"""SQL of the filings package."""
from __future__ import annotations

import uuid
from datetime import date

import asyncpg

# A worker's settlements with one payer in a month (by settled_on: the day the tax was withheld),
# under the relationship types of one income item.
WITHHOLDINGS = """
SELECT s.worker_id, w.account_id, w.name, w.id_number_sealed, w.id_number_key_id,
       sum(s.gross_fen)::bigint AS income_fen, sum(s.income_tax_withheld_fen)::bigint AS tax_withheld_fen,
       count(*)::int AS payments
FROM settlements s JOIN workers w ON w.id = s.worker_id
WHERE s.organisation_id = $1 AND s.settled_on >= $2 AND s.settled_on < $3
  AND s.relationship_type = ANY($4::text[])
GROUP BY s.worker_id, w.account_id, w.name, w.id_number_sealed, w.id_number_key_id
ORDER BY w.name, s.worker_id
"""
PAYER_EXISTS = "SELECT EXISTS (SELECT 1 FROM organisations WHERE id = $1)"
INSERT_DECRYPTION = """
INSERT INTO id_number_decryptions (account_id, export, payer_id, month, decrypted, missing)
VALUES ($1, $2, $3, $4, $5, $6)
"""
# Re-sealing: the rows not yet under the current key, a batch at a time, oldest first.
STALE_SEALS = """
SELECT id, account_id, id_number_sealed, id_number_key_id FROM workers
WHERE id_number_key_id IS NOT NULL AND id_number_key_id <> $1
ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED
"""
COUNT_STALE_SEALS = "SELECT count(*) FROM workers WHERE id_number_key_id IS NOT NULL AND id_number_key_id <> $1"
UPDATE_SEAL = "UPDATE workers SET id_number_sealed = $2, id_number_key_id = $3 WHERE id = $1"


async def payer_exists(conn: asyncpg.Connection, payer_id: uuid.UUID) -> bool:
    return bool(await conn.fetchval(PAYER_EXISTS, payer_id))


async def withholdings(conn: asyncpg.Connection, payer_id: uuid.UUID, start: date, end: date,
                       relationship_types: tuple[str, ...]) -> list[asyncpg.Record]:
    return list(await conn.fetch(WITHHOLDINGS, payer_id, start, end, list(relationship_types)))


async def record_decryption(conn: asyncpg.Connection, account_id: uuid.UUID, export: str, payer_id: uuid.UUID,
                            month: date, decrypted: int, missing: int) -> None:
    await conn.execute(INSERT_DECRYPTION, account_id, export, payer_id, month, decrypted, missing)
