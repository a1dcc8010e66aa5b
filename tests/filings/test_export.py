"""The withholding export end to end: a worker registered with a sealed ID, paid through a real
settlement, exported by an admin with the ID opened and the opening audited (append-only); the
export refused to everyone else; a worker without a sealed ID reported missing; re-sealing."""
from __future__ import annotations

import base64
import os
import uuid
from datetime import timedelta

import asyncpg
import pytest

from market.filings.keys import FILINGS
from market.filings.service import Filings
from market.attendance.keys import ATTENDANCE
from market.kernel.clock import SHANGHAI
from market.sealing import Keyring, Sealed, development_key_file, worker_id_number_aad
from market.settlement.keys import SETTLEMENTS
from market.web.keys import DB
from tests import factories
from tests.settlement.support import SITE, admin, assign, fund, now_local, principal_of, shift_at

ID = "11010519491231002X"


async def paid_worker(client, conn, relationship: str):
    employer, worker = await factories.employer(client), await factories.worker(client, name="张三", id_number=ID)
    await fund(client, employer, 1_000_000)
    start = now_local() - timedelta(minutes=10)
    _, shift_id = await shift_at(client, conn, employer, start, start + timedelta(minutes=180),
                                 relationship=relationship, rate_fen=3000)
    assignment_id = await assign(conn, shift_id, worker, 3000)
    who = await principal_of(client, worker)
    await client.app[ATTENDANCE].check_in(who, assignment_id, *SITE, now=start + timedelta(minutes=5))
    await client.app[ATTENDANCE].check_out(who, assignment_id, *SITE, now=start + timedelta(minutes=125))
    service = client.app[SETTLEMENTS]
    await service.auto_approve(now=now_local() + timedelta(days=2))
    await service.settle_pending()
    organisation_id = await conn.fetchval("SELECT organisation_id FROM settlements WHERE assignment_id = $1",
                                          assignment_id)
    assert organisation_id is not None
    return employer, worker, organisation_id


def month() -> str:
    return now_local().astimezone(SHANGHAI).strftime("%Y-%m")


async def test_registration_seals_the_full_id_bound_to_the_row(client, conn):
    worker = await factories.worker(client, id_number=ID)
    row = await conn.fetchrow("SELECT account_id, id_number_sealed, id_number_key_id FROM workers WHERE id = $1",
                              uuid.UUID(worker.id))
    assert ID.encode() not in row["id_number_sealed"] and row["id_number_key_id"] == "local"
    keyring = client.app[FILINGS].keyring
    assert keyring.open(Sealed("local", row["id_number_sealed"]), worker_id_number_aad(row["account_id"])) == ID


@pytest.mark.parametrize("relationship, item, header_item", [
    ("labor_part_time", "wage", None), ("labor_service", "labor_remuneration", "一般劳务报酬所得")])
async def test_an_admin_exports_the_month_with_the_id_opened_and_audited(client, conn, relationship, item,
                                                                         header_item):
    _, _, payer = await paid_worker(client, conn, relationship)
    gross, tax = await conn.fetchrow("SELECT gross_fen, income_tax_withheld_fen FROM settlements "
                                     "WHERE organisation_id = $1", payer)
    auth = await admin(client)
    response = await client.get(f"/v1/admin/filings/iit?payer={payer}&month={month()}&item={item}", headers=auth)
    assert response.status == 200, await response.text()
    assert response.content_type == "text/csv"
    lines = (await response.text()).lstrip("\ufeff").splitlines()
    assert len(lines) == 2
    cells = lines[1].split(",")
    assert ID in lines[1] and '"张三"' in cells[1]
    assert f"{gross / 100:.2f}" in cells
    assert f"平台已预扣税额{tax / 100:.2f}元" in lines[1]
    if header_item:
        assert f'"{header_item}"' in cells
    audit = await conn.fetchrow("SELECT export, payer_id, month, decrypted, missing FROM id_number_decryptions")
    assert (audit["export"], audit["payer_id"], audit["decrypted"], audit["missing"]) == (f"iit_{item}", payer, 1, 0)
    # The other item of the same payer and month holds nothing of this worker.
    other = "labor_remuneration" if item == "wage" else "wage"
    response = await client.get(f"/v1/admin/filings/iit?payer={payer}&month={month()}&item={other}", headers=auth)
    assert len((await response.text()).splitlines()) == 1


