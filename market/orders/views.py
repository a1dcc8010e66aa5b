"""HTTP for orders, bids, consents and agreements: parse, call the service, serialise."""
from __future__ import annotations

import uuid
from datetime import date, datetime, time
from decimal import Decimal
from typing import Annotated, Any, Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Discriminator, Field, RootModel, Tag

from market.errors import FieldError, ValidationFailed
from market.kernel.clock import SHANGHAI
from market.kernel.relationships import RelationshipType
from market.orders import model
from market.orders.rules import MAX_HEADCOUNT, MAX_PAY_CYCLE_DAYS, MIN_HEADCOUNT
from market.orders.records import Agreement, StoredBid, StoredConsent, StoredOrder, StoredSharedBid
from market.orders.service import NamedEmployee, PostingOptions
from market.web.auth import principal
from market.web.endpoint import endpoint, path_uuid
from market.web.inputs import BodyDate, Input, Latitude, Longitude, Moment, QueryDate, RateFen, StatedHours
from market.web.keys import ORDERS
from market.web.outputs import Hours, LocalMoment
from market.web.pagination import (
    PageQuery, decode_created_cursor, decode_cursor, encode_cursor, paginate, request_limit,
)

GigRelationship = Literal["labor_part_time", "incomplete_labor", "labor_service"]


class SiteIn(Input):
    lat: Latitude = Field(description="WGS-84 latitude of the work site")
    lon: Longitude
    address: str = Field("", max_length=300)
    check_in_radius_m: int = Field(500, ge=10, le=10000, description="check-in is refused farther than this")


class ShiftIn(Input):
    start: Moment = Field(description="RFC 3339 with a time zone, e.g. 2026-12-01T08:00:00+08:00; in the future "
                                      "and at most 366 days ahead")
    end: Moment
    headcount: int = Field(ge=MIN_HEADCOUNT, le=MAX_HEADCOUNT, description="1–500 workers")


class PayIn(Input):
    unit: Literal["hour", "day", "piece"]
    amount_fen: RateFen = Field(description="pay per unit in fen (分), at most ¥100,000")
    stated_hours: StatedHours | None = Field(None, description="hours one day / one piece stands for (day, piece "
                                                               "pay): 0.01–24, at most 2 decimals")
    cycle_days: int = Field(7, ge=1, le=MAX_PAY_CYCLE_DAYS, description="paid at least every N days, 1–31 "
                                                                        "(part-time: ≤ 15)")


class SkillRequirementIn(Input):
    skill_code: str = Field(min_length=1, max_length=64)
    min_level: int = Field(1, ge=1, le=5, description="1–5")
    certificate_required: bool = False


class LateCancelIn(Input):
    window_hours: Decimal = Field(Decimal(24), ge=0, le=168, decimal_places=2, allow_inf_nan=False,
                                  description="hours before a shift, 0–168")
    compensation_hours: Decimal = Field(Decimal(4), ge=0, le=24, decimal_places=2, allow_inf_nan=False,
                                        description="hours of pay per cancelled seat, 0–24")


class LateCancelOut(BaseModel):
    window_hours: Hours
    compensation_hours: Hours


class OrderCommon(Input):
    title: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=5000)
    district_code: str = Field(max_length=16, description="work district (GET /v1/districts): sets the minimum wage")
    site: SiteIn
    skills: list[SkillRequirementIn] = Field(default_factory=list, max_length=20)
    allocation_mode: Literal["bids", "auto"] = "bids"
    bid_deadline: Moment | None = None
    offer_expiry_minutes: int = Field(30, ge=1, le=1440)
    late_cancel: LateCancelIn = Field(default_factory=LateCancelIn)


class GigOrderIn(OrderCommon):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {
            "kind": "gig", "title": "仓库分拣临时工", "description": "双十二高峰分拣打包",
            "relationship": "labor_service", "district_code": "500103",
            "site": {"lat": 29.5531, "lon": 106.5688, "address": "渝中区解放碑某仓库", "check_in_radius_m": 500},
            "shifts": [{"start": "2027-03-01T09:00:00+08:00", "end": "2027-03-01T13:00:00+08:00", "headcount": 3}],
            "pay": {"unit": "hour", "amount_fen": 3000},
            "skills": [{"skill_code": "warehouse_picking", "min_level": 1}],
            "late_cancel": {"window_hours": 24, "compensation_hours": 4},
        },
    ]})
    kind: Literal["gig"]
    relationship: GigRelationship
    shifts: list[ShiftIn] = Field(min_length=1, max_length=100)
    pay: PayIn
    daily: bool = Field(False, description="the work repeats daily (part-time: each shift ≤ 4 h)")


