"""The order lifecycle (SPEC §3) as one pure function, and late-cancel compensation. Standard library only.

    draft ──publish──▶ open ──start_allocation──▶ allocating ──fill──▶ filled ──start──▶ in_progress
                        ▲  ◀──────reopen───────────┘                    │                   │
                        │                                               │               complete
                        └───────────────release_seat────────────────────┘                   ▼
                                                                         settled ◀─settle─ completed
    cancel / expire: from draft, open, allocating, filled, in_progress → cancelled / expired

| state        | event            | next        | who sends it                                               |
|--------------|------------------|-------------|------------------------------------------------------------|
| draft        | publish          | open        | employer publishes (rules checked first)                   |
| open         | start_allocation | allocating  | bid deadline, POST /allocate, auto sweep                   |
| allocating   | reopen           | open        | run committed with seats still unfilled, or run abandoned   |
| allocating   | fill             | filled      | run committed and every seat is held                       |
| open         | fill             | filled      | the last outstanding offer was accepted after the run ended |
| filled       | release_seat     | open        | a held seat was given up before the work began              |
| open         | start            | in_progress | first shift began with at least one seat held              |
| filled       | start            | in_progress | first shift began                                          |
| in_progress  | complete         | completed   | last shift ended                                           |
| completed    | settle           | settled     | every timesheet settled                                    |
| (before completed) | cancel     | cancelled   | employer cancels (late-cancel compensation may be due)     |
| (before completed) | expire     | expired     | nothing to do any more, e.g. first shift began unfilled    |

Beyond the SPEC's arrows: `open → filled` and `open → in_progress` exist because offers are
accepted after a run has ended and because a partly filled order still runs with the workers it
has; `filled → open` exists because a seat given up must be re-allocated (SPEC §5). The service
decides *which* event happened (e.g. `start` vs `expire` at the first shift); this module decides
only whether the event is legal in the current state.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from types import MappingProxyType

from market.errors import Conflict
from market.kernel.clock import elapsed
from market.kernel.money import fen_half_up
from market.orders.model import EntityId, LateCancelPolicy, OrderState, Pay, Shift


class OrderEvent(enum.StrEnum):
    publish = "publish"
    start_allocation = "start_allocation"
    reopen = "reopen"  # allocation done, seats left unfilled
    fill = "fill"
    release_seat = "release_seat"
    start = "start"
    complete = "complete"
    settle = "settle"
    cancel = "cancel"
    expire = "expire"


S, E = OrderState, OrderEvent

# States from which an order may still be cancelled or expire: everything before `completed`.
ACTIVE_STATES = frozenset({S.draft, S.open, S.allocating, S.filled, S.in_progress})
TERMINAL_STATES = frozenset({S.settled, S.cancelled, S.expired})

TRANSITIONS: Mapping[tuple[OrderState, OrderEvent], OrderState] = MappingProxyType(
    {
        (S.draft, E.publish): S.open,
        (S.open, E.start_allocation): S.allocating,
        (S.allocating, E.reopen): S.open,
        (S.allocating, E.fill): S.filled,
        (S.open, E.fill): S.filled,
        (S.filled, E.release_seat): S.open,
        (S.open, E.start): S.in_progress,
        (S.filled, E.start): S.in_progress,
        (S.in_progress, E.complete): S.completed,
        (S.completed, E.settle): S.settled,
        **{(state, E.cancel): S.cancelled for state in ACTIVE_STATES},
        **{(state, E.expire): S.expired for state in ACTIVE_STATES},
    }
)


def allowed_events(state: OrderState) -> list[OrderEvent]:
    """The events legal in `state`, in declaration order (served in 409 bodies as a hint)."""
    return [event for event in OrderEvent if (state, event) in TRANSITIONS]


def transition(state: OrderState, event: OrderEvent) -> OrderState:
    """The state after `event`, or Conflict (409) carrying `current_state` when it is illegal."""
    try:
        return TRANSITIONS[(state, event)]
    except KeyError:
        raise Conflict(
            f"cannot {event.value.replace('_', ' ')} an order that is {state.value.replace('_', ' ')}",
            current_state=state.value,
            allowed_events=[e.value for e in allowed_events(state)],
        ) from None


@dataclass(frozen=True)
class HeldSeat:
    """A seat a worker holds (an assignment) at the moment of cancellation."""

    assignment_id: EntityId
    worker_id: EntityId
    shift: Shift


@dataclass(frozen=True)
class Compensation:
    """Money due to a worker because their seat was cancelled late."""

    assignment_id: EntityId
    worker_id: EntityId
    amount_fen: int
    hours: Fraction


def is_late_cancel(policy: LateCancelPolicy, now: datetime, shift: Shift) -> bool:
    """Whether cancelling `shift` at `now` falls in the late-cancel window.

    The window runs from `policy.window` before the start until the shift ends: a worker whose
    shift was cancelled after it began lost at least as much as one cancelled the evening before.
    Once the shift has ended, the work (if any) is paid through its timesheet, not compensated.
    """
    until_start = elapsed(now, shift.start)
    return until_start <= policy.window and elapsed(now, shift.end).total_seconds() > 0


def late_cancel_compensation(
    policy: LateCancelPolicy, now: datetime, pay: Pay, held_seats: Iterable[HeldSeat]
) -> list[Compensation]:
    """Compensation records due when an order is cancelled at `now`, one per held seat in the window.

    Each is `policy.compensation_hours` (capped at the shift's length when the policy says so) at the
    order's hourly rate (`pay.hourly_rate()`, day and piece pay converted with the stated hours),
    rounded half-up to the fen once. Seats outside the window get nothing and are not listed.
    """
    due = [seat_compensation(policy, pay, seat) for seat in held_seats if is_late_cancel(policy, now, seat.shift)]
    return [compensation for compensation in due if compensation is not None]


def seat_compensation(policy: LateCancelPolicy, pay: Pay, seat: HeldSeat) -> Compensation | None:
    """What withdrawing `seat` owes its worker: `policy.compensation_hours` (capped at the shift's
    length when the policy says so) at the order's hourly rate, rounded half-up to the fen once;
    None when that is nothing. A late cancellation owes it, and so does a no-show that a case
    reversed (the employer withdrew a worker who was not absent: market/cases)."""
    hours = Fraction(policy.compensation_hours)
    if policy.cap_at_shift_length:
        hours = min(hours, Fraction(int(seat.shift.duration.total_seconds()), 3600))
    amount = fen_half_up(pay.hourly_rate() * hours)
    return Compensation(seat.assignment_id, seat.worker_id, amount, hours) if amount > 0 else None
