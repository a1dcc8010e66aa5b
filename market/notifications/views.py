"""HTTP for notifications: a person's preferences, delivery log and Web Push subscriptions; the
operator's delivery log."""
from __future__ import annotations

import uuid
from datetime import time
from typing import Any, Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from market.notifications import model, vapid
from market.notifications.keys import NOTIFICATIONS
from market.notifications.queries import LogRow, Preferences
from market.web.auth import principal
from market.web.endpoint import ANYONE, endpoint
from market.web.inputs import Input
from market.web.outputs import LocalMoment
from market.web.pagination import Page, PageQuery, decode_created_cursor, encode_cursor, request_limit
from market.web.keys import SETTINGS

PEOPLE = {"worker", "employer"}
Channel = Literal["log", "sms", "wechat", "web_push"]
State = Literal["pending", "sent", "failed", "cancelled"]


class QuietHours(Input):
    start: time = Field(description="Beijing time, e.g. 22:00")
    end: time = Field(description="Beijing time, e.g. 07:00 (before start: the hours span midnight)")


class PreferencesIn(Input):
    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra={"examples": [
        {"opted_out": False, "channels": {"offer.made": ["log", "web_push", "sms"], "payout.paid": ["log"]},
         "quiet_hours": {"start": "22:00", "end": "07:00"}, "phone": "13800138000"},
    ]})
    opted_out: bool = Field(False, description="true: nothing at all is sent to you")
    channels: dict[str, list[Channel]] = Field(default_factory=dict, max_length=len(model.KINDS), description=(
        "kind → channels; a kind not named goes to the default channels. Kinds: " + ", ".join(model.KINDS)))
    quiet_hours: QuietHours | None = Field(None, description="messages due in them wait until they end "
                                                             "(except offer.expiring)")
    phone: str | None = Field(None, max_length=11, description="for sms: stored sealed, shown masked; omitted: kept")
    wechat_openid: str | None = Field(None, max_length=64, description="for wechat: stored sealed; omitted: kept")


class PreferencesOut(BaseModel):
    opted_out: bool
    channels: dict[str, list[str]]
    default_channels: list[str]
    quiet_hours: dict[str, str] | None
    phone_masked: str | None
    wechat_linked: bool
    web_push_subscribed: bool


class NotificationOut(BaseModel):
    id: uuid.UUID
    kind: str
    channel: str
    state: State
    attempts: int
    title: str
    body: str
    data: dict[str, Any]
    next_attempt_at: LocalMoment | None
    last_error: str | None
    created_at: LocalMoment
    sent_at: LocalMoment | None


class AdminNotificationOut(NotificationOut):
    account_id: uuid.UUID
    event_key: str


class NotificationPage(Page[NotificationOut]):
    pass


class AdminNotificationPage(Page[AdminNotificationOut]):
    pass


class AdminLogQuery(PageQuery):
    model_config = ConfigDict(extra="forbid")
    account_id: uuid.UUID | None = Field(None, description="one person's notifications")
    state: State | None = None


class SubscriptionKeys(Input):
    p256dh: str = Field(min_length=80, max_length=100, description="the browser's P-256 key, base64url")
    auth: str = Field(min_length=16, max_length=32, description="the 16-byte auth secret, base64url")


class SubscriptionIn(Input):
    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra={"examples": [
        {"endpoint": "https://fcm.googleapis.com/fcm/send/abc123",
         "keys": {"p256dh": "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM",
                  "auth": "tBHItJI5svbpez7KI4CCXg"}},
    ]})
    endpoint: str = Field(min_length=10, max_length=2000, pattern=r"^https?://",
                          description="PushSubscription.endpoint")
    keys: SubscriptionKeys


class UnsubscribeIn(Input):
    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra={"examples": [
        {"endpoint": "https://fcm.googleapis.com/fcm/send/abc123"}]})
    endpoint: str = Field(min_length=10, max_length=2000, description="the subscription's endpoint")


class SubscriptionOut(BaseModel):
    id: uuid.UUID
    endpoint: str
    created_at: LocalMoment


class PublicKeyOut(BaseModel):
    public_key: str = Field(description="the VAPID public key, base64url: PushManager.subscribe's applicationServerKey")


def _preferences(request: web.Request, p: Preferences) -> PreferencesOut:
    quiet = ({"start": p.quiet_start.strftime("%H:%M"), "end": p.quiet_end.strftime("%H:%M")}
             if p.quiet_start and p.quiet_end else None)
    return PreferencesOut(opted_out=p.opted_out, channels=p.channels,
                          default_channels=list(request.app[SETTINGS].notifications_default_channels),
                          quiet_hours=quiet, phone_masked=p.phone_masked, wechat_linked=p.has_openid,
                          web_push_subscribed=p.has_web_push)


