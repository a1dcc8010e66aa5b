"""Posting and reading orders, bids on them, and shared-employment bids with their consents and
three-party agreements. Owns its transactions; every object-level check lives here (another
party's object is a 404)."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction

import asyncpg

from market.accounts.model import Principal
from market.catalogue.service import Catalogue, CatalogueData
from market.errors import Conflict, FieldError, NotFound, ValidationFailed
from market.events.outbox import emit
from market.kernel import clock
from market.kernel.clock import SHANGHAI, local_date
from market.orders import feed, queries, rules
from market.orders.lifecycle import HeldSeat, OrderEvent, late_cancel_compensation, transition
from market.orders.model import (
    LateCancelPolicy,
    MinimumWageTable,
    OrderKind,
    OrderState,
    SharedOrder,
    Shift,
)
from market.settlement.escrow import rate_book  # the shared-labor cost allowance, with its source
from market.settlement.service import settle_order_cancellation  # settlement hook
from market.orders.records import (
    Agreement,
    BidFacts,
    PreparedEvent,
    StoredBid,
    StoredConsent,
    StoredOrder,
    StoredSharedBid,
)
from market.orders.rules import WorkerFacts

Order = rules.Order
# Bids are taken while an order is open for them; a run in progress still accepts bids for its next round.
BIDDABLE_STATES = frozenset({OrderState.open, OrderState.allocating})
# How many times a bid is retried when a concurrent bid by the same worker on the same shift wins the
# race for the one live slot (the partial unique index); each retry replaces the winner's bid.
BID_RETRIES = 5
# A bid is judged against every seat the worker holds in the ISO weeks of its shifts (hour limits)
# and around them: this far before the earliest and after the latest.
BID_HOLDINGS_MARGIN = timedelta(days=8)


@dataclass(frozen=True)
class PostingOptions:
    offer_expiry_minutes: int = 30


@dataclass(frozen=True)
class NamedEmployee:
    employment_id: uuid.UUID
    wage_hourly_fen: int


def minimum_wage_table(data: CatalogueData) -> MinimumWageTable:
    return MinimumWageTable(data.minimum_wages)


def district_tiers(data: CatalogueData) -> dict[str, int]:
    return {d.code: d.tier for d in data.districts if d.active}


class Orders:
    def __init__(self, pool: asyncpg.Pool, catalogue: Catalogue) -> None:
        self.pool = pool
        self.catalogue = catalogue
        # District tiers and minimum wages as every bid reads them, built once per catalogue load.
        self._wage_tables_of: tuple[CatalogueData, dict[str, int], MinimumWageTable] | None = None

    def _wage_tables(self, data: CatalogueData) -> tuple[dict[str, int], MinimumWageTable]:
        if self._wage_tables_of is None or self._wage_tables_of[0] is not data:
            self._wage_tables_of = (data, district_tiers(data), minimum_wage_table(data))
        return self._wage_tables_of[1], self._wage_tables_of[2]

    # ---- orders ---------------------------------------------------------------------------------

    async def post(self, caller: Principal, order: Order, options: PostingOptions, *,
                   now: datetime | None = None) -> StoredOrder:
        now = clock.now(now)
        data = await self.catalogue.data()
        alerts = rules.check_order(order, now=now, minimum_wages=minimum_wage_table(data),
                                   district_tiers=district_tiers(data),
                                   known_skill_codes={s.code for s in data.skills})
        shifts = order.all_shifts()
        shared = isinstance(order, SharedOrder)
        values = {
            "organisation_id": caller.organisation_id, "kind": order.kind.value, "title": order.title.strip(),
            "description": order.description, "district_code": order.district_code,
            "site_lat": order.site.lat, "site_lon": order.site.lon, "site_address": order.site.address,
            "check_in_radius_m": order.site.check_in_radius_m, "relationship_type": order.relationship.value,
            "pay_unit": order.pay.unit.value, "pay_amount_fen": order.pay.amount_fen,
            "pay_stated_hours": _decimal(order.pay.stated_hours), "pay_cycle_days": order.pay.cycle_days,
            "hourly_equivalent_fen": order.pay.hourly_equivalent_fen(), "daily": getattr(order, "daily", False),
            "allocation_mode": order.allocation_mode.value, "bid_deadline": order.bid_deadline,
            "offer_expiry_minutes": options.offer_expiry_minutes,
            "late_cancel_window_minutes": _minutes(order.late_cancel.window_hours),
            "late_cancel_compensation_minutes": _minutes(order.late_cancel.compensation_hours),
            "below_minimum_wage": any(alert.code == "labor_service_below_minimum_wage" for alert in alerts),
            "period_start": order.schedule.start_date if shared else None,
            "period_end": order.schedule.end_date if shared else None,
            "daily_start": order.schedule.daily_start if shared else None,
            "daily_end": order.schedule.daily_end if shared else None,
            "fee_per_worker_day_fen": order.fee_per_worker_day_fen if shared else None,
            "created_at": now,
        }
        async with self.pool.acquire() as conn, conn.transaction():
            order_id = await queries.insert_order(conn, values)
            await queries.insert_order_skills(conn, order_id, order.skills)
            shift_ids = [await queries.insert_shift(conn, order_id, s.start, s.end, s.headcount, order.site)
                         for s in shifts]
            await emit(conn, "order.posted", {"order_id": str(order_id), "kind": order.kind.value,
                                              "title": values["title"], "district_code": order.district_code},
                       district_code=order.district_code, organisation_ids=[caller.organisation_id])
            if not shared:
                # Workers hear of each new shift that fits them (the relay resolves who, see feed.py).
                for shift_id, shift in zip(shift_ids, shifts):
                    await emit(conn, "shift.opened", _shift_payload(order_id, shift_id, shift, values),
                               district_code=order.district_code)
            return await queries.order_by_id(conn, order_id)

    async def get(self, caller: Principal, order_id: uuid.UUID) -> StoredOrder:
        async with self.pool.acquire() as conn:
            return await self._own_order(conn, caller, order_id)

    async def list(self, caller: Principal, *, state: str | None, kind: str | None, from_date, to_date,
                   after: tuple | None, limit: int) -> list[StoredOrder]:
        async with self.pool.acquire() as conn:
            return await queries.orders_of_organisation(conn, caller.organisation_id, state=state, kind=kind,
                                                        from_date=from_date, to_date=to_date, after=after,
                                                        limit=limit)

    async def cancel(self, caller: Principal, order_id: uuid.UUID, reason: str, *,
                     now: datetime | None = None) -> tuple[StoredOrder, int]:
        """Cancel an order; seats held inside the late-cancel window get compensation records.
        Returns the order and the total compensation in fen."""
        now = clock.now(now)
        async with self.pool.acquire() as conn, conn.transaction():
            order = await self._own_order(conn, caller, order_id, for_update=True)
            transition(order.state, OrderEvent.cancel)  # 409 with the current state when illegal
            policy = LateCancelPolicy(window_hours=Decimal(order.late_cancel_window_minutes) / 60,
                                      compensation_hours=Decimal(order.late_cancel_compensation_minutes) / 60)
            seats = await queries.active_seats_of_order(conn, order_id)
            due = late_cancel_compensation(policy, now, order.pay, [
                HeldSeat(s["id"], s["worker_id"], Shift(s["starts_at"], s["ends_at"], s["headcount"]))
                for s in seats])
            for compensation in due:
                await queries.insert_compensation(
                    conn, order_id, compensation.assignment_id, compensation.worker_id, compensation.amount_fen,
                    f"late cancellation: {float(compensation.hours):g} h at the order's rate",
                    max(1, int(compensation.hours * 60)), now)
            await queries.cancel_assignments(conn, order_id, now)
            # Settlement hook: release the cancelled seats' escrow holds and settle the compensations
            # above (taxed by the relationship type's rule, on the worker's pay slip).
            await settle_order_cancellation(conn, order_id, now=now,
                                            minimum_wages=minimum_wage_table(await self.catalogue.data()))
            bidders, lenders = await queries.end_live_bids_of_order(conn, order_id, now)
            offered = [r["worker_id"] for r in await queries.withdraw_pending_offers(conn, order_id, now)]
            await queries.cancel_order(conn, order_id, reason, now)
            await emit(conn, "order.cancelled", {"order_id": str(order_id), "title": order.title},
                       district_code=order.district_code,
                       worker_ids=sorted({s["worker_id"] for s in seats} | set(bidders) | set(offered)),
                       organisation_ids=sorted({order.organisation_id, *lenders}))
            return await queries.order_by_id(conn, order_id), sum(c.amount_fen for c in due)

    async def _own_order(self, conn: asyncpg.Connection, caller: Principal, order_id: uuid.UUID, *,
                         for_update: bool = False) -> StoredOrder:
        order = await queries.order_by_id(conn, order_id, for_update=for_update)
        if order is None or order.organisation_id != caller.organisation_id:
            raise NotFound("no such order")
        return order

    # ---- the worker's feed ----------------------------------------------------------------------

    async def feed(self, caller: Principal, *, as_of: datetime | None, after: tuple | None,
                   limit: int) -> tuple[list, tuple | None, datetime]:
        """Fitting open shifts ranked as of `as_of` (now for a first page); see feed.py."""
        as_of = clock.now(as_of)
        async with self.pool.acquire() as conn:
            rows, next_key = await feed.feed_page(conn, caller.worker_id, as_of, after, limit)
        return rows, next_key, as_of

    # ---- gig bids -------------------------------------------------------------------------------

    async def place_bids(self, caller: Principal, order_id: uuid.UUID, shift_ids: list[uuid.UUID], rate_fen: int,
                         note: str, *, now: datetime | None = None) -> list[StoredBid]:
        """One bid per listed shift; a worker's new bid on a shift replaces their live one.

        Two statements and no transaction around them: one reads every fact the rules judge the
        bid on, one writes the bids with their event (queries.BID_FACTS, PLACE_BIDS). Nothing is
        locked, as before: a bid is an offer to work, and what it is judged on (seats, holdings)
        is judged again, under locks, when a seat is given (allocation)."""
        now = clock.now(now)
        worker_id = caller.worker_id
        data = await self.catalogue.data()  # before taking a connection: loading it may need one
        for attempt in range(BID_RETRIES):
            try:
                async with self.pool.acquire() as conn:
                    facts = await queries.bid_facts(conn, order_id, worker_id, shift_ids, BID_HOLDINGS_MARGIN)
                    order = self._biddable(facts.order if facts else None, OrderKind.gig, now)
                    errors = self._bid_errors(order, shift_ids, rate_fen, self._worker_facts(facts), now, data)
                    if errors:
                        raise ValidationFailed(errors)
                    bids = {uuid.uuid4(): shift_id for shift_id in dict.fromkeys(shift_ids)}
                    event = PreparedEvent.of("bid.placed", {
                        "order_id": str(order_id), "bid_ids": [str(b) for b in bids],
                        "shift_ids": [str(s) for s in shift_ids], "rate_fen": rate_fen},
                        organisation_ids=[order.organisation_id], worker_ids=[worker_id])
                    return await queries.place_bids(conn, order_id, worker_id, bids, rate_fen, note, event, now)
            except asyncpg.UniqueViolationError:
                # A concurrent bid of the same worker on the same shift committed first; bid again,
                # replacing it (the last bid wins, as a single client would expect).
                if attempt == BID_RETRIES - 1:
                    raise Conflict("another bid of yours on this shift is being placed; retry") from None
        raise AssertionError("unreachable")

    async def _biddable_order(self, conn: asyncpg.Connection, order_id: uuid.UUID, kind: OrderKind,
                              now: datetime) -> StoredOrder:
        return self._biddable(await queries.order_by_id(conn, order_id), kind, now)

    @staticmethod
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

    @staticmethod
    def _worker_facts(facts: BidFacts) -> tuple[WorkerFacts, list[str]]:
        facts_of_worker = WorkerFacts(
            skills=facts.worker_skills, held_shifts=facts.held,
            hours_with_employer=tuple(h for h in facts.held if h.organisation_id == facts.order.organisation_id))
        return facts_of_worker, list(facts.relationship_types)

    def _bid_errors(self, order: StoredOrder, shift_ids: list[uuid.UUID], rate_fen: int,
                    facts_and_types: tuple[WorkerFacts, list[str]], now: datetime,
                    data: CatalogueData) -> list[FieldError]:
        facts, relationship_types = facts_and_types
        tiers, minimums = self._wage_tables(data)
        tier = tiers.get(order.district_code)
        errors: list[FieldError] = []
        if order.relationship.value not in relationship_types:
            errors.append(FieldError(("path", "id"), f"your profile does not accept {order.relationship.value} "
                                     "work; change relationship_types in your profile to bid"))
        shifts = {s.id: s for s in order.shifts}
        for index, shift_id in enumerate(shift_ids):
            shift = shifts.get(shift_id)
            loc = ("shift_ids", index)
            if shift is None:
                errors.append(FieldError(loc, "not a shift of this order"))
                continue
            if not shift.open or shift.filled >= shift.headcount:
                errors.append(FieldError(loc, "this shift is full or closed"))
                continue
            if shift.start <= now:
                errors.append(FieldError(loc, "this shift has already started"))
                continue
            minimum = minimums.hourly_minimum_fen(tier, local_date(shift.start)) if tier is not None else None
            refusals = rules.bid_refusals(shift=shift, relationship=order.relationship, requirements=order.skills,
                                          worker=facts, bid_amount_fen=rate_fen,
                                          order_amount_fen=order.pay.amount_fen, minimum_hourly_fen=minimum,
                                          hours_per_unit=order.pay.hours_per_unit())
            errors += [r.at(("rate_fen",) if r.code.startswith("bid_") else loc) for r in refusals]
        # One rate for all shifts: report a rate problem once.
        return list({(e.loc, e.msg): e for e in errors}.values())

    async def withdraw_bid(self, caller: Principal, bid_id: uuid.UUID) -> None:
        async with self.pool.acquire() as conn, conn.transaction():
            if caller.role == "worker":
                bid = await queries.bid_by_id(conn, bid_id)
                if bid is None or bid.worker_id != caller.worker_id:
                    raise NotFound("no such bid")
                if not await queries.withdraw_bid(conn, bid_id, caller.worker_id):
                    raise Conflict(f"the bid is {bid.state}, not live", current_state=bid.state)
                order_id, owner = bid.order_id, (await queries.order_by_id(conn, bid.order_id)).organisation_id
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
                            after: tuple | None, limit: int) -> tuple[StoredOrder, list[StoredBid],
                                                                     list[StoredSharedBid]]:
        async with self.pool.acquire() as conn:
            order = await self._own_order(conn, caller, order_id)
            if order.kind is OrderKind.gig:
                return order, await queries.bids_of_order(conn, order_id, state, after, limit), []
            return order, [], await queries.shared_bids_of_order(conn, order_id, state)

    async def bids_of_worker(self, caller: Principal, *, state: str | None, after: tuple | None,
                             limit: int) -> list[StoredBid]:
        async with self.pool.acquire() as conn:
            return await queries.bids_of_worker(conn, caller.worker_id, state, after, limit)

    # ---- shared employment ----------------------------------------------------------------------

    async def place_shared_bid(self, caller: Principal, order_id: uuid.UUID, fee_per_worker_day_fen: int, note: str,
                               employees: list[NamedEmployee], *, now: datetime | None = None) -> StoredSharedBid:
        now = clock.now(now)
        data = await self.catalogue.data()
        async with self.pool.acquire() as conn, conn.transaction():
            order = await self._biddable_order(conn, order_id, OrderKind.shared, now)
            employments = await queries.employments_by_id(conn, [e.employment_id for e in employees])
            tier = district_tiers(data)[order.district_code]
            minimum_hourly = minimum_wage_table(data).hourly_minimum_fen(tier, order.schedule.start_date)
            errors: list[FieldError] = []
            if caller.organisation_id == order.organisation_id:
                errors.append(FieldError(("path", "id"), "an enterprise cannot borrow its own employees"))
            if fee_per_worker_day_fen > order.fee_per_worker_day_fen:
                errors.append(FieldError(("fee_per_worker_day_fen",),
                                         f"asks {rules.yuan(fee_per_worker_day_fen)} yuan, more than the order's "
                                         f"{rules.yuan(order.fee_per_worker_day_fen)} yuan per worker-day"))
            headcount = order.shifts[0].headcount if order.shifts else 0
            if len(employees) > headcount:
                errors.append(FieldError(("employees",), f"the order asks for {headcount} workers at most"))
            seen: set[uuid.UUID] = set()
            for index, named in enumerate(employees):
                loc = ("employees", index)
                employment = employments.get(named.employment_id)
                if employment is None or employment.organisation_id != caller.organisation_id:
                    # Lending is only by the employer of record: another employer's employee, or a
                    # worker this enterprise has only borrowed, has no employment record here.
                    errors.append(FieldError((*loc, "employment_id"), "not an employee of yours"))
                    continue
                if employment.state != "active":
                    errors.append(FieldError((*loc, "employment_id"),
                                             f"the employment is {employment.state}; the employee must confirm it first"))
                if employment.worker_id in seen:
                    errors.append(FieldError((*loc, "employment_id"), "named twice"))
                seen.add(employment.worker_id)
                refusal = rules.lender_wage_refusal(wage_fen=named.wage_hourly_fen,
                                                    agreed_wage_fen=employment.agreed_hourly_wage_fen,
                                                    minimum_wage_fen=minimum_hourly)
                if refusal is not None:
                    errors.append(refusal.at((*loc, "wage_hourly_fen")))
            fee = self._lending_fee_finding(order, fee_per_worker_day_fen, employees)
            if fee is not None and fee.refused:
                errors.append(fee.refusal.at(("fee_per_worker_day_fen",)))
            if errors:
                raise ValidationFailed(errors)
            bid_id = await queries.insert_shared_bid(conn, order_id, caller.organisation_id, order.organisation_id,
                                                     fee_per_worker_day_fen, note, now)
            if fee is not None:  # above the wage and its social insurance: the supervisor sees it
                await queries.insert_alert(conn, fee.refusal.code, order.district_code, caller.organisation_id,
                                           order_id, f"{fee.refusal.code}:{bid_id}",
                                           {"detail": fee.refusal.msg, "shared_bid_id": str(bid_id), **fee.refusal.ctx}, now)
            await queries.insert_consents(conn, bid_id, [
                (e.employment_id, employments[e.employment_id].worker_id, e.wage_hourly_fen) for e in employees], now)
            bid = await queries.shared_bid_by_id(conn, bid_id)
            await emit(conn, "bid.placed", {"order_id": str(order_id), "bid_id": str(bid_id), "shared": True},
                       organisation_ids=[order.organisation_id, caller.organisation_id])
            for consent in bid.consents:
                await emit(conn, "consent.requested", {"consent_id": str(consent.id), "order_id": str(order_id),
                                                       "lender": bid.lender_name, "title": order.title},
                           worker_ids=[consent.worker_id])
            return bid

    @staticmethod
    def _lending_fee_finding(order: StoredOrder, fee_per_worker_day_fen: int,
                             employees: list[NamedEmployee]) -> rules.LendingFeeFinding | None:
        """The fee against the lowest wage per day among the named employees (one fee covers them
        all), with the rate book's cost allowance on the first day of the loan."""
        if not employees:
            return None
        wage_per_day = min(e.wage_hourly_fen for e in employees) * order.pay.hours_per_unit()
        allowance = rate_book().shared_labor_cost_allowance.in_force(order.schedule.start_date)
        return rules.lending_fee_finding(fee_per_worker_day_fen=fee_per_worker_day_fen,
                                         wage_per_day_fen=wage_per_day, allowance=allowance)

    async def consents_of_worker(self, caller: Principal) -> list[StoredConsent]:
        async with self.pool.acquire() as conn:
            return await queries.consents_of_worker(conn, caller.worker_id)

    async def decide_consent(self, caller: Principal, consent_id: uuid.UUID, accept: bool, *,
                             now: datetime | None = None) -> tuple[StoredConsent, Agreement | None]:
        now = clock.now(now)
        async with self.pool.acquire() as conn, conn.transaction():
            consent = await queries.consent_for_update(conn, consent_id)
            if consent is None or consent["worker_id"] != caller.worker_id:
                raise NotFound("no such consent")
            if consent["state"] != "pending":
                raise Conflict(f"this consent is already {consent['state']}", current_state=consent["state"])
            bid = await queries.shared_bid_by_id(conn, consent["shared_bid_id"])
            if bid.state != "live":
                raise Conflict(f"the lender's bid is {bid.state}", current_state=bid.state)
            await queries.decide_consent(conn, consent_id, "accepted" if accept else "declined", now)
            agreement = None
            if accept:
                order = await queries.order_by_id(conn, bid.order_id)
                names = await queries.organisation_names(conn, [bid.borrower_id, bid.lender_id])
                worker = await queries.worker_name(conn, caller.worker_id)
                terms = agreement_terms(order, bid, consent["wage_hourly_fen"], names, caller.worker_id, worker,
                                        (await self.catalogue.data()).district(order.district_code).name)
                agreement = await queries.insert_agreement(conn, consent_id, order.id, bid.borrower_id,
                                                           bid.lender_id, caller.worker_id, terms, now)
            await emit(conn, "consent.accepted" if accept else "consent.declined",
                       {"consent_id": str(consent_id), "order_id": str(bid.order_id),
                        "agreement_id": str(agreement.id) if agreement else None},
                       organisation_ids=[bid.lender_id] + ([bid.borrower_id] if accept else []),
                       worker_ids=[caller.worker_id])
            decided = next(c for c in (await queries.shared_bid_by_id(conn, bid.id)).consents if c.id == consent_id)
            return decided, agreement

    async def agreement(self, caller: Principal, agreement_id: uuid.UUID) -> Agreement:
        async with self.pool.acquire() as conn:
            agreement = await queries.agreement_by_id(conn, agreement_id)
        if agreement is None or _party_id(caller) not in (agreement.borrower_id, agreement.lender_id,
                                                           agreement.worker_id):
            raise NotFound("no such agreement")
        return agreement

    async def agreements(self, caller: Principal) -> list[Agreement]:
        async with self.pool.acquire() as conn:
            return await queries.agreements_of_party(conn, _party_id(caller))


