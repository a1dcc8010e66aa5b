"""The supervisors' view of issue 18's everyday (GET /v1/supervision/everyday, docs/supervision.md):
favourites-first pools and who was in them, recurring orders, standby seats and daily pay, counted
in each district of the supervisor's, and only there."""
from datetime import timedelta

from market.kernel import clock
from market.recurring.keys import RECURRING
from tests import factories
from tests.allocation.support import skilled_worker
from tests.api.test_feed import profiled_worker
from tests.factories import gig_order_body, post_order
from tests.favourites.test_favourites import met, relate
from tests.recurring.support import create_series, series_body
from tests.standby.support import sign_up, standby_order
from tests.supervision.support import AWAY, HOME, supervisor


async def test_the_everyday_counts_pools_recurring_orders_standby_and_daily_pay_per_district(client, conn):
    employer = await factories.employer(client)
    favourite = await profiled_worker(conn, client)
    await met(client, employer, favourite)
    await relate(client, employer, favourite, "favourite")
    await post_order(client, employer, gig_order_body(private_pool={"minutes": 60}))
    await create_series(client, employer, series_body())
    order = await standby_order(client, employer, headcount=1, standby=1)
    on_call = await skilled_worker(client, conn)
    assert (await sign_up(client, on_call, order)).status == 201
    chose = await client.put("/v1/workers/me/payout-preference", json={"cadence": "daily"}, headers=favourite.auth)
    assert chose.status == 200, await chose.text()
    home_of = await conn.fetchval("SELECT district_code FROM workers WHERE id = $1::uuid", favourite.id)

    # Orders by the day they were posted (today), standbys by their shift's start (in the days ahead).
    since, until = clock.today().isoformat(), (clock.today() + timedelta(days=30)).isoformat()
    response = await client.get(f"/v1/supervision/everyday?districts={HOME},{AWAY}&from={since}&to={until}",
                                headers=await supervisor(client, (HOME, AWAY)))
    assert response.status == 200, await response.text()
    rows = {row["district_code"]: row for row in (await response.json())["items"]}
    assert list(rows) == [HOME, AWAY]
    home = rows[HOME]
    window = client.app[RECURRING].window_days
    assert (home["pool_orders"], home["pool_favourites"], home["pool_book_again"], home["pool_agency"]) == (1, 1, 0, 0)
    assert (home["recurring_orders"], home["recurring_series"]) == (window, 1)
    assert (home["standby_on_call"], home["standby_called"], home["standby_paid"]) == (1, 0, 0)
    assert home_of in (HOME, AWAY)
    assert [rows[code]["daily_pay_workers"] for code in (HOME, AWAY)] == [int(home_of == HOME), int(home_of == AWAY)]
    assert {key: value for key, value in rows[AWAY].items() if key not in ("district_code", "daily_pay_workers")} \
        == dict.fromkeys(set(rows[AWAY]) - {"district_code", "daily_pay_workers"}, 0)

    # A supervisor of another district sees none of it, and may not ask for this one.
    outside = await supervisor(client, (AWAY,), name="万州")
    assert (await client.get(f"/v1/supervision/everyday?districts={HOME}", headers=outside)).status == 403
