"""The demo on its own clock: every row it makes carries the moment of its story, so the
supervisor dashboard shows a week (posting series, time to fill, alerts' days) and not today; and
its summary names a worker and an employer one can explore through the API."""
import io
import re
import statistics
from datetime import date, datetime, timedelta

from market.demo import run_demo
from market.demo.cli import print_summary
from market.demo.plan import at
from market.demo.progress import Progress
from market.demo.report import summarise
from market.kernel.clock import SHANGHAI, local_date
from market.accounts.keys import ACCOUNTS
from market.web.keys import DB, HASH_KEY
from tests import factories

SEED, SCALE = 7, 0.05
# When the story gives a seat: the allocation rounds (auto orders), the offers' answers (bids
# orders) and the shared orders' run, on the day the order was posted (simulation.py); and the
# plan's standby acceptances of a seat given back (plan.StandbyPlan.accept_at).
FILL_HOURS = (11.5, 11.75, 14.5, 14.75, 16)


def local(moment: str | datetime) -> datetime:
    return (datetime.fromisoformat(moment) if isinstance(moment, str) else moment).astimezone(SHANGHAI)


async def play(client, settings, today: date, progress: Progress | None = None):
    result = await run_demo(client.app[DB], settings, client.app[HASH_KEY], seed=SEED, scale=SCALE, today=today,
                            progress=progress)
    # A supervisor of every district with an employer (all 37 would make the overview's body
    # over 1 MiB, which aiohttp warns about).
    everywhere = await client.app[ACCOUNTS].create_staff("supervisor", "多区县监管员",
                                                         sorted({e.district for e in result.plan.employers}))
    return result, {"Authorization": f"Bearer {everywhere.token}"}


async def test_the_dashboard_shows_the_demo_week_as_it_happened_not_as_the_day_it_was_built(client, settings):
    today = datetime.now(SHANGHAI).date()
    result, auth = await play(client, settings, today)
    plan = result.plan
    story_start, story_end = at(min(s.posted_at for s in plan.shared).date(), 0), at(today, 0)

    # Orders are posted on the days the plan posts them, across the week, none today.
    overview = await (await client.get("/v1/supervision/overview", headers=auth)).json()
    posted = {date.fromisoformat(d["date"]): d["orders_posted"] for d in overview["series"] if d["orders_posted"]}
    planned = {}
    async with client.app[DB].acquire() as conn:  # and the demo's recurring order's (docs/recurring-orders.md)
        recurring = [r["created_at"].astimezone(SHANGHAI) for r in await conn.fetch(
            "SELECT o.created_at FROM orders o JOIN recurring_occurrences r ON r.order_id = o.id")]
    assert recurring
    booked_again = [plan.book_again.posted_at] if plan.book_again else []  # docs/favourites.md
    assert booked_again
    for when in [g.posted_at for g in plan.gigs] + [s.posted_at for s in plan.shared] + recurring + booked_again:
        planned[when.date()] = planned.get(when.date(), 0) + 1
    assert posted == planned
    assert set(plan.days[:-1]) <= set(posted) and today not in posted
    async with client.app[DB].acquire() as conn:
        orders = await conn.fetch("SELECT id, organisation_id, created_at FROM orders")
        # The seats of the shifts in the overview's range (its default: the 30 days to today).
        fills = await conn.fetch("""
            SELECT a.created_at AS filled_at, o.created_at AS posted_at FROM assignments a
            JOIN orders o ON o.id = a.order_id JOIN shifts s ON s.id = a.shift_id
            WHERE a.state IN ('active', 'completed') AND s.starts_at >= $1 AND s.starts_at < $2""",
            at(date.fromisoformat(overview["from"]), 0), at(today + timedelta(days=1), 0))
        deposits = await conn.fetch("SELECT organisation_id, created_at, confirmed_at FROM deposits")
    assert sorted(o["created_at"] for o in orders) == sorted(
        [g.posted_at for g in plan.gigs] + [s.posted_at for s in plan.shared] + recurring + booked_again)

    # Each seat was given at one of the story's moments on its order's posting day, so the median
    # time to fill is the story's: hours, not "0 minutes".
    standby_fills = {s.accept_at for s in plan.standbys if s.accept_at is not None}
    assert standby_fills and all(local_date(s.accept_at) == local_date(plan.gigs[s.gig].posted_at)
                                 for s in plan.standbys if s.accept_at is not None)
    for fill in fills:
        day = local(fill["posted_at"]).date()
        assert local(fill["filled_at"]) in {at(day, hour) for hour in FILL_HOURS} | standby_fills, fill
    story_median = statistics.median((f["filled_at"] - f["posted_at"]).total_seconds() for f in fills)
    assert story_median >= 3600
    assert overview["totals"]["median_time_to_fill_seconds"] == round(story_median)

    # Alerts carry the simulated moment of their cause.
    body = await (await client.get("/v1/supervision/alerts?limit=200", headers=auth)).json()
    alerts = body["items"]
    assert {"arrears", "red_flag", "late_cancellation", "no_show"} <= {a["category"] for a in alerts}
    cancel_at = next(g.cancel_at for g in plan.gigs if g.cancel_at is not None)
    posting_times = {o["created_at"] for o in orders}
    for alert in alerts:
        moment = local(alert["at"])
        assert story_start <= moment < story_end, alert
        if alert["category"] == "arrears":  # the nightly check after its due date found it
            assert moment == at(date.fromisoformat(alert["due_date"]) + timedelta(days=1), 22.5), alert
        elif alert["category"] == "late_cancellation":
            assert moment == cancel_at
        elif alert["category"] == "below_minimum":
            assert moment in posting_times
    [flag] = [a for a in alerts if a["category"] == "red_flag"]
    assert local(flag["at"]) == min(local(a["at"]) for a in alerts if a["category"] == "arrears")

    # No offer is left pending past its expiry: the story's nights expire them.
    async with client.app[DB].acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM offers WHERE state = 'pending' AND expires_at <= $1",
                                   story_end) == 0

    # Deposits: declared and confirmed inside the story, before the employer's first order.
    first_order = {}
    for order in orders:
        first_order[order["organisation_id"]] = min(order["created_at"], first_order.get(order["organisation_id"],
                                                                                        order["created_at"]))
    assert len(deposits) == len(plan.employers)
    for deposit in deposits:
        assert story_start <= deposit["created_at"] < deposit["confirmed_at"] < story_end
        assert deposit["confirmed_at"] < first_order.get(deposit["organisation_id"], story_end)


