"""The pure core of escrow and payouts (no I/O): what a hold covers, the bank batch file layout
(whether a check-in is close enough, the minutes paid and reliability: market/attendance).
The money of one approved timesheet is computed by `rules.py`; this module only adds what the
service needs around it. See docs/settlement.md."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

from market import csvfile
from market.errors import Conflict
from market.kernel.clock import local_date
from market.kernel.relationships import RelationshipType
from market.orders.model import Pay, PayUnit
from market.settlement.rates import RateBook
from market.settlement.rules import gross_for_minutes
from market.settlement.tax import round_half_up_fen

PLATFORM_ID = uuid.UUID(int=0)  # holder of the platform's own ledger accounts

class InsufficientEscrow(Conflict):
    type = "insufficient-escrow"
    title = "The employer's escrow does not cover this"

    def __init__(self, needed_fen: int, available_fen: int) -> None:
        super().__init__(f"escrow available {available_fen} fen does not cover {needed_fen} fen; "
                         "deposit the difference (POST /v1/employers/me/deposits)",
                         needed_fen=needed_fen, available_fen=available_fen,
                         shortfall_fen=needed_fen - available_fen)


def hourly_rate(rate_fen: int, pay_unit: str, stated_hours: Fraction | Decimal | str | None) -> Fraction:
    """The assignment's exact rate per hour in fen: day and piece pay over the hours the order states
    (`orders.model.Pay.hourly_rate`, the one definition). Never rounded: money is rounded once, on
    the gross (SPEC §6), so a full day of day pay is exactly the day's pay."""
    stated = None if stated_hours is None else Fraction(str(stated_hours))
    return Pay(PayUnit(pay_unit), rate_fen, stated).hourly_rate()


def days_covered(start: datetime, end: datetime) -> int:
    """Local calendar days a span touches (a shared-labor assignment's worker-days)."""
    last = end - timedelta(microseconds=1)
    return (local_date(last) - local_date(start)).days + 1


def hold_amount_fen(relationship_type: RelationshipType, *, hourly_rate: Fraction | int, minutes: int, shift_date: date,
                    rate_book: RateBook, lender_fee_fen: int = 0, sector_code: str | None = None) -> int:
    """What escrow must cover for one assignment: the expected gross (the lender fee for shared
    labor) plus every employer-side cost the settlement will add (platform fee; work-injury
    insurance for part-time; 职业伤害保障 per order for incomplete labor and labor service).
    Tax is withheld from the gross, so it adds nothing."""
    fee_rate = rate_book.platform_fee_rate.in_force(shift_date)
    if relationship_type is RelationshipType.shared_labor:
        return lender_fee_fen + round_half_up_fen(lender_fee_fen * fee_rate)
    gross = gross_for_minutes(hourly_rate, minutes)
    total = gross + round_half_up_fen(gross * fee_rate)
    if relationship_type is RelationshipType.labor_part_time:
        total += round_half_up_fen(gross * rate_book.work_injury_insurance_rate.in_force(shift_date))
    else:
        total += rate_book.occupational_injury_protection.in_force(shift_date).per_order_fen(sector_code)
    return total


# The bank batch file (docs/settlement.md "Bank batch file"): UTF-8 with a header row.
BANK_BATCH_COLUMNS = ("batch_id", "payout_id", "payee_type", "payee_id", "payee_name", "amount_fen",
                      "amount_yuan", "currency", "memo")


@dataclass(frozen=True)
class PayoutLine:
    batch_id: uuid.UUID
    payout_id: uuid.UUID
    payee_type: str
    payee_id: uuid.UUID
    payee_name: str
    amount_fen: int
    memo: str


def yuan(amount_fen: int) -> str:
    sign = "-" if amount_fen < 0 else ""
    return f"{sign}{abs(amount_fen) // 100}.{abs(amount_fen) % 100:02d}"


def bank_batch_csv(lines: list[PayoutLine]) -> str:
    # A payee's name is what they registered: through the one CSV writer, so it never reaches the
    # bank's or an operator's spreadsheet as a formula, while the amounts stay numbers (market/csvfile.py).
    return csvfile.text(BANK_BATCH_COLUMNS, (
        [line.batch_id, line.payout_id, line.payee_type, line.payee_id, line.payee_name,
         line.amount_fen, yuan(line.amount_fen), "CNY", line.memo] for line in lines))
