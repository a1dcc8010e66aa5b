"""HTTP for consents and three-party agreements: parse, call the service, serialise."""
from __future__ import annotations

import uuid
from typing import Any

from aiohttp import web
from pydantic import BaseModel, Field

from market.agreements.keys import AGREEMENTS
from market.agreements.model import Agreement
from market.bids.views import ConsentOut, consent_out
from market.orders.views import local
from market.web.auth import principal
from market.web.endpoint import endpoint, path_uuid
from market.web.outputs import LocalMoment


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


# ---- conversions ----------------------------------------------------------------------------------


def agreement_out(agreement: Agreement) -> AgreementOut:
    return AgreementOut(**{**vars(agreement), "created_at": local(agreement.created_at)})


# ---- handlers -------------------------------------------------------------------------------------


@endpoint(roles={"worker"}, tag="shared employment", summary="Loans the caller's employers asked them to consent to",
          response=ConsentList)
async def my_consents(request: web.Request) -> ConsentList:
    consents = await request.app[AGREEMENTS].consents_of_worker(principal(request))
    return ConsentList(items=[consent_out(c) for c in consents])


async def _decide(request: web.Request, accept: bool) -> ConsentDecision:
    consent, agreement = await request.app[AGREEMENTS].decide_consent(principal(request), path_uuid(request), accept)
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
    return AgreementList(items=[agreement_out(a) for a in await request.app[AGREEMENTS].agreements(principal(request))])


@endpoint(roles={"worker", "employer"}, tag="shared employment", summary="One three-party agreement",
          response=AgreementOut, errors=(404,))
async def get_agreement(request: web.Request) -> AgreementOut:
    return agreement_out(await request.app[AGREEMENTS].agreement(principal(request), path_uuid(request)))


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/v1/workers/me/consents", my_consents)
    app.router.add_post("/v1/consents/{id}/accept", accept_consent)
    app.router.add_post("/v1/consents/{id}/decline", decline_consent)
    app.router.add_get("/v1/agreements", list_agreements)
    app.router.add_get("/v1/agreements/{id}", get_agreement)
