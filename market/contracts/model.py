"""Written agreements, pure: what each relationship type asks for, the terms an agreement is filled
with, the filled document, and the rules of signing (docs/agreements.md).

A template is package data (market/contracts/templates/<relationship type>.v<n>.txt), versioned:
a contract records the version it was rendered from, so a later wording never changes an
agreement already made. A template is a title line and clauses; a clause starts with a line
`§ <key> <heading>` and its paragraphs are the lines that follow, with `{name}` fields filled from
`Terms.fields()`. Nothing here does I/O except reading the package's own templates.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any

from market.kernel.clock import SHANGHAI
from market.kernel.relationships import RelationshipType

TEMPLATE_VERSION = 1


@dataclass(frozen=True)
class Requirement:
    """Who signs an agreement of a relationship type, and whether the law asks for it in writing
    (then the worker cannot check in before every party has signed)."""

    roles: tuple[str, ...]
    written_required: bool
    basis: str


REQUIREMENTS = {
    RelationshipType.labor_part_time: Requirement(
        ("employer", "worker"), False,
        "劳动合同法第六十九条：非全日制用工双方当事人可以订立口头协议；书面记录仍予提供，供双方留存。"),
    RelationshipType.incomplete_labor: Requirement(
        ("employer", "worker"), True,
        "人社部发〔2021〕56号、渝人社发〔2021〕38号：不完全符合确立劳动关系情形的，企业应与劳动者订立书面协议。"),
    RelationshipType.labor_service: Requirement(
        ("employer", "worker"), True,
        "民法典合同编：劳务协议以书面形式载明工作内容、报酬和责任，本平台要求签署后方可上岗。"),
    RelationshipType.shared_labor: Requirement(
        ("employer", "lender", "worker"), True,
        "人社厅发〔2020〕98号：原用人单位与劳动者协商一致变更劳动合同，并与借用单位订立共享用工协议。"),
}

# What each relationship type means for the worker, in the agreement's words (RULES.md).
MEANING = {
    RelationshipType.labor_part_time: (
        "本协议为非全日制用工，属于劳动关系（劳动合同法第六十八条至第七十二条）：以小时计酬，同一用人单位"
        "平均每日工作时间不超过四小时，每周累计不超过二十四小时；不得约定试用期；任何一方可以随时通知对方"
        "终止用工，用人单位不向劳动者支付经济补偿；小时工资不低于用工地小时最低工资标准。"),
    RelationshipType.incomplete_labor: (
        "本协议为不完全符合确立劳动关系情形的书面协议（人社部发〔2021〕56号，渝人社发〔2021〕38号）：企业对"
        "劳动过程进行管理，但双方不建立完整的劳动关系。劳动者享有最低工资保障（不低于用工地小时最低工资标准），"
        "工作时间包括企业要求的等候时间（宽放时间），企业引导和支持劳动者参加社会保险。"),
    RelationshipType.labor_service: (
        "本协议为劳务协议，属于民事关系：乙方以自己的名义独立提供劳务，不与甲方建立劳动关系，不适用"
        "劳动法关于工作时间和最低工资的规定；甲方按次支付劳务报酬并依法代扣代缴个人所得税（劳务报酬所得）。"),
    RelationshipType.shared_labor: (
        "本协议为共享用工三方协议（人社厅发〔2020〕98号）：劳动者与原用人单位（出借方）的劳动关系不变，"
        "由出借方足额按时支付工资并继续缴纳社会保险，不得克扣或收取任何费用；借用方按约定向出借方结算费用，"
        "并保障劳动者合理的工作时间、休息、劳动安全和劳动保护。借用方严重违约的，劳动者可以返回出借方。"),
}

INSURANCE = {
    RelationshipType.labor_part_time: (
        "用人单位为劳动者缴纳工伤保险费（劳动合同法第七十二条、工伤保险条例）；发生工伤的，按工伤保险规定享受待遇。"),
    RelationshipType.incomplete_labor: (
        "本次用工纳入新就业形态就业人员职业伤害保障（人社部发〔2021〕110号、人社部发〔2025〕24号，重庆为试点地区）："
        "平台按单缴纳职业伤害保障费，每一单均在保障范围内，劳动者个人不缴费。"),
    RelationshipType.labor_service: (
        "以平台名义承接的本次劳务纳入职业伤害保障试点（人社部发〔2021〕110号）：平台按单缴费，劳动者个人不缴费；"
        "双方不建立劳动关系，甲方不缴纳社会保险。"),
    RelationshipType.shared_labor: (
        "出借方继续为劳动者缴纳各项社会保险（含工伤保险）；借用方提供必要的劳动保护用品和安全条件，"
        "劳动者在借用期间发生工伤的，由出借方依法承担工伤保险责任，借用方协助处理（人社厅发〔2020〕98号）。"),
}

PAY_UNITS = {"hour": "小时", "day": "日", "piece": "件"}


@dataclass(frozen=True)
class Party:
    role: str  # employer (the borrower, for shared labor), lender, worker
    party_id: uuid.UUID  # an organisation's id, or the worker's
    name: str
    detail: str  # an organisation's 统一社会信用代码; a worker's masked resident ID (never the clear one)


@dataclass(frozen=True)
class Shift:
    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True)
class Terms:
    """What an agreement is filled with: the order's terms as they stood when the contract was made."""

    contract_id: uuid.UUID
    relationship: RelationshipType
    parties: tuple[Party, ...]
    title: str
    description: str
    district_name: str
    site_address: str
    shifts: tuple[Shift, ...]
    pay_unit: str
    pay_amount_fen: int
    pay_stated_hours: Decimal | None
    pay_cycle_days: int
    pay_due_date: date
    late_cancel_window_minutes: int
    late_cancel_compensation_minutes: int
    no_show_grace_minutes: int
    made_at: datetime
    # shared labor: the employee's own wage (paid by the lender) and the borrower's fee to the lender
    wage_hourly_fen: int | None = None
    fee_per_worker_day_fen: int | None = None

    def party(self, role: str) -> Party:
        return next(p for p in self.parties if p.role == role)

    def fields(self) -> dict[str, str]:
        """The `{name}` fields of the templates, as the agreement prints them."""
        employer, worker = self.party("employer"), self.party("worker")
        lender = next((p for p in self.parties if p.role == "lender"), None)
        hours = f"（每{PAY_UNITS[self.pay_unit]}按 {self.pay_stated_hours} 小时计）" if self.pay_stated_hours else ""
        return {
            "contract_no": str(self.contract_id),
            "template_version": template_version(self.relationship),
            "employer_name": employer.name, "employer_code": employer.detail,
            "worker_name": worker.name, "worker_id_masked": worker.detail,
            "lender_name": lender.name if lender else "", "lender_code": lender.detail if lender else "",
            "title": self.title, "description": self.description or "（见订单说明）",
            "district_name": self.district_name, "site_address": self.site_address or "（见订单地点）",
            "shifts": "；".join(f"{_local(s.starts_at)} 至 {_local(s.ends_at)}" for s in self.shifts),
            "pay": f"{yuan(self.pay_amount_fen)} 元/{PAY_UNITS[self.pay_unit]}{hours}",
            "pay_cycle_days": str(self.pay_cycle_days),
            "pay_due_date": self.pay_due_date.isoformat(),
            "late_cancel_window_hours": _hours(self.late_cancel_window_minutes),
            "late_cancel_compensation_hours": _hours(self.late_cancel_compensation_minutes),
            "no_show_grace_minutes": str(self.no_show_grace_minutes),
            "wage_hourly": yuan(self.wage_hourly_fen) if self.wage_hourly_fen is not None else "",
            "fee_per_worker_day": yuan(self.fee_per_worker_day_fen) if self.fee_per_worker_day_fen is not None else "",
            "meaning": MEANING[self.relationship],
            "insurance": INSURANCE[self.relationship],
            "requirement": REQUIREMENTS[self.relationship].basis,
            "made_on": _local(self.made_at)[:10],
        }

    def as_json(self) -> dict[str, Any]:
        """The terms as the contract row keeps them (and GET …/agreement shows them)."""
        return {
            "relationship_type": self.relationship.value,
            "parties": [{"role": p.role, "id": str(p.party_id), "name": p.name, "detail": p.detail}
                        for p in self.parties],
            "title": self.title, "district_name": self.district_name, "site_address": self.site_address,
            "shifts": [{"starts_at": s.starts_at.isoformat(), "ends_at": s.ends_at.isoformat()} for s in self.shifts],
            "pay": {"unit": self.pay_unit, "amount_fen": self.pay_amount_fen,
                    "stated_hours": str(self.pay_stated_hours) if self.pay_stated_hours is not None else None,
                    "cycle_days": self.pay_cycle_days, "due_date": self.pay_due_date.isoformat(),
                    "wage_hourly_fen": self.wage_hourly_fen, "fee_per_worker_day_fen": self.fee_per_worker_day_fen},
            "late_cancel": {"window_minutes": self.late_cancel_window_minutes,
                            "compensation_minutes": self.late_cancel_compensation_minutes},
            "no_show_grace_minutes": self.no_show_grace_minutes,
        }


