"""The rules of HR service agencies (docs/agencies.md): licence numbers, validity, mandates, the
cost an order commits against a mandate's budget. Pure."""
from __future__ import annotations

import re
from datetime import date

LICENCE_KINDS = ("hr_service", "labor_dispatch")
# Accepted forms of a licence number (docs/agencies.md): the 字号 as printed on the certificate,
# 〔省/市简称〕人服证字〔年〕第N号 (劳务派遣经营许可证: 劳派证字 or 劳派字), or the numeric number a
# bureau's electronic licence carries: the issuing bureau's 6-digit administrative division code
# (GB/T 2260), the year of issue and a 3–8 digit sequence. The operator's review checks the number
# against the certificate itself; the format check only refuses what cannot be one.
_PRINTED = {
    "hr_service": re.compile(r"^[\u4e00-\u9fa5]{1,6}人服证字[〔\[（(]?(19|20)\d{2}[〕\]）)]?第?\d{1,12}号$"),
    "labor_dispatch": re.compile(r"^[\u4e00-\u9fa5]{1,6}劳派(证)?字[〔\[（(]?(19|20)\d{2}[〕\]）)]?第?\d{1,12}号$"),
}
_NUMERIC = re.compile(r"^[1-8]\d{5}(19|20)\d{2}\d{3,8}$")
# 劳务派遣行政许可实施办法 (人社部令第19号) art. 14: a 劳务派遣经营许可证 is valid for 3 years.
DISPATCH_LICENCE_YEARS = 3


def normalise_number(number: str) -> str:
    return re.sub(r"\s+", "", number)


def number_problem(kind: str, number: str) -> str | None:
    if _PRINTED[kind].match(number) or _NUMERIC.match(number):
        return None
    example = "渝人服证字〔2021〕第0103001号" if kind == "hr_service" else "渝劳派证字〔2022〕第0012号"
    return (f"not a licence number: give it as printed (e.g. {example}) or as the electronic licence's number "
            "(district code, year, sequence: e.g. 5001032021001234)")


def validity_problem(kind: str, valid_from: date, valid_until: date, today: date) -> str | None:
    if valid_until < valid_from:
        return "valid_until precedes valid_from"
    if valid_until < today:
        return "this licence has expired"
    if kind == "labor_dispatch":
        try:
            cap = valid_from.replace(year=valid_from.year + DISPATCH_LICENCE_YEARS)
        except ValueError:  # 29 February
            cap = valid_from.replace(year=valid_from.year + DISPATCH_LICENCE_YEARS, day=28)
        if valid_until > cap:
            return "a 劳务派遣经营许可证 is valid for 3 years (劳务派遣行政许可实施办法 art. 14)"
    return None


def licence_refusal(state: str | None, valid_from: date | None, valid_until: date | None, today: date) -> str | None:
    """Why an agency may not post (its 人力资源服务许可证 is missing, unreviewed, rejected or out
    of date); None when it may."""
    if state is None:
        return "the agency has no 人力资源服务许可证 on record (POST /v1/agencies/me/licences)"
    if state != "verified":
        return f"the agency's 人力资源服务许可证 is {state}, not verified by the operator: it may not post orders"
    assert valid_from is not None and valid_until is not None
    if not valid_from <= today <= valid_until:
        return f"the agency's 人力资源服务许可证 is valid {valid_from} to {valid_until}, not today: it may not post orders"
    return None


def mandate_refusal(state: str, valid_from: date, valid_until: date, today: date) -> str | None:
    if state != "active":
        return "this mandate is revoked"
    if not valid_from <= today <= valid_until:
        return f"this mandate is valid {valid_from} to {valid_until}, not today"
    return None


def budget_refusal(budget_fen: int, committed_fen: int, cost_fen: int) -> str | None:
    if committed_fen + cost_fen > budget_fen:
        return (f"the mandate's budget does not cover this order: it would cost up to {cost_fen} fen and "
                f"{budget_fen - committed_fen} fen of the budget's {budget_fen} are left")
    return None


def agency_fee_fen(gross_fen: int, fee_per_placement_fen: int, fee_rate_bp: int) -> int:
    """The agency's service fee for one settled placement: the fixed fee plus the rate (basis points
    of the worker's gross pay), rounded half up to the fen."""
    return fee_per_placement_fen + (gross_fen * fee_rate_bp + 5_000) // 10_000
