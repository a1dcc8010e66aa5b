"""Stored poison: one account's bad row, written around the API (straight into the database), must
never break anyone else's view. Each poison case below is a row the API refuses today but a
database may still hold (an older version, a migration, a hand-made fix): a shift dated 9999-12-31
or past Python's last date, one in year 1, an order paying 2^63−1 fen (by bids and automatically),
a shared order's fee of 2^63−1, a late-cancel compensation of 2^63−1. Every shared read path and
sweep skips (and reports) the row it cannot compute and serves everyone else: the feed and the
live feed's audience, the supervision overview, orders, alerts and CSV export, the auto-allocation
sweep, the order progress sweep and the settlement sweep."""
from __future__ import annotations

import csv
import io
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import pytest

from market.orders import progress
from market.feed.service import workers_fitting_shifts
from market.settlement.keys import SETTLEMENTS
from market.web.keys import DB
from tests import factories
from tests.allocation.support import allocator
from tests.api.test_feed import feed_of, profiled_worker
from tests.factories import at, gig_order_body, post_order, shared_order_body
from tests.settlement.support import assign
from tests.supervision.support import supervisor

POISON_FEN = 2**63 - 1
# Shift times no API accepts: the last day Python can represent (and past it, as stored in UTC),
# and the first year.
LAST_DAY = ("9999-12-31 09:00+08", "9999-12-31 13:00+08")
PAST_PYTHON = ("9999-12-31 22:00+00", "10000-01-01 02:00+00")
YEAR_ONE = ("0001-01-02 09:00+08", "0001-01-02 13:00+08")


@dataclass
class Market:
    """A district (渝中区) with a good employer's orders and a poisoner's rows, and a worker whose
    reach covers all of them."""

    good: factories.Party
    worker: factories.Party
    good_order: dict  # bids, labor_service, two days from now
    good_auto: dict  # auto allocation, three days from now
    poison_shifts: dict[str, uuid.UUID]  # case → shift id
    poison_orders: dict[str, uuid.UUID]  # case → order id


async def _set_shift(conn, order: dict, span: tuple[str, str]) -> uuid.UUID:
    shift_id = uuid.UUID(order["shifts"][0]["id"])
    await conn.execute("UPDATE shifts SET starts_at = $2::text::timestamptz, ends_at = $3::text::timestamptz "
                       "WHERE id = $1", shift_id, *span)
    return shift_id


async def _set_pay(conn, order: dict, fen: int) -> uuid.UUID:
    order_id = uuid.UUID(order["id"])
    await conn.execute("UPDATE orders SET pay_amount_fen = $2, hourly_equivalent_fen = $2 WHERE id = $1", order_id, fen)
    return order_id


async def poisoned_market(client, conn) -> Market:
    good = await factories.employer(client, name="重庆守规矩物流有限公司")
    poisoner = await factories.employer(client, name="重庆投毒示例有限公司")
    worker = await profiled_worker(conn, client)
    await conn.execute("UPDATE workers SET accepts_auto_allocation = true WHERE id = $1", uuid.UUID(worker.id))
    good_order = await post_order(client, good, gig_order_body(title="正常的分拣单"))
    good_auto = await post_order(client, good, gig_order_body(
        title="正常的自动分配单", allocation_mode="auto", shifts=[{"start": at(3, 9), "end": at(3, 13), "headcount": 1}]))

    shifts, orders = {}, {}
    # Dates: part-time orders, so the part-time hour limits (the held-span code) look at them too.
    for case, span in (("last_day", LAST_DAY), ("past_python", PAST_PYTHON), ("year_one", YEAR_ONE)):
        order = await post_order(client, poisoner, gig_order_body(
            title=f"日期投毒 {case}", relationship="labor_part_time",
            shifts=[{"start": at(4, 9), "end": at(4, 12), "headcount": 2}]))
        shifts[case] = await _set_shift(conn, order, span)
        orders[case] = uuid.UUID(order["id"])
    auto_far = await post_order(client, poisoner, gig_order_body(
        title="自动分配日期投毒", allocation_mode="auto", shifts=[{"start": at(5, 9), "end": at(5, 13), "headcount": 1}]))
    shifts["auto_last_day"] = await _set_shift(conn, auto_far, LAST_DAY)
    orders["auto_last_day"] = uuid.UUID(auto_far["id"])
    # Amounts: bigint's largest, on an order by bids and on an automatic one, both in reach.
    rich = await post_order(client, poisoner, gig_order_body(
        title="天价投毒", shifts=[{"start": at(6, 9), "end": at(6, 13), "headcount": 2}]))
    orders["pay_max"], shifts["pay_max"] = await _set_pay(conn, rich, POISON_FEN), uuid.UUID(rich["shifts"][0]["id"])
    rich_auto = await post_order(client, poisoner, gig_order_body(
        title="天价自动投毒", allocation_mode="auto", shifts=[{"start": at(7, 9), "end": at(7, 13), "headcount": 2}]))
    orders["pay_max_auto"] = await _set_pay(conn, rich_auto, POISON_FEN)
    shifts["pay_max_auto"] = uuid.UUID(rich_auto["shifts"][0]["id"])
    shared = await post_order(client, poisoner, shared_order_body(district_code="500103"))
    orders["fee_max"] = uuid.UUID(shared["id"])
    await conn.execute("UPDATE orders SET fee_per_worker_day_fen = $2 WHERE id = $1", orders["fee_max"], POISON_FEN)
    return Market(good, worker, good_order, good_auto, shifts, orders)


