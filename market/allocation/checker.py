"""An independent check of a `Solution` against its `Problem`.

Written apart from the solver on purpose: plain Python over the dataclasses, no numpy tricks,
none of the solver's modules (it reads only the shared data definitions in `model.py`), and
its own calendar arithmetic (`datetime.isocalendar`) for days and weeks. Tests and the
benchmark run it on every solution. It returns the list of violations; empty means valid.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta

from .model import AllocationConfig, Assignment, Problem, Reason, Solution

_EPOCH = datetime(1970, 1, 1)


def _calendar_day(minute: int) -> tuple[int, int, int]:
    moment = _EPOCH + timedelta(minutes=minute)
    return (moment.year, moment.month, moment.day)


def _iso_week(minute: int) -> tuple[int, int]:
    year, week, _ = (_EPOCH + timedelta(minutes=minute)).isocalendar()
    return (year, week)


def check(problem: Problem, solution: Solution, config: AllocationConfig | None = None) -> list[str]:
    """Every violated constraint, wrong objective or missing explanation in `solution`."""
    config = config or AllocationConfig()
    violations = check_assignments(problem, solution.assignments, config)
    total = recompute_objective(problem, solution.assignments, config,
                                unfilled_seat_penalty=solution.unfilled_seat_penalty, cost_scale=solution.cost_scale)
    if total != solution.objective:
        violations.append(f"objective is {solution.objective}, recomputed {total}")
    if solution.optimal and any(reason is Reason.NOT_REACHED for reason in solution.unchosen.reason):
        violations.append("an optimal run left a seat empty that a free eligible worker could fill")
    if solution.terms.total != solution.objective:
        violations.append("objective terms do not add up to the objective")
    if solution.best_bound > solution.objective:
        violations.append(f"best bound {solution.best_bound} exceeds the objective {solution.objective}")

    # Every empty seat and every pair not chosen is explained.
    taken = Counter(a.shift for a in solution.assignments)
    seen = {(a.worker, a.shift) for a in solution.assignments}
    ineligible = {(p.worker, p.shift) for p in problem.ineligible}
    empty = {i: s.headcount - taken.get(i, 0) for i, s in enumerate(problem.shifts) if s.headcount > taken.get(i, 0)}
    reported = {u.shift: u.seats for u in solution.unfilled}
    if reported != empty:
        violations.append(f"unfilled seats reported {reported}, expected {empty}")
    explained = Counter(zip(solution.unchosen.worker.tolist(), solution.unchosen.shift.tolist()))
    expected = Counter(
        (w, s) for w, s in zip(problem.pairs.worker.tolist(), problem.pairs.shift.tolist()) if (w, s) not in seen
    )
    expected.update(ineligible)
    if explained != expected:
        violations.append("the unchosen pairs with reasons are not exactly the pairs left out")
    return violations


def check_assignments(
    problem: Problem, assignments: Iterable[Assignment], config: AllocationConfig | None = None
) -> list[str]:
    """Every hard constraint the assignments break (eligibility, headcount, overlap, rest, hours)."""
    config = config or AllocationConfig()
    assignments = list(assignments)
    violations: list[str] = []
    pairs = problem.pairs
    pair_worker = pairs.worker.tolist()
    pair_shift = pairs.shift.tolist()
    ineligible = {(p.worker, p.shift) for p in problem.ineligible}

    # Each assignment is an eligible pair, given at most once.
    seen: set[tuple[int, int]] = set()
    for a in assignments:
        if not 0 <= a.pair < len(pair_worker):
            violations.append(f"assignment {a} names pair row {a.pair}, which does not exist")
            continue
        if (pair_worker[a.pair], pair_shift[a.pair]) != (a.worker, a.shift):
            violations.append(f"assignment {a} does not match its pair row")
        if (a.worker, a.shift) in ineligible:
            violations.append(f"worker {a.worker} got shift {a.shift} although the pair is ineligible")
        if (a.worker, a.shift) in seen:
            violations.append(f"worker {a.worker} holds two seats of shift {a.shift}")
        seen.add((a.worker, a.shift))

    # Headcount.
    taken = Counter(a.shift for a in assignments)
    for shift_index, count in taken.items():
        if count > problem.shifts[shift_index].headcount:
            violations.append(f"shift {shift_index} has {count} workers for {problem.shifts[shift_index].headcount} seats")

    # Per worker: overlap, rest, hours, shift cap, all counting held commitments.
    by_worker: dict[int, list[int]] = defaultdict(list)
    for a in assignments:
        by_worker[a.worker].append(a.shift)
    for worker_index, shift_indices in by_worker.items():
        worker = problem.workers[worker_index]
        new = [problem.shifts[s] for s in shift_indices]
        held = list(worker.commitments)
        cap = config.max_shifts_per_worker
        for limit in (cap, worker.max_shifts):
            if limit is not None and len(new) > limit:
                violations.append(f"worker {worker_index} got {len(new)} shifts, more than the cap {limit}")
        intervals = [(s.start, s.end, f"shift {i}") for i, s in zip(shift_indices, new)]
        intervals += [(c.start, c.end, "a held commitment") for c in held]
        for i, (start_a, end_a, name_a) in enumerate(intervals[: len(new)]):
            for start_b, end_b, name_b in intervals[i + 1:]:
                if start_a < end_b and start_b < end_a:
                    violations.append(f"worker {worker_index}: {name_a} overlaps {name_b}")
                else:
                    gap = start_b - end_a if start_b >= end_a else start_a - end_b
                    if gap < config.min_rest_minutes:
                        violations.append(
                            f"worker {worker_index}: only {gap} min rest between {name_a} and {name_b}"
                        )
        # (minutes, start, employer, relationship) of everything the worker would hold.
        work = [(s.worked_minutes, s.start, s.employer, str(s.relationship)) for s in new]
        work += [(c.worked_minutes, c.start, c.employer, str(c.relationship)) for c in held]
        daily: Counter = Counter()
        weekly: Counter = Counter()
        for minutes, start, _, _ in work:
            daily[_calendar_day(start)] += minutes
            weekly[_iso_week(start)] += minutes
        new_days = {_calendar_day(s.start) for s in new}
        new_weeks = {_iso_week(s.start) for s in new}
        if worker.max_minutes_per_day is not None:
            for day in new_days:
                if daily[day] > worker.max_minutes_per_day:
                    violations.append(f"worker {worker_index} works {daily[day]} min on {day}")
        if worker.max_minutes_per_week is not None:
            for week in new_weeks:
                if weekly[week] > worker.max_minutes_per_week:
                    violations.append(f"worker {worker_index} works {weekly[week]} min in week {week}")
        for relationship, limit in config.hour_limits.items():
            per_day: Counter = Counter()
            per_week: Counter = Counter()
            for minutes, start, employer, kind in work:
                if kind != str(relationship):
                    continue
                who = employer if limit.per_employer else None
                per_day[(who, _calendar_day(start))] += minutes
                per_week[(who, _iso_week(start))] += minutes
            for s in new:
                if str(s.relationship) != str(relationship):
                    continue
                who = s.employer if limit.per_employer else None
                day_total = per_day[(who, _calendar_day(s.start))]
                week_total = per_week[(who, _iso_week(s.start))]
                if limit.per_day_minutes is not None and day_total > limit.per_day_minutes:
                    violations.append(f"worker {worker_index}: {day_total} min of {relationship} in a day")
                if limit.per_week_minutes is not None and week_total > limit.per_week_minutes:
                    violations.append(f"worker {worker_index}: {week_total} min of {relationship} in a week")

    return violations


def recompute_objective(
    problem: Problem, assignments: Iterable[Assignment], config: AllocationConfig | None = None, *,
    unfilled_seat_penalty: int, cost_scale: int = 1,
) -> int:
    """The objective of `assignments`, from the weights as documented in `AllocationConfig`, with
    the run's penalty per empty seat and its scale (`Solution.unfilled_seat_penalty`, `cost_scale`:
    each term is divided by the scale, a power of two, before it is rounded)."""
    config = config or AllocationConfig()
    scale = cost_scale
    assignments = list(assignments)
    pairs = problem.pairs
    pay_fen, distance_m = pairs.pay_fen.tolist(), pairs.distance_m.tolist()
    skill, reliability = pairs.skill_level.tolist(), pairs.reliability.tolist()
    favourite, extra = pairs.favourite.tolist(), pairs.extra_cost.tolist()
    total = 0
    for a in assignments:
        p = a.pair
        total += round(config.pay_weight_per_fen * pay_fen[p] / scale)
        total += round(config.distance_weight_per_km * distance_m[p] / 1000 / scale)
        total -= round(config.skill_level_bonus * skill[p] / scale)
        total -= round(config.reliability_bonus * reliability[p] / scale)
        total -= round(config.favourite_bonus * favourite[p] / scale)
        total += extra[p] if scale == 1 else round(float(extra[p]) / scale)
    shifts_per_worker = Counter(a.worker for a in assignments)
    step = round(config.fairness_step / scale)
    total += sum(step * n * (n - 1) // 2 for n in shifts_per_worker.values())
    seats = sum(s.headcount for s in problem.shifts)
    total += unfilled_seat_penalty * (seats - len(assignments))
    return total
