"""The outbox's SQL: write, sequence, read for relaying, mark relayed.

Payloads go in and come out as JSON text (`$n::text::jsonb`, `payload::text`), so these queries
work the same on a pool connection (which has a jsonb codec) and on a bare connection, and the
relay copies the text to Redis without decoding it.
"""
from __future__ import annotations

import uuid
from typing import Sequence

import asyncpg

from market.events.model import Event

# Channel of the NOTIFY that wakes relays. NOTIFY is delivered at commit and dropped on rollback,
# so a relay only ever wakes for events that exist.
NOTIFY_CHANNEL = "market_events"

# Any constant shared by every relay; distinct from db.SCHEMA_LOCK_ID.
SEQUENCE_LOCK_ID = 0x6D6B745F72656C  # "mkt_rel"

INSERT_EVENT = """
WITH inserted AS (
    INSERT INTO events (kind, payload, district_code, worker_ids, organisation_ids)
    VALUES ($1, $2::text::jsonb, $3, $4::uuid[], $5::uuid[])
    RETURNING id
)
SELECT id, pg_notify($6, '') FROM inserted
"""
INSERT_EVENTS = """
WITH inserted AS (
    INSERT INTO events (kind, payload, worker_ids, organisation_ids)
    SELECT $1, e -> 'p', ARRAY(SELECT jsonb_array_elements_text(e -> 'w'))::uuid[],
           ARRAY(SELECT jsonb_array_elements_text(e -> 'o'))::uuid[]
    FROM jsonb_array_elements($2::text::jsonb) WITH ORDINALITY AS x(e, n) ORDER BY n
    RETURNING 1
)
SELECT pg_notify($3, '') FROM (SELECT count(*) FROM inserted) AS done
"""
LOCK_SEQUENCING = "SELECT pg_advisory_xact_lock($1)"
UNSEQUENCED = """
SELECT id, kind, payload::text AS payload_json, district_code, worker_ids, organisation_ids, created_at
FROM events WHERE seq IS NULL ORDER BY id LIMIT $1
"""
NEXT_SEQS = "SELECT nextval('events_seq') FROM generate_series(1, $1)"
ASSIGN_SEQS = """
UPDATE events SET seq = numbered.seq
FROM unnest($1::bigint[], $2::bigint[]) AS numbered (id, seq)
WHERE events.id = numbered.id
"""
SET_WORKERS = "UPDATE events SET worker_ids = $2::uuid[] WHERE id = $1"
UNRELAYED = """
SELECT id, seq, kind, payload::text AS payload_json, district_code, worker_ids, organisation_ids, created_at
FROM events WHERE seq IS NOT NULL AND relayed_at IS NULL ORDER BY seq LIMIT $1
"""
MARK_RELAYED = "UPDATE events SET relayed_at = now() WHERE seq = ANY($1::bigint[]) AND relayed_at IS NULL"


def _event(row: asyncpg.Record) -> Event:
    return Event(
        id=row["id"], kind=row["kind"], payload_json=row["payload_json"], district_code=row["district_code"],
        worker_ids=tuple(row["worker_ids"]), organisation_ids=tuple(row["organisation_ids"]),
        seq=row.get("seq"), created_at=row["created_at"],
    )


async def insert_event(
    conn: asyncpg.Connection, kind: str, payload_json: str, district_code: str | None,
    worker_ids: Sequence[uuid.UUID], organisation_ids: Sequence[uuid.UUID],
) -> int:
    row = await conn.fetchrow(INSERT_EVENT, kind, payload_json, district_code, list(worker_ids),
                              list(organisation_ids), NOTIFY_CHANNEL)
    return row["id"]


async def insert_events(conn: asyncpg.Connection, kind: str, events_json: str) -> None:
    """Events of one kind from a JSON array of {"p": payload, "w": [worker ids], "o": [organisation
    ids]}, in one statement and one NOTIFY."""
    await conn.execute(INSERT_EVENTS, kind, events_json, NOTIFY_CHANNEL)


async def lock_sequencing(conn: asyncpg.Connection) -> None:
    """Wait for the sequencing lock, held until the caller's transaction ends."""
    await conn.execute(LOCK_SEQUENCING, SEQUENCE_LOCK_ID)


async def unsequenced_events(conn: asyncpg.Connection, limit: int) -> list[Event]:
    return [_event(row) for row in await conn.fetch(UNSEQUENCED, limit)]


async def assign_seqs(conn: asyncpg.Connection, event_ids: Sequence[int]) -> list[int]:
    """Give the events (in the order given) ascending positions from events_seq; return them."""
    # nextval over a set is evaluated in no promised order, so sort the values, then pair them.
    seqs = sorted(row[0] for row in await conn.fetch(NEXT_SEQS, len(event_ids)))
    await conn.execute(ASSIGN_SEQS, list(event_ids), seqs)
    return seqs


async def set_worker_ids(conn: asyncpg.Connection, rows: Sequence[tuple[int, Sequence[uuid.UUID]]]) -> None:
    """SET_WORKERS for each (event id, worker ids), pipelined in one batch."""
    if rows:
        await conn.executemany(SET_WORKERS, [(event_id, list(worker_ids)) for event_id, worker_ids in rows])


async def unrelayed_events(conn: asyncpg.Connection, limit: int) -> list[Event]:
    return [_event(row) for row in await conn.fetch(UNRELAYED, limit)]


async def mark_relayed(conn: asyncpg.Connection, seqs: Sequence[int]) -> int:
    status = await conn.execute(MARK_RELAYED, list(seqs))
    return int(status.split()[-1])
