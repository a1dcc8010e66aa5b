"""fen_half_up: the one rounding rule, in integer arithmetic, against its definition in Fractions."""
from decimal import Decimal
from fractions import Fraction

from hypothesis import given, strategies as st

from market.kernel.money import fen_half_up


def by_definition(amount) -> int:
    exact = Fraction(amount)
    whole = int(abs(exact) + Fraction(1, 2))
    return whole if exact >= 0 else -whole


@given(st.fractions(max_denominator=10**6) | st.integers(-10**12, 10**12)
       | st.decimals(allow_nan=False, allow_infinity=False, places=4, min_value=-10**9, max_value=10**9))
def test_integer_rounding_equals_the_definition(amount):
    assert fen_half_up(amount) == by_definition(amount)


def test_halves_go_away_from_zero():
    assert [fen_half_up(Fraction(n, 2)) for n in (-5, -3, -1, 1, 3, 5)] == [-3, -2, -1, 1, 2, 3]
    assert fen_half_up(Decimal("2.4999")) == 2 and fen_half_up(Decimal("-2.5")) == -3
