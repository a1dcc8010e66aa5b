"""Hand-checked instances: one per constraint and per reason code."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from market.allocation import (
    AllocationConfig,
    EligiblePairs,
    HourLimit,
    IneligiblePair,
    Problem,
    Reason,
    Shift,
    Worker,
    check,
    solve,
)
from market.kernel.relationships import RelationshipType

from .factories import Build, Pair, assigned, held, shift, workers

PART_TIME = RelationshipType.labor_part_time
CONFIG = AllocationConfig()


def solved(build: Build, config: AllocationConfig = CONFIG):
    problem = build.problem()
    solution = solve(problem, config)
    assert check(problem, solution, config) == []
    return solution


def unfilled_reasons(solution) -> dict[int, Reason]:
    return {u.shift: u.reason for u in solution.unfilled}


def test_plain_weighted_assignment_finds_the_hand_computed_optimum():
    cost = np.array([[4, 1, 3], [2, 0, 5], [3, 2, 2]])
    slots = tuple(Shift(id=s, start=0, end=60, headcount=1, employer="e", relationship="labor_service")
                  for s in range(3))
    worker, slot = np.nonzero(np.ones_like(cost))
    problem = Problem(tuple(Worker(id=w) for w in range(3)), slots,
                      EligiblePairs.of(worker, slot, extra_cost=cost[worker, slot]))
    config = AllocationConfig(max_shifts_per_worker=1, fairness_step=0)
    solution = solve(problem, config)
    assert assigned(solution) == {(0, 1), (1, 0), (2, 2)}
    assert solution.objective == 5
    assert solution.optimal and solution.gap == 0
    assert check(problem, solution, config) == []


def test_worker_never_gets_two_overlapping_shifts():
    solution = solved(Build(workers(1), [shift(0, 8, 12), shift(0, 10, 14)], [Pair(0, 0), Pair(0, 1)]))
    assert len(solution.assignments) == 1
    (taken,) = solution.assignments
    other = 1 - taken.shift
    assert solution.unchosen.reason_of(0, other) is Reason.OVERLAP
    assert unfilled_reasons(solution) == {other: Reason.OVERLAP}


def test_worker_takes_shifts_on_different_days_and_pays_the_fairness_step_once():
    solution = solved(Build(workers(1), [shift(0, 8, 12), shift(1, 8, 12)], [Pair(0, 0), Pair(0, 1)]))
    assert assigned(solution) == {(0, 0), (0, 1)}
    assert solution.terms.fairness == CONFIG.fairness_step


def test_shifts_closer_than_the_rest_period_are_never_given_to_one_worker():
    build = Build(workers(1), [shift(0, 6, 10), shift(0, 14, 18)], [Pair(0, 0), Pair(0, 1)])
    solution = solved(build)
    assert len(solution.assignments) == 1
    other = 1 - solution.assignments[0].shift
    assert solution.unchosen.reason_of(0, other) is Reason.REST_PERIOD
    shorter_rest = replace(CONFIG, min_rest_minutes=4 * 60)
    assert len(solved(build, shorter_rest).assignments) == 2


def test_held_commitment_blocks_an_overlapping_shift():
    build = Build([Worker(id="w0", commitments=(held(0, 9, 13, employer="other"),))], [shift(0, 12, 16)], [Pair(0, 0)])
    solution = solved(build)
    assert solution.assignments == ()
    assert solution.unchosen.reason_of(0, 0) is Reason.OVERLAP
    assert unfilled_reasons(solution) == {0: Reason.OVERLAP}


def test_held_commitment_too_close_is_a_rest_period_reason():
    build = Build([Worker(id="w0", commitments=(held(0, 6, 9),))], [shift(0, 12, 16)], [Pair(0, 0)])
    assert solved(build).unchosen.reason_of(0, 0) is Reason.REST_PERIOD


def test_part_time_worker_cannot_exceed_4_hours_a_day_per_employer():
    shifts = [shift(0, 6, 9, relationship=PART_TIME), shift(0, 17, 20, relationship=PART_TIME)]
    solution = solved(Build(workers(1), shifts, [Pair(0, 0), Pair(0, 1)]))
    assert len(solution.assignments) == 1
    other = 1 - solution.assignments[0].shift
    assert solution.unchosen.reason_of(0, other) is Reason.HOURS_LIMIT
    assert unfilled_reasons(solution) == {other: Reason.HOURS_LIMIT}


def test_part_time_limits_count_each_employer_apart():
    shifts = [shift(0, 6, 9, relationship=PART_TIME, employer="a"),
              shift(0, 17, 20, relationship=PART_TIME, employer="b")]
    assert len(solved(Build(workers(1), shifts, [Pair(0, 0), Pair(0, 1)])).assignments) == 2


def test_part_time_worker_cannot_exceed_24_hours_a_week_counting_held_assignments():
    week_so_far = tuple(held(day, 8, 12, relationship=PART_TIME) for day in range(6))  # Mon–Sat, 24 h
    build = Build([Worker(id="w0", commitments=week_so_far)], [shift(6, 8, 10, relationship=PART_TIME)], [Pair(0, 0)])
    solution = solved(build)
    assert solution.assignments == ()
    assert solution.unchosen.reason_of(0, 0) is Reason.HOURS_LIMIT
    next_week = Build([Worker(id="w0", commitments=week_so_far)], [shift(7, 8, 10, relationship=PART_TIME)], [Pair(0, 0)])
    assert len(solved(next_week).assignments) == 1


def test_other_relationship_types_take_their_limits_from_configuration():
    shifts = [shift(0, 6, 9), shift(0, 17, 20)]
    build = Build(workers(1), shifts, [Pair(0, 0), Pair(0, 1)])
    assert len(solved(build).assignments) == 2
    capped = replace(CONFIG, hour_limits={"labor_service": HourLimit(per_day_minutes=5 * 60, per_employer=False)})
    solution = solved(build, capped)
    assert len(solution.assignments) == 1


def test_workers_own_daily_limit_counts_held_work():
    build = Build([Worker(id="w0", max_minutes_per_day=8 * 60, commitments=(held(0, 0, 5),))],
                  [shift(0, 14, 18)], [Pair(0, 0)])
    assert solved(build).unchosen.reason_of(0, 0) is Reason.HOURS_LIMIT


def test_headcount_is_never_exceeded_and_the_cheapest_workers_fill_it():
    pairs = [Pair(0, 0, pay_fen=9_000), Pair(1, 0, pay_fen=10_000), Pair(2, 0, pay_fen=11_000)]
    solution = solved(Build(workers(3), [shift(0, 8, 12, headcount=2)], pairs))
    assert assigned(solution) == {(0, 0), (1, 0)}
    assert solution.unchosen.reason_of(2, 0) is Reason.HIGHER_COST


def test_the_cheaper_bid_wins_and_the_dearer_bidder_is_outbid():
    pairs = [Pair(0, 0, pay_fen=12_000, from_bid=True), Pair(1, 0, pay_fen=10_000, from_bid=True)]
    solution = solved(Build(workers(2), [shift(0, 8, 12)], pairs))
    assert assigned(solution) == {(1, 0)}
    assert solution.unchosen.reason_of(0, 0) is Reason.OUTBID


def test_the_nearer_worker_wins_and_the_other_is_farther():
    pairs = [Pair(0, 0, distance_m=15_000), Pair(1, 0, distance_m=2_000)]
    solution = solved(Build(workers(2), [shift(0, 8, 12)], pairs))
    assert assigned(solution) == {(1, 0)}
    assert solution.unchosen.reason_of(0, 0) is Reason.FARTHER


def test_the_more_reliable_and_skilled_worker_wins_and_the_other_has_a_lower_score():
    pairs = [Pair(0, 0, skill_level=0, reliability=0.5), Pair(1, 0, skill_level=3, reliability=0.99)]
    solution = solved(Build(workers(2), [shift(0, 8, 12)], pairs))
    assert assigned(solution) == {(1, 0)}
    assert solution.unchosen.reason_of(0, 0) is Reason.LOWER_SCORE


def test_an_employer_favourite_is_preferred_at_equal_cost():
    pairs = [Pair(0, 0), Pair(1, 0, favourite=True)]
    solution = solved(Build(workers(2), [shift(0, 8, 12)], pairs))
    assert assigned(solution) == {(1, 0)}
    assert solution.terms.favourite == -CONFIG.favourite_bonus


def test_a_seat_nobody_is_eligible_for_is_reported_with_the_builders_reasons_kept():
    build = Build(workers(2), [shift(0, 8, 12), shift(0, 8, 12, employer="b")], [Pair(0, 0)],
                  ineligible=[IneligiblePair(1, 1, Reason.BLOCKED), IneligiblePair(0, 1, Reason.TOO_FAR)])
    solution = solved(build)
    assert unfilled_reasons(solution) == {1: Reason.NO_ELIGIBLE_WORKER}
    assert solution.unchosen.reason_of(1, 1) is Reason.BLOCKED
    assert solution.unchosen.reason_of(0, 1) is Reason.TOO_FAR


def test_filling_a_seat_comes_before_its_cost():
    solution = solved(Build(workers(1), [shift(0, 8, 12)], [Pair(0, 0, pay_fen=500_000)]))
    assert len(solution.assignments) == 1


def test_a_seat_paying_20000_yuan_is_filled():
    solution = solved(Build(workers(1), [shift(0, 8, 12)], [Pair(0, 0, pay_fen=2_000_000)]))
    assert assigned(solution) == {(0, 0)} and solution.unfilled == ()
    assert solution.unfilled_seat_penalty > solution.objective  # more than all the seat costs


def test_filling_both_seats_beats_any_saving_on_pay_even_through_a_swap():
    # Worker 0 alone fills one seat for nothing; filling both needs worker 0 on the ¥20,000 seat
    # and worker 1 (¥20,000 too) on the other: 4,000,000 points of pay, and still the better run.
    shifts = [shift(0, 8, 12), shift(1, 8, 12)]
    pairs = [Pair(0, 0, pay_fen=0), Pair(0, 1, pay_fen=2_000_000), Pair(1, 0, pay_fen=2_000_000)]
    solution = solved(Build(workers(2), shifts, pairs), replace(CONFIG, max_shifts_per_worker=1))
    assert assigned(solution) == {(0, 1), (1, 0)}


def test_every_seat_is_filled_in_cp_sat_too_whatever_the_pay():
    # Two shifts a day and a 6-hour day: the flow models cannot settle it, CP-SAT does; pay up to
    # ¥200,000 a seat.
    rng = np.random.default_rng(7)
    shifts = [shift(day, 8, 12) for day in range(6)] + [shift(day, 13, 17) for day in range(6)]
    pairs = [Pair(w, s, pay_fen=int(rng.integers(0, 20_000_000))) for w in range(4) for s in range(12)
             if rng.random() < 0.7]
    config = replace(CONFIG, relative_gap_tolerance=0.0, min_rest_minutes=0)
    solution = solved(Build(workers(4, max_minutes_per_day=6 * 60), shifts, pairs), config)
    assert solution.method == "flow+cp-sat"
    assert {a.shift for a in solution.assignments} == {p.shift for p in pairs}


@pytest.mark.parametrize("pay_fen", [2_400_000_000_000, 2**62])
def test_pay_far_beyond_the_api_neither_overflows_nor_leaves_a_seat_empty(pay_fen):
    shifts = [shift(day, 8, 12, headcount=2) for day in range(5)]
    pairs = [Pair(w, s, pay_fen=pay_fen - w * s, extra_cost=-(2**61) if w == 0 else 2**61)
             for w in range(6) for s in range(5)]
    solution = solved(Build(workers(6), shifts, pairs), replace(CONFIG, relative_gap_tolerance=0.0))
    assert solution.seats_filled == 10 and solution.unfilled == ()


def test_fairness_spreads_shifts_between_workers():
    shifts = [shift(0, 8, 12), shift(1, 8, 12)]
    pairs = [Pair(0, 0, pay_fen=9_000), Pair(0, 1, pay_fen=9_000), Pair(1, 0), Pair(1, 1)]
    spread = solved(Build(workers(2), shifts, pairs))
    assert {a.worker for a in spread.assignments} == {0, 1}
    piled = solved(Build(workers(2), shifts, pairs), replace(CONFIG, fairness_step=0))
    assert assigned(piled) == {(0, 0), (0, 1)}
    assert piled.unchosen.reason_of(1, 0) is Reason.HIGHER_COST


def test_a_worker_at_the_shift_cap_gets_no_more():
    shifts = [shift(0, 8, 12), shift(1, 8, 12)]
    solution = solved(Build([Worker(id="w0", max_shifts=1)], shifts, [Pair(0, 0), Pair(0, 1)]))
    assert len(solution.assignments) == 1
    assert solution.unchosen.reason_of(0, 1 - solution.assignments[0].shift) is Reason.MAX_SHIFTS


def test_a_worker_better_used_elsewhere_is_reported_so():
    # Worker 0 is cheapest for both overlapping shifts; worker 1 can only do shift 1.
    shifts = [shift(0, 8, 12), shift(0, 9, 13)]
    pairs = [Pair(0, 0, pay_fen=9_000), Pair(0, 1, pay_fen=9_000), Pair(1, 1, pay_fen=9_500)]
    solution = solved(Build(workers(2), shifts, pairs))
    assert assigned(solution) == {(0, 0), (1, 1)}
    assert solution.unchosen.reason_of(0, 1) is Reason.OVERLAP


def test_an_empty_problem_solves_to_nothing():
    solution = solved(Build())
    assert solution.assignments == () and solution.objective == 0 and solution.unfilled == ()


def test_a_pair_listed_twice_is_refused():
    problem = Problem(tuple(workers(1)), (shift(0, 8, 12),), EligiblePairs.of([0, 0], [0, 0]))
    with pytest.raises(ValueError, match="more than once"):
        solve(problem)
