"""Placing, withdrawing and reading bids: a worker's on shifts of a gig order, a lender's on a
shared order naming the employees it lends (each asked for consent). Owns its transactions and
every object-level check (another party's bid or order is a 404); the rules a bid is judged by
are pure (rules.py): this module gathers their facts and writes what they allow."""
from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Protocol

import asyncpg

from market.bids import queries, rules
from market.bids.model import (
    ActiveEmployment,
    BidFacts,
    NamedEmployee,
    StoredBid,
    StoredSharedBid,
)
from market.catalogue.service import Catalogue, CatalogueData
from market.constraints import Constraint, violated
from market.errors import Conflict, FieldError, NotFound, ValidationFailed
from market.events.outbox import emit
from market.kernel import clock
from market.kernel.clock import SHANGHAI
from market.kernel.principal import Principal
from market.orders import pool as order_pool
from market.orders import queries as order_queries
from market.orders.model import MinimumWageTable, OrderKind, OrderState
from market.orders.records import PreparedEvent, StoredOrder
from market.orders.rules import WorkerFacts
from market.orders.service import district_tiers, minimum_wage_table, own_order

# Bids are taken while an order is open for them; a run in progress still accepts bids for its next round.
BIDDABLE_STATES = frozenset({OrderState.open, OrderState.allocating})
# How many times a bid is retried when a concurrent bid by the same worker on the same shift wins the
# race for the one live slot (the partial unique index); each retry replaces the winner's bid.
BID_RETRIES = 5
# A bid is judged against every seat the worker holds in the ISO weeks of its shifts (hour limits)
# and around them: this far before the earliest and after the latest.
BID_HOLDINGS_MARGIN = timedelta(days=8)


class LendingCostAllowances(Protocol):
    """The lending cost allowance in force on a day: the rate book's `shared_labor_cost_allowance`
    (market/settlement/data/rates.json, with its source), handed in by the settlement package's
    wiring (keys.LENDING_COST_ALLOWANCES), so that bids import nothing of the layers above them."""

    def in_force(self, on: date) -> rules.LendingCostAllowance: ...


