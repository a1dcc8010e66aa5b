import uuid

from tests import factories
from tests.factories import at, gig_order_body, post_order

NEAR_JIEFANGBEI = {"lat": 29.5600, "lon": 106.5750}


async def profiled_worker(conn, client, *, skills=(("warehouse_picking", 2),), home=NEAR_JIEFANGBEI,
                          max_travel_m=10000, relationship_types=None):
    worker = await factories.worker(client)
    wid = uuid.UUID(worker.id)
    await conn.execute("UPDATE workers SET home_lat = $2, home_lon = $3, max_travel_m = $4 WHERE id = $1",
                       wid, home["lat"] if home else None, home["lon"] if home else None, max_travel_m)
    if relationship_types is not None:
        await conn.execute("UPDATE workers SET relationship_types = $2 WHERE id = $1", wid, relationship_types)
    for code, level in skills:
        await conn.execute("INSERT INTO worker_skills (worker_id, skill_code, level) VALUES ($1, $2, $3)",
                           wid, code, level)
    return worker


async def feed_of(client, worker, **params):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    response = await client.get(f"/v1/workers/me/feed?{query}", headers=worker.auth)
    assert response.status == 200, await response.text()
    return await response.json()


async def test_a_nearby_worker_with_the_skill_sees_the_shift(client, conn):
    employer = await factories.employer(client)
    worker = await profiled_worker(conn, client)
    order = await post_order(client, employer, gig_order_body())
    feed = await feed_of(client, worker)
    [item] = feed["items"]
    assert item["shift_id"] == order["shifts"][0]["id"]
    assert 0 < item["distance_m"] < 2000
    assert item["seats_left"] == 3 and item["hourly_pay_fen"] == 3000


async def test_the_feed_leaves_out_shifts_the_worker_cannot_take(client, conn):
    employer = await factories.employer(client)
    await post_order(client, employer, gig_order_body())
    unskilled = await profiled_worker(conn, client, skills=())
    far_away = await profiled_worker(conn, client, home={"lat": 30.8078, "lon": 108.4087})  # 万州
    refuses_type = await profiled_worker(conn, client, relationship_types=["labor_part_time"])
    for worker in (unskilled, far_away, refuses_type):
        assert (await feed_of(client, worker))["items"] == []


async def test_the_feed_respects_availability(client, conn):
    employer = await factories.employer(client)
    order = await post_order(client, employer, gig_order_body())  # 09:00–13:00 two days from now
    busy = await profiled_worker(conn, client)
    shift_day = (await conn.fetchval("SELECT (starts_at AT TIME ZONE 'Asia/Shanghai')::date FROM shifts WHERE id = $1",
                                     uuid.UUID(order["shifts"][0]["id"])))
    await conn.execute("INSERT INTO worker_availability_exceptions (worker_id, day) VALUES ($1, $2)",
                       uuid.UUID(busy.id), shift_day)
    mornings_only = await profiled_worker(conn, client)
    for weekday in range(1, 8):
        await conn.execute("INSERT INTO worker_availability (worker_id, weekday, start_time, end_time) "
                           "VALUES ($1, $2, '06:00', '12:00')", uuid.UUID(mornings_only.id), weekday)
    all_day = await profiled_worker(conn, client)
    for weekday in range(1, 8):
        await conn.execute("INSERT INTO worker_availability (worker_id, weekday, start_time, end_time) "
                           "VALUES ($1, $2, '08:00', '24:00')", uuid.UUID(all_day.id), weekday)
    assert (await feed_of(client, busy))["items"] == []
    assert (await feed_of(client, mornings_only))["items"] == []
    assert len((await feed_of(client, all_day))["items"]) == 1


async def test_a_worker_without_a_home_is_matched_from_their_districts_centre(client, conn):
    employer = await factories.employer(client)
    await post_order(client, employer, gig_order_body())
    worker = await profiled_worker(conn, client, home=None)
    assert len((await feed_of(client, worker))["items"]) == 1


