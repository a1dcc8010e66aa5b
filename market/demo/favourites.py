"""The demo's favourites (docs/favourites.md), at the end of the week: each employer marks the
workers who worked most of its shifts as favourites, and books its first gig order of the week
again for tomorrow, that order's workers (and its favourites) offered it first for an hour.

Which orders are booked again is fixed by the plan (the first gig order of each employer), so one
seed posts the same orders (report.Summary.planned); who is in the pools follows allocation."""
from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import datetime, time, timedelta
from typing import Any

import asyncpg

from market.errors import MarketError
from market.favourites import queries
from market.favourites.model import RelationKind
from market.favourites.service import Favourites
from market.kernel.clock import SHANGHAI
from market.orders.model import Shift

FAVOURITES_PER_EMPLOYER = 2
POOL_MINUTES = 60
AT = time(0, 15)  # before the last night's sweeps (simulation.CLOSING)


async def favourites_and_book_again(sim: Any) -> None:
    """`sim`: the demo's Simulation (its pool, services, plan, principals, orders and counts)."""
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
    first_gig: dict[int, Any] = {}
    for gig in sorted(sim.plan.gigs, key=lambda g: (g.posted_at, g.index)):
        first_gig.setdefault(gig.employer, gig)
    tomorrow = sim.plan.today + timedelta(days=1)
    for employer_index, gig in sorted(first_gig.items()):
        shift = gig.shifts[0]
        local_start = shift.start.astimezone(SHANGHAI)
        if local_start.time() < time(6) or gig.index not in sim.gig_orders:
            continue  # a night shift (its date would move), or an order that was never posted
        start = datetime.combine(tomorrow, local_start.time(), SHANGHAI)
        try:
            await service.book_again(sim.employers[employer_index], sim.gig_orders[gig.index],
                                     [Shift(start, start + (shift.end - shift.start), shift.headcount)],
                                     pool_minutes=POOL_MINUTES, include_favourites=True, bid_deadline=None, now=now)
            sim.counts["booked_again"] += 1
        except MarketError:  # a posting rule on the new date (a part-time limit, the daily rule)
            sim.counts["book_again_refused"] += 1
