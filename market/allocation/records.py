"""What the database holds about runs and offers, and what the builder reads, as plain dataclasses."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple


class RunLock(NamedTuple):
    """A run's row as its lease check reads it (locked)."""
    status: str
    attempts: int


class SharedCandidate(NamedTuple):
    """A worker a lender's live bid on a shared order offers, with the worker's accepted consent."""
    bid_id: uuid.UUID
    lender_id: uuid.UUID
    fee_per_worker_day_fen: int
    consent_id: uuid.UUID
    worker_id: uuid.UUID


class OrderOwner(NamedTuple):
    """Who owns an order, where, and its state."""
    id: uuid.UUID
    organisation_id: uuid.UUID
    district_code: str
    state: str


class ShiftSeats(NamedTuple):
    """A shift's seats as an acceptance checks them."""
    headcount: int
    filled: int
    open: bool


class CancellableAssignment(NamedTuple):
    """An assignment as the worker cancelling it sees it, with its order's kind, title and window."""
    id: uuid.UUID
    order_id: uuid.UUID
    shift_id: uuid.UUID
    worker_id: uuid.UUID
    organisation_id: uuid.UUID
    state: str
    starts_at: datetime
    kind: str
    title: str
    late_cancel_window_minutes: int


class ExpiredOffer(NamedTuple):
    id: uuid.UUID
    order_id: uuid.UUID
    shift_id: uuid.UUID
    worker_id: uuid.UUID


@dataclass(frozen=True)
class RunRecord:
    id: uuid.UUID
    order_id: uuid.UUID | None
    district_code: str
    trigger: str
    status: str
    queued_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    attempts: int = 0
    solve_seconds: float | None = None
    objective: int | None = None
    best_bound: int | None = None
    gap: float | None = None
    optimal: bool | None = None
    method: str | None = None
    terms: dict[str, Any] | None = None
    seats_open: int | None = None
    seats_filled: int | None = None
    seats_unfilled: int | None = None
    conflicts: int | None = None
    error: str | None = None


@dataclass(frozen=True)
class RunResult:
    """One line of what a run decided: a candidate's outcome on a shift, or a shift's empty seats."""

    order_id: uuid.UUID
    shift_id: uuid.UUID
    worker_id: uuid.UUID | None
    bid_id: uuid.UUID | None
    outcome: str  # offered, assigned, not_chosen, conflict, unfilled
    reason: str | None
    seats: int = 1


@dataclass(frozen=True)
class OpenSeat:
    """A shift with seats a run may fill: free = headcount − held − under pending offers."""

    id: uuid.UUID
    order_id: uuid.UUID
    start: datetime
    end: datetime
    headcount: int
    filled: int
    free_seats: int


@dataclass(frozen=True)
class CandidateRow:
    worker_id: uuid.UUID
    shift_id: uuid.UUID
    bid_id: uuid.UUID | None
    rate_fen: int | None  # the bid's rate, in the order's pay unit; None: the posted rate


@dataclass(frozen=True)
class HeldCommitment:
    """A seat a worker holds (assignment) or has been offered (pending offer)."""

    start: datetime
    end: datetime
    organisation_id: uuid.UUID
    relationship: str
    offered: bool


@dataclass(frozen=True)
class OfferView:
    id: uuid.UUID
    run_id: uuid.UUID | None
    order_id: uuid.UUID
    shift_id: uuid.UUID
    worker_id: uuid.UUID
    bid_id: uuid.UUID | None
    rate_fen: int
    state: str
    expires_at: datetime
    created_at: datetime
    decided_at: datetime | None
    assignment_id: uuid.UUID | None
    title: str
    organisation_id: uuid.UUID
    district_code: str
    relationship_type: str
    pay_unit: str
    starts_at: datetime
    ends_at: datetime
