from datetime import date

import pytest

from market.settlement.rates import RateBook, load_rate_book
from market.settlement.tax import LaborRemunerationTaxTable, WageTaxTable

# A day on which every shipped rate is in force (职业伤害保障 rates start 2025-07-01).
IN_FORCE_ON = date(2026, 3, 2)


@pytest.fixture(scope="session")
def rate_book() -> RateBook:
    return load_rate_book()


@pytest.fixture(scope="session")
def labor_table(rate_book: RateBook) -> LaborRemunerationTaxTable:
    return rate_book.labor_remuneration_tax.in_force(IN_FORCE_ON)


@pytest.fixture(scope="session")
def wage_table(rate_book: RateBook) -> WageTaxTable:
    return rate_book.wage_tax.in_force(IN_FORCE_ON)
