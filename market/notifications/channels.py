"""The channels, behind one interface (`Channel`): `log` (the default: the log line, and the row
of the delivery log it marks sent), `sms` (Aliyun SMS SendSms), `wechat` (WeChat subscription
messages), `web_push` (Web Push with VAPID, pywebpush). docs/notifications.md gives each
provider's documented API.

A channel raises `SendFailed` when an attempt did not deliver (`retry`: whether another attempt
may succeed), and never logs a phone number or an openid.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol
from urllib.parse import quote

import ipaddress
import socket

import aiohttp
from aiohttp.resolver import ThreadedResolver

log = logging.getLogger(__name__)


class PublicOnlyResolver(ThreadedResolver):
    """Push endpoints are the browser's to choose, so the person's: a connection to one goes to
    public addresses only (no loopback, private, link-local — cloud metadata — or reserved ones),
    checked at connection time so a name re-resolved after a check (DNS rebinding) is refused too."""

    async def resolve(self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET):
        results = await super().resolve(host, port, family)
        for result in results:
            address = ipaddress.ip_address(result["host"].split("%", 1)[0])
            mapped = getattr(address, "ipv4_mapped", None)
            if not address.is_global or (mapped is not None and not mapped.is_global):
                raise OSError("push endpoint refused: not a public address")
        return results


class SendFailed(Exception):
    def __init__(self, reason: str, *, retry: bool = True) -> None:
        super().__init__(reason)
        self.retry = retry


@dataclass(frozen=True)
class WebPushTarget:
    id: uuid.UUID
    endpoint: str
    p256dh: str
    auth: str


@dataclass
class Recipient:
    """Whom a notification goes to, with the contacts opened for this send only."""
    account_id: uuid.UUID
    phone: str | None = None
    openid: str | None = None
    web_push: list[WebPushTarget] = field(default_factory=list)
    # subscriptions the push service said are gone (404/410): the service deletes them
    gone: list[uuid.UUID] = field(default_factory=list)


class Channel(Protocol):
    name: str

    def reaches(self, recipient: Recipient) -> bool:
        """Whether this channel has a way to the recipient (a phone, an openid, a subscription)."""
        ...

    async def send(self, recipient: Recipient, kind: str, message: dict[str, Any]) -> None: ...


class LogChannel:
    """The default: one log line per notification; the delivery log row is the table."""
    name = "log"

    def reaches(self, recipient: Recipient) -> bool:
        return True

    async def send(self, recipient: Recipient, kind: str, message: dict[str, Any]) -> None:
        log.info("notification", extra={"account_id": str(recipient.account_id), "kind": kind,
                                        "title": message.get("title")})


# -- Aliyun SMS (dysmsapi 2017-05-25, SendSms; RPC signature v1, HMAC-SHA1) --------------------------
def aliyun_percent(text: str) -> str:
    """RFC 3986 percent-encoding as Aliyun's RPC signature specifies: unreserved characters kept,
    everything else %XX (space is %20, `*` is %2A, `~` stays)."""
    return quote(text, safe="-_.~")


def aliyun_signature(params: dict[str, str], secret: str, method: str = "GET") -> str:
    """Signature = Base64(HMAC-SHA1(secret + "&", method & %2F & percent(canonical query)))."""
    canonical = "&".join(f"{aliyun_percent(k)}={aliyun_percent(v)}" for k, v in sorted(params.items()))
    to_sign = f"{method}&{aliyun_percent('/')}&{aliyun_percent(canonical)}"
    digest = hmac.new((secret + "&").encode(), to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


class AliyunSms:
    name = "sms"

    def __init__(self, session: aiohttp.ClientSession, endpoint: str, access_key_id: str, access_key_secret: str,
                 sign_name: str, template_code: str, timeout: float) -> None:
        self.session, self.endpoint = session, endpoint
        self.access_key_id, self.access_key_secret = access_key_id, access_key_secret
        self.sign_name, self.template_code, self.timeout = sign_name, template_code, timeout

    def reaches(self, recipient: Recipient) -> bool:
        return recipient.phone is not None

    def request_params(self, phone: str, kind: str, message: dict[str, Any], nonce: str,
                       moment: datetime) -> dict[str, str]:
        params = {
            "AccessKeyId": self.access_key_id, "Action": "SendSms", "Format": "JSON", "PhoneNumbers": phone,
            "RegionId": "cn-hangzhou", "SignName": self.sign_name, "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": nonce, "SignatureVersion": "1.0", "TemplateCode": self.template_code,
            "TemplateParam": json.dumps({"title": message["title"], "body": message["body"][:35]},
                                        ensure_ascii=False, separators=(",", ":")),
            "Timestamp": moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), "Version": "2017-05-25",
        }
        # POSTed as a form, so the number is in no URL (access logs, proxies)
        params["Signature"] = aliyun_signature(params, self.access_key_secret, "POST")
        return params

    async def send(self, recipient: Recipient, kind: str, message: dict[str, Any]) -> None:
        if recipient.phone is None:
            raise SendFailed("no phone", retry=False)
        params = self.request_params(recipient.phone, kind, message, uuid.uuid4().hex, datetime.now(UTC))
        try:
            async with self.session.post(self.endpoint, data=params,
                                         timeout=aiohttp.ClientTimeout(total=self.timeout)) as response:
                answer = await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as error:
            raise SendFailed(f"aliyun: {type(error).__name__}") from None
        code = answer.get("Code") if isinstance(answer, dict) else None
        if code != "OK":
            # throttling and service errors may pass; a bad template, sign or number will not
            retry = code in ("isv.BUSINESS_LIMIT_CONTROL", "ServiceUnavailable", "Throttling.User") or code is None
            raise SendFailed(f"aliyun: {code}", retry=retry)


# -- WeChat subscription messages (subscribeMessage.send, access_token from cgi-bin/token) ---------
class WeChatSubscribe:
    name = "wechat"
    TOKEN_ERRORS = (40001, 40014, 42001)  # invalid or expired access_token: fetch a new one

    def __init__(self, session: aiohttp.ClientSession, base_url: str, app_id: str, app_secret: str,
                 template_id: str, page: str, timeout: float) -> None:
        self.session, self.base_url = session, base_url.rstrip("/")
        self.app_id, self.app_secret, self.template_id, self.page = app_id, app_secret, template_id, page
        self.timeout = timeout
        self._token: tuple[str, float] | None = None

    def reaches(self, recipient: Recipient) -> bool:
        return recipient.openid is not None

    async def access_token(self, fresh: bool = False) -> str:
        if self._token is not None and not fresh and self._token[1] > time.monotonic():
            return self._token[0]
        answer = await self._call("GET", "/cgi-bin/token", params={
            "grant_type": "client_credential", "appid": self.app_id, "secret": self.app_secret})
        token = answer.get("access_token")
        if not isinstance(token, str):
            raise SendFailed(f"wechat token: errcode {answer.get('errcode')}")
        # renewed five minutes before it lapses (expires_in is 7200 s)
        self._token = (token, time.monotonic() + max(60, int(answer.get("expires_in", 7200)) - 300))
        return token

    def body(self, openid: str, kind: str, message: dict[str, Any]) -> dict[str, Any]:
        return {"touser": openid, "template_id": self.template_id, "page": self.page, "lang": "zh_CN",
                "data": {"thing1": {"value": message["title"][:20]}, "thing2": {"value": message["body"][:20]}}}

    async def send(self, recipient: Recipient, kind: str, message: dict[str, Any]) -> None:
        if recipient.openid is None:
            raise SendFailed("no openid", retry=False)
        body = self.body(recipient.openid, kind, message)
        for fresh in (False, True):
            token = await self.access_token(fresh)
            answer = await self._call("POST", "/cgi-bin/message/subscribe/send", params={"access_token": token},
                                      json_body=body)
            errcode = answer.get("errcode", 0)
            if errcode == 0:
                return
            if errcode not in self.TOKEN_ERRORS:
                # 43101: the user has not (or no longer) subscribed; 40003: bad openid — no retry helps
                raise SendFailed(f"wechat: errcode {errcode}", retry=errcode not in (43101, 40003, 40037, 47003))
        raise SendFailed("wechat: access_token refused twice")

    async def _call(self, method: str, path: str, params: dict[str, str],
                    json_body: dict[str, Any] | None = None) -> dict[str, Any]:
        try:
            async with self.session.request(method, self.base_url + path, params=params, json=json_body,
                                            timeout=aiohttp.ClientTimeout(total=self.timeout)) as response:
                answer = await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as error:
            raise SendFailed(f"wechat: {type(error).__name__}") from None
        if not isinstance(answer, dict):
            raise SendFailed("wechat: not a JSON object")
        return answer


# -- Web Push (RFC 8030 / 8291 aes128gcm / 8292 VAPID), through pywebpush ----------------------------
class WebPush:
    name = "web_push"

    def __init__(self, session: aiohttp.ClientSession, vapid_private_key: str, subject: str, ttl: int,
                 timeout: float) -> None:
        self.session, self.vapid_private_key, self.subject = session, vapid_private_key, subject
        self.ttl, self.timeout = ttl, timeout

    def reaches(self, recipient: Recipient) -> bool:
        return bool(recipient.web_push)

    async def send(self, recipient: Recipient, kind: str, message: dict[str, Any]) -> None:
        from pywebpush import WebPushException, webpush_async

        data = json.dumps({"kind": kind, **message}, ensure_ascii=False, separators=(",", ":"))
        delivered, failures = 0, []
        for target in recipient.web_push:
            info = {"endpoint": target.endpoint, "keys": {"p256dh": target.p256dh, "auth": target.auth}}
            try:
                response = await webpush_async(info, data, vapid_private_key=self.vapid_private_key,
                                               vapid_claims={"sub": self.subject}, ttl=self.ttl,
                                               timeout=self.timeout, aiohttp_session=self.session)
                status = getattr(response, "status", 0)
            except WebPushException as error:  # any answer above 202
                status = getattr(error.response, "status", 0) if error.response is not None else 0
            except (aiohttp.ClientError, TimeoutError, ValueError, OSError) as error:
                failures.append(f"{type(error).__name__}: {error}"[:120])
                continue
            if status in (404, 410):
                recipient.gone.append(target.id)
            elif 200 <= status < 300:
                delivered += 1
            else:
                failures.append(f"HTTP {status}")
        if delivered == 0:
            if not failures and recipient.gone:
                raise SendFailed("web push: every subscription is gone", retry=False)
            raise SendFailed("web push: " + ", ".join(failures or ["no subscription"]), retry=bool(failures))
