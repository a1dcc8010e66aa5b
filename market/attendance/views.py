"""HTTP for attendance: check-in and -out, the location override, approval, dispute, no-show, and
the worker's own assignments. Parse, call the service, serialise."""
from __future__ import annotations

import uuid
from dataclasses import asdict
from typing import Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from market.attendance.keys import ATTENDANCE
from market.attendance.model import TimesheetRecord
from market.web.auth import principal
from market.web.endpoint import endpoint, path_uuid
from market.web.inputs import Input, Latitude, Longitude, QueryDate
from market.web.outputs import LocalMoment
from market.web.pagination import PageQuery, decode_created_cursor, paginate, request_limit


class LocationIn(Input):
    model_config = ConfigDict(json_schema_extra={"examples": [{"lat": 29.5531, "lon": 106.5688}]})
    lat: Latitude
    lon: Longitude


WAITING_DESCRIPTION = ("宽放 waiting time the employer directed, in minutes: paid as working time at the order's "
                       "rate; incomplete_labor and labor_part_time only, and with the worked minutes within the "
                       "shift's span")


class CheckOutIn(LocationIn):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"lat": 29.5531, "lon": 106.5688}, {"lat": 29.5531, "lon": 106.5688, "waiting_minutes": 30,
                                            "waiting_reason": "按店长要求在店内等候到货 30 分钟"}]})
    waiting_minutes: int | None = Field(None, ge=0, le=24 * 60, description="the waiting time the worker claims: "
                                        + WAITING_DESCRIPTION)
    waiting_reason: str | None = Field(None, min_length=1, max_length=500, description="what the waiting was")


class ApproveIn(Input):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {}, {"minutes": 210, "reason": "15 分钟午休未计入"}, {"minutes": 180, "reason": "等候到货期间未作业",
                                                              "waiting_minutes": 60}]})
    minutes: int | None = Field(None, ge=1, le=24 * 60, description="adjusted paid minutes (else as checked out)")
    reason: str | None = Field(None, min_length=1, max_length=500, description="required with minutes")
    waiting_minutes: int | None = Field(None, ge=0, le=24 * 60, description="the waiting time approved (else the "
                                        "worker's claim, if any): " + WAITING_DESCRIPTION)
    waiting_reason: str | None = Field(None, min_length=1, max_length=500, description="what the waiting was")


class DisputeIn(Input):
    model_config = ConfigDict(json_schema_extra={"examples": [{"reason": "签退时间与门禁记录不符"}]})
    reason: str = Field(min_length=1, max_length=500)


class OverrideIn(Input):
    model_config = ConfigDict(json_schema_extra={"examples": [{"allowed": True}]})
    allowed: bool = Field(description="allow check-in/out beyond the site radius for this assignment")


class TimesheetOut(BaseModel):
    assignment_id: uuid.UUID
    state: str
    location_override: bool
    checked_in_at: LocalMoment | None
    checked_out_at: LocalMoment | None
    check_in_distance_m: int | None
    check_out_distance_m: int | None
    worked_minutes: int | None
    approved_minutes: int | None
    adjust_reason: str | None
    dispute_reason: str | None
    approved_by: str | None
    approved_at: LocalMoment | None
    waiting_minutes: int = Field(description="宽放 waiting time approved and paid besides approved_minutes")
    waiting_minutes_claimed: int | None = Field(description="the waiting time the worker claimed at check-out")
    waiting_reason: str | None
    no_show_by: str | None = Field(None, description="who recorded the no-show: employer, or platform (the seat "
                                   "went to a standby worker after the check-in grace, docs/standby.md)")


class AssignmentOut(BaseModel):
    id: uuid.UUID
    order_id: uuid.UUID
    shift_id: uuid.UUID
    title: str
    relationship: str
    state: str
    start: LocalMoment
    end: LocalMoment
    rate_fen: int
    address: str
    timesheet_state: str | None
    checked_in_at: LocalMoment | None
    checked_out_at: LocalMoment | None
    worked_minutes: int | None
    approved_minutes: int | None
    waiting_minutes: int | None = Field(description="宽放 waiting time approved and paid besides approved_minutes")
    settlement_id: uuid.UUID | None


