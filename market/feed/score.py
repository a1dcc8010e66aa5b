"""The worker job feed's ranking score: pay, distance, start time, skill fit and the employer's
colour. Pure, standard library.

The score is an integer from 0 to 10 000 points, a weighted sum of four terms, each clamped to
[0, 1] and scaled by its weight with integer (floor) division:

| term     | weight | input                                     | full marks           | zero                |
|----------|-------:|-------------------------------------------|----------------------|---------------------|
| pay      |  4 000 | hourly pay in fen (day/piece converted)   | ≥ 60 yuan an hour    | 0                   |
| distance |  3 000 | metres from the worker's home to the site | at the door          | at max travel       |
| start    |  2 000 | seconds until the shift starts            | starting now         | ≥ a week away       |
| skill    |  1 000 | the order needs a skill the worker has    | yes                  | no (anyone can)     |

Why these: pay is what workers say they choose by; distance next (travel is unpaid time and
money); sooner shifts first because the feed is for finding work now and late seats are the ones at
risk of going unfilled; a small bonus when the order uses the worker's skill, so that skilled
workers see skilled work (usually better paid) first. The feed shows only shifts the worker fits,
so "fit" needs no graded penalty.

The employer's 诚信 colour (market/reputation, docs/reputation.md) moves the sum last: a red
(守信) employer's shift gains `RED_BONUS` points, a black (失信: wage arrears outstanding, repeated
upheld pay complaints) one's score is halved, blue (most employers, and every new one) is as is.
The bonus is a tie-breaker among otherwise close shifts (about 7 yuan an hour of pay); halving
sinks a black employer's shifts below nearly every other without hiding them: the worker may still
choose them, seeing the colour on the item.

Integers keep the score exact and identical in Python and SQL: cursor pagination over
(score, shift id) must see the same number in both. `FEED_SCORE_SQL` is the same formula as a
PostgreSQL expression over the columns named in `FEED_SCORE_SQL_COLUMNS`, which the query must
provide (e.g. from a CTE); it uses only integer arithmetic and CASE so it also runs in SQLite,
which the tests use to prove the two agree. Integer division in both truncates, and every operand
is non-negative, so truncation is floor.
"""

from __future__ import annotations

import math
from datetime import datetime

from market.kernel.clock import elapsed


PAY_WEIGHT = 4_000
DISTANCE_WEIGHT = 3_000
START_WEIGHT = 2_000
SKILL_WEIGHT = 1_000
RED_BONUS = 500
MAX_SCORE = PAY_WEIGHT + DISTANCE_WEIGHT + START_WEIGHT + SKILL_WEIGHT + RED_BONUS

PAY_CAP_FEN = 6_000  # 60 yuan an hour: beyond it, more pay no longer moves a shift up
START_HORIZON_SECONDS = 7 * 24 * 3600  # a week


def feed_score(
    *, hourly_pay_fen: int, distance_m: int, max_travel_m: int, seconds_to_start: int, uses_worker_skill: bool,
    employer_colour: str = "blue",
) -> int:
    """The ranking score, 0–10 500 (higher first). All inputs but the colour are integers; see the module table."""
    if max_travel_m <= 0:
        raise ValueError("max_travel_m must be positive")
    pay = min(max(hourly_pay_fen, 0), PAY_CAP_FEN)
    distance = min(max(distance_m, 0), max_travel_m)
    wait = min(max(seconds_to_start, 0), START_HORIZON_SECONDS)
    total = (
        PAY_WEIGHT * pay // PAY_CAP_FEN
        + DISTANCE_WEIGHT * (max_travel_m - distance) // max_travel_m
        + START_WEIGHT * (START_HORIZON_SECONDS - wait) // START_HORIZON_SECONDS
        + (SKILL_WEIGHT if uses_worker_skill else 0)
    )
    if employer_colour == "black":
        return total // 2
    return total + (RED_BONUS if employer_colour == "red" else 0)


def feed_score_at(
    *,
    hourly_pay_fen: int,
    distance_m: float,
    max_travel_m: int,
    shift_start: datetime,
    now: datetime,
    uses_worker_skill: bool,
    employer_colour: str = "blue",
) -> int:
    """`feed_score` from a float distance and datetimes, rounded the way the SQL does (floor)."""
    return feed_score(
        hourly_pay_fen=hourly_pay_fen,
        distance_m=math.floor(distance_m),
        max_travel_m=max_travel_m,
        seconds_to_start=math.floor(elapsed(now, shift_start).total_seconds()),
        uses_worker_skill=uses_worker_skill,
        employer_colour=employer_colour,
    )


FEED_SCORE_SQL_COLUMNS = ("hourly_pay_fen", "distance_m", "max_travel_m", "seconds_to_start", "uses_worker_skill",
                          "employer_colour")
"""Integer columns (and one boolean and one text) the feed query computes before applying FEED_SCORE_SQL, e.g.
`floor(<haversine>)::bigint AS distance_m`, `floor(extract(epoch FROM s.starts_at - $1))::bigint AS
seconds_to_start`."""

_FEED_SUM_SQL = """(
  4000 * (CASE WHEN hourly_pay_fen <= 0 THEN 0
               WHEN hourly_pay_fen >= 6000 THEN 6000
               ELSE hourly_pay_fen END) / 6000
  + 3000 * (max_travel_m - (CASE WHEN distance_m <= 0 THEN 0
                                 WHEN distance_m >= max_travel_m THEN max_travel_m
                                 ELSE distance_m END)) / max_travel_m
  + 2000 * (604800 - (CASE WHEN seconds_to_start <= 0 THEN 0
                           WHEN seconds_to_start >= 604800 THEN 604800
                           ELSE seconds_to_start END)) / 604800
  + (CASE WHEN uses_worker_skill THEN 1000 ELSE 0 END)
)"""
FEED_SCORE_SQL = ("(CASE WHEN employer_colour = 'black' THEN " + _FEED_SUM_SQL + " / 2 ELSE " + _FEED_SUM_SQL
                  + " + (CASE WHEN employer_colour = 'red' THEN 500 ELSE 0 END) END)")
