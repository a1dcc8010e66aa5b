"""Bids as the database holds them, and what a bid is judged on (pure, no I/O): a worker's bid on
a gig shift, a lender's bid on a shared order with a consent asked of each employee it names."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from market.orders.model import WorkerSkill
from market.orders.records import HeldSpan, StoredOrder


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
class ActiveEmployment:
    """An employment a lender may lend from: it must be active and the lender's own."""

    id: uuid.UUID
    organisation_id: uuid.UUID
    worker_id: uuid.UUID | None  # set once the worker confirmed: on every active record
    worker_name: str | None
    agreed_hourly_wage_fen: int
    state: str


@dataclass(frozen=True)
class BidFacts:
    """An order and what the rules need to know of a worker bidding on it (queries.bid_facts)."""

    order: StoredOrder
    worker_skills: tuple[WorkerSkill, ...]
    held: tuple[HeldSpan, ...]  # seats held around the shifts bid on
    relationship_types: tuple[str, ...]


@dataclass(frozen=True)
class NamedEmployee:
    """An employee a lender names in a shared bid, and the hourly wage it pays them while lent."""

    employment_id: uuid.UUID
    wage_hourly_fen: int
