"""Min-cost flow models, built with OR-Tools' numpy bulk API.

Every network here gives each shift a supply equal to the seats it offers and a *skip* arc
straight to the sink priced at the unfilled-seat penalty, so every model is feasible by
construction (min-cost flow on an infeasible network can run for a long time before it says so).

* `assign_at_most_one_more`: each worker takes at most one (more) shift. With nothing chosen yet
  this is the exact "one shift per worker" model; with a partial selection it is the fill pass
  that adds one compatible shift per worker.
* `relaxation`: each worker takes at most one shift per clique of its clique cover, with the
  convex fairness cost on the worker's total. It drops the hour limits and the conflicts between
  shifts of different cliques, so its optimum is a lower bound on the full model.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from ortools.graph.python import min_cost_flow

from .prepare import Prepared


@dataclass
class FlowResult:
    chosen_rows: np.ndarray  # pair rows carrying flow
    cost: int  # the network's optimal cost, in objective points


def _solve(
    tails: list[np.ndarray], heads: list[np.ndarray], capacities: list[np.ndarray], costs: list[np.ndarray],
    supply_nodes: np.ndarray, supplies: np.ndarray, n_pair_arcs: int,
) -> tuple[np.ndarray, int]:
    network = min_cost_flow.SimpleMinCostFlow()
    arcs = network.add_arcs_with_capacity_and_unit_cost(
        np.concatenate(tails).astype(np.int32), np.concatenate(heads).astype(np.int32),
        np.concatenate(capacities).astype(np.int64), np.concatenate(costs).astype(np.int64),
    )
    network.set_nodes_supplies(supply_nodes.astype(np.int32), supplies.astype(np.int64))
    status = network.solve()
    if status != network.OPTIMAL:
        raise RuntimeError(f"min-cost flow ended with status {status}")
    flows = network.flows(np.asarray(arcs[:n_pair_arcs], dtype=np.int32))
    return np.asarray(flows), int(network.optimal_cost())


def _shift_supplies(seats_left: np.ndarray, sink: int) -> tuple[np.ndarray, np.ndarray]:
    shifts = np.arange(len(seats_left))
    total = int(seats_left.sum())
    return np.append(shifts, sink), np.append(seats_left, -total)


def assign_at_most_one_more(
    prep: Prepared, rows: np.ndarray, row_cost: np.ndarray, seats_left: np.ndarray
) -> FlowResult:
    """Give each worker at most one of the pair rows `rows` (cost `row_cost` each)."""
    n_shifts, n_workers = prep.n_shifts, prep.n_workers
    sink = n_shifts + n_workers
    # Shift every arc that carries a unit of supply by the same constant so no cost is
    # negative; each unit pays it exactly once (pair arc or skip arc), so it is subtracted after.
    lift = max(0, -int(row_cost.min(initial=0)))
    workers = np.unique(prep.pair_worker[rows])
    flows, cost = _solve(
        tails=[prep.pair_shift[rows], n_shifts + workers, np.arange(n_shifts)],
        heads=[n_shifts + prep.pair_worker[rows], np.full(len(workers), sink), np.full(n_shifts, sink)],
        capacities=[np.ones(len(rows)), np.ones(len(workers)), seats_left],
        costs=[row_cost + lift, np.zeros(len(workers)), np.full(n_shifts, prep.unfilled_penalty + lift)],
        supply_nodes=_shift_supplies(seats_left, sink)[0], supplies=_shift_supplies(seats_left, sink)[1],
        n_pair_arcs=len(rows),
    )
    return FlowResult(chosen_rows=rows[flows > 0], cost=cost - lift * int(seats_left.sum()))


def relaxation(prep: Prepared) -> FlowResult:
    """The clique-cover relaxation over all candidate pairs; its cost is a lower bound."""
    rows = prep.candidate
    n_shifts, n_groups, n_workers = prep.n_shifts, prep.n_cover_groups, prep.n_workers
    group_node = n_shifts
    worker_node = n_shifts + n_groups
    sink = worker_node + n_workers
    group_worker = np.zeros(n_groups, dtype=np.int64)
    group_worker[prep.cover_group[rows]] = prep.pair_worker[rows]
    # The k-th shift of a worker costs k·fairness_step more (k from 0), up to as many shifts as
    # it has cliques (and no more than its cap).
    slots = np.minimum(prep.groups_per_worker, prep.max_shifts)
    slot_worker = np.repeat(np.arange(n_workers), slots)
    slot_rank = np.arange(len(slot_worker)) - np.repeat(np.cumsum(slots) - slots, slots)
    row_cost = prep.cost[rows]
    lift = max(0, -int(row_cost.min(initial=0)))
    seats = prep.headcount
    nodes, supplies = _shift_supplies(seats, sink)
    flows, cost = _solve(
        tails=[prep.pair_shift[rows], group_node + np.arange(n_groups), worker_node + slot_worker, np.arange(n_shifts)],
        heads=[group_node + prep.cover_group[rows], worker_node + group_worker, np.full(len(slot_worker), sink),
               np.full(n_shifts, sink)],
        capacities=[np.ones(len(rows)), np.ones(n_groups), np.ones(len(slot_worker)), seats],
        costs=[row_cost + lift, np.zeros(n_groups), slot_rank * prep.fairness_step,
               np.full(n_shifts, prep.unfilled_penalty + lift)],
        supply_nodes=nodes, supplies=supplies, n_pair_arcs=len(rows),
    )
    return FlowResult(chosen_rows=rows[flows > 0], cost=cost - lift * int(seats.sum()))
