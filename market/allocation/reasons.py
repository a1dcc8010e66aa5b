"""Reason codes for every empty seat and every pair that did not become an assignment."""
from __future__ import annotations

import numpy as np

from .model import IneligiblePair, Reason, UnchosenPairs, UnfilledSeats
from .prepare import NO_REASON, REASON_CODE, REASONS, Prepared, interval_conflicts


def explain(
    prep: Prepared, chosen: np.ndarray, ineligible: tuple[IneligiblePair, ...],
    from_bid: np.ndarray, distance_m: np.ndarray,
) -> tuple[UnchosenPairs, tuple[UnfilledSeats, ...]]:
    code = prep.precluded.astype(np.int64).copy()
    code[chosen] = NO_REASON
    open_rows = np.flatnonzero(~chosen & (code == NO_REASON))
    held = np.flatnonzero(chosen)
    worker, shift = prep.pair_worker[open_rows], prep.pair_shift[open_rows]

    def settle(mask: np.ndarray, reason: Reason) -> None:
        undecided = code[open_rows] == NO_REASON
        code[open_rows[mask & undecided]] = REASON_CODE[reason]

    # The worker's own chosen shifts rule the pair out.
    overlap, too_close = interval_conflicts(
        worker, prep.pair_start[open_rows], prep.pair_end[open_rows],
        prep.pair_worker[held], prep.pair_start[held], prep.pair_end[held], prep.min_rest,
    )
    settle(overlap, Reason.OVERLAP)
    settle(too_close, Reason.REST_PERIOD)
    room = prep.budgets.capacity - prep.budgets.used_minutes(held, prep.pair_minutes)
    over = np.zeros(len(open_rows), dtype=bool)
    for groups in prep.budgets.pair_group:
        counted = groups[open_rows] >= 0
        over[counted] |= prep.pair_minutes[open_rows[counted]] > room[groups[open_rows[counted]]]
    settle(over, Reason.HOURS_LIMIT)
    taken = np.bincount(prep.pair_worker[held], minlength=prep.n_workers)
    settle(taken[worker] >= prep.max_shifts[worker], Reason.MAX_SHIFTS)

    # The shift was filled by others: compare with the chosen workers on it.
    filled = np.bincount(prep.pair_shift[held], minlength=prep.n_shifts)
    full = filled[shift] >= prep.headcount[shift]
    highest_pay = np.full(prep.n_shifts, np.iinfo(np.int64).min)
    farthest = np.full(prep.n_shifts, np.iinfo(np.int64).min)
    # Quality as points (skill and reliability bonuses are negative costs: lower is better).
    quality_cost = prep.terms["skill"] + prep.terms["reliability"]
    worst_quality = np.full(prep.n_shifts, np.iinfo(np.int64).min)
    np.maximum.at(highest_pay, prep.pair_shift[held], prep.terms["pay"][held])
    np.maximum.at(farthest, prep.pair_shift[held], distance_m[held])
    np.maximum.at(worst_quality, prep.pair_shift[held], quality_cost[held])
    settle(full & from_bid[open_rows] & (prep.terms["pay"][open_rows] > highest_pay[shift]), Reason.OUTBID)
    settle(full & (distance_m[open_rows] > farthest[shift]), Reason.FARTHER)
    settle(full & (quality_cost[open_rows] > worst_quality[shift]), Reason.LOWER_SCORE)
    settle(full & (taken[worker] > 0), Reason.ASSIGNED_ELSEWHERE)
    settle(full, Reason.HIGHER_COST)
    # A seat left open although this worker was free for it: only a run that stopped early does this.
    settle(np.ones(len(open_rows), dtype=bool), Reason.NOT_REACHED)

    unchosen_rows = np.flatnonzero(~chosen)
    reason_codes = code[unchosen_rows]
    unchosen_worker = prep.pair_worker[unchosen_rows]
    unchosen_shift = prep.pair_shift[unchosen_rows]
    if ineligible:
        unchosen_worker = np.concatenate([unchosen_worker, [p.worker for p in ineligible]]).astype(np.int32)
        unchosen_shift = np.concatenate([unchosen_shift, [p.shift for p in ineligible]]).astype(np.int32)
        reason_codes = np.concatenate([reason_codes, [REASON_CODE[Reason(p.reason)] for p in ineligible]])
    reason_table = np.array(REASONS, dtype=object)
    unchosen = UnchosenPairs(unchosen_worker, unchosen_shift, reason_table[reason_codes])

    # An empty seat takes the commonest reason among the shift's eligible workers who did not get it.
    empty = prep.headcount - filled
    short_shifts = np.flatnonzero(empty > 0)
    counts = np.zeros((prep.n_shifts, len(REASONS)), dtype=np.int64)
    eligible_rows = unchosen_rows  # pairs listed as eligible but not chosen
    np.add.at(counts, (prep.pair_shift[eligible_rows], code[eligible_rows]), 1)
    unfilled = []
    for short_shift in short_shifts.tolist():
        if counts[short_shift].sum() == 0:
            reason = Reason.NO_ELIGIBLE_WORKER
        else:
            reason = REASONS[int(np.argmax(counts[short_shift]))]
        unfilled.append(UnfilledSeats(shift=short_shift, seats=int(empty[short_shift]), reason=reason))
    return unchosen, tuple(unfilled)
