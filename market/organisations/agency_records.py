"""The typed rows of agencies (docs/agencies.md) that agency_queries returns: a licence and a
mandate, as the services and views read them (no asyncpg.Record beyond the query layer)."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True)
class Licence:
    id: uuid.UUID
    organisation_id: uuid.UUID
    kind: str
    number: str
    issuing_bureau: str
    scope: str
    valid_from: date
    valid_until: date
    state: str  # pending, verified, rejected
    reviewed_by: uuid.UUID | None
    reviewed_at: datetime | None
    reject_reason: str | None
    created_at: datetime


@dataclass(frozen=True)
class Mandate:
    id: uuid.UUID
    client_organisation_id: uuid.UUID
    agency_organisation_id: uuid.UUID
    scope: tuple[str, ...]
    budget_fen: int
    committed_fen: int
    valid_from: date
    valid_until: date
    fee_per_placement_fen: int
    fee_rate_bp: int
    state: str  # active, revoked
    created_by: uuid.UUID | None
    created_at: datetime
    revoked_at: datetime | None
