"""Employment records: the employer registers and ends them, the worker confirms or declines."""
from __future__ import annotations

import uuid
from typing import Annotated

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from market.employment.model import Employment, EmploymentState, NewEmployment
from market.errors import FieldError, ValidationFailed
from market.web.auth import principal
from market.web.endpoint import endpoint, path_uuid
from market.employment.keys import EMPLOYMENTS
from market.web.keys import SETTINGS
from market.web.inputs import Input, RateFen
from market.web.outputs import LocalMoment
from market.web.pagination import PageQuery, decode_created_cursor, page_limit, paginate



class RegisterEmployeeIn(Input):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {
            "worker_id": "6f1c2e0a-7d4b-4c1e-9a51-2b8d3f0e4a17", "job_title": "仓管员",
            "agreed_hourly_wage_fen": 2600,
        },
        {"id_number": "50010319900101752X", "job_title": "叉车司机", "agreed_hourly_wage_fen": 3200},
    ]})
    worker_id: uuid.UUID | None = Field(None, description="The worker's id; or give id_number instead")
    id_number: str | None = Field(None, min_length=1, max_length=32,
                                  description="The employee's 居民身份证号码 (GB 11643-1999); used only to find the "
                                              "worker by its keyed hash, never stored. Or give worker_id instead")
    job_title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    agreed_hourly_wage_fen: RateFen = Field(description=(
        "The employee's own agreed wage per hour, fen; at least the hourly minimum wage of the employer's "
        "district today. The floor of any wage paid while the employee is lent"))

    def to_domain(self) -> NewEmployment:
        given = [name for name in ("worker_id", "id_number") if getattr(self, name) is not None]
        if len(given) != 1:
            message = ("give worker_id or id_number, not both" if given
                       else "name the employee by worker_id or id_number")
            raise ValidationFailed([FieldError((name,), message) for name in (given or ["worker_id"])])
        return NewEmployment(job_title=self.job_title, agreed_hourly_wage_fen=self.agreed_hourly_wage_fen,
                             worker_id=self.worker_id, id_number=self.id_number)


class EmploymentOut(BaseModel):
    id: uuid.UUID
    organisation_id: uuid.UUID
    employer_name: str
    # The employer sees who the employee is only once they confirm (docs/profiles.md).
    worker_id: uuid.UUID | None = Field(description="null for the employer until the worker confirms")
    worker_name: str | None = Field(description="null for the employer until the worker confirms")
    worker_id_number_masked: str | None = Field(description=(
        "e.g. 5001**********1234; before the worker confirms, the employer sees only the mask of the number it "
        "gave (null when it named the worker by worker_id)"))
    job_title: str
    agreed_hourly_wage_fen: int
    state: EmploymentState = Field(description="pending → active (confirmed) → ended; or pending → declined / ended")
    created_at: LocalMoment
    decided_at: LocalMoment | None = Field(description="When the worker confirmed or declined")


class EmploymentPage(BaseModel):
    items: list[EmploymentOut]
    next_cursor: str | None


class EmploymentQuery(PageQuery):
    state: EmploymentState | None = Field(None, description="Only records in this state")


def employment_out(employment: Employment) -> EmploymentOut:
    return EmploymentOut(**vars(employment))


def _page(rows: list[Employment], limit: int) -> EmploymentPage:
    page, cursor = paginate(rows, limit, lambda e: [e.created_at.isoformat(), str(e.id)])
    return EmploymentPage(items=[employment_out(e) for e in page], next_cursor=cursor)


def _limit(request: web.Request, query: EmploymentQuery) -> int:
    settings = request.app[SETTINGS]
    return page_limit(query.limit, settings.page_limit_default, settings.page_limit_max)


@endpoint(roles={"employer"}, tag="employment", summary="Register one of your own employees (they confirm)",
          body=RegisterEmployeeIn, response=EmploymentOut, status=201, errors=(409,))
async def register_employee(request: web.Request, body: RegisterEmployeeIn) -> EmploymentOut:
    return employment_out(await request.app[EMPLOYMENTS].register(principal(request), body.to_domain()))


@endpoint(roles={"employer"}, tag="employment", summary="Your employees' employment records",
          query=EmploymentQuery, response=EmploymentPage)
async def list_employees(request: web.Request, query: EmploymentQuery) -> EmploymentPage:
    limit = _limit(request, query)
    rows = await request.app[EMPLOYMENTS].of_employer(principal(request), state=query.state,
                                                      after=decode_created_cursor(query.cursor), limit=limit + 1)
    return _page(rows, limit)


@endpoint(roles={"worker"}, tag="employment", summary="Your own employment records", query=EmploymentQuery,
          response=EmploymentPage)
async def list_own_employments(request: web.Request, query: EmploymentQuery) -> EmploymentPage:
    limit = _limit(request, query)
    rows = await request.app[EMPLOYMENTS].of_worker(principal(request), state=query.state,
                                                    after=decode_created_cursor(query.cursor), limit=limit + 1)
    return _page(rows, limit)


@endpoint(roles={"worker"}, tag="employment", summary="Confirm that this employer employs you",
          response=EmploymentOut, errors=(404, 409))
async def confirm_employment(request: web.Request) -> EmploymentOut:
    return employment_out(await request.app[EMPLOYMENTS].confirm(principal(request), path_uuid(request)))


@endpoint(roles={"worker"}, tag="employment", summary="Decline: this employer does not employ you",
          response=EmploymentOut, errors=(404, 409))
async def decline_employment(request: web.Request) -> EmploymentOut:
    return employment_out(await request.app[EMPLOYMENTS].decline(principal(request), path_uuid(request)))


@endpoint(roles={"employer"}, tag="employment", summary="End an employment (or withdraw an unanswered one)",
          response=EmploymentOut, errors=(404, 409))
async def end_employment(request: web.Request) -> EmploymentOut:
    return employment_out(await request.app[EMPLOYMENTS].end(principal(request), path_uuid(request)))


def setup_routes(app: web.Application) -> None:
    app.router.add_post("/v1/employers/me/employees", register_employee)
    app.router.add_get("/v1/employers/me/employees", list_employees)
    app.router.add_get("/v1/workers/me/employments", list_own_employments)
    app.router.add_post("/v1/employments/{id}/confirm", confirm_employment)
    app.router.add_post("/v1/employments/{id}/decline", decline_employment)
    app.router.add_post("/v1/employments/{id}/end", end_employment)
