"""Executing one allocation run: start, build, solve (off the event loop), commit.

    claim (queue row → running) → start (orders open → allocating) → build → solve → commit

The commit is ONE transaction that trusts nothing the solver saw: it checks the run is still ours
(the lease), locks the orders and the chosen workers, re-reads free seats and each worker's
commitments, and re-checks every chosen seat with the orders rules. Seats that fail — or that the
database refuses (exclusion constraint, headcount CHECK; each in its own SAVEPOINT) — are recorded
as `conflict` and left for the next run; they are never an error. Then each order leaves
`allocating`: `filled` when every seat is held, else back to `open`.
"""
from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable
from datetime import datetime

import asyncpg

from market.allocation import builder, queries
from market.allocation.model import AllocationConfig, Problem, Reason, Solution
from market.allocation.records import HeldCommitment, RunRecord, RunResult
from market.allocation.service import SeatTaken, fill_if_held, hold_seat, return_seat
from market.certificates.service import certificate_shortfall
from market.constraints import Constraint, violated
from market.events.outbox import emit
from market.kernel import clock
from market.orders import queries as order_queries
from market.orders import rules
from market.orders.lifecycle import OrderEvent, transition
from market.orders.model import AllocationMode, Interval, OrderKind, OrderState
from market.orders.records import StoredOrder
from market.settlement import escrow

log = logging.getLogger(__name__)

Solve = Callable[[Problem, AllocationConfig], Awaitable[Solution]]
# How many expired offers one sweep marks in one transaction.
EXPIRY_BATCH = 500


class RunLost(Exception):
    """Another allocator took the run over (our lease ran out): our result must not be committed."""


async def execute(pool: asyncpg.Pool, run: RunRecord, solve: Solve, config: AllocationConfig,
                  now: datetime | None = None) -> None:
    """Run a claimed run to the end: done (with results) or failed (orders reopened)."""
    now = clock.now(now)
    order_ids: list[uuid.UUID] = []
    try:
        async with pool.acquire() as conn:
            order_ids = await _start(conn, run, now)
            orders = {i: await order_queries.order_by_id(conn, i) for i in order_ids}
            if not order_ids:
                async with conn.transaction():
                    await _check_lease(conn, run)
                    await queries.finish_run(conn, run.id, {"note": "no open order to allocate"})
                return
            if any(o.kind is OrderKind.shared for o in orders.values()):
                await _allocate_shared(conn, run, next(iter(orders.values())), now)
                return
            built = await builder.build(conn, order_ids, now, config)
        solution = await solve(built.problem, config) if built.problem.shifts else None
        async with pool.acquire() as conn:
            await _commit(conn, run, built, solution, now)
    except RunLost:
        log.warning("allocation run taken over by another allocator", extra={"run_id": str(run.id)})
    except Exception as error:
        log.exception("allocation run failed", extra={"run_id": str(run.id)})
        async with pool.acquire() as conn, conn.transaction():
            lock = await queries.lock_run(conn, run.id)
            if lock is None or lock.status != "running" or lock.attempts != run.attempts:
                return
            states = await queries.lock_orders(conn, order_ids)
            for order_id, state in states.items():
                if state == OrderState.allocating.value:
                    await queries.set_order_state(conn, order_id, transition(OrderState.allocating,
                                                                             OrderEvent.reopen).value)
            await queries.fail_run(conn, run.id, f"{type(error).__name__}: {error}"[:500])
            if run.order_id is None and len(order_ids) > 1:
                # A district sweep fails as a whole: split it, one run per order, so that an order
                # no run can allocate fails alone and every other employer's is still allocated.
                for order_id in order_ids:
                    await queries.enqueue_order_run(conn, order_id, run.district_code, "auto_sweep")
                log.warning("allocation sweep split into one run per order", extra={
                    "run_id": str(run.id), "district_code": run.district_code, "orders": len(order_ids)})


async def _check_lease(conn: asyncpg.Connection, run: RunRecord) -> None:
    lock = await queries.lock_run(conn, run.id)
    if lock is None or lock.status != "running" or lock.attempts != run.attempts:
        raise RunLost(run.id)


