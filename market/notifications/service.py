"""Notifications: the fan-in (outbox events and sweeps → notification rows, once per event, person
and channel), the delivery worker (quiet hours, the hourly allowance, retries with backoff), and
each person's preferences, contacts and Web Push subscriptions."""
from __future__ import annotations

import asyncio
import base64
import json
import logging
import uuid
from datetime import datetime, time, timedelta
from typing import Any

import aiohttp
import asyncpg

from market.config import Settings
from market.errors import FieldError, NotFound, ValidationFailed
from market.kernel import clock
from market.kernel.clock import SHANGHAI
from market.kernel.principal import Principal
from market.notifications import model, queries
from market.notifications.channels import (AliyunSms, Channel, LogChannel, PublicOnlyResolver, Recipient, SendFailed,
                                           WebPush, WebPushTarget, WeChatSubscribe)
from market.sealing import Keyring, Sealed

log = logging.getLogger(__name__)
CLAIM_BATCH = 50
EVENT_BATCH = 500
PAID_LOOKBACK = timedelta(days=2)


def phone_aad(account_id: uuid.UUID) -> bytes:
    return b"market:notification_preferences.phone:" + account_id.bytes


def openid_aad(account_id: uuid.UUID) -> bytes:
    return b"market:notification_preferences.openid:" + account_id.bytes


