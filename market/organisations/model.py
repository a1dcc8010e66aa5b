"""The members and sites of an organisation: plain values, no I/O."""
from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass
from datetime import datetime


class MemberRole(enum.StrEnum):
    owner = "owner"
    site_manager = "site_manager"
    finance = "finance"


@dataclass(frozen=True)
class Member:
    account_id: uuid.UUID
    organisation_id: uuid.UUID
    role: str
    display_name: str
    login_masked: str | None
    site_ids: tuple[uuid.UUID, ...]
    created_at: datetime
    created_by: uuid.UUID | None


@dataclass(frozen=True)
class Site:
    id: uuid.UUID
    organisation_id: uuid.UUID
    name: str
    address: str
    lat: float
    lon: float
    check_in_radius_m: int
    manager_ids: tuple[uuid.UUID, ...]
    created_at: datetime
    created_by: uuid.UUID | None
