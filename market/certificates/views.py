"""HTTP of certificates: the worker's uploads and list, a certificate and its file for those who
may see it, and the review. Uploads are judged by content (market/uploads.py) before anything is
kept (docs/certificates.md)."""
from __future__ import annotations

import asyncio
import uuid
from datetime import date

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from market import uploads
from market.certificates.keys import CERTIFICATES
from market.certificates.model import Certificate, Claim, Decision, State
from market.errors import ValidationFailed
from market.web.auth import principal
from market.kernel import clock
from market.web.endpoint import endpoint, field_errors, path_uuid
from market.web.inputs import Input, QueryDate
from market.web.keys import SETTINGS
from market.web.outputs import LocalMoment
from market.web.pagination import Page, PageQuery, decode_created_cursor, paginate, request_limit

FILE_FIELD = "file"


class CertificateForm(BaseModel):
    """The text fields of an upload, beside the file (multipart/form-data: every value is text)."""

    model_config = ConfigDict(extra="forbid")
    kind: str = Field(min_length=1, max_length=100, description="The certificate, exactly as GET /v1/skills names it "
                                                                 "(e.g. 健康证, 特种作业操作证（低压电工）)")
    number: str = Field(min_length=1, max_length=64, description="The certificate's number (stored keyed-hashed "
                                                                  "and masked, never in clear)")
    issuer: str = Field(min_length=1, max_length=200, description="Who issued it (发证机关)")
    issued_on: QueryDate = Field(description="Date of issue, YYYY-MM-DD")
    expires_on: QueryDate = Field(description="Expiry printed on it, YYYY-MM-DD; within the kind's maximum validity")
    review_due_on: QueryDate | None = Field(None, description="特种作业操作证: the 复审 (review) due date on it; "
                                                              "the certificate counts until then")

    def to_domain(self) -> Claim:
        return Claim(self.kind, self.number, self.issuer, self.issued_on, self.expires_on, self.review_due_on)


class CertificateOut(BaseModel):
    id: uuid.UUID
    worker_id: uuid.UUID
    kind: str
    number_masked: str
    issuer: str
    issued_on: date
    expires_on: date
    review_due_on: date | None
    valid_until: date = Field(description="The last day (Chongqing) it counts once verified: the expiry, or the 复审 "
                                          "due date when earlier. A shift ending later is refused")
    state: State
    counts_today: bool = Field(description="Verified and not past valid_until: feed, bids, allocation, acceptance "
                                           "and check-in count it")
    media_type: str
    file_size: int
    file_sha256: str
    reviewed_at: LocalMoment | None
    reject_reason: str | None
    created_at: LocalMoment
    revoked_at: LocalMoment | None
    revoke_reason: str | None


class CertificateList(BaseModel):
    items: list[CertificateOut] = Field(description="Newest first; a worker holds a handful, so one page")


class QueueQuery(PageQuery):
    model_config = ConfigDict(extra="forbid")
    state: State = Field(State.pending, description="pending (the review queue, by default), verified, rejected, revoked")


class CertificatePage(Page[CertificateOut]):
    pass


class ReviewIn(Input):
    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra={"examples": [
        {"decision": "verify"}, {"decision": "reject", "reason": "the photo is unreadable: upload a sharper one"}]})
    decision: Decision
    reason: str | None = Field(None, min_length=1, max_length=500,
                               description="Required to reject or revoke: what is wrong")


def certificate_out(certificate: Certificate, today: date) -> CertificateOut:
    return CertificateOut(
        id=certificate.id, worker_id=certificate.worker_id, kind=certificate.kind,
        number_masked=certificate.number_masked, issuer=certificate.issuer, issued_on=certificate.issued_on,
        expires_on=certificate.expires_on, review_due_on=certificate.review_due_on,
        valid_until=certificate.valid_until, state=certificate.state, counts_today=certificate.counts_on(today),
        media_type=certificate.media_type, file_size=certificate.file_size, file_sha256=certificate.file_sha256,
        reviewed_at=certificate.reviewed_at, reject_reason=certificate.reject_reason,
        created_at=certificate.created_at, revoked_at=certificate.revoked_at,
        revoke_reason=certificate.revoke_reason)