class Notifications:
    def __init__(self, pool: asyncpg.Pool, settings: Settings, keyring: Keyring, vapid_private_key: str) -> None:
        self.pool, self.settings, self.keyring = pool, settings, keyring
        self.vapid_private_key = vapid_private_key

    # -- preferences ------------------------------------------------------------------------------
    async def preferences(self, caller: Principal) -> queries.Preferences:
        async with self.pool.acquire() as conn:
            return (await queries.preferences_of(conn, [caller.account_id]))[caller.account_id]

    async def set_preferences(self, caller: Principal, opted_out: bool, channels: dict[str, list[str]],
                              quiet: tuple[time, time] | None, phone: str | None, openid: str | None
                              ) -> queries.Preferences:
        errors = []
        for kind, chosen in channels.items():
            if kind not in model.KINDS:
                errors.append(FieldError(("channels", kind), "not a notification kind: " + ", ".join(model.KINDS)))
            for i, channel in enumerate(chosen):
                if channel not in model.CHANNELS:
                    errors.append(FieldError(("channels", kind, i), "not a channel: " + ", ".join(model.CHANNELS)))
        if quiet is not None and quiet[0] == quiet[1]:
            errors.append(FieldError(("quiet_hours", "end"), "must differ from start"))
        if phone is not None and not model.PHONE.match(phone):
            errors.append(FieldError(("phone",), "is not a mainland mobile number (11 digits, 1[3-9]…)"))
        if openid is not None and not model.OPENID.match(openid):
            errors.append(FieldError(("wechat_openid",), "is not a WeChat openid"))
        if errors:
            raise ValidationFailed(errors)
        account = caller.account_id
        async with self.pool.acquire() as conn, conn.transaction():
            await queries.upsert_preferences(conn, account, opted_out,
                                             {k: sorted(set(v)) for k, v in channels.items()},
                                             quiet[0] if quiet else None, quiet[1] if quiet else None)
            if phone is not None:
                sealed = self.keyring.seal(phone, phone_aad(account))
                await queries.set_phone(conn, account, sealed.blob, sealed.key_id, model.mask_phone(phone))
            if openid is not None:
                sealed = self.keyring.seal(openid, openid_aad(account))
                await queries.set_openid(conn, account, sealed.blob, sealed.key_id)
            return (await queries.preferences_of(conn, [account]))[account]

    async def subscribe(self, caller: Principal, endpoint: str, p256dh: str, auth: str) -> asyncpg.Record:
        if not endpoint.startswith("https://") and not self.settings.notifications_web_push_allow_http:
            raise ValidationFailed([FieldError(("endpoint",), "must be an https:// URL")])
        try:
            for field, value, size in (("p256dh", p256dh, 65), ("auth", auth, 16)):
                if len(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))) != size:
                    raise ValidationFailed([FieldError(("keys", field), f"is not {size} bytes of base64url")])
        except ValueError:
            raise ValidationFailed([FieldError(("keys",), "is not base64url")]) from None
        async with self.pool.acquire() as conn:
            return await queries.add_subscription(conn, caller.account_id, endpoint, p256dh, auth)

    async def unsubscribe(self, caller: Principal, endpoint: str) -> None:
        async with self.pool.acquire() as conn:
            if not await queries.delete_subscription(conn, caller.account_id, endpoint):
                raise NotFound("no such subscription")

    async def log(self, account_id: uuid.UUID | None, state: str | None, after: tuple[datetime, uuid.UUID] | None,
                  limit: int) -> list[queries.LogRow]:
        async with self.pool.acquire() as conn:
            return await queries.log_of(conn, account_id, state, after, limit)

    # -- the fan-in -------------------------------------------------------------------------------
    async def fan_in(self) -> int:
        """Read the outbox on from the cursor and make the notifications its events call for. Only
        the consumer holding the cursor reads; a crash rolls back both the rows and the cursor."""
        made = 0
        while True:
            async with self.pool.acquire() as conn, conn.transaction():
                after = await queries.lock_cursor(conn)
                if after is None:
                    return made
                newest = await queries.newest_seq(conn)
                if newest <= after:
                    return made
                events = await queries.events_after(conn, after, newest, list(model.EVENT_KINDS), EVENT_BATCH)
                rows: list[dict[str, Any]] = []
                for event in events:
                    rows += await self._from_event(conn, event)
                made += await self._insert(conn, rows)
                done = events[-1]["seq"] if len(events) == EVENT_BATCH else newest
                await queries.advance(conn, done)
                if done == newest:
                    return made

    async def _from_event(self, conn: asyncpg.Connection, event: asyncpg.Record) -> list[dict[str, Any]]:
        kind = model.EVENT_KINDS[event["kind"]]
        payload = json.loads(event["payload"])
        workers, organisations = list(event["worker_ids"]), list(event["organisation_ids"])
        if kind == "case.answered":
            if payload.get("move") != "answer":
                return []
            parties = await queries.case_parties(conn, uuid.UUID(payload["case_id"]))
            if parties is None:
                return []
            accounts = [a for a in (parties["worker_account"], parties["organisation_account"])
                        if a != parties["answered_by"]]
        elif kind in ("offer.made", "timesheet.approved"):
            accounts = await queries.accounts_of(conn, workers, [])
        else:  # certificate.expiring: the worker, and each employer holding the worker on seats that need it
            accounts = await queries.accounts_of(conn, workers, organisations)
        if kind == "certificate.expiring":
            payload = {**payload, "certificate": payload.get("kind", "")}
        return [{"event_key": f"event:{event['id']}", "account_id": a, "kind": kind, "event_id": event["id"],
                 "facts": payload} for a in accounts]

    async def _insert(self, conn: asyncpg.Connection, wanted: list[dict[str, Any]]) -> int:
        """The rows for each wanted (event key, account, kind, facts): one per channel the person
        takes the kind on and can be reached by; none for a person who opted out."""
        if not wanted:
            return 0
        prefs = await queries.preferences_of(conn, list({w["account_id"] for w in wanted}))
        now = clock.now()
        rows = []
        for w in wanted:
            pref = prefs.get(w["account_id"])
            if pref is None or pref.opted_out:
                continue
            quiet = model.Quiet(pref.quiet_start, pref.quiet_end) if pref.quiet_start and pref.quiet_end else None
            due = model.due_at(w["kind"], quiet, now)
            message = model.message(w["kind"], w["facts"])
            for channel in model.channels_for(w["kind"], pref.channels, self.settings.notifications_default_channels):
                if not self._reachable(channel, pref):
                    continue
                rows.append({"event_key": w["event_key"], "account_id": str(w["account_id"]), "channel": channel,
                             "kind": w["kind"], "event_id": w.get("event_id"), "message": message,
                             "due": due.isoformat()})
        return await queries.insert_notifications(conn, rows)

    def _reachable(self, channel: str, pref: queries.Preferences) -> bool:
        s = self.settings
        return {"log": True, "sms": pref.phone_masked is not None and s.notifications_sms_access_key_id is not None,
                "wechat": pref.has_openid and s.notifications_wechat_app_id is not None,
                "web_push": pref.has_web_push}[channel]

    async def sweep(self, at: datetime | None = None) -> int:
        """The reminders no event announces: an offer about to lapse, a shift tomorrow (from the
        evening before, Beijing time), a shift about to start (check in), a payout paid."""
        now = clock.now(at)
        s = self.settings
        wanted: list[dict[str, Any]] = []
        async with self.pool.acquire() as conn, conn.transaction():
            for r in await queries.offers_expiring(conn, s.notifications_offer_expiring_before):
                wanted.append({"event_key": r["event_key"], "account_id": r["account_id"], "kind": "offer.expiring",
                               "facts": {"offer_id": str(r["offer_id"]), "title": r["title"],
                                         "expires_at": r["expires_at"].astimezone(SHANGHAI).isoformat(),
                                         "start": r["starts_at"].astimezone(SHANGHAI).isoformat()}})
            local = now.astimezone(SHANGHAI)
            hour, minute = map(int, s.notifications_shift_tomorrow_at.split(":"))
            if local.time() >= time(hour, minute):
                tomorrow = datetime.combine(local.date() + timedelta(days=1), time(), SHANGHAI)
                for r in await queries.shifts_starting(conn, tomorrow, tomorrow + timedelta(days=1), "shift.tomorrow"):
                    wanted.append(self._shift("shift.tomorrow", r))
            for r in await queries.shifts_starting(conn, now, now + s.notifications_checkin_before, "checkin.reminder"):
                wanted.append(self._shift("checkin.reminder", r))
            for r in await queries.payouts_paid(conn, PAID_LOOKBACK):
                wanted.append({"event_key": r["event_key"], "account_id": r["account_id"], "kind": "payout.paid",
                               "facts": {"payout_id": str(r["payout_id"]), "amount_fen": r["amount_fen"],
                                         "amount": f"{r['amount_fen'] // 100}.{r['amount_fen'] % 100:02d}"}})
            return await self._insert(conn, wanted)

    @staticmethod
    def _shift(kind: str, r: asyncpg.Record) -> dict[str, Any]:
        return {"event_key": r["event_key"], "account_id": r["account_id"], "kind": kind,
                "facts": {"assignment_id": str(r["assignment_id"]), "title": r["title"],
                          "start": r["starts_at"].astimezone(SHANGHAI).isoformat()}}

    # -- delivery ---------------------------------------------------------------------------------
    def channels(self, session: aiohttp.ClientSession,
                 push_session: aiohttp.ClientSession | None = None) -> dict[str, Channel]:
        """The channels on `session` (the providers' fixed endpoints, from the settings) and
        `push_session` for the push endpoints people give (public addresses only in serve)."""
        s = self.settings
        timeout = s.notifications_timeout.total_seconds()
        found: dict[str, Channel] = {"log": LogChannel(),
                                     "web_push": WebPush(push_session or session, self.vapid_private_key, s.notifications_vapid_subject,
                                                         s.notifications_web_push_ttl, timeout)}
        if s.notifications_sms_access_key_id and s.notifications_sms_access_key_secret:
            found["sms"] = AliyunSms(session, s.notifications_sms_endpoint, s.notifications_sms_access_key_id,
                                     s.notifications_sms_access_key_secret.get_secret_value(),
                                     s.notifications_sms_sign_name, s.notifications_sms_template_code, timeout)
        if s.notifications_wechat_app_id and s.notifications_wechat_app_secret:
            found["wechat"] = WeChatSubscribe(session, s.notifications_wechat_base_url, s.notifications_wechat_app_id,
                                              s.notifications_wechat_app_secret.get_secret_value(),
                                              s.notifications_wechat_template_id, s.notifications_wechat_page, timeout)
        return found

    async def deliver_due(self, channels: dict[str, Channel]) -> int:
        lease = self.settings.notifications_timeout * 3 + timedelta(seconds=5)
        async with self.pool.acquire() as conn:
            claimed = await queries.claim_due(conn, CLAIM_BATCH, lease)
        await asyncio.gather(*(self._deliver(channels, row) for row in claimed))
        return len(claimed)

    async def _deliver(self, channels: dict[str, Channel], row: queries.Claimed) -> None:
        recipient = await self._ready(row)
        if recipient is None:
            return
        channel = channels.get(row.channel)
        try:
            if channel is None:
                raise SendFailed(f"the {row.channel} channel is not configured", retry=False)
            await channel.send(recipient, row.kind, row.message)
        except SendFailed as failure:
            async with self.pool.acquire() as conn:
                await queries.delete_subscriptions(conn, recipient.gone)
                now = clock.now()
                s = self.settings
                wait = model.backoff(row.attempts, s.notifications_retry_first, s.notifications_retry_cap)
                gives_up = not failure.retry or now + wait > row.created_at + s.notifications_retry_for
                await queries.failed_attempt(conn, row.id, gives_up, now + wait, str(failure))
            return
        async with self.pool.acquire() as conn:
            await queries.delete_subscriptions(conn, recipient.gone)
            await queries.sent(conn, row.id)

    async def _ready(self, row: queries.Claimed) -> Recipient | None:
        """The recipient, if the notification may go now: cancelled for a person who opted out,
        postponed in quiet hours or beyond the hourly allowance (both uncounted as attempts)."""
        async with self.pool.acquire() as conn, conn.transaction():
            pref = (await queries.preferences_of(conn, [row.account_id]))[row.account_id]
            if pref.opted_out:
                await queries.cancel(conn, row.id, "opted out")
                return None
            now = clock.now()
            if model.stale(row.kind, row.message.get("data", {}), now):
                await queries.cancel(conn, row.id, "too late: the moment it speaks of has passed")
                return None
            quiet = model.Quiet(pref.quiet_start, pref.quiet_end) if pref.quiet_start and pref.quiet_end else None
            if (due := model.due_at(row.kind, quiet, now)) > now:
                await queries.postpone(conn, row.id, due, "quiet hours")
                return None
            if row.slot_at is None:
                await queries.lock_allowance(conn, row.account_id, row.channel)
                wait = model.rate_wait(await queries.slots(conn, row.account_id, row.channel),
                                       self.settings.notifications_per_hour, now)
                if wait is not None:
                    await queries.postpone(conn, row.id, wait, "rate limit")
                    return None
                await queries.take_slot(conn, row.id)
            return await self._recipient(conn, row)

    async def _recipient(self, conn: asyncpg.Connection, row: queries.Claimed) -> Recipient:
        recipient = Recipient(row.account_id)
        if row.channel in ("sms", "wechat"):
            contacts = await queries.contacts_of(conn, row.account_id)
            if contacts is not None and contacts["phone_sealed"] is not None:
                recipient.phone = self.keyring.open(Sealed(contacts["phone_key_id"], contacts["phone_sealed"]),
                                                    phone_aad(row.account_id))
            if contacts is not None and contacts["openid_sealed"] is not None:
                recipient.openid = self.keyring.open(Sealed(contacts["openid_key_id"], contacts["openid_sealed"]),
                                                     openid_aad(row.account_id))
        if row.channel == "web_push":
            recipient.web_push = [WebPushTarget(r["id"], r["endpoint"], r["p256dh"], r["auth"])
                                  for r in await queries.subscriptions_of(conn, row.account_id)]
        return recipient

    async def run(self) -> None:
        """The worker of serve: fan in, sweep now and then, deliver what is due, forever."""
        s = self.settings
        swept = 0.0
        public_only = None if s.notifications_web_push_allow_http else PublicOnlyResolver()
        async with aiohttp.ClientSession() as session, \
                aiohttp.ClientSession(connector=aiohttp.TCPConnector(resolver=public_only, limit_per_host=4)
                                      ) as push_session:
            channels = self.channels(session, push_session)
            while True:
                try:
                    await self.fan_in()
                    loop_time = asyncio.get_running_loop().time()
                    if loop_time - swept >= s.notifications_sweep_interval.total_seconds():
                        await self.sweep()
                        swept = loop_time
                    while await self.deliver_due(channels) == CLAIM_BATCH:
                        pass
                except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
                    log.warning("notification pass failed", extra={"error": repr(error)})
                await asyncio.sleep(s.notifications_poll_interval.total_seconds())
