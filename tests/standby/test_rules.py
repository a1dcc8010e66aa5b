"""Standby's pure rules: the posting floor and ceiling, the withdrawal cutoff, the offer's clock."""
from datetime import datetime, timedelta
from decimal import Decimal

from market.kernel.clock import SHANGHAI
from market.orders import rules
from market.orders.model import Pay, PayUnit, Shift
from market.standby.model import may_withdraw, replacement_offer_minutes
from tests.orders.factories import gig_order

START = datetime(2027, 3, 1, 9, tzinfo=SHANGHAI)


def order_with(shift: Shift, pay: Pay | None = None):
    order = gig_order(shifts=(shift,))
    return order if pay is None else gig_order(shifts=(shift,), pay=pay)


def test_the_floor_is_a_fifth_of_the_seats_pay_rounded_up_and_the_ceiling_all_of_it():
    shift = Shift(START, START + timedelta(hours=4), 2, 1, 2400)
    order = order_with(shift, Pay(PayUnit.hour, 3001))
    assert rules.standby_floor_fen(order, shift) == 2401  # 4 × 3001 / 5 = 2400.8
    assert rules.standby_ceiling_fen(order, shift) == 12004
    assert [e.loc for e in rules.standby_errors(order)] == [("shifts", 0, "standby_amount_fen")]
    day = order_with(shift, Pay(PayUnit.day, 24000, Decimal(8)))  # 30 元/h equivalent
    assert rules.standby_floor_fen(day, shift) == 2400


def test_standby_seats_are_bounded_by_the_headcount_and_need_an_amount():
    assert [e.loc for e in rules.standby_errors(order_with(Shift(START, START + timedelta(hours=4), 1, 2, 3000)))] \
        == [("shifts", 0, "standby")]
    assert [e.loc for e in rules.standby_errors(order_with(Shift(START, START + timedelta(hours=4), 2, 1)))] \
        == [("shifts", 0, "standby_amount_fen")]
    assert rules.standby_errors(order_with(Shift(START, START + timedelta(hours=4), 2))) == []


def test_withdrawal_closes_at_the_cutoff_and_the_offer_clock_is_the_shorter():
    assert may_withdraw(START, START - timedelta(hours=3), timedelta(hours=2))
    assert not may_withdraw(START, START - timedelta(hours=2), timedelta(hours=2))
    assert replacement_offer_minutes(timedelta(minutes=15), 30) == 15
    assert replacement_offer_minutes(timedelta(minutes=15), 10) == 10
    assert replacement_offer_minutes(timedelta(seconds=20), 30) == 1
