"""The organisations' objects in the security world (docs/organisations.md): a site of the
employer, a finance member whose role the matrix changes, and one it removes."""
from __future__ import annotations

import uuid

from tests import factories


async def build(client, ids: dict[str, str], employer: factories.Party) -> None:
    site = await client.post("/v1/sites", headers=employer.auth, json={
        "name": "矩阵一号仓", "address": "渝中区某仓库", "lat": 29.5531, "lon": 106.5688})
    assert site.status == 201, await site.text()
    ids["site"] = (await site.json())["id"]
    for name in ("member", "member_to_remove"):
        added = await client.post("/v1/organisations/me/members", headers=employer.auth, json={
            "login": f"{name}-{uuid.uuid4().hex[:8]}@example.com", "password": "correct horse battery",
            "display_name": "矩阵成员", "role": "finance"})
        assert added.status == 201, await added.text()
        ids[name] = (await added.json())["account_id"]
