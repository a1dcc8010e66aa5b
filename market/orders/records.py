"""What the database holds about orders and bids, as plain dataclasses (pure, no I/O).

`model.py` describes an order as posted (what the rules judge); these records add what storage
knows: ids, states, fill counts, timestamps.
"""
from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any, Iterable

from market.events.model import validate_kind
from market.kernel.relationships import RelationshipType
from market.orders.model import (
    AllocationMode,
    OrderKind,
    OrderState,
    Pay,
    Site,
    SkillRequirement,
    WorkerSkill,
)


@dataclass(frozen=True)
class StoredShift:
    id: uuid.UUID
    order_id: uuid.UUID
    start: datetime
    end: datetime
    headcount: int
    filled: int
    open: bool


@dataclass(frozen=True)
class StoredSchedule:
    start_date: date
    end_date: date
    daily_start: time
    daily_end: time


@dataclass(frozen=True)
class StoredOrder:
    id: uuid.UUID
    organisation_id: uuid.UUID
    kind: OrderKind
    state: OrderState
    title: str
    description: str
    district_code: str
    site: Site
    relationship: RelationshipType
    pay: Pay
    hourly_equivalent_fen: int
    daily: bool
    allocation_mode: AllocationMode
    bid_deadline: datetime | None
    offer_expiry_minutes: int
    late_cancel_window_minutes: int
    late_cancel_compensation_minutes: int
    below_minimum_wage: bool
    schedule: StoredSchedule | None
    fee_per_worker_day_fen: int | None
    created_at: datetime
    cancelled_at: datetime | None
    cancel_reason: str | None
    skills: tuple[SkillRequirement, ...] = ()
    shifts: tuple[StoredShift, ...] = ()
    live_bids: int = 0

    @property
    def seats(self) -> int:
        return sum(shift.headcount for shift in self.shifts)

    @property
    def filled(self) -> int:
        return sum(shift.filled for shift in self.shifts)


@dataclass(frozen=True)
class StoredBid:
    id: uuid.UUID
    order_id: uuid.UUID
    shift_id: uuid.UUID
    worker_id: uuid.UUID
    worker_name: str
    worker_reliability: int
    rate_fen: int
    note: str
    state: str
    created_at: datetime
    ended_at: datetime | None


@dataclass(frozen=True)
class StoredConsent:
    id: uuid.UUID
    shared_bid_id: uuid.UUID
    employment_id: uuid.UUID
    worker_id: uuid.UUID
    worker_name: str
    wage_hourly_fen: int
    state: str
    decided_at: datetime | None
    order_id: uuid.UUID | None = None
    lender_name: str | None = None


@dataclass(frozen=True)
class StoredSharedBid:
    id: uuid.UUID
    order_id: uuid.UUID
    lender_id: uuid.UUID
    lender_name: str
    borrower_id: uuid.UUID
    fee_per_worker_day_fen: int
    note: str
    state: str
    created_at: datetime
    ended_at: datetime | None
    consents: tuple[StoredConsent, ...] = ()


@dataclass(frozen=True)
class Agreement:
    id: uuid.UUID
    consent_id: uuid.UUID
    order_id: uuid.UUID
    borrower_id: uuid.UUID
    lender_id: uuid.UUID
    worker_id: uuid.UUID
    terms: dict[str, Any] = field(default_factory=dict)
    created_at: datetime | None = None


@dataclass(frozen=True)
class ActiveEmployment:
    """An employment a lender may lend from: it must be active and the lender's own."""

    id: uuid.UUID
    organisation_id: uuid.UUID
    worker_id: uuid.UUID | None  # set once the worker confirmed: on every active record
    worker_name: str | None
    agreed_hourly_wage_fen: int
    state: str


@dataclass(frozen=True)
class HeldSpan:
    """A seat a worker holds (or has worked), with whom: for overlap and hour limits."""

    start: datetime
    end: datetime
    organisation_id: uuid.UUID


@dataclass(frozen=True)
class BidFacts:
    """An order and what the rules need to know of a worker bidding on it (queries.bid_facts)."""

    order: StoredOrder
    worker_skills: tuple[WorkerSkill, ...]
    held: tuple[HeldSpan, ...]  # seats held around the shifts bid on
    relationship_types: tuple[str, ...]


@dataclass(frozen=True)
class PreparedEvent:
    """An outbox row written by a statement of this package's own (what `emit` would write), for a
    change made in one statement without a transaction round trip around it."""

    kind: str
    payload_json: str
    worker_ids: list[uuid.UUID]
    organisation_ids: list[uuid.UUID]

    @classmethod
    def of(cls, kind: str, payload: dict[str, Any], *, worker_ids: Iterable[uuid.UUID] = (),
           organisation_ids: Iterable[uuid.UUID] = ()) -> PreparedEvent:
        """As `emit` checks and encodes it; the payload holds strings, numbers and lists of them."""
        validate_kind(kind)
        return cls(kind, json.dumps(payload, ensure_ascii=False, separators=(",", ":")),
                   [uuid.UUID(str(w)) for w in worker_ids], [uuid.UUID(str(o)) for o in organisation_ids])