async def test_the_feed_ranks_better_paid_shifts_first_and_pages_without_repeats(client, conn):
    employer = await factories.employer(client)
    worker = await profiled_worker(conn, client)
    for amount in (2500, 4000, 3000, 3500, 2800):
        await post_order(client, employer, gig_order_body(pay={"unit": "hour", "amount_fen": amount}))
    seen, cursor = [], None
    while True:
        page = await feed_of(client, worker, limit=2, **({"cursor": cursor} if cursor else {}))
        seen += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert [i["hourly_pay_fen"] for i in seen] == [4000, 3500, 3000, 2800, 2500]
    assert len({i["shift_id"] for i in seen}) == 5


async def hold_a_seat_from_noon_to_four(client, conn, employer, worker) -> None:
    """The worker holds a seat on a new one-seat order, 12:00–16:00 the day after tomorrow."""
    held = await post_order(client, employer, gig_order_body(shifts=[{"start": at(2, 12), "end": at(2, 16),
                                                                      "headcount": 1}]))
    await conn.execute(
        "INSERT INTO assignments (shift_id, order_id, worker_id, organisation_id, period, rate_fen) "
        "SELECT s.id, s.order_id, $2, o.organisation_id, s.period, 3000 FROM shifts s JOIN orders o "
        "ON o.id = s.order_id WHERE s.id = $1", uuid.UUID(held["shifts"][0]["id"]), uuid.UUID(worker.id))


async def test_a_held_overlapping_shift_removes_a_shift_from_the_feed(client, conn):
    employer = await factories.employer(client)
    worker = await profiled_worker(conn, client)
    await hold_a_seat_from_noon_to_four(client, conn, employer, worker)
    await post_order(client, employer, gig_order_body())  # 09:00–13:00 overlaps 12:00–16:00
    assert (await feed_of(client, worker))["items"] == []


async def test_a_held_seat_hides_the_shifts_it_overlaps_from_the_feed_and_from_their_audience_alike(client, conn):
    """The feed (held seats read once per query) and the audience of a new shift (one probe per
    worker) write the held-seat test differently; they must agree."""
    from datetime import datetime, timezone

    from market.feed.service import workers_fitting_shift, workers_fitting_shifts

    employer = await factories.employer(client)
    worker = await profiled_worker(conn, client)
    await hold_a_seat_from_noon_to_four(client, conn, employer, worker)
    order = await post_order(client, employer, gig_order_body(shifts=[
        {"start": at(2, 9), "end": at(2, 13), "headcount": 2},     # overlaps 12:00–16:00
        {"start": at(2, 16), "end": at(2, 20), "headcount": 2},    # starts as the held seat ends
        {"start": at(3, 12), "end": at(3, 16), "headcount": 2}]))  # the next day
    overlapping, after, next_day = (uuid.UUID(s["id"]) for s in order["shifts"])

    listed = {uuid.UUID(item["shift_id"]) for item in (await feed_of(client, worker))["items"]}
    assert listed == {after, next_day}
    now = datetime.now(timezone.utc)
    together = await workers_fitting_shifts(conn, [overlapping, after, next_day], now)  # as the relay asks
    for shift_id in (overlapping, after, next_day):
        audience = await workers_fitting_shift(conn, shift_id, now)
        assert (uuid.UUID(worker.id) in audience) == (shift_id in listed), shift_id
        assert together[shift_id] == audience, shift_id


async def test_each_item_says_the_standby_seats_left_and_their_pay(client, conn):
    employer = await factories.employer(client)
    worker = await profiled_worker(conn, client)
    order = await post_order(client, employer, gig_order_body(shifts=[
        {"start": at(2, 9), "end": at(2, 13), "headcount": 2, "standby": 2, "standby_amount_fen": 3000},
        {"start": at(3, 9), "end": at(3, 13), "headcount": 2}]))
    with_standby, without = (s["id"] for s in order["shifts"])
    other = await profiled_worker(conn, client)
    response = await client.post(f"/v1/shifts/{with_standby}/standby", headers=other.auth)
    assert response.status == 201, await response.text()
    items = {item["shift_id"]: item for item in (await feed_of(client, worker))["items"]}
    assert (items[with_standby]["standby_seats_left"], items[with_standby]["standby_amount_fen"]) == (1, 3000)
    assert (items[without]["standby_seats_left"], items[without]["standby_amount_fen"]) == (0, None)


