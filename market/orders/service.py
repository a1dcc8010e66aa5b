"""Posting, reading and cancelling orders. Owns its transactions; every object-level check lives
here (another party's order is a 404). Bids are market/bids, consents and agreements
market/agreements, the worker's feed market/feed."""
from __future__ import annotations

import contextlib
import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from typing import Protocol

import asyncpg

from market.catalogue.service import Catalogue, CatalogueData
from market.errors import NotFound
from market.events.outbox import emit
from market.kernel import clock
from market.kernel.clock import local_date
from market.kernel.principal import Principal
from market.orders import queries, rules
from market.orders.lifecycle import Compensation, OrderEvent, late_cancel_compensation, seat_compensation, transition
from market.orders.model import (
    LateCancelPolicy,
    MinimumWageTable,
    Order,
    SharedOrder,
    Shift,
)
from market.orders.pool import PrivatePool, add_pool_members
from market.orders.records import NewOrder, StoredOrder


class CancellationSettlement(Protocol):
    """What cancelling an order does to the money, inside the cancelling transaction: release the
    cancelled seats' escrow holds and settle the late-cancel compensations. The settlement
    package's (`settle_order_cancellation`), handed in by its wiring (keys.CANCELLATION_SETTLEMENT),
    so that orders import nothing of the layers above them."""

    async def __call__(self, conn: asyncpg.Connection, order_id: uuid.UUID, *, minimum_wages: MinimumWageTable,
                       now: datetime | None = None) -> None: ...


class PostingStep(Protocol):
    async def __call__(self, conn: asyncpg.Connection, order_id: uuid.UUID) -> None: ...


@dataclass(frozen=True)
class PostingOptions:
    offer_expiry_minutes: int = 30


def minimum_wage_table(data: CatalogueData) -> MinimumWageTable:
    return MinimumWageTable(data.minimum_wages)


def district_tiers(data: CatalogueData) -> dict[str, int]:
    return {d.code: d.tier for d in data.districts if d.active}


async def own_order(conn: asyncpg.Connection, caller: Principal, order_id: uuid.UUID, *,
                    for_update: bool = False) -> StoredOrder:
    """The caller's order; another organisation's, or none, is a 404."""
    order = await queries.order_by_id(conn, order_id, for_update=for_update)
    if order is None or order.organisation_id != caller.organisation_id \
            or not caller.sees_site(order.site_id, order.agency_organisation_id):
        raise NotFound("no such order")  # a site manager reaches only their sites' orders (docs/organisations.md)
    return order


