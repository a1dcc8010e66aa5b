"""The one family of errors the domain raises; `market.web.problems` turns them into RFC 9457
problem+json responses. Standard library only, so every pure core may raise them.

A domain error carries what a client needs to fix its request and nothing about our internals:
the HTTP status it maps to, a short stable `type` slug (served as `/problems/<slug>`), a title,
a human detail and, for validation, field-level errors whose `loc` is the path of the offending
field in the request body (e.g. ``("shifts", 0, "end")``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class FieldError:
    """One broken field: where it is in the request, and what is wrong with it."""

    loc: tuple[str | int, ...]
    msg: str
    # Extra machine-readable facts, e.g. {"minimum_hourly_fen": 2300} for a wage below the minimum.
    ctx: dict[str, Any] = field(default_factory=dict)


class MarketError(Exception):
    status = 400
    type = "bad-request"
    title = "Bad request"

    def __init__(self, detail: str = "", **extra: Any) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        # Extra members of the problem document (RFC 9457 §3.2), e.g. current_state for a 409.
        self.extra = extra


class ValidationFailed(MarketError):
    status = 422
    type = "validation"
    title = "The request is not valid"

    def __init__(self, errors: list[FieldError], detail: str = "") -> None:
        super().__init__(detail or "; ".join(f"{'.'.join(map(str, e.loc))}: {e.msg}" for e in errors))
        self.errors = errors


class Unauthorized(MarketError):
    status = 401
    type = "unauthorized"
    title = "Authentication required"


class Forbidden(MarketError):
    status = 403
    type = "forbidden"
    title = "Not allowed for this role"


class NotFound(MarketError):
    status = 404
    type = "not-found"
    title = "Not found"


class Conflict(MarketError):
    status = 409
    type = "conflict"
    title = "Conflict with the current state"


class RequestTimeout(MarketError):
    status = 408
    type = "request-timeout"
    title = "The request body was not received in time"


class PayloadTooLarge(MarketError):
    status = 413
    type = "payload-too-large"
    title = "Request body too large"


class UriTooLong(MarketError):
    status = 414
    type = "uri-too-long"
    title = "Query string too long"


class UnsupportedMediaType(MarketError):
    status = 415
    type = "unsupported-media-type"
    title = "Only application/json is accepted"


class TooManyRequests(MarketError):
    status = 429
    type = "rate-limited"
    title = "Too many requests"
