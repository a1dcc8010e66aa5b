"""HTTP of written agreements: parse, call the service, serialise (docs/agreements.md).

An assignment's agreement is under /v1/assignments/{id}/agreement, a three-party agreement's
written form under /v1/agreements/{id}/document; each has its PDF (`.pdf`) and its signatures.
"""
from __future__ import annotations

import uuid
from typing import Any, Literal

from aiohttp import web
from aiohttp.web_request import FileField
from pydantic import BaseModel, ConfigDict, Field

from market.contracts.keys import CONTRACTS
from market.contracts.model import REQUIREMENTS, Contract
from market.contracts.service import ContractView, Of
from market.errors import FieldError, UnsupportedMediaType, ValidationFailed
from market.orders.views import local
from market.web.auth import principal
from market.web.endpoint import ANYONE, endpoint, parse_body, path_uuid
from market.web.inputs import Input
from market.web.outputs import LocalMoment

SHA256_HEX = r"^[0-9a-f]{64}$"
PDF_TYPES = ("application/pdf", "application/octet-stream")


class SignatureIn(Input):
    model_config = ConfigDict(json_schema_extra={"examples": [{"sha256": "9f2c" * 16}]})
    sha256: str = Field(pattern=SHA256_HEX, description="the SHA-256 (lower-case hex) of the agreement's PDF, "
                                                        "as the signer's client computed it from the bytes it showed")


class VerifyIn(Input):
    model_config = ConfigDict(json_schema_extra={"examples": [{"sha256": "9f2c" * 16}]})
    sha256: str = Field(pattern=SHA256_HEX, description="the SHA-256 (lower-case hex) of a document")


class SignatureOut(BaseModel):
    role: Literal["employer", "lender", "worker"]
    signed_at: LocalMoment
    sha256: str = Field(description="the hash signed: always the agreement's own")


class AgreementDocumentOut(BaseModel):
    id: uuid.UUID = Field(description="the agreement's number (协议编号), printed on the document")
    assignment_id: uuid.UUID | None
    agreement_id: uuid.UUID | None = Field(description="the three-party agreement, for a shared-employment one")
    relationship_type: str
    template_version: str
    state: Literal["pending", "rendered", "signed"] = Field(
        description="pending: being rendered; rendered: to sign; signed: by every party (immutable)")
    written_required: bool = Field(description="the law asks for it in writing: no check-in before every party signed")
    basis: str = Field(description="why it is required or offered (docs/agreements.md)")
    sha256: str | None
    required_roles: list[str]
    missing_roles: list[str] = Field(description="the parties that have not signed yet")
    your_roles: list[str] = Field(description="the roles the caller signs as (none: a reader)")
    signatures: list[SignatureOut]
    terms: dict[str, Any] | None = Field(description="the terms the document was filled with")
    pdf: str = Field(description="where the PDF is")
    created_at: LocalMoment
    rendered_at: LocalMoment | None
    signed_at: LocalMoment | None


class VerificationOut(BaseModel):
    id: uuid.UUID = Field(description="the agreement's number (协议编号)")
    relationship_type: str
    template_version: str
    state: Literal["rendered", "signed"]
    sha256: str
    rendered_at: LocalMoment
    signatures: list[SignatureOut]


class SigningRateOut(BaseModel):
    district_code: str
    relationship_type: str
    signed: int
    unsigned: int
    rate: float | None = Field(description="signed / (signed + unsigned); null when there are none")


class SigningRates(BaseModel):
    items: list[SigningRateOut]


class SigningRatesQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    district: str | None = Field(None, pattern=r"^\d{6}$", description="one district code; default: all of yours; "
                                                                        "one outside your districts is a 403")


# ---- conversions ----------------------------------------------------------------------------------


def _signatures(contract: Contract) -> list[SignatureOut]:
    return [SignatureOut(role=s.role, signed_at=local(s.signed_at), sha256=s.sha256)
            for s in contract.signatures]


def agreement_out(view: ContractView, pdf: str) -> AgreementDocumentOut:
    c = view.contract
    return AgreementDocumentOut(
        id=c.id, assignment_id=c.assignment_id, agreement_id=c.agreement_id, relationship_type=c.relationship.value,
        template_version=c.template_version, state=c.state,
        written_required=c.written_required, basis=REQUIREMENTS[c.relationship].basis, sha256=c.sha256,
        required_roles=list(c.required_roles), missing_roles=c.missing_roles(), your_roles=list(view.caller_roles),
        signatures=_signatures(c), terms=c.terms, pdf=pdf, created_at=local(c.created_at),
        rendered_at=local(c.rendered_at), signed_at=local(c.signed_at))


