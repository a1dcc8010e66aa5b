"""The demo books an order again (docs/favourites.md, plan.BookAgainPlan): on the last played
evening the busiest employer reposts a played order on later days, the workers who held its seats
in the new order's pool first; the supervisor's everyday panel counts the pool."""
from market.accounts.keys import ACCOUNTS
from market.web.keys import DB
from tests.demo.test_demo import demo, today


async def test_the_demo_books_a_played_order_again_with_its_workers_invited_first(client, settings):
    result = await demo(client.app, settings, today())
    planned = result.plan.book_again
    assert planned is not None and result.counts["orders_booked_again"] == 1
    original = result.plan.gigs[planned.original]
    async with client.app[DB].acquire() as conn:
        [again] = await conn.fetch("SELECT id, organisation_id, title, pool_until, state FROM orders "
                                   "WHERE created_at = $1", planned.posted_at)
        [first] = await conn.fetch(
            "SELECT DISTINCT o.id FROM orders o JOIN shifts s ON s.order_id = o.id WHERE o.organisation_id = $1 "
            "AND o.title = $2 AND o.created_at = $3 AND s.starts_at = $4", again["organisation_id"], original.title,
            original.posted_at, original.shifts[0].start)
        assert again["title"] == original.title
        worked = {r["worker_id"] for r in await conn.fetch(
            "SELECT DISTINCT worker_id FROM assignments WHERE order_id = $1 AND state IN ('active', 'completed')",
            first["id"])}
        pool = await conn.fetch("SELECT worker_id, source, created_at FROM order_pool_members WHERE order_id = $1",
                                again["id"])
        starts = [r["starts_at"] for r in await conn.fetch(
            "SELECT starts_at FROM shifts WHERE order_id = $1 ORDER BY starts_at", again["id"])]
    assert worked and {r["worker_id"] for r in pool} == worked
    assert {r["source"] for r in pool} == {"book_again"} and {r["created_at"] for r in pool} == {planned.posted_at}
    assert again["state"] == "open" and again["pool_until"] > planned.posted_at
    assert starts == [s.start for s in planned.shifts] and starts[0].date() > result.plan.today
    everywhere = await client.app[ACCOUNTS].create_staff("supervisor", "多区县监管员",
                                                         sorted({e.district for e in result.plan.employers}))
    response = await client.get("/v1/supervision/everyday", headers={"Authorization": f"Bearer {everywhere.token}"})
    items = (await response.json())["items"]
    assert sum(i["pool_orders"] for i in items) >= 1 and sum(i["pool_book_again"] for i in items) == len(worked)
