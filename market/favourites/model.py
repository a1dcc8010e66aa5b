"""The favourites domain: plain frozen dataclasses. Pure."""
from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass
from datetime import datetime


class RelationKind(enum.StrEnum):
    favourite = "favourite"
    blocked = "blocked"


@dataclass(frozen=True)
class Relation:
    """An employer's relation to a worker. `reason` is the employer's own note: never shown to the
    worker, never in an event payload."""

    organisation_id: uuid.UUID
    worker_id: uuid.UUID
    worker_name: str
    kind: RelationKind
    reason: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class HiddenEmployer:
    organisation_id: uuid.UUID
    name: str
    created_at: datetime


@dataclass(frozen=True)
class OpenedWindow:
    """An order whose favourites-first window the sweep has just claimed."""

    order_id: uuid.UUID
    organisation_id: uuid.UUID
    district_code: str
