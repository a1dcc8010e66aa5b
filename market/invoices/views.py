"""HTTP of invoice requests: the employer's list (JSON or CSV) and PDF, the operator's list and issue."""
from __future__ import annotations

import uuid
from datetime import date
from typing import Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from market.invoices import render
from market.invoices.keys import INVOICES
from market.invoices.queries import InvoiceRequest
from market.web.auth import principal
from market.web.endpoint import endpoint, path_uuid
from market.web.inputs import BodyDate, Input
from market.web.keys import SETTINGS
from market.web.outputs import LocalMoment

TAG = "invoices"


class InvoiceQuery(BaseModel):
    # A query string is text: not a strict Input (as the statements' month).
    model_config = ConfigDict(extra="forbid")
    period: str | None = Field(None, pattern=r"^20[2-9]\d-(0[1-9]|1[0-2])$", description=(
        "the statement month, YYYY-MM (Chongqing time): a month that is over is invoiced on first asking; "
        "without it, every request made so far"))
    format: Literal["json", "csv"] | None = None


class InvoiceOut(BaseModel):
    id: uuid.UUID
    organisation_id: uuid.UUID
    period: str
    kind: Literal["service_fee", "pass_through"]
    buyer_name: str
    buyer_credit_code: str = Field(description="统一社会信用代码 (the buyer's taxpayer number)")
    tax_category_code: str = Field(description="税收分类编码, 19 digits")
    item_name: str = Field(description="as printed on the invoice: *简称*项目")
    tax_rate_permille: int = Field(description="60 = 6 %; 0 with tax_treatment not_taxable (不征税)")
    tax_treatment: Literal["general", "not_taxable"]
    amount_fen: int = Field(description="金额, excluding tax")
    tax_fen: int = Field(description="税额")
    total_fen: int = Field(description="价税合计 = amount_fen + tax_fen: what the ledger holds")
    state: Literal["requested", "issued"]
    invoice_number: str | None
    issued_on: date | None
    issued_at: LocalMoment | None
    created_at: LocalMoment


class InvoiceList(BaseModel):
    items: list[InvoiceOut]


class IssueIn(Input):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"invoice_number": "25502000000012345678", "issued_on": "2026-12-03"}]})
    invoice_number: str = Field(pattern=r"^[0-9]{20}$", description="the 全电发票's number, 20 digits")
    issued_on: BodyDate = Field(description="开票日期: after the invoiced month, not in the future")


def _out(r: InvoiceRequest) -> InvoiceOut:
    return InvoiceOut(**{name: getattr(r, name) for name in InvoiceOut.model_fields})


def _list(request: web.Request, rows: list[InvoiceRequest], query: InvoiceQuery) -> InvoiceList | web.Response:
    wants_csv = query.format == "csv" or (query.format is None and "text/csv" in request.headers.get("Accept", ""))
    if wants_csv:
        return web.Response(text=render.csv_text(rows), content_type="text/csv", charset="utf-8", headers={
            "Content-Disposition": f'attachment; filename="invoices-{query.period or "all"}.csv"'})
    return InvoiceList(items=[_out(r) for r in rows])


@endpoint(roles={"employer"}, tag=TAG, query=InvoiceQuery, response=InvoiceList, produces="text/csv",
          summary="The caller's invoice requests (JSON, or CSV with ?format=csv); a month that is over is made on asking")
async def my_invoices(request: web.Request, query: InvoiceQuery) -> InvoiceList | web.Response:
    return _list(request, await request.app[INVOICES].list_for(principal(request), query.period), query)


@endpoint(roles={"admin"}, tag=TAG, query=InvoiceQuery, response=InvoiceList, produces="text/csv",
          summary="Every employer's invoice requests (JSON or CSV); a month that is over is made on asking")
async def all_invoices(request: web.Request, query: InvoiceQuery) -> InvoiceList | web.Response:
    return _list(request, await request.app[INVOICES].list_for(principal(request), query.period), query)


@endpoint(roles={"employer", "admin"}, tag=TAG, produces="application/pdf", errors=(404,),
          summary="An invoice request as PDF (its buyer's, or the operator's)")
async def invoice_pdf(request: web.Request) -> web.Response:
    found = await request.app[INVOICES].get(principal(request), path_uuid(request))
    settings = request.app[SETTINGS]
    document = render.pdf(found, settings.invoice_seller_name, settings.invoice_seller_credit_code)
    return web.Response(body=document, content_type="application/pdf", headers={
        "Content-Disposition": f'inline; filename="invoice-request-{found.id}.pdf"'})


@endpoint(roles={"admin"}, tag=TAG, body=IssueIn, response=InvoiceOut, errors=(404, 409),
          summary="The operator issued the invoice: its number and date, once (then it never changes)")
async def issue_invoice(request: web.Request, body: IssueIn) -> InvoiceOut:
    return _out(await request.app[INVOICES].issue(principal(request), path_uuid(request), body.invoice_number,
                                                  body.issued_on))


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/v1/employers/me/invoices", my_invoices)
    app.router.add_get("/v1/admin/invoices", all_invoices)
    app.router.add_get("/v1/invoices/{id}/pdf", invoice_pdf)
    app.router.add_post("/v1/admin/invoices/{id}/issue", issue_invoice)
