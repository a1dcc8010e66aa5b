"""The API as a code generator sees it: a client generated from /openapi.json by
`openapi-python-client`, without a warning, drives one whole flow against a real server on a real port.

The client is generated once per test session, from the document the app serves (built as it is at
start-up; the flow test checks the served one is the same), into a temporary directory that is put on
sys.path. Nothing here needs the network: the generator reads a file, and the client talks to
127.0.0.1.
"""
from __future__ import annotations

import asyncio
import importlib
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from market import __version__
from market.app import create_app
from market.config import Settings
from market.kernel.clock import SHANGHAI
from market.accounts.keys import ACCOUNTS
from market.web.ops import DESCRIPTION
from market.web.openapi import build_openapi
from tests import factories
from tests.allocation.support import allocator

PACKAGE = "market_generated_client"
# openapi-python-client's own settings (its README, "Configuration"): the favicon and the agreement PDFs are
# bytes to it.
GENERATOR_CONFIG = {"content_type_overrides": {"image/x-icon": "application/octet-stream",
                                              "application/pdf": "application/octet-stream"}}
SITE = (29.5531, 106.5688)  # the order's site; the worker checks in and out on it


@dataclass
class Generated:
    document: dict[str, Any]
    output: str
    returncode: int
    package: ModuleType | None

    def api(self, name: str) -> ModuleType:
        """`api("orders.post_v1_orders")`: one operation's module."""
        return importlib.import_module(f"{PACKAGE}.api.{name}")

    def models(self) -> ModuleType:
        return importlib.import_module(f"{PACKAGE}.models")


@pytest.fixture(scope="session")
def generated(tmp_path_factory) -> Generated:
    directory = tmp_path_factory.mktemp("generated-client")
    settings = Settings(database_url="postgresql://unused@127.0.0.1:1/unused", redis_url="redis://127.0.0.1:1/0",
                        data_dir=directory / "data", hash_key="unused", log_json=False)
    document = json.loads(json.dumps(build_openapi(create_app(settings), title="market", version=__version__,
                                                   description=DESCRIPTION)))
    (directory / "openapi.json").write_text(json.dumps(document), encoding="utf-8")
    (directory / "config.json").write_text(json.dumps(GENERATOR_CONFIG), encoding="utf-8")
    # Its post-generation hooks run ruff (installed with it) from PATH: the venv's bin directory.
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    result = subprocess.run(
        [sys.executable, "-m", "openapi_python_client", "generate", "--path", str(directory / "openapi.json"),
         "--output-path", str(directory / PACKAGE), "--meta", "none", "--config", str(directory / "config.json"),
         "--fail-on-warning"],
        capture_output=True, text=True, env={**os.environ, "PATH": path}, timeout=170)
    output = result.stdout + result.stderr
    package = None
    if result.returncode == 0:
        sys.path.insert(0, str(directory))
        package = importlib.import_module(PACKAGE)
    yield Generated(document, output, result.returncode, package)
    if package is not None:
        sys.path.remove(str(directory))
        for name in [n for n in sys.modules if n == PACKAGE or n.startswith(PACKAGE + ".")]:
            del sys.modules[name]


def test_openapi_python_client_generates_the_client_without_a_warning(generated):
    assert generated.returncode == 0, generated.output
    assert not re.search(r"warning|error|skipping", generated.output, re.I), generated.output
    models = generated.models()
    for name in ("OrderOut", "CancelOut", "OrderPage", "PaySlipPage", "TimesheetOut", "OfferOut", "RunOut"):
        assert hasattr(models, name), name


def test_every_typed_response_of_the_document_has_its_class_in_the_client(generated):
    """A schema the generator cannot make a class of is left out with a warning, and every operation
    answering it loses its typed response; this finds one that slipped through by name."""
    assert generated.package is not None, generated.output
    models = generated.models()
    for item in generated.document["paths"].values():
        for operation in item.values():
            for response in operation["responses"].values():
                schema = response.get("content", {}).get("application/json", {}).get("schema", {})
                if "$ref" in schema:
                    name = schema["$ref"].rsplit("/", 1)[1]
                    assert hasattr(models, _class_name(name)), name


def _class_name(component: str) -> str:
    # The generator's class names: the title split at non-alphanumerics, each part capitalised.
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", component) if part)


@dataclass
class Flow:
    """What one run through the generated client saw: its typed results and every raw JSON body."""
    results: dict[str, Any] = field(default_factory=dict)
    bodies: list[tuple[str, Any]] = field(default_factory=list)

    def seen(self, name: str, response, status: int):
        assert response.status_code == status, (name, response.status_code, response.content)
        if response.content and response.headers.get("content-type", "").startswith("application/json"):
            self.bodies.append((name, json.loads(response.content)))
        self.results[name] = response.parsed
        return response.parsed


