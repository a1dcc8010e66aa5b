"""The events in the OpenAPI document: the payload components and the SSE responses, from the
registry of event types (market/events/payloads.py). The `webhooks` section, which shares the
components, is the webhooks package's (market/webhooks/docs.py).

An SSE body is documented as `text/event-stream` with a string schema (what code generators
accept, a stream being no JSON value); the event types it carries are listed in its description
and, machine-readably, in `x-events` (event type → its payload component).

This module is what the document's builder (market/web/openapi.py) knows as EventDocs; the events
wiring puts it under EVENT_DOCS.
"""
from __future__ import annotations

from typing import Any

from pydantic.json_schema import models_json_schema

from market.events.payloads import EVENT_TYPES, STREAM_EVENT_TYPES, kinds_on

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
    listing = "\n".join(f"- `{t.kind}`: {component_name(refs[t.kind])}" for t in carried)
    return {"description": "An event stream (Server-Sent Events)", "content": {"text/event-stream": {
        "schema": {"type": "string", "description": STREAM_TEXT + listing},
        "x-events": {t.kind: refs[t.kind] for t in carried},
    }}}


def component_name(ref: dict[str, str]) -> str:
    return "`" + ref["$ref"].removeprefix(REF_TEMPLATE.removesuffix("{model}")) + "`"
