"""Every SQL statement of invoice requests, and the functions that run them."""
from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from datetime import date, datetime

import asyncpg

from market.invoices.model import InvoiceLine

# What the platform earned and what it collected and paid out for each employer in [$1, $2): from the
# settlement and compensation entries of the employer (journal_entries.organisation_id), the fee is
# what they credit to platform fee revenue, the charge what they debit from the employer's escrow
# (available and held: a settlement also returns its hold to available, which nets to zero here).
PERIOD_AMOUNTS = """
SELECT e.organisation_id,
       coalesce(-sum(p.amount_fen) FILTER (WHERE a.kind = 'platform_fee_revenue'), 0)::bigint AS service_fee_fen,
       coalesce(sum(p.amount_fen) FILTER (WHERE a.kind IN ('employer_escrow', 'employer_escrow_held')
                                            AND a.holder_type = 'organisation' AND a.holder_id = e.organisation_id),
                0)::bigint AS charged_fen
FROM journal_entries e
JOIN journal_postings p ON p.entry_id = e.id
JOIN ledger_accounts a ON a.id = p.account_id
WHERE e.kind IN ('settlement', 'compensation') AND e.created_at >= $1 AND e.created_at < $2
  AND e.organisation_id IS NOT NULL AND ($3::uuid IS NULL OR e.organisation_id = $3)
GROUP BY e.organisation_id
"""
INSERT_REQUESTS = """
INSERT INTO invoice_requests (organisation_id, period, kind, buyer_name, buyer_credit_code, tax_category_code,
    item_name, tax_rate_permille, tax_treatment, amount_fen, tax_fen, total_fen, created_at)
SELECT r.organisation_id, r.period, r.kind, o.name, o.credit_code, r.tax_category_code, r.item_name,
       r.tax_rate_permille, r.tax_treatment, r.amount_fen, r.tax_fen, r.total_fen, $2::timestamptz
FROM jsonb_populate_recordset(NULL::invoice_requests, $1::jsonb) r JOIN organisations o ON o.id = r.organisation_id
ON CONFLICT (organisation_id, period, kind) DO NOTHING
"""
_COLUMNS = """id, organisation_id, period, kind, buyer_name, buyer_credit_code, tax_category_code, item_name,
    tax_rate_permille, tax_treatment, amount_fen, tax_fen, total_fen, state, invoice_number, issued_on, issued_at,
    created_at"""
REQUESTS = f"""
SELECT {_COLUMNS} FROM invoice_requests
WHERE ($1::uuid IS NULL OR organisation_id = $1) AND ($2::text IS NULL OR period = $2)
ORDER BY period DESC, organisation_id, kind LIMIT $3
"""
REQUEST = f"SELECT {_COLUMNS} FROM invoice_requests WHERE id = $1"
ISSUE = f"""
UPDATE invoice_requests SET state = 'issued', invoice_number = $2, issued_on = $3, issued_by = $4, issued_at = $5
WHERE id = $1 AND state = 'requested' RETURNING {_COLUMNS}
"""


@dataclass(frozen=True)
class InvoiceRequest:
    id: uuid.UUID
    organisation_id: uuid.UUID
    period: str
    kind: str
    buyer_name: str
    buyer_credit_code: str
    tax_category_code: str
    item_name: str
    tax_rate_permille: int
    tax_treatment: str
    amount_fen: int
    tax_fen: int
    total_fen: int
    state: str
    invoice_number: str | None
    issued_on: date | None
    issued_at: datetime | None
    created_at: datetime


async def period_amounts(conn: asyncpg.Connection, start: datetime, end: datetime,
                         organisation_id: uuid.UUID | None) -> list[asyncpg.Record]:
    return await conn.fetch(PERIOD_AMOUNTS, start, end, organisation_id)


async def insert_requests(conn: asyncpg.Connection, rows: list[tuple[uuid.UUID, str, InvoiceLine]],
                          at: datetime) -> None:
    """The requests, each once (a period's requests never change once made)."""
    if rows:
        payload = [{"organisation_id": str(org), "period": period, **asdict(line)} for org, period, line in rows]
        await conn.execute(INSERT_REQUESTS, payload, at)


async def requests(conn: asyncpg.Connection, organisation_id: uuid.UUID | None, period: str | None,
                   limit: int) -> list[InvoiceRequest]:
    return [InvoiceRequest(**dict(r)) for r in await conn.fetch(REQUESTS, organisation_id, period, limit)]


async def request(conn: asyncpg.Connection, request_id: uuid.UUID) -> InvoiceRequest | None:
    row = await conn.fetchrow(REQUEST, request_id)
    return None if row is None else InvoiceRequest(**dict(row))


async def issue(conn: asyncpg.Connection, request_id: uuid.UUID, number: str, issued_on: date,
                account_id: uuid.UUID | None, at: datetime) -> InvoiceRequest | None:
    row = await conn.fetchrow(ISSUE, request_id, number, issued_on, account_id, at)
    return None if row is None else InvoiceRequest(**dict(row))
