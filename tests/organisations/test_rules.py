"""What each member role may call (market/organisations/rules.py): pure, no server."""
from __future__ import annotations

import uuid

from market.kernel.principal import Principal
from market.organisations import agency_rules
from market.organisations.rules import refusal

SITE = uuid.uuid4()


def member(role: str | None, **more) -> Principal:
    return Principal(uuid.uuid4(), "employer", "m", organisation_id=uuid.uuid4(), organisation_role=role, **more)


def test_an_owner_and_an_in_process_caller_may_call_anything():
    for role in ("owner", None):
        assert refusal(member(role), "POST", "/v1/some/route/added/later") is None


def test_a_route_not_listed_is_the_owners_alone():
    assert refusal(member("site_manager"), "POST", "/v1/some/route/added/later") is not None
    assert refusal(member("finance"), "GET", "/v1/employers/me/events") is not None


def test_a_site_manager_runs_orders_and_timesheets_but_not_money():
    manager = member("site_manager", site_ids=frozenset({SITE}))
    assert refusal(manager, "POST", "/v1/orders") is None
    assert refusal(manager, "POST", "/v1/assignments/{id}/approve") is None
    assert refusal(manager, "GET", "/v1/employers/me/statements") is not None
    assert refusal(manager, "POST", "/v1/employers/me/deposits") is not None
    assert manager.sees_site(SITE) and not manager.sees_site(uuid.uuid4()) and not manager.sees_site(None)


def test_finance_reads_money_and_posts_nothing():
    finance = member("finance")
    assert refusal(finance, "GET", "/v1/employers/me/statements") is None
    assert refusal(finance, "GET", "/v1/employers/me/invoices/{id}") is None  # the invoices part's, by prefix
    assert refusal(finance, "GET", "/v1/agencies/me/fees") is None  # an agency's fees (docs/agencies.md)
    assert refusal(member("site_manager"), "GET", "/v1/agencies/me/fees") is not None
    assert refusal(finance, "POST", "/v1/orders") is not None
    assert refusal(finance, "POST", "/v1/assignments/{id}/approve") is not None


def test_an_agency_calls_what_its_mandate_scope_lists():
    acting = member("agency", mandate_scope=frozenset({"post_orders"}))
    assert refusal(acting, "POST", "/v1/orders") is None
    assert "mandate" in (refusal(acting, "POST", "/v1/assignments/{id}/approve") or "")
    assert refusal(member("agency", mandate_scope=frozenset({"approve_timesheets"})), "POST",
                   "/v1/assignments/{id}/approve") is None


def test_the_fee_is_the_fixed_part_plus_the_rate_rounded_half_up():
    assert agency_rules.agency_fee_fen(10_000, 2_000, 500) == 2_500
    assert agency_rules.agency_fee_fen(1, 0, 5_000) == 1  # 0.5 fen rounds up
    assert agency_rules.agency_fee_fen(0, 0, 5_000) == 0


def test_the_budget_refuses_what_exceeds_what_is_left():
    assert agency_rules.budget_refusal(100, 60, 40) is None
    assert "40 fen" in (agency_rules.budget_refusal(100, 60, 41) or "")
