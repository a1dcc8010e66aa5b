"""HTTP of favourites and blocks (the employer's), hidden employers (the worker's), an order's
pool and "book again" (docs/favourites.md)."""
from __future__ import annotations

import uuid
from typing import Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from market.favourites.keys import FAVOURITES
from market.favourites.model import HiddenEmployer, Relation, RelationKind
from market.orders import model as order_model
from market.orders.pool import MAX_POOL_MINUTES
from market.orders.views import OrderOut, ShiftIn, order_out
from market.web.auth import principal
from market.web.endpoint import endpoint, path_uuid
from market.web.inputs import Input, Moment
from market.web.outputs import LocalMoment
from market.web.pagination import Page, PageQuery, decode_created_cursor, paginate, request_limit


class RelationIn(Input):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"kind": "favourite", "reason": "准时、分拣又快"},
        {"kind": "blocked", "reason": "两次无故缺勤"},
    ]})
    kind: Literal["favourite", "blocked"] = Field(description=(
        "favourite: in the pool of your favourites-first orders, and preferred by allocation; blocked: never sees "
        "your orders, cannot bid on them, never allocated to them (live bids and pending offers end now)"))
    reason: str = Field("", max_length=500, description="your own note; the worker never sees it")


class RelationOut(BaseModel):
    worker_id: uuid.UUID
    worker_name: str
    kind: Literal["favourite", "blocked"]
    reason: str = Field(description="the employer's private note")
    created_at: LocalMoment
    updated_at: LocalMoment


class RelationPage(Page[RelationOut]):
    pass


class RelationQuery(PageQuery):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["favourite", "blocked"] | None = Field(None, description="only favourites, or only blocks")


class HiddenEmployerOut(BaseModel):
    organisation_id: uuid.UUID
    name: str
    created_at: LocalMoment


class HiddenEmployerPage(Page[HiddenEmployerOut]):
    pass


class HiddenQuery(PageQuery):
    model_config = ConfigDict(extra="forbid")


class PoolMemberOut(BaseModel):
    worker_id: uuid.UUID
    source: Literal["favourite", "book_again", "agency"]


class OrderPoolOut(BaseModel):
    order_id: uuid.UUID
    pool_until: LocalMoment | None = Field(description="end of the favourites-first window; null: none")
    members: list[PoolMemberOut]


class BookAgainIn(Input):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"shifts": [{"start": "2027-03-08T09:00:00+08:00", "end": "2027-03-08T13:00:00+08:00", "headcount": 3}],
         "pool_minutes": 60},
    ]})
    shifts: list[ShiftIn] = Field(min_length=1, max_length=100, description="the new dates; every posting rule "
                                                                             "applies on them")
    pool_minutes: int = Field(60, ge=1, le=MAX_POOL_MINUTES, description=(
        "how long the workers of the original order (and, if asked, your favourites) see it first"))
    include_favourites: bool = Field(False, description="your favourites join the pool too")
    bid_deadline: Moment | None = None


class BookAgainOut(BaseModel):
    order: OrderOut
    pool: OrderPoolOut


def relation_out(r: Relation) -> RelationOut:
    return RelationOut(worker_id=r.worker_id, worker_name=r.worker_name, kind=r.kind.value, reason=r.reason,
                       created_at=r.created_at, updated_at=r.updated_at)


def hidden_out(h: HiddenEmployer) -> HiddenEmployerOut:
    return HiddenEmployerOut(organisation_id=h.organisation_id, name=h.name, created_at=h.created_at)


def pool_out(order_id: uuid.UUID, pool_until, members: list[tuple[uuid.UUID, str]]) -> OrderPoolOut:
    return OrderPoolOut(order_id=order_id, pool_until=pool_until,
                        members=[PoolMemberOut(worker_id=w, source=s) for w, s in members])


@endpoint(roles={"employer"}, tag="favourites", body=RelationIn, response=RelationOut, errors=(404,),
          summary="Mark a worker who bid on, was offered or worked your orders as a favourite, or block them (one "
                  "relation per worker; the reason stays yours)")
async def put_relation(request: web.Request, body: RelationIn) -> RelationOut:
    found = await request.app[FAVOURITES].set_relation(principal(request), path_uuid(request, "worker_id"),
                                                      RelationKind(body.kind), body.reason)
    return relation_out(found)


