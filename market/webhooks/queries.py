"""SQL of the webhooks package."""
from __future__ import annotations

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