async def _the_whole_flow(generated: Generated, client, settings) -> Flow:
    """Register an employer and a worker, fund escrow (an admin confirms the transfer), post an
    order, bid, allocate, accept the offer, check in and out, approve, and read the pay slip: every
    step an HTTP request made by the generated client."""
    assert generated.package is not None, generated.output
    client_module = importlib.import_module(f"{PACKAGE}.client")
    base_url = str(client.make_url("")).rstrip("/")
    flow = Flow()
    parties = [client_module.Client(base_url=base_url)]

    def as_(token: str):
        parties.append(client_module.AuthenticatedClient(base_url=base_url, token=token))
        return parties[-1]

    try:
        await _steps(generated, client, settings, flow, parties[0], as_)
    finally:
        for party in parties:
            await party.get_async_httpx_client().aclose()
    return flow


async def _steps(generated: Generated, client, settings, flow: Flow, anonymous, as_) -> None:
    m = generated.models()

    password = "correct horse battery"
    employer_login = f"hr-generated-{os.getpid()}@example.com"
    flow.seen("employer", await generated.api("auth.post_v1_auth_register_employer").asyncio_detailed(
        client=anonymous, body=m.RegisterEmployerIn(name="重庆生成客户端测试有限公司", credit_code=factories.credit_code(),
                                                    district_code="500103", login=employer_login, password=password)), 201)
    sign_in = generated.api("auth.post_v1_auth_tokens")
    employer_token = flow.seen("employer_token", await sign_in.asyncio_detailed(
        client=anonymous, body=m.TokenIn(login=employer_login, password=password)), 201)
    worker_phone = factories.phone()
    flow.seen("worker", await generated.api("auth.post_v1_auth_register_worker").asyncio_detailed(
        client=anonymous, body=m.RegisterWorkerIn(name="李四", id_number=factories.resident_id(),
                                                  district_code="500103", phone=worker_phone, password=password)), 201)
    worker_token = flow.seen("worker_token", await sign_in.asyncio_detailed(
        client=anonymous, body=m.TokenIn(login=worker_phone, password=password)), 201)
    employer, worker = as_(employer_token.token), as_(worker_token.token)
    admin = as_((await client.app[ACCOUNTS].create_staff("admin", "运营", [])).token)

    deposit = flow.seen("deposit", await generated.api("escrow.post_v1_employers_me_deposits").asyncio_detailed(
        client=employer, body=m.DepositIn(amount_fen=1_000_000, bank_reference="T-generated-1")), 201)
    flow.seen("deposit_confirmed", await generated.api("escrow.post_v1_admin_deposits_id_confirm").asyncio_detailed(
        str(deposit.id), client=admin), 200)
    balance = generated.api("escrow.get_v1_employers_me_balance")
    flow.seen("funded", await balance.asyncio_detailed(client=employer), 200)

    # A shift starting soon: posted in the future, and check-in opens an hour before.
    start = await _soon_on_todays_date()
    order = flow.seen("order", await generated.api("orders.post_v1_orders").asyncio_detailed(client=employer, body=m.GigOrderIn(
        title="仓库分拣临时工", district_code="500103", kind="gig", relationship=m.GigOrderInRelationship.LABOR_SERVICE,
        site=m.SiteIn(lat=SITE[0], lon=SITE[1], address="渝中区解放碑某仓库"),
        shifts=[m.ShiftIn(start=start, end=start + timedelta(hours=3), headcount=1)],
        pay=m.PayIn(unit=m.PayInUnit.HOUR, amount_fen=3000))), 201)
    flow.seen("order_read", await generated.api("orders.get_v1_orders_id").asyncio_detailed(str(order.id), client=employer), 200)
    flow.seen("orders", await generated.api("orders.get_v1_orders").asyncio_detailed(client=employer), 200)

    flow.seen("bid", await generated.api("bids.post_v1_orders_id_bids").asyncio_detailed(
        str(order.id), client=worker, body=m.GigBidIn(shift_ids=[order.shifts[0].id], rate_fen=2800)), 201)
    flow.seen("bids", await generated.api("bids.get_v1_orders_id_bids").asyncio_detailed(str(order.id), client=employer), 200)
    run = flow.seen("allocate", await generated.api("allocation.post_v1_orders_id_allocate").asyncio_detailed(
        str(order.id), client=employer), 202)
    async with allocator(settings) as engine:
        assert await engine.run_once() == 1
    flow.seen("run", await generated.api("allocation.get_v1_allocation_runs_id").asyncio_detailed(
        str(run.run_id), client=employer), 200)
    offers = flow.seen("offers", await generated.api("allocation.get_v1_workers_me_offers").asyncio_detailed(client=worker), 200)
    accepted = flow.seen("accepted", await generated.api("allocation.post_v1_offers_id_accept").asyncio_detailed(
        str(offers.items[0].id), client=worker), 200)
    assignment_id = str(accepted.assignment_id)
    flow.seen("assignments", await generated.api("timesheets.get_v1_workers_me_assignments").asyncio_detailed(client=worker), 200)

    at_the_site = m.LocationIn(lat=SITE[0], lon=SITE[1])
    flow.seen("checked_in", await generated.api("timesheets.post_v1_assignments_id_check_in").asyncio_detailed(
        assignment_id, client=worker, body=at_the_site), 200)
    flow.seen("checked_out", await generated.api("timesheets.post_v1_assignments_id_check_out").asyncio_detailed(
        assignment_id, client=worker, body=at_the_site), 200)
    flow.seen("approved", await generated.api("timesheets.post_v1_assignments_id_approve").asyncio_detailed(
        assignment_id, client=employer, body=m.ApproveIn(minutes=120, reason="两小时")), 200)
    flow.seen("payslips", await generated.api("settlement.get_v1_workers_me_payslips").asyncio_detailed(client=worker), 200)
    flow.seen("settled", await balance.asyncio_detailed(client=employer), 200)
    month = datetime.now(SHANGHAI).strftime("%Y-%m")
    flow.seen("statement", await generated.api("settlement.get_v1_employers_me_statements").asyncio_detailed(
        client=employer, month=month), 200)
    flow.seen("order_done", await generated.api("orders.get_v1_orders_id").asyncio_detailed(str(order.id), client=employer), 200)