class AssignmentPage(BaseModel):
    items: list[AssignmentOut]
    next_cursor: str | None


class EmployerTimesheetQuery(PageQuery):
    model_config = ConfigDict(populate_by_name=True)
    state: Literal["open", "submitted", "approved", "disputed", "no_show"] | None = Field(
        None, description="the timesheet's state (open: assigned, checked in or not)")
    order_id: uuid.UUID | None = None
    from_date: QueryDate | None = Field(None, alias="from", description="seats whose shift starts on or after this "
                                        "date (Beijing)")
    to_date: QueryDate | None = Field(None, alias="to", description="seats whose shift starts on or before this "
                                      "date (Beijing)")


class EmployerTimesheetOut(BaseModel):
    """One seat of the organisation with its timesheet, as the approval routes act on it."""

    assignment_id: uuid.UUID = Field(description="the id /v1/assignments/{id}/approve, dispute and no-show take")
    order_id: uuid.UUID
    shift_id: uuid.UUID
    title: str = Field(description="the order's title")
    worker_id: uuid.UUID
    worker_name: str = Field(description="the worker's name as the order's bids show it")
    assignment_state: Literal["active", "completed", "cancelled", "no_show"]
    start: LocalMoment
    end: LocalMoment
    state: Literal["open", "submitted", "approved", "disputed", "no_show"] = Field(
        description="the timesheet's state; open until the worker checks out")
    checked_in_at: LocalMoment | None
    checked_out_at: LocalMoment | None
    worked_minutes: int | None
    approved_minutes: int | None
    waiting_minutes: int | None = Field(description="宽放 waiting time approved and paid besides approved_minutes")
    no_show_by: str | None


class EmployerTimesheetPage(BaseModel):
    items: list[EmployerTimesheetOut]
    next_cursor: str | None


def timesheet_out(sheet: TimesheetRecord) -> TimesheetOut:
    return TimesheetOut(**asdict(sheet))


# ---- handlers -------------------------------------------------------------------------------------


@endpoint(roles={"worker"}, tag="timesheets", summary="Check in at the site (location checked against the radius)",
          body=LocationIn, response=TimesheetOut, errors=(404, 409))
async def check_in(request: web.Request, body: LocationIn) -> TimesheetOut:
    return timesheet_out(await request.app[ATTENDANCE].check_in(principal(request), path_uuid(request),
                                                                body.lat, body.lon))


@endpoint(roles={"worker"}, tag="timesheets", summary="Check out: submits the timesheet to the employer",
          body=CheckOutIn, response=TimesheetOut, errors=(404, 409))
async def check_out(request: web.Request, body: CheckOutIn) -> TimesheetOut:
    return timesheet_out(await request.app[ATTENDANCE].check_out(principal(request), path_uuid(request),
                                                                 body.lat, body.lon, waiting_minutes=body.waiting_minutes,
                                                                 waiting_reason=body.waiting_reason))


@endpoint(roles={"employer"}, tag="timesheets", summary="Allow (or stop allowing) check-in beyond the site radius",
          body=OverrideIn, response=TimesheetOut, errors=(404,))
async def location_override(request: web.Request, body: OverrideIn) -> TimesheetOut:
    return timesheet_out(await request.app[ATTENDANCE].set_location_override(principal(request), path_uuid(request),
                                                                             body.allowed))


@endpoint(roles={"employer"}, tag="timesheets", summary="Approve a timesheet (optionally adjusting minutes): settles it",
          body=ApproveIn, response=TimesheetOut, errors=(404, 409))
async def approve(request: web.Request, body: ApproveIn) -> TimesheetOut:
    return timesheet_out(await request.app[ATTENDANCE].approve(principal(request), path_uuid(request),
                                                               body.minutes, body.reason,
                                                               waiting_minutes=body.waiting_minutes,
                                                               waiting_reason=body.waiting_reason))


