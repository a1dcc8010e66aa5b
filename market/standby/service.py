"""Standby's use cases (docs/standby.md): signing up and withdrawing, the replacement offer of a
vacated seat, and the sweep that records the no-show of a seat not checked in by the grace when
someone is on call (through attendance's no-show), offers no-shows' seats, moves on from lapsed
offers, ends the standbys of cancelled orders and pays those not called. Owns its transactions; the functions at
the bottom run inside the caller's (allocation's cancel, accept and decline)."""
from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import asyncpg

from market.attendance.service import Attendance
from market.bids import queries as bid_queries
from market.bids.rules import bid_refusals
from market.catalogue.service import Catalogue
from market.certificates.service import refuse_unless_covered
from market.constraints import Constraint, violated
from market.errors import Conflict, NotFound
from market.events.outbox import emit
from market.favourites import queries as favourite_queries
from market.kernel import clock
from market.kernel.clock import local_date
from market.kernel.principal import Principal
from market.orders import pool as order_pool
from market.orders import queries as order_queries
from market.orders.model import OrderKind, OrderState
from market.orders.records import StoredOrder
from market.orders.rules import WorkerFacts
from market.orders.service import district_tiers, minimum_wage_table
from market.settlement import batch as settling
from market.settlement import ledger
from market.standby import queries
from market.standby.model import Standby, State, may_withdraw, replacement_offer_minutes

log = logging.getLogger(__name__)

# A worker goes on call while the order still takes workers or is full.
SIGNUP_STATES = frozenset({OrderState.open, OrderState.allocating, OrderState.filled})
# A vacated seat is offered while the order is running (a no-show's seat: in_progress too).
REPLACING_STATES = frozenset({OrderState.open, OrderState.allocating, OrderState.filled, OrderState.in_progress})
HOLDINGS_MARGIN = timedelta(days=8)
SWEEP_BATCH = 200
# Raised by the standbys triggers, not constraints of pg_constraint (market/constraints.py).
WHILE_ASSIGNED = "standbys_not_while_assigned"
ON_STANDBY = "assignments_not_while_on_standby"


@dataclass(frozen=True)
class ShiftStandby:
    shift_id: uuid.UUID
    seats: int
    amount_fen: int | None
    held: int
    standbys: list[Standby]


@dataclass(frozen=True)
class SweepCounts:
    no_shows: int = 0  # recorded by the platform: no check-in by the grace, someone on call
    offered: int = 0
    passed: int = 0
    paid: int = 0
    withdrawn: int = 0


