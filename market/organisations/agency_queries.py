"""SQL of agencies: licences, mandates, the budget a posting commits, the agency's pool, its fees."""
from __future__ import annotations

import uuid
from datetime import date, datetime

import asyncpg

from market.organisations.agency_records import Licence, Mandate

LICENCE_COLUMNS = """id, organisation_id, kind, number, issuing_bureau, scope, valid_from, valid_until, state,
reviewed_by, reviewed_at, reject_reason, created_at"""
MARK_AGENCY = "UPDATE organisations SET kind = 'agency' WHERE id = $1"
UPSERT_LICENCE = f"""
INSERT INTO agency_licences (organisation_id, kind, number, issuing_bureau, scope, valid_from, valid_until,
                             submitted_by)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
ON CONFLICT (organisation_id, kind) DO UPDATE SET
    number = EXCLUDED.number, issuing_bureau = EXCLUDED.issuing_bureau, scope = EXCLUDED.scope,
    valid_from = EXCLUDED.valid_from, valid_until = EXCLUDED.valid_until, submitted_by = EXCLUDED.submitted_by,
    state = 'pending', reviewed_by = NULL, reviewed_at = NULL, reject_reason = NULL, created_at = now()
RETURNING {LICENCE_COLUMNS}
"""
LICENCES_OF = f"SELECT {LICENCE_COLUMNS} FROM agency_licences WHERE organisation_id = $1 ORDER BY kind"
PENDING_LICENCES = f"SELECT {LICENCE_COLUMNS} FROM agency_licences WHERE state = 'pending' ORDER BY created_at, id"
LICENCE_FOR_UPDATE = f"SELECT {LICENCE_COLUMNS} FROM agency_licences WHERE id = $1 FOR UPDATE"
REVIEW_LICENCE = f"""
UPDATE agency_licences SET state = $2, reject_reason = $3, reviewed_by = $4, reviewed_at = now() WHERE id = $1
RETURNING {LICENCE_COLUMNS}
"""
HR_LICENCE = """
SELECT state, valid_from, valid_until FROM agency_licences WHERE organisation_id = $1 AND kind = 'hr_service'
"""
ORGANISATION_KIND = "SELECT kind FROM organisations WHERE id = $1"

MANDATE_COLUMNS = """id, client_organisation_id, agency_organisation_id, scope, budget_fen, committed_fen,
valid_from, valid_until, fee_per_placement_fen, fee_rate_bp, state, created_by, created_at, revoked_at"""
INSERT_MANDATE = f"""
INSERT INTO mandates (client_organisation_id, agency_organisation_id, scope, budget_fen, valid_from, valid_until,
                      fee_per_placement_fen, fee_rate_bp, created_by)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING {MANDATE_COLUMNS}
"""
MANDATES_OF = f"""
SELECT {MANDATE_COLUMNS} FROM mandates WHERE client_organisation_id = $1 OR agency_organisation_id = $1
ORDER BY created_at DESC, id
"""
MANDATE = f"SELECT {MANDATE_COLUMNS} FROM mandates WHERE id = $1"
MANDATE_FOR_UPDATE = f"SELECT {MANDATE_COLUMNS} FROM mandates WHERE id = $1 FOR UPDATE"
REVOKE_MANDATE = f"""
UPDATE mandates SET state = 'revoked', revoked_at = now() WHERE id = $1 AND state = 'active'
RETURNING {MANDATE_COLUMNS}
"""
# The most an order may cost its client, as a mandate's budget counts it: every seat of every shift
# paid its full length at the order's hourly equivalent (gig), or every seat's daily fee (shared).
ORDER_COST = """
SELECT coalesce(sum(s.headcount * CASE WHEN o.kind = 'gig'
           THEN ceil(extract(epoch FROM (s.ends_at - s.starts_at)) / 3600.0 * o.hourly_equivalent_fen)
           ELSE o.fee_per_worker_day_fen END), 0)::bigint
FROM orders o JOIN shifts s ON s.order_id = o.id WHERE o.id = $1
"""
COMMIT_BUDGET = "UPDATE mandates SET committed_fen = committed_fen + $2 WHERE id = $1"
MARK_ORDER = "UPDATE orders SET agency_organisation_id = $2, mandate_id = $3 WHERE id = $1"

JOIN_POOL = """
INSERT INTO agency_pool_members (agency_organisation_id, worker_id) VALUES ($1, $2)
ON CONFLICT (agency_organisation_id, worker_id) DO UPDATE SET consented_at = now(), left_at = NULL
"""
LEAVE_POOL = """
UPDATE agency_pool_members SET left_at = now() WHERE agency_organisation_id = $1 AND worker_id = $2
  AND left_at IS NULL
"""
POOL_WORKERS = """
SELECT worker_id FROM agency_pool_members WHERE agency_organisation_id = $1 AND left_at IS NULL ORDER BY worker_id
"""


