"""The OpenAPI 3.1 document, generated from the route table and each route's @endpoint.

Nothing here is written by hand per route: paths, methods, roles, request and response schemas
(from the pydantic models), path parameters and the problem+json error responses all come from
the declarations, so the document cannot drift from the code. What it says of events comes from
the packages that own them, through EVENT_DOCS (the events package: payload components and SSE
responses) and WEBHOOK_DOCS (the webhooks package: the `webhooks` section).
"""
from __future__ import annotations

import re
from decimal import Decimal
from typing import Any, Protocol

from aiohttp import web
from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema, models_json_schema

from market.web.endpoint import Endpoint, endpoint_of

EventRefs = dict[str, dict[str, str]]  # event type → {"$ref": its payload component}


class EventDocs(Protocol):
    LAST_EVENT_ID_PARAMETER: dict[str, Any]

    def components(self) -> tuple[EventRefs, dict[str, Any]]:
        """(event type → its payload component's reference, the components)"""
        ...

    def stream_response(self, stream: str, refs: EventRefs) -> dict[str, Any]:
        """The 200 of an SSE endpoint serving the given kind of stream."""
        ...


class WebhookDocs(Protocol):
    def webhooks(self, refs: EventRefs) -> dict[str, Any]:
        """The OpenAPI 3.1 `webhooks` section."""
        ...


EVENT_DOCS = web.AppKey("openapi_event_docs", EventDocs)
WEBHOOK_DOCS = web.AppKey("openapi_webhook_docs", WebhookDocs)

PATH_PARAM = re.compile(r"\{([^}:]+)(?::[^}]*)?\}")
REF_TEMPLATE = "#/components/schemas/{model}"

PROBLEM_SCHEMA = {
    "type": "object",
    "description": "RFC 9457 problem details",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "request_id": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["loc", "msg"],
                "properties": {
                    "loc": {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]}},
                    "msg": {"type": "string"},
                    "ctx": {"type": "object"},
                },
            },
        },
    },
}
ERROR_TEXT = {400: "Bad request: the HTTP parser refused the request line or a header (too long, too many, "
                   "malformed; docs/limits.md), plain text", 401: "No valid bearer token", 403: "Role not allowed", 404: "Not found",
              409: "Conflict with the current state", 413: "Body too large", 414: "Query string too long", 415: "Not JSON",
              422: "Validation failed (field errors)", 429: "Rate limited"}


