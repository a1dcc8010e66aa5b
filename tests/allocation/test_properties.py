"""Properties over random small instances: every solution passes the independent checker and is
optimal (by brute force, and by scipy on plain assignments); the same input gives the same answer."""
from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linear_sum_assignment

from market.allocation import AllocationConfig, Assignment, Problem, Worker, check, solve
from market.allocation.checker import check_assignments, recompute_objective
from market.kernel.relationships import RelationshipType

from .factories import Build, Pair, held, shift

PROPERTY_SETTINGS = settings(
    max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
RELATIONSHIPS = [RelationshipType.labor_part_time, RelationshipType.labor_service]


@st.composite
def small_problems(draw) -> Problem:
    n_workers = draw(st.integers(1, 3))
    n_shifts = draw(st.integers(1, 4))
    shifts = []
    for _ in range(n_shifts):
        day = draw(st.integers(0, 1))
        start = draw(st.integers(0, 20 * 4)) / 4  # 15-minute grid
        length = draw(st.integers(4, 24)) / 4
        shifts.append(shift(day, start, min(24, start + length), headcount=draw(st.integers(1, 2)),
                            employer=draw(st.sampled_from(["a", "b"])), relationship=draw(st.sampled_from(RELATIONSHIPS))))
    workers = []
    for i in range(n_workers):
        commitments = ()
        if draw(st.booleans()):
            start = draw(st.integers(0, 20))
            commitments = (held(draw(st.integers(0, 1)), start, start + draw(st.integers(1, 4)),
                                employer=draw(st.sampled_from(["a", "b"])),
                                relationship=draw(st.sampled_from(RELATIONSHIPS))),)
        workers.append(Worker(id=i, commitments=commitments,
                              max_minutes_per_day=draw(st.sampled_from([None, 6 * 60, 10 * 60]))))
    possible = list(itertools.product(range(n_workers), range(n_shifts)))
    chosen = draw(st.lists(st.sampled_from(possible), unique=True, max_size=9))
    pairs = [Pair(w, s, pay_fen=draw(st.integers(5_000, 20_000)), distance_m=draw(st.integers(0, 20_000)),
                  skill_level=draw(st.integers(0, 3)), reliability=draw(st.floats(0, 1)),
                  favourite=draw(st.booleans()), from_bid=draw(st.booleans())) for w, s in chosen]
    return Build(workers, shifts, pairs).problem()


def brute_force_optimum(problem: Problem, config: AllocationConfig, penalty: int) -> int:
    rows = range(len(problem.pairs))
    every = [Assignment(int(problem.pairs.worker[r]), int(problem.pairs.shift[r]), r) for r in rows]
    best = None
    for size in range(len(every) + 1):
        for subset in itertools.combinations(every, size):
            if check_assignments(problem, subset, config):
                continue
            value = recompute_objective(problem, subset, config, unfilled_seat_penalty=penalty)
            best = value if best is None else min(best, value)
    return best


@PROPERTY_SETTINGS
@given(problem=small_problems(), rest_hours=st.sampled_from([0, 4, 8]), fairness=st.sampled_from([0, 3_000]))
def test_every_solution_passes_the_checker_and_is_optimal(problem, rest_hours, fairness):
    config = AllocationConfig(min_rest_minutes=rest_hours * 60, fairness_step=fairness, relative_gap_tolerance=0.0)
    solution = solve(problem, config)
    assert check(problem, solution, config) == []
    assert solution.objective == brute_force_optimum(problem, config, solution.unfilled_seat_penalty)
    assert solution.optimal


@st.composite
def plain_assignments(draw) -> tuple[Problem, np.ndarray, np.ndarray]:
    n_workers = draw(st.integers(1, 7))
    n_slots = draw(st.integers(1, n_workers))
    eligible = np.array(draw(st.lists(st.booleans(), min_size=n_workers * n_slots, max_size=n_workers * n_slots)))
    eligible = eligible.reshape(n_workers, n_slots)
    cost = np.array(draw(st.lists(st.integers(-500, 5_000), min_size=n_workers * n_slots,
                                  max_size=n_workers * n_slots))).reshape(n_workers, n_slots)
    worker, slot = np.nonzero(eligible)
    shifts = [shift(0, 8, 9, employer=s) for s in range(n_slots)]
    pairs = [Pair(int(w), int(s), pay_fen=0, distance_m=0, skill_level=0, reliability=0.0,
                  extra_cost=int(cost[w, s])) for w, s in zip(worker, slot)]
    return Build([Worker(id=w) for w in range(n_workers)], shifts, pairs).problem(), cost, eligible


@PROPERTY_SETTINGS
@given(instance=plain_assignments())
def test_plain_assignment_objective_equals_scipys_optimum(instance):
    problem, cost, eligible = instance
    config = AllocationConfig(max_shifts_per_worker=1, fairness_step=0)
    solution = solve(problem, config)
    assert check(problem, solution, config) == []
    # Slots × workers; an ineligible pair costs what an empty slot costs.
    matrix = np.where(eligible, cost, solution.unfilled_seat_penalty).T
    rows, cols = linear_sum_assignment(matrix)
    assert solution.objective == int(matrix[rows, cols].sum())


def competitive_instance(seed: int) -> Problem:
    """Few workers, many overlapping part-time and other shifts over two days: workers compete."""
    rng = np.random.default_rng(seed)
    shifts = []
    for i in range(40):
        start = int(rng.integers(24, 80)) / 4
        shifts.append(shift(int(rng.integers(0, 2)), start, start + int(rng.integers(8, 17)) / 4,
                            headcount=int(rng.integers(1, 4)), employer=int(rng.integers(0, 3)),
                            relationship=RELATIONSHIPS[i % 2]))
    workers = [Worker(id=w, max_minutes_per_day=8 * 60) for w in range(25)]
    pairs = [Pair(w, s, pay_fen=int(rng.integers(8_000, 16_000)), distance_m=int(rng.integers(0, 30_000)),
                  reliability=float(rng.random()), from_bid=bool(rng.random() < 0.5))
             for w in range(25) for s in range(40) if rng.random() < 0.4]
    return Build(workers, shifts, pairs).problem()


def test_the_full_model_goes_to_cp_sat_when_workers_compete_and_passes_the_checker():
    problem = competitive_instance(seed=7)
    config = AllocationConfig(relative_gap_tolerance=0.0, min_rest_minutes=60, time_limit_seconds=20)
    solution = solve(problem, config)
    assert check(problem, solution, config) == []
    assert solution.method == "flow+cp-sat"
    assert solution.best_bound <= solution.objective
    assert solution.stats["relaxation_bound"] <= solution.best_bound


def test_the_same_input_and_seed_give_the_same_solution():
    problem = competitive_instance(seed=11)
    config = AllocationConfig(relative_gap_tolerance=0.0, min_rest_minutes=60, seed=5)
    first, second = solve(problem, config), solve(problem, config)
    assert first.assignments == second.assignments
    assert first.objective == second.objective
    assert list(first.unchosen) == list(second.unchosen)
    assert first.unfilled == second.unfilled


def test_a_one_shift_per_worker_run_is_exact_without_cp_sat():
    problem = competitive_instance(seed=3)
    config = replace(AllocationConfig(), max_shifts_per_worker=1)
    solution = solve(problem, config)
    assert check(problem, solution, config) == []
    assert solution.method == "flow" and solution.optimal
