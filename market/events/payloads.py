"""Every event kind the services emit, the streams it reaches, and its payload's schema.

This is the registry the API documents (the SSE responses and the OpenAPI `webhooks` section,
market/web/openapi.py) and the one the tests hold every emitted payload to (tests/conftest.py
checks each test's outbox against it): a kind or a field that is not here is not part of the API.
A payload model forbids unknown fields, so a field added at an `emit` without being added here
fails the tests that exercise it.

The payloads are the wire contract of SSE and webhooks alike; ids are strings (UUIDs), times RFC
3339 in Asia/Shanghai time (+08:00, written so by the outbox), dates ISO dates, money integer fen.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from types import MappingProxyType
from typing import Any, Literal, Mapping

from pydantic import BaseModel, ConfigDict, Field, RootModel, TypeAdapter, ValidationError

# The streams an event can reach: a worker's (GET /v1/workers/me/events), an organisation's
# (GET /v1/employers/me/events, and its webhooks), a district's (GET /v1/supervision/events).
WORKER, ORGANISATION, DISTRICT = "worker", "organisation", "district"


class Payload(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # Who did it (docs/organisations.md): the account of the request that made the change, written
    # by the outbox into every event it emits (market/kernel/acting.py); absent for a sweep's.
    actor_account_id: uuid.UUID | None = Field(None, description=(
        "the account whose request made the change (an organisation's member, a worker, an operator); "
        "absent when no request did (a sweep, the allocation worker)"))


# -- orders ---------------------------------------------------------------------------------------
class OrderPostedEvent(Payload):
    """`order.posted`: an order was published."""
    order_id: uuid.UUID
    kind: Literal["gig", "shared"]
    title: str
    district_code: str


class OrderChangedEvent(Payload):
    """An order moved on: `order.cancelled`, `order.in_progress`, `order.completed`,
    `order.settled`, `order.expired`."""
    order_id: uuid.UUID
    title: str


class OrderFilledEvent(Payload):
    """`order.filled`: every seat of the order is held."""
    order_id: uuid.UUID


class ShiftOpenedEvent(Payload):
    """`shift.opened`: a gig shift was posted; it reaches each worker it fits."""
    order_id: uuid.UUID
    shift_id: uuid.UUID
    title: str
    start: datetime
    end: datetime
    headcount: int
    district_code: str
    hourly_equivalent_fen: int
    relationship: Literal["labor_part_time", "incomplete_labor", "labor_service"]
    shift_date: date
    pool_opened: bool = Field(False, description=(
        "the order's favourites-first window ended: sent to everyone the shift fits but its pool, who heard at "
        "posting (docs/favourites.md)"))


# -- bids -----------------------------------------------------------------------------------------
class GigBidsPlaced(Payload):
    """A worker's bids, one per shift bid on."""
    order_id: uuid.UUID
    bid_ids: list[uuid.UUID]
    shift_ids: list[uuid.UUID]
    rate_fen: int


class SharedBidPlaced(Payload):
    """A lending enterprise's bid on a shared-labor order."""
    order_id: uuid.UUID
    bid_id: uuid.UUID
    shared: Literal[True]


class BidPlacedEvent(RootModel[GigBidsPlaced | SharedBidPlaced]):
    """`bid.placed`: a worker's bids on a gig order, or a lending enterprise's on a shared one."""


class BidWithdrawnEvent(Payload):
    """`bid.withdrawn`: the bidder took a live bid back."""
    order_id: uuid.UUID
    bid_id: uuid.UUID


class BidClosed(Payload):
    """The order filled: the bid ends, with the last reason a run gave for passing it over."""
    order_id: uuid.UUID
    bid_id: uuid.UUID
    final: Literal[True]
    reason: str


class BidPassedOver(Payload):
    """An allocation run did not choose the bid; it stays live for the next run."""
    run_id: uuid.UUID
    order_id: uuid.UUID
    bid_id: uuid.UUID
    shift_id: uuid.UUID
    reason: str
    final: Literal[False]


