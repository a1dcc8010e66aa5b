"""HTTP of agencies (docs/agencies.md): licences and their review, mandates, the agency's pool and fees."""
from __future__ import annotations

import uuid
from datetime import date
from typing import Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from market.errors import FieldError, ValidationFailed
from market.kernel.relationships import DISPATCH_REFUSAL, DISPATCH_VALUES
from market.organisations.agencies import FeeLine, NewLicence, NewMandate, supervision_rows
from market.organisations.agency_records import Licence, Mandate
from market.organisations.keys import AGENCIES
from market.web.auth import principal
from market.web.endpoint import endpoint, path_uuid
from market.web.pagination import PageQuery, decode_created_cursor, paginate, request_limit
from market.web.inputs import BodyDate, Input, QueryDate
from market.web.outputs import LocalMoment


class LicenceIn(Input):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"kind": "hr_service", "number": "渝人服证字〔2021〕第0103001号", "issuing_bureau": "重庆市渝中区人力资源和社会保障局",
         "scope": "职业中介、人力资源外包、人力资源管理咨询", "valid_from": "2021-03-01", "valid_until": "2031-02-28"},
    ]})
    kind: Literal["hr_service", "labor_dispatch"] = Field(description=(
        "hr_service: 人力资源服务许可证; labor_dispatch: 劳务派遣经营许可证 (recorded; this market does no dispatch)"))
    number: str = Field(min_length=6, max_length=64, description="As printed, or the electronic licence's number "
                                                                 "(docs/agencies.md)")
    issuing_bureau: str = Field(min_length=1, max_length=200, description="发证机关")
    scope: str = Field(min_length=1, max_length=1000, description="许可范围 / 服务范围, as printed")
    valid_from: BodyDate
    valid_until: BodyDate


class LicenceOut(BaseModel):
    id: uuid.UUID
    organisation_id: uuid.UUID
    kind: str
    number: str
    issuing_bureau: str
    scope: str
    valid_from: date
    valid_until: date
    state: str = Field(description="pending, verified or rejected")
    reviewed_at: LocalMoment | None
    reject_reason: str | None
    created_at: LocalMoment


class LicenceList(BaseModel):
    items: list[LicenceOut]


class ReviewIn(Input):
    model_config = ConfigDict(json_schema_extra={"examples": [{"decision": "reject", "reason": "证号与证书不符"}]})
    decision: Literal["verify", "reject"]
    reason: str | None = Field(None, min_length=1, max_length=500, description="Needed to reject")


class MandateIn(Input):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"agency_organisation_id": "0b3c1c55-8f5e-4a8e-9d8e-5f0a3d7c2b11", "scope": ["post_orders", "manage_orders"],
         "budget_fen": 5000000, "valid_from": "2026-12-01", "valid_until": "2027-05-31",
         "fee_per_placement_fen": 2000, "fee_rate_bp": 0},
    ]})
    agency_organisation_id: uuid.UUID
    scope: list[Literal["post_orders", "manage_orders", "approve_timesheets"]] = Field(min_length=1, max_length=3)
    budget_fen: int = Field(gt=0, le=10**12, description="The most the orders posted under it may cost, fen")
    valid_from: BodyDate
    valid_until: BodyDate
    fee_per_placement_fen: int = Field(0, ge=0, le=10**8, description="The agency's fee per settled placement, fen")
    fee_rate_bp: int = Field(0, ge=0, le=5000, description="…and/or a rate of the worker's gross, basis points")
    relationship: str | None = Field(None, description="Refused when 'dispatch': this market does no 劳务派遣")


class MandateOut(BaseModel):
    id: uuid.UUID
    client_organisation_id: uuid.UUID
    agency_organisation_id: uuid.UUID
    scope: list[str]
    budget_fen: int
    committed_fen: int = Field(description="What the orders posted under it may cost, fen, committed so far")
    valid_from: date
    valid_until: date
    fee_per_placement_fen: int
    fee_rate_bp: int
    state: str
    created_at: LocalMoment
    revoked_at: LocalMoment | None


class MandateList(BaseModel):
    items: list[MandateOut]


class PoolOut(BaseModel):
    worker_ids: list[uuid.UUID]


