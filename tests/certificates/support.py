"""Building blocks for certificate tests: a PDF, an upload through the API, a verified
certificate, orders that need one, and the uploads kept on disk."""
from __future__ import annotations

import io
import uuid
from datetime import date, timedelta
from pathlib import Path

from aiohttp import FormData
from pypdf import PdfWriter

from market.kernel.clock import today
from tests import factories
from tests.settlement.support import admin

HEALTH = "健康证"
COOK = {"skill_code": "cook", "min_level": 1, "certificate_required": True}  # the catalogue's cook needs a 健康证


def pdf_bytes(text: str = "") -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    writer.add_metadata({"/Title": text or uuid.uuid4().hex})  # a different file each time unless asked
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def form(data: bytes, **fields: str) -> FormData:
    body = FormData()
    for name, value in fields.items():
        body.add_field(name, value)
    body.add_field("file", io.BytesIO(data), filename="certificate.pdf", content_type="application/pdf")
    return body


def health_fields(*, valid_days: int = 200, kind: str = HEALTH) -> dict[str, str]:
    """A 健康证 issued so that it runs `valid_days` more days (within its one year)."""
    expires = today() + timedelta(days=valid_days)
    return {"kind": kind, "number": "渝健2026-000123", "issuer": "重庆市渝中区疾病预防控制中心",
            "issued_on": (expires - timedelta(days=365)).isoformat(), "expires_on": expires.isoformat()}


async def upload(client, worker: factories.Party, data: bytes | None = None, **fields: str):
    return await client.post("/v1/workers/me/certificates", headers=worker.auth,
                             data=form(data or pdf_bytes(), **(fields or health_fields())))


async def uploaded(client, worker: factories.Party, **fields: str) -> dict:
    response = await upload(client, worker, **fields)
    assert response.status == 201, await response.text()
    return await response.json()


async def verified(client, worker: factories.Party, *, valid_days: int = 200, admin_auth: dict | None = None) -> dict:
    """A 健康证 of the worker, uploaded and verified by the operator, counting `valid_days` more days."""
    certificate = await uploaded(client, worker, **health_fields(valid_days=valid_days))
    response = await client.post(f"/v1/certificates/{certificate['id']}/review",
                                 headers=admin_auth or await admin(client), json={"decision": "verify"})
    assert response.status == 200, await response.text()
    return await response.json()


async def cook(conn, worker: factories.Party) -> None:
    await conn.execute("INSERT INTO worker_skills (worker_id, skill_code, level) VALUES ($1, 'cook', 2)",
                       uuid.UUID(worker.id))


def cook_order(days: int = 2, *, headcount: int = 3) -> dict:
    """A kitchen order needing a 健康证, its one shift on the local day `days` from today, 09:00–13:00."""
    return factories.gig_order_body(title="后厨帮工", skills=[COOK], shifts=[
        {"start": factories.at(days, 9), "end": factories.at(days, 13), "headcount": headcount}])


def stored_files(settings) -> list[Path]:
    root = settings.uploads_path
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def day(days: int) -> date:
    return today() + timedelta(days=days)
