"""Turn a `Problem` into the flat numpy arrays every solving stage shares.

Everything that is per pair is computed here with bulk numpy operations; the only Python loops
run once per worker (grouping a worker's shifts into cliques of mutually conflicting shifts),
never once per arc in a hot path.

Two shifts *conflict* for one worker when they overlap, or when the gap between them is shorter
than the minimum rest. Treating every shift as the half-open interval [start, end + rest) makes
"conflict" plain interval intersection, so a worker's conflict graph is an interval graph: its
maximal cliques come from one sweep, and a greedy sweep covers it with the fewest cliques.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .model import MINUTES_PER_DAY, AllocationConfig, Problem, Reason

# Monday-start weeks: 1970-01-01 was a Thursday.
_EPOCH_WEEKDAY_OFFSET = 3

# Every objective figure of a run (a pair's cost, the penalty of an empty seat, the penalty of all
# seats) times the run's size stays below 2^53: exact in a double (CP-SAT's objective and bound),
# far inside int64 for the min-cost flows (which multiply costs by the node count) and for
# CP-SAT's sum of coefficients. Costs beyond that are scaled down (`Prepared.cost_scale`).
_EXACT_LIMIT = 2**53

# Reason codes as small integers inside numpy arrays.
REASONS: tuple[Reason, ...] = tuple(Reason)
REASON_CODE = {reason: code for code, reason in enumerate(REASONS)}
NO_REASON = -1


@dataclass
class HourBudgets:
    """Hour limits as groups of pairs whose worked minutes share one remaining capacity.

    `pair_group[k][p]` is the group of pair p under limit kind k (personal day, personal week, and
    a day and a week kind per relationship type with legal limits), or -1 when p is not counted.
    `capacity[g]` is what is left of group g's limit after the worker's held commitments.
    """

    kinds: list[str]
    pair_group: list[np.ndarray]
    capacity: np.ndarray  # int64 per group

    def used_minutes(self, rows: np.ndarray, minutes: np.ndarray) -> np.ndarray:
        """Minutes per group consumed by the pairs `rows` (with `minutes` per pair row)."""
        used = np.zeros(len(self.capacity), dtype=np.int64)
        for groups in self.pair_group:
            counted = groups[rows]
            keep = counted >= 0
            np.add.at(used, counted[keep], minutes[rows[keep]])
        return used


@dataclass
class Prepared:
    """The problem as arrays. Pair arrays are indexed by the row in `Problem.pairs`."""

    n_workers: int
    n_shifts: int
    n_pairs: int
    seats: int
    headcount: np.ndarray  # int64 per shift
    shift_start: np.ndarray  # int64 per shift
    shift_end: np.ndarray
    shift_minutes: np.ndarray
    pair_worker: np.ndarray  # int32 per pair
    pair_shift: np.ndarray
    pair_start: np.ndarray  # int64 per pair (the shift's start)
    pair_end: np.ndarray
    pair_minutes: np.ndarray  # int64 worked minutes
    # Cost terms per pair in points, each rounded on its own; cost is their sum.
    terms: dict[str, np.ndarray]
    cost: np.ndarray  # int64
    # Reason code per pair when held commitments or the limits rule it out alone, else NO_REASON.
    precluded: np.ndarray  # int16
    candidate: np.ndarray  # int64 rows not precluded, sorted by (worker, extended end)
    budgets: HourBudgets
    max_shifts: np.ndarray  # int64 per worker; a large number when unlimited
    # Clique cover of each worker's candidate shifts: group id per pair (-1 if precluded) and
    # number of groups per worker (an upper bound on the shifts it can take, before hours).
    cover_group: np.ndarray
    n_cover_groups: int
    groups_per_worker: np.ndarray
    # Points of one empty seat: more than any two selections' difference in everything else
    # (`unfilled_seat_penalty`), so a run filling more seats always has the lower objective.
    unfilled_penalty: int
    fairness_step: int  # points; the config's, divided by cost_scale
    min_rest: int
    # The config's points per point of this run: 1 unless the instance's costs are so large that
    # the objective would leave the exact range; then every cost term is divided by it (rounded).
    cost_scale: int
    # Seats of shifts with fewer candidate workers than seats: empty in every solution.
    unfillable: int


def shift_days(start: np.ndarray) -> np.ndarray:
    return start // MINUTES_PER_DAY


def shift_weeks(start: np.ndarray) -> np.ndarray:
    return (start // MINUTES_PER_DAY + _EPOCH_WEEKDAY_OFFSET) // 7


def _raw_points(problem: Problem, config: AllocationConfig) -> dict[str, np.ndarray]:
    # In floats: a product of the largest pay and a weight cannot overflow here.
    pairs = problem.pairs
    return {
        "pay": config.pay_weight_per_fen * pairs.pay_fen.astype(np.float64),
        "distance": config.distance_weight_per_km * pairs.distance_m / 1000,
        "skill": -(config.skill_level_bonus * pairs.skill_level),
        "reliability": -(config.reliability_bonus * pairs.reliability),
        "favourite": -(config.favourite_bonus * pairs.favourite.astype(np.float64)),
        "extra": pairs.extra_cost.astype(np.float64),
    }


def unfilled_seat_penalty(cost: np.ndarray, most_assignments: int, most_fairness: int) -> int:
    """The smallest penalty per empty seat that makes every run filling more seats better than
    every run filling fewer, whatever the pay: one more than the widest possible difference of
    the rest of the objective between two selections. A selection holds at most
    `most_assignments` pairs of `cost` (the candidates' costs), so its pair costs lie between the
    sum of that many most negative and the sum of that many most positive costs, and
    its fairness between 0 and `most_fairness`. Derived from the instance, never a constant: a
    fixed penalty is beaten by a dear enough seat (or a long enough chain of swaps)."""
    k = min(most_assignments, len(cost))
    if k == 0:
        return 1
    highest = -np.partition(-cost, k - 1)[:k] if k < len(cost) else cost
    lowest = np.partition(cost, k - 1)[:k] if k < len(cost) else cost
    spread = int(np.maximum(highest, 0).sum(dtype=object)) - int(np.minimum(lowest, 0).sum(dtype=object))
    return spread + most_fairness + 1


def _validate(problem: Problem) -> None:
    pairs = problem.pairs
    if len(pairs) == 0:
        return
    if pairs.worker.min() < 0 or pairs.worker.max() >= len(problem.workers):
        raise ValueError("EligiblePairs.worker holds an index outside Problem.workers")
    if pairs.shift.min() < 0 or pairs.shift.max() >= len(problem.shifts):
        raise ValueError("EligiblePairs.shift holds an index outside Problem.shifts")
    keys = pairs.worker.astype(np.int64) * len(problem.shifts) + pairs.shift
    if len(np.unique(keys)) != len(keys):
        raise ValueError("EligiblePairs lists a worker–shift pair more than once")


def prepare(problem: Problem, config: AllocationConfig) -> Prepared:
    _validate(problem)
    shifts, workers, pairs = problem.shifts, problem.workers, problem.pairs
    rest = int(config.min_rest_minutes)

    shift_start = np.fromiter((s.start for s in shifts), np.int64, len(shifts))
    shift_end = np.fromiter((s.end for s in shifts), np.int64, len(shifts))
    shift_minutes = np.fromiter((s.worked_minutes for s in shifts), np.int64, len(shifts))
    headcount = np.fromiter((s.headcount for s in shifts), np.int64, len(shifts))
    if len(shifts) and ((shift_end <= shift_start).any() or (headcount < 0).any()):
        raise ValueError("every shift needs end > start and headcount >= 0")

    # Employers and relationship types as small integers, shared with commitments.
    employer_code: dict[object, int] = {}
    shift_employer = np.fromiter(
        (employer_code.setdefault(s.employer, len(employer_code)) for s in shifts), np.int64, len(shifts)
    )
    relationship_code = {str(r): i for i, r in enumerate(config.hour_limits)}
    shift_relationship = np.fromiter(
        (relationship_code.get(str(s.relationship), -1) for s in shifts), np.int64, len(shifts)
    )

    # Held commitments, flattened.
    commit_worker = np.array([w for w, worker in enumerate(workers) for _ in worker.commitments], np.int64)
    flat = [c for worker in workers for c in worker.commitments]
    commit_start = np.array([c.start for c in flat], np.int64)
    commit_end = np.array([c.end for c in flat], np.int64)
    commit_minutes = np.array([c.worked_minutes for c in flat], np.int64)
    commit_employer = np.array([employer_code.setdefault(c.employer, len(employer_code)) for c in flat], np.int64)
    commit_relationship = np.array([relationship_code.get(str(c.relationship), -1) for c in flat], np.int64)

    pair_worker = pairs.worker
    pair_shift = pairs.shift
    pair_start = shift_start[pair_shift]
    pair_end = shift_end[pair_shift]
    pair_minutes = shift_minutes[pair_shift]
    n_pairs = len(pairs)

    precluded = np.full(n_pairs, NO_REASON, dtype=np.int16)
    _preclude_by_commitments(
        precluded, pair_worker, pair_start, pair_end, commit_worker, commit_start, commit_end, rest
    )

    budgets = _hour_budgets(
        workers, config, relationship_code, len(shifts),
        pair_worker, pair_start, shift_employer[pair_shift], shift_relationship[pair_shift],
        commit_worker, commit_start, commit_minutes, commit_employer, commit_relationship,
    )
    # A shift that alone exceeds what is left of a limit can never be taken.
    for groups in budgets.pair_group:
        counted = groups >= 0
        over = np.zeros(n_pairs, dtype=bool)
        over[counted] = pair_minutes[counted] > budgets.capacity[groups[counted]]
        precluded[over & (precluded == NO_REASON)] = REASON_CODE[Reason.HOURS_LIMIT]

    max_shifts = np.full(len(workers), np.iinfo(np.int32).max, dtype=np.int64)
    if config.max_shifts_per_worker is not None:
        max_shifts[:] = config.max_shifts_per_worker
    personal = np.fromiter(
        (np.iinfo(np.int32).max if w.max_shifts is None else w.max_shifts for w in workers), np.int64, len(workers)
    )
    max_shifts = np.minimum(max_shifts, personal)
    zero_shifts = max_shifts[pair_worker] <= 0
    precluded[zero_shifts & (precluded == NO_REASON)] = REASON_CODE[Reason.MAX_SHIFTS]

    candidate = np.flatnonzero(precluded == NO_REASON)
    # Sorted by worker, then by the end of the rest-extended interval: the order the clique
    # sweeps need.
    order = np.lexsort((pair_end[candidate] + rest, pair_worker[candidate]))
    candidate = candidate[order]

    cover_group, n_cover_groups = _clique_cover(
        candidate, pair_worker, pair_start, pair_end + rest, n_pairs
    )
    groups_per_worker = np.zeros(len(workers), dtype=np.int64)
    if n_cover_groups:
        group_worker = np.zeros(n_cover_groups, dtype=np.int64)
        group_worker[cover_group[candidate]] = pair_worker[candidate]
        groups_per_worker = np.bincount(group_worker, minlength=len(workers)).astype(np.int64)

    # At most one shift per clique of a worker's cover and no more than its cap; at most one pair per seat.
    most_shifts = np.minimum(groups_per_worker, max_shifts)
    most_assignments = min(int(headcount.sum()), int(most_shifts.sum()))
    candidates_per_shift = np.bincount(pair_shift[candidate], minlength=len(shifts))
    unfillable = int(np.maximum(headcount - candidates_per_shift, 0).sum())
    size = len(workers) + len(shifts) + n_cover_groups + len(candidate) + int(headcount.sum()) + 2
    terms, cost, penalty, fairness_step, scale = _scaled_objective(
        problem, config, candidate, most_assignments, most_shifts, size)

    return Prepared(
        n_workers=len(workers), n_shifts=len(shifts), n_pairs=n_pairs, seats=int(headcount.sum()),
        headcount=headcount, shift_start=shift_start, shift_end=shift_end, shift_minutes=shift_minutes,
        pair_worker=pair_worker, pair_shift=pair_shift, pair_start=pair_start, pair_end=pair_end,
        pair_minutes=pair_minutes, terms=terms, cost=cost, precluded=precluded, candidate=candidate,
        budgets=budgets, max_shifts=max_shifts, cover_group=cover_group, n_cover_groups=n_cover_groups,
        groups_per_worker=groups_per_worker, unfilled_penalty=penalty, fairness_step=fairness_step, min_rest=rest,
        cost_scale=scale, unfillable=unfillable,
    )


def _scaled_objective(
    problem: Problem, config: AllocationConfig, candidate: np.ndarray, most_assignments: int,
    most_shifts: np.ndarray, size: int,
) -> tuple[dict[str, np.ndarray], np.ndarray, int, int, int]:
    """Cost terms, pair costs, the unfilled-seat penalty and the fairness step in the run's points,
    and the scale: the smallest power of two keeping penalty × `size` (every figure of the run,
    times its number of nodes, variables or seats) below 2^53."""
    raw = _raw_points(problem, config)
    # Every term of every pair counts (a huge pay cancelled by a huge negative extra cost is still
    # summed on its own in the objective's terms). A float estimate of the penalty at scale 1
    # picks the scale, so that nothing is cast to int64 out of range; the exact check confirms it.
    magnitude = sum(np.abs(points) for points in raw.values())
    largest = float(np.max(magnitude, initial=0.0))
    fairness_pairs = int((most_shifts * (most_shifts - 1) // 2).sum())
    estimate = largest * (2 * most_assignments + 1) + float(config.fairness_step) * fairness_pairs + 1
    scale = 1
    while estimate * size / scale >= _EXACT_LIMIT:
        scale *= 2
    while True:
        # Each term rounded on its own; dividing by a power of two is exact, so scale 1 is as before.
        terms = {name: np.rint(points / scale).astype(np.int64) for name, points in raw.items()}
        cost = np.zeros(len(problem.pairs), dtype=np.int64)
        for term in terms.values():
            cost += term
        fairness_step = int(round(config.fairness_step / scale))
        penalty = unfilled_seat_penalty(cost[candidate], most_assignments, fairness_step * fairness_pairs)
        largest_terms = int(np.max(sum(np.abs(term) for term in terms.values()), initial=0))
        if (penalty + largest_terms) * size < _EXACT_LIMIT:
            return terms, cost, penalty, fairness_step, scale
        scale *= 2


def interval_conflicts(
    query_worker: np.ndarray, query_start: np.ndarray, query_end: np.ndarray,
    held_worker: np.ndarray, held_start: np.ndarray, held_end: np.ndarray, rest: int,
) -> tuple[np.ndarray, np.ndarray]:
    """For each query (worker, start, end): does it overlap one of that worker's held intervals,
    and does it come closer than `rest` minutes to one? (The second includes the first.)

    Vectorised by rank: the k-th held interval of every query's worker is tested at once, for
    k up to the largest number any worker holds (a handful).
    """
    overlap = np.zeros(len(query_worker), dtype=bool)
    too_close = np.zeros(len(query_worker), dtype=bool)
    if len(held_worker) == 0 or len(query_worker) == 0:
        return overlap, too_close
    order = np.argsort(held_worker, kind="stable")
    held_worker, held_start, held_end = held_worker[order], held_start[order], held_end[order]
    first = np.searchsorted(held_worker, query_worker, side="left")
    last = np.searchsorted(held_worker, query_worker, side="right")
    for k in range(int((last - first).max())):
        index = first + k
        has = index < last
        index = np.where(has, index, 0)
        starts, ends = held_start[index], held_end[index]
        overlap |= has & (query_start < ends) & (starts < query_end)
        too_close |= has & (query_start < ends + rest) & (starts < query_end + rest)
    return overlap, too_close


def _preclude_by_commitments(
    precluded: np.ndarray, pair_worker: np.ndarray, pair_start: np.ndarray, pair_end: np.ndarray,
    commit_worker: np.ndarray, commit_start: np.ndarray, commit_end: np.ndarray, rest: int,
) -> None:
    overlap, too_close = interval_conflicts(
        pair_worker, pair_start, pair_end, commit_worker, commit_start, commit_end, rest
    )
    free = precluded == NO_REASON
    precluded[free & overlap] = REASON_CODE[Reason.OVERLAP]
    precluded[free & ~overlap & too_close] = REASON_CODE[Reason.REST_PERIOD]


def _hour_budgets(
    workers, config, relationship_code, n_shifts,
    pair_worker, pair_start, pair_employer, pair_relationship,
    commit_worker, commit_start, commit_minutes, commit_employer, commit_relationship,
) -> HourBudgets:
    n_pairs = len(pair_worker)
    pair_day, pair_week = shift_days(pair_start), shift_weeks(pair_start)
    commit_day, commit_week = shift_days(commit_start), shift_weeks(commit_start)
    n_employers = int(max(pair_employer.max(initial=0), commit_employer.max(initial=0))) + 1

    kinds: list[str] = []
    pair_groups: list[np.ndarray] = []
    capacities: list[np.ndarray] = []
    offset = 0

    def add_kind(name, pair_mask, pair_key, commit_mask, commit_key, limit_per_group):
        nonlocal offset
        groups = np.full(n_pairs, -1, dtype=np.int64)
        if not pair_mask.any():
            return
        keys, inverse = np.unique(pair_key[pair_mask], return_inverse=True)
        groups[pair_mask] = offset + inverse
        capacity = limit_per_group(keys).astype(np.int64)
        # Subtract what held commitments already use in each group.
        if commit_mask.any():
            held_keys = commit_key[commit_mask]
            at = np.searchsorted(keys, held_keys)
            found = at < len(keys)
            found[found] = keys[at[found]] == held_keys[found]
            np.subtract.at(capacity, at[found], commit_minutes[commit_mask][found])
        kinds.append(name)
        pair_groups.append(groups)
        capacities.append(capacity)
        offset += len(keys)

    for period, pair_period, commit_period, attribute in (
        ("day", pair_day, commit_day, "max_minutes_per_day"),
        ("week", pair_week, commit_week, "max_minutes_per_week"),
    ):
        limit = np.array([-1 if getattr(w, attribute) is None else getattr(w, attribute) for w in workers], np.int64)
        has_limit = limit >= 0
        if not has_limit.any():
            continue
        # key = worker * big + period; periods are non-negative minute-derived integers.
        span = int(max(pair_period.max(initial=0), commit_period.max(initial=0))) + 1
        add_kind(
            f"worker_{period}",
            has_limit[pair_worker], pair_worker.astype(np.int64) * span + pair_period,
            has_limit[commit_worker],
            commit_worker * span + commit_period,
            lambda keys, limit=limit, span=span: limit[keys // span],
        )

    for relationship, code in relationship_code.items():
        hour_limit = config.hour_limits[relationship]
        for period, pair_period, commit_period, minutes in (
            ("day", pair_day, commit_day, hour_limit.per_day_minutes),
            ("week", pair_week, commit_week, hour_limit.per_week_minutes),
        ):
            if minutes is None:
                continue
            span = int(max(pair_period.max(initial=0), commit_period.max(initial=0))) + 1
            employers = n_employers if hour_limit.per_employer else 1
            pair_key = (pair_worker.astype(np.int64) * employers
                        + (pair_employer if hour_limit.per_employer else 0)) * span + pair_period
            commit_key = (commit_worker * employers
                          + (commit_employer if hour_limit.per_employer else 0)) * span + commit_period
            add_kind(
                f"{relationship}_{period}",
                pair_relationship == code, pair_key,
                commit_relationship == code, commit_key,
                lambda keys, minutes=minutes: np.full(len(keys), minutes, np.int64),
            )

    capacity = np.concatenate(capacities) if capacities else np.zeros(0, np.int64)
    return HourBudgets(kinds=kinds, pair_group=pair_groups, capacity=capacity)


def _clique_cover(candidate, pair_worker, pair_start, extended_end, n_pairs):
    """Greedy minimum clique cover of each worker's conflict (interval) graph.

    With the candidates sorted by (worker, extended end), a new group opens whenever a shift
    starts at or after the end of the group's first shift; every later shift that starts before
    that end contains the instant just before it, so each group is a clique, and the openers are
    pairwise compatible, so no cover can use fewer cliques.
    """
    cover_group = np.full(n_pairs, -1, dtype=np.int64)
    workers = pair_worker[candidate].tolist()
    starts = pair_start[candidate].tolist()
    ends = extended_end[candidate].tolist()
    group_of = [0] * len(candidate)
    group = -1
    current_worker = -1
    group_end = 0
    for i, (worker, start) in enumerate(zip(workers, starts)):
        if worker != current_worker or start >= group_end:
            group += 1
            current_worker = worker
            group_end = ends[i]
        group_of[i] = group
    cover_group[candidate] = group_of
    return cover_group, group + 1


def worker_cliques(prep: Prepared, rows: np.ndarray) -> list[list[int]]:
    """Maximal cliques (≥ 2 pairs) of each worker's conflicting shifts among `rows`.

    `rows` must be sorted by worker. One sweep per worker over the rest-extended intervals:
    ends sort before starts at the same instant (half-open intervals), and the active set just
    before an end that follows a start is a maximal clique.
    """
    cliques: list[list[int]] = []
    if len(rows) == 0:
        return cliques
    workers = prep.pair_worker[rows]
    boundaries = np.flatnonzero(np.diff(workers)) + 1
    starts = prep.pair_start[rows].tolist()
    ends = (prep.pair_end[rows] + prep.min_rest).tolist()
    row_list = rows.tolist()
    for lo, hi in zip([0, *boundaries.tolist()], [*boundaries.tolist(), len(rows)]):
        if hi - lo < 2:
            continue
        events = sorted(
            [(ends[i], 0, row_list[i]) for i in range(lo, hi)] + [(starts[i], 1, row_list[i]) for i in range(lo, hi)]
        )
        active: dict[int, None] = {}
        after_start = False
        for _, is_start, row in events:
            if is_start:
                active[row] = None
                after_start = True
            else:
                if after_start and len(active) >= 2:
                    cliques.append(list(active))
                after_start = False
                del active[row]
    return cliques
