"""SQL of the agency fee step."""
from __future__ import annotations

import uuid
from datetime import date, datetime

import asyncpg

# Settled placements of orders an agency posted under a mandate whose fee has not been posted yet
# (the entry's business key is the fee's: agency_fee:<assignment>), oldest first.
DUE = """
SELECT s.assignment_id, s.order_id, s.gross_fen, o.organisation_id AS client_id, o.agency_organisation_id,
       m.id AS mandate_id, m.fee_per_placement_fen, m.fee_rate_bp
FROM settlements s
JOIN orders o ON o.id = s.order_id
JOIN mandates m ON m.id = o.mandate_id
WHERE (m.fee_per_placement_fen > 0 OR m.fee_rate_bp > 0)
  -- a seat's settlements only: a standby's pay (standby_id, no assignment) is not a placement
  AND s.assignment_id IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM journal_entries e WHERE e.business_key = 'agency_fee:' || s.assignment_id::text)
ORDER BY s.assignment_id
LIMIT $1
"""


async def due(conn: asyncpg.Connection, limit: int) -> list[asyncpg.Record]:
    return await conn.fetch(DUE, limit)


# The fee's payable, owed to the agency (an organisation payee, paid by the payout batch as a lender's
# fee is), written in the fee entry's transaction; source_id is the assignment, as the entry's key.
INSERT_PAYABLE = """
INSERT INTO payables (source, source_id, payee_type, payee_id, organisation_id, assignment_id, amount_fen, due_date,
                      created_at)
VALUES ('agency_fee', $1, 'organisation', $2, $3, $1, $4, $5, $6)
ON CONFLICT (source, source_id, payee_type) DO NOTHING
"""


async def insert_payable(conn: asyncpg.Connection, assignment_id: uuid.UUID, agency_id: uuid.UUID,
                         client_id: uuid.UUID, fee_fen: int, due_date: date, at: datetime) -> None:
    await conn.execute(INSERT_PAYABLE, assignment_id, agency_id, client_id, fee_fen, due_date, at)