class StandbyService:
    def __init__(self, pool: asyncpg.Pool, catalogue: Catalogue, *, offer_expiry: timedelta,
                 withdraw_cutoff: timedelta, check_in_grace: timedelta, attendance: Attendance | None = None) -> None:
        self.pool = pool
        self.catalogue = catalogue
        self.offer_expiry = offer_expiry
        self.withdraw_cutoff = withdraw_cutoff
        # The automatic no-show (MARKET_STANDBY_CHECK_IN_GRACE) goes through attendance's own
        # no-show; without attendance there is none: the demo's simulation builds its service so,
        # because its no-show story is the employer's, recorded at the plan's moment.
        self.attendance = attendance
        self.check_in_grace = check_in_grace

    async def sign_up(self, caller: Principal, shift_id: uuid.UUID, *, now: datetime | None = None) -> Standby:
        """Go on call for a shift: judged as a bid on it is (the relationship type the worker
        accepts, skills, hour limits, certificates through the shift), then the database holds the
        seat count and the overlaps; the standby amount is held in the employer's escrow."""
        now = clock.now(now)
        worker_id = caller.worker_id
        assert worker_id is not None  # the route admits workers only
        data = await self.catalogue.data()
        async with self.pool.acquire() as conn, conn.transaction():
            order_id = await queries.shift_order(conn, shift_id)
            order = await order_queries.order_by_id(conn, order_id, for_update=True) if order_id else None
            if order is None or order.kind is not OrderKind.gig:
                raise NotFound("no such shift")
            shift = next(s for s in order.shifts if s.id == shift_id)
            facts = await queries.shift_standby(conn, shift_id)
            if order.state not in SIGNUP_STATES:
                raise Conflict(f"the order is {order.state.value}", current_state=order.state.value)
            if facts["standby"] == 0:
                raise Conflict("this shift has no standby seats", reason="no_standby")
            if shift.start <= now:
                raise Conflict("this shift has already started", reason="started")
            if facts["standby_held"] >= facts["standby"]:
                raise Conflict("every standby seat of this shift is taken", reason="standby_full")
            await _refuse_ineligible(conn, order, shift, worker_id, data, now)
            # A blocked worker, a hidden employer or a pool not yet open refuse a standby as they
            # refuse a bid, under the pair's lock (docs/favourites.md). The worker's row first (the
            # lock the standbys trigger takes anyway): a block takes it before the pair's lock, so
            # taking the pair's first here deadlocked against a block (raced in tests/standby).
            await favourite_queries.lock_worker(conn, worker_id)
            await order_pool.lock_pair(conn, order.organisation_id, worker_id, shared=True)
            if refusal := await order_pool.pair_refusal(conn, order.id, worker_id, now):
                raise Conflict(order_pool.PAIR_REFUSALS[refusal], reason=refusal)
            try:
                async with conn.transaction():
                    standby_id = await queries.insert(conn, shift_id, worker_id, now)
            except asyncpg.CheckViolationError as error:
                violated(error, Constraint.STANDBY_SEATS)
                raise Conflict("every standby seat of this shift is taken", reason="standby_full") from None
            except asyncpg.ExclusionViolationError as error:
                if getattr(error, "constraint_name", None) == WHILE_ASSIGNED:
                    raise Conflict("you hold a seat overlapping this shift", reason="assigned") from None
                violated(error, Constraint.STANDBY_OVERLAP)
                raise Conflict("you are on standby for an overlapping shift", reason="overlap") from None
            amount = facts["standby_amount_fen"]
            available = -await ledger.lock_balance(conn, ledger.escrow(order.organisation_id))
            if amount > available:
                raise Conflict("the employer's escrow does not cover the standby pay", reason="insufficient_escrow",
                               needed_fen=amount, available_fen=available)
            await ledger.post_entry(conn, f"standby_hold:{standby_id}", "hold", [
                (ledger.escrow(order.organisation_id), amount), (ledger.escrow_held(order.organisation_id), -amount)],
                memo="escrow hold for a standby seat", organisation_id=order.organisation_id, order_id=order.id,
                now=now)
            await emit(conn, "standby.joined", _payload(standby_id, order.id, shift_id, amount),
                       worker_ids=[worker_id], organisation_ids=[order.organisation_id])
            found = await queries.by_id(conn, standby_id)
            assert found is not None
            return found

    async def withdraw(self, caller: Principal, standby_id: uuid.UUID, *, now: datetime | None = None) -> Standby:
        """Withdraw from standby, until the cutoff before the shift starts; the hold goes back."""
        now = clock.now(now)
        async with self.pool.acquire() as conn, conn.transaction():
            found = await queries.by_id(conn, standby_id)
            if found is None or found.worker_id != caller.worker_id:
                raise NotFound("no such standby")
            await order_queries.order_by_id(conn, found.order_id, for_update=True)
            await queries.lock(conn, standby_id)
            found = await queries.by_id(conn, standby_id)
            assert found is not None
            if found.state != State.on_call.value:
                raise Conflict(f"the standby is {found.state}", current_state=found.state)
            if not may_withdraw(found.starts_at, now, self.withdraw_cutoff):
                raise Conflict("too close to the shift's start to withdraw", current_state=found.state,
                               reason="cutoff_passed")
            await queries.end(conn, standby_id, State.withdrawn.value, now)
            await _release(conn, found, "standby withdrawn", now)
            await emit(conn, "standby.withdrawn", _payload(standby_id, found.order_id, found.shift_id, found.amount_fen),
                       worker_ids=[found.worker_id], organisation_ids=[found.organisation_id])
            result = await queries.by_id(conn, standby_id)
            assert result is not None
            return result

    async def mine(self, caller: Principal) -> list[Standby]:
        assert caller.worker_id is not None
        async with self.pool.acquire() as conn:
            return await queries.of_worker(conn, caller.worker_id)

    async def one(self, caller: Principal, standby_id: uuid.UUID) -> Standby:
        async with self.pool.acquire() as conn:
            found = await queries.by_id(conn, standby_id)
        if found is None or not (found.worker_id == caller.worker_id if caller.role == "worker"
                                 else caller.role == "employer" and found.organisation_id == caller.organisation_id):
            raise NotFound("no such standby")
        return found

    async def of_shift(self, caller: Principal, shift_id: uuid.UUID) -> ShiftStandby:
        """A shift's standby seats and who is on them: the employer's own shifts only."""
        async with self.pool.acquire() as conn:
            order_id = await queries.shift_order(conn, shift_id)
            order = await order_queries.order_by_id(conn, order_id) if order_id else None
            if order is None or order.organisation_id != caller.organisation_id \
                    or not caller.sees_site(order.site_id, order.agency_organisation_id):
                raise NotFound("no such shift")
            facts = await queries.shift_standby(conn, shift_id)
            return ShiftStandby(shift_id, facts["standby"], facts["standby_amount_fen"], facts["standby_held"],
                                await queries.of_shift(conn, shift_id))

    # ---- the sweep -------------------------------------------------------------------------------

    async def sweep(self, *, now: datetime | None = None) -> SweepCounts:
        """One pass: standby offers that lapsed or were declined pass to the next worker; seats
        vacated without a standby offer yet (no-shows, a cancellation whose offer could not be
        made) are offered; standbys of cancelled orders end; those on call at the shift's end are
        paid. First, on shifts with someone on call, seats not checked in by the check-in grace
        are recorded no-shows on the platform's behalf (attendance's no-show: the seat's hold back,
        the event with recorded_by platform) and offered to the first on call in the same
        transaction; without anyone on call nothing is automatic (the employer may tolerate
        lateness when nobody is waiting). Every item is a transaction of its own under its order's row lock; concurrent sweeps
        (every serve process runs one) skip or refuse what another already did."""
        now = clock.now(now)
        no_shows = passed = offered = paid = withdrawn = 0
        async with self.pool.acquire() as conn:
            if self.attendance is not None:
                for row in await queries.not_checked_in(conn, now - self.check_in_grace, now, SWEEP_BATCH):
                    async with conn.transaction():
                        await order_queries.order_by_id(conn, row["order_id"], for_update=True)
                        if await self.attendance.no_show_by_platform(conn, row["id"], self.check_in_grace, now):
                            no_shows += 1
                            offered += await replace_vacated(conn, row["id"], offer_expiry=self.offer_expiry,
                                                             now=now) is not None
            for row in await queries.lapsed(conn, now, SWEEP_BATCH):
                async with conn.transaction():
                    await order_queries.order_by_id(conn, row["order_id"], for_update=True)
                    result = await _pass_on(conn, row["id"], self.offer_expiry, now)
                    passed += result[0]
                    offered += result[1]
            for row in await queries.vacancies(conn, now, SWEEP_BATCH):
                async with conn.transaction():
                    await order_queries.order_by_id(conn, row["order_id"], for_update=True)
                    offered += await replace_vacated(conn, row["id"], offer_expiry=self.offer_expiry,
                                                     now=now) is not None
            for row in await queries.due(conn, now, SWEEP_BATCH):
                async with conn.transaction():
                    order = await order_queries.order_by_id(conn, row["order_id"], for_update=True)
                    assert order is not None
                    if await _pay(conn, row["id"], order, now):
                        paid += 1
            for order_id in await queries.cancelled_orders_with_standbys(conn, SWEEP_BATCH):
                async with conn.transaction():
                    await order_queries.order_by_id(conn, order_id, for_update=True)
                    for standby_id in await queries.active_of_order(conn, order_id):
                        found = await queries.by_id(conn, standby_id)
                        if found is not None and await queries.end(conn, standby_id, State.withdrawn.value, now):
                            await _release(conn, found, "order cancelled", now)
                            withdrawn += 1
        return SweepCounts(no_shows, offered, passed, paid, withdrawn)


