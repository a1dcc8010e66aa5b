"""SQL of certificates, and the conditions every package uses to ask "does this worker hold it".

The answer is computed, never stored: certificate_valid_until(worker, skill) (market/schema.sql)
reads the verified certificates of the kind the catalogue names for the skill. A stored copy on
worker_skills would have to be recomputed on every review and at every midnight, and a copy that
lags lets an expired certificate count; a function cannot lag (docs/certificates.md)."""
from __future__ import annotations

import uuid
from datetime import date, datetime

import asyncpg

from market.certificates.model import Certificate, Claim, State, Uncovered
from market.kernel.principal import Principal

# SQL fragments for the other packages' queries, filled with their own expressions by .format():
# the last day the worker holds the skill's certificate (NULL: not at all), and whether that covers
# a shift ending at `end` through its last Chongqing day (model.covers is the same test in Python).
SKILL_VALID_UNTIL = "certificate_valid_until({worker}, {skill})"
COVERS_SHIFT = "coalesce(certificate_valid_until({worker}, {skill}) >= ({end} AT TIME ZONE 'Asia/Shanghai')::date, false)"

COLUMNS = """c.id, c.worker_id, c.kind, c.number_masked, c.issuer, c.issued_on, c.expires_on, c.review_due_on,
    c.valid_until, c.file_sha256, c.media_type, c.file_size, c.state, c.reviewed_by, c.reviewed_at,
    c.reject_reason, c.created_at, c.revoked_at, c.revoke_reason"""

INSERT = """
WITH made AS (
    INSERT INTO certificates (worker_id, kind, number_hash, number_masked, issuer, issued_on, expires_on,
                              review_due_on, file_sha256, media_type, file_size)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
    ON CONFLICT (worker_id, kind, file_sha256) WHERE state = 'pending' DO NOTHING
    RETURNING *
)
SELECT """ + COLUMNS + """, true AS made FROM made c
UNION ALL
SELECT """ + COLUMNS + """, false FROM certificates c
WHERE c.worker_id = $1 AND c.kind = $2 AND c.file_sha256 = $9 AND c.state = 'pending'
  AND NOT EXISTS (SELECT 1 FROM made)
"""
OF_WORKER = "SELECT " + COLUMNS + " FROM certificates c WHERE c.worker_id = $1 ORDER BY c.created_at DESC, c.id"
IS_CATALOGUE_KIND = "SELECT EXISTS (SELECT 1 FROM skills WHERE certificate = $1)"

# Who may see a certificate ($1): its worker ($2), the operator, an employer ($2) dealing with the
# worker for work that needs this kind (a live bid, a pending offer or an active seat on one of its
# orders requiring a skill whose certificate it is), a supervisor of the worker's district ($2, their
# districts). The same employers may review it.
_DEALING_WITH = """EXISTS (
    SELECT 1 FROM order_skills r JOIN skills k ON k.code = r.skill_code AND k.certificate = c.kind
    JOIN orders o ON o.id = r.order_id AND o.organisation_id = $2::uuid
    WHERE r.certificate_required AND (
        EXISTS (SELECT 1 FROM bids b WHERE b.order_id = o.id AND b.worker_id = c.worker_id AND b.state = 'live')
        OR EXISTS (SELECT 1 FROM offers f WHERE f.order_id = o.id AND f.worker_id = c.worker_id
                   AND f.state = 'pending')
        OR EXISTS (SELECT 1 FROM assignments a WHERE a.order_id = o.id AND a.worker_id = c.worker_id
                   AND a.state = 'active')))"""
_VISIBLE_TO = {
    "admin": "$2::uuid IS NULL",
    "worker": "c.worker_id = $2::uuid",
    "employer": _DEALING_WITH,
    "supervisor": "EXISTS (SELECT 1 FROM workers w WHERE w.id = c.worker_id AND w.district_code = ANY($2::text[]))",
}
VISIBLE = {role: "SELECT " + COLUMNS + " FROM certificates c WHERE c.id = $1 AND " + condition
           for role, condition in _VISIBLE_TO.items()}
