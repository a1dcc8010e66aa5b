"""The events in the OpenAPI document: the SSE responses, the `webhooks` section and the payload
components they share, all from the registry of event types (market/events/payloads.py).

An SSE body is documented as `text/event-stream` with a string schema (what code generators
accept, a stream being no JSON value); the event types it carries are listed in its description
and, machine-readably, in `x-events` (event type → its payload component). A webhook is the POST
the receiver gets: the delivered body, whose `data` is the same component, and the Standard
Webhooks signature headers.
"""
from __future__ import annotations

from typing import Any

from pydantic.json_schema import models_json_schema

from market.events.payloads import EVENT_TYPES, STREAM_EVENT_TYPES, kinds_on
from market.webhooks.model import EVENT_KINDS

REF_TEMPLATE = "#/components/schemas/{model}"

LAST_EVENT_ID_PARAMETER = {
    "name": "Last-Event-ID", "in": "header", "required": False,
    "schema": {"type": "string", "pattern": "^[0-9]+$", "maxLength": 20},
    "description": "Resume after this event id (the `id:` of the last event handled; EventSource sends it "
                   "on reconnecting). `0`: everything the stream still holds. Wins over `last_event_id`; "
                   "not an integer: 422.",
}

STREAM_TEXT = (
    "Server-Sent Events (docs/events.md): first `retry: 2000`, then one block per event, `id: <seq>` "
    "(ascending), `event: <type>`, `data: <payload JSON>`; lines starting with `:` are heartbeats. "
    "The event types this stream carries, with their payload components (also in `x-events`):\n\n"
)

WEBHOOK_HEADERS = {
    "webhook-id": ("The message id, the same on every retry of one delivery: ignore one already handled "
                   "(delivery is at least once)."),
    "webhook-timestamp": "When this attempt was signed, in Unix seconds: refuse one far from your clock (replays).",
    "webhook-signature": ("Standard Webhooks signatures (https://www.standardwebhooks.com/), space-separated "
                          "`v1,<base64 HMAC-SHA256>` over `<webhook-id>.<webhook-timestamp>.<raw body>`, keyed "
                          "with the base64 part of the webhook's `whsec_` secret; verify with any Standard "
                          "Webhooks library."),
}


def components() -> tuple[dict[str, dict[str, str]], dict[str, Any]]:
    """(event type → {"$ref": its payload component}, the components), one component per payload
    model however many event types share it, each titled by its own name."""
    types = [*EVENT_TYPES.values(), *STREAM_EVENT_TYPES.values()]
    models = sorted({t.payload for t in types}, key=lambda model: model.__name__)
    refs, defs = models_json_schema([(model, "validation") for model in models], ref_template=REF_TEMPLATE)
    schemas = dict(defs.get("$defs", {}))
    for name, schema in schemas.items():
        schema["title"] = name
    return {t.kind: refs[(t.payload, "validation")] for t in types}, schemas


def stream_response(stream: str, refs: dict[str, dict[str, str]]) -> dict[str, Any]:
    """The 200 of an SSE endpoint serving the given kind of stream (payloads.WORKER, …)."""
    carried = kinds_on(stream)
    listing = "\n".join(f"- `{t.kind}`: {_component(refs[t.kind])}" for t in carried)
    return {"description": "An event stream (Server-Sent Events)", "content": {"text/event-stream": {
        "schema": {"type": "string", "description": STREAM_TEXT + listing},
        "x-events": {t.kind: refs[t.kind] for t in carried},
    }}}


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
        "description": (f"The payload is {_component(payload_ref)}. Answer 2xx to acknowledge; anything else, "
                        "or no answer in time, is retried with backoff (docs/webhooks.md)."),
        "operationId": f"webhook_{kind.replace('.', '_')}",
        "tags": ["webhooks"],
        "parameters": [{"name": name, "in": "header", "required": True, "schema": {"type": "string"},
                        "description": text} for name, text in WEBHOOK_HEADERS.items()],
        "requestBody": {"required": True, "content": {"application/json": {"schema": body}}},
        "responses": {"2XX": {"description": "Delivered: the receiver took the event"}},
    }


def _component(ref: dict[str, str]) -> str:
    return "`" + ref["$ref"].removeprefix(REF_TEMPLATE.removesuffix("{model}")) + "`"