async def _start(conn: asyncpg.Connection, run: RunRecord, now: datetime) -> list[uuid.UUID]:
    """Move the run's orders from open to allocating; the ids of those now allocating for this run."""
    async with conn.transaction():
        await _check_lease(conn, run)
        if run.order_id:
            wanted = [run.order_id]
        else:
            in_range = await queries.auto_orders_of_district(conn, run.district_code)
            wanted = [order_id for order_id, ok in in_range.items() if ok]
            for order_id in (order_id for order_id, ok in in_range.items() if not ok):
                # A row written around the API (a rate or a date it refuses): never computed with,
                # and the district's supervisor sees it as an `out_of_range` alert.
                log.warning("allocation sweep skips an order out of range", extra={
                    "run_id": str(run.id), "order_id": str(order_id), "district_code": run.district_code})
        started = []
        for order_id, state in (await queries.lock_orders(conn, wanted)).items():
            state = OrderState(state)
            if state is OrderState.open:
                await queries.set_order_state(conn, order_id, transition(state, OrderEvent.start_allocation).value,
                                              now=now)
            elif state is not OrderState.allocating:  # allocating: a run whose allocator died, taken over
                continue
            started.append(order_id)
        return started


async def _commit(conn: asyncpg.Connection, run: RunRecord, built: builder.BuiltProblem,
                  solution: Solution | None, now: datetime) -> None:
    async with conn.transaction():
        await _check_lease(conn, run)
        states = {i: OrderState(s) for i, s in (await queries.lock_orders(conn, list(built.orders))).items()}
        chosen = sorted(solution.assignments, key=lambda a: (a.shift, a.worker)) if solution else []
        chosen_workers = sorted({built.worker_ids[a.worker] for a in chosen})
        await queries.lock_workers(conn, chosen_workers)
        # A block or hide committed since the build (its transaction takes the same worker lock):
        # read after the lock, so the pair is refused here or the block withdraws the offer.
        closed, _ = await queries.pair_standing(
            conn, sorted({(built.shifts[a.shift].order.id, built.worker_ids[a.worker]) for a in chosen}), now)
        free = {s.id: s.free_seats for s in await queries.open_seats(conn, list(built.orders), now)}
        held: dict[uuid.UUID, list[HeldCommitment]] = defaultdict(list)
        if chosen:
            starts = [built.shifts[a.shift].seat for a in chosen]
            held.update(await queries.commitments(conn, chosen_workers, min(s.start for s in starts) - builder.WEEK_MARGIN,
                                                  max(s.end for s in starts) + builder.WEEK_MARGIN))
        results: list[RunResult] = []
        conflicts: dict[uuid.UUID, int] = defaultdict(int)
        chosen_bids: list[uuid.UUID] = []
        budget: dict[uuid.UUID, int] = {}  # escrow each employer may still commit (pre-funding)
        for a in chosen:
            seat, order = built.shifts[a.shift].seat, built.shifts[a.shift].order
            worker_id, origin = built.worker_ids[a.worker], built.eligible_origins[a.pair]
            reason = _recheck(states.get(order.id), free.get(seat.id, 0), order, seat, held[worker_id])
            if reason is None and (order.id, worker_id) in closed:
                reason = Reason.BLOCKED.value
            if reason is None and any(s.certificate_required for s in order.skills):
                # Judged again under the run's locks: a certificate may have lapsed since the build.
                reason = await certificate_shortfall(conn, worker_id, order.id, seat.end)
            outcome = "assigned" if order.allocation_mode is AllocationMode.auto else "offered"
            cost = 0
            if reason is None:
                if order.organisation_id not in budget:
                    budget[order.organisation_id] = await escrow.uncommitted_fen(conn, order.organisation_id, now)
                # Gig orders only here (shared orders allocate in _allocate_shared): no lender fee.
                cost = escrow.seat_cost(order.relationship, rate_fen=origin.rate_fen,
                                        pay_unit=order.pay.unit.value, stated_hours=order.pay.stated_hours,
                                        starts_at=seat.start, ends_at=seat.end, sector_code=order.sector_code)
                if cost > budget[order.organisation_id]:
                    reason = "insufficient_escrow"
            if reason is None:
                try:
                    await _place(conn, run, order, seat.id, worker_id, origin, outcome, seat, now)
                except SeatTaken as refused:
                    reason = refused.extra["reason"]
            if reason is not None:
                conflicts[seat.id] += 1
                results.append(RunResult(order.id, seat.id, worker_id, origin.bid_id, "conflict", reason))
                continue
            free[seat.id] -= 1
            budget[order.organisation_id] -= cost
            held[worker_id].append(HeldCommitment(seat.start, seat.end, order.organisation_id,
                                                  order.relationship.value, True))
            results.append(RunResult(order.id, seat.id, worker_id, origin.bid_id, outcome, None))
            if origin.bid_id is not None:
                chosen_bids.append(origin.bid_id)
        await queries.choose_bids(conn, chosen_bids, now)

        unchosen = _unchosen_results(built, solution)
        results += unchosen
        unfilled_total = 0
        empty = {u.shift: u for u in solution.unfilled} if solution else {}
        for shift_index, run_shift in enumerate(built.shifts):
            if shift_index in empty:
                u = empty[shift_index]
                results.append(RunResult(run_shift.order.id, run_shift.seat.id, None, None, "unfilled",
                                         u.reason.value, u.seats))
                unfilled_total += u.seats
            if conflicts.get(run_shift.seat.id):
                results.append(RunResult(run_shift.order.id, run_shift.seat.id, None, None, "unfilled",
                                         "conflict", conflicts[run_shift.seat.id]))
                unfilled_total += conflicts[run_shift.seat.id]
        await queries.insert_results(conn, run.id, results)
        for r in unchosen:
            if r.bid_id is not None:
                await emit(conn, "bid.not_chosen", {"run_id": str(run.id), "order_id": str(r.order_id),
                                                    "bid_id": str(r.bid_id), "shift_id": str(r.shift_id),
                                                    "reason": r.reason, "final": False},
                           worker_ids=[r.worker_id])
        await _leave_allocating(conn, built.orders.values(), states, now)
        seats_open = built.seats_open
        facts = {"seats_open": seats_open, "seats_filled": seats_open - unfilled_total,
                 "seats_unfilled": unfilled_total, "conflicts": sum(conflicts.values())}
        if solution is not None:
            facts.update(solve_seconds=solution.seconds.get("total"), objective=solution.objective,
                         best_bound=solution.best_bound, gap=solution.gap, optimal=solution.optimal,
                         method=solution.method, terms=_terms(solution))
        await queries.finish_run(conn, run.id, facts)
        for order in built.orders.values():
            await emit(conn, "run.finished", {"run_id": str(run.id), "order_id": str(order.id), **{
                k: facts[k] for k in ("seats_open", "seats_filled", "seats_unfilled", "conflicts")}},
                organisation_ids=[order.organisation_id])


