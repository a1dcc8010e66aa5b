"""HTTP for ratings and colours: rate a completed shift, read a shift's ratings, an employer's
colour and rating (anyone signed in: workers see it on every order), a worker's rating, and the
colours of a supervisor's districts. Parse, call the service, serialise."""
from __future__ import annotations

import uuid

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from market.reputation.keys import REPUTATION
from market.reputation.model import Aggregate, EmployerReason, WorkerReason
from market.reputation.queries import ColourRow, RatingRow
from market.web.auth import principal
from market.web.endpoint import endpoint, path_uuid
from market.web.inputs import Input
from market.web.outputs import LocalMoment


class RateIn(Input):
    model_config = ConfigDict(json_schema_extra={"examples": [{"score": 5, "reasons": ["paid_on_time", "safe_site"]},
                                                              {"score": 2, "reasons": ["late"]}]})
    score: int = Field(ge=1, le=5)
    reasons: list[str] = Field(default_factory=list, max_length=5, description=(
        "a worker's: " + ", ".join(WorkerReason) + "; an employer's: " + ", ".join(EmployerReason)))


class RatingOut(BaseModel):
    id: uuid.UUID
    assignment_id: uuid.UUID
    rater: str = Field(description="worker (rated the employer) or employer (rated the worker)")
    score: int
    reasons: list[str]
    held: bool = Field(description="given while a case between the two is open: counted once it closes")
    created_at: LocalMoment


class RatingList(BaseModel):
    items: list[RatingOut] = Field(description="empty until the caller gave its own rating of the shift")


class AggregateOut(BaseModel):
    shown: bool = Field(description="at least 5 counted ratings: fewer are not shown")
    count: int | None
    average: float | None = Field(description="1–5, to one decimal")
    reasons: dict[str, int] | None


class ColourOut(BaseModel):
    organisation_id: uuid.UUID
    name: str
    district_code: str
    colour: str = Field(description="red (守信), blue (一般), black (失信): docs/reputation.md")
    reasons: list[str]
    computed_at: LocalMoment


class ReputationOut(ColourOut):
    rating: AggregateOut


class SupervisedColourOut(ColourOut):
    record: dict[str, int] = Field(description="the facts the colour was derived from")


class ColourList(BaseModel):
    items: list[SupervisedColourOut]


def rating_out(row: RatingRow) -> RatingOut:
    return RatingOut(id=row.id, assignment_id=row.assignment_id, rater=row.rater, score=row.score,
                     reasons=list(row.reasons), held=row.held, created_at=row.created_at)


def aggregate_out(shown: Aggregate) -> AggregateOut:
    average = None if shown.average is None else round(float(shown.average), 1)
    return AggregateOut(shown=shown.count is not None, count=shown.count, average=average, reasons=shown.reasons)


def colour_fields(row: ColourRow) -> dict:
    return {"organisation_id": row.organisation_id, "name": row.name, "district_code": row.district_code,
            "colour": row.colour, "reasons": list(row.reasons), "computed_at": row.computed_at}


@endpoint(roles={"worker", "employer"}, tag="reputation", summary="Rate a completed shift (once per side)",
          body=RateIn, response=RatingOut, status=201, errors=(404, 409))
async def rate(request: web.Request, body: RateIn) -> RatingOut:
    return rating_out(await request.app[REPUTATION].rate(principal(request), path_uuid(request), body.score,
                                                         body.reasons))


@endpoint(roles={"worker", "employer"}, tag="reputation", summary="The ratings of a shift, once the caller gave its own",
          response=RatingList, errors=(404,))
async def ratings_of_shift(request: web.Request) -> RatingList:
    rows = await request.app[REPUTATION].ratings_of_seat(principal(request), path_uuid(request))
    return RatingList(items=[rating_out(r) for r in rows])


@endpoint(roles={"worker", "employer", "supervisor", "admin"}, tag="reputation",
          summary="An employer's colour and its workers' aggregate rating", response=ReputationOut, errors=(404,))
async def organisation_reputation(request: web.Request) -> ReputationOut:
    colour, rating = await request.app[REPUTATION].of_organisation(path_uuid(request))
    return ReputationOut(**colour_fields(colour), rating=aggregate_out(rating))


@endpoint(roles={"worker", "employer", "supervisor", "admin"}, tag="reputation",
          summary="A worker's aggregate rating by employers (a worker reads only their own)", response=AggregateOut,
          errors=(404,))
async def worker_rating(request: web.Request) -> AggregateOut:
    return aggregate_out(await request.app[REPUTATION].of_worker(principal(request), path_uuid(request)))


@endpoint(roles={"supervisor", "admin"}, tag="supervision",
          summary="The colours of the organisations of the caller's districts, with the record behind each",
          response=ColourList)
async def colours(request: web.Request) -> ColourList:
    rows = await request.app[REPUTATION].colours(principal(request))
    return ColourList(items=[SupervisedColourOut(**colour_fields(r), record=r.record) for r in rows])


def setup_routes(app: web.Application) -> None:
    app.router.add_post("/v1/assignments/{id}/ratings", rate)
    app.router.add_get("/v1/assignments/{id}/ratings", ratings_of_shift)
    app.router.add_get("/v1/organisations/{id}/reputation", organisation_reputation)
    app.router.add_get("/v1/workers/{id}/rating", worker_rating)
    app.router.add_get("/v1/supervision/colours", colours)
