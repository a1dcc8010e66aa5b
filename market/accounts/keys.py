"""The accounts package's application keys."""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Protocol

from aiohttp import web

from market.accounts.service import Accounts


class RedFlags(Protocol):
    """Whether an employer is red-flagged for unpaid wage arrears: the settlement package's to
    compute (its arrears table); GET /v1/employers/me shows it beside the organisation."""

    async def red_flag_since(self, organisation_id: uuid.UUID) -> datetime | None: ...


ACCOUNTS = web.AppKey("accounts", Accounts)
# Filled by the settlement package's wiring (market/settlement/wiring.py).
RED_FLAGS = web.AppKey("red_flags", RedFlags)
