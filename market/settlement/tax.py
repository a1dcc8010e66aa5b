"""Chinese individual income tax withholding (个人所得税预扣预缴), in integer fen.

Pure functions over tables the caller passes in (`market.settlement.rates` loads them from
`data/rates.json`): no I/O, no literals a government can change. Sources and worked examples are
in docs/settlement-rules.md and shared/RULES.md.

Rounding: intermediate amounts (taxable income, cumulative taxable income) are kept exact as
`Fraction`s; only the tax itself, which is an itemised line of a settlement, is rounded half-up to
the fen. Because each "cumulative" tax is rounded before the amount already withheld is subtracted,
the withholdings of several payments in one period add up exactly to the tax on the period's total.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from fractions import Fraction

from market.errors import FieldError, ValidationFailed
from market.kernel.money import fen_half_up

round_half_up_fen = fen_half_up  # the one rounding rule, under the name the tax code uses


@dataclass(frozen=True)
class TaxBracket:
    """One row of a progressive table applied with a quick deduction (速算扣除数):
    tax = taxable × rate − quick_deduction, for taxable up to and including `up_to_fen`."""

    up_to_fen: int | None  # None: no upper bound (the top bracket)
    rate: Fraction
    quick_deduction_fen: int


def _bracket_for(brackets: tuple[TaxBracket, ...], taxable_fen: Fraction | int) -> TaxBracket:
    for bracket in brackets:
        if bracket.up_to_fen is None or taxable_fen <= bracket.up_to_fen:
            return bracket
    raise ValueError("a tax table must end with an unbounded bracket")


def _progressive_tax(brackets: tuple[TaxBracket, ...], taxable_fen: Fraction | int) -> Fraction:
    if taxable_fen <= 0:
        return Fraction(0)
    bracket = _bracket_for(brackets, taxable_fen)
    return taxable_fen * bracket.rate - bracket.quick_deduction_fen


# 劳务报酬所得 --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LaborRemunerationTaxTable:
    """劳务报酬所得预扣率表 (国家税务总局公告2018年第61号): income up to `flat_deduction_limit_fen`
    has `flat_deduction_fen` taken off; above it, `proportional_deduction` of the income."""

    flat_deduction_limit_fen: int
    flat_deduction_fen: int
    proportional_deduction: Fraction
    brackets: tuple[TaxBracket, ...]

    def bracket_for(self, taxable_fen: Fraction | int) -> TaxBracket:
        return _bracket_for(self.brackets, taxable_fen)


def labor_remuneration_taxable_income(income_fen: int, table: LaborRemunerationTaxTable) -> Fraction:
    """应纳税所得额 of one 次 of 劳务报酬, exact (income × 80 % may end in a fraction of a fen)."""
    _require_non_negative(income_fen=income_fen)
    if income_fen <= table.flat_deduction_limit_fen:
        return Fraction(max(0, income_fen - table.flat_deduction_fen))
    return income_fen * (1 - table.proportional_deduction)


def labor_remuneration_tax(income_fen: int, table: LaborRemunerationTaxTable) -> int:
    """Tax withheld on one 次 of 劳务报酬 of `income_fen`, rounded half-up to the fen."""
    taxable_fen = labor_remuneration_taxable_income(income_fen, table)
    return round_half_up_fen(_progressive_tax(table.brackets, taxable_fen))


@dataclass(frozen=True)
class LaborRemunerationMonthToDate:
    """What one payer already paid one worker as 劳务报酬 in the calendar month of this payment,
    and the tax already withheld on it. This project treats the whole month as one 次."""

    paid_fen: int = 0
    tax_withheld_fen: int = 0


def labor_remuneration_withholding(
    payment_fen: int, month_to_date: LaborRemunerationMonthToDate, table: LaborRemunerationTaxTable,
) -> int:
    """Tax to withhold on this payment: tax on the month's cumulative amount (this payment
    included) minus what was already withheld this month, never negative (an over-withholding,
    e.g. after a table change mid-month, is settled in the worker's annual return, not here) and
    never more than the payment."""
    _require_non_negative(
        payment_fen=payment_fen, paid_fen=month_to_date.paid_fen,
        tax_withheld_fen=month_to_date.tax_withheld_fen,
    )
    month_tax_fen = labor_remuneration_tax(month_to_date.paid_fen + payment_fen, table)
    return _withholdable(month_tax_fen - month_to_date.tax_withheld_fen, payment_fen)


# 工资薪金所得 --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WageTaxTable:
    """个人所得税预扣率表一 (居民个人工资、薪金所得预扣预缴适用) and the basic deduction per month
    employed (累计减除费用, 5,000 yuan a month)."""

    monthly_basic_deduction_fen: int
    brackets: tuple[TaxBracket, ...]

    def bracket_for(self, cumulative_taxable_fen: Fraction | int) -> TaxBracket:
        return _bracket_for(self.brackets, cumulative_taxable_fen)


@dataclass(frozen=True)
class WageYearToDate:
    """The facts of one employer–worker pair in the tax year of this payment, before it.

    `months_employed` counts the current month (see `months_employed_this_year`);
    `special_deductions_fen` is the cumulative 专项扣除 / 专项附加扣除 / other deductions to this
    month, as the employer records them (zero for most part-time workers).
    """

    wages_paid_fen: int = 0
    tax_withheld_fen: int = 0
    months_employed: int = 1
    special_deductions_fen: int = 0


def wage_cumulative_taxable_income(cumulative_wages_fen: int, year_to_date: WageYearToDate,
                                   table: WageTaxTable) -> int:
    """累计预扣预缴应纳税所得额 = cumulative wages − 5,000 × months employed − special deductions,
    never below zero."""
    return max(0, cumulative_wages_fen
               - table.monthly_basic_deduction_fen * year_to_date.months_employed
               - year_to_date.special_deductions_fen)


def wage_withholding(payment_fen: int, year_to_date: WageYearToDate, table: WageTaxTable) -> int:
    """Tax to withhold on this wage payment by the cumulative method (累计预扣法): tax on the
    cumulative taxable income including this payment, minus tax already withheld this year by this
    employer, never negative (a surplus is refunded in the annual return, not by the employer) and
    never more than the payment."""
    _require_non_negative(
        payment_fen=payment_fen, wages_paid_fen=year_to_date.wages_paid_fen,
        tax_withheld_fen=year_to_date.tax_withheld_fen,
        special_deductions_fen=year_to_date.special_deductions_fen,
    )
    if not 1 <= year_to_date.months_employed <= 12:
        raise ValidationFailed([FieldError(("months_employed",), "must be between 1 and 12",
                                           {"months_employed": year_to_date.months_employed})])
    taxable_fen = wage_cumulative_taxable_income(year_to_date.wages_paid_fen + payment_fen,
                                                 year_to_date, table)
    cumulative_tax_fen = round_half_up_fen(_progressive_tax(table.brackets, taxable_fen))
    return _withholdable(cumulative_tax_fen - year_to_date.tax_withheld_fen, payment_fen)


def _withholdable(tax_due_fen: int, payment_fen: int) -> int:
    """What can be withheld from this payment: never negative, and never more than the payment
    itself (possible only when earlier payments were under-withheld). Whatever is not withheld now
    is caught up by the next payment, because each withholding is cumulative tax − tax withheld."""
    return min(max(0, tax_due_fen), payment_fen)


def months_employed_this_year(months_paid: Iterable[date], paid_on: date) -> int:
    """The months a part-time worker counts as employed by one employer for the basic deduction.

    A part-time (非全日制) relationship may end at any time and the worker is paid at least every
    15 days, so "任职受雇月份" is read as: the distinct calendar months of `paid_on`'s tax year in
    which this employer paid this worker, the month of `paid_on` included. Idle months between
    gigs give no deduction: the employer withholds no less than it should, and the worker recovers
    any surplus in the annual return (年度汇算).
    """
    months = {(day.year, day.month) for day in months_paid if day.year == paid_on.year and day <= paid_on}
    months.add((paid_on.year, paid_on.month))
    return len(months)


def _require_non_negative(**amounts_fen: int) -> None:
    errors = [FieldError((name,), "must not be negative", {name: value})
              for name, value in amounts_fen.items() if value < 0]
    if errors:
        raise ValidationFailed(errors)