def agreement_terms(order: StoredOrder, bid: StoredSharedBid, wage_hourly_fen: int, names: dict, worker_id,
                    worker_name: str, district_name: str) -> dict:
    """The three-party agreement (人社厅发〔2020〕98号): place, job, hours, pay, period — what the
    borrower, the lender and the employee each read and agreed to."""
    schedule = order.schedule
    return {
        "borrower": {"id": str(bid.borrower_id), "name": names[bid.borrower_id]},
        "lender": {"id": str(bid.lender_id), "name": names[bid.lender_id]},
        "worker": {"id": str(worker_id), "name": worker_name},
        "place": {"district_code": order.district_code, "district_name": district_name,
                  "address": order.site.address, "lat": order.site.lat, "lon": order.site.lon},
        "job": {"title": order.title, "description": order.description,
                "skills": [{"skill_code": s.skill_code, "min_level": s.min_level} for s in order.skills]},
        "period": {"start_date": schedule.start_date.isoformat(), "end_date": schedule.end_date.isoformat(),
                   "working_days": len(order.shifts)},
        "hours": {"daily_start": schedule.daily_start.strftime("%H:%M"),
                  "daily_end": schedule.daily_end.strftime("%H:%M"), "time_zone": "Asia/Shanghai"},
        "pay": {"wage_hourly_fen": wage_hourly_fen, "wage_paid_by": "lender",
                "fee_per_worker_day_fen": bid.fee_per_worker_day_fen, "fee_paid_by": "borrower",
                "note": "The labor relationship stays with the lender, which pays the wage in full and keeps "
                        "social insurance; the borrower pays the lender the fee."},
    }


def _party_id(caller: Principal) -> uuid.UUID:
    return caller.worker_id if caller.role == "worker" else caller.organisation_id


def _shift_payload(order_id, shift_id, shift: Shift, values: dict) -> dict:
    return {"order_id": str(order_id), "shift_id": str(shift_id), "title": values["title"],
            "start": shift.start, "end": shift.end, "headcount": shift.headcount,
            "district_code": values["district_code"], "hourly_equivalent_fen": values["hourly_equivalent_fen"],
            "relationship": values["relationship_type"], "shift_date": local_date(shift.start).isoformat()}


def _minutes(hours: Decimal | Fraction | int) -> int:
    return int(Fraction(hours) * 60)


def _decimal(value) -> Decimal | None:
    return None if value is None else Decimal(str(float(value))) if isinstance(value, Fraction) else Decimal(value)


__all__ = ["Orders", "PostingOptions", "NamedEmployee"]