# ---- inside the caller's transaction (the caller holds the order's row lock) -------------------

async def replace_vacated(conn: asyncpg.Connection, assignment_id: uuid.UUID, *, offer_expiry: timedelta,
                          now: datetime) -> uuid.UUID | None:
    """Offer the seat `assignment_id` left (cancelled, no-show) to the shift's first on-call
    standby worker, by sign-up order, on the short clock; the offer's id, or None when there is
    no one on call, no seat free, the order no longer runs, or one is already offered it."""
    vacancy = await queries.vacancy(conn, assignment_id, now)
    if vacancy is None or vacancy["standby"] == 0 or vacancy["being_replaced"] \
            or vacancy["assignment_state"] not in ("cancelled", "no_show") or vacancy["ends_at"] <= now \
            or OrderState(vacancy["order_state"]) not in REPLACING_STATES or vacancy["free_seats"] <= 0:
        return None
    while (candidate := await queries.next_on_call(conn, vacancy["shift_id"])) is not None:
        minutes = replacement_offer_minutes(offer_expiry, vacancy["offer_expiry_minutes"])
        try:
            async with conn.transaction():
                offer = await queries.insert_offer(conn, vacancy["order_id"], vacancy["shift_id"],
                                                   candidate["worker_id"], vacancy["rate_fen"], minutes, now)
                await queries.mark_offered(conn, candidate["id"], offer["id"], assignment_id)
        except asyncpg.UniqueViolationError as error:
            which = violated(error, Constraint.ONE_PENDING_OFFER, Constraint.ONE_STANDBY_PER_VACANCY)
            if which is Constraint.ONE_STANDBY_PER_VACANCY:
                return None  # another sweep offered it first
            # the worker already has a pending offer for this shift: they pass this vacancy
            passed = await queries.by_id(conn, candidate["id"])
            if passed is not None and await queries.end(conn, candidate["id"], State.passed.value, now):
                await _release(conn, passed, "standby holds an offer of the shift already", now)
            continue
        await emit(conn, "offer.made", {
            "run_id": None, "order_id": str(vacancy["order_id"]), "shift_id": str(vacancy["shift_id"]),
            "title": vacancy["title"], "start": vacancy["starts_at"], "end": vacancy["ends_at"],
            "rate_fen": vacancy["rate_fen"], "offer_id": str(offer["id"]), "expires_at": offer["expires_at"],
            "standby_id": str(candidate["id"])}, worker_ids=[candidate["worker_id"]])
        return offer["id"]
    return None


