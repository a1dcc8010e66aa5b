"""SQL of written agreements and the functions that run it (taking a connection, returning the
records of model.py). The invariants live in market/schema.sql ("written agreements"): one
signature per party, of the contract's own hash (a foreign key), rendered documents unchanged and
signed contracts immutable (triggers)."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import asyncpg

from market.contracts import model
from market.kernel.relationships import RelationshipType

# ---- pending contracts: cheap, in the transaction that makes the assignment -------------------------

# The template version and the roles of each relationship type come in as three parallel arrays
# (model.REQUIREMENTS), so that this insert is one round trip whatever the order's type.
INSERT_PENDING_FOR_ASSIGNMENT = """
INSERT INTO contracts (assignment_id, relationship_type, template_version, required_roles, created_at)
SELECT a.id, o.relationship_type, t.version, string_to_array(t.roles, ','), $2
FROM assignments a JOIN orders o ON o.id = a.order_id
JOIN unnest($3::text[], $4::text[], $5::text[]) t (relationship_type, version, roles)
  ON t.relationship_type = o.relationship_type
WHERE a.id = $1
"""
# Three-party agreements (market/agreements sits below contracts and does not know them): the
# renderer gives each one without a contract its pending contract, dated as the agreement.
INSERT_PENDING_FOR_AGREEMENTS = """
INSERT INTO contracts (agreement_id, relationship_type, template_version, required_roles, created_at)
SELECT ag.id, 'shared_labor', $1, $2::text[], ag.created_at FROM agreements ag
WHERE NOT EXISTS (SELECT 1 FROM contracts c WHERE c.agreement_id = ag.id)
ON CONFLICT DO NOTHING
"""
# Oldest first, past the ones that failed to render this round ($1).
CLAIM_PENDING = """
SELECT id FROM contracts WHERE state = 'pending' AND id <> ALL ($1::uuid[])
ORDER BY created_at, id LIMIT 1 FOR UPDATE SKIP LOCKED
"""
LOCK_PENDING = "SELECT id FROM contracts WHERE id = $1 AND state = 'pending' FOR UPDATE"
RECORD_RENDERING = """
UPDATE contracts SET state = 'rendered', document = $2, sha256 = $3, terms = $4, rendered_at = $5
WHERE id = $1 AND state = 'pending'
"""

# ---- the facts an agreement is filled with -----------------------------------------------------------

_FACTS = """
SELECT c.id, c.relationship_type, c.created_at, o.title, o.description, d.name AS district_name, o.site_address,
       o.pay_unit, o.pay_amount_fen, o.pay_stated_hours, o.pay_cycle_days, o.late_cancel_window_minutes,
       o.late_cancel_compensation_minutes, e.id AS employer_id, e.name AS employer_name,
       e.credit_code AS employer_code, w.id AS worker_id, w.name AS worker_name, w.id_number_masked,
       l.id AS lender_id, l.name AS lender_name, l.credit_code AS lender_code,
       (ag.terms -> 'pay' ->> 'wage_hourly_fen')::bigint AS wage_hourly_fen,
       (ag.terms -> 'pay' ->> 'fee_per_worker_day_fen')::bigint AS fee_per_worker_day_fen, {extra}
FROM contracts c {source}
JOIN orders o ON o.id = {order_id} JOIN districts d ON d.code = o.district_code
JOIN organisations e ON e.id = o.organisation_id JOIN workers w ON w.id = {worker_id}
LEFT JOIN organisations l ON l.id = ag.lender_id
WHERE c.id = $1
"""
ASSIGNMENT_FACTS = _FACTS.format(
    extra="a.rate_fen, array[s.starts_at] AS starts, array[s.ends_at] AS ends",
    source="""JOIN assignments a ON a.id = c.assignment_id JOIN shifts s ON s.id = a.shift_id
LEFT JOIN LATERAL (SELECT x.lender_id, x.terms FROM agreements x WHERE x.order_id = a.order_id
                   AND x.worker_id = a.worker_id ORDER BY x.created_at DESC LIMIT 1) ag ON true""",
    order_id="a.order_id", worker_id="a.worker_id")
AGREEMENT_FACTS = _FACTS.format(
    extra="""NULL::bigint AS rate_fen,
       array(SELECT s.starts_at FROM shifts s WHERE s.order_id = ag.order_id ORDER BY s.starts_at) AS starts,
       array(SELECT s.ends_at FROM shifts s WHERE s.order_id = ag.order_id ORDER BY s.starts_at) AS ends""",
    source="JOIN agreements ag ON ag.id = c.agreement_id", order_id="ag.order_id", worker_id="ag.worker_id")
IS_FOR_ASSIGNMENT = "SELECT assignment_id IS NOT NULL FROM contracts WHERE id = $1"

# ---- contracts as their readers see them -------------------------------------------------------------

_CONTRACT = """
SELECT c.id, c.assignment_id, c.agreement_id, c.relationship_type, c.template_version, c.required_roles, c.state,
       c.sha256, c.terms, c.created_at, c.rendered_at, c.signed_at, o.district_code,
       coalesce(a.worker_id, ag.worker_id) AS worker_id, o.organisation_id AS employer_id,
       coalesce(ag.lender_id, lent.lender_id) AS lender_id
