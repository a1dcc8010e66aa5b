"""The authorization matrix (authz_matrix.toml) against the live app: every route × every caller."""
from tests.security import matrix
from tests.security.world import CALLERS, build


async def openapi_routes(client) -> set[str]:
    response = await client.get("/openapi.json")
    assert response.status == 200
    document = await response.json()
    return {f"{method.upper()} {path}" for path, operations in document["paths"].items() for method in operations}


async def test_the_matrix_has_a_row_for_every_route_in_the_openapi_document_and_none_other(client):
    rows = matrix.load()
    listed = [row.route for row in rows]
    assert len(listed) == len(set(listed)), "a route is listed twice"
    served = await openapi_routes(client)
    assert sorted(served - set(listed)) == [], "routes without a row in authz_matrix.toml"
    assert sorted(set(listed) - served) == [], "rows naming routes the app does not have"


def test_the_matrix_check_can_fail():
    assert matrix.accepts("2xx", 204) and matrix.accepts("404|422", 422) and matrix.accepts("any", 409)
    assert not matrix.accepts("403", 404) and not matrix.accepts("2xx", 401) and not matrix.accepts("any", 500)


async def test_every_caller_gets_the_status_the_matrix_expects_on_every_route(client, conn, settings):
    world = await build(client, conn, settings)
    wrong = []
    for row in matrix.load():
        # The refused callers first: the allowed call may change the object (cancel, accept, delete).
        for kind in sorted(CALLERS, key=lambda k: "2xx" in row.expect[k]):
            caller = world.callers[kind]
            headers = await matrix.fresh_headers(client, caller) if row.fresh_token else caller.headers
            reply = await matrix.call(client, row, headers, world)
            if not matrix.accepts(row.expect[kind], reply.status):
                wrong.append(f"{row.route} as {kind}: expected {row.expect[kind]}, got {reply.status} "
                             f"{reply.text[:200]}")
    assert wrong == []
