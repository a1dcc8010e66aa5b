"""SQL of the notifications package, and the functions that run it."""
from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

import asyncpg

# -- preferences and contacts ---------------------------------------------------------------------
_PREFS = """a.id AS account_id, coalesce(p.opted_out, false) AS opted_out, coalesce(p.channels, '{}'::jsonb) AS channels,
       p.quiet_start, p.quiet_end, p.phone_masked, p.openid_sealed IS NOT NULL AS has_openid,
       EXISTS (SELECT 1 FROM notification_web_push_subscriptions s WHERE s.account_id = a.id) AS has_web_push"""
PREFERENCES_OF = "SELECT " + _PREFS + """
FROM accounts a LEFT JOIN notification_preferences p ON p.account_id = a.id WHERE a.id = ANY($1::uuid[])"""
UPSERT_PREFERENCES = """
INSERT INTO notification_preferences (account_id, opted_out, channels, quiet_start, quiet_end)
VALUES ($1, $2, $3::text::jsonb, $4, $5)
ON CONFLICT (account_id) DO UPDATE SET opted_out = EXCLUDED.opted_out, channels = EXCLUDED.channels,
    quiet_start = EXCLUDED.quiet_start, quiet_end = EXCLUDED.quiet_end, updated_at = now()
"""
SET_PHONE = """
INSERT INTO notification_preferences (account_id, phone_sealed, phone_key_id, phone_masked) VALUES ($1, $2, $3, $4)
ON CONFLICT (account_id) DO UPDATE SET phone_sealed = EXCLUDED.phone_sealed, phone_key_id = EXCLUDED.phone_key_id,
    phone_masked = EXCLUDED.phone_masked, updated_at = now()
"""
SET_OPENID = """
INSERT INTO notification_preferences (account_id, openid_sealed, openid_key_id) VALUES ($1, $2, $3)
ON CONFLICT (account_id) DO UPDATE SET openid_sealed = EXCLUDED.openid_sealed, openid_key_id = EXCLUDED.openid_key_id,
    updated_at = now()
"""
CONTACTS_OF = """
SELECT phone_sealed, phone_key_id, openid_sealed, openid_key_id FROM notification_preferences WHERE account_id = $1
"""
SUBSCRIPTIONS_OF = "SELECT id, endpoint, p256dh, auth FROM notification_web_push_subscriptions WHERE account_id = $1"
ADD_SUBSCRIPTION = """
INSERT INTO notification_web_push_subscriptions (account_id, endpoint, p256dh, auth) VALUES ($1, $2, $3, $4)
ON CONFLICT (account_id, endpoint) DO UPDATE SET p256dh = EXCLUDED.p256dh, auth = EXCLUDED.auth
RETURNING id, endpoint, created_at
"""
DELETE_SUBSCRIPTION = "DELETE FROM notification_web_push_subscriptions WHERE account_id = $1 AND endpoint = $2"
DELETE_SUBSCRIPTIONS = "DELETE FROM notification_web_push_subscriptions WHERE id = ANY($1::uuid[])"

