"""The demo's standby story (docs/standby.md): on the last day played, an employer posts an evening
shift with a standby seat; two workers go on call, one holds the seat and gives it back at noon;
the first on call is offered it on the short clock and takes it; the other, not called, is paid the
standby amount by the night's sweep. Every step is the service call the API would make, at the
simulated moment."""
from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

from market.allocation.service import hold_seat
from market.demo import queries
from market.demo.plan import at
from market.errors import MarketError
from market.kernel.relationships import RelationshipType
from market.orders import model as orders_model
from market.orders.service import PostingOptions
from market.standby.service import StandbyService

if TYPE_CHECKING:
    from market.demo.simulation import Simulation

RELATIONSHIP = RelationshipType.labor_part_time
PAY_FEN = 3000  # 30 元 an hour
STANDBY_FEN = 2400  # a fifth of the 4-hour seat's 120 元


async def play(sim: Simulation, day: date) -> None:
    settings = sim.s.allocator.settings
    standby = StandbyService(sim.pool, sim.s.catalogue, offer_expiry=settings.standby_offer_expiry,
                             withdraw_cutoff=settings.standby_withdraw_cutoff)
    start, end = at(day, 18), at(day, 22)
    employer = sim.employers[0]
    assert employer.organisation_id is not None
    plan = sim.plan.employers[0]
    order = orders_model.GigOrder(
        employer_id=employer.organisation_id, title="晚班理货（含待命席位）", relationship=RELATIONSHIP,
        district_code=plan.district, site=orders_model.Site(*plan.site, address=f"{plan.name}（晚班理货）"),
        shifts=(orders_model.Shift(start, end, 1, 1, STANDBY_FEN),),
        pay=orders_model.Pay(orders_model.PayUnit.hour, PAY_FEN), description="晚班理货，设待命席位")
    stored = await sim.s.orders.post(employer, order, PostingOptions(), now=at(day, 7.5))
    shift_id = stored.shifts[0].id
    free = await _free_workers(sim, start - timedelta(hours=12), end + timedelta(hours=12))
    if len(free) < 3:
        return
    holder, first, second = free[0], free[1], free[2]
    async with sim.pool.acquire() as conn, conn.transaction():
        assignment_id = await hold_seat(conn, shift_id=shift_id, worker_id=holder.worker_id, rate_fen=PAY_FEN,
                                        now=at(day, 7.75))
    try:
        await standby.sign_up(first, shift_id, now=at(day, 8))
        await standby.sign_up(second, shift_id, now=at(day, 8.25))
    except MarketError:
        return
    await sim.s.allocations.cancel_assignment(holder, assignment_id, "家里临时有事", now=at(day, 12))
    offers = await sim.s.allocations.offers(first, state="pending", after=None, limit=10)
    offer = next((o for o in offers if o.shift_id == shift_id), None)
    if offer is not None:
        await sim.s.allocations.accept(first, offer.id, now=at(day, 12.1))
        sim.counts["standby_replacements"] += 1
    sim.counts["standby_paid"] += (await standby.sweep(now=end + timedelta(minutes=5))).paid


async def _free_workers(sim: Simulation, start, end) -> list:
    """Workers (in plan order) accepting the relationship type, with no seat, offer or standby near the shift."""
    async with sim.pool.acquire() as conn:
        free = await queries.workers_free_between(conn, start, end, RELATIONSHIP.value)
    return [p for p in sim.workers if p.worker_id in free]
