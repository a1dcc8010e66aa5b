"""HTTP for cases: open one, answer, accept, escalate, take over, decide, add evidence, read.
Parse, call the service, serialise. Refusals: a move the state does not allow is a 409 naming
the current state; a case the caller may not see is a 404."""
from __future__ import annotations

import asyncio
import uuid

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from market import uploads
from market.cases.keys import CASES
from market.cases.model import Kind, Outcome
from market.cases.queries import CaseRow
from market.cases.service import CaseFile
from market.errors import FieldError, NotFound, ValidationFailed
from market.web.auth import principal
from market.web.endpoint import endpoint, path_uuid
from market.web.inputs import Input
from market.web.keys import SETTINGS
from market.web.outputs import LocalMoment

FILE_FIELD = "file"

Text = Field(min_length=1, max_length=2000)


class OpenIn(Input):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"kind": "unpaid_pay", "assignment_id": "7c9e6679-7425-40de-944b-e07fc1f90ae7",
         "statement": "12 月 3 日的工资到期未付"}]})
    kind: Kind
    statement: str = Text
    order_id: uuid.UUID | None = Field(None, description="the order (else the assignment's)")
    assignment_id: uuid.UUID | None = Field(None, description="required for pay, timesheet, no-show and cancelled-seat cases")


class TextIn(Input):
    model_config = ConfigDict(json_schema_extra={"examples": [{"text": "工资已于 12 月 5 日补发"}]})
    text: str = Text


class NoteIn(Input):
    model_config = ConfigDict(json_schema_extra={"examples": [{}, {"note": "答复未解决问题"}]})
    note: str | None = Field(None, min_length=1, max_length=2000)


class DecideIn(Input):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"outcome": "upheld", "reason": "考勤记录显示已到岗"},
        {"outcome": "partly_upheld", "reason": "监控显示 14:40 离岗", "minutes": 200}]})
    outcome: Outcome
    reason: str = Text
    minutes: int | None = Field(None, ge=0, le=24 * 60, description=(
        "a partly upheld timesheet dispute: the minutes to approve (upheld: the recorded check-in to "
        "check-out; dismissed: the employer's approval stands)"))


class CaseOut(BaseModel):
    id: uuid.UUID
    kind: str
    state: str
    worker_id: uuid.UUID
    organisation_id: uuid.UUID
    district_code: str
    order_id: uuid.UUID | None
    assignment_id: uuid.UUID | None
    statement: str
    answer: str | None
    outcome: str | None
    decision_reason: str | None
    taken_over: bool = Field(description="a supervisor of the district took the case over and decides it")
    due_at: LocalMoment | None = Field(description="when the current state's clock runs out (none once closed)")
    created_at: LocalMoment
    updated_at: LocalMoment


class TransitionOut(BaseModel):
    role: str
    move: str
    from_state: str | None
    to_state: str
    note: str | None
    at: LocalMoment


class EvidenceOut(BaseModel):
    id: uuid.UUID
    role: str
    body: str
    created_at: LocalMoment


class EvidenceFileOut(BaseModel):
    id: uuid.UUID
    role: str
    media_type: str = Field(description="what the content proved to be: application/pdf, image/jpeg, image/png, image/webp")
    size_bytes: int
    sha256: str
    created_at: LocalMoment


class CaseFileOut(CaseOut):
    transitions: list[TransitionOut]
    evidence: list[EvidenceOut]
    files: list[EvidenceFileOut] = Field(description="evidence files, each at /v1/cases/{id}/evidence/files/{file_id}")


class EvidenceFileForm(BaseModel):
    """An evidence upload is only its file (multipart/form-data, field `file`)."""
    model_config = ConfigDict(extra="forbid")


class CaseList(BaseModel):
    items: list[CaseOut]


def case_out(case: CaseRow) -> CaseOut:
    return CaseOut(id=case.id, kind=case.kind, state=case.state, worker_id=case.worker_id,
                   organisation_id=case.organisation_id, district_code=case.district_code, order_id=case.order_id,
                   assignment_id=case.assignment_id, statement=case.statement, answer=case.answer,
                   outcome=case.outcome, decision_reason=case.decision_reason,
                   taken_over=case.taken_over_by is not None, due_at=case.due_at, created_at=case.created_at,
                   updated_at=case.updated_at)


def file_out(found: CaseFile) -> CaseFileOut:
    return CaseFileOut(
        **case_out(found.case).model_dump(),
        transitions=[TransitionOut(role=t.role, move=t.move, from_state=t.from_state, to_state=t.to_state, note=t.note,
                                   at=t.created_at) for t in found.transitions],
        evidence=[EvidenceOut(id=e.id, role=e.role, body=e.body, created_at=e.created_at) for e in found.evidence],
        files=[EvidenceFileOut(id=f.id, role=f.role, media_type=f.media_type, size_bytes=f.size_bytes,
                               sha256=f.sha256, created_at=f.created_at) for f in found.files])


PARTIES_AND_STAFF = {"worker", "employer", "supervisor", "admin"}


@endpoint(roles={"worker"}, tag="cases", summary="Open a complaint, dispute or appeal against an employer",
          body=OpenIn, response=CaseFileOut, status=201, errors=(404, 409))
