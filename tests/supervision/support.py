"""A small district's week for supervision tests: a supervisor of 渝中区 (500103), two employers there
(one below the minimum wage, one in arrears), a settled shift, and an employer in 沙坪坝区 (500106)
whose orders the supervisor must never see."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from market.attendance.keys import ATTENDANCE
from market.accounts.keys import ACCOUNTS
from market.settlement.keys import SETTLEMENTS
from tests import factories
from tests.settlement.support import SITE, assign, fund, minutes, now_local, principal_of, shift_at

HOME, AWAY = "500103", "500106"


async def supervisor(client, districts=(HOME,), name="渝中区人社局监管员") -> dict[str, str]:
    issued = await client.app[ACCOUNTS].create_staff("supervisor", name, list(districts))
    return {"Authorization": f"Bearer {issued.token}"}


async def admin(client) -> dict[str, str]:
    issued = await client.app[ACCOUNTS].create_staff("admin", "运营", [])
    return {"Authorization": f"Bearer {issued.token}"}


@dataclass
class Week:
    below_minimum_order: dict
    settled_assignment: uuid.UUID
    arrears_assignment: uuid.UUID
    away_order: dict
    worker: factories.Party
    arrears_employer: factories.Party


async def district_week(client, conn) -> Week:
    # 1. A labor_service order at 15.00/h (below 渝中区's 23.00), one seat worked, approved, settled.
    employer = await factories.employer(client, escrow_fen=0, name="重庆渝中示例物流有限公司")
    await fund(client, employer, 10**7)
    start = now_local() - minutes(10)
    low, shift_id = await shift_at(client, conn, employer, start, start + minutes(180), rate_fen=1500)
    worker = await factories.worker(client, name="王小明")
    settled = await assign(conn, shift_id, worker, 1500)
    who = await principal_of(client, worker)
    await client.app[ATTENDANCE].check_in(who, settled, *SITE)
    await client.app[ATTENDANCE].check_out(who, settled, *SITE)
    approved = await client.post(f"/v1/assignments/{settled}/approve", json={"minutes": 120, "reason": "2 h"},
                                 headers=employer.auth)
    assert approved.status == 200, await approved.text()

    # 2. A part-time order of an employer whose escrow cannot pay: approved, unsettled, in arrears.
    late_payer = await factories.employer(client, escrow_fen=0, name="重庆欠薪示例有限公司")
    await fund(client, late_payer, 100)
    _, late_shift = await shift_at(client, conn, late_payer, start, start + minutes(180),
                                   relationship="labor_part_time", rate_fen=2300)
    other = await factories.worker(client, name="欧阳娜娜")
    owed = await assign(conn, late_shift, other, 2300, hold=False)
    who_else = await principal_of(client, other)
    await client.app[ATTENDANCE].check_in(who_else, owed, *SITE)
    await client.app[ATTENDANCE].check_out(who_else, owed, *SITE)
    # two hours worked (checking out at once would record none, and nothing would be owed)
    await conn.execute("UPDATE timesheets SET worked_minutes = 120 WHERE assignment_id = $1", owed)
    await client.app[SETTLEMENTS].auto_approve(now=now_local() + timedelta(days=2))
    found = await client.app[SETTLEMENTS].check_arrears(today=(now_local() + timedelta(days=20)).date())
    # both are past due: the settled one unpaid by the platform, the unsettled one by its employer
    assert sorted(a.employer_at_fault for a in found) == [False, True]

    # 3. Another district's order.
    away_employer = await factories.employer(client, escrow_fen=0, district_code=AWAY, name="重庆沙坪坝示例有限公司")
    away = await factories.post_order(client, away_employer, factories.gig_order_body(district_code=AWAY))
    return Week(low, settled, owed, away, worker, late_payer)