FROM contracts c
LEFT JOIN assignments a ON a.id = c.assignment_id LEFT JOIN agreements ag ON ag.id = c.agreement_id
JOIN orders o ON o.id = coalesce(a.order_id, ag.order_id)
LEFT JOIN LATERAL (SELECT x.lender_id FROM agreements x WHERE x.order_id = a.order_id AND x.worker_id = a.worker_id
                   ORDER BY x.created_at DESC LIMIT 1) lent ON a.id IS NOT NULL
"""
CONTRACT_OF_ASSIGNMENT = _CONTRACT + "WHERE c.assignment_id = $1"
CONTRACT_OF_AGREEMENT = _CONTRACT + "WHERE c.agreement_id = $1"
CONTRACT_BY_ID = _CONTRACT + "WHERE c.id = $1"
CONTRACT_BY_SHA256 = _CONTRACT + "WHERE c.sha256 = $1"
LOCK_CONTRACT = "SELECT id FROM contracts WHERE id = $1 FOR UPDATE"
SIGNATURES = """
SELECT role, party_id, account_id, sha256, signed_at FROM contract_signatures WHERE contract_id = $1 ORDER BY id
"""
DOCUMENT = "SELECT document FROM contracts WHERE id = $1"
INSERT_SIGNATURE = """
INSERT INTO contract_signatures (contract_id, role, party_id, account_id, sha256, signed_at)
VALUES ($1, $2, $3, $4, $5, $6)
"""
# Signed and unsigned agreements by district (cancelled seats left out: nobody works them).
SIGNING_RATES = """
SELECT o.district_code, c.relationship_type, count(*) FILTER (WHERE c.state = 'signed') AS signed,
       count(*) FILTER (WHERE c.state <> 'signed') AS unsigned
