"""Allocation for the HTTP side: asking for a run, reading one, a worker's offers and their answers.

Also the pieces the run engine (runs.py) shares with acceptance: `hold_seat`, the one place an
assignment is made, and `fill_if_held`, which moves an order to `filled` once every seat is held.
Owns its transactions; another party's run or offer is a 404.
"""
from __future__ import annotations

import contextlib
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import AsyncIterator

import asyncpg

from market.kernel.principal import Principal
from market.allocation import queries
from market.allocation.builder import WEEK_MARGIN
from market.allocation.records import OfferView, RunRecord, RunResult
from market.constraints import Constraint, violated
from market.contracts import queries as contract_queries
from market.errors import Conflict, NotFound
from market.events.outbox import emit
from market.kernel import clock
from market.kernel.relationships import RelationshipType
from market.orders import queries as order_queries
from market.orders import rules
from market.orders.lifecycle import OrderEvent, transition
from market.orders.model import Interval, OrderKind, OrderState
from market.orders.records import HeldSpan, PreparedEvent
from market.settlement.escrow import place_hold, release_hold
from market.settlement.model import InsufficientEscrow
from market.attendance.service import record_late_worker_cancellation
from market.certificates.service import refuse_unless_covered
from market.standby import service as standby

# States in which seats may be offered, accepted or handed back to a run.
ALLOCATABLE = frozenset({OrderState.open, OrderState.allocating})


class SeatTaken(Conflict):
    """The database refused an assignment: the worker holds an overlapping shift, or the shift is full."""


async def hold_seat(conn: asyncpg.Connection, *, shift_id: uuid.UUID, worker_id: uuid.UUID,
                    rate_fen: int, savepoint: bool = True, now: datetime | None = None) -> uuid.UUID:
    """Give `worker_id` a seat of `shift_id`: the one place an assignment is created, with its
    escrow hold (pre-funding: a seat the employer's escrow does not cover is refused). Runs in a
    SAVEPOINT of the caller's transaction, so a refusal leaves the caller's other work intact; a
    caller whose transaction ends on a refusal anyway (acceptance) passes `savepoint=False` and
    saves its two round trips. The database decides: the exclusion constraint
    `assignments_no_overlap` and the CHECK `shifts_filled_within_headcount` hold whatever raced us
    (any other violation is not a refused seat, and is raised as it is); the escrow
    balance row is locked by the hold, and the seat's written agreement is made pending (rendered
    later, in the background). `now` is when the seat is given (the real clock by default)."""
    now = clock.now(now)
    try:
        async with conn.transaction() if savepoint else _no_savepoint():
            assignment_id = await queries.insert_assignment(conn, shift_id, worker_id, rate_fen, now)
            await place_hold(conn, assignment_id, now=now)
            # Its written agreement, pending: one cheap insert; rendering is the background's
            # (market/contracts), so accepting or allocating never waits for a PDF.
            await contract_queries.insert_pending_for_assignment(conn, assignment_id, now)
            return assignment_id
    except InsufficientEscrow:
        # No amounts here: the caller may be the worker, and the employer's balance is not theirs.
        raise SeatTaken("the employer's escrow does not cover this seat; it stays open until they deposit more",
                        current_state="pending", reason="insufficient_escrow") from None
    except (asyncpg.ExclusionViolationError, asyncpg.CheckViolationError) as error:
        if getattr(error, "constraint_name", None) == standby.ON_STANDBY:  # a trigger's (docs/standby.md)
            raise SeatTaken("the worker is on standby for an overlapping shift", current_state="pending",
                            reason="on_standby") from None
        if violated(error, Constraint.WORKER_OVERLAP, Constraint.SHIFT_HEADCOUNT) is Constraint.WORKER_OVERLAP:
            raise SeatTaken("this would double-book the worker: they hold an overlapping shift",
                            current_state="pending", reason="overlap") from None
        raise SeatTaken("every seat of this shift is already taken", current_state="pending",
                        reason="seat_taken") from None


