"""Written agreements are tested with the check-in gate on, as `market serve` runs it (the other
suites turn it off: tests/server_fixtures.py)."""
import pytest


@pytest.fixture
def settings(settings):
    return settings.model_copy(update={"check_in_needs_signed_agreement": True})
