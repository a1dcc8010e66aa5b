"""Money conversion, rounding and the minimum-wage table."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from market.catalogue.model import MinimumWageUnknown
from market.orders.model import MinimumWage, MinimumWageTable, Pay, PayUnit, fen_half_up

from .factories import MINIMUM_WAGES, daily, hourly


@pytest.mark.parametrize(
    ("exact", "fen"),
    [
        (Fraction(5, 2), 3),
        (Fraction(-5, 2), -3),
        (Fraction(249, 100), 2),
        (Fraction(251, 100), 3),
        (Decimal("0.5"), 1),
        (7, 7),
    ],
)
def test_fen_are_rounded_half_up_away_from_zero(exact, fen):
    assert fen_half_up(exact) == fen


@given(st.fractions(min_value=-(10**9), max_value=10**9))
def test_half_up_rounding_is_never_more_than_half_a_fen_off(exact):
    assert abs(fen_half_up(exact) - exact) <= Fraction(1, 2)


def test_hourly_pay_is_its_own_hourly_rate_whatever_stated_hours_say():
    assert Pay(PayUnit.hour, 2500, stated_hours=Decimal(8)).hourly_rate() == 2500


def test_day_pay_is_divided_by_the_stated_hours_exactly():
    assert daily(20000, "7.5").hourly_rate() == Fraction(8000, 3)
    assert daily(20000, "7.5").hourly_equivalent_fen() == 2667


def test_day_pay_without_stated_hours_cannot_be_converted():
    with pytest.raises(ValueError):
        Pay(PayUnit.day, 20000).hourly_rate()


def test_pay_for_some_hours_rounds_once_at_the_end():
    assert hourly(2333).pay_for(Decimal("1.5")) == 3500  # 3499.5 → 3500


def test_the_minimum_wage_in_force_changes_on_its_effective_date():
    assert MINIMUM_WAGES.hourly_minimum_fen(1, date(2024, 12, 31)) == 2100
    assert MINIMUM_WAGES.hourly_minimum_fen(1, date(2025, 1, 1)) == 2300
    assert MINIMUM_WAGES.hourly_minimum_fen(2, date(2024, 12, 31)) == 2000
    assert MINIMUM_WAGES.hourly_minimum_fen(2, date(2025, 1, 1)) == 2200
    assert MINIMUM_WAGES.standard_on(1, date(2030, 1, 1)).monthly_fen == 233000


def test_a_date_before_any_standard_or_an_unknown_tier_is_a_data_gap():
    # A domain error (a 422 if it ever reaches the client), not a LookupError (a 500).
    with pytest.raises(MinimumWageUnknown) as raised:
        MINIMUM_WAGES.hourly_minimum_fen(1, date(2022, 3, 31))
    assert raised.value.status == 422 and not isinstance(raised.value, LookupError)
    with pytest.raises(MinimumWageUnknown):
        MINIMUM_WAGES.hourly_minimum_fen(3, date(2025, 1, 1))


def test_standards_between_two_dates_lists_each_one_in_force():
    assert [s.hourly_fen for s in MINIMUM_WAGES.standards_between(1, date(2024, 12, 1), date(2025, 2, 1))] == [
        2100,
        2300,
    ]
    assert [s.hourly_fen for s in MINIMUM_WAGES.standards_between(1, date(2025, 2, 1), date(2025, 3, 1))] == [2300]


def test_two_standards_for_one_tier_on_one_date_are_refused():
    with pytest.raises(ValueError):
        MinimumWageTable(
            [MinimumWage(1, date(2025, 1, 1), 2300, 233000), MinimumWage(1, date(2025, 1, 1), 2400, 240000)]
        )