class Orders:
    def __init__(self, pool: asyncpg.Pool, catalogue: Catalogue, settle_cancellation: CancellationSettlement) -> None:
        self.pool = pool
        self.catalogue = catalogue
        self.settle_cancellation = settle_cancellation

    async def post(self, caller: Principal, order: Order, options: PostingOptions, *,
                   now: datetime | None = None, pool: PrivatePool | None = None,
                   conn: asyncpg.Connection | None = None, site_id: uuid.UUID | None = None,
                   within: PostingStep | None = None) -> StoredOrder:
        """Check every posting rule and write the order.

        `pool`: a favourites-first window (gig orders; docs/favourites.md), its members
        materialised in the posting transaction. `conn`: post inside the caller's open transaction
        (a savepoint of it), as a recurring order's occurrence does (market/recurring). `site_id`:
        the organisation's site the order names (its location and radius are in `order.site`
        already, from the site: market/orders/views.py). `within`: a step of the posting's
        transaction once the order is written (an agency's licence and mandate budget,
        market/organisations/agencies.py); raising refuses the posting and writes nothing."""
        now = clock.now(now)
        data = await self.catalogue.data()
        alerts = rules.check_order(order, now=now, minimum_wages=minimum_wage_table(data),
                                   district_tiers=district_tiers(data),
                                   known_skill_codes={s.code for s in data.skills},
                                   known_sector_codes={s.code for s in data.sectors})
        shifts = order.all_shifts()
        shared = isinstance(order, SharedOrder)
        schedule = order.schedule if isinstance(order, SharedOrder) else None
        new = NewOrder(
            organisation_id=caller.organisation_id, kind=order.kind.value, title=order.title.strip(),
            description=order.description, district_code=order.district_code,
            site_lat=order.site.lat, site_lon=order.site.lon, site_address=order.site.address,
            check_in_radius_m=order.site.check_in_radius_m, relationship_type=order.relationship.value,
            pay_unit=order.pay.unit.value, pay_amount_fen=order.pay.amount_fen,
            pay_stated_hours=_decimal(order.pay.stated_hours), pay_cycle_days=order.pay.cycle_days,
            hourly_equivalent_fen=order.pay.hourly_equivalent_fen(), daily=getattr(order, "daily", False),
            allocation_mode=order.allocation_mode.value, bid_deadline=order.bid_deadline,
            offer_expiry_minutes=options.offer_expiry_minutes,
            late_cancel_window_minutes=_minutes(order.late_cancel.window_hours),
            late_cancel_compensation_minutes=_minutes(order.late_cancel.compensation_hours),
            below_minimum_wage=any(alert.code == "labor_service_below_minimum_wage" for alert in alerts),
            period_start=schedule.start_date if schedule else None,
            period_end=schedule.end_date if schedule else None,
            daily_start=schedule.daily_start if schedule else None,
            daily_end=schedule.daily_end if schedule else None,
            fee_per_worker_day_fen=order.fee_per_worker_day_fen if isinstance(order, SharedOrder) else None,
            created_at=now, sector_code=order.sector_code, site_id=site_id,
        )
        async with contextlib.AsyncExitStack() as stack:
            if conn is None:
                conn = await stack.enter_async_context(self.pool.acquire())
            await stack.enter_async_context(conn.transaction())
            order_id = await queries.insert_order(conn, new)
            await queries.insert_order_skills(conn, order_id, order.skills)
            shift_ids = [await queries.insert_shift(conn, order_id, s.start, s.end, s.headcount, order.site,
                                                       s.standby, s.standby_amount_fen)
                         for s in shifts]
            if within is not None:
                await within(conn, order_id)
            if pool is not None and not shared:
                await add_pool_members(conn, order_id, caller.organisation_id, pool, now)
            await emit(conn, "order.posted", {"order_id": str(order_id), "kind": order.kind.value,
                                              "title": new.title, "district_code": order.district_code},
                       district_code=order.district_code, organisation_ids=[caller.organisation_id])
            if not shared:
                # Workers hear of each new shift that fits them (the relay resolves who: market/feed).
                for shift_id, shift in zip(shift_ids, shifts):
                    await emit(conn, "shift.opened", _shift_payload(order_id, shift_id, shift, new),
                               district_code=order.district_code)
            return await queries.order_by_id(conn, order_id)

    async def get(self, caller: Principal, order_id: uuid.UUID) -> StoredOrder:
        async with self.pool.acquire() as conn:
            return await own_order(conn, caller, order_id)

    async def list(self, caller: Principal, *, state: str | None, kind: str | None, from_date, to_date,
                   after: tuple | None, limit: int) -> list[StoredOrder]:
        async with self.pool.acquire() as conn:
            return await queries.orders_of_organisation(conn, caller.organisation_id, state=state, kind=kind,
                                                        from_date=from_date, to_date=to_date, after=after,
                                                        limit=limit, site_ids=_site_scope(caller),
                                                        agency_id=caller.agency_organisation_id)

    async def cancel(self, caller: Principal, order_id: uuid.UUID, reason: str, *,
                     now: datetime | None = None) -> tuple[StoredOrder, int]:
        """Cancel an order; seats held inside the late-cancel window get compensation records.
        Returns the order and the total compensation in fen."""
        now = clock.now(now)
        async with self.pool.acquire() as conn, conn.transaction():
            order = await own_order(conn, caller, order_id, for_update=True)
            transition(order.state, OrderEvent.cancel)  # 409 with the current state when illegal
            seats = await queries.active_seats_of_order(conn, order_id)
            due = late_cancel_compensation(late_cancel_policy(order), now, order.pay, seats)
            for compensation in due:
                await _record_compensation(conn, order_id, compensation, "late cancellation", now)
            await queries.cancel_assignments(conn, order_id, now)
            # Settlement hook: release the cancelled seats' escrow holds and settle the compensations
            # above (taxed by the relationship type's rule, on the worker's pay slip).
            await self.settle_cancellation(conn, order_id, now=now,
                                           minimum_wages=minimum_wage_table(await self.catalogue.data()))
            bidders, lenders = await queries.end_live_bids_of_order(conn, order_id, now)
            offered = await queries.withdraw_pending_offers(conn, order_id, now)
            await queries.cancel_order(conn, order_id, reason, now)
            await emit(conn, "order.cancelled", {"order_id": str(order_id), "title": order.title},
                       district_code=order.district_code,
                       worker_ids=sorted({s.worker_id for s in seats} | set(bidders) | set(offered)),
                       organisation_ids=sorted({order.organisation_id, *lenders}))
            return await queries.order_by_id(conn, order_id), sum(c.amount_fen for c in due)