def _recheck(state: OrderState | None, free_seats: int, order: StoredOrder, seat, held: list[HeldCommitment]) -> str | None:
    """Why a chosen seat can no longer be placed, against the state locked now; None when it can."""
    if state is not OrderState.allocating:
        return "order_not_allocating"
    if free_seats <= 0:
        return "seat_taken"
    refusals = rules.seat_refusals(shift=Interval(seat.start, seat.end), relationship=order.relationship,
                                   requirements=(), worker=builder.worker_facts(None, held, order),
                                   strict_each_day=True)
    return rules.ALLOCATION_REASON.get(refusals[0].code, Reason.BLOCKED.value) if refusals else None


async def _place(conn: asyncpg.Connection, run: RunRecord, order: StoredOrder, shift_id: uuid.UUID,
                 worker_id: uuid.UUID, origin: builder.PairOrigin, outcome: str, seat, now: datetime) -> None:
    """An offer (bids orders) or, for auto orders, the seat itself; refused seats raise SeatTaken."""
    payload = {"run_id": str(run.id), "order_id": str(order.id), "shift_id": str(shift_id), "title": order.title,
               "start": seat.start, "end": seat.end, "rate_fen": origin.rate_fen}
    if outcome == "assigned":
        assignment_id = await hold_seat(conn, shift_id=shift_id, worker_id=worker_id, rate_fen=origin.rate_fen,
                                        now=now)
        payload["assignment_id"] = str(assignment_id)
        await emit(conn, "assignment.made", payload, worker_ids=[worker_id])
        await emit(conn, "seat.filled", payload, organisation_ids=[order.organisation_id])
        return
    try:
        async with conn.transaction():
            offer_id, expires_at = await queries.insert_offer(conn, run.id, order.id, shift_id, worker_id,
                                                              origin.bid_id, origin.rate_fen,
                                                              order.offer_expiry_minutes, now)
    except asyncpg.UniqueViolationError as error:
        violated(error, Constraint.ONE_PENDING_OFFER)
        raise SeatTaken("the worker already has a pending offer for this shift", reason="offered") from None
    await emit(conn, "offer.made", {**payload, "offer_id": str(offer_id), "expires_at": expires_at},
               worker_ids=[worker_id])