# The review queue: the certificates in a state ($1) the caller may see ($2), oldest first, after
# the cursor ($3, $4: created_at, id), at most $5.
QUEUE = {role: "SELECT " + COLUMNS + " FROM certificates c WHERE c.state = $1 AND " + condition + """
  AND ($3::timestamptz IS NULL OR (c.created_at, c.id) > ($3, $4::uuid))
ORDER BY c.created_at, c.id LIMIT $5""" for role, condition in _VISIBLE_TO.items()}

# pending → verified | rejected in one statement: of two reviewers at once exactly one finds it
# pending (the other's UPDATE re-reads the row once the first commits, and matches nothing).
REVIEW = """
UPDATE certificates c SET state = $2, reviewed_by = $3, reviewed_at = $5, reject_reason = $4
WHERE c.id = $1 AND c.state = 'pending' RETURNING """ + COLUMNS
# verified → revoked, by the operator; the same one-statement race as REVIEW.
REVOKE = """
UPDATE certificates c SET state = 'revoked', revoked_by = $2, revoked_at = $4, revoke_reason = $3
WHERE c.id = $1 AND c.state = 'verified' RETURNING """ + COLUMNS
STATE_OF = "SELECT state FROM certificates WHERE id = $1"

# The skills of an order ($2) that need a certificate the worker ($1) does not hold through the
# last local day of a shift ending at $3.
UNCOVERED = """
SELECT r.skill_code, k.certificate AS kind, """ + SKILL_VALID_UNTIL.format(worker="$1", skill="r.skill_code") + """
       AS valid_until
FROM order_skills r JOIN skills k ON k.code = r.skill_code
WHERE r.order_id = $2 AND r.certificate_required
  AND NOT """ + COVERS_SHIFT.format(worker="$1", skill="r.skill_code", end="$3::timestamptz") + """
ORDER BY r.skill_code
"""

# Verified certificates ending within the reminder horizon ($1 today, $2 its last day) that are the
# worker's latest of their kind (a renewed one makes the old one's end no news).
ENDING_SOON = "SELECT " + COLUMNS + """ FROM certificates c
WHERE c.state = 'verified' AND c.valid_until BETWEEN $1 AND $2
  AND NOT EXISTS (SELECT 1 FROM certificates n WHERE n.worker_id = c.worker_id AND n.kind = c.kind
                  AND n.state = 'verified' AND n.valid_until > c.valid_until)
ORDER BY c.valid_until, c.id
"""
# The reminder is recorded first: only the process whose row went in sends it.
RECORD_REMINDER = """
INSERT INTO certificate_reminders (certificate_id, days_before) VALUES ($1, $2)
ON CONFLICT DO NOTHING RETURNING certificate_id
"""
# The seats the end of a certificate affects: the worker's ($1) future active seats, on orders
# needing its kind ($2), whose shifts outlast its last day ($3), by employer. $4: now.
AFFECTED_SEATS = """
SELECT a.organisation_id, array_agg(a.id ORDER BY lower(a.period), a.id) AS assignment_ids
FROM assignments a
WHERE a.worker_id = $1 AND a.state = 'active' AND lower(a.period) > $4
  AND (upper(a.period) AT TIME ZONE 'Asia/Shanghai')::date > $3
  AND EXISTS (SELECT 1 FROM order_skills r JOIN skills k ON k.code = r.skill_code
              WHERE r.order_id = a.order_id AND r.certificate_required AND k.certificate = $2)
GROUP BY a.organisation_id ORDER BY a.organisation_id
"""


def _certificate(row: asyncpg.Record) -> Certificate:
    values = {key: row[key] for key in Certificate.__dataclass_fields__}
    return Certificate(**{**values, "state": State(row["state"])})


async def is_catalogue_kind(conn: asyncpg.Connection, kind: str) -> bool:
    return bool(await conn.fetchval(IS_CATALOGUE_KIND, kind))


