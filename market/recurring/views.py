"""HTTP of order templates and recurring orders: parse, call the service, serialise
(docs/recurring-orders.md)."""
from __future__ import annotations

import uuid
from datetime import date as Day, time
from decimal import Decimal
from typing import Any, Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from market.errors import FieldError, ValidationFailed
from market.kernel.clock import SHANGHAI
from market.orders.keys import ORDERS
from market.orders.model import OrderKind, Shift
from market.orders.records import StoredOrder
from market.orders.rules import MAX_HEADCOUNT, MIN_HEADCOUNT
from market.orders.views import (
    GigRelationship,
    LateCancelIn,
    LateCancelOut,
    OrderOut,
    PayIn,
    ShiftIn,
    SiteIn,
    SiteOut,
    SkillRequirementIn,
    order_out,
)
from market.recurring.keys import RECURRING
from market.recurring.model import MAX_EXCEPTIONS, Change, Pattern, Schedule, occurrences
from market.recurring.queries import OccurrenceRow, Series, Template
from market.recurring.service import Decided, schedule_of
from market.web.auth import principal
from market.web.endpoint import endpoint, path_uuid
from market.web.inputs import BodyDate, Input, Moment
from market.web.outputs import Hours, LocalMoment
from market.web.pagination import Page, PageQuery, decode_created_cursor, paginate, request_limit

EMPLOYER = {"employer"}

TERMS_EXAMPLE: dict[str, Any] = {
    "title": "仓库分拣临时工", "description": "每周固定班次", "relationship": "labor_service", "district_code": "500103",
    "site": {"lat": 29.5531, "lon": 106.5688, "address": "渝中区解放碑某仓库", "check_in_radius_m": 500},
    "pay": {"unit": "hour", "amount_fen": 3000}, "skills": [{"skill_code": "warehouse_picking", "min_level": 1}],
}


class TermsIn(Input):
    """A gig order's terms: the body of POST /v1/orders (kind gig) without its dates (shifts and
    bid_deadline), which each posting gives."""
    model_config = ConfigDict(json_schema_extra={"examples": [TERMS_EXAMPLE]})
    title: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=5000)
    relationship: GigRelationship
    district_code: str = Field(max_length=16, description="work district (GET /v1/districts): sets the minimum wage")
    site: SiteIn
    pay: PayIn
    skills: list[SkillRequirementIn] = Field(default_factory=list, max_length=20)
    daily: bool = False
    allocation_mode: Literal["bids", "auto"] = "bids"
    offer_expiry_minutes: int = Field(30, ge=1, le=1440)
    late_cancel: LateCancelIn = Field(default_factory=LateCancelIn)
    sector_code: str | None = Field(None, min_length=1, max_length=64,
                                    description="职业伤害保障 sector (GET /v1/sectors)")


class OrderTermsPayOut(BaseModel):
    unit: str
    amount_fen: int
    stated_hours: Hours | None
    cycle_days: int


class OrderTermsOut(BaseModel):
    """A template's or a series' terms, as TermsIn takes them (output models of their own, so that
    the input ones keep one schema in the OpenAPI document)."""
    title: str
    description: str
    relationship: str
    district_code: str
    site: SiteOut
    pay: OrderTermsPayOut
    skills: list[SkillRequirementIn]
    daily: bool
    allocation_mode: str
    offer_expiry_minutes: int
    late_cancel: LateCancelOut
    sector_code: str | None


def terms_json(terms: TermsIn) -> dict[str, Any]:
    return terms.model_dump(mode="json")


def terms_out(stored: dict[str, Any]) -> OrderTermsOut:
    terms = TermsIn.model_validate(stored, strict=False)
    return OrderTermsOut(
        title=terms.title, description=terms.description, relationship=terms.relationship,
        district_code=terms.district_code, site=SiteOut(**terms.site.model_dump()),
        pay=OrderTermsPayOut(**terms.pay.model_dump()), skills=terms.skills, daily=terms.daily,
        allocation_mode=terms.allocation_mode, offer_expiry_minutes=terms.offer_expiry_minutes,
        late_cancel=LateCancelOut(**terms.late_cancel.model_dump()), sector_code=terms.sector_code)