async def test_the_summary_names_a_worker_with_feed_offers_and_pay_slips_and_an_employer_with_orders(
        client, settings, capsys):
    stream = io.StringIO()  # not a terminal: one line per stage
    result, _ = await play(client, settings, datetime.now(SHANGHAI).date(), Progress(0, stream=stream))
    # The progress reads as the week: one line per day of it, in order, each with its figures.
    week = [line.split("] ", 1)[1] for line in stream.getvalue().splitlines() if "] day " in line]
    assert len(week) == 7
    for n, (line, day) in enumerate(zip(week, result.plan.days), start=1):
        weekday = "一二三四五六日"[day.weekday()]
        assert re.fullmatch(rf"day {n} of 7 \(周{weekday} {day.isoformat()}\): \d+ orders? posted, \d+ bids?, "
                            r"\d+ seats? filled, \d+ shifts? worked, \d+ pay slips?, ¥[\d,]+ paid out", line), line
    async with client.app[DB].acquire() as conn:
        summary = await summarise(conn)
    print_summary(result, summary, settings, 1.0)
    printed = capsys.readouterr().out
    employer = re.search(r"^  employer (\S+) .*\n    (\S+)$", printed, re.MULTILINE)
    worker = re.search(r"^  worker (\S+) .*\n    (\S+)$", printed, re.MULTILINE)
    assert employer and worker, printed
    assert employer[1] == result.employer.login and worker[1] == result.worker.login

    as_worker = {"Authorization": f"Bearer {worker[2]}"}
    for path in ("/v1/workers/me/feed", "/v1/workers/me/offers", "/v1/workers/me/payslips"):
        response = await client.get(path, headers=as_worker)
        assert response.status == 200, path
        assert (await response.json())["items"], path
    response = await client.get("/v1/orders", headers={"Authorization": f"Bearer {employer[2]}"})
    assert response.status == 200
    assert (await response.json())["items"]

    # It ends with the three pages, each with a login that signs in (issue 19).
    shown = dict(re.findall(r"^  (?:worker app|employer console|supervisor page) +http://[^/]+(/\w+) +(.*)$",
                            printed, re.MULTILINE))
    assert set(shown) == {"/app", "/console", "/supervise"}, printed
    for path in shown:
        response = await client.get(path)
        assert response.status == 200 and "text/html" in response.headers["Content-Type"], path
    for path, party, work in (("/app", result.worker, "/v1/workers/me/feed"),
                              ("/console", result.employer, "/v1/orders")):
        found = re.fullmatch(r"sign in as (\S+) / (\S+)", shown[path])
        assert found and found[1] == party.login, shown[path]
        token = await factories.sign_in(client, found[1], found[2])
        response = await client.get(work, headers={"Authorization": f"Bearer {token}"})
        assert response.status == 200 and (await response.json())["items"], path