async def close_bids(conn: asyncpg.Connection, order_id: uuid.UUID, organisation_id: uuid.UUID,
                     now: datetime) -> None:
    """The order filled: live bids end `not_chosen`, each bidder told their last reason."""
    bids, shared = await queries.end_live_bids_not_chosen(conn, order_id, now)
    reasons = await queries.latest_bid_reasons(conn, order_id, [b for b, _ in bids + shared])
    for bid_id, worker_id in bids:
        await emit(conn, "bid.not_chosen", {"order_id": str(order_id), "bid_id": str(bid_id), "final": True,
                                            "reason": reasons.get(bid_id) or "order_filled"},
                   worker_ids=[worker_id])
    for bid_id, lender_id in shared:
        await emit(conn, "bid.not_chosen", {"order_id": str(order_id), "bid_id": str(bid_id), "final": True,
                                            "reason": reasons.get(bid_id) or "order_filled"},
                   organisation_ids=[lender_id])


async def fill_if_held(conn: asyncpg.Connection, order_id: uuid.UUID, state: OrderState,
                       organisation_id: uuid.UUID, *, fully_held: bool | None = None,
                       now: datetime | None = None) -> OrderState:
    """Move the (locked) order to `filled` when every open seat is held; return its state.
    `fully_held`: whether they are, when the caller has just read it (else it is read here)."""
    if state not in ALLOCATABLE:
        return state
    if fully_held is None:
        fully_held = await queries.order_fully_held(conn, order_id)
    if not fully_held:
        return state
    filled = transition(state, OrderEvent.fill)
    now = clock.now(now)
    await queries.set_order_state(conn, order_id, filled.value, now=now)
    await close_bids(conn, order_id, organisation_id, now)
    await emit(conn, "order.filled", {"order_id": str(order_id)}, organisation_ids=[organisation_id])
    return filled


@contextlib.asynccontextmanager
async def _no_savepoint() -> AsyncIterator[None]:
    yield


@dataclass(frozen=True)
class CancelledSeat:
    assignment_id: uuid.UUID
    late: bool  # inside the order's late-cancel window: the worker's reliability dropped
    released_fen: int  # the escrow hold given back to the employer
    reliability: int | None  # the worker's reliability after a late cancellation


@dataclass(frozen=True)
class RunView:
    run: RunRecord
    results: list[RunResult]
    as_candidate: bool  # a worker's view: their own results only


