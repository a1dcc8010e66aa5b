"""Invoice requests, pure: the lines of one employer's statement month, their tax to the fen, the
invoice fields a 全电发票 (数电票) needs, and the checks of an issue (docs/invoices.md, with sources)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from fractions import Fraction

from market.kernel.clock import SHANGHAI

# 商品和服务税收分类编码表 (国家税务总局公告2017年第45号 and its updates): 3 服务 → 304 现代服务 →
# 30408 商务辅助服务 → 3040803 人力资源服务; 19 digits in the 全电 system. The invoice prints the
# short name of the category before the item: *人力资源服务*<item>.
HR_SERVICE_CODE = "3040803000000000000"
HR_SERVICE_CATEGORY = "人力资源服务"

SERVICE_FEE = "service_fee"
PASS_THROUGH = "pass_through"
KINDS = (SERVICE_FEE, PASS_THROUGH)
PERIOD = re.compile(r"^[0-9]{4}-(0[1-9]|1[0-2])$")
INVOICE_NUMBER = re.compile(r"^[0-9]{20}$")  # a 全电发票's number: 20 digits


@dataclass(frozen=True)
class Treatment:
    """How one kind of amount is invoiced."""

    item: str
    rate_permille: int  # 60 = 6 %
    tax_treatment: str  # 'general' (VAT at rate) or 'not_taxable' (不征税: not the platform's sales)


TREATMENTS = {
    # The platform's own service to the employer (matching, escrow, settlement): 现代服务—商务辅助服务—
    # 人力资源服务, 6 % for a general taxpayer (财税〔2016〕36号 附件1 第十五条 (六); 附件 销售服务、无形资产、
    # 不动产注释: 人力资源服务).
    SERVICE_FEE: Treatment("平台服务费", 60, "general"),
    # What the platform collected in escrow and paid out for the employer (wages, work-injury insurance,
    # 职业伤害保障, lenders' fees): not its sales. 财税〔2016〕47号 第三条 (人力资源外包): the wages and
    # insurance paid on the client's behalf are not in the sales and 不得开具增值税专用发票，可以开具普通发票:
    # a 普通发票 line, 不征税, tax 0.
    PASS_THROUGH: Treatment("代收代付工资及保障费用", 0, "not_taxable"),
}


@dataclass(frozen=True)
class InvoiceLine:
    kind: str
    item_name: str  # as printed: *人力资源服务*平台服务费
    tax_category_code: str
    tax_rate_permille: int
    tax_treatment: str
    amount_fen: int  # excluding tax (金额)
    tax_fen: int  # 税额
    total_fen: int  # 价税合计


def round_half_up(value: Fraction) -> int:
    """To the nearest fen, halves away from zero (amounts here are never negative)."""
    return int((value * 2 + 1) // 2) if value >= 0 else -int((-value * 2 + 1) // 2)


def split_tax(total_fen: int, rate_permille: int) -> tuple[int, int]:
    """(amount excluding tax, tax) of a tax-inclusive total: the amount is total / (1 + rate), rounded
    half up to the fen, and the tax is the rest, so the two always add up to the total the ledger holds.
    The 全电 system checks the tax against amount × rate within ±6 fen a line; this is within 1 fen."""
    if rate_permille == 0:
        return total_fen, 0
    amount = round_half_up(Fraction(total_fen * 1000, 1000 + rate_permille))
    return amount, total_fen - amount


def line(kind: str, total_fen: int) -> InvoiceLine:
    treatment = TREATMENTS[kind]
    amount, tax = split_tax(total_fen, treatment.rate_permille)
    return InvoiceLine(kind, f"*{HR_SERVICE_CATEGORY}*{treatment.item}", HR_SERVICE_CODE, treatment.rate_permille,
                       treatment.tax_treatment, amount, tax, total_fen)


def lines_of_period(service_fee_fen: int, pass_through_fen: int) -> list[InvoiceLine]:
    """The requests of one employer's month: one per kind with a positive total (nothing to invoice: none)."""
    return [line(kind, total) for kind, total in ((SERVICE_FEE, service_fee_fen), (PASS_THROUGH, pass_through_fen))
            if total > 0]


def period_bounds(period: str) -> tuple[datetime, datetime]:
    """The month's [start, end) in Beijing time, as the employer's statement counts it."""
    year, month = map(int, period.split("-"))
    start = datetime(year, month, 1, tzinfo=SHANGHAI)
    end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=SHANGHAI)
    return start, end


def period_closed(period: str, now: datetime) -> bool:
    """A month is invoiced once it is over (its ledger entries are then final)."""
    return period_bounds(period)[1] <= now


def issue_date_ok(issued_on: date, period: str, today: date) -> bool:
    """An invoice is dated within or after its month, and not in the future."""
    return period_bounds(period)[0].date() <= issued_on <= today