class BidNotChosenEvent(RootModel[BidClosed | BidPassedOver]):
    """`bid.not_chosen`: a run passed the bid over (`final` false), or the order filled (`final` true)."""


class BidChosenEvent(Payload):
    """`bid.chosen`: a lending enterprise's shared-labor bid was chosen for these employees."""
    run_id: uuid.UUID
    order_id: uuid.UUID
    bid_id: uuid.UUID
    worker_ids: list[uuid.UUID]


# -- shared-labor consents ------------------------------------------------------------------------
class ConsentRequestedEvent(Payload):
    """`consent.requested`: the worker's employer offered them to another enterprise; they decide."""
    consent_id: uuid.UUID
    order_id: uuid.UUID
    lender: str
    title: str


class ConsentDecidedEvent(Payload):
    """`consent.accepted` (with the three-party agreement made) or `consent.declined`."""
    consent_id: uuid.UUID
    order_id: uuid.UUID
    agreement_id: uuid.UUID | None


# -- written agreements (market/contracts) ---------------------------------------------------------
class AgreementReadyEvent(Payload):
    """`agreement.ready`: a written agreement is rendered, for its parties to read and sign."""
    agreement_id: uuid.UUID = Field(description="the written agreement (its number)")
    assignment_id: uuid.UUID | None
    shared_agreement_id: uuid.UUID | None = Field(description="the three-party agreement it is the written form of")
    sha256: str
    written_required: bool = Field(description="check-in waits until every party has signed")


class AgreementSignedEvent(Payload):
    """`agreement.signed`: a party signed; `state` is `signed` once every party has."""
    agreement_id: uuid.UUID
    assignment_id: uuid.UUID | None
    shared_agreement_id: uuid.UUID | None
    role: str
    state: str
    missing_roles: list[str]


# -- allocation -----------------------------------------------------------------------------------
class _RunSeat(Payload):
    """The seat an allocation run gives or offers a worker (the facts both events carry)."""
    run_id: uuid.UUID
    order_id: uuid.UUID
    shift_id: uuid.UUID
    title: str
    start: datetime
    end: datetime
    rate_fen: int


class SeatAssigned(_RunSeat):
    """An allocation run gave the worker a seat of an auto-allocated order."""
    assignment_id: uuid.UUID


class SharedAssignmentMade(Payload):
    """A run placed a lent employee on every shift of a shared-labor order."""
    run_id: uuid.UUID
    order_id: uuid.UUID
    shared: Literal[True]
    shifts: int
    title: str


class AssignmentMadeEvent(RootModel[SeatAssigned | SharedAssignmentMade]):
    """`assignment.made`: a seat is the worker's (a gig seat, or a shared-labor placement)."""


class OfferMadeEvent(_RunSeat):
    """`offer.made`: a run offers the worker a seat; accept before `expires_at`. A standby
    replacement offer (docs/standby.md) has no run (`run_id` null) and names the standby row."""
    offer_id: uuid.UUID
    expires_at: datetime
    run_id: uuid.UUID | None  # type: ignore[assignment]
    standby_id: uuid.UUID | None = None


class OfferAcceptedEvent(Payload):
    """`offer.accepted`: the worker took the offered seat."""
    offer_id: uuid.UUID
    order_id: uuid.UUID
    shift_id: uuid.UUID
    assignment_id: uuid.UUID


class OfferEndedEvent(Payload):
    """`offer.declined` or `offer.expired`: the seat goes back to the order's next run."""
    offer_id: uuid.UUID
    order_id: uuid.UUID
    shift_id: uuid.UUID


class SeatFilledEvent(RootModel[SeatAssigned | OfferAcceptedEvent]):
    """`seat.filled`: a seat of the employer's order is held, by a run or by an accepted offer."""


