"""SQL of the feed and of its reverse (which workers a new shift fits), and the functions that run
it. Functions take a connection and return the typed rows of model.py."""
from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg

from market.certificates.queries import COVERS_SHIFT
from market.feed.model import FeedRow, FeedWorker, ShiftToFit
from market.feed.score import FEED_SCORE_SQL
from market.geo import BoundingBox
from market.orders.pool import pair_open, pool_admits
from market.orders.queries import ORDER_RATES_IN_RANGE, SHIFT_WITHIN_HORIZON
from market.orders.records import HeldSpan

HAVERSINE_M = """(2 * 6371008.8 * asin(least(1, sqrt(
    power(sin(radians({lat2} - {lat1}) / 2), 2)
    + cos(radians({lat1})) * cos(radians({lat2})) * power(sin(radians({lon2} - {lon1}) / 2), 2)))))"""

# Metres from the worker `w` (lat, lon) to the order `o`'s site.
WORKER_TO_SITE_M = HAVERSINE_M.format(lat1="w.lat", lon1="w.lon", lat2="o.site_lat", lon2="o.site_lon")

FEED_WORKER = """
SELECT w.id, coalesce(w.home_lat, d.lat) AS lat, coalesce(w.home_lon, d.lon) AS lon, w.max_travel_m,
       w.relationship_types
FROM workers w JOIN districts d ON d.code = w.district_code WHERE w.id = $1
"""
# The conditions a shift must meet for a worker, shared by the feed and its reverse. `s` and `o` are
# the shift and its order, `w` the worker (with lat/lon/max_travel_m/relationship_types), `now` $2.
# The one condition left out, "no seat the worker holds overlaps the shift", is written once for
# each direction (FEED_NOT_HELD, AUDIENCE_NOT_HELD): the same test, shaped for the side that is fixed.
FITS = """
    s.open AND s.filled < s.headcount AND s.starts_at > $2 AND """ + SHIFT_WITHIN_HORIZON.format(now="$2") + """
    AND """ + ORDER_RATES_IN_RANGE + """
    AND o.kind = 'gig' AND o.state IN ('open', 'allocating') AND (o.bid_deadline IS NULL OR o.bid_deadline > $2)
    AND o.relationship_type = ANY(w.relationship_types)
    AND """ + pair_open("w.id", "o.organisation_id") + """ AND """ + pool_admits("o", "w.id", "$2") + """
    AND NOT EXISTS (
        SELECT 1 FROM order_skills r WHERE r.order_id = o.id AND NOT EXISTS (
            SELECT 1 FROM worker_skills ws WHERE ws.worker_id = w.id AND ws.skill_code = r.skill_code
              AND ws.level >= r.min_level AND (NOT r.certificate_required OR """ + \
    COVERS_SHIFT.format(worker="w.id", skill="r.skill_code", end="s.ends_at") + """)))
"""
# The feed's worker is fixed: their held seats are read once, into `w.held` (FEED_WORKER_SEATS), and
# each candidate is tested against that short array. Probing assignments once per candidate cost
# 6 µs each (10 of a 17 ms query at 1,736 candidates), and a generic plan cached while assignments
# was near empty probed by sequential scan: 400 ms a query once the table had grown (benchmarks.md).
FEED_NOT_HELD = "NOT EXISTS (SELECT 1 FROM unnest(w.held) AS h (period) WHERE h.period && s.period)"
# The audience's shift is fixed and its workers vary: one probe per worker in reach (assignments'
# exclusion index leads with worker_id).
AUDIENCE_NOT_HELD = """NOT EXISTS (
    SELECT 1 FROM assignments a WHERE a.worker_id = w.id AND a.state IN ('active', 'completed')
      AND a.period && s.period)"""
# Of the feed's worker ($1), read once per query: the seats they hold that end after now ($2; none
# other can overlap a shift that starts after now), and the shifts they hold a live bid on.
FEED_WORKER_SEATS = """
    ARRAY(SELECT a.period FROM assignments a WHERE a.worker_id = $1 AND a.state IN ('active', 'completed')
          AND upper(a.period) > $2) AS held,
    ARRAY(SELECT b.shift_id FROM bids b WHERE b.worker_id = $1 AND b.state = 'live') AS live_bid_shifts"""
# Availability is a function call per row (the costliest test), so the feed applies it last and
# lazily: after ranking, on rows in score order, until the page is full (see FEED). The audience of
# a new shift (FITTING_WORKERS) tests every worker in reach, so it first asks what two index probes
# answer: a worker with no weekly windows and no dated exception on the shift's local days is
# available (the function's own first case); only the rest pay for the call. OR is evaluated left
# to right, and the result is the function's in every case (tests/profiles/test_availability_sql.py).
# With 1,000 workers in reach the function calls were ~12 ms of the audience query's ~14 ms.
AVAILABLE = """(
    (NOT EXISTS (SELECT 1 FROM worker_availability wa WHERE wa.worker_id = w.id)
     AND NOT EXISTS (SELECT 1 FROM worker_availability_exceptions we WHERE we.worker_id = w.id
                       AND we.day BETWEEN (s.starts_at AT TIME ZONE 'Asia/Shanghai')::date
                                      AND (s.ends_at AT TIME ZONE 'Asia/Shanghai')::date))
    OR worker_available(w.id, s.starts_at, s.ends_at))"""
