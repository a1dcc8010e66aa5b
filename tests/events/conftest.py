from __future__ import annotations

import pytest

from market import db
from market.app import create_app
from market.events import wiring as events_wiring
from market.web.endpoint import assert_routes_declared
from tests.events.support import DISTRICT_NOTICE, workers_in_the_district


@pytest.fixture
async def pool(database):
    created = await db.create_pool(database, min_size=1, max_size=10)
    yield created
    await created.close()


@pytest.fixture
async def events_client(settings, aiohttp_client):
    """The app with the events package set up (as app.py does; a second setup is a no-op), and the
    relay running inside it."""
    app = create_app(settings)
    events_wiring.register_audience(app, DISTRICT_NOTICE, workers_in_the_district)
    events_wiring.setup(app)
    assert_routes_declared(app)
    return await aiohttp_client(app)


@pytest.fixture
def checks_event_payloads() -> bool:
    """These tests drive the event pipeline with made-up kinds and payloads (tests/conftest.py)."""
    return False
