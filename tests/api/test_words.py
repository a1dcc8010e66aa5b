"""What the API says in words: refusals name the caller as English does ("an employer"), and
the same fact reads the same wherever it is refused; times in a refusal's ctx are in +08:00 like
every time a response carries (docs/api-conventions.md)."""
from datetime import date, datetime, timezone

from market.catalogue.model import MinimumWage
from market.employment.model import wage_problem
from market.orders.model import Interval
from market.orders.rules import overlap_refusal
from market.accounts.keys import ACCOUNTS
from tests import factories


async def test_a_refusal_names_the_callers_role_with_the_article_english_wants(client):
    employer = await factories.employer(client, escrow_fen=0)
    refused = await client.get("/v1/workers/me/offers", headers=employer.auth)
    assert refused.status == 403
    assert (await refused.json())["detail"] == "an employer may not call this endpoint"
    admin = await client.app[ACCOUNTS].create_staff("admin", "运营", [])
    refused = await client.get("/v1/workers/me/offers", headers={"Authorization": f"Bearer {admin.token}"})
    assert (await refused.json())["detail"] == "an admin may not call this endpoint"
    worker = await factories.worker(client)
    refused = await client.get("/v1/employers/me/balance", headers=worker.auth)
    assert (await refused.json())["detail"] == "a worker may not call this endpoint"


def test_a_wage_below_the_minimum_reads_the_same_for_an_employee_as_for_an_order():
    """docs/orders-rules.md: `below the hourly minimum wage of 23.00 yuan (2300 fen) for tier 1 on …`."""
    minimum = MinimumWage(tier=1, effective_from=date(2025, 1, 1), hourly_fen=2300, monthly_fen=2200_00)
    problem = wage_problem(2000, minimum, "渝中区", date(2026, 12, 1))
    assert problem.msg == ("2000 fen an hour is below the hourly minimum wage of 23.00 yuan (2300 fen) "
                           "for tier 1 (渝中区) on 2026-12-01")


def test_the_shift_an_overlap_refusal_names_is_written_in_shanghai_time():
    held = [Interval(datetime(2026, 12, 1, 1, 0, tzinfo=timezone.utc), datetime(2026, 12, 1, 5, 0, tzinfo=timezone.utc))]
    candidate = Interval(datetime(2026, 12, 1, 4, 0, tzinfo=timezone.utc), datetime(2026, 12, 1, 6, 0, tzinfo=timezone.utc))
    refusal = overlap_refusal(held, candidate)
    assert (refusal.ctx["held_start"], refusal.ctx["held_end"]) == ("2026-12-01T09:00:00+08:00",
                                                                    "2026-12-01T13:00:00+08:00")
