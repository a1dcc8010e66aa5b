"""Operations on a selection of pair rows: its objective, its feasibility, and repairs.

A selection is a boolean mask over `Problem.pairs` rows. These are the solver's own checks,
used to pick between candidate solutions quickly; `checker.py` is the independent verifier.
"""
from __future__ import annotations

import numpy as np

from . import flow
from .model import ObjectiveTerms
from .prepare import Prepared, interval_conflicts


def shifts_per_worker(prep: Prepared, chosen: np.ndarray) -> np.ndarray:
    return np.bincount(prep.pair_worker[chosen], minlength=prep.n_workers).astype(np.int64)


def objective_terms(prep: Prepared, chosen: np.ndarray) -> ObjectiveTerms:
    per_worker = shifts_per_worker(prep, chosen)
    filled = int(chosen.sum())
    return ObjectiveTerms(
        **{name: int(values[chosen].sum()) for name, values in prep.terms.items()},
        fairness=prep.fairness_step * int((per_worker * (per_worker - 1) // 2).sum()),
        unfilled=prep.unfilled_penalty * (prep.seats - filled),
    )


def objective(prep: Prepared, chosen: np.ndarray) -> int:
    return objective_terms(prep, chosen).total


def infeasible_workers(prep: Prepared, chosen: np.ndarray) -> np.ndarray:
    """Workers whose chosen shifts break a per-worker constraint (conflict, hours, max shifts)."""
    bad = np.zeros(prep.n_workers, dtype=bool)
    rows = np.flatnonzero(chosen)
    if len(rows) == 0:
        return bad
    bad |= shifts_per_worker(prep, chosen) > prep.max_shifts
    # Sorted by (worker, start), a worker's shifts are compatible iff each starts after the
    # previous one's end plus the rest period.
    order = np.lexsort((prep.pair_start[rows], prep.pair_worker[rows]))
    rows = rows[order]
    same_worker = prep.pair_worker[rows[1:]] == prep.pair_worker[rows[:-1]]
    clash = same_worker & (prep.pair_start[rows[1:]] < prep.pair_end[rows[:-1]] + prep.min_rest)
    bad[prep.pair_worker[rows[1:][clash]]] = True
    used = prep.budgets.used_minutes(rows, prep.pair_minutes)
    over_groups = np.flatnonzero(used > prep.budgets.capacity)
    if len(over_groups):
        for groups in prep.budgets.pair_group:
            hit = np.isin(groups[rows], over_groups)
            bad[prep.pair_worker[rows[hit]]] = True
    return bad


def headcount_ok(prep: Prepared, chosen: np.ndarray) -> bool:
    return bool((np.bincount(prep.pair_shift[chosen], minlength=prep.n_shifts) <= prep.headcount).all())


def repair(prep: Prepared, chosen: np.ndarray) -> np.ndarray:
    """Drop shifts from workers whose selection is infeasible, keeping the cheapest compatible ones."""
    chosen = chosen.copy()
    bad = infeasible_workers(prep, chosen)
    if not bad.any():
        return chosen
    rows = np.flatnonzero(chosen & bad[prep.pair_worker])
    chosen[rows] = False
    # Budgets are keyed by worker, so the room left by everyone else's choices is exact.
    room = prep.budgets.capacity - prep.budgets.used_minutes(np.flatnonzero(chosen), prep.pair_minutes)
    kept: dict[int, list[int]] = {}
    for row in rows[np.lexsort((prep.cost[rows], prep.pair_worker[rows]))].tolist():
        mine = kept.setdefault(int(prep.pair_worker[row]), [])
        if _fits(prep, mine, row, room):
            mine.append(row)
            chosen[row] = True
            for groups in prep.budgets.pair_group:
                if groups[row] >= 0:
                    room[groups[row]] -= prep.pair_minutes[row]
    return chosen


def _fits(prep: Prepared, mine: list[int], row: int, room: np.ndarray) -> bool:
    if len(mine) >= prep.max_shifts[prep.pair_worker[row]]:
        return False
    start, end, rest = prep.pair_start[row], prep.pair_end[row], prep.min_rest
    for other in mine:
        if start < prep.pair_end[other] + rest and prep.pair_start[other] < end + rest:
            return False
    for groups in prep.budgets.pair_group:
        if groups[row] >= 0 and room[groups[row]] < prep.pair_minutes[row]:
            return False
    return True


def compatible_additions(prep: Prepared, chosen: np.ndarray) -> np.ndarray:
    """Candidate rows not chosen that could each be added alone without breaking anything."""
    rows = prep.candidate[~chosen[prep.candidate]]
    held = np.flatnonzero(chosen)
    filled = np.bincount(prep.pair_shift[held], minlength=prep.n_shifts)
    rows = rows[filled[prep.pair_shift[rows]] < prep.headcount[prep.pair_shift[rows]]]
    count = shifts_per_worker(prep, chosen)
    rows = rows[count[prep.pair_worker[rows]] < prep.max_shifts[prep.pair_worker[rows]]]
    _, too_close = interval_conflicts(
        prep.pair_worker[rows], prep.pair_start[rows], prep.pair_end[rows],
        prep.pair_worker[held], prep.pair_start[held], prep.pair_end[held], prep.min_rest,
    )
    rows = rows[~too_close]
    used = prep.budgets.used_minutes(held, prep.pair_minutes)
    room = prep.budgets.capacity - used
    fits = np.ones(len(rows), dtype=bool)
    for groups in prep.budgets.pair_group:
        counted = groups[rows] >= 0
        fits[counted] &= prep.pair_minutes[rows[counted]] <= room[groups[rows[counted]]]
    return rows[fits]


def fill_pass(prep: Prepared, chosen: np.ndarray) -> np.ndarray:
    """Add at most one compatible shift per worker, optimally, by min-cost flow.

    One addition per worker keeps the result feasible: each addition is compatible with what the
    worker already holds, and a worker gets no two additions that could clash with each other.
    """
    rows = compatible_additions(prep, chosen)
    if len(rows) == 0:
        return chosen
    count = shifts_per_worker(prep, chosen)
    # The marginal fairness cost of one more shift for a worker who already has n is n·step.
    row_cost = prep.cost[rows] + prep.fairness_step * count[prep.pair_worker[rows]]
    filled = np.bincount(prep.pair_shift[chosen], minlength=prep.n_shifts)
    result = flow.assign_at_most_one_more(prep, rows, row_cost, prep.headcount - filled)
    improved = chosen.copy()
    improved[result.chosen_rows] = True
    return improved


def mask(prep: Prepared, rows: np.ndarray) -> np.ndarray:
    chosen = np.zeros(prep.n_pairs, dtype=bool)
    chosen[rows] = True
    return chosen
