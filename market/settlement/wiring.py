"""Settlement wires itself: the service, its routes, the sweeps in the background of every
`market serve` (market/settlement/tasks.py), and the red flag that accounts show."""
from __future__ import annotations

from typing import AsyncIterator

from aiohttp import web

from market.accounts.keys import RED_FLAGS
from market.attendance.keys import TIMESHEET_MONEY
from market.bids.keys import LENDING_COST_ALLOWANCES
from market.catalogue.keys import CATALOGUE
from market.contracts.keys import PAY_DUE_DATE
from market.orders.keys import CANCELLATION_SETTLEMENT
from market.settlement import escrow, rules, views
from market.settlement.keys import SETTLEMENTS
from market.settlement.service import Settlements, settle_order_cancellation
from market.settlement.tasks import payout_slots, settlement_sweeps
from market.web.keys import DB, SETTINGS


def setup(app: web.Application) -> None:
    """Call after the catalogue's setup (the service reads it)."""
    app.cleanup_ctx.append(_service)
    app.cleanup_ctx.append(settlement_sweeps)
    app.cleanup_ctx.append(_payout_slots)  # faster pay: the payout schedule's slots
    views.setup_routes(app)


async def _service(app: web.Application) -> AsyncIterator[None]:
    settlements = Settlements(app[DB], app[CATALOGUE], app[SETTINGS])
    app[SETTLEMENTS] = settlements
    app[RED_FLAGS] = settlements  # GET /v1/employers/me (accounts) shows the red flag it computes
    app[TIMESHEET_MONEY] = settlements  # what approvals and no-shows do to the money (attendance)
    app[CANCELLATION_SETTLEMENT] = settle_order_cancellation  # what cancelling an order does to it (orders)
    app[LENDING_COST_ALLOWANCES] = escrow.rate_book().shared_labor_cost_allowance  # a lender's fee (bids)
    app[PAY_DUE_DATE] = rules.pay_due_date  # the pay due day a written agreement states (contracts)
    yield


async def _payout_slots(app: web.Application) -> AsyncIterator[None]:
    if not app[SETTINGS].payouts_in_serve:
        yield
        return
    async for _ in payout_slots(app):
        yield
