"""The builder on small database fixtures: seats, candidates, pay, and reasons for the refused."""
import uuid
from datetime import datetime, timezone

import asyncpg
import pytest

from market import db
from market.allocation.builder import build, default_config
from market.allocation.model import Reason
from tests import factories
from tests.allocation.support import bid, quiet, skilled_worker
from tests.factories import at, gig_order_body, post_order


@pytest.fixture
def settings(settings):
    return quiet(settings)


@pytest.fixture
async def pool(settings):
    pool = await db.create_pool(settings.database_url, min_size=1, max_size=2)
    yield pool
    await pool.close()


async def built(pool: asyncpg.Pool, *orders: dict):
    async with pool.acquire() as conn:
        return await build(conn, [uuid.UUID(o["id"]) for o in orders], datetime.now(timezone.utc), default_config())


async def test_each_live_bid_becomes_a_pair_priced_at_the_bid_for_the_shifts_hours(client, conn, pool):
    employer = await factories.employer(client)
    order = await post_order(client, employer, gig_order_body())  # 4 h, 3 seats, 30 yuan/h
    worker = await skilled_worker(client, conn, level=3)
    await bid(client, worker, order, 2500)
    result = await built(pool, order)
    [shift] = result.problem.shifts
    assert shift.headcount == 3 and shift.relationship == "labor_service"
    pairs = result.problem.pairs
    assert pairs.pay_fen.tolist() == [4 * 2500] and pairs.skill_level.tolist() == [3]
    assert pairs.from_bid.tolist() == [True] and pairs.reliability.tolist() == [0.5]
    assert result.worker_ids == (uuid.UUID(worker.id),)


async def test_seats_under_pending_offers_and_held_seats_are_not_offered_again(client, conn, pool):
    employer = await factories.employer(client)
    order = await post_order(client, employer, gig_order_body())
    holder, offered = await factories.worker(client), await factories.worker(client)
    shift_id = uuid.UUID(order["shifts"][0]["id"])
    await conn.execute("INSERT INTO assignments (shift_id, order_id, worker_id, organisation_id, period, rate_fen) "
                       "SELECT s.id, s.order_id, $2, $3, s.period, 3000 FROM shifts s WHERE s.id = $1",
                       shift_id, uuid.UUID(holder.id), uuid.UUID(employer.id))
    await conn.execute("INSERT INTO offers (order_id, shift_id, worker_id, rate_fen, expires_at) "
                       "VALUES ($1, $2, $3, 3000, now() + interval '30 minutes')",
                       uuid.UUID(order["id"]), shift_id, uuid.UUID(offered.id))
    [shift] = (await built(pool, order)).problem.shifts
    assert shift.headcount == 3 - 1 - 1


async def test_bidders_who_no_longer_qualify_are_listed_with_a_reason(client, conn, pool):
    employer = await factories.employer(client)
    order = await post_order(client, employer, gig_order_body())
    unskilled, far, busy, eligible = [await skilled_worker(client, conn) for _ in range(4)]
    for worker in (unskilled, far, busy, eligible):
        await bid(client, worker, order, 2800)
    await conn.execute("DELETE FROM worker_skills WHERE worker_id = $1", uuid.UUID(unskilled.id))
    await conn.execute("UPDATE workers SET home_lat = 31.0, home_lon = 108.0 WHERE id = $1", uuid.UUID(far.id))
    other = await post_order(client, employer, gig_order_body(shifts=[{"start": at(2, 10), "end": at(2, 12), "headcount": 1}]))
    await conn.execute("INSERT INTO assignments (shift_id, order_id, worker_id, organisation_id, period, rate_fen) "
                       "SELECT s.id, s.order_id, $2, $3, s.period, 3000 FROM shifts s WHERE s.id = $1",
                       uuid.UUID(other["shifts"][0]["id"]), uuid.UUID(busy.id), uuid.UUID(employer.id))
    result = await built(pool, order)
    reasons = {result.worker_ids[p.worker]: p.reason for p in result.problem.ineligible}
    assert reasons == {uuid.UUID(unskilled.id): Reason.SKILL_MISMATCH, uuid.UUID(far.id): Reason.TOO_FAR,
                       uuid.UUID(busy.id): Reason.OVERLAP}
    assert [result.worker_ids[w] for w in result.problem.pairs.worker.tolist()] == [uuid.UUID(eligible.id)]
    assert [o.bid_id is not None for o in result.ineligible_origins] == [True] * 3


async def test_an_auto_order_takes_fitting_workers_who_opted_in_at_the_posted_rate(client, conn, pool):
    employer = await factories.employer(client)
    order = await post_order(client, employer, gig_order_body(allocation_mode="auto"))
    opted_in = await skilled_worker(client, conn, auto=True)
    await skilled_worker(client, conn, auto=False)
    await factories.worker(client)  # no skill: the feed's fit leaves them out
    result = await built(pool, order)
    assert result.worker_ids == (uuid.UUID(opted_in.id),)
    assert result.problem.pairs.pay_fen.tolist() == [4 * 3000]
    assert result.eligible_origins[0].bid_id is None and result.eligible_origins[0].rate_fen == 3000