# -- the fan-in -----------------------------------------------------------------------------------
# One consumer reads on at a time: the one that holds the cursor's row (the others skip it).
LOCK_CURSOR = "SELECT after_seq FROM notification_cursor FOR UPDATE SKIP LOCKED"
NEWEST_SEQ = "SELECT coalesce(max(seq), 0) FROM events"
EVENTS_AFTER = """
SELECT id, seq, kind, payload::text AS payload, worker_ids, organisation_ids FROM events
WHERE seq > $1 AND seq <= $2 AND kind = ANY($3::text[]) ORDER BY seq LIMIT $4
"""
ADVANCE = "UPDATE notification_cursor SET after_seq = $1"
WORKER_ACCOUNTS = "SELECT id, account_id FROM workers WHERE id = ANY($1::uuid[])"
ORGANISATION_ACCOUNTS = "SELECT id, account_id FROM organisations WHERE id = ANY($1::uuid[])"
CASE_PARTIES = """
SELECT w.account_id AS worker_account, o.account_id AS organisation_account,
       (SELECT t.account_id FROM case_transitions t WHERE t.case_id = c.id AND t.move = 'answer'
        ORDER BY t.id DESC LIMIT 1) AS answered_by
FROM cases c JOIN workers w ON w.id = c.worker_id JOIN organisations o ON o.id = c.organisation_id WHERE c.id = $1
"""
INSERT_NOTIFICATIONS = """
INSERT INTO notifications (event_key, account_id, channel, kind, event_id, message, next_attempt_at)
SELECT n.event_key, n.account_id, n.channel, n.kind, n.event_id, n.message, n.due
FROM jsonb_to_recordset($1::text::jsonb) AS n (event_key text, account_id uuid, channel text, kind text,
                                               event_id bigint, message jsonb, due timestamptz)
ON CONFLICT (event_key, account_id, channel) DO NOTHING
"""
# The sweeps: what is due now and has no notification yet.
OFFERS_EXPIRING = """
SELECT 'offer.expiring:' || f.id AS event_key, w.account_id, f.id AS offer_id, f.expires_at, o.title, s.starts_at
FROM offers f JOIN workers w ON w.id = f.worker_id JOIN orders o ON o.id = f.order_id JOIN shifts s ON s.id = f.shift_id
WHERE f.state = 'pending' AND f.expires_at > now() AND f.expires_at <= now() + $1::interval
  AND NOT EXISTS (SELECT 1 FROM notifications n WHERE n.event_key = 'offer.expiring:' || f.id)
"""
SHIFTS_STARTING = """
SELECT $3 || ':' || a.id AS event_key, w.account_id, a.id AS assignment_id, lower(a.period) AS starts_at, o.title
FROM assignments a JOIN workers w ON w.id = a.worker_id JOIN orders o ON o.id = a.order_id
WHERE a.state = 'active' AND lower(a.period) >= $1 AND lower(a.period) < $2
  AND NOT EXISTS (SELECT 1 FROM notifications n WHERE n.event_key = $3 || ':' || a.id)
"""
PAYOUTS_PAID = """
SELECT 'payout.paid:' || p.id AS event_key, coalesce(w.account_id, g.account_id) AS account_id, p.id AS payout_id,
       p.amount_fen, p.paid_at
FROM payouts p LEFT JOIN workers w ON p.payee_type = 'worker' AND w.id = p.payee_id
     LEFT JOIN organisations g ON p.payee_type = 'organisation' AND g.id = p.payee_id
WHERE p.state = 'paid' AND p.paid_at > now() - $1::interval AND coalesce(w.account_id, g.account_id) IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM notifications n WHERE n.event_key = 'payout.paid:' || p.id)
"""

# -- delivery -------------------------------------------------------------------------------------
_ROW = "id, account_id, channel, kind, message, attempts, created_at, slot_at"
CLAIM_DUE = """
UPDATE notifications SET next_attempt_at = now() + $2::interval, attempts = attempts + 1
WHERE id IN (SELECT id FROM notifications WHERE state = 'pending' AND next_attempt_at <= now()
             ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED)
RETURNING """ + _ROW
# The person's hourly allowance of a channel is counted under this lock, so two workers cannot both
# take its last place.
LOCK_ALLOWANCE = "SELECT pg_advisory_xact_lock(hashtextextended('market:notifications:' || $1::text || ':' || $2, 0))"
SLOTS = """
SELECT slot_at FROM notifications WHERE account_id = $1 AND channel = $2 AND slot_at > now() - interval '1 hour'
"""
TAKE_SLOT = "UPDATE notifications SET slot_at = now() WHERE id = $1 AND state = 'pending'"
# Waiting (quiet hours, the rate limit) is not an attempt: the claim's count is given back.
POSTPONE = """
UPDATE notifications SET next_attempt_at = $2, attempts = greatest(attempts - 1, 0), last_error = $3
WHERE id = $1 AND state = 'pending'
"""
CANCEL = """
UPDATE notifications SET state = 'cancelled', next_attempt_at = NULL, last_error = $2 WHERE id = $1 AND state = 'pending'
"""
SENT = """
UPDATE notifications SET state = 'sent', sent_at = now(), next_attempt_at = NULL, last_error = NULL
WHERE id = $1 AND state = 'pending'
"""
FAILED_ATTEMPT = """
UPDATE notifications SET state = CASE WHEN $2::boolean THEN 'failed' ELSE 'pending' END,
    next_attempt_at = CASE WHEN $2::boolean THEN NULL ELSE $3::timestamptz END, last_error = $4
WHERE id = $1 AND state = 'pending'
"""