class ScheduleIn(Input):
    start_date: BodyDate = Field(description="the first day of the loan: in the future, at most 366 days ahead")
    end_date: BodyDate = Field(description="the last day, inclusive: at most 366 days after start_date")
    daily_start: time = Field(description="local Chongqing time, e.g. 08:30")
    daily_end: time
    weekdays: list[Annotated[int, Field(ge=1, le=7)]] = Field(default_factory=lambda: [1, 2, 3, 4, 5, 6, 7],
                                                              max_length=7, description="ISO weekdays, 1 = Monday")


class SharedOrderIn(OrderCommon):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {
            "kind": "shared", "title": "借调分拣员（共享用工）", "district_code": "500106",
            "site": {"lat": 29.541, "lon": 106.4542, "address": "沙坪坝区某物流园"},
            "schedule": {
                "start_date": "2027-03-01", "end_date": "2027-03-05", "daily_start": "09:00",
                "daily_end": "17:00", "weekdays": [1, 2, 3, 4, 5],
            },
            "headcount": 2, "fee_per_worker_day_fen": 30000,
        },
    ]})
    kind: Literal["shared"]
    relationship: Literal["shared_labor"] = "shared_labor"
    schedule: ScheduleIn
    headcount: int = Field(ge=MIN_HEADCOUNT, le=MAX_HEADCOUNT, description="1–500 workers")
    fee_per_worker_day_fen: RateFen = Field(description="paid by the borrower to the lender per worker and working "
                                                        "day, fen, at most ¥100,000")


class OrderIn(RootModel[Annotated[GigOrderIn | SharedOrderIn, Field(discriminator="kind")]]):
    pass


class SiteOut(BaseModel):
    lat: float
    lon: float
    address: str
    check_in_radius_m: int


class ShiftOut(BaseModel):
    id: uuid.UUID
    start: LocalMoment
    end: LocalMoment
    headcount: int
    filled: int
    open: bool


class PayOut(BaseModel):
    unit: str
    amount_fen: int
    stated_hours: Hours | None
    cycle_days: int
    hourly_equivalent_fen: int = Field(description="day/piece pay over its stated hours, rounded half-up")


class ScheduleOut(BaseModel):
    start_date: date
    end_date: date
    daily_start: time
    daily_end: time


class OrderOut(BaseModel):
    id: uuid.UUID
    kind: str
    state: str
    title: str
    description: str
    district_code: str
    site: SiteOut
    relationship: str
    pay: PayOut
    skills: list[SkillRequirementIn]
    daily: bool
    allocation_mode: str
    bid_deadline: LocalMoment | None
    offer_expiry_minutes: int
    late_cancel: LateCancelOut
    below_minimum_wage: bool = Field(description="labor_service pay below the minimum wage: allowed, shown to supervisors")
    schedule: ScheduleOut | None
    fee_per_worker_day_fen: int | None
    seats: int
    filled: int
    live_bids: int
    shifts: list[ShiftOut]
    created_at: LocalMoment
    cancelled_at: LocalMoment | None
    cancel_reason: str | None


class OrderPage(BaseModel):
    items: list[OrderOut]
    next_cursor: str | None


class OrderListQuery(PageQuery):
    model_config = ConfigDict(populate_by_name=True)
    state: Literal["draft", "open", "allocating", "filled", "in_progress", "completed", "settled", "cancelled",
                   "expired"] | None = None
    kind: Literal["gig", "shared"] | None = None
    from_date: QueryDate | None = Field(None, alias="from", description="orders with a shift on or after this date")
    to_date: QueryDate | None = Field(None, alias="to", description="orders with a shift on or before this date")


class CancelIn(Input):
    model_config = ConfigDict(json_schema_extra={"examples": [{"reason": "客户取消了这批订单"}]})
    reason: str = Field(min_length=1, max_length=500)


class CancelOut(BaseModel):
    order: OrderOut
    compensation_total_fen: int = Field(description="owed to workers whose seats were cancelled late")


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


class ConsentList(BaseModel):
    items: list[ConsentOut]


