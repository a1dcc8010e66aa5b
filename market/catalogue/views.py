"""GET /v1/districts, /v1/skills and /v1/sectors."""
from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from aiohttp import web
from pydantic import BaseModel, Field

from market.catalogue.model import MinimumWageTable, MinimumWageUnknown
from market.kernel import clock
from market.web.endpoint import ANYONE, endpoint
from market.web.inputs import QueryDate
from market.catalogue.keys import CATALOGUE
from market.web.keys import SETTINGS


class MinimumWageOut(BaseModel):
    effective_from: date
    monthly_fen: int
    hourly_fen: int
    source: str


class DistrictOut(BaseModel):
    code: str = Field(description="GB/T 2260 code; 两江新区 has a documented internal code until one is published")
    name: str
    kind: str
    tier: int = Field(description="Minimum-wage tier (1 or 2)")
    active: bool = Field(description="False for former districts kept so old records resolve")
    lat: float
    lon: float
    note: str | None
    minimum_wage: MinimumWageOut | None = Field(description="The standard in force on the requested date")
    minimum_wage_history: list[MinimumWageOut]


class DistrictList(BaseModel):
    on: date
    items: list[DistrictOut]


class DistrictQuery(BaseModel):
    on: QueryDate | None = Field(None, description="Date for the minimum wage in force (default: today in Asia/Shanghai)")
    include_inactive: bool = False


class SkillOut(BaseModel):
    code: str
    name_zh: str
    name_en: str
    certificate: str | None = Field(description="Certificate a worker must hold for this skill, if any")


class SkillList(BaseModel):
    items: list[SkillOut]


class SectorOut(BaseModel):
    code: str = Field(description="what an order's sector_code names")
    name_zh: str
    name_en: str


class SectorList(BaseModel):
    items: list[SectorOut]


@endpoint(roles=ANYONE, tag="catalogue", summary="Chongqing districts with their minimum-wage standards",
          query=DistrictQuery, response=DistrictList)
async def list_districts(request: web.Request, query: DistrictQuery) -> DistrictList:
    data = await request.app[CATALOGUE].data()
    on = query.on or clock.today(zone=ZoneInfo(request.app[SETTINGS].display_timezone))
    table = MinimumWageTable(data.minimum_wages)
    items = []
    for district in data.districts:
        if not (district.active or query.include_inactive):
            continue
        history = [w for w in data.minimum_wages if w.tier == district.tier]
        try:
            current = table.standard_on(district.tier, on)
        except MinimumWageUnknown:  # a date before the first standard we hold
            current = None
        items.append(DistrictOut(
            code=district.code, name=district.name, kind=district.kind, tier=district.tier,
            active=district.active, lat=district.lat, lon=district.lon, note=district.note,
            minimum_wage=MinimumWageOut(**_wage(current)) if current else None,
            minimum_wage_history=[MinimumWageOut(**_wage(w)) for w in history],
        ))
    return DistrictList(on=on, items=items)


@endpoint(roles=ANYONE, tag="catalogue", summary="The skill catalogue", response=SkillList)
async def list_skills(request: web.Request) -> SkillList:
    data = await request.app[CATALOGUE].data()
    return SkillList(items=[SkillOut(code=s.code, name_zh=s.name_zh, name_en=s.name_en,
                                     certificate=s.certificate) for s in data.skills])


@endpoint(roles=ANYONE, tag="catalogue", response=SectorList,
          summary="The 职业伤害保障 sectors an order may name (each selects its per-order contribution)")
async def list_sectors(request: web.Request) -> SectorList:
    data = await request.app[CATALOGUE].data()
    return SectorList(items=[SectorOut(code=s.code, name_zh=s.name_zh, name_en=s.name_en) for s in data.sectors])


def _wage(wage) -> dict:
    return {"effective_from": wage.effective_from, "monthly_fen": wage.monthly_fen,
            "hourly_fen": wage.hourly_fen, "source": wage.source}


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/v1/districts", list_districts)
    app.router.add_get("/v1/skills", list_skills)
    app.router.add_get("/v1/sectors", list_sectors)
