"""The legal relationship of an order (SPEC §2): it selects the hour limits, the minimum wage and the
taxes and contributions that apply. The member names are the values the API and the database use."""
from __future__ import annotations

import enum


class RelationshipType(enum.StrEnum):
    labor_part_time = "labor_part_time"  # 非全日制用工, 劳动合同法 arts. 68–72
    incomplete_labor = "incomplete_labor"  # 不完全符合确立劳动关系情形, 人社部发〔2021〕56号
    labor_service = "labor_service"  # 劳务关系, civil law
    shared_labor = "shared_labor"  # 共享用工, 人社厅发〔2020〕98号; kind = shared only
