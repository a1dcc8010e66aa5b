"""Broken object-level authorization: a second tenant of every role (employer, worker, lender,
supervisor of another district) using the first tenant's ids gets a refusal (401/403/404), never a
2xx, and no response carries the first tenant's ids or personal data (names, phone, masked ID).

The id-bearing routes are taken from the OpenAPI document, so a new route is swept as soon as it
exists (its row in authz_matrix.toml names the tenant-1 object to try)."""
from tests.security import matrix
from tests.security.test_authz_matrix import openapi_routes
from tests.security.world import HOME, build

REFUSALS = {401, 403, 404}
# Routes whose path object is deliberately public to the second tenant, and why.
PUBLIC_OBJECTS = {
    "POST /v1/orders/{id}/bids": "an open order takes bids from every worker and lender (foreign ids in the body "
                                 "are swept in test_ids_in_bodies_and_queries)",
    "POST /v1/shifts/{id}/standby": "an open shift's standby seats take sign-ups from every fitting worker, as its "
                                    "order takes bids (docs/standby.md)",
    "PUT /v1/workers/me/hidden-employers/{organisation_id}": "a worker may hide any employer the feed shows them; "
                                                              "the answer names only the employer (docs/favourites.md)",
    "GET /v1/organisations/{id}/reputation": "an employer's colour and aggregate rating are shown to every worker "
                                             "on each of its orders (docs/reputation.md)",
    "POST /v1/agencies/{id}/pool": "any worker may join any agency's own pool, by their consent (docs/agencies.md)",
}
# Lists whose content is deliberately shared across tenants.
PUBLIC_LISTS = {
    "GET /v1/workers/me/feed": "the job feed publishes every open shift (and its employer) to fitting workers",
}


def leaked(reply: matrix.Reply, secrets: set[str]) -> list[str]:
    """Tenant 1's strings in a response, except those the caller itself sent."""
    return sorted(s for s in secrets if s in reply.text and s not in reply.url and s not in reply.sent)


async def test_a_second_tenant_using_the_first_tenants_ids_in_paths_is_refused_and_learns_nothing(
        client, conn, settings):
    world = await build(client, conn, settings)
    rows = {row.route: row for row in matrix.load()}
    id_routes = sorted(r for r in await openapi_routes(client) if "{" in r and r not in PUBLIC_OBJECTS)
    assert len(id_routes) >= 25  # the sweep really covers the id-bearing routes
    wrong = []
    for route in id_routes:
        assert route in rows, f"{route} has no row in authz_matrix.toml naming a tenant-1 object"
        row = rows[route]
        assert row.url != row.path, f"{route}: its row's url must name a tenant-1 object"
        for kind, other in world.others.items():
            reply = await matrix.call(client, row, other.headers, world)
            if reply.status not in REFUSALS:
                wrong.append(f"{route} as another {kind}: {reply.status} {reply.text[:200]}")
            if found := leaked(reply, world.secrets):
                wrong.append(f"{route} as another {kind} leaks {found}")
    assert wrong == []

    # The sweep changed nothing: the first tenant still reads its own objects as they were.
    employer = world.callers["employer"]
    order = await (await client.get(f"/v1/orders/{world.ids['gig_order']}", headers=employer.headers)).json()
    assert order["state"] == "open"
    offers = await (await client.get("/v1/workers/me/offers?state=pending",
                                     headers=world.callers["worker"].headers)).json()
    assert {o["id"] for o in offers["items"]} == {world.ids["offer"], world.ids["offer_2"]}
    # (and the leak detector sees tenant 1's data where it belongs)
    own = await client.get("/v1/workers/me", headers=world.callers["worker"].headers)
    assert len(leaked(matrix.Reply(own.status, await own.text(), "", ""), world.secrets)) >= 3
    hooks = await (await client.get("/v1/webhooks", headers=employer.headers)).json()
    assert world.ids["webhook_to_delete"] in {h["id"] for h in hooks["items"]}

    # Lists of the second tenant hold nothing of the first.
    for route in sorted(r for r in await openapi_routes(client) if r.startswith("GET ") and "{" not in r):
        row = rows[route]
        if row.stream or route in PUBLIC_LISTS:
            continue
        for kind, other in world.others.items():
            reply = await matrix.call(client, row, other.headers, world)
            assert reply.status < 500, f"{route} as another {kind}: {reply.status}"
            if found := leaked(reply, world.secrets):
                wrong.append(f"{route} as another {kind} leaks {found}")
    assert wrong == []


async def test_ids_in_bodies_and_queries(client, conn, settings):
    world = await build(client, conn, settings)
    ids, others = world.ids, world.others
    wrong = []

    async def refused(method: str, url: str, caller: str, body=None, allowed=REFUSALS | {409, 422}) -> None:
        row = matrix.Row(method, url, url, stream=url.startswith("/v1/supervision/events"))
        reply = await matrix.call(client, row, others[caller].headers, world, body=body)
        if reply.status not in allowed:
            wrong.append(f"{method} {url} as another {caller}: {reply.status} {reply.text[:200]}")
        if found := leaked(reply, world.secrets):
            wrong.append(f"{method} {url} as another {caller} leaks {found}")

    # A worker bidding on one order with another order's shift.
    await refused("POST", f"/v1/orders/{ids['cancel_order']}/bids", "worker",
                  {"shift_ids": [ids["gig_shift"]], "rate_fen": 2900})
    # A lender naming the other lender's employee (the first tenant's worker).
    await refused("POST", f"/v1/orders/{ids['shared_order']}/bids", "lender",
                  {"fee_per_worker_day_fen": 28000, "employees": [{"employment_id": ids["employment"],
                                                                   "wage_hourly_fen": 2700}]})
    # A borrower naming a lender's employment on its own order is refused too.
    await refused("POST", f"/v1/orders/{ids['shared_order']}/bids", "employer",
                  {"fee_per_worker_day_fen": 28000, "employees": [{"employment_id": ids["employment"],
                                                                   "wage_hourly_fen": 2700}]})
    # A supervisor naming the first supervisor's district: 403 on every supervision read.
    for path in ("overview", "alerts", "orders", "export.csv", "events"):
        await refused("GET", f"/v1/supervision/{path}?districts={HOME}", "supervisor", allowed={403})
    await refused("GET", f"/v1/supervision/orders?districts={ids['outside']},{HOME}", "supervisor", allowed={403})
    await refused("GET", f"/v1/supervision/agreements/signing-rates?district={HOME}", "supervisor", allowed={403})
    # Query filters naming a foreign account or object do not widen what one sees.
    await refused("GET", f"/v1/admin/audit-log?account_id={world.callers['worker'].party.account_id}", "employer",
                  allowed={403})
    assert wrong == []

    # The refused bids left nothing behind.
    bids = await (await client.get(f"/v1/orders/{ids['shared_order']}/bids",
                                   headers=world.callers["employer"].headers)).json()
    assert [b["lender_id"] for b in bids["shared_bids"]] == [ids["lender_id"]]