async def insert(conn: asyncpg.Connection, worker_id: uuid.UUID, claim: Claim, number_hash: bytes,
                 number_masked: str, sha256: str, media_type: str, size: int) -> tuple[Certificate, bool] | None:
    """The new certificate and True, or the pending one already made from the same file and False.
    None when that one was committed by a concurrent upload after this statement's snapshot was
    taken (ON CONFLICT waited for it, the SELECT cannot see it): run it again."""
    row = await conn.fetchrow(INSERT, worker_id, claim.kind, number_hash, number_masked, claim.issuer,
                              claim.issued_on, claim.expires_on, claim.review_due_on, sha256, media_type, size)
    return (_certificate(row), row["made"]) if row is not None else None


async def of_worker(conn: asyncpg.Connection, worker_id: uuid.UUID) -> list[Certificate]:
    return [_certificate(r) for r in await conn.fetch(OF_WORKER, worker_id)]


async def visible(conn: asyncpg.Connection, certificate_id: uuid.UUID, caller: Principal) -> Certificate | None:
    """The certificate if the caller may see it (its worker, the operator, an employer dealing with
    the worker for work needing it, a supervisor of the worker's district); None otherwise."""
    sql = VISIBLE.get(caller.role)
    if sql is None:
        return None
    row = await conn.fetchrow(sql, certificate_id, _scope(caller))
    return _certificate(row) if row else None


def _scope(caller: Principal) -> object:
    """What a role's visibility condition is given as $2 (the caller's account, organisation or districts)."""
    return {"admin": None, "worker": caller.worker_id, "employer": caller.organisation_id,
            "supervisor": sorted(caller.districts)}[caller.role]


async def queue(conn: asyncpg.Connection, state: State, caller: Principal, after: tuple | None,
                limit: int) -> list[Certificate]:
    """The certificates in `state` the caller may see (as `visible` decides), oldest first."""
    created, last_id = after or (None, None)
    rows = await conn.fetch(QUEUE[caller.role], state.value, _scope(caller), created, last_id, limit)
    return [_certificate(r) for r in rows]


async def review(conn: asyncpg.Connection, certificate_id: uuid.UUID, state: State, account_id: uuid.UUID,
                 reason: str | None, now: datetime) -> Certificate | None:
    """The certificate reviewed; None when it was no longer pending."""
    row = await conn.fetchrow(REVIEW, certificate_id, state.value, account_id, reason, now)
    return _certificate(row) if row else None


async def revoke(conn: asyncpg.Connection, certificate_id: uuid.UUID, account_id: uuid.UUID, reason: str,
                 now: datetime) -> Certificate | None:
    """The certificate revoked; None when it was no longer verified."""
    row = await conn.fetchrow(REVOKE, certificate_id, account_id, reason, now)
    return _certificate(row) if row else None


async def state_of(conn: asyncpg.Connection, certificate_id: uuid.UUID) -> State:
    return State(await conn.fetchval(STATE_OF, certificate_id))


async def uncovered(conn: asyncpg.Connection, worker_id: uuid.UUID, order_id: uuid.UUID,
                    shift_end: datetime) -> list[Uncovered]:
    rows = await conn.fetch(UNCOVERED, worker_id, order_id, shift_end)
    return [Uncovered(r["skill_code"], r["kind"], r["valid_until"], shift_end) for r in rows]


async def ending_soon(conn: asyncpg.Connection, today: date, last_day: date) -> list[Certificate]:
    return [_certificate(r) for r in await conn.fetch(ENDING_SOON, today, last_day)]


async def record_reminder(conn: asyncpg.Connection, certificate_id: uuid.UUID, days_before: int) -> bool:
    """True when this reminder was not sent before (and now counts as sent)."""
    return await conn.fetchval(RECORD_REMINDER, certificate_id, days_before) is not None


async def affected_seats(conn: asyncpg.Connection, certificate: Certificate,
                         now: datetime) -> list[tuple[uuid.UUID, list[uuid.UUID]]]:
    rows = await conn.fetch(AFFECTED_SEATS, certificate.worker_id, certificate.kind, certificate.valid_until, now)
    return [(r["organisation_id"], list(r["assignment_ids"])) for r in rows]
