"""Domain data → a solver `Problem` (docs/allocation.md, "The builder").

For the orders of one run: every open shift with free seats (headcount − held − under pending
offers) becomes a solver shift with that many seats. Candidates are, for a `bids` order, the
workers with live bids (pay from the bid's rate) and, for an `auto` order, the workers the shift
fits — the same SQL as the feed (`market.feed.service.workers_fitting_shift`) — who accept
auto-allocation and were not offered that shift before. Each candidate pair is judged by the
orders rules (`seat_refusals`, mapped to solver reasons by `ALLOCATION_REASON`) plus the profile
checks (relationship types, travel distance, availability, bid ≤ rate); refused pairs go into
`Problem.ineligible` so the run can say why. Held assignments and pending offers are each worker's
commitments, so the solver's overlap, rest and hour limits count them.
"""
from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from fractions import Fraction

import asyncpg

from market import geo
from market.allocation import queries
from market.allocation.model import (
    AllocationConfig,
    Commitment,
    EligiblePairs,
    IneligiblePair,
    Problem,
    Reason,
    Shift,
    Worker,
    local_minutes,
)
from market.allocation.records import CandidateRow, HeldCommitment, OpenSeat
from market.feed import service as feed
from market.orders import rules
from market.orders import queries as order_queries
from market.orders.model import AllocationMode, Interval, Pay
from market.orders.records import HeldSpan, StoredOrder
from market.profiles import queries as worker_queries
from market.profiles.model import WorkerProfile

# Hour limits look at the ISO week around a shift, rest periods a little beyond it.
WEEK_MARGIN = timedelta(days=8)


@dataclass(frozen=True)
class RunShift:
    """A solver shift and where it came from."""

    seat: OpenSeat
    order: StoredOrder


@dataclass(frozen=True)
class PairOrigin:
    """A candidate pair's bid (None for auto orders) and the rate an offer would carry."""

    bid_id: uuid.UUID | None
    rate_fen: int


@dataclass(frozen=True, eq=False)
class BuiltProblem:
    problem: Problem
    shifts: tuple[RunShift, ...]  # parallel to problem.shifts
    worker_ids: tuple[uuid.UUID, ...]  # parallel to problem.workers
    # One per row of problem.pairs, then one per problem.ineligible, in order.
    eligible_origins: tuple[PairOrigin, ...]
    ineligible_origins: tuple[PairOrigin, ...]
    orders: dict[uuid.UUID, StoredOrder] = field(default_factory=dict)

    @property
    def seats_open(self) -> int:
        return sum(s.headcount for s in self.problem.shifts)


def default_config(time_limit_seconds: float = 10.0) -> AllocationConfig:
    """The run's config. hour_limits as a plain dict: the config crosses into a process pool."""
    base = AllocationConfig(time_limit_seconds=time_limit_seconds)
    return AllocationConfig(time_limit_seconds=time_limit_seconds, hour_limits=dict(base.hour_limits))


def shift_pay(pay: Pay, rate_fen: int, start: datetime, end: datetime) -> int:
    """What the employer pays for this shift at `rate_fen` per unit of the order's pay."""
    hours = Fraction(int((end - start).total_seconds()), 3600)
    return Pay(pay.unit, rate_fen, pay.stated_hours, pay.cycle_days).pay_for(hours)


def refusal_reason(order: StoredOrder, seat: OpenSeat, profile: WorkerProfile, place: tuple[float, float],
                   held: list[HeldCommitment], rate_fen: int) -> Reason | None:
    """Why this worker may not be offered this seat, as a solver reason; None when eligible."""
    if order.relationship not in profile.relationship_types:
        return Reason.RELATIONSHIP_NOT_ACCEPTED
    if geo.haversine_m(place[0], place[1], order.site.lat, order.site.lon) > profile.max_travel_m:
        return Reason.TOO_FAR
    if not profile.availability.covers(seat.start, seat.end):
        return Reason.UNAVAILABLE
    if rate_fen > order.pay.amount_fen:
        return Reason.BID_ABOVE_RATE
    refusals = rules.seat_refusals(shift=Interval(seat.start, seat.end), relationship=order.relationship,
                                   requirements=order.skills, worker=worker_facts(profile, held, order),
                                   strict_each_day=True)
    if refusals:
        return Reason(rules.ALLOCATION_REASON.get(refusals[0].code, Reason.BLOCKED.value))
    return None


def worker_facts(profile: WorkerProfile | None, held: list[HeldCommitment], order: StoredOrder) -> rules.WorkerFacts:
    spans = tuple(HeldSpan(h.start, h.end, h.organisation_id) for h in held)
    return rules.WorkerFacts(
        skills=profile.skills if profile else (), held_shifts=spans,
        hours_with_employer=tuple(s for s in spans if s.organisation_id == order.organisation_id))


