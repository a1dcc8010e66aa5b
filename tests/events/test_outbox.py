"""emit(): the event is part of the caller's transaction, nothing more and nothing less."""
from __future__ import annotations

import asyncio
import uuid

import asyncpg
import pytest

from market.events import queries
from market.events.outbox import emit
from market.events.relay import Relay


async def test_an_event_emitted_in_a_rolled_back_transaction_leaves_nothing_to_relay(pool, redis_client):
    organisation_id = uuid.uuid4()
    async with pool.acquire() as conn:
        transaction = conn.transaction()
        await transaction.start()
        await emit(conn, "order.posted", {"order_id": str(uuid.uuid4())},
                          organisation_ids=[organisation_id], district_code="500103")
        await transaction.rollback()

    assert await pool.fetchval("SELECT count(*) FROM events") == 0
    assert await Relay(pool, redis_client).relay_pending() == 0
    assert await redis_client.keys("market:*") == []


async def test_an_emitted_event_is_stored_with_its_audience_and_payload(pool):
    worker_id, organisation_id = uuid.uuid4(), uuid.uuid4()
    async with pool.acquire() as conn, conn.transaction():
        event_id = await emit(conn, "offer.made", {"offer_id": "o-1", "hours": 4, "note": "两小时"},
                                     worker_ids=[worker_id], organisation_ids=[str(organisation_id)])

    row = await pool.fetchrow("SELECT * FROM events WHERE id = $1", event_id)
    assert row["kind"] == "offer.made"
    assert row["payload"] == {"offer_id": "o-1", "hours": 4, "note": "两小时"}
    assert row["worker_ids"] == [worker_id] and row["organisation_ids"] == [organisation_id]
    assert row["seq"] is None and row["relayed_at"] is None


async def test_emit_outside_a_transaction_is_refused(pool):
    async with pool.acquire() as conn:
        with pytest.raises(RuntimeError, match="inside the transaction"):
            await emit(conn, "order.posted", {})
    assert await pool.fetchval("SELECT count(*) FROM events") == 0


@pytest.mark.parametrize("kind", ["OrderPosted", "order", "order.posted.twice", "order-posted.now", ""])
async def test_emit_refuses_a_kind_that_is_not_subject_dot_verb(pool, kind):
    async with pool.acquire() as conn, conn.transaction():
        with pytest.raises(ValueError, match=r"subject\.verb"):
            await emit(conn, kind, {})


async def test_emit_works_on_a_connection_without_the_pool_jsonb_codec(conn):
    async with conn.transaction():
        event_id = await emit(conn, "bid.placed", {"bid_id": "b-1"})
    assert await conn.fetchval("SELECT payload->>'bid_id' FROM events WHERE id = $1", event_id) == "b-1"


async def test_relays_are_woken_at_commit_and_not_before(pool, database):
    listener = await asyncpg.connect(database)
    woken = asyncio.Event()
    await listener.add_listener(queries.NOTIFY_CHANNEL, lambda *_: woken.set())
    try:
        async with pool.acquire() as conn, conn.transaction():
            await emit(conn, "order.posted", {})
            # Not yet committed: a notification now would wake a relay for an event it cannot see.
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(woken.wait(), 0.2)
        await asyncio.wait_for(woken.wait(), 5)
    finally:
        await listener.close()
