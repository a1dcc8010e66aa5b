import copy
import json
from datetime import date
from fractions import Fraction
from importlib import resources

import pytest

from market.settlement.rates import RateNotInForce, load_rate_book, parse_rate_book


@pytest.fixture
def shipped_document() -> dict:
    return json.loads(resources.files("market.settlement").joinpath("data/rates.json").read_text("utf-8"))


def test_the_shipped_rate_book_has_the_chongqing_per_order_rates_from_july_2025(rate_book):
    protection = rate_book.occupational_injury_protection.in_force(date(2025, 7, 1))
    assert protection.per_order_fen("ride_hailing") == 1
    assert protection.per_order_fen("instant_delivery") == 7
    assert protection.per_order_fen("same_city_freight") == 18
    assert protection.per_order_fen("cleaning") == 7  # other sectors: the default
    assert protection.per_order_fen(None) == 7


def test_no_per_order_rate_is_in_force_before_july_2025(rate_book):
    with pytest.raises(RateNotInForce):
        rate_book.occupational_injury_protection.in_force(date(2025, 6, 30))


def test_the_shipped_defaults_are_the_documented_ones(rate_book):
    on = date(2026, 1, 1)
    assert rate_book.work_injury_insurance_rate.in_force(on) == Fraction(5, 1000)
    assert rate_book.platform_fee_rate.in_force(on) == Fraction(5, 100)
    assert rate_book.wage_tax.in_force(on).monthly_basic_deduction_fen == 500_000
    assert "PLACEHOLDER" in rate_book.work_injury_insurance_rate.version_in_force(on).source


def test_the_shared_labor_cost_allowance_is_a_placeholder_citing_the_no_profit_notice(rate_book):
    on = date(2026, 1, 1)
    allowance = rate_book.shared_labor_cost_allowance.in_force(on)
    assert (allowance.social_insurance_rate, allowance.reasonable_cost_rate) == (Fraction(20, 100), Fraction(15, 100))
    source = rate_book.shared_labor_cost_allowance.version_in_force(on).source
    assert "人社厅发〔2020〕98号" in source and "PLACEHOLDER" in source


def test_every_shipped_version_names_its_source(rate_book):
    schedules = [rate_book.labor_remuneration_tax, rate_book.wage_tax, rate_book.occupational_injury_protection,
                 rate_book.work_injury_insurance_rate, rate_book.platform_fee_rate]
    assert all(version.source.strip() for schedule in schedules for version in schedule.versions)


def test_the_rate_in_force_is_the_latest_version_that_started_on_or_before_the_day(shipped_document):
    shipped_document["platform_fee"].append(
        {"effective_from": "2026-07-01", "source": "test: fee cut", "rate_of_gross": "0.03"})
    rate_book = parse_rate_book(shipped_document)
    assert rate_book.platform_fee_rate.in_force(date(2026, 6, 30)) == Fraction(5, 100)
    assert rate_book.platform_fee_rate.in_force(date(2026, 7, 1)) == Fraction(3, 100)
    assert rate_book.platform_fee_rate.version_in_force(date(2027, 1, 1)).source == "test: fee cut"


def test_load_rate_book_reads_a_given_file(tmp_path, shipped_document):
    shipped_document["platform_fee"][0]["rate_of_gross"] = "0.08"
    path = tmp_path / "rates.json"
    path.write_text(json.dumps(shipped_document), "utf-8")
    assert load_rate_book(path).platform_fee_rate.in_force(date(2026, 1, 1)) == Fraction(8, 100)


def _broken(document: dict, change) -> dict:
    document = copy.deepcopy(document)
    change(document)
    return document


@pytest.mark.parametrize("change", [
    pytest.param(lambda d: d["platform_fee"][0].update(rate_of_gross=0.05), id="float rate"),
    pytest.param(lambda d: d["platform_fee"][0].update(rate_of_gross="1.5"), id="rate above one"),
    pytest.param(lambda d: d["platform_fee"][0].update(source=" "), id="no source"),
    pytest.param(lambda d: d["platform_fee"].append(dict(d["platform_fee"][0])), id="duplicate date"),
    pytest.param(lambda d: d["wage_tax"][0]["brackets"].pop(), id="no unbounded bracket"),
    pytest.param(lambda d: d["wage_tax"][0]["brackets"][1].update(up_to_fen=100), id="decreasing bounds"),
    pytest.param(lambda d: d["occupational_injury_protection"][0].update(default_per_order_fen=-7),
                 id="negative fen"),
    pytest.param(lambda d: d.pop("wage_tax"), id="missing schedule"),
    pytest.param(lambda d: d["labor_remuneration_tax"][0].pop("flat_deduction_fen"), id="missing field"),
])
def test_a_broken_rate_file_is_refused_at_load(shipped_document, change):
    with pytest.raises(ValueError):
        parse_rate_book(_broken(shipped_document, change))
