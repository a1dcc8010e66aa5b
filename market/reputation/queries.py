"""SQL of ratings and colours. Each function takes a connection (the service owns the transaction)."""
from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from market.reputation.model import Record


@dataclass(frozen=True)
class RatedSeat:
    """An assignment as a rating reads it: its parties and whether the shift was completed."""
    assignment_id: uuid.UUID
    worker_id: uuid.UUID
    organisation_id: uuid.UUID
    state: str


@dataclass(frozen=True)
class RatingRow:
    id: uuid.UUID
    assignment_id: uuid.UUID
    rater: str
    score: int
    reasons: list[str]
    held: bool
    created_at: datetime


@dataclass(frozen=True)
class ColourRow:
    organisation_id: uuid.UUID
    name: str
    district_code: str
    colour: str
    reasons: list[str]
    record: dict
    computed_at: datetime


SEAT = "SELECT id AS assignment_id, worker_id, organisation_id, state FROM assignments WHERE id = $1"
# A rating is held while a case between its worker and organisation that was open when the rating
# was given is still open (docs/reputation.md): derived on read, so closing a case releases it.
HELD = """EXISTS (SELECT 1 FROM cases c WHERE c.worker_id = r.worker_id AND c.organisation_id = r.organisation_id
                  AND c.created_at <= r.created_at AND c.state NOT IN ('resolved', 'decided'))"""
INSERT_RATING = """
INSERT INTO ratings (assignment_id, rater, worker_id, organisation_id, score, reasons, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id
"""
RATING_COLUMNS = "r.id, r.assignment_id, r.rater, r.score, r.reasons, " + HELD + " AS held, r.created_at"
RATINGS_OF_SEAT = "SELECT " + RATING_COLUMNS + " FROM ratings r WHERE r.assignment_id = $1 ORDER BY r.rater"
# The counted ratings of an organisation (given by workers) or of a worker (given by employers).
COUNTED_OF_ORGANISATION = ("SELECT r.score, r.reasons FROM ratings r WHERE r.organisation_id = $1 "
                           "AND r.rater = 'worker' AND NOT " + HELD)
COUNTED_OF_WORKER = ("SELECT r.score, r.reasons FROM ratings r WHERE r.worker_id = $1 "
                     "AND r.rater = 'employer' AND NOT " + HELD)

# Whom a worker's rating is shown to ($1 the worker): an organisation it bid to, worked for or is
# employed by ($2), or a supervisor of its district ($3 the districts). Anyone else: no such worker.
WORKER_SEEN_BY = """
SELECT EXISTS (SELECT 1 FROM workers w WHERE w.id = $1 AND (
    w.district_code = ANY($3::text[])
    OR EXISTS (SELECT 1 FROM assignments a WHERE a.worker_id = w.id AND a.organisation_id = $2)
    OR EXISTS (SELECT 1 FROM bids b JOIN orders o ON o.id = b.order_id WHERE b.worker_id = w.id
               AND o.organisation_id = $2)
    OR EXISTS (SELECT 1 FROM employments e WHERE e.worker_id = w.id AND e.organisation_id = $2)))
"""

# Every organisation's record, as model.colour_of reads it, at $1: one grouped pass over each table
# (a correlated count per organisation would scan assignments once per organisation: the sweep
# runs every few minutes over all of them).
RECORDS = """
SELECT o.id AS organisation_id,
       coalesce(ar.outstanding, 0)::int AS outstanding_arrears,
       coalesce(c.pay, 0)::int AS upheld_pay_complaints,
       coalesce(c.other, 0)::int AS upheld_other_complaints,
       coalesce(c.no_show, 0)::int AS upheld_no_show_disputes,
       coalesce(k.late, 0)::int AS late_cancelled_seats,
       coalesce(a.recent, 0)::int AS seats,
       coalesce(a.completed, 0)::int AS completed_seats
FROM organisations o
LEFT JOIN (SELECT organisation_id, count(*) AS outstanding FROM arrears
           WHERE employer_at_fault AND kind = 'wage_unpaid' AND cleared_at IS NULL
           GROUP BY organisation_id) ar ON ar.organisation_id = o.id
LEFT JOIN (SELECT organisation_id,
                  count(*) FILTER (WHERE kind IN ('unpaid_pay', 'late_pay')) AS pay,
                  count(*) FILTER (WHERE kind NOT IN ('unpaid_pay', 'late_pay', 'no_show_appeal')) AS other,
                  count(*) FILTER (WHERE kind = 'no_show_appeal') AS no_show
           FROM cases WHERE state = 'decided' AND outcome <> 'dismissed'
             AND updated_at > $1::timestamptz - interval '365 days'
           GROUP BY organisation_id) c ON c.organisation_id = o.id
LEFT JOIN (SELECT a.organisation_id, count(*) AS late FROM compensations k JOIN assignments a ON a.id = k.assignment_id
           WHERE a.state = 'cancelled' AND k.created_at > $1::timestamptz - interval '90 days'
           GROUP BY a.organisation_id) k ON k.organisation_id = o.id
LEFT JOIN (SELECT organisation_id,
                  count(*) FILTER (WHERE created_at > $1::timestamptz - interval '90 days') AS recent,
                  count(*) FILTER (WHERE state = 'completed') AS completed
           FROM assignments GROUP BY organisation_id) a ON a.organisation_id = o.id
"""
UPSERT_COLOURS = """
INSERT INTO organisation_colours (organisation_id, colour, reasons, record, computed_at)
SELECT c.organisation_id, c.colour, string_to_array(c.reasons, ','), c.record::jsonb, $5
FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[]) AS c (organisation_id, colour, reasons, record)
ON CONFLICT (organisation_id) DO UPDATE
SET colour = excluded.colour, reasons = excluded.reasons, record = excluded.record, computed_at = excluded.computed_at
"""
COLOURS = """
SELECT o.id AS organisation_id, o.name, o.district_code, coalesce(k.colour, 'blue') AS colour,
       coalesce(k.reasons, ARRAY['not_yet_rated']) AS reasons, coalesce(k.record, '{}'::jsonb) AS record,
       coalesce(k.computed_at, o.created_at) AS computed_at
FROM organisations o LEFT JOIN organisation_colours k ON k.organisation_id = o.id
"""
COLOUR_OF = COLOURS + " WHERE o.id = $1"
COLOURS_IN_DISTRICTS = COLOURS + " WHERE o.district_code = ANY($1::text[]) ORDER BY o.district_code, o.name, o.id"
ALL_COLOURS = COLOURS + " ORDER BY o.district_code, o.name, o.id"


