"""How a handler declares itself: who may call it, what it reads, what it returns.

    @endpoint(roles={"employer"}, body=OrderIn, response=OrderOut, status=201, summary="Post an order")
    async def post_order(request, body: OrderIn) -> OrderOut: ...

The declaration is the single source for three things: the authorization check (done once, by
`auth_middleware`, before any handler code runs), request parsing (body and query through pydantic,
failures → 422 naming the field), and the OpenAPI document. A route without a declaration is a bug
that `assert_routes_declared` refuses at start-up.
"""
from __future__ import annotations

import functools
import json
import uuid
from dataclasses import dataclass
from typing import Any, Awaitable, Callable

from aiohttp import web
from pydantic import BaseModel, RootModel, ValidationError

from market.errors import FieldError, NotFound, UnsupportedMediaType, ValidationFailed

ANYONE: frozenset[str] | None = None
ALL_ROLES = frozenset({"employer", "worker", "supervisor", "admin"})


@dataclass(frozen=True)
class Endpoint:
    roles: frozenset[str] | None
    summary: str
    tag: str
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    status: int = 200
    # Non-JSON responses (SSE, CSV, HTML): media type for the OpenAPI document.
    produces: str | None = None
    # Extra error statuses worth documenting (401/403/422 are added from the declaration).
    errors: tuple[int, ...] = ()
    # The response field that carries a secret shown once (a bearer token, a signing secret): it is
    # never kept in an idempotency record (market/web/idempotency.py). `repeatable`: running the
    # request again is harmless (a sign-in issues another token), so a repeated key runs it again.
    secret: str | None = None
    repeatable: bool = False
    # An SSE endpoint: the kind of stream it serves (market/events/payloads.py: "worker",
    # "organisation", "district"), so the document lists the event types it carries.
    events: str | None = None
    # A multipart/form-data upload (market/uploads.py): its text fields (this model, read by the
    # handler) beside one file part, `file`. Not buffered for an Idempotency-Key replay
    # (market/web/idempotency.py): the route itself answers a retried upload.
    form: type[BaseModel] | None = None


def endpoint(
    *, roles: set[str] | frozenset[str] | None, summary: str, tag: str, body: type[BaseModel] | None = None,
    query: type[BaseModel] | None = None, response: type[BaseModel] | None = None, status: int = 200,
    produces: str | None = None, errors: tuple[int, ...] = (), secret: str | None = None,
    repeatable: bool = False, events: str | None = None, form: type[BaseModel] | None = None,
) -> Callable[[Callable[..., Awaitable[Any]]], Callable[[web.Request], Awaitable[web.StreamResponse]]]:
    meta = Endpoint(frozenset(roles) if roles is not None else None, summary, tag, body, query, response,
                    status, produces, errors, secret, repeatable, events, form)

    def wrap(fn: Callable[..., Awaitable[Any]]) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        @functools.wraps(fn)
        async def handler(request: web.Request) -> web.StreamResponse:
            kwargs: dict[str, Any] = {}
            if meta.body is not None:
                kwargs["body"] = await parse_body(request, meta.body)
            if meta.query is not None:
                kwargs["query"] = parse_query(request, meta.query)
            result = await fn(request, **kwargs)
            if isinstance(result, web.StreamResponse):
                return result
            if result is None:
                return web.Response(status=204 if meta.status == 200 else meta.status)
            return json_response(result, meta.status)

        handler.__endpoint__ = meta  # type: ignore[attr-defined]
        return handler

    return wrap


def endpoint_of(handler: Any) -> Endpoint | None:
    return getattr(handler, "__endpoint__", None)


def json_response(model: BaseModel, status: int = 200) -> web.Response:
    return web.Response(status=status, body=model.model_dump_json().encode(), content_type="application/json")


def field_errors(error: ValidationError, prefix: tuple[str, ...] = (), *, tagged_union: bool = False) -> list[FieldError]:
    """Pydantic's errors as field errors. A tagged union (a RootModel over `kind`-discriminated
    models) puts the tag first in each loc; clients know the field by its path in the body, so the
    tag is dropped (`["gig", "pay", "amount_fen"]` → `["pay", "amount_fen"]`)."""
    errors = []
    for e in error.errors(include_url=False):
        loc = tuple(e["loc"])
        if tagged_union and len(loc) > 1 and e["type"] != "union_tag_invalid":
            loc = loc[1:]
        errors.append(FieldError(prefix + loc, e["msg"]))
    return errors


async def parse_body(request: web.Request, model: type[BaseModel]) -> BaseModel:
    if request.content_type != "application/json":
        raise UnsupportedMediaType(f"send the body as application/json, not {request.content_type or 'nothing'}")
    raw = await request.read()  # aiohttp enforces client_max_size (413) here
    try:
        # Strict: an integer is a JSON integer, not "100", 100.0 or true (market/web/inputs.py).
        parsed = model.model_validate_json(raw, strict=True)
    except ValidationError as error:
        raise ValidationFailed(field_errors(error, tagged_union=issubclass(model, RootModel))) from None
    if b"\\u0000" in raw:  # JSON carries U+0000 only escaped; a cheap test before walking the body
        refuse_nul(json.loads(raw))
    return parsed


def parse_query(request: web.Request, model: type[BaseModel]) -> BaseModel:
    refuse_nul(dict(request.query), ("query",))
    try:
        return model.model_validate(dict(request.query))
    except ValidationError as error:
        raise ValidationFailed(field_errors(error, ("query",))) from None


NUL_MESSAGE = "must not contain the NUL character (U+0000)"


def refuse_nul(value: Any, prefix: tuple[str | int, ...] = ()) -> None:
    """PostgreSQL text cannot hold U+0000: a string carrying it is the client's error (422 naming the
    field), found here rather than as a driver error (500) when it reaches the database."""
    errors: list[FieldError] = []
    stack: list[tuple[tuple[str | int, ...], Any]] = [(prefix, value)]
    while stack:
        loc, item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                errors.append(FieldError(loc, NUL_MESSAGE))
        elif isinstance(item, dict):
            for key, child in item.items():
                if "\x00" in key:
                    errors.append(FieldError(loc + (key.replace("\x00", ""),), NUL_MESSAGE))
                stack.append((loc + (key,), child))
        elif isinstance(item, list):
            stack.extend((loc + (index,), child) for index, child in enumerate(item))
    if errors:
        raise ValidationFailed(sorted(errors, key=lambda e: [str(part) for part in e.loc]))


def path_uuid(request: web.Request, name: str = "id") -> uuid.UUID:
    """A path id; one that is not a uuid cannot name anything, so it is a 404 like any unknown id."""
    try:
        return uuid.UUID(request.match_info[name])
    except ValueError:
        raise NotFound(f"no such {name}") from None


def assert_routes_declared(app: web.Application) -> None:
    undeclared = [
        f"{route.method} {route.resource.canonical}"
        for route in app.router.routes()
        if route.resource is not None and route.method != "HEAD"
        and not isinstance(route.resource, web.StaticResource) and endpoint_of(route.handler) is None
    ]
    if undeclared:
        raise RuntimeError(f"routes without an @endpoint declaration: {undeclared}")