def _today() -> date:
    return clock.today()


def _form(fields: dict[str, str]) -> CertificateForm:
    try:
        return CertificateForm.model_validate(fields)
    except ValidationError as error:
        raise ValidationFailed(field_errors(error)) from None


@endpoint(roles={"worker"}, tag="certificates", form=CertificateForm, response=CertificateOut, status=201,
          errors=(404, 408),
          summary="Upload a certificate (PDF, JPEG, PNG or WebP, judged by content) for review")
async def upload_certificate(request: web.Request) -> CertificateOut:
    settings = request.app[SETTINGS]
    upload = await uploads.read_upload(request, FILE_FIELD, max_bytes=settings.upload_max_bytes)
    claim = _form(upload.fields).to_domain()
    media_type = await asyncio.to_thread(uploads.inspect, upload.data, max_pixels=settings.upload_max_pixels,
                                         field=FILE_FIELD)
    certificate, _ = await request.app[CERTIFICATES].upload(principal(request), claim, upload.data, media_type)
    return certificate_out(certificate, _today())


@endpoint(roles={"worker"}, tag="certificates", response=CertificateList, summary="Your certificates, newest first")
async def own_certificates(request: web.Request) -> CertificateList:
    today = _today()
    found = await request.app[CERTIFICATES].own(principal(request))
    return CertificateList(items=[certificate_out(c, today) for c in found])


@endpoint(roles={"employer", "supervisor", "admin"}, tag="certificates", query=QueueQuery, response=CertificatePage,
          summary="The review queue: certificates in a state (pending by default), oldest first — all of them for "
                  "the operator, those of workers an employer deals with for work needing them, those of a "
                  "supervisor's districts")
async def certificate_queue(request: web.Request, query: QueueQuery) -> CertificatePage:
    limit = request_limit(request, query)
    after = decode_created_cursor(query.cursor)
    found = await request.app[CERTIFICATES].queue(principal(request), query.state, after, limit + 1)
    today = _today()
    page, cursor = paginate(found, limit, lambda c: (c.created_at.isoformat(), str(c.id)))
    return CertificatePage(items=[certificate_out(c, today) for c in page], next_cursor=cursor)


@endpoint(roles={"worker", "employer", "supervisor", "admin"}, tag="certificates", response=CertificateOut,
          errors=(404,), summary="A certificate: its worker, the operator, an employer dealing with the worker for "
                                 "work that needs it, a supervisor of the worker's district")
async def get_certificate(request: web.Request) -> CertificateOut:
    found = await request.app[CERTIFICATES].one(principal(request), path_uuid(request))
    return certificate_out(found, _today())


@endpoint(roles={"worker", "employer", "supervisor", "admin"}, tag="certificates", errors=(404,),
          produces="application/octet-stream",
          summary="The certificate's file, as uploaded, to download (the same callers as the certificate; its "
                  "media_type says what it is)")
async def certificate_file(request: web.Request) -> web.Response:
    found = await request.app[CERTIFICATES].file(principal(request), path_uuid(request))
    return uploads.download(found.data, f"certificate-{found.certificate.id}", found.certificate.media_type)


@endpoint(roles={"employer", "admin"}, tag="certificates", body=ReviewIn, response=CertificateOut, errors=(404, 409),
          summary="Verify or reject a pending certificate (the operator, or an employer dealing with the worker "
                  "for work that needs it), or revoke a verified one (the operator); 409 with the current state")
async def review_certificate(request: web.Request, body: ReviewIn) -> CertificateOut:
    reviewed = await request.app[CERTIFICATES].review(principal(request), path_uuid(request), body.decision,
                                                      body.reason)
    return certificate_out(reviewed, _today())


def setup_routes(app: web.Application) -> None:
    app.router.add_post("/v1/workers/me/certificates", upload_certificate)
    app.router.add_get("/v1/workers/me/certificates", own_certificates)
    app.router.add_get("/v1/certificates", certificate_queue)
    app.router.add_get("/v1/certificates/{id}", get_certificate)
    app.router.add_get("/v1/certificates/{id}/file", certificate_file)
    app.router.add_post("/v1/certificates/{id}/review", review_certificate)