class Bids:
    def __init__(self, pool: asyncpg.Pool, catalogue: Catalogue, cost_allowances: LendingCostAllowances) -> None:
        self.pool = pool
        self.catalogue = catalogue
        self.cost_allowances = cost_allowances
        # District tiers and minimum wages as every bid reads them, built once per catalogue load.
        self._wage_tables_of: tuple[CatalogueData, dict[str, int], MinimumWageTable] | None = None

    def _wage_tables(self, data: CatalogueData) -> tuple[dict[str, int], MinimumWageTable]:
        if self._wage_tables_of is None or self._wage_tables_of[0] is not data:
            self._wage_tables_of = (data, district_tiers(data), minimum_wage_table(data))
        return self._wage_tables_of[1], self._wage_tables_of[2]

    # ---- gig bids -------------------------------------------------------------------------------

    async def place_bids(self, caller: Principal, order_id: uuid.UUID, shift_ids: list[uuid.UUID], rate_fen: int,
                         note: str, *, now: datetime | None = None) -> list[StoredBid]:
        """One bid per listed shift; a worker's new bid on a shift replaces their live one.

        One transaction: one statement reads every fact the rules judge the bid on, one writes the
        bids with their event (queries.BID_FACTS, PLACE_BIDS); between them, the pair's shared lock
        and its standing (blocked, hidden, outside the private pool: docs/favourites.md). Nothing
        else is locked: a bid is an offer to work, and what it is judged on (seats, holdings) is
        judged again, under locks, when a seat is given (allocation)."""
        now = clock.now(now)
        worker_id = caller.worker_id
        data = await self.catalogue.data()  # before taking a connection: loading it may need one
        for attempt in range(BID_RETRIES):
            try:
                async with self.pool.acquire() as conn, conn.transaction():
                    facts = await queries.bid_facts(conn, order_id, worker_id, shift_ids, BID_HOLDINGS_MARGIN)
                    order = _biddable(facts.order if facts else None, OrderKind.gig, now)
                    assert facts is not None
                    errors = self._gig_bid_errors(order, shift_ids, rate_fen, facts, now, data)
                    if errors:
                        raise ValidationFailed(errors)
                    # Blocks, hides and the private pool (docs/favourites.md): judged after the
                    # pair's lock, held to commit, so a concurrent block either refuses this bid
                    # or, waiting for it, withdraws it.
                    await order_pool.lock_pair(conn, order.organisation_id, worker_id, shared=True)
                    refusal = await order_pool.pair_refusal(conn, order_id, worker_id, now)
                    if refusal is not None:
                        raise Conflict(order_pool.PAIR_REFUSALS[refusal], reason=refusal,
                                       **({"pool_until": order.pool_until.isoformat()}
                                          if refusal == "private_pool" and order.pool_until else {}))
                    bids = {uuid.uuid4(): shift_id for shift_id in dict.fromkeys(shift_ids)}
                    event = PreparedEvent.of("bid.placed", {
                        "order_id": str(order_id), "bid_ids": [str(b) for b in bids],
                        "shift_ids": [str(s) for s in shift_ids], "rate_fen": rate_fen},
                        organisation_ids=[order.organisation_id], worker_ids=[worker_id])
                    return await queries.place_bids(conn, order_id, worker_id, bids, rate_fen, note, event, now)
            except asyncpg.UniqueViolationError as error:
                violated(error, Constraint.ONE_LIVE_BID)
                # A concurrent bid of the same worker on the same shift committed first; bid again,
                # replacing it (the last bid wins, as a single client would expect).
                if attempt == BID_RETRIES - 1:
                    raise Conflict("another bid of yours on this shift is being placed; retry") from None
        raise AssertionError("unreachable")

    def _gig_bid_errors(self, order: StoredOrder, shift_ids: list[uuid.UUID], rate_fen: int, facts: BidFacts,
                        now: datetime, data: CatalogueData) -> list[FieldError]:
        tiers, minimums = self._wage_tables(data)
        tier = tiers.get(order.district_code)

        def minimum_hourly_fen_on(day: date) -> int | None:
            return minimums.hourly_minimum_fen(tier, day) if tier is not None else None

        worker = WorkerFacts(
            skills=facts.worker_skills, held_shifts=facts.held,
            hours_with_employer=tuple(h for h in facts.held if h.organisation_id == order.organisation_id))
        return rules.gig_bid_errors(order=order, shift_ids=shift_ids, rate_fen=rate_fen, worker=worker,
                                    relationship_types=facts.relationship_types, now=now,
                                    minimum_hourly_fen_on=minimum_hourly_fen_on)

    async def withdraw_bid(self, caller: Principal, bid_id: uuid.UUID) -> None:
        async with self.pool.acquire() as conn, conn.transaction():
            if caller.role == "worker":
                bid = await queries.bid_by_id(conn, bid_id)
                if bid is None or bid.worker_id != caller.worker_id:
                    raise NotFound("no such bid")
                if not await queries.withdraw_bid(conn, bid_id, caller.worker_id):
                    raise Conflict(f"the bid is {bid.state}, not live", current_state=bid.state)
                order = await order_queries.order_by_id(conn, bid.order_id)
                assert order is not None  # a bid's order is never deleted
                order_id, owner = bid.order_id, order.organisation_id
            else:
                shared_bid = await queries.shared_bid_by_id(conn, bid_id)
                if shared_bid is None or shared_bid.lender_id != caller.organisation_id:
                    raise NotFound("no such bid")
                if not await queries.withdraw_shared_bid(conn, bid_id, caller.organisation_id):
                    raise Conflict(f"the bid is {shared_bid.state}, not live", current_state=shared_bid.state)
                order_id, owner = shared_bid.order_id, shared_bid.borrower_id
            await emit(conn, "bid.withdrawn", {"order_id": str(order_id), "bid_id": str(bid_id)},
                       organisation_ids=[owner])

    async def bids_of_order(self, caller: Principal, order_id: uuid.UUID, *, state: str | None,
                            after: tuple[datetime, uuid.UUID] | None,
                            limit: int) -> tuple[StoredOrder, list[StoredBid], list[StoredSharedBid]]:
        async with self.pool.acquire() as conn:
            order = await own_order(conn, caller, order_id)
            if order.kind is OrderKind.gig:
                return order, await queries.bids_of_order(conn, order_id, state, after, limit), []
            return order, [], await queries.shared_bids_of_order(conn, order_id, state)

    async def bids_of_worker(self, caller: Principal, *, state: str | None, after: tuple[datetime, uuid.UUID] | None,
                             limit: int) -> list[StoredBid]:
        async with self.pool.acquire() as conn:
            return await queries.bids_of_worker(conn, caller.worker_id, state, after, limit)

    # ---- shared employment ----------------------------------------------------------------------

    async def place_shared_bid(self, caller: Principal, order_id: uuid.UUID, fee_per_worker_day_fen: int, note: str,
                               employees: list[NamedEmployee], *, now: datetime | None = None) -> StoredSharedBid:
        now = clock.now(now)
        data = await self.catalogue.data()
        async with self.pool.acquire() as conn, conn.transaction():
            order = _biddable(await order_queries.order_by_id(conn, order_id), OrderKind.shared, now)
            assert order.schedule is not None and order.fee_per_worker_day_fen is not None  # a shared order's
            employments = await queries.employments_by_id(conn, [e.employment_id for e in employees])
            tier = district_tiers(data)[order.district_code]
            minimum_hourly = minimum_wage_table(data).hourly_minimum_fen(tier, order.schedule.start_date)
            fee = _lending_fee_finding(order, fee_per_worker_day_fen, employees, self.cost_allowances)
            errors = rules.shared_bid_errors(
                borrower_id=order.organisation_id, lender_id=caller.organisation_id,
                fee_per_worker_day_fen=fee_per_worker_day_fen,
                order_fee_per_worker_day_fen=order.fee_per_worker_day_fen,
                headcount=order.shifts[0].headcount if order.shifts else 0,
                employees=[_lent(named, employments.get(named.employment_id)) for named in employees],
                minimum_hourly_fen=minimum_hourly, fee=fee)
            if errors:
                raise ValidationFailed(errors)
            bid_id = await queries.insert_shared_bid(conn, order_id, caller.organisation_id, order.organisation_id,
                                                     fee_per_worker_day_fen, note, now)
            if fee is not None:  # above the wage and its social insurance: the supervisor sees it
                details = {"detail": fee.refusal.msg, "shared_bid_id": str(bid_id), **fee.refusal.ctx}
                await queries.insert_alert(conn, fee.refusal.code, order.district_code, caller.organisation_id,
                                           order_id, f"{fee.refusal.code}:{bid_id}", details, now)
            await queries.insert_consents(conn, bid_id, [
                (e.employment_id, employments[e.employment_id].worker_id, e.wage_hourly_fen) for e in employees], now)
            bid = await queries.shared_bid_by_id(conn, bid_id)
            assert bid is not None
            await emit(conn, "bid.placed", {"order_id": str(order_id), "bid_id": str(bid_id), "shared": True},
                       organisation_ids=[order.organisation_id, caller.organisation_id])
            for consent in bid.consents:
                await emit(conn, "consent.requested", {"consent_id": str(consent.id), "order_id": str(order_id),
                                                       "lender": bid.lender_name, "title": order.title},
                           worker_ids=[consent.worker_id])
            return bid


