"""Allocation: turn open seats, bids and eligible workers into offers.

The pure core is `solve(Problem, AllocationConfig) -> Solution` (see `solver`), checked
independently by `checker.check`. docs/allocation.md describes the model and the pipeline.
"""
from .checker import check
from .model import (
    AllocationConfig,
    Assignment,
    Commitment,
    EligiblePairs,
    HourLimit,
    IneligiblePair,
    ObjectiveTerms,
    Problem,
    Reason,
    Shift,
    Solution,
    UnchosenPair,
    UnchosenPairs,
    UnfilledSeats,
    Worker,
    day_index,
    local_minutes,
    week_index,
)
from .solver import solve

__all__ = [
    "AllocationConfig", "Assignment", "Commitment", "EligiblePairs", "HourLimit", "IneligiblePair",
    "ObjectiveTerms", "Problem", "Reason", "Shift", "Solution", "UnchosenPair",
    "UnchosenPairs", "UnfilledSeats", "Worker", "check", "day_index", "local_minutes", "solve",
    "week_index",
]
