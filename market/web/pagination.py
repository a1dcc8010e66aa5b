"""Cursor pagination (keyset): a page is the rows after the last key of the previous page.

A cursor is the sort key of the last row served, as base64url JSON: opaque to clients, cheap for
PostgreSQL (`WHERE (created_at, id) < ($1, $2) ORDER BY created_at DESC, id DESC LIMIT $3`), and
stable while rows are added, unlike OFFSET.
"""
from __future__ import annotations

import base64
import binascii
import json
from typing import Any, Generic, Sequence, TypeVar

from pydantic import BaseModel, Field

from market.errors import FieldError, ValidationFailed
from market.web.inputs import MAX_PAGE_LIMIT

T = TypeVar("T")


class PageQuery(BaseModel):
    cursor: str | None = Field(None, description="next_cursor of the previous page")
    limit: int | None = Field(None, ge=1, le=MAX_PAGE_LIMIT, description=(
        f"page size, 1–{MAX_PAGE_LIMIT}; the server serves at most MARKET_PAGE_LIMIT_MAX (200 by default)"))


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(description="pass as ?cursor= for the next page; null on the last page")


def encode_cursor(key: Sequence[Any]) -> str:
    raw = json.dumps(list(key), default=str, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None, arity: int) -> list[Any] | None:
    """The sort key in a cursor, or None for the first page; a tampered cursor is a 422."""
    if cursor is None:
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError):
        key = None
    if not isinstance(key, list) or len(key) != arity:
        raise ValidationFailed([FieldError(("query", "cursor"), "is not a cursor this list gave out")])
    return key


def page_limit(requested: int | None, default: int, maximum: int) -> int:
    return min(requested or default, maximum)


def paginate(rows: Sequence[T], limit: int, key_of) -> tuple[list[T], str | None]:
    """Split rows fetched with LIMIT limit + 1 into the page and the cursor for the next one."""
    page = list(rows[:limit])
    next_cursor = encode_cursor(key_of(page[-1])) if len(rows) > limit and page else None
    return page, next_cursor


def request_limit(request, query: PageQuery) -> int:
    """The page size for a request: its `limit`, or the server's default, capped at the maximum."""
    from market.web.keys import SETTINGS

    settings = request.app[SETTINGS]
    return page_limit(query.limit, settings.page_limit_default, settings.page_limit_max)


def decode_created_cursor(cursor: str | None) -> tuple | None:
    """The (created_at, id) key of a newest-first list's cursor, or None for the first page."""
    import uuid
    from datetime import datetime

    key = decode_cursor(cursor, 2)
    if key is None:
        return None
    try:
        return datetime.fromisoformat(key[0]), uuid.UUID(key[1])
    except (TypeError, ValueError):
        raise ValidationFailed([FieldError(("query", "cursor"), "is not a cursor this list gave out")]) from None
