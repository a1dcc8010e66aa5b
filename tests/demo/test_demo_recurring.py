"""The demo posts one recurring order: its first window of occurrences are orders of the employer
the summary names, the skipped one recorded (docs/recurring-orders.md)."""

from market.demo.recurring import TITLE
from market.web.keys import DB
from tests.demo.test_demo import demo, today


async def test_the_demo_posts_a_recurring_order_with_its_first_window_of_orders(client, settings):
    result = await demo(client.app, settings, today())
    assert result.counts["recurring_orders"] == 1 and result.counts["recurring_occurrences_posted"] >= 1
    async with client.app[DB].acquire() as conn:
        series = await conn.fetchrow("SELECT id, organisation_id FROM recurring_series WHERE name = $1", TITLE)
        states = [row["state"] for row in await conn.fetch(
            "SELECT state FROM recurring_occurrences WHERE series_id = $1 ORDER BY occurrence_date", series["id"])]
        orders = await conn.fetchval("SELECT count(*) FROM orders WHERE title = $1 AND organisation_id = $2",
                                     TITLE, series["organisation_id"])
        skipped = await conn.fetchval("SELECT problem FROM recurring_occurrences WHERE series_id = $1 "
                                      "AND state = 'skipped' ORDER BY occurrence_date LIMIT 1", series["id"])
    assert states[1] == "skipped" and skipped == {"reason": "exception"}
    assert orders == states.count("materialised") == result.counts["recurring_occurrences_posted"]
