"""The allocation solver: a `Problem` in, a `Solution` out. Pure: no I/O, no clock-dependent
results for runs that finish inside their limits, deterministic for a given input and seed.

A plain weighted bipartite assignment (one cost per worker–slot pair, each worker at most one
slot) is stated with `extra_cost` as the only cost, one-seat shifts, and a shift cap of one::

    import numpy as np
    from market.allocation import AllocationConfig, EligiblePairs, Problem, Shift, Worker, solve

    cost = np.array([[4, 1, 3], [2, 0, 5], [3, 2, 2]])  # cost[worker, slot]
    workers = tuple(Worker(id=w) for w in range(3))
    slots = tuple(Shift(id=s, start=0, end=60, headcount=1, employer="e", relationship="labor_service")
                  for s in range(3))
    worker, slot = np.nonzero(np.ones_like(cost))  # every pair is eligible
    pairs = EligiblePairs.of(worker, slot, extra_cost=cost[worker, slot])
    config = AllocationConfig(max_shifts_per_worker=1, fairness_step=0)
    solution = solve(Problem(workers, slots, pairs), config)

    {(a.worker, a.shift) for a in solution.assignments}  # {(0, 1), (1, 0), (2, 2)}
    solution.objective                                    # 5, and solution.optimal is True
    solution.unchosen.reason_of(0, 0)                     # Reason.OVERLAP: worker 0 has slot 1

(Filling every slot it can comes first: the penalty of an empty slot is derived from the instance,
larger than any difference the costs could make, `Solution.unfilled_seat_penalty`.)

Pipeline (docs/allocation.md has the reasoning and the measurements behind it):

1. `prepare`: costs, eligibility left after held commitments, hour budgets and each worker's
   clique cover, all with numpy bulk operations.
2. Min-cost flow, twice: the exact *one shift per worker* model (feasible for the full problem,
   an upper bound) and the *clique-cover* relaxation (a lower bound). Return at once when no
   worker can take two shifts, when the relaxation's own answer is feasible, or when the gap is
   within tolerance. The relaxation's answer, repaired and topped up by a fill pass, competes
   with the one-per-worker answer for the best start.
3. CP-SAT on the full model with the best start as a complete hint, an LP-heavy configuration,
   a relative gap limit and a time limit. Above `decompose_above_pairs` eligible pairs the model
   is solved in district/day blocks, each given what earlier blocks chose, then finished with a
   global fill pass by min-cost flow.
4. Reason codes for every empty seat and every pair not chosen.
"""
from __future__ import annotations

import time
from collections.abc import Hashable

import numpy as np

from . import flow, reasons, selection
from .cpsat import solve_full_model
from .model import AllocationConfig, Assignment, Problem, Solution
from .prepare import Prepared, prepare

# Blocks of the decomposition aim at this many candidate pairs each.
_BLOCK_PAIRS = 40_000


def solve(problem: Problem, config: AllocationConfig | None = None) -> Solution:
    config = config or AllocationConfig()
    started = time.perf_counter()
    seconds: dict[str, float] = {}
    stats: dict[str, object] = {}

    def lap(phase: str, since: float) -> float:
        now = time.perf_counter()
        seconds[phase] = seconds.get(phase, 0.0) + now - since
        return now

    prep = prepare(problem, config)
    mark = lap("build", started)
    stats.update(pairs=prep.n_pairs, candidate_pairs=len(prep.candidate), seats=prep.seats)

    one_each = flow.assign_at_most_one_more(
        prep, prep.candidate, prep.cost[prep.candidate], prep.headcount.copy()
    )
    best = selection.mask(prep, one_each.chosen_rows)
    best_objective = selection.objective(prep, best)
    mark = lap("flow", mark)
    stats["one_shift_per_worker_objective"] = best_objective

    # No worker can take two shifts: the one-per-worker model is the full model.
    if not (np.minimum(prep.groups_per_worker, prep.max_shifts) >= 2).any():
        return _finish(problem, prep, best, best_objective, "flow", True, seconds, stats, started)

    relaxed = flow.relaxation(prep)
    bound = relaxed.cost
    relaxed_chosen = selection.mask(prep, relaxed.chosen_rows)
    stats["relaxation_bound"] = bound
    if not selection.infeasible_workers(prep, relaxed_chosen).any():
        mark = lap("flow", mark)
        return _finish(problem, prep, relaxed_chosen, bound, "flow", True, seconds, stats, started, bound)
    repaired = selection.fill_pass(prep, selection.repair(prep, relaxed_chosen))
    repaired_objective = selection.objective(prep, repaired)
    if repaired_objective < best_objective:
        best, best_objective = repaired, repaired_objective
    mark = lap("flow", mark)
    stats["repaired_relaxation_objective"] = repaired_objective

    if _gap(prep, best_objective, bound) <= config.relative_gap_tolerance:
        return _finish(problem, prep, best, best_objective, "flow", False, seconds, stats, started, bound)

    deadline = started + config.time_limit_seconds
    if len(prep.candidate) > config.decompose_above_pairs:
        chosen = _solve_in_blocks(problem, prep, config, best, deadline, stats)
        method = "decomposed"
    else:
        result = solve_full_model(
            prep, prep.candidate, np.flatnonzero(best),
            seats_left=prep.headcount, budget_room=prep.budgets.capacity,
            shifts_held=np.zeros(prep.n_workers, dtype=np.int64),
            # Seats no candidate can take are empty in every solution: left out of CP-SAT's objective,
            # so that its relative gap measures what the run can still change.
            objective_offset=prep.unfilled_penalty * (prep.seats - prep.unfillable),
            time_limit_seconds=max(0.1, deadline - time.perf_counter()),
            relative_gap=config.relative_gap_tolerance, workers=config.solver_workers, seed=config.seed,
        )
        stats.update(cp_sat_status=result.status, cp_sat_variables=result.variables,
                     cp_sat_constraints=result.constraints)
        chosen = selection.mask(prep, result.chosen_rows)
        method = "flow+cp-sat"
        # CP-SAT says OPTIMAL as soon as the gap limit is met, so optimality is read off the
        # bound, never off the status.
        if result.objective is not None:
            bound = max(bound, int(np.ceil(result.bound - 1e-6)) + prep.unfilled_penalty * prep.unfillable)
    mark = lap("cp_sat", mark)
    objective = selection.objective(prep, chosen)
    if objective > best_objective:
        chosen, objective = best, best_objective
    return _finish(problem, prep, chosen, objective, method, objective <= bound, seconds, stats, started, bound)


