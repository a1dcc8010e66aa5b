"""HTTP for orders: parse, call the service, serialise."""
from __future__ import annotations

import uuid
from datetime import date, datetime, time
from decimal import Decimal
from typing import Annotated, Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, RootModel, field_validator

from market.kernel.clock import SHANGHAI
from market.kernel.money import MAX_AMOUNT_FEN
from market.kernel.relationships import DISPATCH_REFUSAL, DISPATCH_VALUES, RelationshipType
from market.orders import model
from market.orders.keys import ORDERS
from market.orders.pool import MAX_POOL_MINUTES, PrivatePool
from market.orders.records import StoredOrder
from market.orders.rules import MAX_HEADCOUNT, MAX_PAY_CYCLE_DAYS, MIN_HEADCOUNT
from market.orders.service import PostingOptions
from market.organisations.keys import AGENCIES, ORGANISATIONS
from market.errors import FieldError, ValidationFailed
from market.web.auth import principal
from market.web.endpoint import endpoint, path_uuid
from market.web.keys import SETTINGS
from market.web.inputs import (
    BodyDate,
    Input,
    Latitude,
    Longitude,
    Moment,
    QueryDate,
    RateFen,
    StatedHours,
)
from market.web.outputs import Hours, LocalMoment
from market.web.pagination import (
    PageQuery,
    decode_created_cursor,
    paginate,
    request_limit,
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
    standby: int = Field(0, ge=0, le=50, description="standby seats (docs/standby.md): at most the headcount")
    standby_amount_fen: int | None = Field(None, gt=0, le=MAX_AMOUNT_FEN, description=(
        "paid to each standby worker not called: at least a fifth of the seat's pay for the shift, at most all of it"))


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
    site: SiteIn | None = Field(None, description="where the work is; omit it when naming site_id")
    site_id: uuid.UUID | None = Field(None, description=(
        "one of the organisation's sites (GET /v1/sites): the order's location and check-in radius are then the "
        "site's (docs/organisations.md); a site manager must name one of their sites"))
    skills: list[SkillRequirementIn] = Field(default_factory=list, max_length=20)
    allocation_mode: Literal["bids", "auto"] = "bids"
    bid_deadline: Moment | None = None
    offer_expiry_minutes: int = Field(30, ge=1, le=1440)
    late_cancel: LateCancelIn = Field(default_factory=LateCancelIn)
    sector_code: str | None = Field(None, min_length=1, max_length=64, description=(
        "职业伤害保障 sector (GET /v1/sectors): selects the per-order contribution the platform pays for "
        "incomplete_labor and labor_service work; absent: the rate book's default rate"))


class PrivatePoolIn(Input):
    minutes: int = Field(ge=1, le=MAX_POOL_MINUTES, description="the favourites-first window, 1 minute to 7 days")


class GigOrderIn(OrderCommon):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {
            "kind": "gig", "title": "仓库分拣临时工", "description": "双十二高峰分拣打包",
            "relationship": "labor_service", "district_code": "500103",
            "site": {"lat": 29.5531, "lon": 106.5688, "address": "渝中区解放碑某仓库", "check_in_radius_m": 500},
            "shifts": [{"start": "2027-03-01T09:00:00+08:00", "end": "2027-03-01T13:00:00+08:00", "headcount": 3}],
            "pay": {"unit": "hour", "amount_fen": 3000},
            "skills": [{"skill_code": "warehouse_picking", "min_level": 1}],
            "late_cancel": {"window_hours": 24, "compensation_hours": 4}, "sector_code": "warehousing",
        },
    ]})
    kind: Literal["gig"]
    relationship: GigRelationship

    @field_validator("relationship", mode="before")
    @classmethod
    def _no_dispatch(cls, value: object) -> object:
        if isinstance(value, str) and value in DISPATCH_VALUES:
            raise ValueError(DISPATCH_REFUSAL)  # docs/agencies.md
        return value
    shifts: list[ShiftIn] = Field(min_length=1, max_length=100)
    pay: PayIn
    daily: bool = Field(False, description="the work repeats daily (part-time: each shift ≤ 4 h)")
    private_pool: PrivatePoolIn | None = Field(None, description=(
        "favourites first: for this many minutes only the order's pool (the employer's favourites) sees it, "
        "bids on it and is allocated to it; then it opens to everyone (docs/favourites.md)"))


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
    sector_code: str | None = Field(description="职业伤害保障 sector (GET /v1/sectors); null: not given")
    schedule: ScheduleOut | None
    fee_per_worker_day_fen: int | None
    seats: int
    filled: int
    live_bids: int
    shifts: list[ShiftOut]
    created_at: LocalMoment
    cancelled_at: LocalMoment | None
    cancel_reason: str | None
    pool_until: LocalMoment | None = Field(None, description=(
        "end of the favourites-first window: until then only the order's pool sees it (docs/favourites.md)"))
    site_id: uuid.UUID | None = Field(None, description="the organisation's site the order names, if any")


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


