"""Helpers of the notification tests: settings with the worker off (tests drive it), events
emitted through the outbox and sequenced by the relay, rows read back."""
from __future__ import annotations

import asyncio
import json
import uuid
from datetime import datetime, timedelta

from market.events.outbox import emit
from market.kernel.clock import SHANGHAI


def quick(settings, **more):
    return settings.model_copy(update={
        "notifications_in_serve": False, "notifications_retry_first": timedelta(milliseconds=20),
        "notifications_retry_cap": timedelta(milliseconds=100), "notifications_timeout": timedelta(seconds=3),
        **more})


async def event(conn, kind: str, payload: dict, *, workers=(), organisations=()) -> int:
    async with conn.transaction():
        event_id = await emit(conn, kind, payload, worker_ids=workers, organisation_ids=organisations)
    for _ in range(400):
        if await conn.fetchval("SELECT seq FROM events WHERE id = $1", event_id) is not None:
            return event_id
        await asyncio.sleep(0.025)
    raise AssertionError("the relay did not sequence the event")


def offer_made(worker_id: str, minutes: int = 30) -> dict:
    start = datetime.now(SHANGHAI) + timedelta(days=1)
    return {"run_id": str(uuid.uuid4()), "order_id": str(uuid.uuid4()), "shift_id": str(uuid.uuid4()),
            "title": "仓库分拣", "start": start.isoformat(), "end": (start + timedelta(hours=4)).isoformat(),
            "rate_fen": 3000, "offer_id": str(uuid.uuid4()),
            "expires_at": (datetime.now(SHANGHAI) + timedelta(minutes=minutes)).isoformat()}


async def rows(conn, account_id: str | None = None) -> list[dict]:
    found = await conn.fetch(
        "SELECT * FROM notifications WHERE $1::uuid IS NULL OR account_id = $1 ORDER BY created_at, kind, channel",
        uuid.UUID(account_id) if account_id else None)
    return [{**dict(r), "message": json.loads(r["message"])} for r in found]


async def put_preferences(client, party, **body) -> dict:
    response = await client.put("/v1/notifications/preferences", json=body, headers=party.auth)
    assert response.status == 200, await response.text()
    return await response.json()
