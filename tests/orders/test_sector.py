"""An order's 职业伤害保障 sector is checked against the sector catalogue when it is posted (pure)."""
from __future__ import annotations

from market.orders.rules import review_order

from .factories import DISTRICT_TIERS, MINIMUM_WAGES, NOW, gig_order, shared_order

CATALOGUE = {"catering", "instant_delivery", "retail"}


def errors(order):
    return review_order(order, now=NOW, minimum_wages=MINIMUM_WAGES, district_tiers=DISTRICT_TIERS,
                        known_sector_codes=CATALOGUE).errors


def test_a_sector_of_the_catalogue_is_accepted():
    assert errors(gig_order(sector_code="catering")) == ()


def test_no_sector_is_accepted_and_pays_the_default_rate_later():
    assert errors(gig_order()) == ()


def test_a_sector_not_in_the_catalogue_is_an_error_on_sector_code():
    [error] = errors(gig_order(sector_code="piracy"))
    assert error.loc == ("sector_code",) and error.ctx == {"sector_code": "piracy"}


def test_a_shared_order_is_checked_the_same_way():
    assert [e.loc for e in errors(shared_order(sector_code="piracy"))] == [("sector_code",)]
