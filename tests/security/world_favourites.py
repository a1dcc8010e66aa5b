"""The favourites' objects in the security world (docs/favourites.md): two other employers, one the
worker hides during the matrix and one hidden already (to show again), and the new dates a "book
again" of the world's gig order is posted on."""
from __future__ import annotations

from tests import factories


async def build(client, conn, ids: dict[str, str], employer: factories.Party, worker: factories.Party) -> None:
    target = await factories.employer(client, name="重庆甲被隐藏的企业有限公司", escrow_fen=0)
    hidden = await factories.employer(client, name="重庆甲已隐藏的企业有限公司", escrow_fen=0)
    response = await client.put(f"/v1/workers/me/hidden-employers/{hidden.id}", headers=worker.auth)
    assert response.status == 200, await response.text()
    ids.update(hide_target=target.id, hidden_employer=hidden.id, related_worker=worker.id,
               book_again_start=factories.at(41, 7, 17), book_again_end=factories.at(41, 11, 17))
