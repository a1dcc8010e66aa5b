"""The demo's recurring order (docs/recurring-orders.md): the employer the summary names posts,
on the story's last evening (22:45 yesterday), a weekly series of the terms of its first gig order — Tuesday, Thursday and Saturday
mornings for eight weeks, the second occurrence skipped, holidays off — and the series' first
window of occurrences becomes orders at once, each posted under the rules of its own date."""
from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time, timedelta
from typing import Any, Protocol

import asyncpg

from market.config import Settings
from market.demo.plan import MarketPlan
from market.kernel.clock import SHANGHAI
from market.recurring.model import Change, Pattern, Schedule, occurrences
from market.recurring.service import Recurring



class Simulation(Protocol):
    """What the story needs of the demo's simulation (market/demo/simulation.py, which calls this:
    a protocol, so the two do not import each other)."""

    plan: MarketPlan
    employers: Any  # the employers' principals, by plan index
    pool: asyncpg.Pool
    s: Any  # the services
    counts: Any

TITLE = "每周二四六固定分拣班（周期单）"
POSTED_AT = time(22, 45)  # after the evening's sweeps, inside the story (nothing is posted "today")


async def post_recurring_order(simulation: Simulation, settings: Settings, today: date) -> None:
    plan = simulation.plan
    posted = Counter(g.employer for g in plan.gigs)
    if not posted:
        return
    index = max(posted, key=lambda i: (posted[i], -i))  # as Simulation.sample_employer
    employer, gig = plan.employers[index], next(g for g in plan.gigs if g.employer == index)
    principal = simulation.employers[index]
    terms = {
        "title": TITLE, "description": f"{employer.sector}行业固定班次", "relationship": gig.relationship,
        "district_code": employer.district,
        "site": {"lat": employer.site[0], "lon": employer.site[1], "address": f"{employer.name}（{TITLE}）",
                 "check_in_radius_m": 500},
        "pay": {"unit": gig.pay_unit, "amount_fen": gig.amount_fen, "stated_hours": gig.stated_hours,
                "cycle_days": gig.cycle_days},
        "skills": [{"skill_code": gig.skill, "min_level": gig.min_level, "certificate_required": False}],
        "allocation_mode": gig.mode,
    }
    start, until = today, today + timedelta(weeks=8)
    pattern = Pattern(frozenset({2, 4, 6}), time(8), time(12), 2)
    draft = Schedule(pattern, start, until, skip_holidays=True)
    second = occurrences(draft)[1].on
    schedule = Schedule(pattern, start, until, (Change(second, skip=True),), skip_holidays=True)
    recurring = Recurring(simulation.pool, simulation.s.orders, window_days=settings.recurring_window_days)
    now = datetime.combine(today - timedelta(days=1), POSTED_AT, tzinfo=SHANGHAI)
    _, decided = await recurring.create_series(principal, name=TITLE, template_id=None, terms=terms,
                                               schedule=schedule, now=now)
    simulation.counts["recurring_orders"] += 1
    simulation.counts["recurring_occurrences_posted"] += sum(d.state == "materialised" for d in decided)