FROM contracts c
LEFT JOIN assignments a ON a.id = c.assignment_id LEFT JOIN agreements ag ON ag.id = c.agreement_id
JOIN orders o ON o.id = coalesce(a.order_id, ag.order_id)
WHERE o.district_code = ANY($1::text[]) AND (a.id IS NULL OR a.state <> 'cancelled')
GROUP BY o.district_code, c.relationship_type ORDER BY o.district_code, c.relationship_type
"""


@dataclass(frozen=True)
class SigningRate:
    district_code: str
    relationship_type: str
    signed: int
    unsigned: int


async def insert_pending_for_assignment(conn: asyncpg.Connection, assignment_id: uuid.UUID, now: datetime) -> None:
    kinds = list(model.REQUIREMENTS)
    await conn.execute(INSERT_PENDING_FOR_ASSIGNMENT, assignment_id, now, [k.value for k in kinds],
                       [model.template_version(k) for k in kinds],
                       [",".join(model.REQUIREMENTS[k].roles) for k in kinds])


async def insert_pending_for_agreements(conn: asyncpg.Connection) -> int:
    shared = RelationshipType.shared_labor
    status = await conn.execute(INSERT_PENDING_FOR_AGREEMENTS, model.template_version(shared),
                                list(model.REQUIREMENTS[shared].roles))
    return int(status.split()[-1])


async def claim_pending(conn: asyncpg.Connection, passed: list[uuid.UUID]) -> uuid.UUID | None:
    return await conn.fetchval(CLAIM_PENDING, passed)


async def lock_pending(conn: asyncpg.Connection, contract_id: uuid.UUID) -> bool:
    return await conn.fetchval(LOCK_PENDING, contract_id) is not None


async def record_rendering(conn: asyncpg.Connection, contract_id: uuid.UUID, document: bytes, sha256: bytes,
                           terms: dict[str, Any], now: datetime) -> None:
    await conn.execute(RECORD_RENDERING, contract_id, document, sha256, terms, now)


@dataclass(frozen=True)
class Facts:
    """What `model.Terms` is made of, as the database holds it (the due date is settlement's rule)."""

    row: dict[str, Any]

    def terms(self, no_show_grace_minutes: int, pay_due_date: date) -> model.Terms:
        r = self.row
        relationship = RelationshipType(r["relationship_type"])
        parties = [model.Party("employer", r["employer_id"], r["employer_name"], r["employer_code"])]
        if relationship is RelationshipType.shared_labor and r["lender_id"] is not None:
            parties.append(model.Party("lender", r["lender_id"], r["lender_name"], r["lender_code"]))
        parties.append(model.Party("worker", r["worker_id"], r["worker_name"], r["id_number_masked"]))
        stated: Decimal | None = r["pay_stated_hours"]
        return model.Terms(
            contract_id=r["id"], relationship=relationship, parties=tuple(parties), title=r["title"],
            description=r["description"], district_name=r["district_name"], site_address=r["site_address"],
            shifts=tuple(model.Shift(s, e) for s, e in zip(r["starts"], r["ends"])), pay_unit=r["pay_unit"],
            # an assignment's own rate (a bid may be below the order's); a three-party agreement's, the order's
            pay_amount_fen=r["rate_fen"] if r["rate_fen"] is not None else r["pay_amount_fen"],
            pay_stated_hours=stated, pay_cycle_days=r["pay_cycle_days"], pay_due_date=pay_due_date,
            late_cancel_window_minutes=r["late_cancel_window_minutes"],
            late_cancel_compensation_minutes=r["late_cancel_compensation_minutes"],
            no_show_grace_minutes=no_show_grace_minutes, made_at=r["created_at"],
            wage_hourly_fen=r["wage_hourly_fen"], fee_per_worker_day_fen=r["fee_per_worker_day_fen"])

async def facts(conn: asyncpg.Connection, contract_id: uuid.UUID) -> Facts:
    for_assignment = await conn.fetchval(IS_FOR_ASSIGNMENT, contract_id)
    row = await conn.fetchrow(ASSIGNMENT_FACTS if for_assignment else AGREEMENT_FACTS, contract_id)
    return Facts(dict(row))


def _contract(row: asyncpg.Record, signatures: list[asyncpg.Record]) -> model.Contract:
    parties = {"worker": row["worker_id"], "employer": row["employer_id"], "lender": row["lender_id"]}
    return model.Contract(
        id=row["id"], assignment_id=row["assignment_id"], agreement_id=row["agreement_id"],
        relationship=RelationshipType(row["relationship_type"]), template_version=row["template_version"],
        required_roles=tuple(row["required_roles"]), state=row["state"],
        sha256=row["sha256"].hex() if row["sha256"] is not None else None, terms=row["terms"],
        created_at=row["created_at"], rendered_at=row["rendered_at"], signed_at=row["signed_at"],
        district_code=row["district_code"], party_ids={k: v for k, v in parties.items() if v is not None},
        signatures=tuple(model.Signature(s["role"], s["party_id"], s["account_id"], s["sha256"].hex(), s["signed_at"])
                         for s in signatures))


async def _one(conn: asyncpg.Connection, query: str, key: Any) -> model.Contract | None:
    row = await conn.fetchrow(query, key)
    return _contract(row, await conn.fetch(SIGNATURES, row["id"])) if row else None


async def contract_of_assignment(conn: asyncpg.Connection, assignment_id: uuid.UUID) -> model.Contract | None:
    return await _one(conn, CONTRACT_OF_ASSIGNMENT, assignment_id)


async def contract_of_agreement(conn: asyncpg.Connection, agreement_id: uuid.UUID) -> model.Contract | None:
    return await _one(conn, CONTRACT_OF_AGREEMENT, agreement_id)


async def contract_by_id(conn: asyncpg.Connection, contract_id: uuid.UUID) -> model.Contract | None:
    return await _one(conn, CONTRACT_BY_ID, contract_id)


async def contract_by_sha256(conn: asyncpg.Connection, sha256: bytes) -> model.Contract | None:
    return await _one(conn, CONTRACT_BY_SHA256, sha256)


async def lock_contract(conn: asyncpg.Connection, contract_id: uuid.UUID) -> None:
    await conn.execute(LOCK_CONTRACT, contract_id)


async def document(conn: asyncpg.Connection, contract_id: uuid.UUID) -> bytes | None:
    return await conn.fetchval(DOCUMENT, contract_id)


async def insert_signature(conn: asyncpg.Connection, contract_id: uuid.UUID, role: str, party_id: uuid.UUID,
                           account_id: uuid.UUID, sha256: bytes, now: datetime) -> None:
    await conn.execute(INSERT_SIGNATURE, contract_id, role, party_id, account_id, sha256, now)


async def signing_rates(conn: asyncpg.Connection, districts: list[str]) -> list[SigningRate]:
    return [SigningRate(**dict(r)) for r in await conn.fetch(SIGNING_RATES, districts)]
