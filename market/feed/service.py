"""The worker job feed: open shifts a worker can take, ranked, and its reverse — the workers a new
shift fits, to whom the live stream announces it. Both use the same SQL conditions
(`queries.FITS`, and the held-seat test written for each direction: `FEED_NOT_HELD`,
`AUDIENCE_NOT_HELD`), so a shift appears live exactly to the workers whose feed would list it.

Fit, in SQL: gig order open for bids, seats left, starting later, relationship type accepted by the
worker, every required skill at its level (and certificate), no overlap with a held seat, the
worker's availability (SQL function `worker_available`), and within the worker's travel distance
(bounding box on a GiST index, then the exact haversine distance). Part-time hour limits (24 h a
week, 4 h a day on average, per employer) are checked after, in Python, by the pure rule
`rules.part_time_hours_refusal`, so a page may hold fewer rows than asked; the cursor still moves
past every examined row, so nothing is skipped or repeated.

Ranking: `score.FEED_SCORE_SQL` (pay, distance, start time, skill fit; see that module),
highest first, ties by shift id. The score depends on "now", so the cursor carries the time the
first page was computed at and every later page ranks as of that time.
"""
from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta

import asyncpg

from market import geo
from market.feed import queries
from market.feed.model import FeedRow, ShiftToFit
from market.kernel import clock
from market.kernel.principal import Principal
from market.kernel.relationships import RelationshipType
from market.orders import rules
from market.orders.records import HeldSpan

# Hour limits look at the ISO week around a shift; this margin covers it.
WEEK_MARGIN = timedelta(days=8)


class Feed:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def page(self, caller: Principal, *, as_of: datetime | None, after: tuple[int, uuid.UUID] | None,
                   limit: int) -> tuple[list[FeedRow], tuple[int, uuid.UUID] | None, datetime]:
        """Fitting open shifts ranked as of `as_of` (now for a first page), the key to continue
        after, and the time the page ranks as of."""
        as_of = clock.now(as_of)
        async with self.pool.acquire() as conn:
            rows, next_key = await feed_page(conn, caller.worker_id, as_of, after, limit)
        return rows, next_key, as_of


async def feed_page(conn: asyncpg.Connection, worker_id: uuid.UUID, as_of: datetime,
                    after: tuple[int, uuid.UUID] | None,
                    limit: int) -> tuple[list[FeedRow], tuple[int, uuid.UUID] | None]:
    """Up to `limit` fitting shifts after the cursor key, and the key to continue after (None on
    the last page): the last row examined, even if the hour limits filtered it out."""
    worker = await queries.feed_worker(conn, worker_id)
    assert worker is not None, "a worker principal names a worker"
    box = geo.bounding_box(worker.lat, worker.lon, worker.max_travel_m)
    rows = await queries.feed(conn, worker, as_of, box, after, limit + 1)
    next_key = (rows[limit - 1].score, rows[limit - 1].shift_id) if len(rows) > limit else None
    rows = rows[:limit]
    held = await _held_spans(conn, [worker_id], rows)
    return [r for r in rows if _within_hour_limits(held.get(worker_id, []), r)], next_key


async def workers_fitting_shift(conn: asyncpg.Connection, shift_id: uuid.UUID, now: datetime) -> list[uuid.UUID]:
    """Every worker whose feed lists this shift now (the audience of a `shift.opened` event)."""
    return (await workers_fitting_shifts(conn, [shift_id], now))[shift_id]


async def workers_fitting_shifts(conn: asyncpg.Connection, shift_ids: list[uuid.UUID],
                                 now: datetime) -> dict[uuid.UUID, list[uuid.UUID]]:
    """For each shift, every worker whose feed lists it now: four statements however many shifts
    (the relay sequences up to a batch of shift.opened events at once)."""
    fitting: dict[uuid.UUID, list[uuid.UUID]] = {shift_id: [] for shift_id in shift_ids}
    shifts = await queries.shifts_for_fit(conn, list(fitting))
    if not shifts:
        return fitting
    reach = await queries.max_travel_m(conn)
    boxes = {s.id: geo.bounding_box(s.site_lat, s.site_lon, reach) for s in shifts}
    fitting.update(await queries.fitting_workers(conn, boxes, now))
    # Part-time hour limits with the shift's employer, in Python (feed.py's docstring): one read of
    # the candidates' seats around every part-time shift of the batch.
    part_time = {s.id: s for s in shifts
                 if s.relationship_type == RelationshipType.labor_part_time.value and fitting[s.id]}
    if part_time:
        candidates = list(dict.fromkeys(w for shift_id in part_time for w in fitting[shift_id]))
        held = await _held_spans(conn, candidates, part_time.values())
        for shift_id, row in part_time.items():
            fitting[shift_id] = [w for w in fitting[shift_id] if _within_hour_limits(held.get(w, []), row)]
    return fitting


async def _held_spans(conn: asyncpg.Connection, worker_ids: list[uuid.UUID],
                      rows: Iterable[FeedRow | ShiftToFit]) -> dict[uuid.UUID, list[HeldSpan]]:
    rows = list(rows)
    if not rows:
        return {}
    start = min(r.starts_at for r in rows) - WEEK_MARGIN
    end = max(r.ends_at for r in rows) + WEEK_MARGIN
    return await queries.held_spans_of_workers(conn, worker_ids, start, end)


def _within_hour_limits(held: list[HeldSpan], row: FeedRow | ShiftToFit) -> bool:
    if row.relationship_type != RelationshipType.labor_part_time.value:
        return True
    with_employer = [h for h in held if h.organisation_id == row.organisation_id]
    candidate = HeldSpan(row.starts_at, row.ends_at, row.organisation_id)
    return rules.part_time_hours_refusal(with_employer, candidate) is None


async def shift_opened_audience(conn: asyncpg.Connection, event) -> list[uuid.UUID]:
    """The relay's audience for a `shift.opened` event: the workers the shift fits when it is relayed."""
    return (await shift_opened_audiences(conn, [event]))[event.id]


async def shift_opened_audiences(conn: asyncpg.Connection, events: list) -> dict[int, list[uuid.UUID]]:
    """`shift_opened_audience` for a batch of events (by event id), in one go."""
    shift_of = {event.id: uuid.UUID(event.payload["shift_id"]) for event in events}
    fitting = await workers_fitting_shifts(conn, list(dict.fromkeys(shift_of.values())), clock.now())
    # The end of a favourites-first window is announced to everyone else: the pool heard at posting.
    opened = {event.id for event in events if event.payload.get("pool_opened")}
    members = await queries.pool_members_of_shifts(conn, [shift_of[i] for i in opened]) if opened else {}
    return {event_id: [w for w in fitting[shift_id] if w not in members.get(shift_id, ())] if event_id in opened
            else fitting[shift_id] for event_id, shift_id in shift_of.items()}
