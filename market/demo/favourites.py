"""The demo's favourites (docs/favourites.md): on the last played evening an employer
books one of its played orders again (the plan's `BookAgainPlan`: its workers invited first), and
at the end of the week each employer marks the workers who worked most of its shifts as
favourites (their next favourites-first orders would go to them first). The order booked again is
the plan's, posted on the plan's day (tests/demo/test_demo_clock.py holds the orders to the plan)."""
from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import date, datetime, time
from typing import Any

import asyncpg

from market.favourites import queries
from market.favourites.model import RelationKind
from market.favourites.service import Favourites
from market.kernel.clock import SHANGHAI, local_date
from market.orders import model as orders_model

FAVOURITES_PER_EMPLOYER = 2
AT = time(0, 15)  # before the last night's sweeps (simulation.CLOSING)


async def mark_favourites(sim: Any) -> None:
    """`sim`: the demo's Simulation (its pool, services, plan, principals and counts)."""
    now = datetime.combine(sim.plan.today, AT, SHANGHAI)
    service = Favourites(sim.pool, sim.s.orders)
    by_organisation = {e.organisation_id: e for e in sim.employers}
    async with sim.pool.acquire() as conn:
        rows = await queries.regulars(conn)
    regulars: dict[uuid.UUID, list[asyncpg.Record]] = defaultdict(list)
    for row in rows:
        regulars[row["organisation_id"]].append(row)
    for organisation_id, found in sorted(regulars.items()):
        if (employer := by_organisation.get(organisation_id)) is not None:
            for row in found[:FAVOURITES_PER_EMPLOYER]:
                await service.set_relation(employer, row["worker_id"], RelationKind.favourite, "常来、做得好", now=now)
                sim.counts["favourites"] += 1


async def book_again(sim: Any, day: date) -> None:
    """The plan's order booked again, if it is `day`'s: `POST /v1/orders/{id}/book-again`'s service
    call, the original's workers in the new order's pool for its first hour."""
    planned = sim.plan.book_again
    if planned is None or local_date(planned.posted_at) != day:
        return
    original = sim.plan.gigs[planned.original]
    service = Favourites(sim.pool, sim.s.orders)
    stored, pool = await service.book_again(
        sim.employers[original.employer], sim.gig_orders[original.index],
        [orders_model.Shift(s.start, s.end, s.headcount) for s in planned.shifts],
        pool_minutes=planned.pool_minutes, include_favourites=False, bid_deadline=None, now=planned.posted_at)
    sim.counts["orders_booked_again"] += 1
    sim.counts["book_again_invited"] += len(pool)
    sim.booked_again = stored.id