def _licence(row: asyncpg.Record) -> Licence:
    return Licence(**dict(row))


def _mandate(row: asyncpg.Record) -> Mandate:
    return Mandate(**{**dict(row), "scope": tuple(row["scope"])})


async def mark_agency(conn: asyncpg.Connection, organisation_id: uuid.UUID) -> None:
    await conn.execute(MARK_AGENCY, organisation_id)


async def upsert_licence(conn: asyncpg.Connection, organisation_id: uuid.UUID, kind: str, number: str, bureau: str,
                         scope: str, valid_from: date, valid_until: date, by: uuid.UUID) -> Licence:
    return _licence(await conn.fetchrow(UPSERT_LICENCE, organisation_id, kind, number, bureau, scope, valid_from,
                                        valid_until, by))


async def licences_of(conn: asyncpg.Connection, organisation_id: uuid.UUID) -> list[Licence]:
    return [_licence(r) for r in await conn.fetch(LICENCES_OF, organisation_id)]


async def pending_licences(conn: asyncpg.Connection) -> list[Licence]:
    return [_licence(r) for r in await conn.fetch(PENDING_LICENCES)]


async def licence_for_update(conn: asyncpg.Connection, licence_id: uuid.UUID) -> Licence | None:
    row = await conn.fetchrow(LICENCE_FOR_UPDATE, licence_id)
    return None if row is None else _licence(row)


async def review_licence(conn: asyncpg.Connection, licence_id: uuid.UUID, state: str, reason: str | None,
                         by: uuid.UUID) -> Licence:
    return _licence(await conn.fetchrow(REVIEW_LICENCE, licence_id, state, reason, by))


