"""SQL of the filings package."""
from __future__ import annotations

import uuid
from datetime import date

import asyncpg

from market.filings.model import CoveredOrder

# A worker's settlements with one payer in a month (by settled_on: the day the tax was withheld),
# under the relationship types of one income item; a standby's pay counts (income withheld on).
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
# Every settlement of the month (by shift_date: the month the covered work was done) with a
# 职业伤害保障 line, with its worker (masked ID only), order, sector and shift (a standby's pay has no
# such line, nor an assignment: the join leaves it out).
COVERED_ORDERS = """
SELECT s.worker_id, w.name, w.id_number_masked, s.order_id, s.assignment_id, org.name AS employer_name,
       s.relationship_type, o.sector_code, sec.name_zh AS sector_name,
       lower(a.period) AS starts_at, upper(a.period) AS ends_at, protection.amount_fen AS contribution_fen
FROM settlements s
JOIN workers w ON w.id = s.worker_id
JOIN orders o ON o.id = s.order_id
JOIN assignments a ON a.id = s.assignment_id
JOIN organisations org ON org.id = s.organisation_id
LEFT JOIN sectors sec ON sec.code = o.sector_code
CROSS JOIN LATERAL (SELECT sum((line ->> 'amount_fen')::bigint)::bigint AS amount_fen
                    FROM jsonb_array_elements(s.lines) line
                    WHERE line ->> 'kind' = 'occupational_injury_protection') protection
WHERE s.shift_date >= $1 AND s.shift_date < $2 AND protection.amount_fen IS NOT NULL
ORDER BY w.name, s.worker_id, lower(a.period), s.order_id, s.assignment_id
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


async def covered_orders(conn: asyncpg.Connection, start: date, end: date) -> list[CoveredOrder]:
    return [CoveredOrder(**dict(row)) for row in await conn.fetch(COVERED_ORDERS, start, end)]


async def record_decryption(conn: asyncpg.Connection, account_id: uuid.UUID, export: str, payer_id: uuid.UUID,
                            month: date, decrypted: int, missing: int) -> None:
    await conn.execute(INSERT_DECRYPTION, account_id, export, payer_id, month, decrypted, missing)
