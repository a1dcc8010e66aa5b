"""Writing events: one row in the outbox, inside the transaction of the change it reports.

Because the event commits or rolls back with that change, nobody ever hears of an order that
was not posted, and no posted order goes unannounced. The relay (relay.py) copies committed
events to Redis Streams; a NOTIFY, also delivered only at commit, wakes it at once.
"""
from __future__ import annotations

import json
import uuid
from datetime import date, datetime
from typing import Any, Iterable, Mapping

import asyncpg

from market.events import queries
from market.events.model import validate_kind
from market.kernel.acting import acting_account
from market.kernel.clock import SHANGHAI


async def emit(
    conn: asyncpg.Connection, kind: str, payload: Mapping[str, Any], *, district_code: str | None = None,
    worker_ids: Iterable[uuid.UUID | str] = (), organisation_ids: Iterable[uuid.UUID | str] = (),
) -> int:
    """Record an event for the workers, organisations and district named; return its outbox id.

    The caller owns the transaction (the service layer does); emit refuses to run outside one,
    since an event written on its own could report a change that then rolls back. The payload
    reaches every named party's stream as is: put no ID numbers, phones or other people's pay in it.
    """
    validate_kind(kind)
    if not conn.is_in_transaction():
        raise RuntimeError("emit() must run inside the transaction of the change it reports")
    if (actor := acting_account.get()) is not None and "actor_account_id" not in payload:
        payload = {**payload, "actor_account_id": str(actor)}  # who did it (market/kernel/acting.py)
    payload_json = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), default=_json_default)
    return await queries.insert_event(
        conn, kind, payload_json, district_code,
        [uuid.UUID(str(w)) for w in worker_ids], [uuid.UUID(str(o)) for o in organisation_ids],
    )


async def emit_many(
    conn: asyncpg.Connection, kind: str,
    events: Iterable[tuple[Mapping[str, Any], Iterable[uuid.UUID | str], Iterable[uuid.UUID | str]]],
) -> None:
    """Many events of one kind, each (payload, worker_ids, organisation_ids), in one statement:
    what a settlement batch announces. Otherwise exactly `emit` (no district events)."""
    validate_kind(kind)
    if not conn.is_in_transaction():
        raise RuntimeError("emit_many() must run inside the transaction of the change it reports")
    rows = [{"p": payload, "w": [str(w) for w in worker_ids], "o": [str(o) for o in organisation_ids]}
            for payload, worker_ids, organisation_ids in events]
    if rows:
        await queries.insert_events(conn, kind, json.dumps(rows, ensure_ascii=False, separators=(",", ":"),
                                                           default=_json_default))


def _json_default(value: Any) -> str:
    # An instant in a payload is written as every response writes one: Asia/Shanghai, +08:00
    # (market/web/outputs.py). Emitters pass datetimes, not their own strings.
    if isinstance(value, datetime):
        return value.astimezone(SHANGHAI).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    raise TypeError(f"event payloads hold JSON values, ids and times; not {type(value).__name__}")
