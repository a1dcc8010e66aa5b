"""HTTP for supervisors: parse, call the service, serialise. Every route is read-only; the
supervisor role appears on no write endpoint of the app (tests/supervision check the route table)."""
from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any, Literal

from aiohttp import web
from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic_core import PydanticCustomError

from market.browser import assets
from market.errors import FieldError, ValidationFailed
from market.events.model import district_stream
from market.events.payloads import DISTRICT
from market.events.views import EventStreamQuery, resume_after, stream_events
from market.kernel import clock
from market.orders.rules import BOOKING_HORIZON
from market.supervision import export
from market.supervision.model import ALERT_CATEGORIES
from market.supervision.service import AlertFilter, Supervision
from market.web.auth import principal
from market.web.endpoint import ANYONE, endpoint, path_uuid
from market.web.inputs import QueryDate
from market.supervision.keys import SUPERVISION
from market.web.keys import SETTINGS
from market.web.outputs import LocalMoment
from market.web.pagination import Page, PageQuery, decode_cursor, encode_cursor, page_limit

SUPERVISOR = {"supervisor"}
TAG = "supervision"

Relationship = Literal["labor_part_time", "incomplete_labor", "labor_service", "shared_labor"]


class Query(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


# The dates a supervisor may ask about: the platform holds nothing before 2020, and nothing is
# booked further ahead than the orders' horizon (docs/api-conventions.md, "Dates").
SUPERVISION_EARLIEST = date(2020, 1, 1)


def _supervised_date(value: date) -> date:
    latest = clock.today() + BOOKING_HORIZON
    if not SUPERVISION_EARLIEST <= value <= latest:
        raise PydanticCustomError("date_out_of_range", "must be between {first} and {last}",
                                  {"first": SUPERVISION_EARLIEST.isoformat(), "last": latest.isoformat()})
    return value


SupervisedDate = Annotated[QueryDate, AfterValidator(_supervised_date)]


class ScopeQuery(Query):
    districts: str | None = Field(None, description="comma-separated district codes; default: all of yours; "
                                                    "one outside your districts is a 403")
    from_: SupervisedDate | None = Field(None, alias="from", description=(
        "first local (Asia/Shanghai) date, YYYY-MM-DD, from 2020-01-01 to 366 days ahead; default: 29 days before `to`"))
    to: SupervisedDate | None = Field(None, description=(
        "last local date, inclusive, at most 366 days ahead; default: today (a range of at most 366 days)"))

    def district_list(self) -> list[str] | None:
        return [c for c in (self.districts or "").split(",") if c.strip()] or None


# Overview ------------------------------------------------------------------------------------------
class SupervisionMetrics(BaseModel):
    orders_posted: int = Field(description="orders posted on the day (by posting time)")
    below_minimum_orders: int = Field(description="labor_service orders posted below the hourly minimum")
    seats_posted: int = Field(description="seats of shifts starting on the day (cancelled orders excluded)")
    seats_filled: int = Field(description="of those, seats held by a worker now")
    fill_rate: float | None = Field(description="seats_filled / seats_posted")
    median_time_to_fill_seconds: int | None = Field(description="median time from posting to a seat's assignment")
    workers_active: int = Field(description="distinct workers holding a seat of a shift on the day")
    hours_worked: float = Field(description="approved (else checked-out) hours of shifts on the day")
    no_shows: int
    gross_paid_fen: int = Field(description="gross pay settled for shifts on the day")
    avg_hourly_posted_fen: int | None = Field(description="mean hourly equivalent of the orders posted")
    avg_hourly_paid_fen: int | None = Field(description="settled gross per paid hour")


class SupervisionCell(SupervisionMetrics):
    by_relationship: dict[str, SupervisionMetrics]
    by_kind: dict[str, SupervisionMetrics]


class SupervisionDayOut(SupervisionCell):
    district_code: str
    date: date
    minimum_hourly_fen: int | None = Field(description="the district's hourly minimum wage in force that day")
    open_arrears: int = Field(description="arrears open at the end of the day")
    open_arrears_fen: int


class SupervisionSeriesOut(SupervisionCell):
    date: date
    minimum_hourly_fen: int | None = Field(description="the highest hourly minimum among the districts")
    open_arrears: int
    open_arrears_fen: int


class SupervisionDistrictOut(BaseModel):
    code: str
    name: str
    tier: int


class SupervisionSharedFlowOut(BaseModel):
    district_code: str
    lender_id: uuid.UUID
    lender_name: str
    borrower_id: uuid.UUID
    borrower_name: str
    workers: int
    worker_days: int


class OverviewOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    districts: list[SupervisionDistrictOut]
    from_: date = Field(alias="from", serialization_alias="from")
    to: date
    timezone: str
    days: list[SupervisionDayOut] = Field(description="one row per district and day")
    series: list[SupervisionSeriesOut] = Field(description="one row per day over all the requested districts")
    totals: SupervisionCell = Field(description="the whole range over all the requested districts")
    shared_flows: list[SupervisionSharedFlowOut] = Field(description="共享用工: lender → borrower pairs in the range")


@endpoint(roles=SUPERVISOR, tag=TAG, query=ScopeQuery, response=OverviewOut, errors=(403,),
          summary="Orders, fills, work, pay, minimum wage and arrears per district and day")
async def overview(request: web.Request, query: ScopeQuery) -> web.Response:
    data = await request.app[SUPERVISION].overview(principal(request), query.district_list(), query.from_, query.to)
    body = OverviewOut.model_validate(data)
    return web.Response(body=body.model_dump_json(by_alias=True), content_type="application/json")


# The employer's everyday (issue 18) ----------------------------------------------------------------
class EverydayDistrictOut(BaseModel):
    district_code: str
    pool_orders: int = Field(description="orders posted favourites-first (a private pool before everyone; docs/favourites.md)")
    pool_favourites: int = Field(description="places in those pools given to the employers' favourites")
    pool_book_again: int = Field(description="places given to the workers of a booked-again order")
    pool_agency: int = Field(description="places given to an agency's own pool (docs/agencies.md)")
    recurring_orders: int = Field(description="orders a recurring order posted (docs/recurring-orders.md)")
    recurring_series: int = Field(description="recurring orders those came from")
    standby_on_call: int = Field(description="standby workers on call for shifts starting in the range (docs/standby.md)")
    standby_called: int = Field(description="standby workers who took a vacated seat")
    standby_paid: int = Field(description="standby workers not called and paid the standby amount")
    standby_paid_fen: int = Field(description="what those were paid, fen")
    daily_pay_workers: int = Field(description="workers living in the district who chose daily pay (日结; docs/faster-pay.md), now")


class EverydayOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_: date = Field(alias="from", serialization_alias="from")
    to: date
    items: list[EverydayDistrictOut] = Field(description="one row per district, in the order asked")


@endpoint(roles=SUPERVISOR, tag=TAG, query=ScopeQuery, response=EverydayOut, errors=(403,),
          summary="Favourites-first pools, recurring orders, standby seats and daily pay per district")
async def everyday(request: web.Request, query: ScopeQuery) -> web.Response:
    span, rows = await request.app[SUPERVISION].everyday(principal(request), query.district_list(), query.from_,
                                                         query.to)
    body = EverydayOut(from_=span.first, to=span.last, items=[EverydayDistrictOut(**row) for row in rows])
    return web.Response(body=body.model_dump_json(by_alias=True), content_type="application/json")


# Alerts --------------------------------------------------------------------------------------------
class AlertsQuery(ScopeQuery, PageQuery):
    kind: str | None = Field(None, description="comma-separated categories: " + ", ".join(ALERT_CATEGORIES))
    status: Literal["open", "cleared", "recorded"] | None = Field(
        None, description="open / cleared conditions; `recorded` for late cancellations and no-shows")
    sort: Literal["newest", "oldest", "largest"] = Field("newest", description="by time, or by amount")
    organisation_id: uuid.UUID | None = Field(None, description="one employer's alerts only (a red flag's arrears)")

    def categories(self) -> list[str] | None:
        return [c.strip() for c in (self.kind or "").split(",") if c.strip()] or None


class SupervisionAlertOut(BaseModel):
    category: str = Field(description=" | ".join(ALERT_CATEGORIES))
    kind: str = Field(description="the specific kind (e.g. wage_unpaid, compensation_unfunded)")
    id: str
    district_code: str | None
    organisation_id: uuid.UUID | None
    organisation_name: str | None
    order_id: uuid.UUID | None
    at: LocalMoment
    status: str
    cleared_at: LocalMoment | None
    amount_fen: int | None
    due_date: date | None
    days_overdue: int | None
    worker_name: str | None = Field(description="an alert about one seat: its worker, masked (surname + *)")
    shift_starts_at: LocalMoment | None = Field(description="an alert about one seat: when its shift starts")
    details: dict[str, Any] = Field(description="per kind; below_minimum_wage: hourly_rate_fen, hourly_minimum_fen")


class SupervisionAlertsOut(Page[SupervisionAlertOut]):
    counts: dict[str, dict[str, int]] = Field(description="category → status → count, over the filter")


@endpoint(roles=SUPERVISOR, tag=TAG, query=AlertsQuery, response=SupervisionAlertsOut, errors=(403,),
          summary="Below-minimum orders, settlement alerts, arrears, late cancellations, no-shows, red flags")
async def alerts(request: web.Request, query: AlertsQuery) -> SupervisionAlertsOut:
    categories = query.categories()
    if categories and (unknown := sorted(set(categories) - set(ALERT_CATEGORIES))):
        raise ValidationFailed([FieldError(("query", "kind"), f"unknown: {', '.join(unknown)}")])
    settings = request.app[SETTINGS]
    limit = page_limit(query.limit, settings.page_limit_default, settings.page_limit_max)
    wanted = AlertFilter(categories, query.status, query.sort, query.organisation_id)
    rows, counts = await request.app[SUPERVISION].alerts(
        principal(request), query.district_list(), query.from_, query.to, wanted, decode_cursor(query.cursor, 2), limit)
    page = rows[:limit]
    next_cursor = (encode_cursor(Supervision.alert_sort_key(page[-1], query.sort))
                   if len(rows) > limit and page else None)
    return SupervisionAlertsOut(items=[_alert(r) for r in page], next_cursor=next_cursor, counts=counts)


def _alert(row: dict) -> SupervisionAlertOut:
    return SupervisionAlertOut(id=row["item_id"], **{k: v for k, v in row.items() if k in SupervisionAlertOut.model_fields})


# Orders --------------------------------------------------------------------------------------------
class OrdersQuery(ScopeQuery, PageQuery):
    state: str | None = None
    kind: Literal["gig", "shared"] | None = None
    relationship: Relationship | None = None


class OrderSummaryOut(BaseModel):
    id: uuid.UUID
    kind: str
    title: str
    district_code: str
    relationship_type: str
    state: str
    employer_name: str
    organisation_id: uuid.UUID
    pay_unit: str
    pay_amount_fen: int
    hourly_equivalent_fen: int
    below_minimum_wage: bool
    seats: int
    seats_filled: int
    first_shift_at: LocalMoment | None
    period_start: date | None
    period_end: date | None
    created_at: LocalMoment


class SupervisionShiftOut(BaseModel):
    id: uuid.UUID
    starts_at: LocalMoment
    ends_at: LocalMoment
    headcount: int
    filled: int
    open: bool


class SupervisionBidOut(BaseModel):
    id: uuid.UUID
    shift_id: uuid.UUID | None
    worker_name: str | None = Field(description="masked: surname + *")
    id_number_masked: str | None
    lender_name: str | None = Field(description="shared orders: the lending enterprise")
    rate_fen: int = Field(description="bid hourly rate, or the lender's fee per worker-day")
    state: str
    created_at: LocalMoment


class SupervisionAssignmentOut(BaseModel):
    id: uuid.UUID
    shift_id: uuid.UUID
    worker_name: str
    id_number_masked: str
    rate_fen: int
    state: str
    created_at: LocalMoment
    starts_at: LocalMoment
    ends_at: LocalMoment
    timesheet_state: str | None
    checked_in_at: LocalMoment | None
    checked_out_at: LocalMoment | None
    worked_minutes: int | None
    approved_minutes: int | None


class SupervisionSettlementOut(BaseModel):
    id: uuid.UUID
    assignment_id: uuid.UUID | None = Field(description="the seat settled; null for a standby's pay")
    standby_id: uuid.UUID | None = Field(default=None, description="the standby paid (docs/standby.md)")
    worker_name: str
    relationship_type: str
    shift_date: date
    due_date: date
    paid_minutes: int
    gross_fen: int
    income_tax_withheld_fen: int
    net_pay_fen: int | None
    employer_total_fen: int
    wage_leg_amount_fen: int | None
    wage_leg_confirmed_at: LocalMoment | None
    created_at: LocalMoment


class SupervisionCompensationOut(BaseModel):
    id: uuid.UUID
    assignment_id: uuid.UUID
    worker_name: str
    amount_fen: int
    reason: str
    created_at: LocalMoment


class SupervisionArrearOut(BaseModel):
    id: uuid.UUID
    kind: str = Field(description="wage_unpaid | shared_wage_unconfirmed")
    assignment_id: uuid.UUID
    worker_name: str = Field(description="masked: surname + *")
    starts_at: LocalMoment
    ends_at: LocalMoment
    amount_fen: int | None = Field(description="as recorded: the unpaid net pay, or the wage leg; null when unsettled")
    amount_owed_fen: int | None = Field(description="what is owed, whatever the case (see amount_basis)")
    amount_basis: Literal["net_pay", "wage_leg", "gross"] = Field(description=(
        "net_pay: a settled wage not paid out; wage_leg: the wage a lender owes its employee; gross: a wage its "
        "employer could not fund, never settled: the approved minutes at the agreed rate, before withholding"))
    due_date: date
    days_overdue: int
    employer_at_fault: bool
    created_at: LocalMoment
    cleared_at: LocalMoment | None


class OrderDetailOut(OrderSummaryOut):
    site_address: str
    fee_per_worker_day_fen: int | None
    shifts: list[SupervisionShiftOut]
    bids: list[SupervisionBidOut]
    assignments: list[SupervisionAssignmentOut]
    settlements: list[SupervisionSettlementOut]
    compensations: list[SupervisionCompensationOut]
    arrears: list[SupervisionArrearOut]


class SupervisionOrdersPage(Page[OrderSummaryOut]):
    pass


@endpoint(roles=SUPERVISOR, tag=TAG, query=OrdersQuery, response=SupervisionOrdersPage, errors=(403,),
          summary="Orders posted in your districts, newest first")
async def orders(request: web.Request, query: OrdersQuery) -> SupervisionOrdersPage:
    settings = request.app[SETTINGS]
    limit = page_limit(query.limit, settings.page_limit_default, settings.page_limit_max)
    rows = await request.app[SUPERVISION].orders(
        principal(request), query.district_list(), query.from_, query.to, query.state, query.kind, query.relationship,
        decode_cursor(query.cursor, 2), limit)
    page = rows[:limit]
    next_cursor = (encode_cursor((page[-1]["created_at"].isoformat(), str(page[-1]["id"])))
                   if len(rows) > limit and page else None)
    return SupervisionOrdersPage(items=[OrderSummaryOut.model_validate(r) for r in page], next_cursor=next_cursor)


@endpoint(roles=SUPERVISOR, tag=TAG, response=OrderDetailOut, errors=(404,),
          summary="One order with bids, assignments, settlements (people masked; the read is audited)")
async def order(request: web.Request) -> OrderDetailOut:
    detail = await request.app[SUPERVISION].order(principal(request), path_uuid(request))
    return OrderDetailOut.model_validate(detail)


# CSV export ----------------------------------------------------------------------------------------
class ExportQuery(ScopeQuery):
    dataset: Literal["overview", "alerts", "orders"] = Field("overview", description="which table to export")
    lang: Literal["zh", "en"] = Field("zh", description="the headers' language: the page's Chinese or English words")


EXPORT_ROWS_MAX = 100_000


@endpoint(roles=SUPERVISOR, tag=TAG, query=ExportQuery, produces="text/csv", errors=(403,),
          summary="The overview, alerts or orders as CSV (UTF-8 with BOM; Chinese headers, Beijing times, yuan; "
                  "the export is audited)")
async def export_csv(request: web.Request, query: ExportQuery) -> web.Response:
    service: Supervision = request.app[SUPERVISION]
    caller = principal(request)
    requested, first, last = query.district_list(), query.from_, query.to
    if query.dataset == "overview":
        data = await service.overview(caller, requested, first, last)
        names = {d["code"]: d["name"] for d in data["districts"]}
        text = export.write(export.OVERVIEW, export.overview_rows(data["days"], names), query.lang, service.zone)
        count, districts = len(data["days"]), list(names)
    elif query.dataset == "alerts":
        rows, _ = await service.alerts(caller, requested, first, last, AlertFilter(None, None, "newest"), None,
                                       EXPORT_ROWS_MAX, audit_read=False)  # the export is audited as one
        text = export.write(export.ALERTS, export.alert_rows(rows[:EXPORT_ROWS_MAX]), query.lang, service.zone)
        count, districts = len(rows), service.scope(caller, requested)
    else:
        rows = await service.orders(caller, requested, first, last, None, None, None, None, EXPORT_ROWS_MAX)
        text = export.write(export.ORDERS, rows[:EXPORT_ROWS_MAX], query.lang, service.zone)
        count, districts = len(rows), service.scope(caller, requested)
    await service.record(caller, f"supervision.export.{query.dataset}", districts,
                         {"rows": count, "lang": query.lang, "from": str(first) if first else None,
                          "to": str(last) if last else None})
    filename = f"supervision-{query.dataset}.csv"
    return web.Response(body=text.encode("utf-8"), content_type="text/csv", charset="utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{filename}"'})


# Live district streams -----------------------------------------------------------------------------
class SupervisionEventsQuery(EventStreamQuery):
    districts: str | None = Field(None, description="comma-separated district codes; default: all of yours")


@endpoint(roles=SUPERVISOR, tag=TAG, query=SupervisionEventsQuery, produces="text/event-stream", errors=(403,),
          events=DISTRICT,
          summary="Live events of your districts' streams, merged in order (Server-Sent Events)")
async def events(request: web.Request, query: SupervisionEventsQuery) -> web.StreamResponse:
    requested = [c for c in (query.districts or "").split(",") if c.strip()] or None
    districts = request.app[SUPERVISION].scope(principal(request), requested)
    keys = [district_stream(code) for code in districts]
    return await stream_events(request, keys, resume_after(request, query))


# Audit log (admins) --------------------------------------------------------------------------------
class AuditQuery(PageQuery):
    model_config = ConfigDict(extra="forbid")
    account_id: uuid.UUID | None = Field(None, description="only this account's reads")


class SupervisionAuditOut(BaseModel):
    id: int
    account_id: uuid.UUID
    display_name: str
    role: str
    action: str
    object_type: str | None
    object_id: str | None
    district_codes: list[str]
    details: dict[str, Any]
    created_at: LocalMoment


class SupervisionAuditPage(Page[SupervisionAuditOut]):
    pass


@endpoint(roles={"admin"}, tag="admin", query=AuditQuery, response=SupervisionAuditPage,
          summary="Who read which personal data through the supervision API, newest first")
async def audit_log(request: web.Request, query: AuditQuery) -> SupervisionAuditPage:
    settings = request.app[SETTINGS]
    limit = page_limit(query.limit, settings.page_limit_default, settings.page_limit_max)
    rows = await request.app[SUPERVISION].audit_log(query.account_id, decode_cursor(query.cursor, 2), limit)
    page = rows[:limit]
    next_cursor = (encode_cursor((page[-1]["created_at"].isoformat(), page[-1]["id"]))
                   if len(rows) > limit and page else None)
    return SupervisionAuditPage(items=[SupervisionAuditOut.model_validate(r) for r in page], next_cursor=next_cursor)


# The dashboard -------------------------------------------------------------------------------------
@endpoint(roles=ANYONE, tag=TAG, produces="text/html",
          summary="The supervisors' dashboard (Chinese); it signs in with a pasted supervisor token")
async def dashboard(request: web.Request) -> web.Response:
    html = assets.page("supervise/supervise.html")
    return web.Response(text=html, content_type="text/html", headers={
        "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                                   "connect-src 'self'; frame-ancestors 'none'",
        "Referrer-Policy": "no-referrer", "X-Content-Type-Options": "nosniff"})


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/v1/supervision/overview", overview)
    app.router.add_get("/v1/supervision/everyday", everyday)
    app.router.add_get("/v1/supervision/alerts", alerts)
    app.router.add_get("/v1/supervision/orders", orders)
    app.router.add_get("/v1/supervision/orders/{id}", order)
    app.router.add_get("/v1/supervision/export.csv", export_csv)
    app.router.add_get("/v1/supervision/events", events, allow_head=False)
    app.router.add_get("/v1/admin/audit-log", audit_log)
    app.router.add_get("/supervise", dashboard)
