"""The settlement service, one object made of its jobs, each in its own module:

- deposits.py — deposits into escrow, their confirmation, the balance and the red flag;
- sweep.py — settling approved timesheets: at approval, in the scheduled sweep, on an order's cancellation;
- statements.py — pay slips, the employer's monthly statement, the lender's wage-leg confirmation;
- payouts.py — payout batches, their bank file and the bank's confirmation;
- arrears.py — wages owed past their due date;
- audit.py — the ledger check.

Each owns its transactions; object-level checks live there (another party's settlement is a 404).
Money moves only through `ledger.post_entries`; settlements are computed and posted only by
`batch.settle`. Timesheets are attendance's (market/attendance); what their approval and no-show do
to the money is `Settling.settle_approved` and `release_hold`."""
from __future__ import annotations

import asyncpg

from market.attendance.service import Attendance, rules_of
from market.catalogue.service import Catalogue
from market.config import Settings
from market.settlement.audit import LedgerCheck, LedgerReport
from market.settlement.deposits import Deposits
from market.settlement.payouts import Payouts
from market.settlement.statements import Statements
from market.settlement.sweep import (
    SETTLE_BATCH, SETTLE_LANES, SETTLE_PARTITIONS, Settling, settle_order_cancellation,
)

__all__ = ["SETTLE_BATCH", "SETTLE_LANES", "SETTLE_PARTITIONS", "LedgerReport", "Settlements",
           "settle_order_cancellation"]


class Settlements(Deposits, Settling, Statements, Payouts, LedgerCheck):  # Settling is also Arrears
    def __init__(self, pool: asyncpg.Pool, catalogue: Catalogue, settings: Settings) -> None:
        self.pool = pool
        self.catalogue = catalogue
        self.settings = settings
        # The sweep's automatic approval is attendance's; what it does to the money is ours.
        self.attendance = Attendance(pool, rules_of(settings), money=lambda: self)
