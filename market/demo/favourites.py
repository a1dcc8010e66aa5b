"""The demo's favourites (docs/favourites.md), at the end of the week: each employer marks the
workers who worked most of its shifts as favourites (their next favourites-first orders would go
to them first). No order is added: the demo's orders are exactly its plan's, posted on the plan's
days (tests/demo/test_demo_clock.py), so a favourites-first order or a "book again" belongs in the
plan itself (docs/favourites.md, "Demo")."""
from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import datetime, time
from typing import Any

import asyncpg

from market.favourites import queries
from market.favourites.model import RelationKind
from market.favourites.service import Favourites
from market.kernel.clock import SHANGHAI

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
