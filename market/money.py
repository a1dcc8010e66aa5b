"""Money is integer fen (分). Exact amounts (Fraction, Decimal) become money in one place only."""
from __future__ import annotations

from decimal import Decimal
from fractions import Fraction


def fen_half_up(amount: Fraction | Decimal | int) -> int:
    """Round an exact amount of fen to a whole fen, halves away from zero (四舍五入, SPEC §6).

    Python's round() rounds halves to even and floats cannot hold 0.005 yuan exactly, so money goes
    through Fraction and this function only.
    """
    exact = Fraction(amount)
    whole = int(abs(exact) + Fraction(1, 2))  # int() truncates; |x| + ½ ≥ 0 so this is floor(|x| + ½)
    return whole if exact >= 0 else -whole