# -- the delivery log -----------------------------------------------------------------------------
_LOG = "id, event_key, account_id, channel, kind, message, state, attempts, next_attempt_at, last_error, created_at, sent_at"
LOG_OF = "SELECT " + _LOG + """ FROM notifications
WHERE ($1::uuid IS NULL OR account_id = $1) AND ($2::text IS NULL OR state = $2)
  AND ($3::timestamptz IS NULL OR (created_at, id) < ($3, $4::uuid))
ORDER BY created_at DESC, id DESC LIMIT $5
"""


@dataclass(frozen=True)
class Preferences:
    account_id: uuid.UUID
    opted_out: bool
    channels: dict[str, list[str]]
    quiet_start: time | None
    quiet_end: time | None
    phone_masked: str | None
    has_openid: bool
    has_web_push: bool


@dataclass(frozen=True)
class Claimed:
    id: uuid.UUID
    account_id: uuid.UUID
    channel: str
    kind: str
    message: dict[str, Any]
    attempts: int
    created_at: datetime
    slot_at: datetime | None


@dataclass(frozen=True)
class LogRow:
    id: uuid.UUID
    event_key: str
    account_id: uuid.UUID
    channel: str
    kind: str
    message: dict[str, Any]
    state: str
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


async def preferences_of(conn: asyncpg.Connection, account_ids: list[uuid.UUID]) -> dict[uuid.UUID, Preferences]:
    rows = await conn.fetch(PREFERENCES_OF, account_ids)
    return {r["account_id"]: Preferences(**{**dict(r), "channels": _json(r["channels"])}) for r in rows}


async def upsert_preferences(conn: asyncpg.Connection, account_id: uuid.UUID, opted_out: bool,
                             channels: dict[str, list[str]], quiet_start: time | None, quiet_end: time | None) -> None:
    await conn.execute(UPSERT_PREFERENCES, account_id, opted_out, json.dumps(channels), quiet_start, quiet_end)


async def set_phone(conn: asyncpg.Connection, account_id: uuid.UUID, sealed: bytes, key_id: str, masked: str) -> None:
    await conn.execute(SET_PHONE, account_id, sealed, key_id, masked)


async def set_openid(conn: asyncpg.Connection, account_id: uuid.UUID, sealed: bytes, key_id: str) -> None:
    await conn.execute(SET_OPENID, account_id, sealed, key_id)


