"""The demo's standby story (docs/demo.md, docs/standby.md): a seat given back the evening before
is taken by the shift's first standby, who works it; the standbys nobody called are paid at their
shift's end; one of today's shifts keeps its standby on call; the summary and the supervisor's
everyday panel show them."""
from market.demo.cli import print_summary
from market.demo.report import summarise
from market.accounts.keys import ACCOUNTS
from market.web.keys import DB
from tests.demo.test_demo import demo, today


async def test_a_given_back_seat_goes_to_the_first_standby_the_others_are_paid_and_the_dashboard_counts_them(
        client, settings, capsys):
    day = today()
    result = await demo(client.app, settings, day)
    plan = result.plan
    [story] = [s for s in plan.standbys if s.cancel_at is not None]
    gig = plan.gigs[story.gig]
    async with client.app[DB].acquire() as conn:
        shift = await conn.fetchrow(
            "SELECT s.id, s.standby, s.standby_amount_fen, s.headcount FROM shifts s JOIN orders o ON o.id = s.order_id "
            "WHERE o.title = $1 AND o.created_at = $2 AND s.starts_at = $3", gig.title, gig.posted_at, gig.shifts[0].start)
        standbys = await conn.fetch("SELECT id, worker_id, state, offer_id, vacated_assignment_id, created_at "
                                    "FROM standbys WHERE shift_id = $1 ORDER BY created_at, id", shift["id"])
        seats = await conn.fetch("SELECT id, worker_id, state, created_at, ended_at FROM assignments "
                                 "WHERE shift_id = $1 ORDER BY created_at, id", shift["id"])
        # The seat given back, at the story's moment, and taken by the first standby at its acceptance.
        assert (shift["standby"], shift["standby_amount_fen"]) == (2, gig.shifts[0].standby_amount_fen)
        first, *others = standbys
        assert first["state"] == "called" and first["created_at"] == story.sign_up_at
        [given_back] = [a for a in seats if a["id"] == first["vacated_assignment_id"]]
        assert given_back["state"] == "cancelled" and given_back["ended_at"] == story.cancel_at
        [taken] = [a for a in seats if a["worker_id"] == first["worker_id"]]
        assert taken["created_at"] == story.accept_at and taken["state"] in ("active", "completed")
        assert await conn.fetchval("SELECT state FROM offers WHERE id = $1", first["offer_id"]) == "accepted"
        # … worked and paid like any seat: checked in and out, settled.
        assert taken["state"] == "completed"
        assert await conn.fetchval("SELECT checked_out_at IS NOT NULL FROM timesheets WHERE assignment_id = $1",
                                   taken["id"])
        assert await conn.fetchval("SELECT net_pay_fen > 0 FROM settlements WHERE assignment_id = $1", taken["id"])
        assert all(o["state"] == "released_paid" for o in others)

        # Standbys not called are paid at their shift's end: the journal entry and a payable, paid out.
        paid = await conn.fetch("SELECT id, worker_id, amount_fen, upper(period) AS ends_at, ended_at FROM standbys "
                                "WHERE state = 'released_paid'")
        assert paid
        for row in paid:
            assert row["ended_at"] >= row["ends_at"]
            entry = await conn.fetchrow("SELECT kind, created_at FROM journal_entries WHERE business_key = $1",
                                        f"standby_pay:{row['id']}")
            assert entry["kind"] == "compensation" and entry["created_at"] == row["ended_at"]
            assert await conn.fetchval(
                "SELECT p.state FROM payables pa JOIN payouts p ON p.id = pa.payout_id "
                "WHERE pa.source = 'compensation' AND pa.source_id = $1", row["id"]) == "paid"
        on_call = await conn.fetchval("SELECT count(*) FROM standbys WHERE state = 'on_call'")
        assert on_call >= 1  # today's shift: nothing of it is played

    # The summary's figures, and the supervisor's everyday panel over the played week and today.
    async with client.app[DB].acquire() as conn:
        summary = await summarise(conn)
    figures = summary.figures
    assert figures["standbys_called"] >= 1 and figures["standbys_paid"] == len(paid)
    assert figures["standby_paid_fen"] == sum(r["amount_fen"] for r in paid)
    assert figures["standbys_on_call"] == on_call
    print_summary(result, summary, settings, 1.0)
    assert (f"standby: {figures['standbys']} on call in all, {figures['standbys_called']} called to a seat given "
            f"back, {figures['standbys_paid']} not called and paid") in capsys.readouterr().out
    everywhere = await client.app[ACCOUNTS].create_staff("supervisor", "多区县监管员",
                                                         sorted({e.district for e in plan.employers}))
    response = await client.get("/v1/supervision/everyday", headers={"Authorization": f"Bearer {everywhere.token}"})
    assert response.status == 200
    items = (await response.json())["items"]
    totals = {key: sum(i[key] for i in items) for key in ("standby_on_call", "standby_called", "standby_paid",
                                                           "standby_paid_fen")}
    assert totals == {"standby_on_call": on_call, "standby_called": figures["standbys_called"],
                      "standby_paid": len(paid), "standby_paid_fen": figures["standby_paid_fen"]}
