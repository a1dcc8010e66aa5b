"""Issue 17's cases in the security world: one case of tenant 1's worker against tenant 1's
employer (about the order of the worker's future assignment, 渝中区) in the state each route's
owner acts on. They name the order, not the assignment: a shift has one case of a kind, and the
matrix's POST /v1/cases opens the assignment's own."""
from __future__ import annotations

import uuid

from market.cases.keys import CASES
from market.cases.model import Kind
from market.web.keys import DB
from tests.certificates.support import pdf_bytes
from tests.settlement.support import principal_of


async def build_cases(client, world, admin_headers: dict[str, str]) -> None:
    ids, cases = world.ids, client.app[CASES]
    worker = await principal_of(client, world.callers["worker"].party)
    employer = await principal_of(client, world.callers["employer"].party)
    async with client.app[DB].acquire() as conn:
        order = await conn.fetchval("SELECT order_id FROM assignments WHERE id = $1",
                                    uuid.UUID(ids["assignment_future"]))

    async def opened() -> uuid.UUID:
        return (await cases.open(worker, Kind.safety, "现场无安全防护", order, None)).case.id

    for name in ("case", "case_to_answer", "case_to_escalate", "case_evidence"):
        ids[name] = str(await opened())
    answered = await opened()
    await cases.answer(employer, answered, "已配发安全帽")
    ids["case_answered"] = str(answered)
    for name in ("case_escalated", "case_to_decide"):
        escalated = await opened()
        await cases.escalate(worker, escalated, None)
        ids[name] = str(escalated)

    ids["case_file"] = str((await cases.add_evidence_file(worker, uuid.UUID(ids["case"]), pdf_bytes("现场照片说明"),
                                                          "application/pdf")).files[0].id)
