"""The job feed's ranking score, and that its SQL twin computes the same number."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from market.feed.score import FEED_SCORE_SQL, FEED_SCORE_SQL_COLUMNS, MAX_SCORE, feed_score, feed_score_at

from tests.orders.factories import cq

BASE = dict(hourly_pay_fen=3000, distance_m=2000, max_travel_m=10000, seconds_to_start=3600, uses_worker_skill=False)


def score(**overrides) -> int:
    return feed_score(**{**BASE, **overrides})


def test_the_best_imaginable_shift_scores_the_maximum_and_the_worst_zero():
    assert score(hourly_pay_fen=6000, distance_m=0, seconds_to_start=0, uses_worker_skill=True,
                 employer_colour="red") == MAX_SCORE == 10500
    assert score(hourly_pay_fen=6000, distance_m=0, seconds_to_start=0, uses_worker_skill=True) == 10000
    assert score(hourly_pay_fen=0, distance_m=10000, seconds_to_start=7 * 24 * 3600, uses_worker_skill=False) == 0


def test_better_pay_ranks_higher_until_the_cap():
    assert score(hourly_pay_fen=3500) > score(hourly_pay_fen=3000)
    assert score(hourly_pay_fen=9000) == score(hourly_pay_fen=6000)


def test_nearer_sooner_and_skilled_shifts_rank_higher():
    assert score(distance_m=500) > score(distance_m=5000)
    assert score(seconds_to_start=600) > score(seconds_to_start=2 * 24 * 3600)
    assert score(uses_worker_skill=True) == score() + 1000


def test_a_red_employer_gains_a_tie_breaker_and_a_black_one_is_halved():
    assert score(employer_colour="red") == score() + 500
    assert score(employer_colour="black") == score() // 2
    assert score(employer_colour="black", hourly_pay_fen=6000, distance_m=0) < score(hourly_pay_fen=1500)


def test_pay_outweighs_distance_in_the_documented_proportion():
    # 10 yuan/h more (of the 60-yuan cap) is worth 666 points; 2 km further (of 10 km) costs 600
    assert score(hourly_pay_fen=4000, distance_m=4000) > score(hourly_pay_fen=3000, distance_m=2000)


def test_the_datetime_helper_floors_distance_and_seconds():
    now = cq(2025, 3, 3, 8)
    assert feed_score_at(
        hourly_pay_fen=3000,
        distance_m=1999.9,
        max_travel_m=10000,
        shift_start=now + timedelta(hours=1, microseconds=500),
        now=now,
        uses_worker_skill=False,
    ) == score(distance_m=1999)


def test_max_travel_must_be_positive():
    with pytest.raises(ValueError):
        score(max_travel_m=0)


@pytest.fixture(scope="module")
def sqlite():
    connection = sqlite3.connect(":memory:")
    yield connection
    connection.close()


@settings(max_examples=300)
@given(
    hourly_pay_fen=st.integers(-100, 20000),
    distance_m=st.integers(-10, 200_000),
    max_travel_m=st.integers(1, 100_000),
    seconds_to_start=st.integers(-3600, 30 * 24 * 3600),
    uses_worker_skill=st.booleans(),
    employer_colour=st.sampled_from(["red", "blue", "black"]),
)
def test_the_sql_expression_computes_exactly_the_python_score(sqlite, **inputs):
    columns = ", ".join(f"? AS {name}" for name in FEED_SCORE_SQL_COLUMNS)
    query = f"SELECT {FEED_SCORE_SQL} FROM (SELECT {columns})"  # test-only: constants, not user input
    (sql_score,) = sqlite.execute(query, [inputs[name] for name in FEED_SCORE_SQL_COLUMNS]).fetchone()
    assert sql_score == feed_score(**inputs)
    assert 0 <= sql_score <= MAX_SCORE
