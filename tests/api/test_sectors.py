"""An order's 职业伤害保障 sector: from the catalogue, validated, stored, shown, and charged by its rate."""
from __future__ import annotations

import json
from datetime import timedelta

from market.attendance.keys import ATTENDANCE
from market.settlement.keys import SETTLEMENTS
from tests import factories
from tests.api.test_feed import feed_of, profiled_worker
from tests.factories import gig_order_body, post_order
from tests.settlement.support import SITE, assign, fund, now_local, principal_of, shift_at


async def test_the_sector_catalogue_lists_codes_with_chinese_names(client):
    response = await client.get("/v1/sectors")
    assert response.status == 200
    sectors = {s["code"]: s["name_zh"] for s in (await response.json())["items"]}
    assert sectors["catering"] == "餐饮" and sectors["instant_delivery"] == "即时配送"
    assert {"retail", "housekeeping", "manufacturing", "construction", "exhibitions", "warehousing",
            "logistics"} <= set(sectors)


async def test_an_order_carries_its_sector_and_shows_it(client):
    employer = await factories.employer(client)
    posted = await post_order(client, employer, gig_order_body(sector_code="catering"))
    assert posted["sector_code"] == "catering"
    fetched = await (await client.get(f"/v1/orders/{posted['id']}", headers=employer.auth)).json()
    assert fetched["sector_code"] == "catering"


async def test_an_order_without_a_sector_shows_none(client):
    employer = await factories.employer(client)
    assert (await post_order(client, employer, gig_order_body()))["sector_code"] is None


async def test_an_unknown_sector_is_a_422_naming_the_field(client, conn):
    employer = await factories.employer(client)
    response = await client.post("/v1/orders", json=gig_order_body(sector_code="piracy"), headers=employer.auth)
    assert response.status == 422
    assert response.content_type == "application/problem+json"
    [error] = [e for e in (await response.json())["errors"] if e["loc"] == ["sector_code"]]
    assert error["ctx"]["sector_code"] == "piracy"
    assert await conn.fetchval("SELECT count(*) FROM orders") == 0


async def test_the_openapi_document_describes_the_sector(client):
    document = await (await client.get("/openapi.json")).json()
    assert "/v1/sectors" in document["paths"]
    assert "sector_code" in document["components"]["schemas"]["OrderOut"]["properties"]


async def test_the_settlement_charges_the_rate_of_the_orders_sector(client, conn):
    employer, worker = await factories.employer(client), await factories.worker(client)
    await fund(client, employer, 1_000_000)
    start = now_local() - timedelta(minutes=10)
    _, shift_id = await shift_at(client, conn, employer, start, start + timedelta(minutes=180),
                                 relationship="labor_service", sector_code="same_city_freight")
    assignment_id = await assign(conn, shift_id, worker, 3000)
    who = await principal_of(client, worker)
    await client.app[ATTENDANCE].check_in(who, assignment_id, *SITE, now=start + timedelta(minutes=5))
    await client.app[ATTENDANCE].check_out(who, assignment_id, *SITE, now=start + timedelta(minutes=125))
    await client.app[SETTLEMENTS].auto_approve(now=now_local() + timedelta(days=2))
    lines = json.loads(await conn.fetchval("SELECT lines FROM settlements WHERE assignment_id = $1", assignment_id))
    assert [line["amount_fen"] for line in lines if line["kind"] == "occupational_injury_protection"] == [18]


async def test_a_worker_sees_the_orders_sector_in_the_feed(client, conn):
    employer = await factories.employer(client)
    worker = await profiled_worker(conn, client)
    await post_order(client, employer, gig_order_body(sector_code="warehousing"))
    [item] = (await feed_of(client, worker))["items"]
    assert item["sector_code"] == "warehousing"
