"""HTTP of organisations: its members and their roles, its sites (docs/organisations.md)."""
from __future__ import annotations

import uuid

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from market.kernel.principal import Principal
from market.organisations.keys import ORGANISATIONS
from market.organisations.model import Member, MemberRole, Site
from market.organisations.service import NewMember, NewSite
from market.web.auth import principal
from market.web.endpoint import endpoint, path_uuid
from market.web.inputs import Input, Latitude, Longitude
from market.web.outputs import LocalMoment


class MemberIn(Input):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"login": "site1@example.cn", "password": "correct horse battery", "display_name": "李经理",
         "role": "site_manager", "site_ids": ["7b0f7f4e-2a7e-4c55-9a5e-0d6f2f7c1a11"]},
    ]})
    login: str = Field(min_length=3, max_length=254, description="The member's sign-in name: phone or e-mail "
                                                                  "(stored keyed-hashed and masked, as a sign-up's)")
    password: str = Field(min_length=8, max_length=128, description="8–128 characters")
    display_name: str = Field(min_length=1, max_length=100)
    role: MemberRole = Field(description="owner, site_manager (needs site_ids) or finance")
    site_ids: list[uuid.UUID] = Field(default_factory=list, max_length=200,
                                      description="The sites a site manager manages (GET /v1/sites)")


class MemberChangeIn(Input):
    model_config = ConfigDict(json_schema_extra={"examples": [{"role": "finance", "site_ids": []}]})
    role: MemberRole
    site_ids: list[uuid.UUID] = Field(default_factory=list, max_length=200)


class MemberOut(BaseModel):
    account_id: uuid.UUID
    role: str
    display_name: str
    login_masked: str | None = Field(description="The login, masked")
    site_ids: list[uuid.UUID]
    created_at: LocalMoment
    created_by: uuid.UUID | None = Field(description="The owner account that added the member")


class MemberList(BaseModel):
    items: list[MemberOut]


class NewSiteIn(Input):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"name": "解放碑仓库", "address": "渝中区解放碑某仓库", "lat": 29.5531, "lon": 106.5688, "check_in_radius_m": 300},
    ]})
    name: str = Field(min_length=1, max_length=200)
    address: str = Field("", max_length=500)
    lat: Latitude
    lon: Longitude
    check_in_radius_m: int = Field(500, ge=10, le=10000, description="Check-in farther than this is refused")


class SiteOut(BaseModel):
    id: uuid.UUID
    name: str
    address: str
    lat: float
    lon: float
    check_in_radius_m: int
    manager_ids: list[uuid.UUID] = Field(description="Account ids of the site managers managing it")
    created_at: LocalMoment


class SiteList(BaseModel):
    items: list[SiteOut]


def member_out(m: Member) -> MemberOut:
    return MemberOut(account_id=m.account_id, role=m.role, display_name=m.display_name, login_masked=m.login_masked,
                     site_ids=list(m.site_ids), created_at=m.created_at, created_by=m.created_by)


def site_out(s: Site) -> SiteOut:
    return SiteOut(id=s.id, name=s.name, address=s.address, lat=s.lat, lon=s.lon,
                   check_in_radius_m=s.check_in_radius_m, manager_ids=list(s.manager_ids),
                   created_at=s.created_at)


def _caller(request: web.Request) -> Principal:
    return principal(request)


@endpoint(roles={"employer"}, tag="organisations", summary="The members of the caller's organisation and their roles",
          response=MemberList)
async def list_members(request: web.Request) -> MemberList:
    return MemberList(items=[member_out(m) for m in await request.app[ORGANISATIONS].members(_caller(request))])


@endpoint(roles={"employer"}, tag="organisations", summary="An owner adds a member (a login with a role)",
          body=MemberIn, response=MemberOut, status=201, errors=(403, 409))
async def add_member(request: web.Request, body: MemberIn) -> MemberOut:
    new = NewMember(login=body.login, password=body.password, display_name=body.display_name, role=body.role,
                    site_ids=tuple(body.site_ids))
    return member_out(await request.app[ORGANISATIONS].add_member(_caller(request), new))


@endpoint(roles={"employer"}, tag="organisations", summary="An owner changes a member's role and sites",
          body=MemberChangeIn, response=MemberOut, errors=(403, 404, 409))
async def change_member(request: web.Request, body: MemberChangeIn) -> MemberOut:
    return member_out(await request.app[ORGANISATIONS].change_member(
        _caller(request), path_uuid(request), body.role, tuple(body.site_ids)))


@endpoint(roles={"employer"}, tag="organisations", summary="An owner removes a member (its tokens are revoked)",
          status=204, errors=(403, 404, 409))
async def remove_member(request: web.Request) -> None:
    await request.app[ORGANISATIONS].remove_member(_caller(request), path_uuid(request))


@endpoint(roles={"employer"}, tag="organisations", summary="The organisation's sites (a site manager: their own)",
          response=SiteList)
async def list_sites(request: web.Request) -> SiteList:
    return SiteList(items=[site_out(s) for s in await request.app[ORGANISATIONS].sites(_caller(request))])


@endpoint(roles={"employer"}, tag="organisations", summary="An owner adds a work site", body=NewSiteIn,
          response=SiteOut, status=201, errors=(403,))
async def add_site(request: web.Request, body: NewSiteIn) -> SiteOut:
    new = NewSite(name=body.name, address=body.address, lat=body.lat, lon=body.lon,
                  check_in_radius_m=body.check_in_radius_m)
    return site_out(await request.app[ORGANISATIONS].add_site(_caller(request), new))


@endpoint(roles={"employer"}, tag="organisations", summary="One of the organisation's sites", response=SiteOut,
          errors=(404,))
async def get_site(request: web.Request) -> SiteOut:
    return site_out(await request.app[ORGANISATIONS].site(_caller(request), path_uuid(request)))


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/v1/organisations/me/members", list_members)
    app.router.add_post("/v1/organisations/me/members", add_member)
    app.router.add_put("/v1/organisations/me/members/{id}", change_member)
    app.router.add_delete("/v1/organisations/me/members/{id}", remove_member)
    app.router.add_get("/v1/sites", list_sites)
    app.router.add_post("/v1/sites", add_site)
    app.router.add_get("/v1/sites/{id}", get_site)