FEED_COLUMNS = """
    s.id AS shift_id, s.order_id, s.starts_at, s.ends_at, s.headcount, s.filled, o.organisation_id, o.title,
    o.district_code, o.site_address, o.site_lat, o.site_lon,
    o.relationship_type, o.pay_unit, o.pay_amount_fen, o.hourly_equivalent_fen AS hourly_pay_fen,
    o.allocation_mode, o.bid_deadline, o.sector_code,
    s.starts_at AS shift_start, s.ends_at AS shift_end,
    floor(""" + WORKER_TO_SITE_M + """)::bigint AS distance_m,
    w.max_travel_m,
    greatest(floor(date_part('epoch', s.starts_at - $2)), 0)::bigint AS seconds_to_start,
    EXISTS (SELECT 1 FROM order_skills r WHERE r.order_id = o.id) AS uses_worker_skill,
    s.id = ANY(w.live_bid_shifts) AS has_live_bid,
    coalesce((SELECT k.colour FROM organisation_colours k WHERE k.organisation_id = o.organisation_id),
             'blue') AS employer_colour,
    s.standby - s.standby_held AS standby_seats_left,
    CASE WHEN s.standby > 0 THEN s.standby_amount_fen END AS standby_amount_fen
"""
# Open shifts in the worker's bounding box (GiST index shifts_open_near on (site, starts_at)),
# then the exact distance, the fit conditions and the score; keyset-paginated on (score, shift id).
# Each candidate costs microseconds and a worker downtown has thousands, so per candidate: the
# candidates are MATERIALIZED (distance, seconds to start and the skill flag computed once, not again
# inside the score and the reach filter), seconds use date_part's double, not extract's numeric, and
# the employer's name is looked up for the page's rows only. Together 11.0 → 8.3 ms at 1,600
# candidates (docs/benchmarks.md).
FEED = """
WITH w AS MATERIALIZED (
    SELECT $1::uuid AS id, $3::float8 AS lat, $4::float8 AS lon, $5::int AS max_travel_m,
           $6::text[] AS relationship_types, """ + FEED_WORKER_SEATS + """
), candidates AS MATERIALIZED (
    SELECT """ + FEED_COLUMNS + """
    FROM w, shifts s
    JOIN orders o ON o.id = s.order_id
    WHERE s.open AND s.site <@ box(point($7, $8), point($9, $10)) AND s.starts_at > $2
      -- in reach: floor(distance) <= max_travel_m, tested before the rest is computed
      AND """ + WORKER_TO_SITE_M + """ < w.max_travel_m + 1
      AND """ + FITS + """ AND """ + FEED_NOT_HELD + """
), scored AS (
    SELECT c.*, """ + FEED_SCORE_SQL + """::int AS score FROM candidates c WHERE distance_m <= max_travel_m
)
-- OFFSET 0 keeps PostgreSQL from pushing the availability test below the sort: it runs on ranked
-- rows one by one and stops when the page is full, instead of on every candidate.
SELECT ranked.*, (SELECT org.name FROM organisations org WHERE org.id = ranked.organisation_id) AS employer_name
FROM (
    SELECT * FROM scored WHERE $11::int IS NULL OR (score, shift_id) < ($11, $12::uuid)
    ORDER BY score DESC, shift_id DESC OFFSET 0
) ranked
WHERE worker_available($1::uuid, ranked.shift_start, ranked.shift_end)
LIMIT $13
"""
# Reverse: the workers each of several shifts fits (the relay resolves a batch of shift.opened
# events at once) — homes within the shift's bounding box of the farthest travel anyone accepts
# (index workers_home), or, for workers with no home set, their district's centre. $1 the shifts,
# $3–$6 their boxes (min lon, min lat, max lon, max lat), in the same order.
# (A shift out of range has no audience: its times are not read at all.)
SHIFTS_FOR_FIT = """
SELECT s.id, s.starts_at, s.ends_at, o.site_lat, o.site_lon, o.organisation_id, o.relationship_type
FROM shifts s JOIN orders o ON o.id = s.order_id
WHERE s.id = ANY($1::uuid[]) AND """ + SHIFT_WITHIN_HORIZON.format(now="now()") + """
  AND """ + ORDER_RATES_IN_RANGE + """
"""
FITTING_WORKERS = """
SELECT s.id AS shift_id, w.id
FROM unnest($1::uuid[], $3::float8[], $4::float8[], $5::float8[], $6::float8[])
    AS x (shift_id, min_lon, min_lat, max_lon, max_lat)
JOIN shifts s ON s.id = x.shift_id
JOIN orders o ON o.id = s.order_id
CROSS JOIN LATERAL (
    SELECT wk.id, wk.home_lat AS lat, wk.home_lon AS lon, wk.max_travel_m, wk.relationship_types
    FROM workers wk WHERE wk.home <@ box(point(x.min_lon, x.min_lat), point(x.max_lon, x.max_lat))
    UNION ALL
    SELECT wk.id, d.lat, d.lon, wk.max_travel_m, wk.relationship_types
    FROM workers wk JOIN districts d ON d.code = wk.district_code
    WHERE wk.home IS NULL AND point(d.lon, d.lat) <@ box(point(x.min_lon, x.min_lat), point(x.max_lon, x.max_lat))
) w
WHERE """ + WORKER_TO_SITE_M + """ <= w.max_travel_m
  AND """ + FITS + """ AND """ + AUDIENCE_NOT_HELD + """
  AND """ + AVAILABLE + """
"""
HELD_SPANS_OF_WORKERS = """
SELECT a.worker_id, lower(a.period) AS starts_at, upper(a.period) AS ends_at, a.organisation_id FROM assignments a
WHERE a.worker_id = ANY($1::uuid[]) AND a.state IN ('active', 'completed') AND a.period && tstzrange($2, $3)
"""
MAX_TRAVEL_M = "SELECT coalesce(max(max_travel_m), 0) FROM workers"
# The pool members of the orders of these shifts (a window's end is announced to everyone else).
POOL_MEMBERS_OF_SHIFTS = """
SELECT s.id AS shift_id, pm.worker_id FROM shifts s JOIN order_pool_members pm ON pm.order_id = s.order_id
WHERE s.id = ANY($1::uuid[])
"""



