"""The filings' objects in the security world: a payer and a month to export."""
from __future__ import annotations

from datetime import datetime

from market.kernel.clock import SHANGHAI


async def build(conn, ids: dict[str, str]) -> None:
    """The payer of the world's settlement and the current month (the export answers for any payer)."""
    ids["filings_payer"] = str(await conn.fetchval("SELECT organisation_id FROM settlements LIMIT 1"))
    ids["filings_month"] = datetime.now(SHANGHAI).strftime("%Y-%m")
