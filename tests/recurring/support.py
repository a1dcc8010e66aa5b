"""Helpers of the recurring-order tests."""
from datetime import date, timedelta

from market.kernel import clock


def terms(**overrides) -> dict:
    body = {
        "title": "仓库分拣临时工", "description": "每周固定班次", "relationship": "labor_service",
        "district_code": "500103", "site": {"lat": 29.5531, "lon": 106.5688, "address": "渝中区解放碑某仓库"},
        "pay": {"unit": "hour", "amount_fen": 3000}, "skills": [{"skill_code": "warehouse_picking", "min_level": 1}],
    }
    body.update(overrides)
    return body


def day(days: int) -> date:
    return clock.today() + timedelta(days=days)


def series_body(**overrides) -> dict:
    body = {
        "name": "每天分拣", "terms": terms(),
        "pattern": {"weekdays": [1, 2, 3, 4, 5, 6, 7], "start_time": "09:00", "end_time": "13:00", "headcount": 2},
        "start_date": day(1).isoformat(), "until_date": day(60).isoformat(),
    }
    body.update(overrides)
    return body


async def create_series(client, party, body: dict) -> dict:
    response = await client.post("/v1/recurring-orders", json=body, headers=party.auth)
    assert response.status == 201, await response.text()
    return await response.json()


async def occurrences(client, party, series_id: str) -> list[dict]:
    response = await client.get(f"/v1/recurring-orders/{series_id}/occurrences", headers=party.auth)
    assert response.status == 200, await response.text()
    return (await response.json())["items"]