class AgreementOut(BaseModel):
    id: uuid.UUID
    consent_id: uuid.UUID
    order_id: uuid.UUID
    borrower_id: uuid.UUID
    lender_id: uuid.UUID
    worker_id: uuid.UUID
    terms: dict[str, Any] = Field(description="place, job, hours, pay, period, and the three parties")
    created_at: LocalMoment


class ConsentDecision(BaseModel):
    consent: ConsentOut
    agreement: AgreementOut | None


class AgreementList(BaseModel):
    items: list[AgreementOut]


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
    has_live_bid: bool = Field(description="the worker already has a live bid on this shift")
    score: int = Field(description="ranking score 0–10000: pay, distance, start time, skill fit (docs/feed.md)")


class FeedPage(BaseModel):
    items: list[FeedItem]
    next_cursor: str | None


# ---- conversions ----------------------------------------------------------------------------------


def local(moment: datetime | None) -> datetime | None:
    """Times leave the API in Chongqing's offset (+08:00): the same instant, as people read it."""
    return moment.astimezone(SHANGHAI) if moment is not None else None


def to_domain(body: GigOrderIn | SharedOrderIn, organisation_id: uuid.UUID) -> model.Order:
    site = model.Site(body.site.lat, body.site.lon, body.site.address, body.site.check_in_radius_m)
    skills = tuple(model.SkillRequirement(s.skill_code, s.min_level, s.certificate_required) for s in body.skills)
    late_cancel = model.LateCancelPolicy(body.late_cancel.window_hours, body.late_cancel.compensation_hours)
    common = dict(title=body.title, district_code=body.district_code, site=site, skills=skills,
                  description=body.description, allocation_mode=model.AllocationMode(body.allocation_mode),
                  bid_deadline=body.bid_deadline, late_cancel=late_cancel)
    if isinstance(body, GigOrderIn):
        return model.GigOrder(
            employer_id=organisation_id, relationship=RelationshipType(body.relationship),
            shifts=tuple(model.Shift(s.start, s.end, s.headcount) for s in body.shifts),
            pay=model.Pay(model.PayUnit(body.pay.unit), body.pay.amount_fen, body.pay.stated_hours,
                          body.pay.cycle_days),
            daily=body.daily, **common)
    schedule = model.DailySchedule(body.schedule.start_date, body.schedule.end_date, body.schedule.daily_start,
                                   body.schedule.daily_end, frozenset(body.schedule.weekdays))
    return model.SharedOrder(borrower_id=organisation_id, schedule=schedule, headcount=body.headcount,
                             fee_per_worker_day_fen=body.fee_per_worker_day_fen, **common)


def order_out(order: StoredOrder) -> OrderOut:
    return OrderOut(
        id=order.id, kind=order.kind.value, state=order.state.value, title=order.title,
        description=order.description, district_code=order.district_code,
        site=SiteOut(**vars(order.site)), relationship=order.relationship.value,
        pay=PayOut(unit=order.pay.unit.value, amount_fen=order.pay.amount_fen, stated_hours=order.pay.stated_hours,
                   cycle_days=order.pay.cycle_days, hourly_equivalent_fen=order.hourly_equivalent_fen),
        skills=[SkillRequirementIn(skill_code=s.skill_code, min_level=s.min_level,
                                   certificate_required=s.certificate_required) for s in order.skills],
        daily=order.daily, allocation_mode=order.allocation_mode.value, bid_deadline=local(order.bid_deadline),
        offer_expiry_minutes=order.offer_expiry_minutes,
        late_cancel=LateCancelOut(window_hours=Decimal(order.late_cancel_window_minutes) / 60,
                                  compensation_hours=Decimal(order.late_cancel_compensation_minutes) / 60),
        below_minimum_wage=order.below_minimum_wage,
        schedule=ScheduleOut(**vars(order.schedule)) if order.schedule else None,
        fee_per_worker_day_fen=order.fee_per_worker_day_fen, seats=order.seats, filled=order.filled,
        live_bids=order.live_bids,
        shifts=[ShiftOut(id=s.id, start=local(s.start), end=local(s.end), headcount=s.headcount, filled=s.filled,
                         open=s.open) for s in order.shifts],
        created_at=local(order.created_at), cancelled_at=local(order.cancelled_at), cancel_reason=order.cancel_reason,
    )


def bid_out(bid: StoredBid) -> BidOut:
    return BidOut(**{**vars(bid), "created_at": local(bid.created_at), "ended_at": local(bid.ended_at)})


