"""HTTP for bids: parse, call the service, serialise."""
from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Discriminator, Field, RootModel, Tag

from market.bids.keys import BIDS
from market.bids.model import NamedEmployee, StoredBid, StoredConsent, StoredSharedBid
from market.errors import FieldError, ValidationFailed
from market.orders.views import local
from market.web.auth import principal
from market.web.endpoint import endpoint, path_uuid
from market.web.inputs import Input, RateFen
from market.web.outputs import LocalMoment
from market.web.pagination import (
    PageQuery,
    decode_created_cursor,
    paginate,
    request_limit,
)


class GigBidIn(Input):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"shift_ids": ["3b0f5c8e-1a2d-4e6f-8b9c-0d1e2f3a4b5c"], "rate_fen": 2800, "note": "有叉车证"},
    ]})
    shift_ids: list[uuid.UUID] = Field(min_length=1, max_length=50)
    rate_fen: RateFen = Field(description="asked pay per unit of the order's pay (≤ the order's amount)")
    note: str = Field("", max_length=500)


class NamedEmployeeIn(Input):
    employment_id: uuid.UUID
    wage_hourly_fen: RateFen = Field(description="what the lender pays this employee per hour while lent")


class SharedBidIn(Input):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {
            "fee_per_worker_day_fen": 28000, "note": "两名熟练仓管",
            "employees": [{"employment_id": "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d", "wage_hourly_fen": 2600}],
        },
    ]})
    fee_per_worker_day_fen: RateFen = Field(description="asked fee per worker and working day, fen")
    note: str = Field("", max_length=500)
    employees: list[NamedEmployeeIn] = Field(min_length=1, max_length=500)


def _bid_kind(value: Any) -> str:
    return "shared" if isinstance(value, dict) and "employees" in value else "gig"


class BidIn(RootModel[Annotated[Annotated[GigBidIn, Tag("gig")] | Annotated[SharedBidIn, Tag("shared")],
                                Discriminator(_bid_kind)]]):
    """A worker's bid on shifts of a gig order, or (with `employees`) a lender's bid on a shared order."""


class BidOut(BaseModel):
    id: uuid.UUID
    order_id: uuid.UUID
    shift_id: uuid.UUID
    worker_id: uuid.UUID
    worker_name: str
    worker_reliability: int
    rate_fen: int
    note: str
    state: str
    created_at: LocalMoment
    ended_at: LocalMoment | None


class ConsentOut(BaseModel):
    id: uuid.UUID
    shared_bid_id: uuid.UUID
    order_id: uuid.UUID | None
    lender_name: str | None
    employment_id: uuid.UUID
    worker_id: uuid.UUID
    worker_name: str
    wage_hourly_fen: int
    state: str
    decided_at: LocalMoment | None


class SharedBidOut(BaseModel):
    id: uuid.UUID
    order_id: uuid.UUID
    lender_id: uuid.UUID
    lender_name: str
    fee_per_worker_day_fen: int
    note: str
    state: str
    created_at: LocalMoment
    ended_at: LocalMoment | None
    consents: list[ConsentOut]


class BidPlacement(BaseModel):
    items: list[BidOut] = Field(description="gig: one bid per shift")
    shared_bid: SharedBidOut | None = Field(description="shared: the lender's bid with a consent per employee")


class OrderBidsPage(BaseModel):
    items: list[BidOut]
    shared_bids: list[SharedBidOut]
    next_cursor: str | None


class BidPage(BaseModel):
    items: list[BidOut]
    next_cursor: str | None


class BidListQuery(PageQuery):
    state: Literal["live", "withdrawn", "replaced", "chosen", "not_chosen", "cancelled"] | None = None


# ---- conversions ----------------------------------------------------------------------------------


def bid_out(bid: StoredBid) -> BidOut:
    return BidOut(**{**vars(bid), "created_at": local(bid.created_at), "ended_at": local(bid.ended_at)})