class Allocations:
    def __init__(self, pool: asyncpg.Pool, *, standby_offer_expiry: timedelta = timedelta(minutes=15)) -> None:
        self.pool = pool
        # the clock of a standby replacement offer (MARKET_STANDBY_OFFER_EXPIRY, docs/standby.md)
        self.standby_offer_expiry = standby_offer_expiry

    async def request_run(self, caller: Principal, order_id: uuid.UUID) -> uuid.UUID:
        """Queue a run for the caller's own open order (or join the one already queued)."""
        async with self.pool.acquire() as conn, conn.transaction():
            order = await order_queries.order_by_id(conn, order_id, for_update=True)
            if order is None or order.organisation_id != caller.organisation_id \
                    or not caller.sees_site(order.site_id, order.agency_organisation_id):
                raise NotFound("no such order")
            if order.state is not OrderState.open:
                raise Conflict(f"only an open order can be allocated; this one is {order.state.value}",
                               current_state=order.state.value)
            return await queries.enqueue_order_run(conn, order_id, order.district_code, "manual")

    async def run(self, caller: Principal, run_id: uuid.UUID) -> RunView:
        async with self.pool.acquire() as conn:
            found = await queries.run_by_id(conn, run_id)
            if found is None:
                raise NotFound("no such allocation run")
            run, owner = found
            if caller.role == "employer":
                owners = {owner} if owner else await queries.organisations_of_run(conn, run_id)
                if caller.organisation_id in owners:
                    results = await queries.results_of_run(conn, run_id)
                    if owner is None:  # a district sweep: only the caller's orders
                        mine = set(await _orders_of(conn, caller.organisation_id, {r.order_id for r in results}))
                        results = [r for r in results if r.order_id in mine]
                    return RunView(run, results, as_candidate=False)
            elif caller.role == "worker" and await queries.is_candidate(conn, run_id, caller.worker_id):
                return RunView(run, await queries.results_of_run(conn, run_id, caller.worker_id), as_candidate=True)
        raise NotFound("no such allocation run")

    async def offers(self, caller: Principal, *, state: str | None, after: tuple | None,
                     limit: int) -> list[OfferView]:
        async with self.pool.acquire() as conn:
            return await queries.offers_of_worker(conn, caller.worker_id, state, after, limit)

    async def offers_of_order(self, caller: Principal, order_id: uuid.UUID, *, state: str | None,
                              after: tuple | None, limit: int) -> list[tuple[OfferView, str]]:
        """The offers of the caller's order (with each worker's name): the organisation's, a site
        manager's only for their sites' orders; any other order is a 404, as allocate's."""
        async with self.pool.acquire() as conn:
            order = await order_queries.order_by_id(conn, order_id)
            if order is None or order.organisation_id != caller.organisation_id \
                    or not caller.sees_site(order.site_id, order.agency_organisation_id):
                raise NotFound("no such order")
            return await queries.offers_of_order(conn, order_id, state, after, limit)

    async def accept(self, caller: Principal, offer_id: uuid.UUID, *, now: datetime | None = None) -> OfferView:
        """Take the offered seat: re-check overlap and hour limits against what the worker holds now,
        then hold the seat. Anything that would double-book is a 409, never a double booking.

        The offer, order and worker locks are one statement (queries.LOCK_FOR_ACCEPT), what is
        judged after them another, and the acceptance with its events a third; the seat's hold is
        `hold_seat`'s."""
        now = clock.now(now)
        async with self.pool.acquire() as conn, conn.transaction():
            locks = await queries.lock_for_accept(conn, offer_id, caller.worker_id, now)
            offer = _pending(locks.offer, caller, now)
            state = OrderState(locks.order_state)
            # A standby's replacement offer (docs/standby.md): the standby is called first (an active
            # standby would refuse the seat), and a no-show's seat is taken while the order runs.
            from_standby = await standby.called(conn, offer_id, now)
            if state not in ALLOCATABLE and not (from_standby and state in (OrderState.filled, OrderState.in_progress)):
                raise Conflict(f"the order is {state.value}", current_state=state.value)
            seats, commitments = await queries.accept_facts(conn, offer.shift_id, offer.worker_id,
                                                            offer.starts_at - WEEK_MARGIN, offer.ends_at + WEEK_MARGIN)
            if not seats.open or seats.filled >= seats.headcount:
                raise Conflict("every seat of this shift is already taken", current_state="pending",
                               reason="seat_taken")
            held = [HeldSpan(h.start, h.end, h.organisation_id) for h in commitments]
            worker = rules.WorkerFacts(held_shifts=tuple(held), hours_with_employer=tuple(
                h for h in held if h.organisation_id == offer.organisation_id))
            refusals = rules.seat_refusals(shift=Interval(offer.starts_at, offer.ends_at),
                                           relationship=RelationshipType(offer.relationship_type), requirements=(),
                                           worker=worker, strict_each_day=True)
            if refusals:
                raise Conflict(refusals[0].msg, current_state="pending", reason=refusals[0].code)
            # The certificates the order needs, verified and lasting through the shift's last day,
            # judged now (the run judged them when it made the offer; one may have expired since).
            await refuse_unless_covered(conn, offer.worker_id, offer.order_id, offer.ends_at, "pending")
            # No savepoint: a refusal here ends the whole acceptance.
            assignment_id = await hold_seat(conn, shift_id=offer.shift_id, worker_id=offer.worker_id,
                                            rate_fen=offer.rate_fen, savepoint=False, now=now)
            payload = {"offer_id": str(offer_id), "order_id": str(offer.order_id), "shift_id": str(offer.shift_id),
                       "assignment_id": str(assignment_id)}
            accepted, fully_held = await queries.accept_offer(conn, offer_id, assignment_id, (
                PreparedEvent.of("offer.accepted", payload, worker_ids=[offer.worker_id],
                                 organisation_ids=[offer.organisation_id]),
                PreparedEvent.of("seat.filled", payload, organisation_ids=[offer.organisation_id])), now)
            await fill_if_held(conn, offer.order_id, state, offer.organisation_id, fully_held=fully_held, now=now)
            return accepted

    async def decline(self, caller: Principal, offer_id: uuid.UUID, *, now: datetime | None = None) -> OfferView:
        """Refuse the offered seat; it goes back to the next run of the order."""
        now = clock.now(now)
        async with self.pool.acquire() as conn, conn.transaction():
            offer = await self._pending_offer(conn, caller, offer_id, now)
            await queries.decide_offer(conn, offer_id, "declined", now)
            await emit(conn, "offer.declined", {"offer_id": str(offer_id), "order_id": str(offer.order_id),
                                                "shift_id": str(offer.shift_id)},
                       worker_ids=[offer.worker_id], organisation_ids=[offer.organisation_id])
            # a standby's offer: the next on call is offered the seat at once (docs/standby.md)
            await standby.offer_ended(conn, offer_id, offer_expiry=self.standby_offer_expiry, now=now)
            await return_seat(conn, offer.order_id)
            return await queries.offer_by_id(conn, offer_id)

    async def cancel_assignment(self, caller: Principal, assignment_id: uuid.UUID, reason: str, *,
                                now: datetime | None = None) -> CancelledSeat:
        """A worker gives back a seat they hold, before the shift starts and before checking in.

        The seat is freed (the filled count drops), the escrow hold released, a `filled` order
        reopens and a run is queued for the seat. Inside the order's late-cancel window the
        worker's reliability drops (SPEC §6); the employer is told either way. Shared-labor seats
        are refused: the lending enterprise arranged them under the three-party agreement, and
        changes go through it, not through one employee's click."""
        now = clock.now(now)
        async with self.pool.acquire() as conn, conn.transaction():
            found = await queries.assignment_of_worker(conn, assignment_id)
            if found is None or found.worker_id != caller.worker_id:
                raise NotFound("no such assignment")
            if OrderKind(found.kind) is OrderKind.shared:
                raise Conflict("a shared-labor seat is changed by the lending enterprise, not cancelled by the worker",
                               current_state=found.state)
            order_id = found.order_id
            state = OrderState((await queries.lock_orders(conn, [order_id]))[order_id])
            current, checked_in_at = await queries.lock_assignment(conn, assignment_id)
            if current != "active":
                raise Conflict(f"the assignment is {current}", current_state=current)
            if checked_in_at is not None or now >= found.starts_at:
                raise Conflict("the shift has started; ask the employer instead", current_state=current)
            late = found.starts_at - now < timedelta(minutes=found.late_cancel_window_minutes)
            await queries.cancel_assignment(conn, assignment_id, now)
            released = await release_hold(conn, assignment_id, "cancelled by the worker")
            reliability = await record_late_worker_cancellation(conn, caller.worker_id) if late else None
            await emit(conn, "assignment.cancelled", {
                "assignment_id": str(assignment_id), "order_id": str(order_id), "shift_id": str(found.shift_id),
                "by": "worker", "late": late, "reason": reason}, worker_ids=[caller.worker_id],
                organisation_ids=[found.organisation_id])
            if state is OrderState.filled:
                await queries.set_order_state(conn, order_id, transition(state, OrderEvent.release_seat).value,
                                              now=now)
            # the shift's first standby worker is offered the seat now, on the short clock (docs/standby.md)
            await standby.replace_vacated(conn, assignment_id, offer_expiry=self.standby_offer_expiry, now=now)
            await return_seat(conn, order_id)
            return CancelledSeat(assignment_id, late, released, reliability)

    async def _pending_offer(self, conn: asyncpg.Connection, caller: Principal, offer_id: uuid.UUID,
                             now: datetime) -> OfferView:
        return _pending(await queries.offer_by_id(conn, offer_id, for_update=True), caller, now)