async def contacts_of(conn: asyncpg.Connection, account_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(CONTACTS_OF, account_id)


async def subscriptions_of(conn: asyncpg.Connection, account_id: uuid.UUID) -> list[asyncpg.Record]:
    return list(await conn.fetch(SUBSCRIPTIONS_OF, account_id))


async def add_subscription(conn: asyncpg.Connection, account_id: uuid.UUID, endpoint: str, p256dh: str,
                           auth: str) -> asyncpg.Record:
    return await conn.fetchrow(ADD_SUBSCRIPTION, account_id, endpoint, p256dh, auth)


async def delete_subscription(conn: asyncpg.Connection, account_id: uuid.UUID, endpoint: str) -> bool:
    return await conn.execute(DELETE_SUBSCRIPTION, account_id, endpoint) != "DELETE 0"


async def delete_subscriptions(conn: asyncpg.Connection, ids: list[uuid.UUID]) -> None:
    if ids:
        await conn.execute(DELETE_SUBSCRIPTIONS, ids)


async def lock_cursor(conn: asyncpg.Connection) -> int | None:
    """The cursor, locked until the transaction ends; None while another consumer holds it."""
    return await conn.fetchval(LOCK_CURSOR)


async def newest_seq(conn: asyncpg.Connection) -> int:
    return int(await conn.fetchval(NEWEST_SEQ))


async def events_after(conn: asyncpg.Connection, after: int, upto: int, kinds: list[str],
                       limit: int) -> list[asyncpg.Record]:
    return list(await conn.fetch(EVENTS_AFTER, after, upto, kinds, limit))


async def advance(conn: asyncpg.Connection, seq: int) -> None:
    await conn.execute(ADVANCE, seq)


async def accounts_of(conn: asyncpg.Connection, worker_ids: list[uuid.UUID],
                      organisation_ids: list[uuid.UUID]) -> list[uuid.UUID]:
    found = [r["account_id"] for r in await conn.fetch(WORKER_ACCOUNTS, worker_ids)] if worker_ids else []
    if organisation_ids:
        found += [r["account_id"] for r in await conn.fetch(ORGANISATION_ACCOUNTS, organisation_ids)]
    return found


async def case_parties(conn: asyncpg.Connection, case_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(CASE_PARTIES, case_id)


async def insert_notifications(conn: asyncpg.Connection, rows: list[dict[str, Any]]) -> int:
    if not rows:
        return 0
    status = await conn.execute(INSERT_NOTIFICATIONS, json.dumps(rows, ensure_ascii=False, default=str))
    return int(status.split()[-1])


async def offers_expiring(conn: asyncpg.Connection, within: timedelta) -> list[asyncpg.Record]:
    return list(await conn.fetch(OFFERS_EXPIRING, within))


async def shifts_starting(conn: asyncpg.Connection, start: datetime, end: datetime, kind: str) -> list[asyncpg.Record]:
    return list(await conn.fetch(SHIFTS_STARTING, start, end, kind))


async def payouts_paid(conn: asyncpg.Connection, within: timedelta) -> list[asyncpg.Record]:
    return list(await conn.fetch(PAYOUTS_PAID, within))


async def claim_due(conn: asyncpg.Connection, batch: int, lease: timedelta) -> list[Claimed]:
    return [Claimed(**{**dict(r), "message": _json(r["message"])}) for r in await conn.fetch(CLAIM_DUE, batch, lease)]


async def lock_allowance(conn: asyncpg.Connection, account_id: uuid.UUID, channel: str) -> None:
    await conn.execute(LOCK_ALLOWANCE, str(account_id), channel)


async def slots(conn: asyncpg.Connection, account_id: uuid.UUID, channel: str) -> list[datetime]:
    return [r["slot_at"] for r in await conn.fetch(SLOTS, account_id, channel)]


async def take_slot(conn: asyncpg.Connection, notification_id: uuid.UUID) -> None:
    await conn.execute(TAKE_SLOT, notification_id)


async def postpone(conn: asyncpg.Connection, notification_id: uuid.UUID, until: datetime, why: str) -> None:
    await conn.execute(POSTPONE, notification_id, until, why)


async def cancel(conn: asyncpg.Connection, notification_id: uuid.UUID, why: str) -> None:
    await conn.execute(CANCEL, notification_id, why)


async def sent(conn: asyncpg.Connection, notification_id: uuid.UUID) -> None:
    await conn.execute(SENT, notification_id)


async def failed_attempt(conn: asyncpg.Connection, notification_id: uuid.UUID, gives_up: bool, next_at: datetime,
                         error: str) -> None:
    await conn.execute(FAILED_ATTEMPT, notification_id, gives_up, next_at, error[:500])


async def log_of(conn: asyncpg.Connection, account_id: uuid.UUID | None, state: str | None,
                 after: tuple[datetime, uuid.UUID] | None, limit: int) -> list[LogRow]:
    created, last_id = after if after is not None else (None, None)
    rows = await conn.fetch(LOG_OF, account_id, state, created, last_id, limit)
    return [LogRow(**{**dict(r), "message": _json(r["message"])}) for r in rows]
