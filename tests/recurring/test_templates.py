"""Order templates through the API: from a body or an order, listed, changed, deleted, and
posted from with every posting rule."""
from tests import factories
from tests.recurring.support import terms


async def test_a_template_from_a_body_is_saved_listed_changed_and_deleted(client):
    employer = await factories.employer(client)
    made = await client.post("/v1/order-templates", json={"name": "周末分拣班", "terms": terms()}, headers=employer.auth)
    assert made.status == 201, await made.text()
    template = await made.json()
    assert template["terms"]["title"] == "仓库分拣临时工" and template["terms"]["pay"]["amount_fen"] == 3000
    second = await (await client.post("/v1/order-templates", json={"name": "夜班", "terms": terms(title="夜班")},
                                      headers=employer.auth)).json()
    page = await (await client.get("/v1/order-templates?limit=1", headers=employer.auth)).json()
    assert [t["id"] for t in page["items"]] == [second["id"]] and page["next_cursor"]
    rest = await (await client.get(f"/v1/order-templates?cursor={page['next_cursor']}",
                                   headers=employer.auth)).json()
    assert [t["id"] for t in rest["items"]] == [template["id"]]
    changed = await client.patch(f"/v1/order-templates/{template['id']}", json={"name": "周末班（新价）",
                                 "terms": terms(pay={"unit": "hour", "amount_fen": 3500})}, headers=employer.auth)
    assert changed.status == 200
    assert (await changed.json())["terms"]["pay"]["amount_fen"] == 3500
    gone = await client.delete(f"/v1/order-templates/{template['id']}", headers=employer.auth)
    assert gone.status == 204
    assert (await client.get(f"/v1/order-templates/{template['id']}", headers=employer.auth)).status == 404


async def test_a_template_from_an_order_keeps_its_terms_and_posts_through_the_posting_rules(client):
    employer = await factories.employer(client)
    order = await factories.post_order(client, employer, factories.gig_order_body(sector_code="warehousing"))
    made = await client.post("/v1/order-templates", json={"name": "再来一单", "from_order_id": order["id"]},
                             headers=employer.auth)
    assert made.status == 201, await made.text()
    template = await made.json()
    assert template["terms"]["sector_code"] == "warehousing"
    assert template["terms"]["skills"] == [{"skill_code": "warehouse_picking", "min_level": 1,
                                            "certificate_required": False}]
    shifts = [{"start": factories.at(5, 9), "end": factories.at(5, 13), "headcount": 2}]
    posted = await client.post(f"/v1/order-templates/{template['id']}/orders", json={"shifts": shifts},
                               headers=employer.auth)
    assert posted.status == 201, await posted.text()
    body = await posted.json()
    assert body["title"] == order["title"] and body["pay"] == order["pay"] and body["seats"] == 2
    # the posting rules apply: a shift in the past is refused as POST /v1/orders refuses it
    past = [{"start": factories.at(-1, 9), "end": factories.at(-1, 13), "headcount": 1}]
    refused = await client.post(f"/v1/order-templates/{template['id']}/orders", json={"shifts": past},
                                headers=employer.auth)
    assert refused.status == 422
    assert (await refused.json())["errors"][0]["loc"] == ["shifts", 0, "start"]


async def test_a_template_needs_terms_or_an_order_and_bad_terms_name_the_field(client):
    employer = await factories.employer(client)
    neither = await client.post("/v1/order-templates", json={"name": "空"}, headers=employer.auth)
    assert neither.status == 422
    assert (await neither.json())["errors"][0]["loc"] == ["terms"]
    bad = await client.post("/v1/order-templates", json={"name": "x", "terms": terms(pay={"unit": "hour"})},
                            headers=employer.auth)
    assert bad.status == 422
    assert ["terms", "pay", "amount_fen"] in [e["loc"] for e in (await bad.json())["errors"]]
    shared = await factories.post_order(client, employer, factories.shared_order_body())
    refused = await client.post("/v1/order-templates", json={"name": "x", "from_order_id": shared["id"]},
                                headers=employer.auth)
    assert refused.status == 422
    assert (await refused.json())["errors"][0]["loc"] == ["from_order_id"]


async def test_another_organisations_template_and_order_are_404(client):
    owner, other = await factories.employer(client), await factories.employer(client)
    template = await (await client.post("/v1/order-templates", json={"name": "t", "terms": terms()},
                                        headers=owner.auth)).json()
    order = await factories.post_order(client, owner, factories.gig_order_body())
    shifts = [{"start": factories.at(5, 9), "end": factories.at(5, 13), "headcount": 1}]
    for method, path, body in (("GET", f"/v1/order-templates/{template['id']}", None),
                               ("PATCH", f"/v1/order-templates/{template['id']}", {"name": "mine"}),
                               ("DELETE", f"/v1/order-templates/{template['id']}", None),
                               ("POST", f"/v1/order-templates/{template['id']}/orders", {"shifts": shifts}),
                               ("POST", "/v1/order-templates", {"name": "x", "from_order_id": order["id"]})):
        response = await client.request(method, path, json=body, headers=other.auth)
        assert response.status == 404, (method, path, await response.text())
    listed = await (await client.get("/v1/order-templates", headers=other.auth)).json()
    assert listed["items"] == []
