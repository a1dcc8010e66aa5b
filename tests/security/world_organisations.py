"""The organisations' and agencies' objects in the security world (docs/organisations.md,
docs/agencies.md): a site of the employer, a finance member whose role the matrix changes and one
it removes; an agency (verified licence) holding the employer's mandate, and another agency's
licence waiting for the operator's review."""
from __future__ import annotations

import uuid

from tests import factories

LICENCE = {"kind": "hr_service", "number": "渝人服证字〔2021〕第0103001号", "issuing_bureau": "重庆市渝中区人力资源和社会保障局",
           "scope": "职业中介", "valid_from": "2021-03-01", "valid_until": "2031-02-28"}


async def ok(response, status: int = 201) -> dict:
    assert response.status == status, await response.text()
    return await response.json()


async def build(client, ids: dict[str, str], employer: factories.Party, admin: dict) -> None:
    ids["site"] = (await ok(await client.post("/v1/sites", headers=employer.auth, json={
        "name": "矩阵一号仓", "address": "渝中区某仓库", "lat": 29.5531, "lon": 106.5688})))["id"]
    for name in ("member", "member_to_remove"):
        added = await ok(await client.post("/v1/organisations/me/members", headers=employer.auth, json={
            "login": f"{name}-{uuid.uuid4().hex[:8]}@example.com", "password": "correct horse battery",
            "display_name": "矩阵成员", "role": "finance"}))
        ids[name] = added["account_id"]
    # Agencies: not callers of the matrix, so the callers' own postings stay an employer's.
    agency = await factories.employer(client, escrow_fen=0)
    licence = await ok(await client.post("/v1/agencies/me/licences", json=LICENCE, headers=agency.auth))
    await ok(await client.post(f"/v1/admin/agency-licences/{licence['id']}/review", json={"decision": "verify"},
                               headers=admin), 200)
    ids["agency"] = agency.id
    pending = await factories.employer(client, escrow_fen=0)
    ids["agency_licence"] = (await ok(await client.post("/v1/agencies/me/licences", json=LICENCE,
                                                        headers=pending.auth)))["id"]
    ids["mandate"] = (await ok(await client.post("/v1/mandates", headers=employer.auth, json={
        "agency_organisation_id": agency.id, "scope": ["post_orders"], "budget_fen": 100000,
        "valid_from": "2026-01-01", "valid_until": "2099-12-31"})))["id"]
