"""Invoice requests (docs/invoices.md): made from the ledger for a closed month, reconciled with its
postings to the fen, listed and downloaded (PDF, CSV) by the employer, issued once by the operator,
immutable in the database once issued."""
from __future__ import annotations

import asyncio
import uuid

import asyncpg
import pytest

from market.errors import ValidationFailed
from market.invoices import model
from market.invoices.keys import INVOICES
from tests.invoices.support import funded_employer, make_this_period, settled_hour, this_period
from tests.settlement.support import admin, now_local

NUMBER = "25502000000012345678"


async def _ledger_of_period(conn, organisation_id: uuid.UUID) -> tuple[int, int]:
    """(platform fee, escrow charged) of the employer's entries this month, summed straight from the postings."""
    start, end = model.period_bounds(this_period())
    rows = await conn.fetch(
        "SELECT a.kind, a.holder_id, p.amount_fen FROM journal_postings p JOIN journal_entries e ON e.id = p.entry_id "
        "JOIN ledger_accounts a ON a.id = p.account_id WHERE e.organisation_id = $1 AND e.created_at >= $2 "
        "AND e.created_at < $3 AND e.kind IN ('settlement', 'compensation')", organisation_id, start, end)
    fee = -sum(r["amount_fen"] for r in rows if r["kind"] == "platform_fee_revenue")
    charged = sum(r["amount_fen"] for r in rows if r["kind"] in ("employer_escrow", "employer_escrow_held"))
    return fee, charged


async def test_a_months_requests_reconcile_with_its_ledger_postings_to_the_fen(client, conn):
    employer, other = await funded_employer(client), await funded_employer(client)
    await settled_hour(client, conn, employer, rate_fen=3000)
    await settled_hour(client, conn, employer, relationship="labor_part_time", rate_fen=2513, ago=75)
    await settled_hour(client, conn, employer, relationship="incomplete_labor", rate_fen=3333, ago=80)
    await settled_hour(client, conn, other, rate_fen=4000)
    await make_this_period(client)
    listed = await client.get(f"/v1/employers/me/invoices?period={this_period()}", headers=employer.auth)
    assert listed.status == 200, await listed.text()
    items = {i["kind"]: i for i in (await listed.json())["items"]}
    assert set(items) == {"service_fee", "pass_through"}
    fee, charged = await _ledger_of_period(conn, uuid.UUID(employer.id))
    assert fee > 0 and items["service_fee"]["total_fen"] == fee
    assert items["service_fee"]["total_fen"] + items["pass_through"]["total_fen"] == charged
    # and with the settlements' own totals (what left escrow for each), another road to the same fen
    assert charged == await conn.fetchval("SELECT sum(employer_total_fen) FROM settlements WHERE organisation_id = $1",
                                          uuid.UUID(employer.id))
    service = items["service_fee"]
    assert service["amount_fen"] + service["tax_fen"] == service["total_fen"]
    assert abs(service["amount_fen"] * 6 - service["tax_fen"] * 100) <= 100  # within a fen of 6 % of the amount
    assert (service["tax_rate_permille"], service["tax_treatment"]) == (60, "general")
    assert service["item_name"] == "*人力资源服务*平台服务费" and service["tax_category_code"] == "3040803000000000000"
    passed = items["pass_through"]
    assert (passed["tax_fen"], passed["tax_rate_permille"], passed["tax_treatment"]) == (0, 0, "not_taxable")
    credit_code = await conn.fetchval("SELECT credit_code FROM organisations WHERE id = $1", uuid.UUID(employer.id))
    assert service["buyer_credit_code"] == credit_code
    # the other employer sees only its own
    theirs = (await (await client.get(f"/v1/employers/me/invoices?period={this_period()}",
                                      headers=other.auth)).json())["items"]
    assert {i["organisation_id"] for i in theirs} == {other.id}


async def test_the_employer_downloads_pdf_and_csv_and_another_employer_cannot(client, conn):
    employer, other = await funded_employer(client), await funded_employer(client)
    await conn.execute("UPDATE organisations SET name = '=HYPERLINK(\"x\")公司' WHERE id = $1", uuid.UUID(employer.id))
    await settled_hour(client, conn, employer)
    await make_this_period(client)
    csv_response = await client.get(f"/v1/employers/me/invoices?period={this_period()}&format=csv",
                                    headers=employer.auth)
    assert csv_response.status == 200 and csv_response.content_type == "text/csv"
    text = await csv_response.text()
    assert text.lstrip("\ufeff").splitlines()[0].startswith("invoice_request_id,period,kind")
    assert "\"'=HYPERLINK" in text and ",\"=HYPERLINK" not in text  # CSV-injection safe (market/csvfile.py)
    [first, *_] = (await (await client.get("/v1/employers/me/invoices", headers=employer.auth)).json())["items"]
    pdf = await client.get(f"/v1/invoices/{first['id']}/pdf", headers=employer.auth)
    assert pdf.status == 200 and pdf.content_type == "application/pdf"
    assert (await pdf.read()).startswith(b"%PDF-")
    assert (await client.get(f"/v1/invoices/{first['id']}/pdf", headers=other.auth)).status == 404
    assert (await client.get(f"/v1/invoices/{first['id']}/pdf", headers=await admin(client))).status == 200


