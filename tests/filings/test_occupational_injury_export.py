"""The 职业伤害保障 report end to end: orders with a sector settled through real settlements,
exported by an admin for the month of their shifts; masked IDs only; everyone else refused."""
from __future__ import annotations

from datetime import timedelta

from market.attendance.keys import ATTENDANCE
from market.kernel.clock import SHANGHAI
from market.settlement.keys import SETTLEMENTS
from tests import factories
from tests.settlement.support import SITE, admin, assign, fund, now_local, principal_of, shift_at

ID = "11010519491231002X"


async def worked(client, conn, employer, worker, relationship: str, sector: str | None):
    start = now_local() - timedelta(minutes=10)
    fields = {"sector_code": sector} if sector else {}
    posted, shift_id = await shift_at(client, conn, employer, start, start + timedelta(minutes=180),
                                      relationship=relationship, rate_fen=3000, **fields)
    assignment_id = await assign(conn, shift_id, worker, 3000)
    who = await principal_of(client, worker)
    await client.app[ATTENDANCE].check_in(who, assignment_id, *SITE, now=start + timedelta(minutes=5))
    await client.app[ATTENDANCE].check_out(who, assignment_id, *SITE, now=start + timedelta(minutes=125))
    return posted["id"], assignment_id


def month(offset_days: int = 0) -> str:
    return (now_local() + timedelta(days=offset_days)).astimezone(SHANGHAI).strftime("%Y-%m")


async def test_an_admin_exports_every_covered_order_of_the_month_per_worker(client, conn):
    employer, worker = await factories.employer(client), await factories.worker(client, name="张三", id_number=ID)
    await fund(client, employer, 2_000_000)
    freight_order, freight = await worked(client, conn, employer, worker, "labor_service", "same_city_freight")
    catering_order, _ = await worked(client, conn, employer, await factories.worker(client), "incomplete_labor",
                                     None)
    await worked(client, conn, employer, await factories.worker(client), "labor_part_time", "catering")
    await client.app[SETTLEMENTS].auto_approve(now=now_local() + timedelta(days=2))
    assert await conn.fetchval("SELECT count(*) FROM settlements") == 3

    response = await client.get(f"/v1/admin/filings/occupational-injury?month={month()}", headers=await admin(client))
    assert response.status == 200, await response.text()
    assert response.content_type == "text/csv"
    raw = await response.read()
    assert raw.startswith("\ufeff".encode())
    lines = raw.decode("utf-8").lstrip("\ufeff").splitlines()
    assert len(lines) == 3  # the header and the two covered orders; part-time work has 工伤保险, not this
    [freight_line] = [line for line in lines if freight_order in line]
    assert str(freight) in freight_line and '"张三"' in freight_line and '"同城货运"' in freight_line
    assert freight_line.endswith(",18") and '"1101**********002X"' in freight_line
    [catering_line] = [line for line in lines if catering_order in line]
    assert "未指定（按默认费率）" in catering_line and catering_line.endswith(",7")
    assert ID not in raw.decode("utf-8")  # never the clear resident ID
    assert await conn.fetchval("SELECT count(*) FROM id_number_decryptions") == 0  # nothing was opened


async def test_another_month_holds_none_of_them(client, conn):
    employer, worker = await factories.employer(client), await factories.worker(client)
    await fund(client, employer, 1_000_000)
    await worked(client, conn, employer, worker, "labor_service", "retail")
    await client.app[SETTLEMENTS].auto_approve(now=now_local() + timedelta(days=2))
    response = await client.get(f"/v1/admin/filings/occupational-injury?month={month(-40)}",
                                headers=await admin(client))
    assert len((await response.text()).splitlines()) == 1


async def test_only_an_admin_gets_the_report_and_a_bad_month_names_the_field(client):
    employer, worker = await factories.employer(client), await factories.worker(client)
    url = f"/v1/admin/filings/occupational-injury?month={month()}"
    for party in (employer, worker):
        assert (await client.get(url, headers=party.auth)).status == 403
    assert (await client.get(url)).status == 401
    response = await client.get("/v1/admin/filings/occupational-injury?month=2026-13", headers=await admin(client))
    assert response.status == 422 and "month" in await response.text()
