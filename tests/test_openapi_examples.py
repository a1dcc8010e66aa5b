"""Every operation with a request body documents examples of it (one per variant of a union), and
each example is a body the operation takes: valid by the documented schema and by the model the
endpoint parses it with (strictly, as parse_body does)."""
from __future__ import annotations

import json

from market.web.endpoint import endpoint_of
from tests.test_event_docs import document_of, problems


async def test_every_request_body_has_examples_valid_by_its_schema_and_its_model(client):
    document = await document_of(client)
    bodies = {}
    for route in client.app.router.routes():
        meta = endpoint_of(route.handler)
        if meta is not None and meta.body is not None:
            bodies[(route.method.lower(), route.resource.canonical)] = meta.body
    assert bodies
    for (method, path), model in bodies.items():
        media = document["paths"][path][method]["requestBody"]["content"]["application/json"]
        examples = media.get("examples", {})
        assert examples, f"{method} {path} documents no example body"
        for name, example in examples.items():
            assert problems(document, media["schema"], example["value"]) == [], (method, path, name)
            model.model_validate_json(json.dumps(example["value"]), strict=True)  # raises if refused


async def test_a_union_body_has_an_example_of_each_variant(client):
    document = await document_of(client)
    orders = document["paths"]["/v1/orders"]["post"]["requestBody"]["content"]["application/json"]
    assert {example["value"]["kind"] for example in orders["examples"].values()} == {"gig", "shared"}
    bids = document["paths"]["/v1/orders/{id}/bids"]["post"]["requestBody"]["content"]["application/json"]
    assert {"employees" in example["value"] for example in bids["examples"].values()} == {True, False}