async def test_a_month_not_over_is_a_422_and_nothing_is_made(client, conn):
    employer = await funded_employer(client)
    await settled_hour(client, conn, employer)
    response = await client.get(f"/v1/employers/me/invoices?period={this_period()}", headers=employer.auth)
    assert response.status == 200 and (await response.json())["items"] == []  # listed, not made
    with pytest.raises(ValidationFailed):
        await client.app[INVOICES].make(this_period())
    bad = await client.get("/v1/employers/me/invoices?period=2026-13", headers=employer.auth)
    assert bad.status == 422 and "period" in await bad.text()
    assert await conn.fetchval("SELECT count(*) FROM invoice_requests") == 0


async def test_making_a_month_twice_at_once_makes_each_request_once(client, conn):
    employer = await funded_employer(client)
    await settled_hour(client, conn, employer)
    await asyncio.gather(*(make_this_period(client) for _ in range(4)))
    assert await conn.fetchval("SELECT count(*) FROM invoice_requests") == 2


async def test_the_operator_issues_once_and_an_issued_invoice_is_immutable(client, conn):
    employer = await funded_employer(client)
    await settled_hour(client, conn, employer)
    await make_this_period(client)
    ops = await admin(client)
    listed = (await (await client.get(f"/v1/admin/invoices?period={this_period()}", headers=ops)).json())["items"]
    request_id = next(i["id"] for i in listed if i["kind"] == "service_fee")
    today = now_local().date().isoformat()
    # employers do not issue
    assert (await client.post(f"/v1/admin/invoices/{request_id}/issue", json={"invoice_number": NUMBER,
                              "issued_on": today}, headers=employer.auth)).status == 403
    bad = await client.post(f"/v1/admin/invoices/{request_id}/issue", json={"invoice_number": "123",
                            "issued_on": today}, headers=ops)
    assert bad.status == 422 and "invoice_number" in await bad.text()
    first, second = await asyncio.gather(*(client.post(f"/v1/admin/invoices/{request_id}/issue", json={
        "invoice_number": number, "issued_on": today}, headers=ops) for number in (NUMBER, NUMBER[:-1] + "9")))
    assert sorted([first.status, second.status]) == [200, 409]
    issued = await (first if first.status == 200 else second).json()
    assert issued["state"] == "issued" and issued["issued_on"] == today
    # the number names one invoice
    other_id = next(i["id"] for i in listed if i["kind"] == "pass_through")
    taken = await client.post(f"/v1/admin/invoices/{other_id}/issue", json={"invoice_number": issued["invoice_number"],
                              "issued_on": today}, headers=ops)
    assert taken.status == 422 and "invoice_number" in await taken.text()
    # the database refuses any change to an issued invoice, and its deletion
    with pytest.raises(asyncpg.RestrictViolationError, match="immutable"):
        await conn.execute("UPDATE invoice_requests SET total_fen = total_fen + 1, tax_fen = tax_fen + 1 "
                           "WHERE id = $1", uuid.UUID(request_id))
    with pytest.raises(asyncpg.RestrictViolationError, match="immutable"):
        await conn.execute("DELETE FROM invoice_requests WHERE id = $1", uuid.UUID(request_id))
    assert await conn.fetchval("SELECT invoice_number FROM invoice_requests WHERE id = $1",
                               uuid.UUID(request_id)) == issued["invoice_number"]


def test_tax_is_split_from_the_total_so_the_two_add_up_and_round_half_up():
    assert model.split_tax(106, 60) == (100, 6)
    assert model.split_tax(150, 60) == (142, 8)  # 141.509… → 142
    assert model.split_tax(1, 60) == (1, 0)
    assert model.split_tax(12345, 0) == (12345, 0)
    for total in range(0, 5000, 7):
        amount, tax = model.split_tax(total, 60)
        assert amount + tax == total and abs(amount * 60 - tax * 1000) <= 1000
    assert [line.kind for line in model.lines_of_period(0, 500)] == ["pass_through"]