@endpoint(roles={"employer"}, tag="timesheets", summary="Dispute a submitted timesheet", body=DisputeIn,
          response=TimesheetOut, errors=(404, 409))
async def dispute(request: web.Request, body: DisputeIn) -> TimesheetOut:
    return timesheet_out(await request.app[ATTENDANCE].dispute(principal(request), path_uuid(request), body.reason))


@endpoint(roles={"employer"}, tag="timesheets", summary="Record a no-show (20 min after the start, no check-in)",
          response=TimesheetOut, errors=(404, 409))
async def no_show(request: web.Request) -> TimesheetOut:
    return timesheet_out(await request.app[ATTENDANCE].no_show(principal(request), path_uuid(request)))


@endpoint(roles={"worker"}, tag="timesheets", summary="The caller's own assignments, newest first", query=PageQuery,
          response=AssignmentPage)
async def my_assignments(request: web.Request, query: PageQuery) -> AssignmentPage:
    limit = request_limit(request, query)
    found = await request.app[ATTENDANCE].worker_assignments(principal(request), decode_created_cursor(query.cursor),
                                                             limit + 1)
    page, cursor = paginate(found, limit, lambda a: [a.created_at.isoformat(), str(a.id)])
    return AssignmentPage(items=[AssignmentOut(
        id=a.id, order_id=a.order_id, shift_id=a.shift_id, title=a.title, relationship=a.relationship_type,
        state=a.state, start=a.starts_at, end=a.ends_at, rate_fen=a.rate_fen, address=a.site_address,
        timesheet_state=a.timesheet_state, checked_in_at=a.checked_in_at, checked_out_at=a.checked_out_at,
        worked_minutes=a.worked_minutes, approved_minutes=a.approved_minutes, waiting_minutes=a.waiting_minutes,
        settlement_id=a.settlement_id)
        for a in page], next_cursor=cursor)


@endpoint(roles={"employer"}, tag="timesheets", summary="The organisation's seats and their timesheets, newest first",
          query=EmployerTimesheetQuery, response=EmployerTimesheetPage)
async def employer_timesheets(request: web.Request, query: EmployerTimesheetQuery) -> EmployerTimesheetPage:
    limit = request_limit(request, query)
    found = await request.app[ATTENDANCE].organisation_timesheets(
        principal(request), state=query.state, order_id=query.order_id, from_date=query.from_date,
        to_date=query.to_date, after=decode_created_cursor(query.cursor), limit=limit + 1)
    page, cursor = paginate(found, limit, lambda t: [t.created_at.isoformat(), str(t.assignment_id)])
    return EmployerTimesheetPage(items=[EmployerTimesheetOut(
        assignment_id=t.assignment_id, order_id=t.order_id, shift_id=t.shift_id, title=t.title, worker_id=t.worker_id,
        worker_name=t.worker_name, assignment_state=t.assignment_state, start=t.starts_at, end=t.ends_at,
        state=t.state, checked_in_at=t.checked_in_at, checked_out_at=t.checked_out_at,
        worked_minutes=t.worked_minutes, approved_minutes=t.approved_minutes, waiting_minutes=t.waiting_minutes,
        no_show_by=t.no_show_by) for t in page], next_cursor=cursor)


def setup_routes(app: web.Application) -> None:
    app.router.add_post("/v1/assignments/{id}/check-in", check_in)
    app.router.add_post("/v1/assignments/{id}/check-out", check_out)
    app.router.add_post("/v1/assignments/{id}/location-override", location_override)
    app.router.add_post("/v1/assignments/{id}/approve", approve)
    app.router.add_post("/v1/assignments/{id}/dispute", dispute)
    app.router.add_post("/v1/assignments/{id}/no-show", no_show)
    app.router.add_get("/v1/workers/me/assignments", my_assignments)
    app.router.add_get("/v1/employers/me/timesheets", employer_timesheets)