async def seat(conn: asyncpg.Connection, assignment_id: uuid.UUID) -> RatedSeat | None:
    row = await conn.fetchrow(SEAT, assignment_id)
    return RatedSeat(**dict(row)) if row else None


async def insert_rating(conn: asyncpg.Connection, seat: RatedSeat, rater: str, score: int, reasons: list[str],
                        now: datetime) -> uuid.UUID:
    return await conn.fetchval(INSERT_RATING, seat.assignment_id, rater, seat.worker_id, seat.organisation_id,
                               score, reasons, now)


async def ratings_of_seat(conn: asyncpg.Connection, assignment_id: uuid.UUID) -> list[RatingRow]:
    return [RatingRow(**dict(r)) for r in await conn.fetch(RATINGS_OF_SEAT, assignment_id)]


async def counted_of_organisation(conn: asyncpg.Connection, organisation_id: uuid.UUID) -> list[asyncpg.Record]:
    return await conn.fetch(COUNTED_OF_ORGANISATION, organisation_id)


async def counted_of_worker(conn: asyncpg.Connection, worker_id: uuid.UUID) -> list[asyncpg.Record]:
    return await conn.fetch(COUNTED_OF_WORKER, worker_id)


async def worker_exists(conn: asyncpg.Connection, worker_id: uuid.UUID) -> bool:
    return await conn.fetchval("SELECT EXISTS (SELECT 1 FROM workers WHERE id = $1)", worker_id)


async def worker_seen_by(conn: asyncpg.Connection, worker_id: uuid.UUID, organisation_id: uuid.UUID | None,
                         districts: list[str]) -> bool:
    return await conn.fetchval(WORKER_SEEN_BY, worker_id, organisation_id, districts)


async def records(conn: asyncpg.Connection, now: datetime) -> dict[uuid.UUID, Record]:
    return {r["organisation_id"]: Record(**{k: v for k, v in dict(r).items() if k != "organisation_id"})
            for r in await conn.fetch(RECORDS, now)}


async def lock_colours(conn: asyncpg.Connection) -> dict[uuid.UUID, tuple[str, str]]:
    """The colours as they are (and each organisation's district), locked: a second recompute at
    once waits, then sees this one's colours, so each change is announced once."""
    rows = await conn.fetch("SELECT k.organisation_id, k.colour, o.district_code FROM organisation_colours k "
                            "JOIN organisations o ON o.id = k.organisation_id FOR UPDATE OF k")
    return {r["organisation_id"]: (r["colour"], r["district_code"]) for r in rows}


async def write_colours(conn: asyncpg.Connection, rows: list[tuple[uuid.UUID, str, list[str], str]],
                        now: datetime) -> None:
    await conn.execute(UPSERT_COLOURS, [r[0] for r in rows], [r[1] for r in rows], [",".join(r[2]) for r in rows],
                       [r[3] for r in rows], now)


async def colour_of(conn: asyncpg.Connection, organisation_id: uuid.UUID) -> ColourRow | None:
    row = await conn.fetchrow(COLOUR_OF, organisation_id)
    return _colour(row) if row else None


async def colours(conn: asyncpg.Connection, districts: list[str] | None) -> list[ColourRow]:
    rows = await (conn.fetch(ALL_COLOURS) if districts is None else conn.fetch(COLOURS_IN_DISTRICTS, districts))
    return [_colour(r) for r in rows]


def _colour(row: asyncpg.Record) -> ColourRow:
    values = dict(row)
    record = values["record"]
    values["record"] = record if isinstance(record, dict) else json.loads(record)
    return ColourRow(**values)