@endpoint(roles={"employer"}, tag="favourites", response=RelationOut, errors=(404,),
          summary="Your relation to a worker (favourite or blocked)")
async def get_relation(request: web.Request) -> RelationOut:
    return relation_out(await request.app[FAVOURITES].relation(principal(request), path_uuid(request, "worker_id")))


@endpoint(roles={"employer"}, tag="favourites", errors=(404,), status=204,
          summary="Clear a favourite or a block (the worker is then like anyone else)")
async def delete_relation(request: web.Request) -> None:
    await request.app[FAVOURITES].clear_relation(principal(request), path_uuid(request, "worker_id"))


@endpoint(roles={"employer"}, tag="favourites", query=RelationQuery, response=RelationPage,
          summary="Your favourites and blocks, newest first")
async def list_relations(request: web.Request, query: RelationQuery) -> RelationPage:
    limit = request_limit(request, query)
    rows = await request.app[FAVOURITES].relations(principal(request), RelationKind(query.kind) if query.kind else None,
                                                   decode_created_cursor(query.cursor), limit + 1)
    page, cursor = paginate(rows, limit, lambda r: [r.created_at.isoformat(), str(r.worker_id)])
    return RelationPage(items=[relation_out(r) for r in page], next_cursor=cursor)


@endpoint(roles={"worker"}, tag="favourites", response=HiddenEmployerOut, errors=(404,),
          summary="Hide an employer: you no longer see its orders, bid on them or are allocated to them")
async def hide_employer(request: web.Request) -> HiddenEmployerOut:
    return hidden_out(await request.app[FAVOURITES].hide(principal(request), path_uuid(request, "organisation_id")))


@endpoint(roles={"worker"}, tag="favourites", status=204, errors=(404,), summary="Show a hidden employer's orders again")
async def unhide_employer(request: web.Request) -> None:
    await request.app[FAVOURITES].unhide(principal(request), path_uuid(request, "organisation_id"))


@endpoint(roles={"worker"}, tag="favourites", query=HiddenQuery, response=HiddenEmployerPage,
          summary="The employers you have hidden, newest first")
async def list_hidden(request: web.Request, query: HiddenQuery) -> HiddenEmployerPage:
    limit = request_limit(request, query)
    rows = await request.app[FAVOURITES].hidden(principal(request), decode_created_cursor(query.cursor), limit + 1)
    page, cursor = paginate(rows, limit, lambda h: [h.created_at.isoformat(), str(h.organisation_id)])
    return HiddenEmployerPage(items=[hidden_out(h) for h in page], next_cursor=cursor)


@endpoint(roles={"employer"}, tag="favourites", response=OrderPoolOut, errors=(404,),
          summary="An order's private pool: who sees it first, from where, and until when")
async def get_pool(request: web.Request) -> OrderPoolOut:
    order, members = await request.app[FAVOURITES].pool_of(principal(request), path_uuid(request))
    return pool_out(order.id, order.pool_until, members)


@endpoint(roles={"employer"}, tag="favourites", body=BookAgainIn, response=BookAgainOut, status=201,
          errors=(404, 409),
          summary="Book again: post a past gig order's terms on new shifts, its workers offered them first")
async def book_again(request: web.Request, body: BookAgainIn) -> BookAgainOut:
    shifts = [order_model.Shift(s.start, s.end, s.headcount) for s in body.shifts]
    order, members = await request.app[FAVOURITES].book_again(
        principal(request), path_uuid(request), shifts, pool_minutes=body.pool_minutes,
        include_favourites=body.include_favourites, bid_deadline=body.bid_deadline)
    return BookAgainOut(order=order_out(order), pool=pool_out(order.id, order.pool_until, members))


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/v1/organisations/me/workers", list_relations)
    app.router.add_put("/v1/organisations/me/workers/{worker_id}/relation", put_relation)
    app.router.add_get("/v1/organisations/me/workers/{worker_id}/relation", get_relation)
    app.router.add_delete("/v1/organisations/me/workers/{worker_id}/relation", delete_relation)
    app.router.add_get("/v1/workers/me/hidden-employers", list_hidden)
    app.router.add_put("/v1/workers/me/hidden-employers/{organisation_id}", hide_employer)
    app.router.add_delete("/v1/workers/me/hidden-employers/{organisation_id}", unhide_employer)
    app.router.add_get("/v1/orders/{id}/pool", get_pool)
    app.router.add_post("/v1/orders/{id}/book-again", book_again)