# ---- conversions ----------------------------------------------------------------------------------


def local(moment: datetime | None) -> datetime | None:
    """Times leave the API in Chongqing's offset (+08:00): the same instant, as people read it."""
    return moment.astimezone(SHANGHAI) if moment is not None else None


def to_domain(body: GigOrderIn | SharedOrderIn, organisation_id: uuid.UUID,
              named_site: model.Site | None = None) -> model.Order:
    """`named_site`: the location of the organisation's site the order names (site_id)."""
    if named_site is not None:
        site = named_site
    elif body.site is not None:
        site = model.Site(body.site.lat, body.site.lon, body.site.address, body.site.check_in_radius_m)
    else:
        raise ValidationFailed([FieldError(("site",), "give the site (lat, lon...) or a site_id")])
    skills = tuple(model.SkillRequirement(s.skill_code, s.min_level, s.certificate_required) for s in body.skills)
    late_cancel = model.LateCancelPolicy(body.late_cancel.window_hours, body.late_cancel.compensation_hours)
    common = dict(title=body.title, district_code=body.district_code, site=site, skills=skills,
                  description=body.description, allocation_mode=model.AllocationMode(body.allocation_mode),
                  bid_deadline=body.bid_deadline, late_cancel=late_cancel, sector_code=body.sector_code)
    if isinstance(body, GigOrderIn):
        return model.GigOrder(
            employer_id=organisation_id, relationship=RelationshipType(body.relationship),
            shifts=tuple(model.Shift(s.start, s.end, s.headcount, s.standby, s.standby_amount_fen) for s in body.shifts),
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
        below_minimum_wage=order.below_minimum_wage, sector_code=order.sector_code,
        schedule=ScheduleOut(**vars(order.schedule)) if order.schedule else None,
        fee_per_worker_day_fen=order.fee_per_worker_day_fen, seats=order.seats, filled=order.filled,
        live_bids=order.live_bids,
        shifts=[ShiftOut(id=s.id, start=local(s.start), end=local(s.end), headcount=s.headcount, filled=s.filled,
                         open=s.open) for s in order.shifts],
        created_at=local(order.created_at), cancelled_at=local(order.cancelled_at), cancel_reason=order.cancel_reason,
        pool_until=local(order.pool_until),
        site_id=order.site_id,
    )


# ---- handlers -------------------------------------------------------------------------------------


@endpoint(roles={"employer"}, tag="orders", summary="Post a gig or shared-employment order", body=OrderIn,
          response=OrderOut, status=201)
async def post_order(request: web.Request, body: OrderIn) -> OrderOut:
    caller = principal(request)
    named_site = None
    if body.root.site_id is not None:
        if body.root.site is not None:
            raise ValidationFailed([FieldError(("site",), "give either site or site_id, not both")])
        found = await request.app[ORGANISATIONS].site_for_order(caller, body.root.site_id)
        named_site = model.Site(found.lat, found.lon, found.address, found.check_in_radius_m)
    elif caller.organisation_role == "site_manager":
        raise ValidationFailed([FieldError(("site_id",), "a site manager names one of their sites (GET /v1/sites)")])
    order = to_domain(body.root, caller.organisation_id, named_site)
    agencies = request.app[AGENCIES]

    async def agency_step(conn, order_id: uuid.UUID) -> None:
        await agencies.after_posting(conn, caller, order_id)  # licence, mandate budget (docs/agencies.md)
    pool_in = getattr(body.root, "private_pool", None)
    # An agency's own pool sees the orders it posts for its clients first (docs/agencies.md): for the
    # window asked for, or MARKET_AGENCY_POOL_MINUTES; the client's favourites join only when asked.
    agency_pool = await agencies.pool_for_posting(caller) if body.root.kind == "gig" else []
    pool = None
    if pool_in is not None or agency_pool:
        minutes = pool_in.minutes if pool_in is not None else request.app[SETTINGS].agency_pool_minutes
        pool = PrivatePool(minutes, favourites=pool_in is not None,
                           members=tuple((worker_id, "agency") for worker_id in agency_pool))
    stored = await request.app[ORDERS].post(caller, order, PostingOptions(body.root.offer_expiry_minutes), pool=pool,
                                            site_id=body.root.site_id, within=agency_step)
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


def setup_routes(app: web.Application) -> None:
    app.router.add_post("/v1/orders", post_order)
    app.router.add_get("/v1/orders", list_orders)
    app.router.add_get("/v1/orders/{id}", get_order)
    app.router.add_post("/v1/orders/{id}/cancel", cancel_order)
