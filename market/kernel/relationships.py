"""The legal relationship of an order (SPEC §2): it selects the hour limits, the minimum wage and the
taxes and contributions that apply. The member names are the values the API and the database use."""
from __future__ import annotations

import enum


class RelationshipType(enum.StrEnum):
    labor_part_time = "labor_part_time"  # 非全日制用工, 劳动合同法 arts. 68–72
    incomplete_labor = "incomplete_labor"  # 不完全符合确立劳动关系情形, 人社部发〔2021〕56号
    labor_service = "labor_service"  # 劳务关系, civil law
    shared_labor = "shared_labor"  # 共享用工, 人社厅发〔2020〕98号; kind = shared only


# 劳务派遣 is no relationship type of this market (docs/agencies.md): its rules cannot be held here.
DISPATCH_VALUES = frozenset({"dispatch", "labor_dispatch", "劳务派遣"})
DISPATCH_REFUSAL = (
    "劳务派遣 (dispatch) is not a relationship type of this market: 劳务派遣暂行规定 art. 4 caps dispatched "
    "workers at 10 % of the user's total workforce and 劳动合同法 art. 66 limits dispatch to 临时性、辅助性、"
    "替代性 positions, and the market holds neither the user's declared workforce nor its positions, so it "
    "cannot enforce them (docs/agencies.md); post the work as labor_part_time, incomplete_labor or labor_service")