def consent_out(consent: StoredConsent) -> ConsentOut:
    return ConsentOut(**{**vars(consent), "decided_at": local(consent.decided_at)})


def shared_bid_out(bid: StoredSharedBid) -> SharedBidOut:
    return SharedBidOut(id=bid.id, order_id=bid.order_id, lender_id=bid.lender_id, lender_name=bid.lender_name,
                        fee_per_worker_day_fen=bid.fee_per_worker_day_fen, note=bid.note, state=bid.state,
                        created_at=local(bid.created_at), ended_at=local(bid.ended_at),
                        consents=[consent_out(c) for c in bid.consents])


def agreement_out(agreement: Agreement) -> AgreementOut:
    return AgreementOut(**{**vars(agreement), "created_at": local(agreement.created_at)})


# ---- handlers -------------------------------------------------------------------------------------


@endpoint(roles={"employer"}, tag="orders", summary="Post a gig or shared-employment order", body=OrderIn,
          response=OrderOut, status=201)
async def post_order(request: web.Request, body: OrderIn) -> OrderOut:
    caller = principal(request)
    order = to_domain(body.root, caller.organisation_id)
    stored = await request.app[ORDERS].post(caller, order, PostingOptions(body.root.offer_expiry_minutes))
    return order_out(stored)


@endpoint(roles={"employer"}, tag="orders", summary="The caller's own orders, newest first", query=OrderListQuery,
          response=OrderPage)
async def list_orders(request: web.Request, query: OrderListQuery) -> OrderPage:
    limit = request_limit(request, query)
    orders = await request.app[ORDERS].list(principal(request), state=query.state, kind=query.kind,
                                            from_date=query.from_date, to_date=query.to_date,
                                            after=decode_created_cursor(query.cursor), limit=limit + 1)
    page, cursor = paginate(orders, limit, lambda o: [o.created_at.isoformat(), str(o.id)])
    return OrderPage(items=[order_out(o) for o in page], next_cursor=cursor)


@endpoint(roles={"employer"}, tag="orders", summary="One of the caller's orders with shifts and fill counts",
          response=OrderOut, errors=(404,))
async def get_order(request: web.Request) -> OrderOut:
    return order_out(await request.app[ORDERS].get(principal(request), path_uuid(request)))


@endpoint(roles={"employer"}, tag="orders", summary="Cancel an order (late cancellation compensates workers)",
          body=CancelIn, response=CancelOut, errors=(404, 409))
async def cancel_order(request: web.Request, body: CancelIn) -> CancelOut:
    order, total = await request.app[ORDERS].cancel(principal(request), path_uuid(request), body.reason)
    return CancelOut(order=order_out(order), compensation_total_fen=total)


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
        placed = await request.app[ORDERS].place_bids(caller, order_id, bid.shift_ids, bid.rate_fen, bid.note)
        return BidPlacement(items=[bid_out(b) for b in placed], shared_bid=None)
    if not isinstance(bid, SharedBidIn):
        raise ValidationFailed([FieldError(("employees",), "a lender's bid names the employees it lends")])
    shared = await request.app[ORDERS].place_shared_bid(
        caller, order_id, bid.fee_per_worker_day_fen, bid.note,
        [NamedEmployee(e.employment_id, e.wage_hourly_fen) for e in bid.employees])
    return BidPlacement(items=[], shared_bid=shared_bid_out(shared))


@endpoint(roles={"employer"}, tag="bids", summary="Bids on one of the caller's orders", query=BidListQuery,
          response=OrderBidsPage, errors=(404,))
async def order_bids(request: web.Request, query: BidListQuery) -> OrderBidsPage:
    limit = request_limit(request, query)
    _, bids, shared = await request.app[ORDERS].bids_of_order(principal(request), path_uuid(request),
                                                              state=query.state, after=decode_created_cursor(query.cursor),
                                                              limit=limit + 1)
    page, cursor = paginate(bids, limit, lambda b: [b.created_at.isoformat(), str(b.id)])
    return OrderBidsPage(items=[bid_out(b) for b in page], shared_bids=[shared_bid_out(s) for s in shared],
                         next_cursor=cursor)


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
    rows, next_key, as_of = await request.app[ORDERS].feed(principal(request), as_of=as_of, after=after, limit=limit)
    items = [FeedItem(shift_id=r["shift_id"], order_id=r["order_id"], title=r["title"],
                      employer_name=r["employer_name"], district_code=r["district_code"], address=r["site_address"],
                      start=local(r["starts_at"]), end=local(r["ends_at"]), seats_left=r["headcount"] - r["filled"],
                      relationship=r["relationship_type"], pay_unit=r["pay_unit"],
                      pay_amount_fen=r["pay_amount_fen"], hourly_pay_fen=r["hourly_pay_fen"],
                      distance_m=r["distance_m"], allocation_mode=r["allocation_mode"],
                      bid_deadline=local(r["bid_deadline"]), has_live_bid=r["has_live_bid"], score=r["score"])
             for r in rows]
    cursor = encode_cursor([as_of.isoformat(), next_key[0], str(next_key[1])]) if next_key else None
    return FeedPage(items=items, next_cursor=cursor)


