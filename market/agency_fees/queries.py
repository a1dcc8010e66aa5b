"""SQL of the agency fee step."""
from __future__ import annotations

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
  AND NOT EXISTS (SELECT 1 FROM journal_entries e WHERE e.business_key = 'agency_fee:' || s.assignment_id::text)
ORDER BY s.assignment_id
LIMIT $1
"""


async def due(conn: asyncpg.Connection, limit: int) -> list[asyncpg.Record]:
    return await conn.fetch(DUE, limit)
