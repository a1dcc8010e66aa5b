"""HTTP of the filings: parse, call the service, hand back the file."""
from __future__ import annotations

import uuid
from datetime import date

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from market.filings.keys import FILINGS
from market.filings.model import IncomeItem
from market.web.auth import principal
from market.web.endpoint import endpoint


class WithholdingQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    payer: uuid.UUID = Field(description="the paying organisation (扣缴义务人): its id")
    month: str = Field(pattern=r"^20[2-9]\d-(0[1-9]|1[0-2])$",
                       description="YYYY-MM: the month the tax was withheld in (the settlements' day)")
    item: IncomeItem = Field(description="wage: 正常工资薪金所得 (非全日制用工); labor_remuneration: "
                                         "一般劳务报酬所得 (labor service, 不完全符合确立劳动关系)")


@endpoint(roles={"admin"}, tag="filings", query=WithholdingQuery, produces="text/csv", errors=(404,),
          summary="个人所得税 withholding file of one payer and month, for the 扣缴端 import (opens sealed IDs; audited)")
async def withholding_file(request: web.Request, query: WithholdingQuery) -> web.Response:
    year, month = map(int, query.month.split("-"))
    text = await request.app[FILINGS].withholding_file(principal(request), query.payer, date(year, month, 1),
                                                       query.item)
    filename = f"iit-{query.item.value}-{query.payer}-{query.month}.csv"
    return web.Response(text=text, content_type="text/csv", charset="utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{filename}"'})


class OccupationalInjuryQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    month: str = Field(pattern=r"^20[2-9]\d-(0[1-9]|1[0-2])$",
                       description="YYYY-MM: the month the covered work was done in (the shifts' day)")


@endpoint(roles={"admin"}, tag="filings", query=OccupationalInjuryQuery, produces="text/csv",
          summary="职业伤害保障 report of one month: every covered order per worker, for the social insurance agency "
                  "(masked IDs)")
async def occupational_injury_file(request: web.Request, query: OccupationalInjuryQuery) -> web.Response:
    year, month = map(int, query.month.split("-"))
    text = await request.app[FILINGS].occupational_injury_file(date(year, month, 1))
    return web.Response(text=text, content_type="text/csv", charset="utf-8",
                        headers={"Content-Disposition": f'attachment; filename="occupational-injury-{query.month}.csv"'})


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/v1/admin/filings/iit", withholding_file)
    app.router.add_get("/v1/admin/filings/occupational-injury", occupational_injury_file)