async def hr_licence(conn: asyncpg.Connection, organisation_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(HR_LICENCE, organisation_id)


async def organisation_kind(conn: asyncpg.Connection, organisation_id: uuid.UUID) -> str | None:
    return await conn.fetchval(ORGANISATION_KIND, organisation_id)


async def insert_mandate(conn: asyncpg.Connection, client_id: uuid.UUID, agency_id: uuid.UUID, scope: list[str],
                         budget_fen: int, valid_from: date, valid_until: date, fee_per_placement_fen: int,
                         fee_rate_bp: int, by: uuid.UUID) -> Mandate:
    return _mandate(await conn.fetchrow(INSERT_MANDATE, client_id, agency_id, scope, budget_fen, valid_from,
                                        valid_until, fee_per_placement_fen, fee_rate_bp, by))


async def mandates_of(conn: asyncpg.Connection, organisation_id: uuid.UUID) -> list[Mandate]:
    return [_mandate(r) for r in await conn.fetch(MANDATES_OF, organisation_id)]


async def mandate(conn: asyncpg.Connection, mandate_id: uuid.UUID, *, for_update: bool = False
                  ) -> Mandate | None:
    row = await conn.fetchrow(MANDATE_FOR_UPDATE if for_update else MANDATE, mandate_id)
    return None if row is None else _mandate(row)


async def revoke_mandate(conn: asyncpg.Connection, mandate_id: uuid.UUID) -> Mandate | None:
    row = await conn.fetchrow(REVOKE_MANDATE, mandate_id)
    return None if row is None else _mandate(row)


async def order_cost(conn: asyncpg.Connection, order_id: uuid.UUID) -> int:
    return await conn.fetchval(ORDER_COST, order_id)


async def commit_budget(conn: asyncpg.Connection, mandate_id: uuid.UUID, cost_fen: int) -> None:
    await conn.execute(COMMIT_BUDGET, mandate_id, cost_fen)


async def mark_order(conn: asyncpg.Connection, order_id: uuid.UUID, agency_id: uuid.UUID,
                     mandate_id: uuid.UUID) -> None:
    await conn.execute(MARK_ORDER, order_id, agency_id, mandate_id)


async def join_pool(conn: asyncpg.Connection, agency_id: uuid.UUID, worker_id: uuid.UUID) -> None:
    await conn.execute(JOIN_POOL, agency_id, worker_id)


async def leave_pool(conn: asyncpg.Connection, agency_id: uuid.UUID, worker_id: uuid.UUID) -> bool:
    return await conn.execute(LEAVE_POOL, agency_id, worker_id) == "UPDATE 1"


async def agency_pool_workers(conn: asyncpg.Connection, agency_id: uuid.UUID) -> list[uuid.UUID]:
    """The workers in an agency's own pool (joined with consent, not left): an order the agency
    posts in a client's name has them in its private pool, source 'agency' (docs/agencies.md)."""
    return [row["worker_id"] for row in await conn.fetch(POOL_WORKERS, agency_id)]


# Per agency, over the orders it posted in clients' names whose work is in `districts`
# (docs/agencies.md): 帮助实现就业或流动 人次 as distinct worker-placements (a worker placed on an
# order counts once however many shifts they work), the fill rate of those orders' seats, the cases
# raised on them, and the open wage arrears of their assignments.
AGENCY_SUPERVISION = """
WITH placed AS (
    SELECT o.agency_organisation_id AS agency_id, o.id AS order_id FROM orders o
    WHERE o.agency_organisation_id IS NOT NULL AND o.district_code = ANY($1::text[])
)
SELECT g.id AS agency_organisation_id, g.name, g.district_code,
       (SELECT count(*) FROM (SELECT DISTINCT a.worker_id, a.order_id FROM assignments a
                              JOIN placed p ON p.order_id = a.order_id AND p.agency_id = g.id
                              WHERE a.state IN ('active', 'completed')) x)::int AS placements,
       (SELECT coalesce(sum(s.headcount), 0) FROM shifts s JOIN placed p ON p.order_id = s.order_id
        WHERE p.agency_id = g.id)::int AS seats,
       (SELECT coalesce(sum(s.filled), 0) FROM shifts s JOIN placed p ON p.order_id = s.order_id
        WHERE p.agency_id = g.id)::int AS filled,
       (SELECT count(*) FROM cases c JOIN placed p ON p.order_id = c.order_id WHERE p.agency_id = g.id)::int
           AS complaints,
       (SELECT count(*) FROM arrears r JOIN assignments a ON a.id = r.assignment_id
        JOIN placed p ON p.order_id = a.order_id WHERE p.agency_id = g.id AND r.cleared_at IS NULL)::int
           AS open_arrears,
       (SELECT coalesce(sum(r.amount_fen), 0) FROM arrears r JOIN assignments a ON a.id = r.assignment_id
        JOIN placed p ON p.order_id = a.order_id WHERE p.agency_id = g.id AND r.cleared_at IS NULL)::bigint
           AS open_arrears_fen
FROM organisations g
WHERE g.kind = 'agency' AND (g.district_code = ANY($1::text[]) OR EXISTS (SELECT 1 FROM placed p WHERE p.agency_id = g.id))
ORDER BY g.name, g.id
"""


async def agency_supervision(conn: asyncpg.Connection, districts: list[str]) -> list[asyncpg.Record]:
    return await conn.fetch(AGENCY_SUPERVISION, districts)


# The agency's fee lines (payables of source agency_fee, docs/agencies.md) posted within a period of
# Beijing days (either bound may be NULL), newest first, keyset-paged on (created_at, id).
_FEES_IN_PERIOD = """
p.source = 'agency_fee' AND p.payee_id = $1
  AND ($2::date IS NULL OR p.created_at >= ($2::date)::timestamp AT TIME ZONE 'Asia/Shanghai')
  AND ($3::date IS NULL OR p.created_at < ($3::date + 1)::timestamp AT TIME ZONE 'Asia/Shanghai')
"""
AGENCY_FEES = f"""
SELECT p.id, a.order_id, p.organisation_id AS client_organisation_id, org.name AS client_name,
       p.assignment_id, p.amount_fen AS fee_fen, p.created_at AS posted_at, po.id AS payout_id, po.state AS payout_state,
       po.paid_at
FROM payables p
JOIN assignments a ON a.id = p.assignment_id
JOIN organisations org ON org.id = p.organisation_id
LEFT JOIN payouts po ON po.id = p.payout_id
WHERE {_FEES_IN_PERIOD}
  AND ($4::timestamptz IS NULL OR (p.created_at, p.id) < ($4::timestamptz, $5::uuid))
ORDER BY p.created_at DESC, p.id DESC
LIMIT $6
"""
AGENCY_FEE_TOTALS = f"""
SELECT coalesce(sum(p.amount_fen), 0)::bigint AS posted_fen,
       coalesce(sum(p.amount_fen) FILTER (WHERE po.state = 'paid'), 0)::bigint AS paid_fen
FROM payables p LEFT JOIN payouts po ON po.id = p.payout_id
WHERE {_FEES_IN_PERIOD}
"""


async def agency_fees(conn: asyncpg.Connection, agency_id: uuid.UUID, from_date: date | None, to_date: date | None,
                      after: tuple[datetime, uuid.UUID] | None, limit: int) -> list[asyncpg.Record]:
    return await conn.fetch(AGENCY_FEES, agency_id, from_date, to_date, after and after[0], after and after[1], limit)


async def agency_fee_totals(conn: asyncpg.Connection, agency_id: uuid.UUID, from_date: date | None,
                            to_date: date | None) -> asyncpg.Record:
    row = await conn.fetchrow(AGENCY_FEE_TOTALS, agency_id, from_date, to_date)
    assert row is not None  # an aggregate has one row
    return row
