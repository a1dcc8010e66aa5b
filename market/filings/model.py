"""The filings, pure, rows in, text out (docs/filings.md maps each column to its source): the
个人所得税 withholding file a payroll clerk imports into the 自然人电子税务局（扣缴端）, and the monthly
职业伤害保障 report of every covered order for the social insurance agency.

One file per payer, month and income item, because the client imports each 所得项目 from its own
template: 正常工资薪金所得 for the wages of 非全日制用工, 一般劳务报酬所得 for the pay of labor
service and of 不完全符合确立劳动关系 work (the item market/settlement withholds them under).
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Iterable

from market import csvfile


class IncomeItem(StrEnum):
    WAGE = "wage"  # 工资薪金所得
    LABOR_REMUNERATION = "labor_remuneration"  # 劳务报酬所得


# The relationship types each item is withheld for, as market/settlement/rules.py withholds them.
# shared_labor is in neither: the lender pays its own employee's wage and files it in its own
# payroll; the platform withholds nothing on it.
RELATIONSHIPS = {
    IncomeItem.WAGE: ("labor_part_time",),
    IncomeItem.LABOR_REMUNERATION: ("incomplete_labor", "labor_service"),
}

ID_TYPE = "居民身份证"
LABOR_REMUNERATION_ITEM = "一般劳务报酬所得"

# The import template columns, in the template's order (a leading * marks a column the client requires).
WAGE_COLUMNS = (
    "工号", "*姓名", "*证件类型", "*证件号码", "*本期收入", "本期免税收入", "基本养老保险费", "基本医疗保险费",
    "失业保险费", "住房公积金", "企业(职业)年金", "商业健康保险", "税延养老保险", "其他", "准予扣除的捐赠额",
    "减免税额", "备注",
)
LABOR_REMUNERATION_COLUMNS = (
    "工号", "*姓名", "*证件类型", "*证件号码", "*所得项目", "*本期收入", "本期免税收入", "商业健康保险",
    "税延养老保险", "其他", "准予扣除的捐赠额", "减免税额", "减按计税比例", "备注",
)

MISSING_ID = "证件号码缺失：该人员注册早于证件号码加密保存，请核对本人证件后补填"
UNREADABLE_ID = "证件号码无法解密：请联系平台管理员"


@dataclass(frozen=True)
class Withholding:
    """One worker's month with one payer under one income item, summed over its settlements."""

    worker_id: uuid.UUID
    name: str
    id_number: str | None  # None: not sealed (registered before sealing) or not opened
    id_unreadable: bool
    income_fen: int
    tax_withheld_fen: int
    payments: int


def yuan(fen: int) -> Decimal:
    """Fen as the yuan amount with two decimals the template's money columns take."""
    return (Decimal(fen) / 100).quantize(Decimal("0.01"))


def remark(row: Withholding) -> str:
    """The 备注: the tax the platform withheld (the client recomputes it; the clerk compares the
    two) and, when the ID could not be filled in, why."""
    text = f"平台已预扣税额{yuan(row.tax_withheld_fen)}元，共{row.payments}笔"
    if row.id_number is None:
        text += "；" + (UNREADABLE_ID if row.id_unreadable else MISSING_ID)
    return text


def withholding_csv(item: IncomeItem, rows: Iterable[Withholding]) -> str:
    """The file: UTF-8 with a byte-order mark (so spreadsheet programs read the Chinese), the
    template's header, one row per worker. Columns the platform has no figure for stay empty,
    which the client takes as zero (docs/filings.md says why each is empty)."""
    if item is IncomeItem.WAGE:
        return csvfile.text(WAGE_COLUMNS, (
            (str(r.worker_id), r.name, ID_TYPE, r.id_number, yuan(r.income_fen),
             None, None, None, None, None, None, None, None, None, None, None, remark(r))
            for r in rows), bom=True)
    return csvfile.text(LABOR_REMUNERATION_COLUMNS, (
        (str(r.worker_id), r.name, ID_TYPE, r.id_number, LABOR_REMUNERATION_ITEM, yuan(r.income_fen),
         None, None, None, None, None, None, None, remark(r))
        for r in rows), bom=True)


# The 职业伤害保障 report ---------------------------------------------------------------------------
# One row per covered order (assignment) of the month, in the agency's terms: the platform, the
# worker (masked ID: the report never opens a sealed ID), the order, its sector, the service time
# and the contribution the platform paid for it.
OCCUPATIONAL_INJURY_COLUMNS = (
    "平台名称", "工号", "姓名", "证件号码（脱敏）", "订单号", "派单号", "用工单位", "用工形式", "行业代码", "行业",
    "服务开始", "服务结束", "保障费（分）",
)
RELATIONSHIP_NAMES = {"incomplete_labor": "不完全符合确立劳动关系", "labor_service": "劳务关系"}
NO_SECTOR = "未指定（按默认费率）"


@dataclass(frozen=True)
class CoveredOrder:
    """One assignment whose settlement paid a 职业伤害保障 contribution."""

    worker_id: uuid.UUID
    name: str
    id_number_masked: str
    order_id: uuid.UUID
    assignment_id: uuid.UUID
    employer_name: str
    relationship_type: str
    sector_code: str | None
    sector_name: str | None
    starts_at: datetime
    ends_at: datetime
    contribution_fen: int


def occupational_injury_csv(platform_name: str, rows: Iterable[CoveredOrder]) -> str:
    """The month's report: UTF-8 with a byte-order mark, one row per covered order, in the order given."""
    return csvfile.text(OCCUPATIONAL_INJURY_COLUMNS, (
        (platform_name, str(r.worker_id), r.name, r.id_number_masked, str(r.order_id), str(r.assignment_id),
         r.employer_name, RELATIONSHIP_NAMES.get(r.relationship_type, r.relationship_type), r.sector_code,
         r.sector_name or NO_SECTOR, r.starts_at, r.ends_at, r.contribution_fen)
        for r in rows), bom=True)
