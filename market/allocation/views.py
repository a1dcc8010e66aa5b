"""HTTP for allocation: ask for a run, read a run, a worker's offers and their answers."""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from market.allocation.records import OfferView, RunResult
from market.allocation.service import RunView
from market.errors import FieldError, ValidationFailed
from market.orders.views import local
from market.web.auth import principal
from market.web.endpoint import endpoint, path_uuid
from market.allocation.keys import ALLOCATIONS
from market.web.keys import SETTINGS
from market.web.inputs import Input
from market.web.outputs import LocalMoment
from market.web.pagination import PageQuery, decode_created_cursor, decode_cursor, page_limit, paginate, request_limit


class RunQueued(BaseModel):
    run_id: uuid.UUID
    order_id: uuid.UUID
    status: Literal["queued"] = "queued"


class ResultOut(BaseModel):
    order_id: uuid.UUID
    shift_id: uuid.UUID
    worker_id: uuid.UUID | None = Field(description="null for a line about empty seats")
    bid_id: uuid.UUID | None
    outcome: Literal["offered", "assigned", "not_chosen", "conflict", "unfilled"]
    reason: str | None = Field(description="reason code (docs/allocation.md); null when offered or assigned")
    seats: int


class TermsOut(BaseModel):
    pay: int
    distance: int
    skill: int
    reliability: int
    favourite: int
    extra: int
    fairness: int
    unfilled: int


class RunOut(BaseModel):
    id: uuid.UUID
    order_id: uuid.UUID | None = Field(description="null for a district sweep of auto orders")
    district_code: str
    trigger: str
    status: Literal["queued", "running", "done", "failed"]
    queued_at: LocalMoment
    started_at: LocalMoment | None
    finished_at: LocalMoment | None
    solve_seconds: float | None
    objective: int | None = Field(None, description="employer's view only")
    terms: TermsOut | None = Field(None, description="employer's view only")
    best_bound: int | None = None
    gap: float | None = None
    optimal: bool | None = None
    method: str | None = None
    seats_open: int | None = None
    seats_filled: int | None = None
    seats_unfilled: int | None = None
    conflicts: int | None = None
    results: list[ResultOut] = Field(description="per seat and per candidate; a worker sees only their own")


class OfferOut(BaseModel):
    id: uuid.UUID
    run_id: uuid.UUID | None
    order_id: uuid.UUID
    organisation_id: uuid.UUID = Field(description="the employer: its 诚信 colour and rating at "
                                                   "/v1/organisations/{id}/reputation")
    shift_id: uuid.UUID
    bid_id: uuid.UUID | None
    title: str
    start: LocalMoment
    end: LocalMoment
    relationship: str
    pay_unit: str
    rate_fen: int = Field(description="pay per unit of the order's pay")
    state: Literal["pending", "accepted", "declined", "expired", "withdrawn"]
    expires_at: LocalMoment
    created_at: LocalMoment
    decided_at: LocalMoment | None
    assignment_id: uuid.UUID | None


class OfferPage(BaseModel):
    items: list[OfferOut]
    next_cursor: str | None


class OfferListQuery(PageQuery):
    state: Literal["pending", "accepted", "declined", "expired", "withdrawn"] | None = None


class OrderOfferOut(BaseModel):
    """One offer of an order as its employer sees it: who, which shift, and the offer's clock."""

    id: uuid.UUID
    run_id: uuid.UUID | None
    shift_id: uuid.UUID
    worker_id: uuid.UUID
    worker_name: str = Field(description="the worker's name as the order's bids show it")
    start: LocalMoment
    end: LocalMoment
    rate_fen: int = Field(description="pay per unit of the order's pay")
    state: Literal["pending", "accepted", "declined", "expired", "withdrawn"]
    expires_at: LocalMoment = Field(description="a pending offer lapses then (the worker's time to answer)")
    made_at: LocalMoment
    decided_at: LocalMoment | None
    assignment_id: uuid.UUID | None


class OrderOfferPage(BaseModel):
    items: list[OrderOfferOut]
    next_cursor: str | None


def result_out(r: RunResult) -> ResultOut:
    return ResultOut(**vars(r))


def run_out(view: RunView) -> RunOut:
    run = view.run
    common = dict(id=run.id, order_id=run.order_id, district_code=run.district_code, trigger=run.trigger,
                  status=run.status, queued_at=local(run.queued_at), started_at=local(run.started_at),
                  finished_at=local(run.finished_at), solve_seconds=run.solve_seconds,
                  results=[result_out(r) for r in view.results])
    if view.as_candidate:
        return RunOut(**common)
    return RunOut(**common, objective=run.objective, terms=TermsOut(**run.terms) if run.terms else None,
                  best_bound=run.best_bound, gap=run.gap, optimal=run.optimal, method=run.method,
                  seats_open=run.seats_open, seats_filled=run.seats_filled, seats_unfilled=run.seats_unfilled,
                  conflicts=run.conflicts)


def offer_out(o: OfferView) -> OfferOut:
    return OfferOut(id=o.id, run_id=o.run_id, order_id=o.order_id, organisation_id=o.organisation_id,
                    shift_id=o.shift_id, bid_id=o.bid_id,
                    title=o.title, start=local(o.starts_at), end=local(o.ends_at), relationship=o.relationship_type,
                    pay_unit=o.pay_unit, rate_fen=o.rate_fen, state=o.state, expires_at=local(o.expires_at),
                    created_at=local(o.created_at), decided_at=local(o.decided_at), assignment_id=o.assignment_id)