async def withdraw_closed_pair(conn: asyncpg.Connection, organisation_id: uuid.UUID, worker_id: uuid.UUID,
                               why: str, now: datetime) -> int:
    """A block (`why` 'blocked') or a hide ('hidden') closed the pair, in its transaction: the
    worker's on-call standbys on the employer's shifts are withdrawn and their holds go back (the
    `standby_release` key, once). `standby.withdrawn` with the reason reaches the employer, and the
    worker for a hide only (a block is never named to the worker; the standby shows withdrawn in
    their list). An `offered` standby is left to the sweep: the block withdrew its pending offer
    (favourites' withdraw_pair), so the next sweep passes it, gives its hold back and offers the
    seat to the next on call, under the order's row lock, which this transaction must not take.
    How many were withdrawn."""
    withdrawn = 0
    for standby_id in await queries.pair_on_call(conn, organisation_id, worker_id):
        found = await queries.by_id(conn, standby_id)
        if found is None or not await queries.end(conn, standby_id, State.withdrawn.value, now):
            continue
        await _release(conn, found, f"standby withdrawn: pair {why}", now)
        await emit(conn, "standby.withdrawn",
                   {**_payload(standby_id, found.order_id, found.shift_id, found.amount_fen), "reason": why},
                   worker_ids=[found.worker_id] if why == "hidden" else [], organisation_ids=[organisation_id])
        withdrawn += 1
    return withdrawn


async def called(conn: asyncpg.Connection, offer_id: uuid.UUID, now: datetime) -> bool:
    """An acceptance of `offer_id` is under way: if it is a standby's offer, the standby becomes
    called (before the seat's assignment, which an active standby would refuse) and its pay's hold
    goes back (the worker is paid for the seat instead). Whether it was a standby's."""
    standby_id = await queries.call_for_offer(conn, offer_id, now)
    if standby_id is None:
        return False
    found = await queries.by_id(conn, standby_id)
    assert found is not None
    await _release(conn, found, "standby called to the seat", now)
    return True


async def offer_ended(conn: asyncpg.Connection, offer_id: uuid.UUID, *, offer_expiry: timedelta,
                      now: datetime) -> bool:
    """A standby's offer was declined: the standby passes and the next on-call worker is offered
    the seat at once. Whether a next offer was made."""
    row = await queries.standby_of_offer(conn, offer_id)
    if row is None or row["state"] != State.offered.value:
        return False
    _, offered = await _pass_on(conn, row["id"], offer_expiry, now)
    return bool(offered)


