"""Money is integer fen (分). Exact amounts (Fraction, Decimal) become money in one place only."""
from __future__ import annotations

from decimal import Decimal
from fractions import Fraction


def fen_half_up(amount: Fraction | Decimal | int) -> int:
    """Round an exact amount of fen to a whole fen, halves away from zero (四舍五入, SPEC §6).

    Python's round() rounds halves to even and floats cannot hold 0.005 yuan exactly, so money goes
    through Fraction and this function only.
    """
    numerator, denominator = amount.as_integer_ratio()  # exact, denominator > 0 (int, Fraction, Decimal)
    whole = (2 * abs(numerator) + denominator) // (2 * denominator)  # floor(|x| + ½), in integers
    return whole if numerator >= 0 else -whole