@endpoint(roles=PEOPLE, tag="notifications", response=PreferencesOut, summary="Your notification preferences")
async def get_preferences(request: web.Request) -> PreferencesOut:
    return _preferences(request, await request.app[NOTIFICATIONS].preferences(principal(request)))


@endpoint(roles=PEOPLE, tag="notifications", body=PreferencesIn, response=PreferencesOut,
          summary="Set your channels per kind, quiet hours, contacts, or opt out of everything")
async def put_preferences(request: web.Request, body: PreferencesIn) -> PreferencesOut:
    quiet = (body.quiet_hours.start, body.quiet_hours.end) if body.quiet_hours else None
    prefs = await request.app[NOTIFICATIONS].set_preferences(
        principal(request), body.opted_out, {k: list(v) for k, v in body.channels.items()}, quiet, body.phone,
        body.wechat_openid)
    return _preferences(request, prefs)


def _out(row: LogRow) -> dict[str, Any]:
    return {"id": row.id, "kind": row.kind, "channel": row.channel, "state": row.state, "attempts": row.attempts,
            "title": row.message.get("title", ""), "body": row.message.get("body", ""),
            "data": row.message.get("data", {}), "next_attempt_at": row.next_attempt_at,
            "last_error": row.last_error, "created_at": row.created_at, "sent_at": row.sent_at}


@endpoint(roles=PEOPLE, tag="notifications", query=PageQuery, response=NotificationPage,
          summary="Your notifications, newest first, with each channel's delivery state")
async def list_notifications(request: web.Request, query: PageQuery) -> NotificationPage:
    limit = request_limit(request, query)
    rows = await request.app[NOTIFICATIONS].log(principal(request).account_id, None,
                                                decode_created_cursor(query.cursor), limit + 1)
    page = rows[:limit]
    cursor = encode_cursor((page[-1].created_at.isoformat(), str(page[-1].id))) if len(rows) > limit else None
    return NotificationPage(items=[NotificationOut(**_out(r)) for r in page], next_cursor=cursor)


@endpoint(roles={"admin"}, tag="notifications", query=AdminLogQuery, response=AdminNotificationPage,
          summary="The delivery log of every notification, newest first (the operator's view)")
async def admin_log(request: web.Request, query: AdminLogQuery) -> AdminNotificationPage:
    limit = request_limit(request, query)
    rows = await request.app[NOTIFICATIONS].log(query.account_id, query.state, decode_created_cursor(query.cursor),
                                                limit + 1)
    page = rows[:limit]
    cursor = encode_cursor((page[-1].created_at.isoformat(), str(page[-1].id))) if len(rows) > limit else None
    return AdminNotificationPage(items=[AdminNotificationOut(**_out(r), account_id=r.account_id,
                                                             event_key=r.event_key) for r in page],
                                 next_cursor=cursor)


@endpoint(roles=PEOPLE, tag="notifications", body=SubscriptionIn, response=SubscriptionOut, status=201,
          summary="Register this browser's Web Push subscription (PushManager.subscribe)")
async def subscribe(request: web.Request, body: SubscriptionIn) -> SubscriptionOut:
    row = await request.app[NOTIFICATIONS].subscribe(principal(request), body.endpoint, body.keys.p256dh,
                                                     body.keys.auth)
    return SubscriptionOut(**dict(row))


@endpoint(roles=PEOPLE, tag="notifications", body=UnsubscribeIn, status=204, errors=(404,),
          summary="Remove a Web Push subscription of yours")
async def unsubscribe(request: web.Request, body: UnsubscribeIn) -> None:
    await request.app[NOTIFICATIONS].unsubscribe(principal(request), body.endpoint)


@endpoint(roles=ANYONE, tag="notifications", response=PublicKeyOut, summary="The VAPID public key for Web Push")
async def public_key(request: web.Request) -> PublicKeyOut:
    return PublicKeyOut(public_key=vapid.public_key(request.app[NOTIFICATIONS].vapid_private_key))


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/v1/notifications", list_notifications)
    app.router.add_get("/v1/notifications/preferences", get_preferences)
    app.router.add_put("/v1/notifications/preferences", put_preferences)
    app.router.add_post("/v1/notifications/web-push/subscriptions", subscribe)
    app.router.add_delete("/v1/notifications/web-push/subscriptions", unsubscribe)
    app.router.add_get("/v1/notifications/web-push/public-key", public_key)
    app.router.add_get("/v1/admin/notifications", admin_log)
