"""The full model in CP-SAT, written straight into the model proto.

Going through the proto's repeated fields (`extend` with whole lists) instead of one Python
object per variable and constraint keeps building a 300k-variable model well under a second.

Variables: x[i] = 1 when candidate row rows[i] is chosen; y[w, k] = 1 when worker w takes at
least k shifts in the subproblem (k ≥ 2), which carries the convex fairness cost.

Constraints:
* headcount per shift (only where more candidates than seats);
* at most one per maximal clique of a worker's mutually conflicting shifts (overlap or too
  little rest) — one constraint per clique, not one per conflicting pair;
* hour limits per budget group (only where the candidates could exceed what is left);
* Σ_w x − Σ_k y[w, k] ≤ 1, and the worker's shift cap.

The objective is Σ (cost − penalty) x + Σ fairness y, offset by the penalty of the seats the
caller counts (the run's seats less those no candidate can take), so that CP-SAT's objective and
bound are the run's own less a constant, and its relative gap measures what the run can change.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from ortools.sat.python import cp_model

from .prepare import Prepared, worker_cliques


@dataclass
class CpSatResult:
    chosen_rows: np.ndarray
    objective: int | None  # None when CP-SAT found no solution (the hint is then still valid)
    bound: float
    status: str
    wall_seconds: float
    variables: int
    constraints: int


def solve_full_model(
    prep: Prepared,
    rows: np.ndarray,
    hint_rows: np.ndarray,
    *,
    seats_left: np.ndarray,
    budget_room: np.ndarray,
    shifts_held: np.ndarray,
    objective_offset: int,
    time_limit_seconds: float,
    relative_gap: float,
    workers: int,
    seed: int,
) -> CpSatResult:
    """Solve the full model over the candidate `rows` (sorted by worker), given what is already
    held outside them: the seats still open per shift, the minutes left per budget group, the
    shifts each worker already holds (for fairness and the cap), and the objective of the rest.
    """
    model = cp_model.CpModel()
    proto = model.proto
    n = len(rows)
    add_variable = proto.variables.add
    for _ in range(n):
        add_variable().domain.extend((0, 1))
    add_constraint = proto.constraints.add

    def add_linear(variables: list[int], coefficients: list[int], low: int, high: int) -> None:
        linear = add_constraint().linear
        linear.vars.extend(variables)
        linear.coeffs.extend(coefficients)
        linear.domain.extend((low, high))

    index = np.arange(n)
    # Headcount.
    shift_of = prep.pair_shift[rows]
    by_shift = np.argsort(shift_of, kind="stable")
    shifts, first = np.unique(shift_of[by_shift], return_index=True)
    counts = np.diff(np.append(first, n))
    for shift, lo, count in zip(shifts.tolist(), first.tolist(), counts.tolist()):
        seats = int(seats_left[shift])
        if count > seats:
            members = by_shift[lo:lo + count].tolist()
            if seats == 1:
                add_constraint().at_most_one.literals.extend(members)
            else:
                add_linear(members, [1] * count, 0, seats)

    # Conflicts: one at-most-one per maximal clique.
    position = {row: i for i, row in enumerate(rows.tolist())}
    for clique in worker_cliques(prep, rows):
        add_constraint().at_most_one.literals.extend([position[row] for row in clique])

    # Hour limits.
    minutes = prep.pair_minutes[rows]
    for groups in prep.budgets.pair_group:
        group_of = groups[rows]
        counted = np.flatnonzero(group_of >= 0)
        if len(counted) == 0:
            continue
        demand = np.bincount(group_of[counted], weights=minutes[counted], minlength=len(budget_room))
        binding = demand > budget_room
        counted = counted[binding[group_of[counted]]]
        order = counted[np.argsort(group_of[counted], kind="stable")]
        group_ids, starts = np.unique(group_of[order], return_index=True)
        for group, lo, hi in zip(group_ids.tolist(), starts.tolist(), [*starts[1:].tolist(), len(order)]):
            members = order[lo:hi]
            add_linear(members.tolist(), minutes[members].tolist(), 0, int(max(0, budget_room[group])))

    # Fairness and the shift cap, per worker.
    worker_of = prep.pair_worker[rows]
    held = shifts_held[worker_of]
    step = prep.fairness_step
    coefficients = prep.cost[rows] - prep.unfilled_penalty + step * held
    hint_count: dict[int, int] = {}
    hint_set = set(hint_rows.tolist())
    for row in hint_rows.tolist():
        worker = int(prep.pair_worker[row])
        hint_count[worker] = hint_count.get(worker, 0) + 1
    fairness_vars: list[int] = []
    fairness_costs: list[int] = []
    fairness_hints: list[int] = []
    worker_ids, starts = np.unique(worker_of, return_index=True)
    ends = [*starts[1:].tolist(), n]
    for worker, lo, hi in zip(worker_ids.tolist(), starts.tolist(), ends):
        cap = int(prep.max_shifts[worker] - shifts_held[worker])
        most = min(int(prep.groups_per_worker[worker]), hi - lo, cap)
        members = index[lo:hi].tolist()
        if hi - lo > cap:
            add_linear(members, [1] * len(members), 0, max(0, cap))
        if most < 2:
            continue
        extra = list(range(len(proto.variables), len(proto.variables) + most - 1))
        for _ in extra:
            add_variable().domain.extend((0, 1))
        add_linear(members + extra, [1] * len(members) + [-1] * len(extra), -len(extra), 1)
        base = int(shifts_held[worker])
        fairness_vars += extra
        fairness_costs += [step * (base + k) for k in range(1, most)]
        taken = hint_count.get(worker, 0)
        fairness_hints += [1 if taken >= k + 1 else 0 for k in range(1, most)]

    objective = proto.objective
    objective.vars.extend(list(range(n)) + fairness_vars)
    objective.coeffs.extend(coefficients.tolist() + fairness_costs)
    objective.offset = float(objective_offset)

    # A complete hint: every x and every auxiliary y.
    hint = proto.solution_hint
    hint.vars.extend(list(range(n)) + fairness_vars)
    hint.values.extend([1 if row in hint_set else 0 for row in rows.tolist()] + fairness_hints)

    solver = cp_model.CpSolver()
    parameters = solver.parameters
    parameters.max_time_in_seconds = float(time_limit_seconds)
    parameters.relative_gap_limit = float(relative_gap)
    parameters.random_seed = int(seed)
    if workers <= 1:
        # One worker: the LP-heavy search closes the gap on these assignment-like models.
        parameters.num_workers = 1
        parameters.linearization_level = 2
        # Deterministic time makes a run that stops on its limit stop at the same point every
        # time (the wall-clock limit above stays as a safety net).
        parameters.max_deterministic_time = float(time_limit_seconds)
    else:
        # On few cores the default portfolio never proves optimality here; these two LP
        # subsolvers do.
        parameters.num_workers = workers
        parameters.subsolvers.extend(["max_lp", "default_lp"])
    status = solver.solve(model)
    status_name = solver.status_name(status)
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        values = np.fromiter(solver.response_proto.solution, dtype=np.int64)[:n]
        chosen_rows = rows[values > 0]
        objective_value = int(round(solver.objective_value))
    else:
        chosen_rows = hint_rows
        objective_value = None
    return CpSatResult(
        chosen_rows=chosen_rows, objective=objective_value, bound=float(solver.best_objective_bound),
        status=status_name, wall_seconds=float(solver.wall_time), variables=len(proto.variables),
        constraints=len(proto.constraints),
    )
