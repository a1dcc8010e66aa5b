"""The pure core of attendance (no I/O): the timesheet and assignment as the service sees them, the
location rule and how reliability moves. The state machine is timesheet.py."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from market.attendance.timesheet import Timesheet, TimesheetState
from market.errors import FieldError, ValidationFailed

# Reliability (workers.reliability, 0–100, 50 neutral). A no-show costs a lot more than a completed
# shift earns, so a worker needs ten good shifts to make up for one missed one.
RELIABILITY_NO_SHOW = -10
RELIABILITY_LATE_WORKER_CANCELLATION = -5
RELIABILITY_COMPLETED = +1


def reliability_after(current: int, step: int) -> int:
    return max(0, min(100, current + step))


def check_location(distance_m: float, radius_m: int, overridden: bool) -> None:
    """A check-in or -out farther from the site than its radius is refused unless the employer
    allowed an override for this assignment."""
    if distance_m > radius_m and not overridden:
        msg = (f"you are {round(distance_m)} m from the site; check-in is allowed within {radius_m} m "
               "(ask the employer for an override if the site is elsewhere)")
        ctx = {"distance_m": round(distance_m), "radius_m": radius_m}
        raise ValidationFailed([FieldError(("lat",), msg, ctx), FieldError(("lon",), msg, ctx)])


@dataclass(frozen=True)
class AttendedAssignment:
    """An assignment as attendance needs it: whose it is, its shift and its site."""

    id: uuid.UUID
    order_id: uuid.UUID
    worker_id: uuid.UUID
    organisation_id: uuid.UUID
    state: str
    starts_at: datetime
    ends_at: datetime
    site_lat: float
    site_lon: float
    check_in_radius_m: int
    relationship_type: str
    site_id: uuid.UUID | None = None  # the order's named site (docs/organisations.md)
    agency_organisation_id: uuid.UUID | None = None  # the agency that posted the order (docs/agencies.md)


@dataclass(frozen=True)
class TimesheetRecord:
    """A timesheet as stored (and served: TimesheetOut)."""

    assignment_id: uuid.UUID
    state: str
    location_override: bool
    checked_in_at: datetime | None
    check_in_distance_m: int | None
    checked_out_at: datetime | None
    check_out_distance_m: int | None
    worked_minutes: int | None
    approved_minutes: int | None
    adjust_reason: str | None
    dispute_reason: str | None
    approved_by: str | None
    approved_at: datetime | None
    # 宽放 waiting time: approved and paid; the worker's claim at check-out; why
    waiting_minutes: int = 0
    waiting_minutes_claimed: int | None = None
    waiting_reason: str | None = None
    # who recorded a no-show: 'employer', or 'platform' (the standby sweep gave the seat to a
    # standby worker, docs/standby.md); None unless the timesheet is no_show
    no_show_by: str | None = None

    def guarded(self, assignment: AttendedAssignment) -> Timesheet:
        """What the state machine's guards look at."""
        return Timesheet(TimesheetState(self.state), assignment.state, assignment.starts_at, assignment.ends_at,
                         self.checked_in_at, self.checked_out_at, self.no_show_by)


@dataclass(frozen=True)
class WorkerAssignment:
    """One of a worker's assignments with its timesheet (GET /v1/workers/me/assignments)."""

    id: uuid.UUID
    order_id: uuid.UUID
    shift_id: uuid.UUID
    state: str
    starts_at: datetime
    ends_at: datetime
    rate_fen: int
    created_at: datetime
    title: str
    relationship_type: str
    site_address: str
    district_code: str
    timesheet_state: str | None
    checked_in_at: datetime | None
    checked_out_at: datetime | None
    worked_minutes: int | None
    approved_minutes: int | None
    settlement_id: uuid.UUID | None
    waiting_minutes: int | None = None


@dataclass(frozen=True)
class EmployerTimesheet:
    """One seat of an organisation with its timesheet (GET /v1/employers/me/timesheets)."""

    assignment_id: uuid.UUID
    order_id: uuid.UUID
    shift_id: uuid.UUID
    title: str
    worker_id: uuid.UUID
    worker_name: str
    assignment_state: str
    starts_at: datetime
    ends_at: datetime
    created_at: datetime
    state: str
    checked_in_at: datetime | None
    checked_out_at: datetime | None
    worked_minutes: int | None
    approved_minutes: int | None
    waiting_minutes: int | None
    no_show_by: str | None