def terms_of_order(order: StoredOrder) -> dict[str, Any]:
    """The terms of an order the caller owns (a gig order): what a template made from it holds."""
    if order.kind is not OrderKind.gig:
        raise ValidationFailed([FieldError(("from_order_id",), "only a gig order makes a template")])
    terms = TermsIn.model_validate({
        "title": order.title, "description": order.description, "relationship": order.relationship.value,
        "district_code": order.district_code,
        "site": {"lat": order.site.lat, "lon": order.site.lon, "address": order.site.address,
                 "check_in_radius_m": order.site.check_in_radius_m},
        "pay": {"unit": order.pay.unit.value, "amount_fen": order.pay.amount_fen,
                "stated_hours": None if order.pay.stated_hours is None else str(order.pay.stated_hours),
                "cycle_days": order.pay.cycle_days},
        "skills": [{"skill_code": s.skill_code, "min_level": s.min_level,
                    "certificate_required": s.certificate_required} for s in order.skills],
        "daily": order.daily, "allocation_mode": order.allocation_mode.value,
        "offer_expiry_minutes": order.offer_expiry_minutes,
        "late_cancel": {"window_hours": str(Decimal(order.late_cancel_window_minutes) / 60),
                        "compensation_hours": str(Decimal(order.late_cancel_compensation_minutes) / 60)},
        "sector_code": order.sector_code,
    }, strict=False)
    return terms_json(terms)


# ---- templates ----------------------------------------------------------------------------------


class TemplateIn(Input):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"name": "周末分拣班", "terms": TERMS_EXAMPLE},
        {"name": "上次的分拣单", "from_order_id": "5b0e6c4e-2f1a-4c55-9a57-1c1e0c0f5a10"},
    ]})
    name: str = Field(min_length=1, max_length=200)
    terms: TermsIn | None = Field(None, description="the order's terms; or from_order_id")
    from_order_id: uuid.UUID | None = Field(None, description="one of the caller's gig orders, whose terms to keep")


class TemplatePatch(Input):
    model_config = ConfigDict(json_schema_extra={"examples": [{"name": "周末分拣班（新价）"}]})
    name: str | None = Field(None, min_length=1, max_length=200)
    terms: TermsIn | None = Field(None, description="replaces the terms whole")


class TemplateOut(BaseModel):
    id: uuid.UUID
    name: str
    terms: OrderTermsOut
    created_at: LocalMoment
    updated_at: LocalMoment


class TemplatePage(Page[TemplateOut]):
    pass


class TemplateOrderIn(Input):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"shifts": [{"start": "2027-03-06T09:00:00+08:00", "end": "2027-03-06T13:00:00+08:00", "headcount": 3}]}]})
    shifts: list[ShiftIn] = Field(min_length=1, max_length=100)
    bid_deadline: Moment | None = None


def template_out(found: Template) -> TemplateOut:
    return TemplateOut(id=found.id, name=found.name, terms=terms_out(found.terms),
                       created_at=found.created_at, updated_at=found.updated_at)


@endpoint(roles=EMPLOYER, tag="templates", body=TemplateIn, response=TemplateOut, status=201, errors=(404,),
          summary="Save an order's terms as a template: from a body, or from one of the caller's gig orders")
async def create_template(request: web.Request, body: TemplateIn) -> TemplateOut:
    caller = principal(request)
    if (body.terms is None) == (body.from_order_id is None):
        raise ValidationFailed([FieldError(("terms",), "give either terms or from_order_id")])
    if body.from_order_id is not None:
        terms = terms_of_order(await request.app[ORDERS].get(caller, body.from_order_id))
    else:
        assert body.terms is not None
        terms = terms_json(body.terms)
    return template_out(await request.app[RECURRING].create_template(caller, body.name, terms))


@endpoint(roles=EMPLOYER, tag="templates", query=PageQuery, response=TemplatePage,
          summary="The organisation's order templates, newest first")
async def list_templates(request: web.Request, query: PageQuery) -> TemplatePage:
    limit = request_limit(request, query)
    found = await request.app[RECURRING].templates(principal(request), decode_created_cursor(query.cursor),
                                                   limit + 1)
    page, cursor = paginate(found, limit, lambda t: [t.created_at.isoformat(), str(t.id)])
    return TemplatePage(items=[template_out(t) for t in page], next_cursor=cursor)


