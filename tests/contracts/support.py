"""Building blocks of the agreement tests: a seat of a chosen relationship type around now, held
through allocation's `hold_seat` (so its agreement is made pending as in production)."""
from __future__ import annotations

import hashlib
import uuid

from tests import factories
from tests.settlement.support import assign, minutes, now_local, shift_at


async def seat(client, conn, relationship: str = "labor_service", *, employer=None, worker=None, rate_fen=3000):
    """An employer, a worker and the worker's seat on a shift that started ten minutes ago (check-in open)."""
    employer = employer or await factories.employer(client, name="重庆山城物流有限公司")
    worker = worker or await factories.worker(client, name="李秀兰")
    start = now_local() - minutes(10)
    _, shift_id = await shift_at(client, conn, employer, start, start + minutes(180), relationship=relationship,
                                 rate_fen=rate_fen)
    return employer, worker, str(await assign(conn, shift_id, worker, rate_fen))


async def agreement(client, assignment_id: str, party) -> dict:
    response = await client.get(f"/v1/assignments/{assignment_id}/agreement", headers=party.auth)
    assert response.status == 200, await response.text()
    return await response.json()


async def pdf(client, assignment_id: str, party) -> bytes:
    response = await client.get(f"/v1/assignments/{assignment_id}/agreement.pdf", headers=party.auth)
    assert response.status == 200, await response.text()
    assert response.content_type == "application/pdf"
    return await response.read()


async def sign(client, assignment_id: str, party, sha256: str):
    return await client.post(f"/v1/assignments/{assignment_id}/agreement/signatures", json={"sha256": sha256},
                             headers=party.auth)


def digest(document: bytes) -> str:
    return hashlib.sha256(document).hexdigest()


def uid(value: str) -> uuid.UUID:
    return uuid.UUID(value)
