"""The feed wires itself: its service, its route, and the audience of `shift.opened` (the workers
whose feed lists a new shift hear of it live)."""
from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from market.events import wiring as events_wiring
from market.events.relay import BatchAudience
from market.feed import views
from market.feed.keys import FEED
from market.feed.service import Feed, shift_opened_audience, shift_opened_audiences
from market.web.keys import DB


def setup(app: web.Application) -> None:
    """Call after the PostgreSQL pool's cleanup context is appended (the service is built on it)."""
    app.cleanup_ctx.append(_service)
    views.setup_routes(app)
    events_wiring.register_audience(app, "shift.opened", BatchAudience(shift_opened_audience, shift_opened_audiences))


async def _service(app: web.Application) -> AsyncIterator[None]:
    app[FEED] = Feed(app[DB])
    yield
