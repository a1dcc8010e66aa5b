"""The written agreements' objects in the security world: the agreement of the worker's future gig
seat and the written form of the three-party agreement, both rendered (their hashes are what the
signature and verification rows send)."""
from __future__ import annotations

import uuid

from market.contracts.keys import CONTRACTS


async def build(client, conn, ids: dict[str, str]) -> None:
    await client.app[CONTRACTS].render_pending()  # every pending one, and the three-party agreement's
    seat = await conn.fetchrow("SELECT id, sha256 FROM contracts WHERE assignment_id = $1",
                               uuid.UUID(ids["assignment_future"]))
    shared = await conn.fetchrow("SELECT id, sha256 FROM contracts WHERE agreement_id = $1", uuid.UUID(ids["agreement"]))
    assert seat["sha256"] is not None and shared["sha256"] is not None
    ids.update(contract=str(seat["id"]), contract_sha256=seat["sha256"].hex(),
               shared_contract=str(shared["id"]), shared_contract_sha256=shared["sha256"].hex())
