"""The templates' and recurring orders' objects in the security world: the employer's template
and series (and one of each to delete / stop). The series start a month out, past the rolling
window, so the world gains no orders from them."""
from __future__ import annotations

from datetime import timedelta

from market.kernel import clock
from tests import factories
from tests.recurring.support import series_body, terms


async def build(client, ids: dict[str, str], employer: factories.Party) -> None:
    async def made(path: str, body: dict) -> str:
        response = await client.post(path, json=body, headers=employer.auth)
        assert response.status == 201, await response.text()
        return (await response.json())["id"]

    ids["order_template"] = await made("/v1/order-templates", {"name": "矩阵模板", "terms": terms()})
    ids["order_template_to_delete"] = await made("/v1/order-templates", {"name": "待删模板", "terms": terms()})
    ids["template_shift_start"] = factories.at(9, 7, 13)
    ids["template_shift_end"] = factories.at(9, 11, 13)
    start, until = clock.today() + timedelta(days=30), clock.today() + timedelta(days=60)
    ids["recurring_start_date"], ids["recurring_until_date"] = start.isoformat(), until.isoformat()
    dates = {"start_date": start.isoformat(), "until_date": until.isoformat()}
    ids["recurring_order"] = await made("/v1/recurring-orders", series_body(**dates))
    ids["recurring_order_to_stop"] = await made("/v1/recurring-orders", series_body(name="待停", **dates))