def _biddable(order: StoredOrder | None, kind: OrderKind, now: datetime) -> StoredOrder:
    if order is None:
        raise NotFound("no such order")
    if order.kind is not kind:
        raise ValidationFailed([FieldError(("path", "id"), f"this is a {order.kind.value} order; "
                                + ("workers bid on gig orders" if kind is OrderKind.gig
                                   else "lending enterprises bid on shared orders"))])
    if order.state not in BIDDABLE_STATES:
        raise Conflict(f"the order is {order.state.value} and takes no bids", current_state=order.state.value)
    if order.bid_deadline is not None and order.bid_deadline <= now:
        raise Conflict("the bid deadline has passed", current_state=order.state.value,
                       bid_deadline=order.bid_deadline.astimezone(SHANGHAI).isoformat())
    return order


def _lent(named: NamedEmployee, employment: ActiveEmployment | None) -> rules.LentEmployee:
    """A named employee as the rules read them: through the employment record named, if any."""
    if employment is None:
        return rules.LentEmployee(employer_of_record_id=None, employment_state=None, worker_id=None,
                                  wage_hourly_fen=named.wage_hourly_fen, agreed_hourly_wage_fen=0)
    return rules.LentEmployee(employer_of_record_id=employment.organisation_id, employment_state=employment.state,
                              worker_id=employment.worker_id, wage_hourly_fen=named.wage_hourly_fen,
                              agreed_hourly_wage_fen=employment.agreed_hourly_wage_fen)


def _lending_fee_finding(order: StoredOrder, fee_per_worker_day_fen: int, employees: list[NamedEmployee],
                         cost_allowances: LendingCostAllowances) -> rules.LendingFeeFinding | None:
    """The fee against the lowest wage per day among the named employees (one fee covers them
    all), with the rate book's cost allowance on the first day of the loan."""
    if not employees:
        return None
    assert order.schedule is not None  # a shared order's
    wage_per_day = min(e.wage_hourly_fen for e in employees) * order.pay.hours_per_unit()
    allowance = cost_allowances.in_force(order.schedule.start_date)
    return rules.lending_fee_finding(fee_per_worker_day_fen=fee_per_worker_day_fen,
                                     wage_per_day_fen=wage_per_day, allowance=allowance)