@endpoint(roles=EMPLOYER, tag="templates", response=TemplateOut, errors=(404,), summary="One order template")
async def get_template(request: web.Request) -> TemplateOut:
    return template_out(await request.app[RECURRING].template(principal(request), path_uuid(request)))


@endpoint(roles=EMPLOYER, tag="templates", body=TemplatePatch, response=TemplateOut, errors=(404,),
          summary="Rename a template or replace its terms (series made from it keep their own copy)")
async def update_template(request: web.Request, body: TemplatePatch) -> TemplateOut:
    updated = await request.app[RECURRING].update_template(
        principal(request), path_uuid(request), name=body.name,
        terms=terms_json(body.terms) if body.terms is not None else None)
    return template_out(updated)


@endpoint(roles=EMPLOYER, tag="templates", status=204, errors=(404,),
          summary="Delete a template (orders and series made from it stay)")
async def delete_template(request: web.Request) -> None:
    await request.app[RECURRING].delete_template(principal(request), path_uuid(request))


@endpoint(roles=EMPLOYER, tag="templates", body=TemplateOrderIn, response=OrderOut, status=201, errors=(404,),
          summary="Post an order of the template's terms on the given shifts (every posting rule applies)")
async def post_from_template(request: web.Request, body: TemplateOrderIn) -> OrderOut:
    shifts = [Shift(s.start, s.end, s.headcount) for s in body.shifts]
    stored = await request.app[RECURRING].post_from_template(principal(request), path_uuid(request), shifts,
                                                             body.bid_deadline)
    return order_out(stored)


# ---- recurring orders ---------------------------------------------------------------------------


class PatternIn(Input):
    # 1–7 is checked by the pattern's own validation (market/recurring/model.py); documented here.
    weekdays: list[int] = Field(min_length=1, max_length=7, description="ISO weekdays, 1 = Monday … 7 = Sunday",
                                json_schema_extra={"items": {"type": "integer", "minimum": 1, "maximum": 7}})
    start_time: time = Field(description="local Chongqing time, e.g. 08:30")
    end_time: time = Field(description="local Chongqing time; at or before start_time: the next day (night shift)")
    headcount: int = Field(ge=MIN_HEADCOUNT, le=MAX_HEADCOUNT, description="1–500 workers")


class ExceptionIn(Input):
    date: BodyDate = Field(description="a date of the pattern")
    skip: bool | None = Field(None, description="no order that day; the default when nothing else is given")
    move_to: BodyDate | None = Field(None, description="the occurrence happens on this day instead")
    start_time: time | None = None
    end_time: time | None = None
    headcount: int | None = Field(None, ge=MIN_HEADCOUNT, le=MAX_HEADCOUNT)

    def to_domain(self) -> Change:
        changed = (self.move_to, self.start_time, self.end_time, self.headcount)
        skip = self.skip if self.skip is not None else all(value is None for value in changed)
        return Change(self.date, skip, self.move_to, self.start_time, self.end_time, self.headcount)


class SeriesIn(Input):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "name": "每周二四分拣", "terms": TERMS_EXAMPLE,
        "pattern": {"weekdays": [2, 4], "start_time": "09:00", "end_time": "13:00", "headcount": 2},
        "start_date": "2027-03-01", "until_date": "2027-05-31",
        "exceptions": [{"date": "2027-03-09"}, {"date": "2027-03-11", "start_time": "10:00", "end_time": "14:00"}],
        "skip_holidays": True,
    }]})
    name: str = Field(min_length=1, max_length=200)
    template_id: uuid.UUID | None = Field(None, description="one of the caller's templates (its terms are copied); "
                                                             "or terms")
    terms: TermsIn | None = None
    pattern: PatternIn
    start_date: BodyDate = Field(description="the first day of the series: today or later, at most 366 days ahead")
    until_date: BodyDate = Field(description="the last day, inclusive: after start_date, at most 366 days after it")
    exceptions: list[ExceptionIn] = Field(default_factory=list, max_length=MAX_EXCEPTIONS)
    skip_holidays: bool = Field(False, description="no order on a day off of China's official holidays (放假)")

    def schedule(self) -> Schedule:
        pattern = Pattern(frozenset(self.pattern.weekdays), self.pattern.start_time, self.pattern.end_time,
                          self.pattern.headcount)
        return Schedule(pattern, self.start_date, self.until_date, tuple(e.to_domain() for e in self.exceptions),
                        self.skip_holidays)