def consent_out(consent: StoredConsent) -> ConsentOut:
    return ConsentOut(**{**vars(consent), "decided_at": local(consent.decided_at)})


def shared_bid_out(bid: StoredSharedBid) -> SharedBidOut:
    return SharedBidOut(id=bid.id, order_id=bid.order_id, lender_id=bid.lender_id, lender_name=bid.lender_name,
                        fee_per_worker_day_fen=bid.fee_per_worker_day_fen, note=bid.note, state=bid.state,
                        created_at=local(bid.created_at), ended_at=local(bid.ended_at),
                        consents=[consent_out(c) for c in bid.consents])


# ---- handlers -------------------------------------------------------------------------------------


@endpoint(roles={"worker", "employer"}, tag="bids",
          summary="Bid: a worker on shifts of a gig order, or a lender with named employees on a shared order",
          body=BidIn, response=BidPlacement, status=201, errors=(404, 409))
async def place_bid(request: web.Request, body: BidIn) -> BidPlacement:
    caller = principal(request)
    order_id = path_uuid(request)
    bid = body.root
    if caller.role == "worker":
        if not isinstance(bid, GigBidIn):
            raise ValidationFailed([FieldError(("employees",), "workers bid for themselves; only lenders name employees")])
        placed = await request.app[BIDS].place_bids(caller, order_id, bid.shift_ids, bid.rate_fen, bid.note)
        return BidPlacement(items=[bid_out(b) for b in placed], shared_bid=None)
    if not isinstance(bid, SharedBidIn):
        raise ValidationFailed([FieldError(("employees",), "a lender's bid names the employees it lends")])
    shared = await request.app[BIDS].place_shared_bid(
        caller, order_id, bid.fee_per_worker_day_fen, bid.note,
        [NamedEmployee(e.employment_id, e.wage_hourly_fen) for e in bid.employees])
    return BidPlacement(items=[], shared_bid=shared_bid_out(shared))


@endpoint(roles={"employer"}, tag="bids", summary="Bids on one of the caller's orders", query=BidListQuery,
          response=OrderBidsPage, errors=(404,))
async def order_bids(request: web.Request, query: BidListQuery) -> OrderBidsPage:
    limit = request_limit(request, query)
    _, bids, shared = await request.app[BIDS].bids_of_order(principal(request), path_uuid(request),
                                                              state=query.state, after=decode_created_cursor(query.cursor),
                                                              limit=limit + 1)
    page, cursor = paginate(bids, limit, lambda b: [b.created_at.isoformat(), str(b.id)])
    return OrderBidsPage(items=[bid_out(b) for b in page], shared_bids=[shared_bid_out(s) for s in shared],
                         next_cursor=cursor)


@endpoint(roles={"worker"}, tag="bids", summary="The caller's own bids", query=BidListQuery, response=BidPage)
async def my_bids(request: web.Request, query: BidListQuery) -> BidPage:
    limit = request_limit(request, query)
    bids = await request.app[BIDS].bids_of_worker(principal(request), state=query.state,
                                                    after=decode_created_cursor(query.cursor), limit=limit + 1)
    page, cursor = paginate(bids, limit, lambda b: [b.created_at.isoformat(), str(b.id)])
    return BidPage(items=[bid_out(b) for b in page], next_cursor=cursor)


@endpoint(roles={"worker", "employer"}, tag="bids", summary="Withdraw one's own live bid", status=204,
          errors=(404, 409))
async def withdraw_bid(request: web.Request) -> None:
    await request.app[BIDS].withdraw_bid(principal(request), path_uuid(request))


def setup_routes(app: web.Application) -> None:
    app.router.add_post("/v1/orders/{id}/bids", place_bid)
    app.router.add_get("/v1/orders/{id}/bids", order_bids)
    app.router.add_delete("/v1/bids/{id}", withdraw_bid)
    app.router.add_get("/v1/workers/me/bids", my_bids)