async def _pass_on(conn: asyncpg.Connection, standby_id: uuid.UUID, offer_expiry: timedelta,
                   now: datetime) -> tuple[int, int]:
    """The standby's offer ended unaccepted (or its clock ran out): it passes, its hold goes back,
    and its vacated seat goes to the next on call. (passed, offered) counts."""
    await queries.lock(conn, standby_id)
    found = await queries.by_id(conn, standby_id)
    if found is None or found.state != State.offered.value or found.offer_id is None:
        return 0, 0
    offer = await queries.offer_state(conn, found.offer_id)
    assert offer is not None
    if offer["state"] == "pending":
        if offer["expires_at"] > now:
            return 0, 0
        await queries.expire_offer(conn, found.offer_id, now)
        await emit(conn, "offer.expired", {"offer_id": str(found.offer_id), "order_id": str(found.order_id),
                                           "shift_id": str(found.shift_id)},
                   worker_ids=[found.worker_id], organisation_ids=[found.organisation_id])
    elif offer["state"] == "accepted":
        return 0, 0
    await queries.end(conn, standby_id, State.passed.value, now)
    await _release(conn, found, "standby offer not taken", now)
    offered = 0
    if found.vacated_assignment_id is not None:
        offered = await replace_vacated(conn, found.vacated_assignment_id, offer_expiry=offer_expiry,
                                        now=now) is not None
    return 1, int(offered)


async def _release(conn: asyncpg.Connection, found: Standby, why: str, now: datetime) -> None:
    """The standby's pay hold back to available escrow (once: its business key)."""
    org = found.organisation_id
    await ledger.post_entry(conn, f"standby_release:{found.id}", "hold_release", [
        (ledger.escrow_held(org), found.amount_fen), (ledger.escrow(org), -found.amount_fen)],
        memo=why, organisation_id=org, order_id=found.order_id, now=now)


async def _pay(conn: asyncpg.Connection, standby_id: uuid.UUID, order: StoredOrder, now: datetime) -> bool:
    """Pay a standby on call at its shift's end: the held amount settled by the settlement engine
    (withholding, pay slip, the worker's payable due the shift's day for the next payout). Exactly
    once: the row leaves on_call in this transaction (under its row lock), and the settlement's
    unique standby_id and the entry's business key refuse a second posting."""
    await queries.lock(conn, standby_id)
    found = await queries.by_id(conn, standby_id)
    if found is None or found.state not in (State.on_call.value, State.offered.value) or found.ends_at > now:
        return False
    if found.state == State.offered.value and found.offer_id is not None:
        # an offer open at the shift's end: it lapses with the shift; they stayed on call, so they are paid
        await queries.expire_offer(conn, found.offer_id, max(now, found.ends_at))
    if not await queries.end(conn, standby_id, State.released_paid.value, now):
        return False
    # Through the settlement engine (docs/standby.md, "Standby pay"): withheld by the relationship
    # type's rule on the pair's tax facts, on the worker's pay slip, counted in later settlements'
    # facts; the settlement's unique standby_id backs the state change above.
    await settling.settle_standby(conn, settling.StandbyDue(
        found.id, found.order_id, found.organisation_id, found.worker_id, order.relationship, found.amount_fen,
        local_date(found.ends_at)), now=now)
    await emit(conn, "standby.paid", _payload(found.id, found.order_id, found.shift_id, found.amount_fen),
               worker_ids=[found.worker_id], organisation_ids=[found.organisation_id])
    return True


async def _refuse_ineligible(conn: asyncpg.Connection, order: StoredOrder, shift, worker_id: uuid.UUID, data,
                             now: datetime) -> None:
    """A 409 unless the worker could bid on the shift (relationship type, skills, hour limits) and
    holds its certificates through it."""
    facts = await bid_queries.bid_facts(conn, order.id, worker_id, [shift.id], HOLDINGS_MARGIN)
    assert facts is not None
    if order.relationship.value not in facts.relationship_types:
        raise Conflict(f"your profile does not accept {order.relationship.value} work", reason="relationship_type")
    tier = district_tiers(data).get(order.district_code)
    minimum = minimum_wage_table(data).hourly_minimum_fen(tier, local_date(shift.start)) if tier is not None else None
    worker = WorkerFacts(skills=facts.worker_skills, held_shifts=facts.held,
                         hours_with_employer=tuple(h for h in facts.held if h.organisation_id == order.organisation_id))
    refusals = bid_refusals(shift=shift, relationship=order.relationship, requirements=order.skills, worker=worker,
                            bid_amount_fen=order.pay.amount_fen, order_amount_fen=order.pay.amount_fen,
                            minimum_hourly_fen=minimum, hours_per_unit=order.pay.hours_per_unit())
    if refusals:
        raise Conflict(refusals[0].msg, reason=refusals[0].code)
    await refuse_unless_covered(conn, worker_id, order.id, shift.end, "none")


def _payload(standby_id: uuid.UUID, order_id: uuid.UUID, shift_id: uuid.UUID, amount_fen: int) -> dict:
    return {"standby_id": str(standby_id), "order_id": str(order_id), "shift_id": str(shift_id),
            "amount_fen": amount_fen}
