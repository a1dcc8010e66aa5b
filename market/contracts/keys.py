"""The contracts package's application keys: its service, and the pay-due rule settlement fills
(contracts sits below settlement, and an agreement states the day its pay falls due)."""
from __future__ import annotations

from aiohttp import web

from market.contracts.service import Contracts, PayDueDate

CONTRACTS = web.AppKey("contracts", Contracts)
PAY_DUE_DATE = web.AppKey("contracts_pay_due_date", PayDueDate)
