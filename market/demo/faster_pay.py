"""The demo's faster pay (docs/faster-pay.md): every third worker not lent by an employer chooses
daily pay (日结), so the night's payout batches pay them their day's settled work at once."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from market.demo.plan import WorkerPlan
from market.kernel.principal import Principal
from market.settlement import daily
from market.settlement.service import Settlements

EVERY = 3


async def choose_daily_pay(settlements: Settlements, plans: Sequence[WorkerPlan], principals: Sequence[Principal],
                           now: datetime) -> int:
    """Returns how many chose daily pay; a lent employee (shared labor only) is paid by the lender, never daily."""
    allowed = set(daily.daily_payout_types())
    chosen = 0
    for plan, principal in zip(plans, principals):
        if plan.index % EVERY or plan.employer is not None or not allowed & set(plan.relationships):
            continue
        assert principal.worker_id is not None
        await settlements.set_payout_preference(principal.worker_id, daily.DAILY, now=now)
        chosen += 1
    return chosen
