"""Benchmark of the allocation solver against greedy first-come-first-served and scipy.

    python -m bench.allocation --quick           # small sizes, a minute or so
    python -m bench.allocation                   # the targets in docs/benchmarks.md
    python -m bench.allocation --scenario scarce # 2,000 workers for 5,000 seats: CP-SAT at work
    python -m bench.allocation --scenario tight --workers 20000 --seats 5000 --seed 3

Each scenario generates an instance, runs every method on it in turn, checks every answer with
the independent checker, and prints one table: time (total, build, solve), peak RSS, objective,
seats filled, best bound and gap, fairness, and ratios to greedy and to scipy's optimum of the
pure-assignment relaxation (each worker at most one seat, same costs). Progress goes to stderr.
"""
from __future__ import annotations

import argparse
import sys
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, replace

import numpy as np
import psutil
from scipy.optimize import linear_sum_assignment
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import min_weight_full_bipartite_matching

from market.allocation import (
    AllocationConfig,
    Assignment,
    Commitment,
    EligiblePairs,
    Problem,
    Shift,
    Worker,
    check,
    solve,
)
from market.allocation.checker import check_assignments, recompute_objective
from market.allocation.prepare import prepare
from market.kernel.relationships import RelationshipType

DENSITY = {"loose": (20, 50), "tight": (5, 15), "dense": (100, 200), "scarce": (20, 50)}
DAY = 24 * 60
# Monday 2026-03-02 00:00 local, in minutes since 1970-01-01 local.
FIRST_DAY = 20514 * DAY