def build_openapi(app: web.Application, *, title: str, version: str, description: str) -> dict[str, Any]:
    routes: list[tuple[str, str, Endpoint]] = []
    for route in app.router.routes():
        meta = endpoint_of(route.handler)
        if meta is None or route.method == "HEAD" or route.resource is None:
            continue
        routes.append((route.resource.canonical, route.method.lower(), meta))

    refs, schemas = _components(routes)
    schemas["Problem"] = PROBLEM_SCHEMA
    event_docs, webhook_docs = app.get(EVENT_DOCS), app.get(WEBHOOK_DOCS)
    event_refs, event_schemas = event_docs.components() if event_docs is not None else ({}, {})
    schemas.update(event_schemas)

    paths: dict[str, dict[str, Any]] = {}
    for path, method, meta in sorted(routes):
        operation: dict[str, Any] = {
            "summary": meta.summary,
            "tags": [meta.tag],
            "operationId": f"{method}_{re.sub(r'[^a-zA-Z0-9]+', '_', path).strip('_')}",
            "responses": _responses(meta, method, refs),
        }
        if meta.roles is not None:
            operation["security"] = [{"bearer": []}]
            operation["description"] = "Roles: " + ", ".join(sorted(meta.roles))
        parameters = [{"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
                      for name in PATH_PARAM.findall(path)]
        if meta.query is not None:
            query_schema = schemas[_name(refs[(meta.query, "validation")])]
            required = set(query_schema.get("required", []))
            for name, schema in query_schema.get("properties", {}).items():
                parameters.append({"name": name, "in": "query", "required": name in required,
                                   "schema": schema, **({"description": schema["description"]}
                                                        if "description" in schema else {})})
        if method == "post":
            parameters.append({"name": "Idempotency-Key", "in": "header", "required": False,
                               "schema": {"type": "string", "maxLength": 255},
                               "description": _idempotency_text(meta)})
        if meta.events is not None:  # an SSE route: the events package is set up (KeyError if not)
            parameters.append(app[EVENT_DOCS].LAST_EVENT_ID_PARAMETER)
            operation["responses"][str(meta.status)] = app[EVENT_DOCS].stream_response(meta.events, event_refs)
        if parameters:
            operation["parameters"] = parameters
        if meta.body is not None:
            operation["requestBody"] = {"required": True, "content": {"application/json": {
                "schema": refs[(meta.body, "validation")]}}}
            if examples := _body_examples(refs[(meta.body, "validation")], schemas):
                operation["requestBody"]["content"]["application/json"]["examples"] = examples
        if meta.form is not None:
            operation["requestBody"] = _form_body(meta, refs, schemas)
        paths.setdefault(PATH_PARAM.sub(lambda m: "{" + m.group(1) + "}", path), {})[method] = operation

    for query in {meta.query for _, _, meta in routes if meta.query is not None}:
        del schemas[_name(refs[(query, "validation")])]  # spread into parameters, referenced by nothing
    for form in {meta.form for _, _, meta in routes if meta.form is not None}:
        del schemas[_name(refs[(form, "validation")])]  # spread into the multipart body
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version, "description": description},
        "paths": paths,
        "webhooks": webhook_docs.webhooks(event_refs) if webhook_docs is not None else {},
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                           "description": "Opaque token from POST /v1/auth/tokens"}},
        },
    }


def _idempotency_text(meta: Endpoint) -> str:
    # A secret is never kept for a replay (market/web/idempotency.py, docs/api-conventions.md).
    if meta.secret is not None and meta.repeatable:
        return f"Accepted and not recorded: the response carries a secret (`{meta.secret}`), so every request runs."
    if meta.form is not None:
        return ("Not recorded: an upload is not kept for a replay. Sending the same file of the same kind again "
                "while the first is pending answers that first one.")
    if meta.secret is not None:
        return (f"The response carries a secret (`{meta.secret}`) that is never kept: a repeat with the same key "
                "and body is a 409 carrying the first response without it (24 h).")
    return "Replays the first response for the same key and body (24 h)."


Refs = dict[tuple[type[BaseModel], str], dict[str, str]]


def _components(routes: list[tuple[str, str, Endpoint]]) -> tuple[Refs, dict[str, Any]]:
    """Every model the routes read or write, in one pydantic namespace: bodies and queries as they
    are validated, responses as they are serialised. A model whose two forms differ (a Decimal is a
    number or a string going in, a string coming out) becomes two components, `X-Input` and
    `X-Output`; pydantic titles both `X`, and code generators key their classes on the title
    (openapi-python-client drops every schema that reaches a clash), so each component is titled by
    its own unique name. The refs map each (model, mode) to its component, split or not."""
    uses = {(meta.body, "validation") for _, _, meta in routes if meta.body is not None}
    uses |= {(meta.query, "validation") for _, _, meta in routes if meta.query is not None}
    uses |= {(meta.form, "validation") for _, _, meta in routes if meta.form is not None}
    uses |= {(meta.response, "serialization") for _, _, meta in routes if meta.response is not None}
    refs, defs = models_json_schema(sorted(uses, key=lambda use: (use[0].__name__, use[1])),
                                    ref_template=REF_TEMPLATE, schema_generator=_Schemas)
    schemas = dict(defs.get("$defs", {}))
    for name, schema in schemas.items():
        schema["title"] = name
    return dict(refs), schemas


class _Schemas(GenerateJsonSchema):
    def encode_default(self, dft: Any) -> Any:
        # A Decimal default is the number it is (`"default": 24`), not pydantic's string ("24"):
        # the field takes a JSON number, and a generated client's default is one.
        if isinstance(dft, Decimal) and dft.is_finite():
            return int(dft) if dft == dft.to_integral_value() else float(dft)
        return super().encode_default(dft)


