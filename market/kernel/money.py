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


# ---- bounds of what a request may carry (docs/api-conventions.md, "Ranges") -------------------------
# One place for the largest figures the API takes, so that no product of them (rate × hours ×
# headcount × shifts, sums over a district) comes near PostgreSQL's bigint (9.2 × 10^18 fen).

# A rate: pay per hour, day or piece, a bid, a lender's fee per worker-day, an agreed hourly wage.
# ¥100,000 a unit is far above any real gig or loan rate (hundreds of yuan), and an order at that
# rate — 500 seats × 100 shifts × 24 h — still totals 1.2 × 10^13 fen.
MAX_RATE_FEN = 10_000_000
# One transfer (a deposit into escrow): ¥100,000,000, more than a year's wages of a large employer's
# gig orders; a bank transfer of more is split.
MAX_AMOUNT_FEN = 10_000_000_000
# The hours a day's or a piece's pay stands for: at least 0.01 h (36 seconds a piece), at most a
# day, with at most 2 decimals (the column is numeric(6, 2): more digits would be rounded silently).
MIN_STATED_HOURS = Decimal("0.01")
MAX_STATED_HOURS = Decimal(24)
STATED_HOURS_DECIMALS = 2
