"""职业伤害保障 by sector and date, and 宽放 waiting time on the lines and the pay slip (pure rules)."""
from __future__ import annotations

import copy
import json
from datetime import date
from importlib import resources

import pytest

from market.settlement.rates import parse_rate_book
from market.settlement.rules import LineKind, Timesheet, gross_for_minutes, pay_slip, settle_labor_service
from market.settlement.tax import LaborRemunerationMonthToDate
from tests.settlement.test_rules import incomplete_labor, labor_service, part_time

MID_MARCH = date(2026, 3, 16)


def shipped_document() -> dict:
    return json.loads(resources.files("market.settlement").joinpath("data/rates.json").read_text("utf-8"))


def catalogue_sector_codes() -> set[str]:
    document = json.loads(resources.files("market.catalogue").joinpath("data", "sectors.json").read_text("utf-8"))
    return {sector["code"] for sector in document["sectors"]}


@pytest.fixture(scope="module")
def book_with_a_mid_month_change():
    """The shipped rate book with a (made-up) version from 2026-03-16 raising instant delivery to 0.09 yuan."""
    document = copy.deepcopy(shipped_document())
    later = copy.deepcopy(document["occupational_injury_protection"][-1])
    later.update(effective_from=MID_MARCH.isoformat(), source="test: a change in the middle of March")
    later["per_order_fen_by_sector"]["instant_delivery"] = 9
    document["occupational_injury_protection"].append(later)
    return parse_rate_book(document)


def protection_fen(settlement) -> int:
    return settlement.total_fen(LineKind.OCCUPATIONAL_INJURY_PROTECTION)


def test_every_sector_the_rate_book_prices_is_in_the_sector_catalogue():
    for version in shipped_document()["occupational_injury_protection"]:
        assert set(version["per_order_fen_by_sector"]) <= catalogue_sector_codes()


@pytest.mark.parametrize("sector, fen", [("ride_hailing", 1), ("instant_delivery", 7), ("same_city_freight", 18),
                                         ("catering", 7), ("construction", 7), (None, 7)])
def test_the_per_order_contribution_follows_the_orders_sector(rate_book, sector, fen):
    sheet = Timesheet(date(2026, 3, 2), worked_minutes=120, hourly_rate_fen=3_000, sector_code=sector)
    assert protection_fen(labor_service(rate_book, sheet)) == fen
    assert protection_fen(incomplete_labor(rate_book, sheet)) == fen


def test_a_rate_change_in_the_middle_of_the_month_applies_from_its_shift_day(book_with_a_mid_month_change):
    def on(day: date) -> int:
        sheet = Timesheet(day, worked_minutes=120, hourly_rate_fen=3_000, sector_code="instant_delivery")
        return protection_fen(labor_service(book_with_a_mid_month_change, sheet))
    assert on(date(2026, 3, 15)) == 7
    assert on(MID_MARCH) == 9
    assert on(date(2026, 3, 31)) == 9
    # A sector the new version does not touch keeps its rate.
    freight = Timesheet(MID_MARCH, worked_minutes=120, hourly_rate_fen=3_000, sector_code="same_city_freight")
    assert protection_fen(labor_service(book_with_a_mid_month_change, freight)) == 18


def test_a_shift_settled_after_the_change_still_pays_the_rate_of_its_shift_day(book_with_a_mid_month_change):
    sheet = Timesheet(date(2026, 3, 15), worked_minutes=120, hourly_rate_fen=3_000, sector_code="instant_delivery")
    settled_late = settle_labor_service(sheet, hourly_minimum_fen=2_300, month_to_date=LaborRemunerationMonthToDate(),
                                        rate_book=book_with_a_mid_month_change, settled_on=date(2026, 3, 20))
    assert protection_fen(settled_late) == 7


def test_waiting_time_is_paid_at_the_rate_and_shown_apart_from_the_worked_minutes(rate_book):
    sheet = Timesheet(date(2026, 3, 2), worked_minutes=170, waiting_minutes=40, hourly_rate_fen=2_500)
    settlement = incomplete_labor(rate_book, sheet)
    assert settlement.total_fen(LineKind.WAITING_TIME_WAGE) == gross_for_minutes(2_500, 40) == 1_667
    assert settlement.gross_fen == gross_for_minutes(2_500, 210) == 8_750
    assert settlement.total_fen(LineKind.GROSS_WAGE) == 8_750 - 1_667  # the two add up to one rounding
    assert settlement.total_fen(LineKind.PLATFORM_FEE) == 438  # 5 % of the whole gross, waiting included
    slip = pay_slip(settlement)
    assert [(line.kind, line.amount_fen) for line in slip.earnings] == [("gross_wage", 7_083),
                                                                       ("waiting_time_wage", 1_667)]
    assert "宽放" in slip.earnings[1].label and slip.gross_fen == 8_750


def test_part_time_waiting_time_is_wages_too(rate_book):
    settlement = part_time(rate_book, Timesheet(date(2026, 3, 2), worked_minutes=180, waiting_minutes=60,
                                                hourly_rate_fen=2_400))
    assert settlement.gross_fen == 9_600 and settlement.total_fen(LineKind.WAITING_TIME_WAGE) == 2_400
    assert settlement.total_fen(LineKind.WORK_INJURY_INSURANCE) == 48  # 0.5 % of the whole gross


def test_a_shift_without_waiting_keeps_one_gross_line_and_no_earnings_on_the_slip(rate_book):
    settlement = incomplete_labor(rate_book, Timesheet(date(2026, 3, 2), worked_minutes=120, hourly_rate_fen=2_500))
    assert [line.kind for line in settlement.lines].count(LineKind.GROSS_WAGE) == 1
    assert LineKind.WAITING_TIME_WAGE not in {line.kind for line in settlement.lines}
    assert pay_slip(settlement).earnings == ()