async def test_the_feed_marks_the_shifts_the_worker_has_a_live_bid_on(client, conn):
    employer = await factories.employer(client)
    worker = await profiled_worker(conn, client)
    order = await post_order(client, employer, gig_order_body(shifts=[
        {"start": at(2, 9), "end": at(2, 13), "headcount": 2}, {"start": at(3, 9), "end": at(3, 13), "headcount": 2}]))
    first, second = (s["id"] for s in order["shifts"])
    response = await client.post(f"/v1/orders/{order['id']}/bids", json={"shift_ids": [first], "rate_fen": 3000},
                                 headers=worker.auth)
    assert response.status == 201, await response.text()
    bid_id = (await response.json())["items"][0]["id"]

    marks = {item["shift_id"]: item["has_live_bid"] for item in (await feed_of(client, worker))["items"]}
    assert marks == {first: True, second: False}

    response = await client.delete(f"/v1/bids/{bid_id}", headers=worker.auth)
    assert response.status == 204, await response.text()
    marks = {item["shift_id"]: item["has_live_bid"] for item in (await feed_of(client, worker))["items"]}
    assert marks == {first: False, second: False}


async def test_employers_cannot_read_a_feed(client):
    employer = await factories.employer(client)
    assert (await client.get("/v1/workers/me/feed", headers=employer.auth)).status == 403


async def test_the_employer_s_colour_is_shown_on_each_item_and_moves_its_shifts(client, conn):
    from market.reputation.keys import REPUTATION

    worker = await profiled_worker(conn, client)
    red, blue, black = [await factories.employer(client) for _ in range(3)]
    orders = {name: await post_order(client, employer, gig_order_body())
              for name, employer in (("red", red), ("blue", blue), ("black", black))}
    # black: a wage arrear the employer is at fault for, outstanding (the sweep derives the colour)
    arrear_shift = await post_order(client, black, gig_order_body(shifts=[{"start": at(5, 9), "end": at(5, 12),
                                                                           "headcount": 1}]))
    await conn.execute(
        "INSERT INTO assignments (shift_id, order_id, worker_id, organisation_id, period, rate_fen) "
        "SELECT s.id, s.order_id, $2, o.organisation_id, s.period, 3000 FROM shifts s JOIN orders o "
        "ON o.id = s.order_id WHERE s.id = $1", uuid.UUID(arrear_shift["shifts"][0]["id"]),
        uuid.UUID((await factories.worker(client)).id))
    await conn.execute("INSERT INTO arrears (kind, assignment_id, organisation_id, worker_id, due_date, employer_at_fault) "
                       "SELECT 'wage_unpaid', a.id, a.organisation_id, a.worker_id, current_date, true "
                       "FROM assignments a WHERE a.organisation_id = $1", uuid.UUID(black.id))
    await client.app[REPUTATION].recompute()
    # red as the sweep writes it for a clean record of ten completed seats (tests/reputation covers the rule)
    await conn.execute("UPDATE organisation_colours SET colour = 'red', reasons = '{clean_record}' "
                       "WHERE organisation_id = $1", uuid.UUID(red.id))
    items = (await feed_of(client, worker))["items"]
    by_order = {i["order_id"]: i for i in items}
    shown = {name: by_order[order["id"]] for name, order in orders.items()}
    assert {name: item["employer_colour"] for name, item in shown.items()} == {
        "red": "red", "blue": "blue", "black": "black"}
    assert shown["red"]["score"] == shown["blue"]["score"] + 500
    assert shown["black"]["score"] == shown["blue"]["score"] // 2
    assert [i["order_id"] for i in items][:3] == [orders["red"]["id"], orders["blue"]["id"], orders["black"]["id"]]
