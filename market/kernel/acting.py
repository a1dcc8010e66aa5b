"""Who is acting: the account behind the change being made, for the record (docs/organisations.md).

An organisation has several members (owner, site managers, finance), so "the employer did it" no
longer says who. The auth middleware (market/web/auth.py) sets `acting_account` for the request
being served; `market.events.outbox.emit` writes it into every event's payload as
`actor_account_id`, so every action that is recorded as an event (order posted, timesheet approved,
disputed, no-show, member added...) names the account that did it. A change made by no request (a
sweep, the allocation worker, the demo) has none and its events carry no actor.
"""
from __future__ import annotations

import contextvars
import uuid

acting_account: contextvars.ContextVar[uuid.UUID | None] = contextvars.ContextVar("acting_account", default=None)
