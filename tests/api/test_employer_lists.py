"""An employer's lists of its seats and offers (issue 19, the gaps the console found): GET
/v1/employers/me/timesheets and GET /v1/orders/{id}/offers — their contents, filters and pages,
a site manager held to their sites, finance reading, another employer learning nothing."""
from __future__ import annotations

import uuid
from datetime import timedelta

from market.kernel import clock
from tests import factories
from tests.organisations.test_members import add_member, add_site, site_order, submitted_at_site
from tests.settlement.support import assign, fund


async def seat(client, conn, owner, site_id: str, name: str = "王五") -> tuple[factories.Party, uuid.UUID, dict]:
    """A worker's seat (assigned, not checked in) on a new order at the site."""
    worker = await factories.worker(client, name=name)
    await fund(client, owner, 1_000_000)
    order = await site_order(client, owner, site_id, title=f"{name}的班")
    return worker, await assign(conn, uuid.UUID(order["shifts"][0]["id"]), worker, 3000), order


async def listed(client, party, query: str = "") -> list[dict]:
    response = await client.get(f"/v1/employers/me/timesheets{query}", headers=party.auth)
    assert response.status == 200, await response.text()
    return (await response.json())["items"]


async def test_the_timesheets_list_shows_each_seat_filters_and_pages(client, conn):
    owner = await factories.employer(client)
    mine, theirs = await add_site(client, owner, name="一号仓"), await add_site(client, owner, name="二号仓")
    worker, submitted = await submitted_at_site(client, conn, owner, mine["id"])
    _, open_seat, open_order = await seat(client, conn, owner, theirs["id"], name="赵六")
    items = await listed(client, owner)
    assert [i["assignment_id"] for i in items] == [str(open_seat), str(submitted)]  # newest first
    first, second = items
    assert (first["state"], first["assignment_state"], first["worker_name"], first["title"]) == (
        "open", "active", "赵六", "赵六的班")
    assert first["order_id"] == open_order["id"] and first["checked_in_at"] is None
    assert second["state"] == "submitted" and second["worker_id"] == worker.id
    assert second["worked_minutes"] == 120 and second["checked_out_at"].endswith("+08:00")
    text = await (await client.get("/v1/employers/me/timesheets", headers=owner.auth)).text()
    assert "id_number" not in text and "phone" not in text

    assert [i["assignment_id"] for i in await listed(client, owner, "?state=submitted")] == [str(submitted)]
    assert [i["assignment_id"] for i in await listed(client, owner, f"?order_id={open_order['id']}")] == [
        str(open_seat)]
    day_of_open, day_of_submitted = first["start"][:10], second["start"][:10]  # two days apart
    assert [i["assignment_id"] for i in await listed(client, owner, f"?from={day_of_open}")] == [str(open_seat)]
    assert [i["assignment_id"] for i in await listed(client, owner, f"?to={day_of_submitted}")] == [str(submitted)]
    assert await listed(client, owner, f"?from={day_of_open}&to={day_of_submitted}") == []

    page = await (await client.get("/v1/employers/me/timesheets?limit=1", headers=owner.auth)).json()
    assert [i["assignment_id"] for i in page["items"]] == [str(open_seat)] and page["next_cursor"]
    rest = await (await client.get(f"/v1/employers/me/timesheets?limit=1&cursor={page['next_cursor']}",
                                   headers=owner.auth)).json()
    assert [i["assignment_id"] for i in rest["items"]] == [str(submitted)] and rest["next_cursor"] is None

    refused = await client.get("/v1/employers/me/timesheets?state=lost&limit=0", headers=owner.auth)
    assert refused.status == 422 and refused.content_type == "application/problem+json"
    assert "state" in await refused.text() and "limit" in await refused.text()

    # A site manager sees their sites' seats only; finance reads them all; another employer none.
    manager = await add_member(client, owner, "site_manager", [mine["id"]])
    assert [i["assignment_id"] for i in await listed(client, manager)] == [str(submitted)]
    finance = await add_member(client, owner, "finance")
    assert len(await listed(client, finance)) == 2
    assert await listed(client, await factories.employer(client)) == []
    assert (await client.get("/v1/employers/me/timesheets", headers=worker.auth)).status == 403

    # What the list says is what approval acts on.
    approved = await client.post(f"/v1/assignments/{submitted}/approve", json={}, headers=manager.auth)
    assert approved.status == 200, await approved.text()
    (after,) = await listed(client, manager)
    assert (after["state"], after["approved_minutes"], after["assignment_state"]) == ("approved", 120, "completed")


async def test_an_orders_offers_are_its_organisations_and_its_site_managers(client, conn):
    owner = await factories.employer(client)
    mine, theirs = await add_site(client, owner, name="一号仓"), await add_site(client, owner, name="二号仓")
    order = await site_order(client, owner, mine["id"])
    other_order = await site_order(client, owner, theirs["id"])
    shift_id = uuid.UUID(order["shifts"][0]["id"])
    first, second = await factories.worker(client, name="钱七"), await factories.worker(client, name="孙八")
    expires = clock.now() + timedelta(minutes=30)
    offer_ids = [await conn.fetchval(
        "INSERT INTO offers (order_id, shift_id, worker_id, rate_fen, expires_at, created_at) "
        "VALUES ($1, $2, $3, 3000, $4, now() + $5 * interval '1 second') RETURNING id",
        uuid.UUID(order["id"]), shift_id, uuid.UUID(w.id), expires, n) for n, w in enumerate((first, second))]
    await conn.execute("UPDATE offers SET state = 'declined', decided_at = now() WHERE id = $1", offer_ids[0])

    response = await client.get(f"/v1/orders/{order['id']}/offers", headers=owner.auth)
    assert response.status == 200, await response.text()
    items = (await response.json())["items"]
    assert [(o["id"], o["worker_name"], o["state"]) for o in items] == [
        (str(offer_ids[1]), "孙八", "pending"), (str(offer_ids[0]), "钱七", "declined")]
    assert items[0]["shift_id"] == str(shift_id) and items[0]["expires_at"].endswith("+08:00")
    assert items[0]["made_at"] and items[0]["decided_at"] is None and items[1]["decided_at"]
    pending = await (await client.get(f"/v1/orders/{order['id']}/offers?state=pending", headers=owner.auth)).json()
    assert [o["id"] for o in pending["items"]] == [str(offer_ids[1])]
    page = await (await client.get(f"/v1/orders/{order['id']}/offers?limit=1", headers=owner.auth)).json()
    rest = await (await client.get(f"/v1/orders/{order['id']}/offers?limit=1&cursor={page['next_cursor']}",
                                   headers=owner.auth)).json()
    assert [o["id"] for o in page["items"] + rest["items"]] == [str(o) for o in reversed(offer_ids)]
    assert rest["next_cursor"] is None

    manager = await add_member(client, owner, "site_manager", [mine["id"]])
    assert (await client.get(f"/v1/orders/{order['id']}/offers", headers=manager.auth)).status == 200
    assert (await client.get(f"/v1/orders/{other_order['id']}/offers", headers=manager.auth)).status == 404
    stranger = await factories.employer(client)
    refused = await client.get(f"/v1/orders/{order['id']}/offers", headers=stranger.auth)
    assert refused.status == 404 and "孙八" not in await refused.text()
    assert (await client.get(f"/v1/orders/{uuid.uuid4()}/offers", headers=owner.auth)).status == 404
    assert (await client.get(f"/v1/orders/{order['id']}/offers", headers=first.auth)).status == 403