def _gap(prep: Prepared, objective: int, bound: int) -> float:
    """(objective − bound) relative to the part of the objective a run can change: the penalty of
    seats no candidate can take is the same in every solution, and would dwarf the rest."""
    changeable = objective - prep.unfilled_penalty * prep.unfillable
    return max(0.0, (objective - bound) / max(1, abs(changeable)))


def _solve_in_blocks(
    problem: Problem, prep: Prepared, config: AllocationConfig, start: np.ndarray, deadline: float,
    stats: dict[str, object],
) -> np.ndarray:
    """Solve the full model block by block (district, then day), each block seeing what the
    earlier blocks chose, then add what a global fill pass can still place."""
    blocks = _blocks(problem, prep)
    stats["blocks"] = len(blocks)
    chosen = np.zeros(prep.n_pairs, dtype=bool)
    remaining_pairs = sum(len(rows) for rows in blocks)
    for rows in blocks:
        # Only pairs still compatible with what earlier blocks gave their workers.
        compatible = selection.compatible_additions(prep, chosen)
        in_block = np.zeros(prep.n_pairs, dtype=bool)
        in_block[rows] = True
        rows_now = compatible[in_block[compatible]]
        share = len(rows) / max(1, remaining_pairs)
        remaining_pairs -= len(rows)
        if len(rows_now) == 0:
            continue
        rows_now = rows_now[np.lexsort((prep.pair_start[rows_now], prep.pair_worker[rows_now]))]
        held = np.flatnonzero(chosen)
        hint = rows_now[start[rows_now]]
        block_shifts = np.unique(prep.pair_shift[rows_now])
        result = solve_full_model(
            prep, rows_now, hint,
            seats_left=prep.headcount - np.bincount(prep.pair_shift[held], minlength=prep.n_shifts),
            budget_room=prep.budgets.capacity - prep.budgets.used_minutes(held, prep.pair_minutes),
            shifts_held=selection.shifts_per_worker(prep, chosen),
            objective_offset=prep.unfilled_penalty * int(prep.headcount[block_shifts].sum()),
            time_limit_seconds=max(0.05, share * (deadline - time.perf_counter())),
            relative_gap=config.relative_gap_tolerance, workers=config.solver_workers, seed=config.seed,
        )
        chosen[result.chosen_rows] = True
        # A block's answer may miss a constraint only across blocks: keep the run feasible.
        chosen = selection.repair(prep, chosen)
    return selection.fill_pass(prep, chosen)


def _blocks(problem: Problem, prep: Prepared) -> list[np.ndarray]:
    """Candidate rows grouped by (district, day) of their shift, merged up to about _BLOCK_PAIRS."""
    district_code: dict[Hashable, int] = {}
    shift_district = np.fromiter(
        (district_code.setdefault(s.district, len(district_code)) for s in problem.shifts), np.int64, prep.n_shifts
    )
    rows = prep.candidate
    shift = prep.pair_shift[rows]
    day = prep.shift_start[shift] // (24 * 60)
    order = np.lexsort((day, shift_district[shift]))
    rows = rows[order]
    keys = shift_district[shift[order]] * (1 << 32) + (day[order] - day.min(initial=0))
    cuts = np.flatnonzero(np.diff(keys)) + 1
    blocks: list[np.ndarray] = []
    current: list[np.ndarray] = []
    size = 0
    for piece in np.split(rows, cuts):
        current.append(piece)
        size += len(piece)
        if size >= _BLOCK_PAIRS:
            blocks.append(np.concatenate(current))
            current, size = [], 0
    if current:
        blocks.append(np.concatenate(current))
    return blocks


def _finish(
    problem: Problem, prep: Prepared, chosen: np.ndarray, objective: int, method: str, optimal: bool,
    seconds: dict[str, float], stats: dict[str, object], started: float, bound: int | None = None,
) -> Solution:
    mark = time.perf_counter()
    terms = selection.objective_terms(prep, chosen)
    assert terms.total == objective, "objective bookkeeping diverged"
    if optimal or bound is None:
        bound = objective
    bound = min(bound, objective)
    unchosen, unfilled = reasons.explain(
        prep, chosen, problem.ineligible, problem.pairs.from_bid, problem.pairs.distance_m
    )
    rows = np.flatnonzero(chosen)
    assignments = tuple(
        Assignment(worker=w, shift=s, pair=r)
        for w, s, r in zip(prep.pair_worker[rows].tolist(), prep.pair_shift[rows].tolist(), rows.tolist())
    )
    gap = _gap(prep, objective, bound)
    now = time.perf_counter()
    seconds["reasons"] = now - mark
    seconds["total"] = now - started
    return Solution(
        assignments=assignments, objective=objective, terms=terms, best_bound=bound, gap=gap,
        optimal=optimal or gap == 0.0, method=method, seconds=dict(seconds), unfilled=unfilled,
        unchosen=unchosen, stats=dict(stats), unfilled_seat_penalty=prep.unfilled_penalty, cost_scale=prep.cost_scale,
    )