async def test_the_audit_of_decryptions_is_append_only(client, conn):
    _, _, payer = await paid_worker(client, conn, "labor_service")
    await client.get(f"/v1/admin/filings/iit?payer={payer}&month={month()}&item=labor_remuneration",
                     headers=await admin(client))
    with pytest.raises(asyncpg.RestrictViolationError):
        await conn.execute("UPDATE id_number_decryptions SET decrypted = 0")
    with pytest.raises(asyncpg.RestrictViolationError):
        await conn.execute("DELETE FROM id_number_decryptions")
    assert await conn.fetchval("SELECT count(*) FROM id_number_decryptions") == 1


async def test_a_worker_without_a_sealed_id_is_reported_missing(client, conn):
    _, worker, payer = await paid_worker(client, conn, "labor_service")
    await conn.execute("UPDATE workers SET id_number_sealed = NULL, id_number_key_id = NULL WHERE id = $1",
                       uuid.UUID(worker.id))
    response = await client.get(f"/v1/admin/filings/iit?payer={payer}&month={month()}&item=labor_remuneration",
                                headers=await admin(client))
    text = await response.text()
    assert "证件号码缺失" in text and ID not in text
    assert await conn.fetchval("SELECT missing FROM id_number_decryptions") == 1


async def test_only_an_admin_gets_the_file_and_nothing_is_audited_otherwise(client, conn):
    employer, worker, payer = await paid_worker(client, conn, "labor_service")
    url = f"/v1/admin/filings/iit?payer={payer}&month={month()}&item=labor_remuneration"
    for party in (employer, worker):
        assert (await client.get(url, headers=party.auth)).status == 403
    assert (await client.get(url)).status == 401
    assert await conn.fetchval("SELECT count(*) FROM id_number_decryptions") == 0


async def test_bad_queries_name_the_field(client, conn):
    auth = await admin(client)
    response = await client.get(f"/v1/admin/filings/iit?payer={uuid.uuid4()}&month=2026-13&item=wage", headers=auth)
    assert response.status == 422 and "month" in await response.text()
    response = await client.get(f"/v1/admin/filings/iit?payer={uuid.uuid4()}&month=2026-01&item=bonus", headers=auth)
    assert response.status == 422 and "item" in await response.text()
    response = await client.get(f"/v1/admin/filings/iit?payer={uuid.uuid4()}&month=2026-01&item=wage", headers=auth)
    assert response.status == 404


async def test_reseal_moves_every_row_to_the_new_key_and_is_idempotent(client, conn, settings):
    for _ in range(3):
        await factories.worker(client, id_number=factories.resident_id())
    old_key = base64.b64encode(development_key_file(settings.data_dir)).decode()
    new_key = base64.b64encode(os.urandom(32)).decode()
    rotated = Keyring.parse(f"k2:{new_key},local:{old_key}")
    service = Filings(client.app[DB], rotated)
    progress: list[tuple[int, int]] = []
    assert await service.reseal(lambda done, total: progress.append((done, total)), batch=2) == 3
    assert progress == [(2, 3), (3, 3)]
    assert await conn.fetchval("SELECT count(*) FROM workers WHERE id_number_key_id <> 'k2'") == 0
    # The new key alone opens every row now; a second run has nothing to do.
    new_only = Keyring.parse(f"k2:{new_key}")
    for row in await conn.fetch("SELECT account_id, id_number_sealed, id_number_key_id FROM workers"):
        assert len(new_only.open(Sealed(row["id_number_key_id"], row["id_number_sealed"]),
                                 worker_id_number_aad(row["account_id"]))) == 18
    assert await service.reseal(lambda done, total: progress.append((done, total))) == 0
    assert progress == [(2, 3), (3, 3)]