async def open_case(request: web.Request, body: OpenIn) -> CaseFileOut:
    return file_out(await request.app[CASES].open(principal(request), body.kind, body.statement, body.order_id,
                                                  body.assignment_id))


@endpoint(roles=PARTIES_AND_STAFF, tag="cases",
          summary="The caller's cases (a supervisor's: every case of the districts, with its clock)", response=CaseList)
async def list_cases(request: web.Request) -> CaseList:
    return CaseList(items=[case_out(c) for c in await request.app[CASES].visible_to(principal(request))])


@endpoint(roles=PARTIES_AND_STAFF, tag="cases", summary="One case with its audit trail and evidence",
          response=CaseFileOut, errors=(404,))
async def get_case(request: web.Request) -> CaseFileOut:
    return file_out(await request.app[CASES].get(principal(request), path_uuid(request)))


@endpoint(roles={"employer"}, tag="cases", summary="Answer an open case (once)", body=TextIn, response=CaseFileOut,
          errors=(404, 409))
async def answer_case(request: web.Request, body: TextIn) -> CaseFileOut:
    return file_out(await request.app[CASES].answer(principal(request), path_uuid(request), body.text))


@endpoint(roles={"worker"}, tag="cases", summary="Accept the employer's answer: the case is resolved", body=NoteIn,
          response=CaseFileOut, errors=(404, 409))
async def accept_case(request: web.Request, body: NoteIn) -> CaseFileOut:
    return file_out(await request.app[CASES].accept(principal(request), path_uuid(request), body.note))


@endpoint(roles={"worker"}, tag="cases", summary="Ask the platform to decide", body=NoteIn, response=CaseFileOut,
          errors=(404, 409))
async def escalate_case(request: web.Request, body: NoteIn) -> CaseFileOut:
    return file_out(await request.app[CASES].escalate(principal(request), path_uuid(request), body.note))


@endpoint(roles={"supervisor"}, tag="cases", summary="Take over an escalated case of the district: decide it instead",
          body=NoteIn, response=CaseFileOut, errors=(404, 409))
async def take_over_case(request: web.Request, body: NoteIn) -> CaseFileOut:
    return file_out(await request.app[CASES].take_over(principal(request), path_uuid(request), body.note))


@endpoint(roles={"admin", "supervisor"}, tag="cases",
          summary="Decide an escalated case (the operator, or the supervisor who took it over)", body=DecideIn,
          response=CaseFileOut, errors=(404, 409))
async def decide_case(request: web.Request, body: DecideIn) -> CaseFileOut:
    return file_out(await request.app[CASES].decide(principal(request), path_uuid(request), body.outcome, body.reason,
                                                    body.minutes))


@endpoint(roles=PARTIES_AND_STAFF, tag="cases", summary="Add written evidence to a case that is not closed",
          body=TextIn, response=CaseFileOut, status=201, errors=(404, 409))
async def add_evidence(request: web.Request, body: TextIn) -> CaseFileOut:
    return file_out(await request.app[CASES].add_evidence(principal(request), path_uuid(request), body.text))


@endpoint(roles=PARTIES_AND_STAFF, tag="cases", form=EvidenceFileForm, response=CaseFileOut, status=201,
          errors=(404, 408, 409), summary="Add a file of evidence (PDF, JPEG, PNG or WebP, judged by content) to a "
                                         "case that is not closed")
async def add_evidence_file(request: web.Request) -> CaseFileOut:
    settings = request.app[SETTINGS]
    upload = await uploads.read_upload(request, FILE_FIELD, max_bytes=settings.upload_max_bytes)
    if upload.fields:
        raise ValidationFailed([FieldError((name,), "not a field of an evidence upload") for name in upload.fields])
    media_type = await asyncio.to_thread(uploads.inspect, upload.data, max_pixels=settings.upload_max_pixels,
                                         field=FILE_FIELD)
    return file_out(await request.app[CASES].add_evidence_file(principal(request), path_uuid(request), upload.data,
                                                               media_type))


@endpoint(roles=PARTIES_AND_STAFF, tag="cases", errors=(404,), produces="application/octet-stream",
          summary="A file of a case's evidence, to download (those who see the case)")
async def evidence_file(request: web.Request) -> web.Response:
    try:
        file_id = uuid.UUID(request.match_info["file_id"])
    except ValueError:
        raise NotFound("no such file") from None
    found, data = await request.app[CASES].evidence_file(principal(request), path_uuid(request), file_id)
    return uploads.download(data, f"evidence-{found.id}", found.media_type)


def setup_routes(app: web.Application) -> None:
    app.router.add_post("/v1/cases", open_case)
    app.router.add_get("/v1/cases", list_cases)
    app.router.add_get("/v1/cases/{id}", get_case)
    app.router.add_post("/v1/cases/{id}/answer", answer_case)
    app.router.add_post("/v1/cases/{id}/accept", accept_case)
    app.router.add_post("/v1/cases/{id}/escalate", escalate_case)
    app.router.add_post("/v1/cases/{id}/take-over", take_over_case)
    app.router.add_post("/v1/cases/{id}/decide", decide_case)
    app.router.add_post("/v1/cases/{id}/evidence", add_evidence)
    app.router.add_post("/v1/cases/{id}/evidence/files", add_evidence_file)
    app.router.add_get("/v1/cases/{id}/evidence/files/{file_id}", evidence_file)