class AgencyFigures(BaseModel):
    agency_organisation_id: uuid.UUID
    name: str
    district_code: str
    placements: int = Field(description="帮助实现就业或流动 人次: distinct worker-placements on its orders here")
    seats: int
    filled: int
    fill_rate: float | None = Field(description="filled / seats; null without seats")
    complaints: int = Field(description="cases raised on its orders here")
    open_arrears: int
    open_arrears_fen: int


class AgencyFiguresList(BaseModel):
    items: list[AgencyFigures]


class FeeQuery(PageQuery):
    model_config = ConfigDict(populate_by_name=True)
    from_date: QueryDate | None = Field(None, alias="from", description="fees posted on or after this day (Beijing)")
    to_date: QueryDate | None = Field(None, alias="to", description="fees posted on or before this day (Beijing)")


class FeeLineOut(BaseModel):
    id: uuid.UUID = Field(description="the fee's payable")
    order_id: uuid.UUID
    client_organisation_id: uuid.UUID
    client_name: str = Field(description="the client organisation the placement was made for")
    assignment_id: uuid.UUID
    fee_fen: int = Field(description="the service fee, fen")
    posted_at: LocalMoment = Field(description="when the fee was posted to the agency's account")
    payout_id: uuid.UUID | None = Field(description="the payout that pays it; null while in none")
    payout_state: Literal["outstanding", "pending", "paid"] = Field(description=(
        "outstanding: in no payout yet; pending: in a payout batch the bank has not confirmed; paid: confirmed"))
    paid_at: LocalMoment | None = Field(description="when the bank confirmed its payout")


class FeeTotalsOut(BaseModel):
    posted_fen: int = Field(description="every fee posted in the period")
    paid_fen: int = Field(description="…of which the bank confirmed paid")
    outstanding_fen: int = Field(description="posted − paid")


class FeePage(BaseModel):
    items: list[FeeLineOut]
    next_cursor: str | None = Field(description="pass as ?cursor= for the next page; null on the last page")
    totals: FeeTotalsOut = Field(description="of the whole period, not only this page")


def fee_line_out(line: FeeLine) -> FeeLineOut:
    return FeeLineOut(**{k: getattr(line, k) for k in FeeLineOut.model_fields})


def licence_out(row: Licence) -> LicenceOut:
    return LicenceOut(**{k: getattr(row, k) for k in LicenceOut.model_fields})


def mandate_out(row: Mandate) -> MandateOut:
    return MandateOut(**{k: (list(row.scope) if k == "scope" else getattr(row, k)) for k in MandateOut.model_fields})


@endpoint(roles={"employer"}, tag="agencies", summary="An owner records its licence: the organisation is an agency",
          body=LicenceIn, response=LicenceOut, status=201, errors=(403,))
async def submit_licence(request: web.Request, body: LicenceIn) -> LicenceOut:
    new = NewLicence(body.kind, body.number, body.issuing_bureau, body.scope, body.valid_from, body.valid_until)
    return licence_out(await request.app[AGENCIES].submit_licence(principal(request), new))


@endpoint(roles={"employer"}, tag="agencies", summary="The caller's agency licences and their review",
          response=LicenceList)
async def own_licences(request: web.Request) -> LicenceList:
    return LicenceList(items=[licence_out(r) for r in await request.app[AGENCIES].own_licences(principal(request))])


@endpoint(roles={"admin"}, tag="agencies", summary="Agency licences waiting for the operator's review",
          response=LicenceList)
async def licence_queue(request: web.Request) -> LicenceList:
    return LicenceList(items=[licence_out(r) for r in await request.app[AGENCIES].licence_queue()])


@endpoint(roles={"admin"}, tag="agencies", summary="The operator verifies or rejects (with a reason) a licence",
          body=ReviewIn, response=LicenceOut, errors=(404, 409))
async def review_licence(request: web.Request, body: ReviewIn) -> LicenceOut:
    return licence_out(await request.app[AGENCIES].review_licence(
        principal(request), path_uuid(request), body.decision == "verify", body.reason))


@endpoint(roles={"employer"}, tag="agencies", summary="A client's owner grants an agency a mandate", body=MandateIn,
          response=MandateOut, status=201, errors=(403,))