class RunFinishedEvent(Payload):
    """`run.finished`: an allocation run of the order ended."""
    run_id: uuid.UUID
    order_id: uuid.UUID
    seats_open: int
    seats_filled: int
    seats_unfilled: int
    conflicts: int


class AssignmentCancelledEvent(Payload):
    """`assignment.cancelled`: the worker gave the seat back; `late` says whether inside the
    order's late-cancel window."""
    assignment_id: uuid.UUID
    order_id: uuid.UUID
    shift_id: uuid.UUID
    by: Literal["worker"]
    late: bool
    reason: str


# -- work and settlement --------------------------------------------------------------------------
class AssignmentEvent(Payload):
    """`assignment.checked_in`."""
    assignment_id: uuid.UUID


class NoShowEvent(Payload):
    """`assignment.no_show`: the worker did not come; `recorded_by` is `employer` (POST
    /v1/assignments/{id}/no-show) or `platform` (the standby sweep, once MARKET_STANDBY_CHECK_IN_GRACE
    passed without a check-in on a shift with a standby worker on call, who is then offered the seat)."""
    assignment_id: uuid.UUID
    recorded_by: Literal["employer", "platform"] = "employer"


class CheckedOutEvent(Payload):
    """`assignment.checked_out`: the timesheet is submitted with the minutes worked (and the 宽放
    waiting minutes the worker claims, 0 when none)."""
    assignment_id: uuid.UUID
    worked_minutes: int
    waiting_minutes: int = 0


class TimesheetApprovedEvent(Payload):
    """`timesheet.approved` (by the employer) or `timesheet.auto_approved` (the sweep, after 24 h)."""
    assignment_id: uuid.UUID
    order_id: uuid.UUID
    approved_minutes: int
    waiting_minutes: int = 0  # 宽放 waiting time approved and paid besides the approved minutes


class TimesheetDisputedEvent(Payload):
    """`timesheet.disputed`: the employer disputes the submitted minutes."""
    assignment_id: uuid.UUID
    reason: str


class SettlementPostedEvent(Payload):
    """`settlement.posted`: the assignment's pay is settled, payable on `due_date`."""
    settlement_id: uuid.UUID
    assignment_id: uuid.UUID
    due_date: date


class ArrearsRecordedEvent(Payload):
    """`arrears.recorded`: pay due on `due_date` is unpaid."""
    arrears_id: uuid.UUID
    kind: Literal["wage_unpaid", "shared_wage_unconfirmed"]
    due_date: date


class CaseMovedEvent(Payload):
    """`case.moved`: a complaint, dispute or appeal was opened or changed state (docs/cases.md);
    `move` is what happened (open, answer, accept, escalate, expire, take_over, decide)."""
    case_id: uuid.UUID
    kind: str
    state: Literal["open", "answered", "resolved", "escalated", "decided"]
    move: Literal["open", "answer", "accept", "escalate", "expire", "take_over", "decide"]


class ColourChangedEvent(Payload):
    """`organisation.colour_changed`: an organisation's 诚信 colour changed (docs/reputation.md),
    with the reasons for the new one."""
    organisation_id: uuid.UUID
    colour: Literal["red", "blue", "black"]
    previous: Literal["red", "blue", "black"]
    reasons: list[str]


class DepositConfirmedEvent(Payload):
    """`deposit.confirmed`: a bank transfer into the employer's escrow is confirmed."""
    deposit_id: uuid.UUID
    amount_fen: int


# -- certificates ---------------------------------------------------------------------------------
class CertificateReviewedEvent(Payload):
    """`certificate.reviewed`: an operator or an employer's reviewer verified or rejected the
    worker's certificate, or the operator revoked a verified one (a rejection or a revocation says
    why)."""
    certificate_id: uuid.UUID
    kind: str
    state: Literal["verified", "rejected", "revoked"]
    valid_until: date
    reason: str | None = None