class ExceptionOut(BaseModel):
    date: Day
    skip: bool
    move_to: Day | None
    start_time: time | None
    end_time: time | None
    headcount: int | None


class PatternOut(BaseModel):
    weekdays: list[int]
    start_time: time
    end_time: time
    headcount: int


class SeriesOut(BaseModel):
    id: uuid.UUID
    name: str
    template_id: uuid.UUID | None
    terms: OrderTermsOut
    pattern: PatternOut
    start_date: Day
    until_date: Day
    exceptions: list[ExceptionOut]
    skip_holidays: bool
    state: Literal["active", "paused", "ended"]
    created_at: LocalMoment
    updated_at: LocalMoment
    ended_at: LocalMoment | None


class DecidedOut(BaseModel):
    date: Day
    state: Literal["materialised", "skipped", "refused"]
    order_id: uuid.UUID | None


class SeriesCreatedOut(SeriesOut):
    decided: list[DecidedOut] = Field(description="the occurrences inside the rolling window, decided at creation")


class SeriesPage(Page[SeriesOut]):
    pass


class OccurrenceOut(BaseModel):
    date: Day = Field(description="the pattern's date (the occurrence's key)")
    start: LocalMoment
    end: LocalMoment
    headcount: int
    state: Literal["pending", "materialised", "skipped", "refused"] = Field(
        description="pending: not decided yet (outside the window, or the series is paused)")
    order_id: uuid.UUID | None
    problem: dict[str, Any] | None = Field(description="refused: the posting's problem (type, detail, errors); "
                                                       "skipped: why (exception, holiday)")
    decided_at: LocalMoment | None


class OccurrenceList(BaseModel):
    series_id: uuid.UUID
    state: str
    items: list[OccurrenceOut] = Field(description="every occurrence of the series, by date (at most 367: one page)")


class SeriesStateIn(Input):
    model_config = ConfigDict(json_schema_extra={"examples": [{"state": "paused"}]})
    state: Literal["active", "paused"] = Field(description="pause, or resume; DELETE stops a series for good")


class MaterialisedOut(BaseModel):
    decided: list[DecidedOut]


def series_out(series: Series) -> SeriesOut:
    return SeriesOut(**series_fields(series))


def series_fields(series: Series) -> dict[str, Any]:
    schedule = schedule_of(series)
    return dict(
        id=series.id, name=series.name, template_id=series.template_id, terms=terms_out(series.terms),
        pattern=PatternOut(weekdays=series.weekdays, start_time=series.start_time, end_time=series.end_time,
                           headcount=series.headcount),
        start_date=series.start_date, until_date=series.until_date,
        exceptions=[ExceptionOut(date=c.on, skip=c.skip, move_to=c.move_to, start_time=c.start_time,
                                 end_time=c.end_time, headcount=c.headcount) for c in schedule.exceptions],
        skip_holidays=series.skip_holidays, state=series.state, created_at=series.created_at,
        updated_at=series.updated_at, ended_at=series.ended_at)


def decided_out(decided: list[Decided]) -> list[DecidedOut]:
    return [DecidedOut(date=d.on, state=d.state, order_id=d.order_id) for d in decided]


@endpoint(roles=EMPLOYER, tag="recurring", body=SeriesIn, response=SeriesCreatedOut, status=201,
          summary="Post a recurring order: a weekly pattern with exceptions until a date; the occurrences inside "
                  "the rolling window become orders at once, the later ones as the window reaches them")
async def create_series(request: web.Request, body: SeriesIn) -> SeriesCreatedOut:
    series, decided = await request.app[RECURRING].create_series(
        principal(request), name=body.name, template_id=body.template_id,
        terms=terms_json(body.terms) if body.terms is not None else None, schedule=body.schedule())
    return SeriesCreatedOut(**series_fields(series), decided=decided_out(decided))


