import uuid
from datetime import date
from urllib.parse import urlsplit

import pytest

from market.settlement.rates import RateBook, load_rate_book
from market.settlement.tax import LaborRemunerationTaxTable, WageTaxTable
from tests.conftest import _admin_execute, database_url

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


class DatabaseFactory:
    """Fresh databases cloned from the session's template, for tests that need more than one (one per
    hypothesis example). Each method is a coroutine: call it from the loop the test owns."""

    def __init__(self, server_url: str, template: str) -> None:
        self.server_url = server_url
        self.template = template

    async def create(self) -> str:
        name = f"market_test_{uuid.uuid4().hex[:12]}"
        await _admin_execute(self.server_url, f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
        return database_url(self.server_url, name)

    async def drop(self, url: str) -> None:
        name = urlsplit(url).path.lstrip("/")
        await _admin_execute(self.server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def database_factory(pg_server_url, template_database) -> DatabaseFactory:
    return DatabaseFactory(pg_server_url, template_database)