def verification_out(c: Contract) -> VerificationOut:
    return VerificationOut(id=c.id, relationship_type=c.relationship.value, template_version=c.template_version,
                           state=c.state, sha256=c.sha256, rendered_at=local(c.rendered_at),
                           signatures=_signatures(c))


# ---- handlers -------------------------------------------------------------------------------------

READERS = {"worker", "employer", "supervisor", "admin"}
TAG = "written agreements"


def _of(request: web.Request) -> Of:
    """One set of handlers serves both kinds: an assignment's agreement, a three-party agreement's."""
    return "assignment" if request.path.startswith("/v1/assignments/") else "agreement"


def _pdf_url(request: web.Request) -> str:
    return request.path.removesuffix("/signatures") + ".pdf"


@endpoint(roles=READERS, tag=TAG, response=AgreementDocumentOut, errors=(404,),
          summary="A written agreement: of an assignment, or of a three-party shared-employment agreement "
                  "(its parties, admin, the district's supervisors)")
async def get_agreement(request: web.Request) -> AgreementDocumentOut:
    view = await request.app[CONTRACTS].view(principal(request), _of(request), path_uuid(request))
    return agreement_out(view, _pdf_url(request))


@endpoint(roles=READERS, tag=TAG, produces="application/pdf", errors=(404,),
          summary="A written agreement's PDF: the bytes its parties sign the SHA-256 of")
async def get_agreement_pdf(request: web.Request) -> web.Response:
    contract, document = await request.app[CONTRACTS].document(principal(request), _of(request), path_uuid(request))
    return web.Response(body=document, content_type="application/pdf", headers={
        "Content-Disposition": f'inline; filename="agreement-{contract.id}.pdf"', "ETag": f'"{contract.sha256}"'})


@endpoint(roles={"worker", "employer"}, tag=TAG, body=SignatureIn, response=AgreementDocumentOut, status=201,
          errors=(404, 409), summary="Sign a written agreement, as its worker, employer (borrower) or lender")
async def sign_agreement(request: web.Request, body: SignatureIn) -> AgreementDocumentOut:
    view = await request.app[CONTRACTS].sign(principal(request), _of(request), path_uuid(request), body.sha256)
    return agreement_out(view, _pdf_url(request))


@endpoint(roles=ANYONE, tag=TAG, response=VerificationOut, errors=(404, 415, 422),
          summary="Verify a document: JSON {sha256}, or the PDF itself (application/pdf, application/octet-stream, "
                  "or multipart/form-data with a `file` part) → its agreement and signatures, or 404")
async def verify_agreement(request: web.Request) -> VerificationOut:
    contracts = request.app[CONTRACTS]
    if request.content_type == "application/json":
        body = await parse_body(request, VerifyIn)
        assert isinstance(body, VerifyIn)
        return verification_out(await contracts.verify(bytes.fromhex(body.sha256)))
    return verification_out(await contracts.verify_document(await _uploaded(request)))


async def _uploaded(request: web.Request) -> bytes:
    if request.content_type in PDF_TYPES:
        return await request.read()
    if request.content_type == "multipart/form-data":
        form = await request.post()
        file = form.get("file")
        if not isinstance(file, FileField):
            raise ValidationFailed([FieldError(("file",), "send the document as a file part named `file`")])
        return bytes(file.file.read())
    raise UnsupportedMediaType("send {sha256} as application/json, or the document as application/pdf, "
                               "application/octet-stream or multipart/form-data")


@endpoint(roles={"supervisor"}, tag="supervision", query=SigningRatesQuery, response=SigningRates, errors=(403,),
          summary="Written agreements signed and unsigned, by district and relationship type (yours only)")
async def signing_rates(request: web.Request, query: SigningRatesQuery) -> SigningRates:
    rates = await request.app[CONTRACTS].signing_rates(principal(request), query.district)
    return SigningRates(items=[SigningRateOut(**vars(r), rate=r.signed / (r.signed + r.unsigned)
                                              if r.signed + r.unsigned else None) for r in rates])


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/v1/assignments/{id}/agreement", get_agreement)
    app.router.add_get("/v1/assignments/{id}/agreement.pdf", get_agreement_pdf)
    app.router.add_post("/v1/assignments/{id}/agreement/signatures", sign_agreement)
    app.router.add_get("/v1/agreements/{id}/document", get_agreement)
    app.router.add_get("/v1/agreements/{id}/document.pdf", get_agreement_pdf)
    app.router.add_post("/v1/agreements/{id}/document/signatures", sign_agreement)
    app.router.add_post("/v1/agreements/verify", verify_agreement)
    app.router.add_get("/v1/supervision/agreements/signing-rates", signing_rates)