@endpoint(roles={"worker"}, tag="bids", summary="The caller's own bids", query=BidListQuery, response=BidPage)
async def my_bids(request: web.Request, query: BidListQuery) -> BidPage:
    limit = request_limit(request, query)
    bids = await request.app[ORDERS].bids_of_worker(principal(request), state=query.state,
                                                    after=decode_created_cursor(query.cursor), limit=limit + 1)
    page, cursor = paginate(bids, limit, lambda b: [b.created_at.isoformat(), str(b.id)])
    return BidPage(items=[bid_out(b) for b in page], next_cursor=cursor)


@endpoint(roles={"worker", "employer"}, tag="bids", summary="Withdraw one's own live bid", status=204,
          errors=(404, 409))
async def withdraw_bid(request: web.Request) -> None:
    await request.app[ORDERS].withdraw_bid(principal(request), path_uuid(request))


@endpoint(roles={"worker"}, tag="shared employment", summary="Loans the caller's employers asked them to consent to",
          response=ConsentList)
async def my_consents(request: web.Request) -> ConsentList:
    return ConsentList(items=[consent_out(c) for c in await request.app[ORDERS].consents_of_worker(principal(request))])


async def _decide(request: web.Request, accept: bool) -> ConsentDecision:
    consent, agreement = await request.app[ORDERS].decide_consent(principal(request), path_uuid(request), accept)
    return ConsentDecision(consent=consent_out(consent), agreement=agreement_out(agreement) if agreement else None)


@endpoint(roles={"worker"}, tag="shared employment",
          summary="Agree to be lent: writes the three-party agreement", response=ConsentDecision, errors=(404, 409))
async def accept_consent(request: web.Request) -> ConsentDecision:
    return await _decide(request, True)


@endpoint(roles={"worker"}, tag="shared employment", summary="Refuse to be lent", response=ConsentDecision,
          errors=(404, 409))
async def decline_consent(request: web.Request) -> ConsentDecision:
    return await _decide(request, False)


@endpoint(roles={"worker", "employer"}, tag="shared employment",
          summary="Three-party agreements the caller is a party to", response=AgreementList)
async def list_agreements(request: web.Request) -> AgreementList:
    return AgreementList(items=[agreement_out(a) for a in await request.app[ORDERS].agreements(principal(request))])


@endpoint(roles={"worker", "employer"}, tag="shared employment", summary="One three-party agreement",
          response=AgreementOut, errors=(404,))
async def get_agreement(request: web.Request) -> AgreementOut:
    return agreement_out(await request.app[ORDERS].agreement(principal(request), path_uuid(request)))


def setup_routes(app: web.Application) -> None:
    app.router.add_post("/v1/orders", post_order)
    app.router.add_get("/v1/orders", list_orders)
    app.router.add_get("/v1/orders/{id}", get_order)
    app.router.add_post("/v1/orders/{id}/cancel", cancel_order)
    app.router.add_post("/v1/orders/{id}/bids", place_bid)
    app.router.add_get("/v1/orders/{id}/bids", order_bids)
    app.router.add_delete("/v1/bids/{id}", withdraw_bid)
    app.router.add_get("/v1/workers/me/bids", my_bids)
    app.router.add_get("/v1/workers/me/feed", worker_feed)
    app.router.add_get("/v1/workers/me/consents", my_consents)
    app.router.add_post("/v1/consents/{id}/accept", accept_consent)
    app.router.add_post("/v1/consents/{id}/decline", decline_consent)
    app.router.add_get("/v1/agreements", list_agreements)
    app.router.add_get("/v1/agreements/{id}", get_agreement)
