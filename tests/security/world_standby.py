"""Standby's objects in the security world (docs/standby.md): a shift of the employer's with
standby seats and the worker on call for it (`standby`, `standby_shift`), and another shift with a
standby seat free for the sign-up route (`standby_open_shift`)."""
from __future__ import annotations

import uuid

from market.standby.keys import STANDBY
from tests import factories
from tests.factories import at, gig_order_body
from tests.settlement.support import principal_of


async def build(client, conn, ids: dict[str, str], employer: factories.Party, worker: factories.Party) -> None:
    # Three and four weeks out: clear of the world's other seats of this worker.
    order = await factories.post_order(client, employer, gig_order_body(
        title="待命分拣员", shifts=[
            {"start": at(21, 9), "end": at(21, 13), "headcount": 2, "standby": 1, "standby_amount_fen": 3000},
            {"start": at(28, 9), "end": at(28, 13), "headcount": 2, "standby": 2, "standby_amount_fen": 3000}]))
    await conn.execute("INSERT INTO worker_skills (worker_id, skill_code, level) VALUES ($1, 'warehouse_picking', 3) "
                       "ON CONFLICT DO NOTHING", uuid.UUID(worker.id))
    ids["standby_shift"] = order["shifts"][0]["id"]
    ids["standby_open_shift"] = order["shifts"][1]["id"]
    standby = await client.app[STANDBY].sign_up(await principal_of(client, worker), uuid.UUID(ids["standby_shift"]))
    ids["standby"] = str(standby.id)
