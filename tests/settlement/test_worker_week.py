"""A worker's week across three employers, settled through the service: the pay slips match the
figures computed by hand in docs/settlement.md ("A worker's week")."""
from market.attendance.keys import ATTENDANCE
from market.settlement.keys import SETTLEMENTS
from tests import factories
from tests.settlement.support import SITE, assign, fund, local, principal_of, shift_at


async def test_a_week_across_three_employers_yields_hand_computed_pay_slips(client, conn):
    worker = await factories.worker(client)
    who = await principal_of(client, worker)
    service = client.app[SETTLEMENTS]
    week = [  # (relationship, hourly rate fen, day, start hour, hours)
        ("labor_part_time", 2500, 23, 9, 4),
        ("incomplete_labor", 3000, 24, 8, 8),
        ("labor_service", 20000, 25, 8, 10),
    ]
    for relationship, rate, day, hour, hours in week:
        employer = await factories.employer(client, escrow_fen=0)
        await fund(client, employer, 10**6)
        start, end = local(2026, 11, day, hour), local(2026, 11, day, hour + hours)
        _, shift_id = await shift_at(client, conn, employer, start, end, relationship=relationship, rate_fen=rate)
        assignment_id = await assign(conn, shift_id, worker, rate)
        await client.app[ATTENDANCE].check_in(who, assignment_id, *SITE, now=start)
        await client.app[ATTENDANCE].check_out(who, assignment_id, *SITE, now=end)
        await client.app[ATTENDANCE].approve(await principal_of(client, employer), assignment_id, now=local(2026, 11, 25, 20))
    slips = {s["relationship"]: s for s in (await (await client.get(
        "/v1/workers/me/payslips", headers=worker.auth)).json())["items"]}

    part_time = slips["labor_part_time"]  # 4 h × 25.00; cumulative taxable 100 − 5,000 < 0 → no tax
    assert (part_time["gross_fen"], part_time["net_fen"]) == (10_000, 10_000)
    assert [(c["kind"], c["amount_fen"]) for c in part_time["contributions"]] == [("work_injury_insurance", 50)]
    assert part_time["due_date"] == "2026-11-30"  # Mon 23rd + 7-day cycle

    incomplete = slips["incomplete_labor"]  # 8 h × 30.00 = 240.00 ≤ 800 → no tax; 职业伤害保障 0.07
    assert (incomplete["gross_fen"], incomplete["net_fen"]) == (24_000, 24_000)
    assert [(c["kind"], c["amount_fen"]) for c in incomplete["contributions"]] == [("occupational_injury_protection", 7)]

    service_slip = slips["labor_service"]  # 10 h × 200.00 = 2,000.00; (2,000 − 800) × 20 % = 240.00
    assert service_slip["gross_fen"] == 200_000
    assert [(w["kind"], w["amount_fen"]) for w in service_slip["withholdings"]] == [("income_tax_withheld", 24_000)]
    assert service_slip["net_fen"] == 176_000
    assert (await service.ledger_check()).ok
