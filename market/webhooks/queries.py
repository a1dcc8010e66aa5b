"""SQL of the webhooks package, and the functions that run it."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import asyncpg

INSERT_WEBHOOK = """
INSERT INTO webhooks (organisation_id, url, events, secret, after_seq)
VALUES ($1, $2, $3, $4, (SELECT coalesce(max(seq), 0) FROM events))
RETURNING id, url, events, created_at
"""
WEBHOOKS_OF = """
SELECT id, url, events, created_at FROM webhooks
WHERE organisation_id = $1 AND deleted_at IS NULL ORDER BY created_at DESC, id DESC
"""
OWN_WEBHOOK = "SELECT id FROM webhooks WHERE id = $1 AND organisation_id = $2 AND deleted_at IS NULL"
DELETE_WEBHOOK = "UPDATE webhooks SET deleted_at = now() WHERE id = $1 AND organisation_id = $2 AND deleted_at IS NULL"
_DELIVERY = """id, webhook_id, event_id, event_kind, state, attempts, next_attempt_at, last_status, last_error,
       created_at, delivered_at"""
DELIVERIES_OF = "SELECT " + _DELIVERY + """ FROM webhook_deliveries
WHERE webhook_id = $1 AND ($2::timestamptz IS NULL OR (created_at, id) < ($2, $3::uuid))
ORDER BY created_at DESC, id DESC LIMIT $4
"""
RETRY_DELIVERY = """
UPDATE webhook_deliveries SET state = 'pending', next_attempt_at = now(), delivered_at = NULL
WHERE id = $1 AND webhook_id = $2 RETURNING """ + _DELIVERY

# The delivery worker ----------------------------------------------------------------------------
# Seqs become visible in order (the relay sequences under one lock), so "every sequenced event up
# to the newest seq" never skips one that commits later.
ACTIVE_WEBHOOKS_FOR_UPDATE = """
SELECT id, organisation_id, events, after_seq FROM webhooks WHERE deleted_at IS NULL
ORDER BY id FOR UPDATE SKIP LOCKED
"""
NEWEST_SEQ = "SELECT coalesce(max(seq), 0) FROM events"
ENQUEUE = """
INSERT INTO webhook_deliveries (webhook_id, event_id, event_kind)
SELECT $1, e.id, e.kind FROM events e
WHERE e.seq > $2 AND e.seq <= $3 AND e.organisation_ids @> ARRAY[$4::uuid] AND e.kind = ANY($5::text[])
ORDER BY e.seq
ON CONFLICT (webhook_id, event_id) DO NOTHING
"""
ADVANCE = "UPDATE webhooks SET after_seq = $2 WHERE id = $1"
# Claim due deliveries: the lease (next_attempt_at pushed ahead) keeps other workers off them.
CLAIM_DUE = """
UPDATE webhook_deliveries d SET next_attempt_at = now() + $2::interval, attempts = d.attempts + 1
FROM webhooks w, events e
WHERE d.id IN (SELECT id FROM webhook_deliveries WHERE state = 'pending' AND next_attempt_at <= now()
               ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED)
  AND w.id = d.webhook_id AND e.id = d.event_id
RETURNING d.id, d.attempts, d.created_at, w.url, w.secret, w.deleted_at, e.id AS event_id, e.kind,
          e.payload, e.created_at AS event_created_at
"""
DELIVERED = """
UPDATE webhook_deliveries SET state = 'delivered', delivered_at = now(), next_attempt_at = NULL, last_status = $2,
    last_error = NULL
WHERE id = $1
"""
# A failed attempt leaves alone a delivery that another attempt delivered meanwhile (a lease that ran
# out while this one was still waiting for its answer). Gave up: 'failed', with no next attempt.
FAILED_ATTEMPT = """
UPDATE webhook_deliveries
SET state = CASE WHEN $2::boolean THEN 'failed' ELSE 'pending' END,
    next_attempt_at = CASE WHEN $2::boolean THEN NULL ELSE $3::timestamptz END,
    last_status = $4, last_error = $5
