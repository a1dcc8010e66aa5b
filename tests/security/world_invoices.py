"""The invoices' objects in the security world: the employer's invoice request of this month, made
as if the month were over (the world's settlements are made at the real clock)."""
from __future__ import annotations

import uuid

from market.invoices.keys import INVOICES
from tests import factories
from tests.invoices.support import after_this_period, this_period


async def build(client, conn, ids: dict[str, str], employer: factories.Party) -> None:
    organisation_id = uuid.UUID(employer.id)
    await client.app[INVOICES].make(this_period(), organisation_id, now=after_this_period())
    found = await conn.fetchval("SELECT id FROM invoice_requests WHERE organisation_id = $1 ORDER BY kind LIMIT 1",
                                organisation_id)
    if found is None:  # the world's employer settled nothing this month: a request of its own, by hand
        found = await conn.fetchval(
            "INSERT INTO invoice_requests (organisation_id, period, kind, buyer_name, buyer_credit_code, "
            "tax_category_code, item_name, tax_rate_permille, tax_treatment, amount_fen, tax_fen, total_fen) "
            "SELECT id, $2, 'service_fee', name, credit_code, '3040803000000000000', '*人力资源服务*平台服务费', 60, "
            "'general', 100, 6, 106 FROM organisations WHERE id = $1 RETURNING id", organisation_id, this_period())
    ids["invoice"] = str(found)
