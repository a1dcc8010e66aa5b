"""What the database holds about orders, as plain dataclasses (pure, no I/O).

`model.py` describes an order as posted (what the rules judge); these records add what storage
knows: ids, states, fill counts, timestamps. (Bids are market/bids/model.py, agreements
market/agreements/model.py.)
"""
from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
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
)


@dataclass(frozen=True)
class NewOrder:
    """An order as it is written when posted: one field per column of `orders` it sets, named as
    the column (queries.INSERT_ORDER is built from these fields, in this order)."""

    organisation_id: uuid.UUID
    kind: str
    title: str
    description: str
    district_code: str
    site_lat: float
    site_lon: float
    site_address: str
    check_in_radius_m: int
    relationship_type: str
    pay_unit: str
    pay_amount_fen: int
    pay_stated_hours: Decimal | None
    pay_cycle_days: int
    hourly_equivalent_fen: int
    daily: bool
    allocation_mode: str
    bid_deadline: datetime | None
    offer_expiry_minutes: int
    late_cancel_window_minutes: int
    late_cancel_compensation_minutes: int
    below_minimum_wage: bool
    period_start: date | None
    period_end: date | None
    daily_start: time | None
    daily_end: time | None
    fee_per_worker_day_fen: int | None
    created_at: datetime
    sector_code: str | None = None
    # the organisation's site it names (docs/organisations.md): its location and radius are the site's
    site_id: uuid.UUID | None = None


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
    sector_code: str | None = None
    pool_until: datetime | None = None  # the favourites-first window's end (docs/favourites.md)
    site_id: uuid.UUID | None = None  # docs/organisations.md
    agency_organisation_id: uuid.UUID | None = None  # the agency that posted it in the client's name

    @property
    def seats(self) -> int:
        return sum(shift.headcount for shift in self.shifts)

    @property
    def filled(self) -> int:
        return sum(shift.filled for shift in self.shifts)


@dataclass(frozen=True)
class OrderProgress:
    """What the progress sweep decides an order's next step on (queries.progress_of_order)."""

    state: str
    organisation_id: uuid.UUID
    district_code: str
    title: str
    first_start: datetime | None
    last_start: datetime | None
    last_end: datetime | None
    ever_held: bool


@dataclass(frozen=True)
class HeldSpan:
    """A seat a worker holds (or has worked), with whom: for overlap and hour limits."""

    start: datetime
    end: datetime
    organisation_id: uuid.UUID


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