@pytest.fixture
async def market(client, conn) -> Market:
    return await poisoned_market(client, conn)


# ---- the feed and the live feed's audience --------------------------------------------------------


async def test_the_feed_still_lists_the_good_shift_and_skips_the_poisoned_dates(client, market):
    items = (await feed_of(client, market.worker, limit=50))["items"]
    listed = {item["shift_id"] for item in items}
    assert market.good_order["shifts"][0]["id"] in listed
    for case in ("last_day", "past_python", "year_one", "auto_last_day", "pay_max", "pay_max_auto"):
        assert str(market.poison_shifts[case]) not in listed, case


async def test_a_shift_on_9999_12_31_alone_no_longer_overflows_the_feeds_hour_limit_window(client, conn):
    """The case as reported: readable by the driver, but the part-time limits' window around the
    page's shifts (8 days past the last) ran past Python's last date."""
    good, poisoner = await factories.employer(client), await factories.employer(client)
    worker = await profiled_worker(conn, client)
    good_order = await post_order(client, good, gig_order_body())
    far = await post_order(client, poisoner, gig_order_body(relationship="labor_part_time", shifts=[
        {"start": at(4, 9), "end": at(4, 12), "headcount": 1}]))
    far_shift = await _set_shift(conn, far, LAST_DAY)
    listed = {item["shift_id"] for item in (await feed_of(client, worker))["items"]}
    assert listed == {good_order["shifts"][0]["id"]} and str(far_shift) not in listed


async def test_another_worker_in_reach_still_gets_a_feed(client, conn, market):
    other = await profiled_worker(conn, client)
    listed = {item["shift_id"] for item in (await feed_of(client, other))["items"]}
    assert market.good_order["shifts"][0]["id"] in listed


async def test_the_live_feeds_audience_of_a_batch_with_poisoned_shifts_still_names_the_good_shifts_workers(client,
                                                                                                            conn, market):
    good_shift = uuid.UUID(market.good_order["shifts"][0]["id"])
    batch = [good_shift, market.poison_shifts["last_day"], market.poison_shifts["past_python"]]
    fitting = await workers_fitting_shifts(conn, batch, datetime.now(timezone.utc))
    assert uuid.UUID(market.worker.id) in fitting[good_shift]
    assert fitting[market.poison_shifts["last_day"]] == [] and fitting[market.poison_shifts["past_python"]] == []


# ---- supervision ------------------------------------------------------------------------------


def _range() -> str:
    today = datetime.now(timezone(timedelta(hours=8))).date()
    return f"from={today - timedelta(days=1)}&to={today + timedelta(days=10)}"


async def test_the_supervision_overview_answers_with_the_good_employers_figures(client, market):
    auth = await supervisor(client)
    response = await client.get(f"/v1/supervision/overview?{_range()}", headers=auth)
    assert response.status == 200, await response.text()
    totals = (await response.json())["totals"]
    service = totals["by_relationship"]["labor_service"]
    # the good employer's two orders at 30.00/h; the poisoned ones are left out of the figures
    assert service["orders_posted"] == 2 and service["avg_hourly_posted_fen"] == 3000
    assert totals["orders_posted"] == 2 and totals["seats_posted"] == 4
    assert totals["by_relationship"]["labor_part_time"]["orders_posted"] == 0


async def test_the_supervisor_sees_each_poisoned_order_as_an_out_of_range_alert(client, market):
    auth = await supervisor(client)
    response = await client.get(f"/v1/supervision/alerts?kind=out_of_range&{_range()}&limit=100", headers=auth)
    assert response.status == 200, await response.text()
    listed = {item["order_id"] for item in (await response.json())["items"]}
    assert listed == {str(order_id) for order_id in market.poison_orders.values()}