def _body_examples(schema: dict[str, Any], schemas: dict[str, Any]) -> dict[str, Any]:
    """A body's examples as named Example Objects, from its models' `examples` (json_schema_extra):
    for a union (oneOf), each variant's, named by its discriminator value or its component, so a
    reader (and /docs) has one example per variant."""
    name = _name(schema)
    variants = [_name(v) for v in schemas[name].get("oneOf", []) if "$ref" in v] or [name]
    tag_of = {_name({"$ref": ref}): tag for tag, ref in schemas[name].get("discriminator", {}).get("mapping", {}).items()}
    named = {}
    for variant in variants:
        for index, value in enumerate(schemas[variant].get("examples", []), 1):
            label = tag_of.get(variant, variant) if len(variants) > 1 else name
            named[f"{label}-{index}"] = {"summary": f"{label} (example {index})", "value": value}
    return named


def _form_body(meta: Endpoint, refs: Refs, schemas: dict[str, Any]) -> dict[str, Any]:
    """A multipart upload: the form's text fields (its model's properties) and the file part, in
    one object (the model refuses unknown fields, so an allOf of the two could match nothing)."""
    assert meta.form is not None
    fields = schemas[_name(refs[(meta.form, "validation")])]
    file_part = {"type": "string", "contentMediaType": "application/octet-stream",
                 "description": "the file: judged by its content, not its name or declared type"}
    schema = {**fields, "properties": {**fields.get("properties", {}), "file": file_part},
              "required": [*fields.get("required", []), "file"]}
    return {"required": True, "content": {"multipart/form-data": {"schema": schema}}}


def _name(ref: dict[str, str]) -> str:
    return ref["$ref"].removeprefix(REF_TEMPLATE.removesuffix("{model}"))


def _responses(meta: Endpoint, method: str, refs: Refs) -> dict[str, Any]:
    if meta.response is not None:
        success: dict[str, Any] = {"description": "OK", "content": {"application/json": {
            "schema": refs[(meta.response, "serialization")]}}}
        if meta.produces is not None:  # the same data in another form too (pay slips as CSV)
            success["content"][meta.produces] = {"schema": {"type": "string"}}
    elif meta.produces is not None:
        success = {"description": "OK", "content": {meta.produces: {"schema": {"type": "string"}}}}
    else:
        success = {"description": "No content" if meta.status == 204 else "OK"}
    responses: dict[str, Any] = {str(meta.status): success}
    # 401 everywhere: a public route needs no token, but one that is sent and not valid (expired,
    # revoked) is refused all the same (market/web/auth.py), so a client learns its token is stale.
    # 400 and 414 everywhere: aiohttp's parser refuses a malformed or oversized request line or
    # header before any route is found, and a query string over MARKET_MAX_QUERY_BYTES is a 414 on
    # any route (market/web/request_limits.py).
    statuses = set(meta.errors) | {400, 401, 414}
    if meta.roles is not None:
        statuses |= {403}
    if meta.body is not None or meta.query is not None:
        statuses |= {422}
    if method in ("post", "put", "patch", "delete"):
        statuses |= {429}  # every write is rate-limited (market/web/ratelimit.py)
    if meta.body is not None or meta.form is not None:
        statuses |= {413, 415, 422}
    if method == "post":
        # The Idempotency-Key every POST accepts: reused with another request, a 422; its first
        # request still running, a 409 (market/web/idempotency.py).
        statuses |= {409, 422}
    for status in sorted(statuses):
        if status == 400:  # the parser's own answer, before any application code: not a problem document
            responses["400"] = {"description": ERROR_TEXT[400], "content": {"text/plain": {"schema": {"type": "string"}}}}
            continue
        responses[str(status)] = {"description": ERROR_TEXT.get(status, "Error"), "content": {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}
    return responses