@dataclass(frozen=True)
class Clause:
    key: str
    heading: str
    paragraphs: tuple[str, ...]


@dataclass(frozen=True)
class Document:
    """A filled template: what the PDF prints."""

    title: str
    version: str
    clauses: tuple[Clause, ...]
    made_at: datetime  # the PDF's fixed creation date: the same agreement renders the same bytes

    def text(self) -> str:
        return "\n".join([self.title] + [f"{c.heading}\n" + "\n".join(c.paragraphs) for c in self.clauses])


def template_version(relationship: RelationshipType, version: int = TEMPLATE_VERSION) -> str:
    return f"{relationship.value}/v{version}"


@cache
def template_text(relationship: RelationshipType, version: int = TEMPLATE_VERSION) -> str:
    return (resources.files("market.contracts").joinpath("templates", f"{relationship.value}.v{version}.txt")
            .read_text(encoding="utf-8"))


def parse_template(text: str) -> tuple[str, list[tuple[str, str, list[str]]]]:
    """A template's title and its clauses (key, heading, paragraph lines), fields not yet filled."""
    lines = [line.rstrip() for line in text.splitlines() if line.strip() and not line.startswith("#")]
    title = lines[0]
    clauses: list[tuple[str, str, list[str]]] = []
    for line in lines[1:]:
        if line.startswith("§ "):
            key, heading = line[2:].split(" ", 1)
            clauses.append((key, heading, []))
        else:
            clauses[-1][2].append(line.strip())
    return title, clauses