async def build(conn: asyncpg.Connection, order_ids: list[uuid.UUID], now: datetime,
                config: AllocationConfig) -> BuiltProblem:
    """The problem for these (gig) orders, as the database stands now."""
    orders = {o.id: o for o in [await order_queries.order_by_id(conn, i) for i in order_ids] if o is not None}
    seats = [s for s in await queries.open_seats(conn, list(orders), now) if s.free_seats > 0]
    seat_by_id = {s.id: s for s in seats}

    candidates: list[CandidateRow] = []
    bid_orders = [i for i, o in orders.items() if o.allocation_mode is AllocationMode.bids]
    if bid_orders:
        candidates += [c for c in await queries.live_bids(conn, bid_orders) if c.shift_id in seat_by_id]
    auto_seats = [s for s in seats if orders[s.order_id].allocation_mode is AllocationMode.auto]
    if auto_seats:
        before = await queries.offered_before(conn, [s.order_id for s in auto_seats])
        for seat in auto_seats:
            fitting = await feed.workers_fitting_shift(conn, seat.id, now)
            candidates += [CandidateRow(w, seat.id, None, None) for w in fitting if (w, seat.id) not in before]

    worker_ids = sorted({c.worker_id for c in candidates})
    profiles = await worker_queries.profiles(conn, worker_ids)
    if auto_seats:
        # Only workers who opted in are allocated without bidding.
        candidates = [c for c in candidates if c.bid_id is not None or profiles[c.worker_id].accepts_auto_allocation]
        worker_ids = sorted({c.worker_id for c in candidates})
    places = await queries.worker_places(conn, worker_ids)
    held: dict[uuid.UUID, list[HeldCommitment]] = defaultdict(list)
    if seats and worker_ids:
        held.update(await queries.commitments(conn, worker_ids, min(s.start for s in seats) - WEEK_MARGIN,
                                              max(s.end for s in seats) + WEEK_MARGIN))

    # Blocks, hides and private pools close a pair (BLOCKED); favourites get the solver's bonus
    # (docs/favourites.md).
    closed, favourites = await queries.pair_standing(
        conn, sorted({(seat_by_id[c.shift_id].order_id, c.worker_id) for c in candidates}), now)
    shift_index = {s.id: i for i, s in enumerate(seats)}
    worker_index = {w: i for i, w in enumerate(worker_ids)}
    eligible: dict[str, list] = defaultdict(list)
    eligible_origins: list[PairOrigin] = []
    ineligible: list[IneligiblePair] = []
    ineligible_origins: list[PairOrigin] = []
    for c in candidates:
        seat, order, profile = seat_by_id[c.shift_id], orders[seat_by_id[c.shift_id].order_id], profiles[c.worker_id]
        rate_fen = c.rate_fen if c.rate_fen is not None else order.pay.amount_fen
        origin = PairOrigin(c.bid_id, rate_fen)
        w, s = worker_index[c.worker_id], shift_index[c.shift_id]
        reason = (Reason.BLOCKED if (order.id, c.worker_id) in closed else
                  refusal_reason(order, seat, profile, places[c.worker_id], held[c.worker_id], rate_fen))
        if reason is not None:
            ineligible.append(IneligiblePair(w, s, reason))
            ineligible_origins.append(origin)
            continue
        place = places[c.worker_id]
        levels = [sk.level for sk in profile.skills if sk.skill_code in {r.skill_code for r in order.skills}]
        eligible["worker"].append(w)
        eligible["shift"].append(s)
        eligible["pay_fen"].append(shift_pay(order.pay, rate_fen, seat.start, seat.end))
        eligible["distance_m"].append(int(geo.haversine_m(place[0], place[1], order.site.lat, order.site.lon)))
        eligible["skill_level"].append(max(levels, default=0))
        eligible["reliability"].append(profile.reliability / 100)
        eligible["from_bid"].append(c.bid_id is not None)
        eligible["favourite"].append((order.id, c.worker_id) in favourites)
        eligible_origins.append(origin)

    problem = Problem(
        workers=tuple(Worker(id=str(w), commitments=tuple(_commitment(h) for h in held[w])) for w in worker_ids),
        shifts=tuple(Shift(id=str(s.id), start=local_minutes(s.start), end=local_minutes(s.end),
                           headcount=s.free_seats, employer=str(orders[s.order_id].organisation_id),
                           relationship=orders[s.order_id].relationship.value,
                           district=orders[s.order_id].district_code) for s in seats),
        pairs=EligiblePairs.of(eligible["worker"], eligible["shift"], pay_fen=eligible["pay_fen"],
                               distance_m=eligible["distance_m"], skill_level=eligible["skill_level"],
                               reliability=eligible["reliability"], from_bid=eligible["from_bid"],
                               favourite=eligible["favourite"]),
        ineligible=tuple(ineligible),
    )
    return BuiltProblem(problem, tuple(RunShift(s, orders[s.order_id]) for s in seats), tuple(worker_ids),
                        tuple(eligible_origins), tuple(ineligible_origins), orders)


def _commitment(held: HeldCommitment) -> Commitment:
    return Commitment(local_minutes(held.start), local_minutes(held.end), str(held.organisation_id),
                      held.relationship)