class CertificateExpiringEvent(Payload):
    """`certificate.expiring`: the worker's verified certificate stops counting after
    `valid_until`, `days_before` (30, then 7) days ahead; sent once each. The worker is told; each
    employer holding the worker on future seats that need it and end later is told too, with those
    seats (`assignment_ids`, empty on the worker's own stream)."""
    certificate_id: uuid.UUID
    worker_id: uuid.UUID
    kind: str
    valid_until: date
    days_before: Literal[30, 7]
    assignment_ids: list[uuid.UUID] = []


class RecurringOccurrenceRefusedEvent(Payload):
    """`recurring.occurrence_refused`: an occurrence of a recurring order (docs/recurring-orders.md)
    was not posted because a posting rule refused it on its own date (e.g. the minimum wage in
    force then); the series goes on. `errors` are the posting's field errors (loc, msg, ctx)."""
    series_id: uuid.UUID
    occurrence_date: date
    name: str
    detail: str
    errors: list[dict[str, Any]] = []


# -- the stream itself ----------------------------------------------------------------------------
class StreamResetEvent(Payload):
    """`reset`, on SSE only: the Last-Event-ID sent lies before the oldest event the stream still
    holds; reload your state from the API, then read on (docs/events.md)."""
    reason: Literal["history_trimmed"]


# -- standby (docs/standby.md) ---------------------------------------------------------------------
class StandbyEvent(Payload):
    """`standby.joined`, `standby.withdrawn`, `standby.paid`: a worker went on call for a shift,
    withdrew, or was paid the standby amount at the shift's end (not called)."""
    standby_id: uuid.UUID
    order_id: uuid.UUID
    shift_id: uuid.UUID
    amount_fen: int


class StandbyWithdrawnEvent(StandbyEvent):
    """`standby.withdrawn`: the worker withdrew (`reason` absent), or the pair closed: `blocked`
    (the employer blocked the worker; on the organisation's stream only, as a block is never named
    to the worker) or `hidden` (the worker hid the employer)."""
    reason: Literal["blocked", "hidden"] | None = None


# -- agencies (docs/agencies.md) -------------------------------------------------------------------
class AgencyLicenceReviewedEvent(Payload):
    """`agency.licence_reviewed`: the operator verified or rejected the agency's licence (a
    rejection says why). An `hr_service` licence verified and current lets the agency post."""
    organisation_id: uuid.UUID
    licence_id: uuid.UUID
    kind: Literal["hr_service", "labor_dispatch"]
    decision: Literal["verified", "rejected"]
    reason: str | None = None


class MandateEvent(Payload):
    """`mandate.granted`, `mandate.revoked`: a client employer granted an agency a mandate to act
    in its name (its scope, budget, validity and fee), or revoked it; sent to both."""
    mandate_id: uuid.UUID
    agency_organisation_id: uuid.UUID
    client_organisation_id: uuid.UUID
    scope: list[Literal["post_orders", "manage_orders", "approve_timesheets"]]
    budget_fen: int
    committed_fen: int
    valid_from: date
    valid_until: date
    fee_per_placement_fen: int
    fee_rate_bp: int


@dataclass(frozen=True)
class EventType:
    kind: str
    payload: type[BaseModel]
    streams: frozenset[str]


def _types(*rows: tuple[str, type[BaseModel], tuple[str, ...]]) -> Mapping[str, EventType]:
    return MappingProxyType({kind: EventType(kind, payload, frozenset(streams)) for kind, payload, streams in rows})