async def _soon_on_todays_date() -> datetime:
    """A start up to 30 minutes ahead on today's Beijing date: the flow checks in, out and approves
    on the wall clock, and a settlement is never dated before its shift, so a shift that began
    after midnight while the wall clock is still on the day before would be refused. Within two
    minutes of midnight the flow waits for the new day."""
    now = datetime.now(SHANGHAI)
    midnight = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), SHANGHAI)
    if midnight - now < timedelta(minutes=2):
        await asyncio.sleep((midnight - now).total_seconds() + 1)
        return await _soon_on_todays_date()
    return min(now + timedelta(minutes=30), midnight - timedelta(minutes=1)).replace(microsecond=0)


async def test_one_whole_flow_runs_through_the_generated_client_with_typed_answers(generated, client, settings):
    assert await (await client.get("/openapi.json")).json() == generated.document
    flow = await _the_whole_flow(generated, client, settings)
    m, results = generated.models(), flow.results

    assert isinstance(results["funded"], m.BalanceOut) and results["funded"].available_fen == 1_000_000
    order = results["order"]
    assert isinstance(order, m.OrderOut) and isinstance(order.late_cancel, m.LateCancelOut)
    assert order.pay.amount_fen == 3000 and order.seats == 1
    assert order.late_cancel.window_hours == 24 and isinstance(order.late_cancel.window_hours, float)
    assert order.late_cancel.compensation_hours == 4 and isinstance(order.late_cancel.compensation_hours, float)
    assert order.shifts[0].start.utcoffset() == timedelta(hours=8)
    assert isinstance(results["orders"], m.OrderPage) and [o.id for o in results["orders"].items] == [order.id]
    assert [b.rate_fen for b in results["bids"].items] == [2800]
    assert results["run"].status == m.RunOutStatus.DONE and results["run"].seats_filled == 1
    assert results["accepted"].state == m.OfferOutState.ACCEPTED and results["accepted"].rate_fen == 2800
    assert results["checked_in"].checked_in_at is not None and results["checked_in"].check_in_distance_m == 0
    assert results["approved"].approved_minutes == 120

    [slip] = results["payslips"].items
    assert isinstance(slip, m.PaySlipOut) and slip.order_id == order.id
    assert (slip.hours, slip.gross_fen, slip.net_fen) == (2.0, 2 * 2800, 2 * 2800)  # 劳务报酬 under ¥800: no tax
    assert [(line.kind, line.amount_fen) for line in slip.withholdings] == [("income_tax_withheld", 0)]
    assert [(line.kind, line.amount_fen) for line in slip.contributions] == [("occupational_injury_protection", 7)]
    # the employer paid the gross, the platform's 5 % fee and the 职业伤害保障 contribution
    assert (results["settled"].held_fen, results["settled"].available_fen) == (0, 1_000_000 - (5600 + 280 + 7))
    assert results["order_done"].state == "filled" and results["order_done"].filled == 1


async def test_every_instant_the_main_flow_returns_is_written_in_shanghai_time(generated, client, settings, conn):
    """Every response body of the flow, and every event it emitted (what its SSE streams and
    webhooks carry, as stored in the outbox)."""
    flow = await _the_whole_flow(generated, client, settings)
    events = [(kind, json.loads(payload)) for kind, payload in await conn.fetch("SELECT kind, payload::text FROM events")]
    moments = [(name, where, value) for name, body in flow.bodies + events for where, value in _strings(body)
               if re.match(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}", value)]
    assert len(moments) > 20
    assert {"shift.opened", "offer.made"} <= {kind for kind, _ in events}
    assert [m for m in moments if not m[2].endswith("+08:00")] == []


def _strings(node, where: str = ""):
    if isinstance(node, dict):
        for key, child in node.items():
            yield from _strings(child, f"{where}.{key}")
    elif isinstance(node, list):
        for index, child in enumerate(node):
            yield from _strings(child, f"{where}[{index}]")
    elif isinstance(node, str):
        yield where, node