def _unchosen_results(built: builder.BuiltProblem, solution: Solution | None) -> list[RunResult]:
    origin_of = {}
    pairs = built.problem.pairs
    for row, (w, s) in enumerate(zip(pairs.worker.tolist(), pairs.shift.tolist())):
        origin_of[(w, s)] = built.eligible_origins[row]
    for pair, origin in zip(built.problem.ineligible, built.ineligible_origins):
        origin_of[(pair.worker, pair.shift)] = origin
    if solution is not None:
        unchosen = [(p.worker, p.shift, p.reason.value) for p in solution.unchosen]
    else:
        unchosen = [(p.worker, p.shift, p.reason.value) for p in built.problem.ineligible]
    results = []
    for w, s, reason in unchosen:
        run_shift = built.shifts[s]
        results.append(RunResult(run_shift.order.id, run_shift.seat.id, built.worker_ids[w],
                                 origin_of[(w, s)].bid_id, "not_chosen", reason))
    return results


async def _leave_allocating(conn: asyncpg.Connection, orders, states: dict[uuid.UUID, OrderState],
                            now: datetime) -> None:
    for order in orders:
        state = states.get(order.id)
        if state is not OrderState.allocating:
            continue
        if await fill_if_held(conn, order.id, state, order.organisation_id, now=now) is state:
            await queries.set_order_state(conn, order.id, transition(state, OrderEvent.reopen).value, now=now)


def _terms(solution: Solution) -> dict[str, int]:
    t = solution.terms
    return {"pay": t.pay, "distance": t.distance, "skill": t.skill, "reliability": t.reliability,
            "favourite": t.favourite, "extra": t.extra, "fairness": t.fairness, "unfilled": t.unfilled}


# ---- shared orders (共享用工) -------------------------------------------------------------------------