def fill(terms: Terms, version: int = TEMPLATE_VERSION) -> Document:
    """The agreement of `terms` from its relationship type's template `version`."""
    values = terms.fields()
    title, clauses = parse_template(template_text(terms.relationship, version))
    return Document(title.format_map(values), template_version(terms.relationship, version), tuple(
        Clause(key, heading.format_map(values), tuple(p.format_map(values) for p in paragraphs))
        for key, heading, paragraphs in clauses), terms.made_at)


def clause_keys(relationship: RelationshipType, version: int = TEMPLATE_VERSION) -> list[str]:
    return [key for key, _, _ in parse_template(template_text(relationship, version))[1]]


# ---- signing ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Signature:
    role: str
    party_id: uuid.UUID
    account_id: uuid.UUID
    sha256: str  # hex
    signed_at: datetime


@dataclass(frozen=True)
class Contract:
    """A contract as its views and rules read it: the row, its signatures and who its parties are."""

    id: uuid.UUID
    assignment_id: uuid.UUID | None
    agreement_id: uuid.UUID | None
    relationship: RelationshipType
    template_version: str
    required_roles: tuple[str, ...]
    state: str  # pending (not rendered yet), rendered, signed (by every party)
    sha256: str | None
    terms: dict[str, Any] | None
    created_at: datetime
    rendered_at: datetime | None
    signed_at: datetime | None
    district_code: str
    party_ids: dict[str, uuid.UUID]  # role → the organisation or the worker
    signatures: tuple[Signature, ...] = field(default=())

    @property
    def written_required(self) -> bool:
        return REQUIREMENTS[self.relationship].written_required

    def missing_roles(self) -> list[str]:
        signed = {s.role for s in self.signatures}
        return [role for role in self.required_roles if role not in signed]

    def roles_of(self, party_id: uuid.UUID | None) -> list[str]:
        return [role for role in self.required_roles if self.party_ids.get(role) == party_id]


def sign_refusal(contract: Contract, role: str, sha256: str) -> str | None:
    """Why `role` may not sign `contract` with `sha256` now, or None (the 409s of signing)."""
    if contract.state == "pending":
        return "the agreement is still being rendered; sign its document once it is there"
    if any(s.role == role for s in contract.signatures):
        return f"the {role} has already signed this agreement"
    if sha256 != contract.sha256:
        return "this hash is not the agreement's: the document signed must be the one rendered"
    return None


def check_in_refusal(contract: Contract | None) -> str | None:
    """Why the worker may not check in yet, or None: where the law asks for a written agreement,
    every party has signed it first. An assignment made before agreements existed has none."""
    if contract is None or not contract.written_required or contract.state == "signed":
        return None
    return ("the written agreement this work requires is not signed by every party yet (missing: "
            + ", ".join(contract.missing_roles()) + ")")


# ---- formatting ---------------------------------------------------------------------------------------


def yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def _hours(minutes: int) -> str:
    return f"{Decimal(minutes) / 60:.2f}".rstrip("0").rstrip(".")


def _local(moment: datetime) -> str:
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
