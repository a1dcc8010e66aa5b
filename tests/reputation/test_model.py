"""The rules of ratings and colours, each at its edge (market/reputation/model.py, docs/reputation.md)."""
from __future__ import annotations

from fractions import Fraction

import pytest

from market.reputation.model import (
    MIN_RATINGS, RED_MIN_COMPLETED_SEATS, Colour, Record, aggregate, colour_of,
)

CLEAN = Record(outstanding_arrears=0, upheld_pay_complaints=0, upheld_other_complaints=0, upheld_no_show_disputes=0,
               late_cancelled_seats=0, seats=40, completed_seats=RED_MIN_COMPLETED_SEATS)


def record(**changes) -> Record:
    return Record(**{**CLEAN.__dict__, **changes})


def test_a_clean_record_of_enough_completed_seats_is_red():
    assert colour_of(CLEAN) == (Colour.red, ["clean_record"])


def test_too_short_a_record_is_blue_until_it_is_long_enough():
    assert colour_of(record(completed_seats=RED_MIN_COMPLETED_SEATS - 1)) == (Colour.blue, ["short_record"])


@pytest.mark.parametrize(("changes", "reason"), [
    ({"upheld_pay_complaints": 1}, "upheld_pay_complaint"),
    ({"upheld_other_complaints": 1}, "upheld_complaint"),
    ({"upheld_no_show_disputes": 1}, "upheld_no_show_dispute"),
    ({"late_cancelled_seats": 4, "seats": 40}, "frequent_late_cancellations"),
])
def test_one_upheld_complaint_or_frequent_late_cancellations_make_an_employer_blue(changes, reason):
    assert colour_of(record(**changes)) == (Colour.blue, [reason])


def test_late_cancellations_count_from_three_and_a_tenth_of_the_seats():
    assert colour_of(record(late_cancelled_seats=2, seats=2))[0] is Colour.red  # too few to say
    assert colour_of(record(late_cancelled_seats=3, seats=31))[0] is Colour.red  # under a tenth
    assert colour_of(record(late_cancelled_seats=3, seats=30))[0] is Colour.blue


@pytest.mark.parametrize(("changes", "reasons"), [
    ({"outstanding_arrears": 1}, ["wage_arrears_outstanding"]),
    ({"upheld_pay_complaints": 2}, ["repeated_upheld_pay_complaints"]),
    ({"outstanding_arrears": 2, "upheld_pay_complaints": 3, "upheld_other_complaints": 5},
     ["wage_arrears_outstanding", "repeated_upheld_pay_complaints"]),
])
def test_outstanding_arrears_or_repeated_upheld_pay_complaints_make_an_employer_black(changes, reasons):
    assert colour_of(record(**changes)) == (Colour.black, reasons)


def test_an_aggregate_is_shown_from_five_ratings():
    four = aggregate([5, 4, 4, 3], [["paid_on_time"]] * 4)
    assert (four.count, four.average, four.reasons) == (None, None, None)
    five = aggregate([5, 4, 4, 3, 1], [["paid_on_time"], ["paid_on_time", "safe_site"], [], [], ["paid_late"]])
    assert five.count == MIN_RATINGS == 5
    assert five.average == Fraction(17, 5)
    assert five.reasons == {"paid_late": 1, "paid_on_time": 2, "safe_site": 1}