@endpoint(roles={"employer"}, tag="allocation", summary="Start an allocation run of one's own open order now",
          response=RunQueued, status=202, errors=(404, 409))
async def allocate_order(request: web.Request) -> RunQueued:
    order_id = path_uuid(request)
    run_id = await request.app[ALLOCATIONS].request_run(principal(request), order_id)
    return RunQueued(run_id=run_id, order_id=order_id)


@endpoint(roles={"employer", "worker"}, tag="allocation",
          summary="An allocation run: status, timings, result and reasons (a candidate sees only their own)",
          response=RunOut, errors=(404,))
async def get_run(request: web.Request) -> RunOut:
    return run_out(await request.app[ALLOCATIONS].run(principal(request), path_uuid(request)))


@endpoint(roles={"worker"}, tag="allocation", summary="The caller's offers, newest first", query=OfferListQuery,
          response=OfferPage)
async def my_offers(request: web.Request, query: OfferListQuery) -> OfferPage:
    settings = request.app[SETTINGS]
    limit = page_limit(query.limit, settings.page_limit_default, settings.page_limit_max)
    after = None
    if (key := decode_cursor(query.cursor, 2)) is not None:
        try:
            after = (datetime.fromisoformat(key[0]), uuid.UUID(key[1]))
        except (TypeError, ValueError):
            raise ValidationFailed([FieldError(("query", "cursor"), "is not a cursor this list gave out")]) from None
    offers = await request.app[ALLOCATIONS].offers(principal(request), state=query.state, after=after,
                                                   limit=limit + 1)
    page, cursor = paginate(offers, limit, lambda o: [o.created_at.isoformat(), str(o.id)])
    return OfferPage(items=[offer_out(o) for o in page], next_cursor=cursor)


@endpoint(roles={"employer"}, tag="allocation", summary="The offers made on one of the caller's orders, newest first",
          query=OfferListQuery, response=OrderOfferPage, errors=(404,))
async def order_offers(request: web.Request, query: OfferListQuery) -> OrderOfferPage:
    limit = request_limit(request, query)
    found = await request.app[ALLOCATIONS].offers_of_order(principal(request), path_uuid(request), state=query.state,
                                                           after=decode_created_cursor(query.cursor), limit=limit + 1)
    page, cursor = paginate(found, limit, lambda pair: [pair[0].created_at.isoformat(), str(pair[0].id)])
    return OrderOfferPage(items=[OrderOfferOut(
        id=o.id, run_id=o.run_id, shift_id=o.shift_id, worker_id=o.worker_id, worker_name=name,
        start=local(o.starts_at), end=local(o.ends_at), rate_fen=o.rate_fen, state=o.state,
        expires_at=local(o.expires_at), made_at=local(o.created_at), decided_at=local(o.decided_at),
        assignment_id=o.assignment_id) for o, name in page], next_cursor=cursor)


@endpoint(roles={"worker"}, tag="allocation", summary="Accept an offer: the seat becomes an assignment",
          response=OfferOut, errors=(404, 409))
async def accept_offer(request: web.Request) -> OfferOut:
    return offer_out(await request.app[ALLOCATIONS].accept(principal(request), path_uuid(request)))


@endpoint(roles={"worker"}, tag="allocation", summary="Decline an offer: the seat goes to the next run",
          response=OfferOut, errors=(404, 409))
async def decline_offer(request: web.Request) -> OfferOut:
    return offer_out(await request.app[ALLOCATIONS].decline(principal(request), path_uuid(request)))


class CancelSeatIn(Input):
    model_config = ConfigDict(json_schema_extra={"examples": [{"reason": "家中有事，无法到岗"}]})
    reason: str = Field(min_length=1, max_length=500, description="told to the employer")


class CancelSeatOut(BaseModel):
    assignment_id: uuid.UUID
    state: Literal["cancelled"] = "cancelled"
    late: bool = Field(description="inside the order's late-cancel window: the worker's reliability dropped")
    reliability: int | None = Field(description="the worker's reliability after a late cancellation; null otherwise")


@endpoint(roles={"worker"}, tag="allocation", body=CancelSeatIn, response=CancelSeatOut, errors=(404, 409),
          summary="Give back an assignment before the shift starts: the seat goes to the next run "
                  "(late cancellations lower reliability)")
async def cancel_assignment(request: web.Request, body: CancelSeatIn) -> CancelSeatOut:
    seat = await request.app[ALLOCATIONS].cancel_assignment(principal(request), path_uuid(request), body.reason)
    return CancelSeatOut(assignment_id=seat.assignment_id, late=seat.late, reliability=seat.reliability)


def setup_routes(app: web.Application) -> None:
    app.router.add_post("/v1/orders/{id}/allocate", allocate_order)
    app.router.add_get("/v1/allocation-runs/{id}", get_run)
    app.router.add_get("/v1/workers/me/offers", my_offers)
    app.router.add_get("/v1/orders/{id}/offers", order_offers)
    app.router.add_post("/v1/offers/{id}/accept", accept_offer)
    app.router.add_post("/v1/offers/{id}/decline", decline_offer)
    app.router.add_post("/v1/assignments/{id}/cancel", cancel_assignment)
