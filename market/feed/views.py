"""HTTP for the worker's feed: parse, call the service, serialise."""
from __future__ import annotations

import uuid
from datetime import datetime

from aiohttp import web
from pydantic import BaseModel, Field

from market.errors import FieldError, ValidationFailed
from market.feed.keys import FEED
from market.feed.model import FeedRow
from market.orders.views import local
from market.web.auth import principal
from market.web.endpoint import endpoint
from market.web.outputs import LocalMoment
from market.web.pagination import PageQuery, decode_cursor, encode_cursor, request_limit


class FeedQuery(PageQuery):
    pass


class FeedItem(BaseModel):
    shift_id: uuid.UUID
    order_id: uuid.UUID
    title: str
    employer_name: str
    district_code: str
    address: str
    start: LocalMoment
    end: LocalMoment
    seats_left: int
    relationship: str
    pay_unit: str
    pay_amount_fen: int
    hourly_pay_fen: int = Field(description="day/piece pay converted to an hourly figure")
    distance_m: int = Field(description="from the worker's home (or home district's centre) to the site")
    allocation_mode: str
    bid_deadline: LocalMoment | None
    sector_code: str | None = Field(description="the order's 职业伤害保障 sector (GET /v1/sectors); null: not given")
    has_live_bid: bool = Field(description="the worker already has a live bid on this shift")
    employer_colour: str = Field(description="the employer's 诚信 colour: red (守信), blue (一般), black (失信); "
                                             "docs/reputation.md")
    standby_seats_left: int = Field(description=(
        "standby (待命) seats of the shift nobody holds yet: POST /v1/shifts/{shift_id}/standby takes one "
        "(docs/standby.md); 0 when the shift has none or all are held"))
    standby_amount_fen: int | None = Field(description=(
        "what a standby seat pays when its worker is not called; null when the shift has no standby seats"))
    score: int = Field(description="ranking score 0–10500: pay, distance, start time, skill fit, the employer's "
                                   "colour (docs/feed.md)")


class FeedPage(BaseModel):
    items: list[FeedItem]
    next_cursor: str | None


def feed_item(row: FeedRow) -> FeedItem:
    return FeedItem(shift_id=row.shift_id, order_id=row.order_id, title=row.title, employer_name=row.employer_name,
                    district_code=row.district_code, address=row.site_address, start=local(row.starts_at),
                    end=local(row.ends_at), seats_left=row.headcount - row.filled,
                    relationship=row.relationship_type, pay_unit=row.pay_unit, pay_amount_fen=row.pay_amount_fen,
                    hourly_pay_fen=row.hourly_pay_fen, distance_m=row.distance_m,
                    allocation_mode=row.allocation_mode, bid_deadline=local(row.bid_deadline),
                    sector_code=row.sector_code, has_live_bid=row.has_live_bid, employer_colour=row.employer_colour,
                    standby_seats_left=row.standby_seats_left, standby_amount_fen=row.standby_amount_fen,
                    score=row.score)


@endpoint(roles={"worker"}, tag="feed", summary="Open shifts that fit the caller, best first", query=FeedQuery,
          response=FeedPage)
async def worker_feed(request: web.Request, query: FeedQuery) -> FeedPage:
    limit = request_limit(request, query)
    as_of, after = None, None
    if (key := decode_cursor(query.cursor, 3)) is not None:
        try:
            as_of, after = datetime.fromisoformat(key[0]), (int(key[1]), uuid.UUID(key[2]))
        except (TypeError, ValueError):
            raise ValidationFailed([FieldError(("query", "cursor"), "is not a cursor this list gave out")]) from None
    rows, next_key, as_of = await request.app[FEED].page(principal(request), as_of=as_of, after=after, limit=limit)
    cursor = encode_cursor([as_of.isoformat(), next_key[0], str(next_key[1])]) if next_key else None
    return FeedPage(items=[feed_item(r) for r in rows], next_cursor=cursor)


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/v1/workers/me/feed", worker_feed)