def _pending(offer: OfferView | None, caller: Principal, now: datetime) -> OfferView:
    """The (locked) offer when the caller may answer it now: theirs, pending, not expired."""
    if offer is None or offer.worker_id != caller.worker_id:
        raise NotFound("no such offer")
    if offer.state != "pending":
        raise Conflict(f"the offer is {offer.state}", current_state=offer.state)
    if offer.expires_at <= now:
        raise Conflict("the offer has expired", current_state="expired")
    return offer


async def return_seat(conn: asyncpg.Connection, order_id: uuid.UUID) -> uuid.UUID | None:
    """A seat came back (declined or expired offer): queue a run for the order if it still allocates."""
    owner = (await queries.order_owners(conn, [order_id]))[order_id]
    if OrderState(owner.state) not in ALLOCATABLE:
        return None
    return await queries.enqueue_order_run(conn, order_id, owner.district_code, "seat_returned")


async def _orders_of(conn: asyncpg.Connection, organisation_id: uuid.UUID, order_ids: set) -> list[uuid.UUID]:
    owners = await queries.order_owners(conn, list(order_ids))
    return [i for i, r in owners.items() if r.organisation_id == organisation_id]


__all__ = ["Allocations", "CancelledSeat", "RunView", "SeatTaken", "close_bids", "fill_if_held", "hold_seat", "return_seat"]