async def test_the_supervision_lists_and_export_answer_200(client, market):
    auth = await supervisor(client)
    for path in ("orders", "alerts"):
        response = await client.get(f"/v1/supervision/{path}?{_range()}&limit=100", headers=auth)
        assert response.status == 200, (path, await response.text())
    orders = {o["id"] for o in (await (await client.get(f"/v1/supervision/orders?{_range()}&limit=100",
                                                         headers=auth)).json())["items"]}
    assert market.good_order["id"] in orders
    for order_id in (market.poison_orders["past_python"], market.poison_orders["pay_max"]):
        response = await client.get(f"/v1/supervision/orders/{order_id}", headers=auth)
        assert response.status == 200, await response.text()
    for dataset in ("overview", "alerts", "orders"):
        response = await client.get(f"/v1/supervision/export.csv?dataset={dataset}&{_range()}", headers=auth)
        assert response.status == 200, (dataset, await response.text())
        rows = list(csv.reader(io.StringIO((await response.read()).decode("utf-8-sig"))))
        assert len(rows) > 1


# ---- the sweeps --------------------------------------------------------------------------------


async def test_the_auto_allocation_sweep_still_allocates_the_good_employers_auto_order(client, conn, settings,
                                                                                       market):
    async with allocator(settings) as engine:
        await engine.run_once(force_sweep=True)
    held = await conn.fetchval("SELECT count(*) FROM assignments WHERE order_id = $1", uuid.UUID(market.good_auto["id"]))
    assert held == 1
    assert await conn.fetchval("SELECT count(*) FROM assignments WHERE order_id = ANY($1::uuid[])",
                               [market.poison_orders["pay_max_auto"], market.poison_orders["auto_last_day"]]) == 0


async def test_a_sweep_that_fails_as_a_whole_is_split_so_each_order_runs_alone(client, conn, settings, market,
                                                                             monkeypatch):
    """Whatever makes a district sweep fail (here a builder that cannot read one order), the sweep is
    split into one run per order: the failing order fails alone, the good one is allocated."""
    from market.allocation import builder

    poisoned = uuid.UUID((await post_order(client, market.good, gig_order_body(
        title="读不出的自动单", allocation_mode="auto", shifts=[{"start": at(8, 9), "end": at(8, 13), "headcount": 1}])))["id"])
    real_build = builder.build

    async def build(conn, order_ids, now, config):
        if poisoned in order_ids:
            raise OverflowError("date value out of range")
        return await real_build(conn, order_ids, now, config)

    monkeypatch.setattr(builder, "build", build)
    async with allocator(settings) as engine:
        await engine.run_once(force_sweep=True)
    assert await conn.fetchval("SELECT count(*) FROM assignments WHERE order_id = $1",
                               uuid.UUID(market.good_auto["id"])) == 1
    runs = {r["order_id"]: r["status"] for r in await conn.fetch("SELECT order_id, status FROM allocation_runs")}
    assert runs[None] == "failed" and runs[poisoned] == "failed" and runs[uuid.UUID(market.good_auto["id"])] == "done"
    assert await conn.fetchval("SELECT state FROM orders WHERE id = $1", poisoned) == "open"


async def _started_seat(client, conn, employer, worker, span: tuple[datetime, datetime] | tuple[str, str], *,
                        hold: bool) -> tuple[uuid.UUID, uuid.UUID]:
    """An order of `employer` with one shift moved to `span` and a seat of `worker` on it: (order, assignment)."""
    order = await post_order(client, employer, gig_order_body(shifts=[{"start": at(2, 9), "end": at(2, 13),
                                                                      "headcount": 1}]))
    shift_id = await _set_shift(conn, order, tuple(str(t) for t in span))
    return uuid.UUID(order["id"]), await assign(conn, shift_id, worker, 3000, hold=hold)


async def test_the_order_progress_sweep_moves_other_orders_past_one_it_cannot_read(client, conn):
    good, poisoner = await factories.employer(client), await factories.employer(client)
    now = datetime.now(timezone.utc)
    good_order, _ = await _started_seat(client, conn, good, await factories.worker(client),
                                        (now - timedelta(hours=1), now + timedelta(hours=3)), hold=True)
    # year 1 in Chongqing is year 0 in UTC: no Python datetime can hold it
    poisoned = [(await _started_seat(client, conn, poisoner, await factories.worker(client),
                                     ("0001-01-01 00:00+08", "0001-01-01 04:00+08"), hold=False))[0]
                for _ in range(3)]
    moved = await progress.advance(client.app[DB], now)
    assert await conn.fetchval("SELECT state FROM orders WHERE id = $1", good_order) == "in_progress"
    assert moved["started"] == 1 and moved["failed"] == len(poisoned)


async def _approved(conn, assignment_id: uuid.UUID, minutes: int = 240) -> None:
    await conn.execute("UPDATE assignments SET state = 'completed' WHERE id = $1", assignment_id)
    await conn.execute("INSERT INTO timesheets (assignment_id, state, worked_minutes, approved_minutes, approved_by, "
                       "approved_at) VALUES ($1, 'approved', $2, $2, 'employer', now())", assignment_id, minutes)