def _site_scope(caller: Principal) -> list[uuid.UUID] | None:
    """The sites whose orders a site manager lists (docs/organisations.md); None for all."""
    return sorted(caller.site_ids) if caller.organisation_role == "site_manager" else None


def late_cancel_policy(order: StoredOrder) -> LateCancelPolicy:
    return LateCancelPolicy(window_hours=Decimal(order.late_cancel_window_minutes) / 60,
                            compensation_hours=Decimal(order.late_cancel_compensation_minutes) / 60)


async def compensate_withdrawn_seat(conn: asyncpg.Connection, assignment_id: uuid.UUID, why: str,
                                    now: datetime) -> Compensation | None:
    """Record what withdrawing an assignment's seat owes its worker, as a late cancellation would
    (`seat_compensation`): called when a case reverses a no-show (market/cases). None when nothing
    is owed or the seat was compensated already (one compensation per seat)."""
    found = await queries.seat_of_assignment(conn, assignment_id)
    if found is None:
        return None
    order_id, seat = found
    order = await queries.order_by_id(conn, order_id)
    assert order is not None
    compensation = seat_compensation(late_cancel_policy(order), order.pay, seat)
    if compensation is None or not await _record_compensation(conn, order_id, compensation, why, now):
        return None
    return compensation


async def _record_compensation(conn: asyncpg.Connection, order_id: uuid.UUID, compensation: Compensation, why: str,
                               now: datetime) -> bool:
    return await queries.insert_compensation(
        conn, order_id, compensation.assignment_id, compensation.worker_id, compensation.amount_fen,
        f"{why}: {float(compensation.hours):g} h at the order's rate", max(1, _minutes(compensation.hours)), now)


def _shift_payload(order_id: uuid.UUID, shift_id: uuid.UUID, shift: Shift, new: NewOrder) -> dict:
    return {"order_id": str(order_id), "shift_id": str(shift_id), "title": new.title,
            "start": shift.start, "end": shift.end, "headcount": shift.headcount,
            "district_code": new.district_code, "hourly_equivalent_fen": new.hourly_equivalent_fen,
            "relationship": new.relationship_type, "shift_date": local_date(shift.start).isoformat()}


def _minutes(hours: Decimal | Fraction | int) -> int:
    return int(Fraction(hours) * 60)


def _decimal(value) -> Decimal | None:
    return None if value is None else Decimal(str(float(value))) if isinstance(value, Fraction) else Decimal(value)


__all__ = ["Orders", "PostingOptions", "compensate_withdrawn_seat", "late_cancel_policy", "own_order"]
