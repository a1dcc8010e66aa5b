"""The certificates' objects in the security world: the worker's pending 健康证, which the employer
may see and review because the worker holds a seat of its kitchen order needing one."""
from __future__ import annotations

import uuid
from datetime import timedelta

from tests import factories
from tests.certificates.support import cook, cook_order, uploaded
from tests.settlement.support import assign


async def build(client, conn, ids: dict[str, str], employer: factories.Party, worker: factories.Party) -> None:
    await cook(conn, worker)
    order = await factories.post_order(client, employer, cook_order(2, headcount=1))
    shift_id = uuid.UUID(order["shifts"][0]["id"])
    # Twelve days out: clear of the world's other seats of this worker.
    await conn.execute("UPDATE shifts SET starts_at = starts_at + $2, ends_at = ends_at + $2 WHERE id = $1",
                       shift_id, timedelta(days=10))
    await assign(conn, shift_id, worker)
    ids["certificate"] = (await uploaded(client, worker))["id"]