async def _allocate_shared(conn: asyncpg.Connection, run: RunRecord, order: StoredOrder, now: datetime) -> None:
    """The documented simple rule: live shared bids, lowest fee per worker-day first (ties: the
    earlier bid); each bid's employees who accepted, earliest consent first; each chosen employee is
    assigned every remaining working-day shift, all or none (a SAVEPOINT per employee), until the
    headcount is reached. An employee the database refuses (an overlapping seat) is reported and
    skipped. No solver: one order, at most 500 people, and a total order the parties can check."""
    async with conn.transaction():
        await _check_lease(conn, run)
        state = OrderState((await queries.lock_orders(conn, [order.id]))[order.id])
        if state is not OrderState.allocating:
            await queries.finish_run(conn, run.id, {"note": f"the order is {state.value}"})
            return
        candidates = await queries.shared_candidates(conn, order.id)
        await queries.lock_workers(conn, sorted({c.worker_id for c in candidates}))
        held = await queries.held_workers_of_order(conn, order.id)
        headcount = order.shifts[0].headcount if order.shifts else 0
        shift_ids = await queries.shifts_to_staff(conn, order.id, now)
        results: list[RunResult] = []
        chosen_bids: dict[uuid.UUID, list[str]] = defaultdict(list)
        lenders = {}
        highest_chosen_fee = None
        for c in candidates:
            worker_id, bid_id = c.worker_id, c.bid_id
            lenders[bid_id] = c.lender_id
            if worker_id in held or not shift_ids:
                continue
            if len(held) >= headcount:
                outbid = highest_chosen_fee is not None and c.fee_per_worker_day_fen > highest_chosen_fee
                reason = Reason.OUTBID if outbid else Reason.HIGHER_COST
                results.append(RunResult(order.id, shift_ids[0], worker_id, bid_id, "not_chosen", reason.value))
                continue
            try:
                async with conn.transaction():
                    assignment_ids = [await hold_seat(conn, shift_id=s, worker_id=worker_id,
                                                      rate_fen=c.fee_per_worker_day_fen, now=now)
                                      for s in shift_ids]
            except SeatTaken as refused:
                results.append(RunResult(order.id, shift_ids[0], worker_id, bid_id, "conflict",
                                         refused.extra["reason"]))
                continue
            held.add(worker_id)
            highest_chosen_fee = c.fee_per_worker_day_fen
            chosen_bids[bid_id].append(str(worker_id))
            results.append(RunResult(order.id, shift_ids[0], worker_id, bid_id, "assigned", None))
            await emit(conn, "assignment.made", {"run_id": str(run.id), "order_id": str(order.id), "shared": True,
                                                 "shifts": len(assignment_ids), "title": order.title},
                       worker_ids=[worker_id], organisation_ids=[c.lender_id])
        await queries.choose_shared_bids(conn, list(chosen_bids), now)
        for bid_id, workers in chosen_bids.items():
            await emit(conn, "bid.chosen", {"run_id": str(run.id), "order_id": str(order.id), "bid_id": str(bid_id),
                                            "worker_ids": workers}, organisation_ids=[lenders[bid_id]])
        missing = max(0, headcount - len(held))
        if missing and shift_ids:
            results.append(RunResult(order.id, shift_ids[0], None, None, "unfilled",
                                     Reason.NO_ELIGIBLE_WORKER.value, missing))
        await queries.insert_results(conn, run.id, results)
        await _leave_allocating(conn, [order], {order.id: state}, now)
        facts = {"seats_open": headcount, "seats_filled": headcount - missing, "seats_unfilled": missing,
                 "conflicts": sum(r.outcome == "conflict" for r in results), "method": "shared_fee_order"}
        await queries.finish_run(conn, run.id, facts)
        await emit(conn, "run.finished", {"run_id": str(run.id), "order_id": str(order.id), **{
            k: facts[k] for k in ("seats_open", "seats_filled", "seats_unfilled", "conflicts")}},
            organisation_ids=[order.organisation_id])


# ---- housekeeping ------------------------------------------------------------------------------------------


async def expire_offers(pool: asyncpg.Pool, now: datetime) -> int:
    """Mark pending offers past their expiry `expired` and queue a run for each of their orders."""
    async with pool.acquire() as conn, conn.transaction():
        rows = await queries.expire_due_offers(conn, now, EXPIRY_BATCH)
        if not rows:
            return 0
        owners = await queries.order_owners(conn, list({r.order_id for r in rows}))
        for r in rows:
            await emit(conn, "offer.expired", {"offer_id": str(r.id), "order_id": str(r.order_id),
                                               "shift_id": str(r.shift_id)},
                       worker_ids=[r.worker_id], organisation_ids=[owners[r.order_id].organisation_id])
        for order_id in owners:
            await return_seat(conn, order_id)
        return len(rows)


async def queue_due_runs(pool: asyncpg.Pool, now: datetime, *, auto_sweep: bool) -> int:
    """Queue a run for each bids order whose deadline passed and, if asked, a sweep per district
    with open auto orders."""
    async with pool.acquire() as conn, conn.transaction():
        queued = await queries.queue_deadline_runs(conn, now)
        if auto_sweep:
            queued += await queries.queue_auto_sweeps(conn, now)
        return queued


__all__ = ["RunLost", "execute", "expire_offers", "queue_due_runs"]
