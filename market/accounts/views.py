"""Sign-up, sign-in, sign-out."""
from __future__ import annotations

import uuid

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from market.accounts.keys import ACCOUNTS, RED_FLAGS
from market.accounts.service import NewEmployer, NewWorker
from market.web.auth import principal
from market.web.endpoint import ALL_ROLES, ANYONE, endpoint
from market.web.inputs import Input
from market.web.outputs import LocalMoment

Password = Field(min_length=8, max_length=128, description="8–128 characters")


class RegisterEmployerIn(Input):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {
            "name": "重庆示例物流有限公司", "credit_code": "915001033KNQLGY78X", "district_code": "500103",
            "login": "hr@example.cn", "password": "correct horse battery",
        },
    ]})
    name: str = Field(min_length=1, max_length=200, description="Registered enterprise name")
    credit_code: str = Field(min_length=1, max_length=32, description="统一社会信用代码 (GB 32100-2015, checked)")
    district_code: str = Field(description="District of registration (GET /v1/districts)")
    login: str = Field(min_length=3, max_length=254, description="Sign-in name: the contact's phone or e-mail")
    password: str = Password


class RegisterWorkerIn(Input):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {
            "name": "王小明", "id_number": "50010319900101752X", "district_code": "500103",
            "phone": "13912345678", "password": "correct horse battery",
        },
    ]})
    name: str = Field(min_length=1, max_length=100)
    id_number: str = Field(min_length=1, max_length=32,
                           description="居民身份证号码 (GB 11643-1999, checked); stored only as a keyed hash and a mask")
    district_code: str = Field(description="Home district (GET /v1/districts)")
    phone: str = Field(pattern=r"^1[3-9][0-9]{9}$", description="Mainland mobile number; the sign-in name")
    password: str = Password


class EmployerOut(BaseModel):
    id: uuid.UUID
    account_id: uuid.UUID
    name: str
    credit_code: str
    district_code: str


class WorkerOut(BaseModel):
    id: uuid.UUID
    account_id: uuid.UUID
    name: str
    id_number_masked: str = Field(description="e.g. 5001**********1234")
    district_code: str


class TokenIn(Input):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"login": "13912345678", "password": "correct horse battery"},
    ]})
    login: str = Field(min_length=1, max_length=254)
    password: str = Field(min_length=1, max_length=128)


class TokenOut(BaseModel):
    token: str = Field(description="Opaque bearer token; send as Authorization: Bearer <token>")
    token_type: str = "Bearer"
    role: str
    account_id: uuid.UUID
    expires_at: LocalMoment


@endpoint(roles=ANYONE, tag="auth", summary="Register an employer (or lending enterprise)",
          body=RegisterEmployerIn, response=EmployerOut, status=201, errors=(409,))
async def register_employer(request: web.Request, body: RegisterEmployerIn) -> EmployerOut:
    organisation = await request.app[ACCOUNTS].register_employer(NewEmployer(**body.model_dump()))
    return EmployerOut(**vars(organisation))


@endpoint(roles=ANYONE, tag="auth", summary="Register a worker", body=RegisterWorkerIn, response=WorkerOut,
          status=201, errors=(409,))
async def register_worker(request: web.Request, body: RegisterWorkerIn) -> WorkerOut:
    worker = await request.app[ACCOUNTS].register_worker(NewWorker(**body.model_dump()))
    return WorkerOut(**vars(worker))


@endpoint(roles=ANYONE, tag="auth", summary="Sign in: password → bearer token", body=TokenIn,
          response=TokenOut, status=201, errors=(401,), secret="token", repeatable=True)
async def create_token(request: web.Request, body: TokenIn) -> TokenOut:
    issued = await request.app[ACCOUNTS].sign_in(body.login, body.password)
    return TokenOut(token=issued.token, role=issued.role, account_id=issued.account_id,
                    expires_at=issued.expires_at)


@endpoint(roles=ALL_ROLES, tag="auth", summary="Sign out: revoke the token of this request", status=204)
async def delete_current_token(request: web.Request) -> None:
    principal(request)
    token = request.headers["Authorization"].partition(" ")[2].strip()
    await request.app[ACCOUNTS].sign_out(token)


class MeOut(BaseModel):
    account_id: uuid.UUID
    role: str
    display_name: str
    organisation_id: uuid.UUID | None
    worker_id: uuid.UUID | None
    districts: list[str] = Field(description="A supervisor's districts; empty for other roles")
    organisation_role: str | None = Field(None, description="owner, site_manager or finance (docs/organisations.md)")
    site_ids: list[uuid.UUID] = Field(default_factory=list, description="A site manager's sites")


@endpoint(roles=ALL_ROLES, tag="auth", summary="Who the token belongs to", response=MeOut)
async def me(request: web.Request) -> MeOut:
    caller = principal(request)
    return MeOut(account_id=caller.account_id, role=caller.role, display_name=caller.display_name,
                 organisation_id=caller.organisation_id, worker_id=caller.worker_id,
                 districts=sorted(caller.districts), organisation_role=caller.organisation_role,
                 site_ids=sorted(caller.site_ids))


class OwnOrganisationOut(EmployerOut):
    red_flag: bool = Field(description="unpaid wage arrears this employer is at fault for (cleared when paid)")
    red_flag_since: LocalMoment | None = Field(description="when the oldest of those arrears was recorded")


@endpoint(roles={"employer"}, tag="employers", summary="The caller's own organisation, with any arrears red flag",
          response=OwnOrganisationOut)
async def own_organisation(request: web.Request) -> OwnOrganisationOut:
    caller = principal(request)
    organisation = await request.app[ACCOUNTS].own_organisation(caller)
    # The red flag is the settlement package's to compute (its arrears table): ask its service.
    since = await request.app[RED_FLAGS].red_flag_since(organisation.id)
    return OwnOrganisationOut(**vars(organisation), red_flag=since is not None, red_flag_since=since)


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/v1/me", me)
    app.router.add_get("/v1/employers/me", own_organisation)
    app.router.add_post("/v1/auth/register/employer", register_employer)
    app.router.add_post("/v1/auth/register/worker", register_worker)
    app.router.add_post("/v1/auth/tokens", create_token)
    app.router.add_delete("/v1/auth/tokens/current", delete_current_token)