async def grant_mandate(request: web.Request, body: MandateIn) -> MandateOut:
    if body.relationship is not None and body.relationship in DISPATCH_VALUES:
        raise ValidationFailed([FieldError(("relationship",), DISPATCH_REFUSAL)])
    new = NewMandate(body.agency_organisation_id, tuple(body.scope), body.budget_fen, body.valid_from,
                     body.valid_until, body.fee_per_placement_fen, body.fee_rate_bp)
    return mandate_out(await request.app[AGENCIES].grant_mandate(principal(request), new))


@endpoint(roles={"employer"}, tag="agencies", summary="Mandates the caller granted or holds", response=MandateList)
async def list_mandates(request: web.Request) -> MandateList:
    return MandateList(items=[mandate_out(r) for r in await request.app[AGENCIES].mandates(principal(request))])


@endpoint(roles={"employer"}, tag="agencies", summary="The client revokes a mandate", response=MandateOut,
          errors=(404, 409))
async def revoke_mandate(request: web.Request) -> MandateOut:
    return mandate_out(await request.app[AGENCIES].revoke_mandate(principal(request), path_uuid(request)))


@endpoint(roles={"worker"}, tag="agencies", summary="A worker joins an agency's own pool (this call is the consent)",
          status=204, errors=(404,))
async def join_pool(request: web.Request) -> None:
    await request.app[AGENCIES].join_pool(principal(request), path_uuid(request))


@endpoint(roles={"worker"}, tag="agencies", summary="A worker leaves an agency's pool", status=204, errors=(404,))
async def leave_pool(request: web.Request) -> None:
    await request.app[AGENCIES].leave_pool(principal(request), path_uuid(request))


@endpoint(roles={"employer"}, tag="agencies", summary="The workers of the caller's agency pool", response=PoolOut)
async def own_pool(request: web.Request) -> PoolOut:
    return PoolOut(worker_ids=await request.app[AGENCIES].pool_workers(principal(request)))


@endpoint(roles={"employer"}, tag="agencies", summary="The agency's service fees, with their payout, and totals",
          query=FeeQuery, response=FeePage, errors=(403,))
async def own_fees(request: web.Request, query: FeeQuery) -> FeePage:
    if query.from_date is not None and query.to_date is not None and query.to_date < query.from_date:
        raise ValidationFailed([FieldError(("query", "to"), "to precedes from")])
    limit = request_limit(request, query)
    lines, totals = await request.app[AGENCIES].fees(principal(request), query.from_date, query.to_date,
                                                      decode_created_cursor(query.cursor), limit + 1)
    page, cursor = paginate(lines, limit, lambda f: [f.posted_at.isoformat(), str(f.id)])
    return FeePage(items=[fee_line_out(f) for f in page], next_cursor=cursor,
                   totals=FeeTotalsOut(posted_fen=totals.posted_fen, paid_fen=totals.paid_fen,
                                       outstanding_fen=totals.outstanding_fen))


@endpoint(roles={"supervisor"}, tag="supervision",
          summary="Per agency in the caller's districts: placements, fill rate, complaints, arrears",
          response=AgencyFiguresList)
async def supervision_agencies(request: web.Request) -> AgencyFiguresList:
    rows = await supervision_rows(request.app[AGENCIES].pool, principal(request))
    return AgencyFiguresList(items=[AgencyFigures(
        **{k: r[k] for k in ("agency_organisation_id", "name", "district_code", "placements", "seats", "filled",
                             "complaints", "open_arrears", "open_arrears_fen")},
        fill_rate=round(r["filled"] / r["seats"], 4) if r["seats"] else None) for r in rows])


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/v1/supervision/agencies", supervision_agencies)
    app.router.add_post("/v1/agencies/me/licences", submit_licence)
    app.router.add_get("/v1/agencies/me/licences", own_licences)
    app.router.add_get("/v1/agencies/me/pool", own_pool)
    app.router.add_get("/v1/agencies/me/fees", own_fees)
    app.router.add_post("/v1/agencies/{id}/pool", join_pool)
    app.router.add_delete("/v1/agencies/{id}/pool", leave_pool)
    app.router.add_get("/v1/admin/agency-licences", licence_queue)
    app.router.add_post("/v1/admin/agency-licences/{id}/review", review_licence)
    app.router.add_post("/v1/mandates", grant_mandate)
    app.router.add_get("/v1/mandates", list_mandates)
    app.router.add_post("/v1/mandates/{id}/revoke", revoke_mandate)
