"""HTTP of standby (docs/standby.md): a worker goes on call for a shift, lists and withdraws their
standbys; the employer sees a shift's standby seats."""
from __future__ import annotations

import uuid

from aiohttp import web
from pydantic import BaseModel, Field

from market.standby.keys import STANDBY
from market.standby.model import Standby
from market.standby.service import ShiftStandby
from market.web.auth import principal
from market.web.endpoint import endpoint, path_uuid
from market.web.outputs import LocalMoment


class StandbyOut(BaseModel):
    id: uuid.UUID
    shift_id: uuid.UUID
    order_id: uuid.UUID
    worker_id: uuid.UUID
    title: str
    start: LocalMoment
    end: LocalMoment
    amount_fen: int = Field(description="paid at the shift's end if the worker is not called")
    state: str = Field(description="on_call, offered, called, passed, released_paid, withdrawn")
    offer_id: uuid.UUID | None = Field(description="the replacement offer made to this standby, if any")
    created_at: LocalMoment
    ended_at: LocalMoment | None


class StandbyList(BaseModel):
    items: list[StandbyOut] = Field(description="Newest first (at most 200)")


class ShiftStandbyOut(BaseModel):
    shift_id: uuid.UUID
    seats: int = Field(description="standby seats of the shift")
    amount_fen: int | None
    held: int = Field(description="standby seats held now (on call or offered)")
    items: list[StandbyOut] = Field(description="in sign-up order (the order replacement offers follow)")


def standby_out(s: Standby) -> StandbyOut:
    return StandbyOut(id=s.id, shift_id=s.shift_id, order_id=s.order_id, worker_id=s.worker_id, title=s.title,
                      start=s.starts_at, end=s.ends_at, amount_fen=s.amount_fen, state=s.state,
                      offer_id=s.offer_id, created_at=s.created_at,
                      ended_at=s.ended_at)


@endpoint(roles={"worker"}, tag="standby", response=StandbyOut, status=201, errors=(404, 409),
          summary="Go on call for a shift's standby seat (judged as a bid is; the standby pay is held in escrow)")
async def sign_up(request: web.Request) -> StandbyOut:
    return standby_out(await request.app[STANDBY].sign_up(principal(request), path_uuid(request)))


@endpoint(roles={"worker"}, tag="standby", response=StandbyList, summary="Your standbys, newest first")
async def own_standbys(request: web.Request) -> StandbyList:
    return StandbyList(items=[standby_out(s) for s in await request.app[STANDBY].mine(principal(request))])


@endpoint(roles={"worker", "employer"}, tag="standby", response=StandbyOut, errors=(404,),
          summary="A standby: its worker's, or the employer's whose shift it is")
async def get_standby(request: web.Request) -> StandbyOut:
    return standby_out(await request.app[STANDBY].one(principal(request), path_uuid(request)))


@endpoint(roles={"worker"}, tag="standby", response=StandbyOut, errors=(404, 409),
          summary="Withdraw from standby, until the cutoff before the shift starts (MARKET_STANDBY_WITHDRAW_CUTOFF)")
async def withdraw(request: web.Request) -> StandbyOut:
    return standby_out(await request.app[STANDBY].withdraw(principal(request), path_uuid(request)))


@endpoint(roles={"employer"}, tag="standby", response=ShiftStandbyOut, errors=(404,),
          summary="A shift's standby seats and the workers on them (the employer's own shifts)")
async def shift_standby(request: web.Request) -> ShiftStandbyOut:
    found: ShiftStandby = await request.app[STANDBY].of_shift(principal(request), path_uuid(request))
    return ShiftStandbyOut(shift_id=found.shift_id, seats=found.seats, amount_fen=found.amount_fen, held=found.held,
                           items=[standby_out(s) for s in found.standbys])


def setup_routes(app: web.Application) -> None:
    app.router.add_post("/v1/shifts/{id}/standby", sign_up)
    app.router.add_get("/v1/shifts/{id}/standby", shift_standby)
    app.router.add_get("/v1/workers/me/standbys", own_standbys)
    app.router.add_get("/v1/standbys/{id}", get_standby)
    app.router.add_post("/v1/standbys/{id}/withdraw", withdraw)
