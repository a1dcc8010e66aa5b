"""Employment records: an enterprise's own employees, whom it may lend (共享用工). Pure.

Lifecycle (docs/profiles.md):

    pending --confirm (worker)--> active --end (employer)--> ended
    pending --decline (worker)--> declined
    pending --end (employer)----> ended      (the employer withdraws an unanswered registration)

Only `active` records can be lent. `declined` and `ended` are final; a new registration makes a new
record (at most one pending or active record per employer and person, held by the database). A
record names its person by their ID number's keyed hash, signed up or not, and is linked to the
worker when they confirm it.
"""
from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass
from datetime import date, datetime

from market.catalogue.model import MinimumWage
from market.errors import Conflict, FieldError


class EmploymentState(enum.StrEnum):
    pending = "pending"  # registered by the employer, waiting for the worker
    active = "active"  # confirmed by the worker: may be lent
    declined = "declined"  # the worker said it is not their employer
    ended = "ended"  # the employer ended it (or withdrew it before an answer)


class EmploymentAction(enum.StrEnum):
    confirm = "confirm"
    decline = "decline"
    end = "end"


TRANSITIONS: dict[tuple[EmploymentState, EmploymentAction], EmploymentState] = {
    (EmploymentState.pending, EmploymentAction.confirm): EmploymentState.active,
    (EmploymentState.pending, EmploymentAction.decline): EmploymentState.declined,
    (EmploymentState.pending, EmploymentAction.end): EmploymentState.ended,
    (EmploymentState.active, EmploymentAction.end): EmploymentState.ended,
}


def next_state(current: EmploymentState, action: EmploymentAction) -> EmploymentState:
    """The state after `action`, or a Conflict naming the current state."""
    try:
        return TRANSITIONS[(current, action)]
    except KeyError:
        raise Conflict(f"an employment that is {current.value} cannot be {_PAST[action]}",
                       current_state=current.value) from None


_PAST = {EmploymentAction.confirm: "confirmed", EmploymentAction.decline: "declined", EmploymentAction.end: "ended"}


@dataclass(frozen=True)
class Employment:
    """A record as one party sees it. The employer sees the worker (`worker_id`, `worker_name`)
    only once they have confirmed, and before that only the mask of the number it gave itself."""

    id: uuid.UUID
    organisation_id: uuid.UUID
    employer_name: str
    worker_id: uuid.UUID | None
    worker_name: str | None
    worker_id_number_masked: str | None
    job_title: str
    agreed_hourly_wage_fen: int
    state: EmploymentState
    created_at: datetime
    decided_at: datetime | None


@dataclass(frozen=True)
class NewEmployment:
    """A registration: the worker by id or by resident ID number (exactly one of them)."""

    job_title: str
    agreed_hourly_wage_fen: int
    worker_id: uuid.UUID | None = None
    id_number: str | None = None

    def __repr__(self) -> str:  # never let the number reach a log line through a repr
        shown = "<given>" if self.id_number is not None else None
        return (f"NewEmployment(job_title={self.job_title!r}, agreed_hourly_wage_fen={self.agreed_hourly_wage_fen}, "
                f"worker_id={self.worker_id!r}, id_number={shown})")


def wage_problem(agreed_hourly_wage_fen: int, minimum: MinimumWage, district_name: str,
                 day: date) -> FieldError | None:
    """The agreed wage must reach the hourly minimum wage of the employer's district on `day`."""
    if agreed_hourly_wage_fen >= minimum.hourly_fen:
        return None
    return FieldError(
        ("agreed_hourly_wage_fen",),
        f"{agreed_hourly_wage_fen} fen an hour is below the hourly minimum wage of {minimum.hourly_fen / 100:.2f} "
        f"yuan ({minimum.hourly_fen} fen) for tier {minimum.tier} ({district_name}) on {day.isoformat()}",
        {"minimum_hourly_fen": minimum.hourly_fen, "tier": minimum.tier},
    )