async def feed_worker(conn: asyncpg.Connection, worker_id: uuid.UUID) -> FeedWorker | None:
    row = await conn.fetchrow(FEED_WORKER, worker_id)
    return FeedWorker(*row) if row else None


def feed_arguments(worker: FeedWorker, now: datetime, box: BoundingBox, after: tuple[int, uuid.UUID] | None,
                   limit: int) -> list:
    """FEED's parameters, $1 to $13, in the one place that orders them (the benchmark reuses it)."""
    after_score, after_id = after if after else (None, None)
    return [worker.id, now, worker.lat, worker.lon, worker.max_travel_m, worker.relationship_types,
            box.min_lon, box.min_lat, box.max_lon, box.max_lat, after_score, after_id, limit]


async def feed(conn: asyncpg.Connection, worker: FeedWorker, now: datetime, box: BoundingBox,
               after: tuple[int, uuid.UUID] | None, limit: int) -> list[FeedRow]:
    rows = await conn.fetch(FEED, *feed_arguments(worker, now, box, after, limit))
    return [FeedRow(**dict(row)) for row in rows]


async def shifts_for_fit(conn: asyncpg.Connection, shift_ids: list[uuid.UUID]) -> list[ShiftToFit]:
    return [ShiftToFit(*row) for row in await conn.fetch(SHIFTS_FOR_FIT, shift_ids)]


async def fitting_workers(conn: asyncpg.Connection, boxes: dict[uuid.UUID, BoundingBox],
                          now: datetime) -> dict[uuid.UUID, list[uuid.UUID]]:
    """The workers each shift fits, given each shift's search box (shift id → geo box)."""
    shift_ids = list(boxes)
    rows = await conn.fetch(FITTING_WORKERS, shift_ids, now, [boxes[s].min_lon for s in shift_ids],
                            [boxes[s].min_lat for s in shift_ids], [boxes[s].max_lon for s in shift_ids],
                            [boxes[s].max_lat for s in shift_ids])
    fitting: dict[uuid.UUID, list[uuid.UUID]] = {shift_id: [] for shift_id in shift_ids}
    for row in rows:
        fitting[row["shift_id"]].append(row["id"])
    return fitting


async def pool_members_of_shifts(conn: asyncpg.Connection, shift_ids: list[uuid.UUID]) -> dict[uuid.UUID, set[uuid.UUID]]:
    members: dict[uuid.UUID, set[uuid.UUID]] = {}
    for r in await conn.fetch(POOL_MEMBERS_OF_SHIFTS, shift_ids):
        members.setdefault(r["shift_id"], set()).add(r["worker_id"])
    return members


async def max_travel_m(conn: asyncpg.Connection) -> int:
    return await conn.fetchval(MAX_TRAVEL_M)


async def held_spans_of_workers(conn: asyncpg.Connection, worker_ids: list[uuid.UUID], start: datetime,
                                end: datetime) -> dict[uuid.UUID, list[HeldSpan]]:
    spans: dict[uuid.UUID, list[HeldSpan]] = {}
    for r in await conn.fetch(HELD_SPANS_OF_WORKERS, worker_ids, start, end):
        spans.setdefault(r["worker_id"], []).append(HeldSpan(r["starts_at"], r["ends_at"], r["organisation_id"]))
    return spans