def progress(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# -- instance generator ---------------------------------------------------------------------------

def generate(
    workers: int, seats: int, density: str, seed: int, *, districts: int = 12, days: int = 3,
    part_time_share: float = 0.3, commitment_share: float = 0.1,
) -> Problem:
    """A random but plausible run: workers clustered around district centres, orders with 1–5
    seats, one-day shifts on a 15-minute grid that overlap, eligible workers mostly near the site.

    `density` sets eligible workers per *shift* (loose 20–50, tight 5–15, dense 100–200)."""
    rng = np.random.default_rng(seed)
    centre = rng.uniform(0, 60_000, size=(districts, 2))  # metres
    popularity = rng.zipf(1.6, districts).astype(float)
    popularity /= popularity.sum()
    home_district = rng.choice(districts, size=workers, p=popularity)
    home = centre[home_district] + rng.normal(0, 4_000, size=(workers, 2))
    skill_level = rng.integers(0, 4, workers)
    reliability = rng.beta(8, 2, workers)
    daily_cap = np.where(rng.random(workers) < 0.7, 8 * 60, -1)

    worker_list = []
    for w in range(workers):
        commitments: tuple[Commitment, ...] = ()
        if rng.random() < commitment_share:
            start = FIRST_DAY + int(rng.integers(0, days)) * DAY + int(rng.integers(24, 80)) * 15
            commitments = (Commitment(start, start + int(rng.integers(8, 25)) * 15,
                                      employer=int(rng.integers(0, max(1, seats // 20))),
                                      relationship=RelationshipType.labor_part_time),)
        worker_list.append(Worker(id=w, commitments=commitments,
                                  max_minutes_per_day=None if daily_cap[w] < 0 else int(daily_cap[w])))

    shifts: list[Shift] = []
    shift_rate: list[int] = []
    remaining = seats
    employers = max(1, seats // 20)
    while remaining > 0:
        headcount = min(remaining, int(rng.integers(1, 6)))
        remaining -= headcount
        part_time = rng.random() < part_time_share
        relationship = (RelationshipType.labor_part_time if part_time
                        else rng.choice([RelationshipType.labor_service, RelationshipType.incomplete_labor]))
        quarters = int(rng.integers(8, 17)) if part_time else int(rng.integers(8, 33))  # 2–4 h / 2–8 h
        start = FIRST_DAY + int(rng.integers(0, days)) * DAY + int(rng.integers(24, 96 - quarters)) * 15
        district = int(rng.choice(districts, p=popularity))
        shifts.append(Shift(id=len(shifts), start=start, end=start + quarters * 15, headcount=headcount,
                            employer=int(rng.integers(0, employers)), relationship=str(relationship),
                            district=district))
        shift_rate.append(int(rng.integers(2_300, 4_500)))  # fen per hour

    # Eligible workers: mostly from the shift's district, some from anywhere.
    by_district = [np.flatnonzero(home_district == d) for d in range(districts)]
    low, high = DENSITY[density]
    pair_worker, pair_shift = [], []
    for s, shift in enumerate(shifts):
        k = int(rng.integers(low, high + 1))
        local = by_district[shift.district]
        near = rng.choice(local, size=min(len(local), int(k * 0.8)), replace=False) if len(local) else []
        anywhere = rng.integers(0, workers, size=k - len(near))
        chosen = np.unique(np.concatenate([near, anywhere]).astype(np.int64))
        pair_worker.append(chosen)
        pair_shift.append(np.full(len(chosen), s))
    worker_column = np.concatenate(pair_worker)
    shift_column = np.concatenate(pair_shift)
    site = centre[[s.district for s in shifts]] + rng.normal(0, 3_000, size=(len(shifts), 2))
    distance = np.linalg.norm(home[worker_column] - site[shift_column], axis=1).astype(np.int64)
    hours = np.array([(s.end - s.start) / 60 for s in shifts])
    posted = (np.array(shift_rate) * hours)[shift_column]
    from_bid = rng.random(len(worker_column)) < 0.4
    pay = np.where(from_bid, posted * rng.uniform(0.85, 1.0, len(worker_column)), posted).astype(np.int64)
    pairs = EligiblePairs.of(
        worker_column, shift_column, pay_fen=pay, distance_m=distance, skill_level=skill_level[worker_column],
        reliability=reliability[worker_column], favourite=rng.random(len(worker_column)) < 0.02, from_bid=from_bid,
    )
    return Problem(tuple(worker_list), tuple(shifts), pairs)


def generate_pure_assignment(workers: int, slots: int, seed: int, per_slot: tuple[int, int] = (20, 50)) -> Problem:
    """One-seat slots, a random cost per eligible pair and nothing else: a plain assignment."""
    rng = np.random.default_rng(seed)
    counts = rng.integers(per_slot[0], per_slot[1] + 1, slots)
    shift_column = np.repeat(np.arange(slots), counts)
    worker_column = np.concatenate([rng.choice(workers, size=c, replace=False) for c in counts])
    cost = rng.integers(0, 10_000, len(worker_column))
    shifts = tuple(Shift(id=s, start=FIRST_DAY, end=FIRST_DAY + 60, headcount=1, employer=0,
                         relationship="labor_service") for s in range(slots))
    return Problem(tuple(Worker(id=w) for w in range(workers)), shifts,
                   EligiblePairs.of(worker_column, shift_column, extra_cost=cost))


# -- baselines ------------------------------------------------------------------------------------

def greedy_first_come(problem: Problem, config: AllocationConfig, seed: int) -> list[Assignment]:
    """Pairs in a random arrival order; take a seat if it is free and the worker can still take it."""
    order = np.random.default_rng(seed).permutation(len(problem.pairs))
    workers_of, shifts_of = problem.pairs.worker.tolist(), problem.pairs.shift.tolist()
    taken: dict[int, int] = defaultdict(int)
    # Per worker: (start, end, minutes, employer, relationship) of everything held.
    held: dict[int, list[tuple]] = {}
    assignments: list[Assignment] = []
    rest = config.min_rest_minutes
    cap = config.max_shifts_per_worker
    for row in order.tolist():
        worker, shift_index = workers_of[row], shifts_of[row]
        shift = problem.shifts[shift_index]
        if taken[shift_index] >= shift.headcount:
            continue
        profile = problem.workers[worker]
        mine = held.get(worker)
        if mine is None:
            mine = held[worker] = [(c.start, c.end, c.worked_minutes, c.employer, str(c.relationship))
                                   for c in profile.commitments]
        new_count = len(mine) - len(profile.commitments)
        if cap is not None and new_count >= cap:
            continue
        if any(shift.start < end + rest and start < shift.end + rest for start, end, *_ in mine):
            continue
        day, week = shift.start // DAY, (shift.start // DAY + 3) // 7
        same_day = [h for h in mine if h[0] // DAY == day]
        same_week = [h for h in mine if (h[0] // DAY + 3) // 7 == week]
        minutes = shift.worked_minutes
        if profile.max_minutes_per_day is not None and sum(h[2] for h in same_day) + minutes > profile.max_minutes_per_day:
            continue
        if profile.max_minutes_per_week is not None and sum(h[2] for h in same_week) + minutes > profile.max_minutes_per_week:
            continue
        limit = config.hour_limits.get(str(shift.relationship))
        if limit is not None:
            def counted(h):  # called in this iteration only
                return h[4] == str(shift.relationship) and (not limit.per_employer or h[3] == shift.employer)  # noqa: B023
            if limit.per_day_minutes is not None and sum(h[2] for h in same_day if counted(h)) + minutes > limit.per_day_minutes:
                continue
            if limit.per_week_minutes is not None and sum(h[2] for h in same_week if counted(h)) + minutes > limit.per_week_minutes:
                continue
        mine.append((shift.start, shift.end, minutes, shift.employer, str(shift.relationship)))
        taken[shift_index] += 1
        assignments.append(Assignment(worker, shift_index, row))
    return assignments


def pure_assignment_costs(problem: Problem, config: AllocationConfig) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Seat rows, worker columns and costs of the pure-assignment relaxation (one seat a worker)."""
    seats_per_shift = np.array([s.headcount for s in problem.shifts])
    first_seat = np.cumsum(seats_per_shift) - seats_per_shift
    pairs = problem.pairs
    cost = (np.rint(config.pay_weight_per_fen * pairs.pay_fen)
            + np.rint(config.distance_weight_per_km * pairs.distance_m / 1000)
            - np.rint(config.skill_level_bonus * pairs.skill_level)
            - np.rint(config.reliability_bonus * pairs.reliability)
            - np.rint(config.favourite_bonus * pairs.favourite) + pairs.extra_cost).astype(np.int64)
    counts = seats_per_shift[pairs.shift]
    rows = np.repeat(first_seat[pairs.shift], counts) + (
        np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts))
    return rows, np.repeat(pairs.worker, counts), np.repeat(cost, counts)


def scipy_optimum(problem: Problem, config: AllocationConfig) -> tuple[int, str]:
    """Optimum of the pure-assignment relaxation; an empty seat costs the solver's unfilled penalty."""
    seats = sum(s.headcount for s in problem.shifts)
    n_workers = len(problem.workers)
    rows, cols, cost = pure_assignment_costs(problem, config)
    penalty = prepare(problem, config).unfilled_penalty  # the run's own, derived from its costs
    if n_workers >= seats and seats * n_workers <= 40_000_000:
        # Every seat gets a distinct worker column; an ineligible pair costs the penalty, which is
        # the same as leaving the seat empty, so no dummy columns are needed.
        matrix = np.full((seats, n_workers), float(penalty))
        matrix[rows, cols] = np.minimum(cost, penalty)
        r, c = linear_sum_assignment(matrix)
        return int(round(matrix[r, c].sum())), "linear_sum_assignment"
    # Too big for a dense matrix: the same problem as a sparse full matching, one dummy
    # "unfilled" column per seat so a full matching always exists.
    keep = cost < penalty
    # Shift costs to be positive: sparse matrices drop explicit zeros.
    lift = 1 - min(0, int(cost.min(initial=0)))
    data = np.concatenate([cost[keep] + lift, np.full(seats, penalty + lift)])
    row_index = np.concatenate([rows[keep], np.arange(seats)])
    col_index = np.concatenate([cols[keep], n_workers + np.arange(seats)])
    matrix = csr_matrix((data.astype(float), (row_index, col_index)), shape=(seats, n_workers + seats))
    r, c = min_weight_full_bipartite_matching(matrix)
    return int(round(np.asarray(matrix[r, c]).sum())) - lift * seats, "min_weight_full_bipartite_matching"


# -- measuring ------------------------------------------------------------------------------------

class PeakMemory:
    """Samples this process's RSS every 5 ms in a thread; `peak` is the highest seen, in MiB."""

    def __init__(self) -> None:
        self.process = psutil.Process()
        self.peak = 0.0
        self._stop = threading.Event()

    def __enter__(self) -> PeakMemory:
        self.peak = self.process.memory_info().rss / 2**20
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, self.process.memory_info().rss / 2**20)

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.process.memory_info().rss / 2**20)


@dataclass
class Row:
    method: str
    total_s: float
    build_s: float | None
    solve_s: float | None
    peak_mib: float
    objective: int
    filled: int
    bound: int | None
    gap: float | None
    max_shifts: int
    mean_shifts: float
    valid: bool


def fairness(assignments) -> tuple[int, float]:
    per_worker: dict[int, int] = defaultdict(int)
    for a in assignments:
        per_worker[a.worker] += 1
    if not per_worker:
        return 0, 0.0
    return max(per_worker.values()), sum(per_worker.values()) / len(per_worker)


def run_solver(name: str, problem: Problem, config: AllocationConfig) -> Row:
    progress(f"  {name}: solving (limit {config.time_limit_seconds:g} s, gap {config.relative_gap_tolerance:g})")
    with PeakMemory() as memory:
        started = time.perf_counter()
        solution = solve(problem, config)
        total = time.perf_counter() - started
    violations = check(problem, solution, config)
    if violations:
        progress(f"  {name}: INVALID: {violations[:3]}")
    most, mean = fairness(solution.assignments)
    build = solution.seconds.get("build", 0.0)
    progress(f"  {name}: {solution.method}, {total:.2f} s, gap {solution.gap:.4%}, stats {dict(solution.stats)}")
    return Row(name, total, build, total - build, memory.peak, solution.objective, solution.seats_filled,
               solution.best_bound, solution.gap, most, mean, not violations)


def run_greedy(problem: Problem, config: AllocationConfig, seed: int) -> Row:
    progress("  greedy first-come-first-served")
    with PeakMemory() as memory:
        started = time.perf_counter()
        assignments = greedy_first_come(problem, config, seed)
        total = time.perf_counter() - started
    valid = not check_assignments(problem, assignments, config)
    most, mean = fairness(assignments)
    penalty = prepare(problem, config).unfilled_penalty
    return Row("greedy FCFS", total, None, None, memory.peak,
               recompute_objective(problem, assignments, config, unfilled_seat_penalty=penalty),
               len(assignments), None, None, most, mean, valid)


def run_scipy(problem: Problem, config: AllocationConfig) -> Row:
    progress("  scipy on the pure-assignment relaxation")
    with PeakMemory() as memory:
        started = time.perf_counter()
        optimum, how = scipy_optimum(problem, config)
        total = time.perf_counter() - started
    return Row(f"scipy {how} (1 seat/worker)", total, None, None, memory.peak, optimum, -1, optimum, 0.0, 1, 1.0, True)


def print_table(title: str, rows: list[Row], greedy: Row | None, reference: Row | None) -> None:
    print(f"\n## {title}\n")
    print("| method | total s | build s | solve s | peak MiB | objective | filled | best bound | gap "
          "| max/mean shifts | vs greedy | vs scipy | valid |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for row in rows:
        fmt = lambda v, f: "–" if v is None else format(v, f)  # noqa: E731
        vs_greedy = row.objective / greedy.objective if greedy and greedy.objective else None
        vs_scipy = row.objective / reference.objective if reference and reference.objective else None
        print(f"| {row.method} | {row.total_s:.2f} | {fmt(row.build_s, '.2f')} | {fmt(row.solve_s, '.2f')} "
              f"| {row.peak_mib:.0f} | {row.objective:,} | {'–' if row.filled < 0 else row.filled} "
              f"| {fmt(row.bound, ',')} | {fmt(row.gap, '.3%')} | {row.max_shifts}/{row.mean_shifts:.2f} "
              f"| {fmt(vs_greedy, '.4f')} | {fmt(vs_scipy, '.4f')} | {'yes' if row.valid else 'NO'} |")
    sys.stdout.flush()


def scenario(name: str, args: argparse.Namespace) -> None:
    base = AllocationConfig(seed=args.seed, solver_workers=args.solver_workers)
    if name == "pure":
        size = args.pure_size
        progress(f"[pure {size}x{size}] generating")
        problem = generate_pure_assignment(size, size, args.seed)
        progress(f"[pure] {len(problem.pairs):,} pairs")
        config = replace(base, max_shifts_per_worker=1, fairness_step=0, time_limit_seconds=args.time_limit)
        reference = run_scipy(problem, config)
        rows = [run_solver("solver (max 1 shift/worker)", problem, config), reference]
        greedy = run_greedy(problem, config, args.seed)
        rows.append(greedy)
        print_table(f"pure assignment, {size:,} workers × {size:,} slots, {len(problem.pairs):,} pairs, "
                    f"seed {args.seed}", rows, greedy, reference)
        return
    n_workers = args.workers // 10 if name == "scarce" else args.workers
    progress(f"[{name} {n_workers}x{args.seats}] generating")
    problem = generate(n_workers, args.seats, name, args.seed)
    progress(f"[{name}] {len(problem.shifts):,} shifts, {len(problem.pairs):,} pairs")
    rows: list[Row] = []
    if name == "loose":
        rows.append(run_solver("solver, gap 0.5%", problem,
                               replace(base, relative_gap_tolerance=0.005, time_limit_seconds=2.0)))
        rows.append(run_solver("solver, gap 0", problem,
                               replace(base, relative_gap_tolerance=0.0, time_limit_seconds=args.time_limit)))
    elif name == "tight":
        rows.append(run_solver("solver, gap 1%", problem,
                               replace(base, relative_gap_tolerance=0.01, time_limit_seconds=5.0)))
        rows.append(run_solver("solver, gap 0", problem,
                               replace(base, relative_gap_tolerance=0.0, time_limit_seconds=15.0)))
    elif name == "scarce":
        # A tenth of the workers: most must take several shifts, so the flow stages cannot
        # settle it and CP-SAT does the work.
        rows.append(run_solver("solver, gap 0.5%", problem,
                               replace(base, relative_gap_tolerance=0.005, time_limit_seconds=args.time_limit)))
        rows.append(run_solver("solver, gap 0", problem,
                               replace(base, relative_gap_tolerance=0.0, time_limit_seconds=2 * args.time_limit)))
        rows.append(run_solver("solver, gap 0, 2 CP-SAT workers (max_lp+default_lp)", problem,
                               replace(base, relative_gap_tolerance=0.0, time_limit_seconds=2 * args.time_limit,
                                       solver_workers=2)))
    else:
        rows.append(run_solver("solver, gap 0.5% (flow bound)", problem,
                               replace(base, relative_gap_tolerance=0.005, time_limit_seconds=2.0)))
        rows.append(run_solver("solver, gap 0, decomposed", problem,
                               replace(base, relative_gap_tolerance=0.0, time_limit_seconds=30.0)))
    rows.append(run_solver("solver, 1 shift/worker", problem, replace(base, max_shifts_per_worker=1)))
    reference = run_scipy(problem, base)
    greedy = run_greedy(problem, base, args.seed)
    rows += [reference, greedy]
    print_table(f"{name}: {n_workers:,} workers × {args.seats:,} seats ({len(problem.shifts):,} shifts), "
                f"{len(problem.pairs):,} pairs, seed {args.seed}", rows, greedy, reference)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenario", nargs="+", default=["loose", "tight", "dense", "pure"],
                        choices=["loose", "tight", "dense", "pure", "scarce"])
    parser.add_argument("--workers", type=int, default=20_000)
    parser.add_argument("--seats", type=int, default=5_000)
    parser.add_argument("--pure-size", type=int, default=5_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--time-limit", type=float, default=30.0, help="for the gap-0 runs")
    parser.add_argument("--solver-workers", type=int, default=1, help="CP-SAT workers (config default 1)")
    parser.add_argument("--quick", action="store_true", help="2,000 workers × 500 seats, pure 500 × 500")
    args = parser.parse_args(argv)
    if args.quick:
        args.workers, args.seats, args.pure_size, args.time_limit = 2_000, 500, 500, 10.0
    print(f"# allocation benchmark: {psutil.cpu_count()} CPUs, seed {args.seed}")
    for name in args.scenario:
        scenario(name, args)


if __name__ == "__main__":
    main()