@endpoint(roles=EMPLOYER, tag="recurring", query=PageQuery, response=SeriesPage,
          summary="The organisation's recurring orders, newest first")
async def list_series(request: web.Request, query: PageQuery) -> SeriesPage:
    limit = request_limit(request, query)
    found = await request.app[RECURRING].series_page(principal(request), decode_created_cursor(query.cursor),
                                                     limit + 1)
    page, cursor = paginate(found, limit, lambda s: [s.created_at.isoformat(), str(s.id)])
    return SeriesPage(items=[series_out(s) for s in page], next_cursor=cursor)


@endpoint(roles=EMPLOYER, tag="recurring", response=SeriesOut, errors=(404,), summary="One recurring order")
async def get_series(request: web.Request) -> SeriesOut:
    return series_out(await request.app[RECURRING].series(principal(request), path_uuid(request)))


@endpoint(roles=EMPLOYER, tag="recurring", response=OccurrenceList, errors=(404,),
          summary="The occurrences of a recurring order: materialised (its order), skipped, refused (the rule "
                  "and why), or pending")
async def series_occurrences(request: web.Request) -> OccurrenceList:
    series, rows = await request.app[RECURRING].occurrences(principal(request), path_uuid(request))
    return OccurrenceList(series_id=series.id, state=series.state, items=occurrence_items(series, rows))


def occurrence_items(series: Series, rows: list[OccurrenceRow]) -> list[OccurrenceOut]:
    decided = {row.occurrence_date: row for row in rows}
    items = []
    for occurrence in occurrences(schedule_of(series)):
        row = decided.get(occurrence.on)
        items.append(OccurrenceOut(
            date=occurrence.on, start=occurrence.start.astimezone(SHANGHAI), end=occurrence.end.astimezone(SHANGHAI),
            headcount=occurrence.headcount, state=row.state if row else "pending",
            order_id=row.order_id if row else None, problem=row.problem if row else None,
            decided_at=row.decided_at if row else None))
    return items


@endpoint(roles=EMPLOYER, tag="recurring", body=SeriesStateIn, response=SeriesOut, errors=(404, 409),
          summary="Pause or resume a recurring order (an ended one is a 409)")
async def patch_series(request: web.Request, body: SeriesStateIn) -> SeriesOut:
    return series_out(await request.app[RECURRING].set_state(principal(request), path_uuid(request), body.state))


@endpoint(roles=EMPLOYER, tag="recurring", response=SeriesOut, errors=(404,),
          summary="Stop a recurring order for good: no further occurrence is posted; orders already posted stay "
                  "(cancel them as any order)")
async def stop_series(request: web.Request) -> SeriesOut:
    return series_out(await request.app[RECURRING].set_state(principal(request), path_uuid(request), "ended"))


@endpoint(roles=EMPLOYER, tag="recurring", response=MaterialisedOut, errors=(404,),
          summary="Decide now the occurrences inside the rolling window not decided yet (what the sweep does)")
async def materialise_series(request: web.Request) -> MaterialisedOut:
    decided = await request.app[RECURRING].materialise_own(principal(request), path_uuid(request))
    return MaterialisedOut(decided=decided_out(decided))


def setup_routes(app: web.Application) -> None:
    app.router.add_post("/v1/order-templates", create_template)
    app.router.add_get("/v1/order-templates", list_templates)
    app.router.add_get("/v1/order-templates/{id}", get_template)
    app.router.add_patch("/v1/order-templates/{id}", update_template)
    app.router.add_delete("/v1/order-templates/{id}", delete_template)
    app.router.add_post("/v1/order-templates/{id}/orders", post_from_template)
    app.router.add_post("/v1/recurring-orders", create_series)
    app.router.add_get("/v1/recurring-orders", list_series)
    app.router.add_get("/v1/recurring-orders/{id}", get_series)
    app.router.add_patch("/v1/recurring-orders/{id}", patch_series)
    app.router.add_delete("/v1/recurring-orders/{id}", stop_series)
    app.router.add_get("/v1/recurring-orders/{id}/occurrences", series_occurrences)
    app.router.add_post("/v1/recurring-orders/{id}/materialise", materialise_series)