W, O, D = WORKER, ORGANISATION, DISTRICT
EVENT_TYPES: Mapping[str, EventType] = _types(
    ("order.posted", OrderPostedEvent, (O, D)),
    ("order.cancelled", OrderChangedEvent, (W, O, D)),
    ("order.in_progress", OrderChangedEvent, (O, D)),
    ("order.completed", OrderChangedEvent, (O, D)),
    ("order.settled", OrderChangedEvent, (O, D)),
    ("order.expired", OrderChangedEvent, (O, D)),
    ("order.filled", OrderFilledEvent, (O,)),
    ("shift.opened", ShiftOpenedEvent, (W, D)),
    ("bid.placed", BidPlacedEvent, (W, O)),
    ("bid.withdrawn", BidWithdrawnEvent, (O,)),
    ("bid.not_chosen", BidNotChosenEvent, (W, O)),
    ("bid.chosen", BidChosenEvent, (O,)),
    ("consent.requested", ConsentRequestedEvent, (W,)),
    ("consent.accepted", ConsentDecidedEvent, (W, O)),
    ("consent.declined", ConsentDecidedEvent, (W, O)),
    ("agreement.ready", AgreementReadyEvent, (W, O)),
    ("agreement.signed", AgreementSignedEvent, (W, O)),
    ("assignment.made", AssignmentMadeEvent, (W, O)),
    ("offer.made", OfferMadeEvent, (W,)),
    ("offer.accepted", OfferAcceptedEvent, (W, O)),
    ("offer.declined", OfferEndedEvent, (W, O)),
    ("offer.expired", OfferEndedEvent, (W, O)),
    ("seat.filled", SeatFilledEvent, (O,)),
    ("run.finished", RunFinishedEvent, (O,)),
    ("assignment.cancelled", AssignmentCancelledEvent, (W, O)),
    ("assignment.checked_in", AssignmentEvent, (W, O)),
    ("assignment.checked_out", CheckedOutEvent, (W, O)),
    ("assignment.no_show", NoShowEvent, (W, O)),
    ("timesheet.approved", TimesheetApprovedEvent, (W, O)),
    ("timesheet.auto_approved", TimesheetApprovedEvent, (W, O)),
    ("timesheet.disputed", TimesheetDisputedEvent, (W, O)),
    ("settlement.posted", SettlementPostedEvent, (W, O)),
    ("arrears.recorded", ArrearsRecordedEvent, (W, O, D)),
    ("deposit.confirmed", DepositConfirmedEvent, (O,)),
    ("case.moved", CaseMovedEvent, (W, O, D)),
    ("organisation.colour_changed", ColourChangedEvent, (O, D)),
    ("certificate.reviewed", CertificateReviewedEvent, (W,)),
    ("certificate.expiring", CertificateExpiringEvent, (W, O)),
    ("standby.joined", StandbyEvent, (W, O)),
    ("standby.withdrawn", StandbyWithdrawnEvent, (W, O)),
    ("standby.paid", StandbyEvent, (W, O)),
    ("recurring.occurrence_refused", RecurringOccurrenceRefusedEvent, (O,)),
    ("agency.licence_reviewed", AgencyLicenceReviewedEvent, (O,)),
    ("mandate.granted", MandateEvent, (O,)),
    ("mandate.revoked", MandateEvent, (O,)),
)
# Sent by the SSE endpoints themselves (never through the outbox), on every stream.
STREAM_EVENT_TYPES: Mapping[str, EventType] = _types(("reset", StreamResetEvent, (W, O, D)))


def kinds_on(stream: str) -> list[EventType]:
    """The event types a stream can carry, outbox kinds first, then the stream's own."""
    return [t for t in (*EVENT_TYPES.values(), *STREAM_EVENT_TYPES.values()) if stream in t.streams]


def payload_problems(kind: str, payload: Any, *, streams: set[str] | frozenset[str] = frozenset()) -> list[str]:
    """What is wrong with an emitted event by this registry (empty: nothing). `streams`: the kinds
    of stream it was sent to (a worker's, an organisation's, a district's)."""
    known = EVENT_TYPES.get(kind)
    if known is None:
        return [f"{kind!r} is not an event type of market/events/payloads.py"]
    problems = [f"{kind} is documented as never reaching a {stream} stream" for stream in sorted(streams - known.streams)]
    try:
        TypeAdapter(known.payload).validate_python(payload)
    except ValidationError as error:
        problems += [f"{kind} payload: {'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors()]
    return problems
