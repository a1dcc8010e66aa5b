"""Standby's domain objects and its pure rules (docs/standby.md)."""
from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta


class State(enum.Enum):
    on_call = "on_call"        # holds a standby seat; its pay is held in escrow
    offered = "offered"        # offered a vacated seat; still on call until the offer ends
    called = "called"          # took the vacated seat (an assignment)
    passed = "passed"          # declined the offer or let it lapse: not paid
    released_paid = "released_paid"  # not called: paid the standby amount at the shift's end
    withdrawn = "withdrawn"    # withdrew before the cutoff, or the order was cancelled


ACTIVE = frozenset({State.on_call, State.offered})


@dataclass(frozen=True)
class Standby:
    id: uuid.UUID
    shift_id: uuid.UUID
    order_id: uuid.UUID
    worker_id: uuid.UUID
    organisation_id: uuid.UUID
    starts_at: datetime
    ends_at: datetime
    amount_fen: int
    state: str
    offer_id: uuid.UUID | None
    vacated_assignment_id: uuid.UUID | None
    created_at: datetime
    ended_at: datetime | None
    title: str


def may_withdraw(starts_at: datetime, now: datetime, cutoff: timedelta) -> bool:
    """A standby worker may withdraw until `cutoff` before the shift starts."""
    return now < starts_at - cutoff


def replacement_offer_minutes(standby_expiry: timedelta, order_offer_expiry_minutes: int) -> int:
    """A standby replacement's clock: the standby setting, or the order's own offer clock when
    that is shorter; at least one minute."""
    return max(1, min(int(standby_expiry.total_seconds() // 60), order_offer_expiry_minutes))
