"""HTTP for employer webhooks: parse, call the service, serialise."""
from __future__ import annotations

import uuid
from dataclasses import asdict

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from market.web.auth import principal
from market.web.endpoint import endpoint, path_uuid
from market.web.keys import SETTINGS
from market.web.inputs import Input
from market.web.outputs import LocalMoment
from market.web.pagination import Page, PageQuery, decode_cursor, encode_cursor, page_limit
from market.webhooks import model
from market.webhooks.keys import WEBHOOKS
from market.webhooks.queries import Delivery

EMPLOYER = {"employer"}


class WebhookIn(Input):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {
            "url": "https://hr.example.cn/market/webhooks",
            "events": ["order.filled", "timesheet.approved", "settlement.posted"],
        },
    ]})
    url: str = Field(min_length=8, max_length=2000, description="https:// endpoint; private networks are refused")
    events: list[str] = Field(min_length=1, max_length=len(model.EVENT_KINDS),
                              description="outbox kinds: " + ", ".join(model.EVENT_KINDS))


class WebhookOut(BaseModel):
    id: uuid.UUID
    url: str
    events: list[str]
    created_at: LocalMoment


class CreatedWebhookOut(WebhookOut):
    secret: str = Field(description="the signing secret, shown only now")


class WebhookList(BaseModel):
    items: list[WebhookOut]


class DeliveryOut(BaseModel):
    id: uuid.UUID
    event_id: int
    event_kind: str
    state: str
    attempts: int
    next_attempt_at: LocalMoment | None = Field(description="when the next attempt is due; null once delivered or failed")
    last_status: int | None
    last_error: str | None
    created_at: LocalMoment
    delivered_at: LocalMoment | None


@endpoint(roles=EMPLOYER, tag="webhooks", body=WebhookIn, response=CreatedWebhookOut, status=201, secret="secret",
          summary="Subscribe an https endpoint to events of your organisation (the secret is shown once)")
async def create(request: web.Request, body: WebhookIn) -> CreatedWebhookOut:
    webhook, secret = await request.app[WEBHOOKS].create(principal(request), body.url, body.events)
    return CreatedWebhookOut(**asdict(webhook), secret=secret)


@endpoint(roles=EMPLOYER, tag="webhooks", response=WebhookList, summary="Your webhooks")
async def list_webhooks(request: web.Request) -> WebhookList:
    return WebhookList(items=[WebhookOut(**asdict(w)) for w in await request.app[WEBHOOKS].list(principal(request))])


@endpoint(roles=EMPLOYER, tag="webhooks", status=204, errors=(404,), summary="Delete a webhook")
async def delete(request: web.Request) -> None:
    await request.app[WEBHOOKS].delete(principal(request), path_uuid(request))


class DeliveryPage(Page[DeliveryOut]):
    pass


@endpoint(roles=EMPLOYER, tag="webhooks", query=PageQuery, response=DeliveryPage, errors=(404,),
          summary="Deliveries of a webhook, newest first")
async def deliveries(request: web.Request, query: PageQuery) -> DeliveryPage:
    settings = request.app[SETTINGS]
    limit = page_limit(query.limit, settings.page_limit_default, settings.page_limit_max)
    rows = await request.app[WEBHOOKS].deliveries(principal(request), path_uuid(request),
                                                  decode_cursor(query.cursor, 2), limit)
    page = rows[:limit]
    cursor = (encode_cursor((page[-1].created_at.isoformat(), str(page[-1].id)))
              if len(rows) > limit and page else None)
    return DeliveryPage(items=[_delivery(d) for d in page], next_cursor=cursor)


@endpoint(roles=EMPLOYER, tag="webhooks", response=DeliveryOut, errors=(404,),
          summary="Deliver again now (a failed or delivered delivery goes back to pending)")
async def retry(request: web.Request) -> DeliveryOut:
    delivery = await request.app[WEBHOOKS].retry(principal(request), path_uuid(request), path_uuid(request, "delivery"))
    return _delivery(delivery)


def _delivery(delivery: Delivery) -> DeliveryOut:
    return DeliveryOut.model_validate(delivery, from_attributes=True)


def setup_routes(app: web.Application) -> None:
    app.router.add_post("/v1/webhooks", create)
    app.router.add_get("/v1/webhooks", list_webhooks)
    app.router.add_delete("/v1/webhooks/{id}", delete)
    app.router.add_get("/v1/webhooks/{id}/deliveries", deliveries)
    app.router.add_post("/v1/webhooks/{id}/deliveries/{delivery}/retry", retry)