async def test_the_settlement_sweep_settles_others_past_a_timesheet_it_cannot_settle(client, conn):
    good, poisoner = await factories.employer(client), await factories.employer(client)
    now = datetime.now(timezone.utc)
    _, paid = await _started_seat(client, conn, good, await factories.worker(client),
                                  (now - timedelta(hours=5), now - timedelta(hours=1)), hold=True)
    await _approved(conn, paid)
    stuck = []
    for span in (YEAR_ONE, ("0001-01-01 00:00+08", "0001-01-01 04:00+08")):  # no minimum wage; not even a datetime
        for employer in (good, poisoner):
            _, assignment_id = await _started_seat(client, conn, employer, await factories.worker(client), span,
                                                   hold=False)
            await _approved(conn, assignment_id)
            stuck.append(assignment_id)
    done = await client.app[SETTLEMENTS].sweep(now=now)
    assert done["settled"] == 1
    assert await conn.fetchval("SELECT count(*) FROM settlements WHERE assignment_id = $1", paid) == 1
    assert await conn.fetchval("SELECT count(*) FROM settlements WHERE assignment_id = ANY($1::uuid[])", stuck) == 0


async def test_compensations_of_bigints_largest_add_up_in_the_demo_report_and_sort_in_the_alerts(client, conn):
    from market.demo.report import summarise

    poisoner = await factories.employer(client)
    now = datetime.now(timezone.utc)
    for _ in range(2):
        order_id, assignment_id = await _started_seat(client, conn, poisoner, await factories.worker(client),
                                                      (now + timedelta(days=1), now + timedelta(days=1, hours=4)),
                                                      hold=False)
        await conn.execute("INSERT INTO compensations (order_id, assignment_id, worker_id, amount_fen, reason) "
                           "SELECT order_id, id, worker_id, $2, 'late cancel' FROM assignments WHERE id = $1",
                           assignment_id, POISON_FEN)
    assert (await summarise(conn)).figures["compensation_fen"] == 2 * POISON_FEN
    response = await client.get(f"/v1/supervision/alerts?kind=late_cancellation&sort=largest&{_range()}&limit=1",
                                headers=await supervisor(client))
    assert response.status == 200, await response.text()
    body = await response.json()
    assert body["items"][0]["amount_fen"] == POISON_FEN and body["next_cursor"]
    following = await client.get(f"/v1/supervision/alerts?kind=late_cancellation&sort=largest&{_range()}&limit=1"
                                 f"&cursor={body['next_cursor']}", headers=await supervisor(client))
    assert following.status == 200, await following.text()
    assert (await following.json())["items"][0]["amount_fen"] == POISON_FEN


async def test_a_payout_run_pays_everyone_else_past_a_payee_whose_total_is_past_bigint(client, conn):
    employer = await factories.employer(client)
    good, poisoned = await factories.worker(client), await factories.worker(client)
    today = datetime.now(timezone(timedelta(hours=8))).date()
    for worker, amounts in ((good, [1000]), (poisoned, [POISON_FEN, POISON_FEN])):
        for amount in amounts:
            await conn.execute("INSERT INTO payables (source, source_id, payee_type, payee_id, organisation_id, "
                               "amount_fen, due_date) VALUES ('settlement', $1, 'worker', $2, $3, $4, $5)",
                               uuid.uuid4(), uuid.UUID(worker.id), uuid.UUID(employer.id), amount, today)
    await client.app[SETTLEMENTS].run_payouts(today)
    paid = {r["payee_id"]: r["amount_fen"] for r in await conn.fetch("SELECT payee_id, amount_fen FROM payouts")}
    assert paid == {uuid.UUID(good.id): 1000}
    assert await conn.fetchval("SELECT count(*) FROM payables WHERE payout_id IS NULL AND payee_id = $1",
                               uuid.UUID(poisoned.id)) == 2


async def test_a_settlement_sweep_step_that_fails_for_everyone_does_not_keep_orders_from_moving_on(client, conn,
                                                                                                   monkeypatch):
    good = await factories.employer(client)
    now = datetime.now(timezone.utc)
    order_id, _ = await _started_seat(client, conn, good, await factories.worker(client),
                                      (now - timedelta(hours=1), now + timedelta(hours=3)), hold=True)
    service = client.app[SETTLEMENTS]

    async def check_arrears(**_):
        raise OverflowError("date value out of range")

    monkeypatch.setattr(service, "check_arrears", check_arrears)
    with pytest.raises(OverflowError):
        await service.sweep(now=now)
    assert await conn.fetchval("SELECT state FROM orders WHERE id = $1", order_id) == "in_progress"