WHERE id = $1 AND state = 'pending'
"""


# The functions that run them ---------------------------------------------------------------------
@dataclass(frozen=True)
class Webhook:
    id: uuid.UUID
    url: str
    events: list[str]
    created_at: datetime


@dataclass(frozen=True)
class Delivery:
    id: uuid.UUID
    webhook_id: uuid.UUID
    event_id: int
    event_kind: str
    state: str
    attempts: int
    next_attempt_at: datetime | None
    last_status: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None


@dataclass(frozen=True)
class ActiveWebhook:
    """A subscription as the enqueuer reads it: whose events, which kinds, up to which seq it has them."""
    id: uuid.UUID
    organisation_id: uuid.UUID
    events: list[str]
    after_seq: int


@dataclass(frozen=True)
class DueDelivery:
    """A claimed delivery with what sending it needs: its webhook's target and secret, its event."""
    id: uuid.UUID
    attempts: int
    created_at: datetime
    url: str
    secret: str
    deleted_at: datetime | None
    event_id: int
    kind: str
    payload: Any
    event_created_at: datetime


async def insert_webhook(conn: asyncpg.Connection, organisation_id: uuid.UUID, url: str, events: list[str],
                         secret: str) -> Webhook:
    """A subscription from now on: it gets the events sequenced after this moment."""
    return Webhook(**await conn.fetchrow(INSERT_WEBHOOK, organisation_id, url, events, secret))


async def webhooks_of(conn: asyncpg.Connection, organisation_id: uuid.UUID) -> list[Webhook]:
    return [Webhook(**r) for r in await conn.fetch(WEBHOOKS_OF, organisation_id)]


async def owns_webhook(conn: asyncpg.Connection, webhook_id: uuid.UUID, organisation_id: uuid.UUID) -> bool:
    """Whether the (not deleted) webhook is the organisation's."""
    return await conn.fetchval(OWN_WEBHOOK, webhook_id, organisation_id) is not None


async def delete_webhook(conn: asyncpg.Connection, webhook_id: uuid.UUID, organisation_id: uuid.UUID) -> bool:
    """Mark the organisation's webhook deleted; False when it has no such (live) webhook."""
    return await conn.execute(DELETE_WEBHOOK, webhook_id, organisation_id) != "UPDATE 0"


async def deliveries_of(conn: asyncpg.Connection, webhook_id: uuid.UUID, after: tuple[datetime, uuid.UUID] | None,
                        limit: int) -> list[Delivery]:
    """A webhook's deliveries newest first, after the cursor (created_at, id)."""
    created, last_id = after if after is not None else (None, None)
    return [Delivery(**r) for r in await conn.fetch(DELIVERIES_OF, webhook_id, created, last_id, limit)]


async def retry_delivery(conn: asyncpg.Connection, delivery_id: uuid.UUID, webhook_id: uuid.UUID) -> Delivery | None:
    """Put a delivery back to pending, due now; None when the webhook has no such delivery."""
    row = await conn.fetchrow(RETRY_DELIVERY, delivery_id, webhook_id)
    return None if row is None else Delivery(**row)


async def active_webhooks_for_update(conn: asyncpg.Connection) -> list[ActiveWebhook]:
    """The live subscriptions, locked (ones another enqueuer holds are skipped)."""
    return [ActiveWebhook(**r) for r in await conn.fetch(ACTIVE_WEBHOOKS_FOR_UPDATE)]


async def newest_seq(conn: asyncpg.Connection) -> int:
    return await conn.fetchval(NEWEST_SEQ)


async def enqueue(conn: asyncpg.Connection, hook: ActiveWebhook, up_to_seq: int) -> int:
    """A delivery for each event after the hook's seq up to `up_to_seq` that it wants; how many were added.
    The hook's seq then moves to `up_to_seq`."""
    status = await conn.execute(ENQUEUE, hook.id, hook.after_seq, up_to_seq, hook.organisation_id, hook.events)
    await conn.execute(ADVANCE, hook.id, up_to_seq)
    return int(status.split()[-1])


async def claim_due(conn: asyncpg.Connection, batch: int, lease: timedelta) -> list[DueDelivery]:
    """Up to `batch` due deliveries, leased for `lease` (their attempt counted)."""
    return [DueDelivery(**r) for r in await conn.fetch(CLAIM_DUE, batch, lease)]


async def delivered(conn: asyncpg.Connection, delivery_id: uuid.UUID, status: int) -> None:
    await conn.execute(DELIVERED, delivery_id, status)


async def failed_attempt(conn: asyncpg.Connection, delivery_id: uuid.UUID, gives_up: bool, next_attempt_at: datetime,
                         status: int | None, error: str) -> None:
    await conn.execute(FAILED_ATTEMPT, delivery_id, gives_up, next_attempt_at, status, error)
