"""The `webhooks` section of the OpenAPI document: one POST per event type an employer can
subscribe to, as the receiver gets it (the delivered body, whose `data` is the event's payload
component from market/events/docs.py, and the Standard Webhooks signature headers).

This module is what the document's builder (market/web/openapi.py) knows as WebhookDocs; the
webhooks wiring puts it under WEBHOOK_DOCS.
"""
from __future__ import annotations

from typing import Any

from market.events.docs import component_name
from market.webhooks.model import EVENT_KINDS

WEBHOOK_HEADERS = {
    "webhook-id": ("The message id, the same on every retry of one delivery: ignore one already handled "
                   "(delivery is at least once)."),
    "webhook-timestamp": "When this attempt was signed, in Unix seconds: refuse one far from your clock (replays).",
    "webhook-signature": ("Standard Webhooks signatures (https://www.standardwebhooks.com/), space-separated "
                          "`v1,<base64 HMAC-SHA256>` over `<webhook-id>.<webhook-timestamp>.<raw body>`, keyed "
                          "with the base64 part of the webhook's `whsec_` secret; verify with any Standard "
                          "Webhooks library."),
}


def webhooks(refs: dict[str, dict[str, str]]) -> dict[str, Any]:
    """The OpenAPI 3.1 `webhooks`: one POST per event type an employer can subscribe to."""
    return {kind: {"post": _webhook(kind, refs[kind])} for kind in EVENT_KINDS}


def _webhook(kind: str, payload_ref: dict[str, str]) -> dict[str, Any]:
    body = {
        "type": "object", "required": ["id", "kind", "created_at", "data"], "additionalProperties": False,
        "properties": {
            "id": {"type": "integer", "description": "The event's id (its outbox id)"},
            "kind": {"type": "string", "const": kind},
            "created_at": {"type": "string", "format": "date-time", "description": "When the event happened"},
            "data": payload_ref,
        },
    }
    return {
        "summary": f"`{kind}`, delivered to a webhook subscribed to it",
        "description": (f"The payload is {component_name(payload_ref)}. Answer 2xx to acknowledge; anything else, "
                        "or no answer in time, is retried with backoff (docs/webhooks.md)."),
        "operationId": f"webhook_{kind.replace('.', '_')}",
        "tags": ["webhooks"],
        "parameters": [{"name": name, "in": "header", "required": True, "schema": {"type": "string"},
                        "description": text} for name, text in WEBHOOK_HEADERS.items()],
        "requestBody": {"required": True, "content": {"application/json": {"schema": body}}},
        "responses": {"2XX": {"description": "Delivered: the receiver took the event"}},
    }
