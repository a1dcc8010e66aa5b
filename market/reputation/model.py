"""Ratings and the 诚信积分制 colours of organisations: the rules, with no I/O (tests/reputation/
test_model.py). Why each rule is what it is: docs/reputation.md.

Ratings. After a completed shift the worker rates the employer and the employer rates the worker,
1–5 with reasons from a fixed list per side. A rating is shown only in aggregate, once at least
`MIN_RATINGS` of them count; a rating given while a case between the two is open is held (does
not count) until that case closes, so a rating cannot be used as retaliation for a complaint.

Colours (红蓝黑). Each organisation's colour is derived from its record by `colour_of`:
- black (黑, 失信): wage arrears the employer is at fault for are outstanding, or two or more pay
  complaints were upheld in the last year.
- blue (蓝, 一般): any upheld complaint or no-show dispute in the last year, frequent late
  cancellations (at least 3 in 90 days, and at least a tenth of its seats then), or too short a
  record to be trusted yet (fewer than `RED_MIN_COMPLETED_SEATS` completed seats).
- red (红, 守信): a clean record of at least `RED_MIN_COMPLETED_SEATS` completed seats.
Red is earned, blue is where everyone starts, black is what the pilot's 失信 list is for.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass
from fractions import Fraction

MIN_RATINGS = 5  # fewer ratings are not shown: they would identify who gave them


class Rater(enum.StrEnum):
    worker = "worker"  # the worker rates the employer
    employer = "employer"  # the employer rates the worker


class WorkerReason(enum.StrEnum):
    """What a worker may say of an employer's shift."""
    paid_on_time = "paid_on_time"
    as_described = "as_described"
    safe_site = "safe_site"
    respectful = "respectful"
    well_organised = "well_organised"
    paid_late = "paid_late"
    not_as_described = "not_as_described"
    unsafe_site = "unsafe_site"
    disrespectful = "disrespectful"
    disorganised = "disorganised"


class EmployerReason(enum.StrEnum):
    """What an employer may say of a worker's shift."""
    punctual = "punctual"
    skilled = "skilled"
    diligent = "diligent"
    cooperative = "cooperative"
    late = "late"
    left_early = "left_early"
    careless = "careless"
    uncooperative = "uncooperative"


REASONS: dict[Rater, frozenset[str]] = {
    Rater.worker: frozenset(WorkerReason), Rater.employer: frozenset(EmployerReason)}


@dataclass(frozen=True)
class Aggregate:
    """What anyone is shown of someone's ratings: nothing below MIN_RATINGS counted ratings."""
    count: int | None
    average: Fraction | None
    reasons: dict[str, int] | None


def aggregate(scores: list[int], reasons: list[list[str]]) -> Aggregate:
    """The shown aggregate of the counted ratings (their scores and reasons)."""
    if len(scores) < MIN_RATINGS:
        return Aggregate(None, None, None)
    tally: dict[str, int] = {}
    for given in reasons:
        for reason in given:
            tally[reason] = tally.get(reason, 0) + 1
    return Aggregate(len(scores), Fraction(sum(scores), len(scores)), dict(sorted(tally.items())))


class Colour(enum.StrEnum):
    red = "red"
    blue = "blue"
    black = "black"


RED_MIN_COMPLETED_SEATS = 10
LATE_CANCEL_MIN = 3  # late-cancelled seats in 90 days before the rate counts
LATE_CANCEL_SHARE = Fraction(1, 10)
BLACK_UPHELD_PAY = 2


@dataclass(frozen=True)
class Record:
    """An organisation's record, as colour_of reads it (market/reputation/queries.py RECORDS)."""
    outstanding_arrears: int  # wage arrears, the employer at fault, not cleared
    upheld_pay_complaints: int  # unpaid or late pay cases upheld (or partly) in the last 365 days
    upheld_other_complaints: int  # other cases upheld in the last 365 days (terms, safety, …)
    upheld_no_show_disputes: int  # no-show appeals upheld in the last 365 days
    late_cancelled_seats: int  # seats cancelled with compensation in the last 90 days
    seats: int  # seats held in the last 90 days
    completed_seats: int  # seats completed, ever


def colour_of(record: Record) -> tuple[Colour, list[str]]:
    """The colour and the reasons for it (the reasons name the facts that set it)."""
    black = []
    if record.outstanding_arrears:
        black.append("wage_arrears_outstanding")
    if record.upheld_pay_complaints >= BLACK_UPHELD_PAY:
        black.append("repeated_upheld_pay_complaints")
    if black:
        return Colour.black, black
    blue = []
    if record.upheld_pay_complaints:
        blue.append("upheld_pay_complaint")
    if record.upheld_other_complaints:
        blue.append("upheld_complaint")
    if record.upheld_no_show_disputes:
        blue.append("upheld_no_show_dispute")
    if (record.late_cancelled_seats >= LATE_CANCEL_MIN
            and Fraction(record.late_cancelled_seats, max(record.seats, 1)) >= LATE_CANCEL_SHARE):
        blue.append("frequent_late_cancellations")
    if record.completed_seats < RED_MIN_COMPLETED_SEATS:
        blue.append("short_record")
    if blue:
        return Colour.blue, blue
    return Colour.red, ["clean_record"]


# The feed's ranking (market/feed/score.py) reads the colour: red adds a bonus, black halves the score.
