"""The whole market as a state machine, driven through the public HTTP API with concurrency.

Several employers and workers post orders, bid, run allocation, accept offers — several at once,
including one worker accepting overlapping offers together — decline, give seats back, cancel
orders, work shifts (check-in, check-out and approval through the service, whose clock a test can
set: the shifts lie in the future), and sweep. After every step: no worker holds two overlapping seats, no shift holds more than its
headcount (and its `filled` count is true), no response was a 5xx, and every money invariant of
the settlement machine holds (journal balanced, escrow never negative, each approved timesheet
settled at most once, holds resolved at most once, …).

Bounded in CI (a few examples of a few dozen steps; about a minute); `MARKET_STATEFUL_LONG=1` runs
the issue's thousands of steps.
"""
import asyncio
import os
import uuid
from datetime import datetime, timedelta, timezone

import asyncpg
from aiohttp.test_utils import TestClient, TestServer
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule, run_state_machine_as_test

from market import db
from market.allocation.allocator import Allocator
from market.app import create_app
from market.config import Settings
from market.attendance.keys import ATTENDANCE
from market.accounts.keys import ACCOUNTS
from market.settlement.keys import SETTLEMENTS
from tests import factories
from tests.factories import gig_order_body
from tests.settlement.support import SITE
from tests.settlement.test_stateful import BREAKS, pick, stateful_examples

LONG = os.environ.get("MARKET_STATEFUL_LONG") == "1"
MACHINE_SETTINGS = settings(max_examples=40 if LONG else stateful_examples(8), stateful_step_count=100 if LONG else 20,
                            deadline=None, derandomize=True, database=None,
                            suppress_health_check=[HealthCheck.too_slow])

MARKET_BREAKS = {
    **BREAKS,
    "a worker double-booked": """
        SELECT a.id, b.id FROM assignments a JOIN assignments b
          ON a.worker_id = b.worker_id AND a.id < b.id AND a.period && b.period
        WHERE a.state IN ('active', 'completed') AND b.state IN ('active', 'completed')""",
    "a shift over its headcount, or its count untrue": """
        SELECT s.id FROM shifts s
        WHERE s.filled <> (SELECT count(*) FROM assignments a WHERE a.shift_id = s.id
                             AND a.state IN ('active', 'completed'))
           OR s.filled > s.headcount""",
    "an accepted offer without its assignment": """
        SELECT f.id FROM offers f LEFT JOIN assignments a ON a.id = f.assignment_id
        WHERE f.state = 'accepted' AND (a.id IS NULL OR a.worker_id <> f.worker_id)""",
    "an assignment without its escrow hold": """
        SELECT a.id FROM assignments a WHERE NOT EXISTS (SELECT 1 FROM escrow_holds h WHERE h.assignment_id = a.id)""",
}


class MarketMachine(RuleBasedStateMachine):
    database_factory = None
    redis_url = ""
    data_dir = None

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.url = self.run(self.database_factory.create())
        self.settings = Settings(database_url=self.url, redis_url=self.redis_url, data_dir=self.data_dir,
                                 hash_key="test-hash-key", log_json=False, allocator_in_serve=False,
                                 allocator_solve_in="thread", webhooks_in_serve=False)
        self.client = TestClient(TestServer(create_app(self.settings)), loop=self.loop)
        self.run(self.client.start_server())
        self.conn: asyncpg.Connection = self.run(asyncpg.connect(self.url))
        self.pool = self.run(db.create_pool(self.url, min_size=1, max_size=4))
        self.allocator = Allocator(self.pool, self.settings, name="machine")
        self.employers = [self.run(self._party(factories.employer, escrow_fen=60_000)) for _ in range(2)]
        self.workers = [self.run(self._party(self._skilled_worker)) for _ in range(4)]
        self.orders: list[dict] = []
        self.server_errors: list[str] = []

    def run(self, awaitable):
        return self.loop.run_until_complete(awaitable)

    async def _skilled_worker(self, client):
        worker = await factories.worker(client)
        await self.conn.execute("INSERT INTO worker_skills (worker_id, skill_code, level) "
                                "VALUES ($1, 'warehouse_picking', 2)", uuid.UUID(worker.id))
        return worker

    async def _party(self, make, **kwargs) -> tuple:
        party = await make(self.client, **kwargs)
        return party, await self.client.app[ACCOUNTS].authenticate(f"Bearer {party.token}")

    def teardown(self) -> None:
        try:
            # How deep the run got (shown with --hypothesis-show-statistics).
            for table in ("offers", "assignments", "settlements"):
                event(f"{table}: {'some' if self.run(self.conn.fetchval(f'SELECT count(*) FROM {table}')) else 'none'}")
            self.allocator.close()
            self.run(self.pool.close())
            self.run(self.conn.close())
            self.run(self.client.close())
            self.run(self.database_factory.drop(self.url))
        finally:
            self.loop.run_until_complete(self.loop.shutdown_asyncgens())
            self.loop.close()

    async def _call(self, method: str, path: str, party, body: dict | None = None) -> tuple[int, dict]:
        response = await self.client.request(method, path, json=body, headers=party.auth)
        if response.status >= 500:
            self.server_errors.append(f"{method} {path}: {response.status} {await response.text()}")
        payload = await response.json() if response.content_type.endswith("json") else {}
        return response.status, payload

    def call(self, method: str, path: str, party, body: dict | None = None) -> tuple[int, dict]:
        return self.run(self._call(method, path, party, body))

    def together(self, calls: list) -> list:
        """Run the calls concurrently on the machine's loop (gather needs a running one)."""
        async def gathered():
            return await asyncio.gather(*calls)
        return self.run(gathered())

    # ---- rules ---------------------------------------------------------------------------------

    @initialize()
    def a_busy_morning_to_start_with(self):
        """Hypothesis tries short sequences first, so every example starts deep: three overlapping
        orders, everyone bidding on all of them, allocation, and every offer accepted at once."""
        self.post_order(0, "labor_service", 2, 2, 9)
        self.post_order(1, "incomplete_labor", 2, 2, 11)
        self.post_order(1, "labor_part_time", 1, 2, 14)
        for index in range(len(self.orders)):
            self._bid(self.orders[index], {0, 1, 2, 3}, 2500)
            self._allocate(self.orders[index])
        self.every_worker_accepts_every_pending_offer_at_once()
        for worker, how_far in enumerate(["approve", "check out", "approve", "check in"]):
            self.work_a_shift(worker, how_far)

    @rule(employer=st.integers(0, 1), relationship=st.sampled_from(["labor_service", "incomplete_labor",
                                                                   "labor_part_time"]),
          headcount=st.integers(1, 3), day=st.integers(2, 3), hour=st.sampled_from([9, 11, 14]))
    def post_order(self, employer, relationship, headcount, day, hour):
        """Orders overlap on purpose (9–13 and 11–15 on the same day): double-booking is the point."""
        party, _ = self.employers[employer]
        body = gig_order_body(relationship=relationship, shifts=[
            {"start": factories.at(day, hour), "end": factories.at(day, hour + 4), "headcount": headcount}])
        status, order = self.call("POST", "/v1/orders", party, body)
        assert status == 201, order
        self.orders.append({"id": order["id"], "shift_id": order["shifts"][0]["id"], "employer": employer,
                            "start": datetime.fromisoformat(order["shifts"][0]["start"])})

    @precondition(lambda self: self.orders)
    @rule(data=st.data(), workers=st.sets(st.integers(0, 3), min_size=1), rate_fen=st.sampled_from([2500, 3000]))
    def bid(self, data, workers, rate_fen):
        self._bid(pick(data, self.orders), workers, rate_fen)

    def _bid(self, order, workers, rate_fen):
        async def place(worker):
            party, _ = self.workers[worker]
            await self._call("POST", f"/v1/orders/{order['id']}/bids", party,
                             {"shift_ids": [order["shift_id"]], "rate_fen": rate_fen})
        self.together([place(w) for w in sorted(workers)])

    @precondition(lambda self: self.orders)
    @rule(data=st.data())
    def allocate(self, data):
        self._allocate(pick(data, self.orders))

    def _allocate(self, order):
        party, _ = self.employers[order["employer"]]
        self.call("POST", f"/v1/orders/{order['id']}/allocate", party)
        self.run(self.allocator.run_queued())

    @rule()
    def every_worker_accepts_every_pending_offer_at_once(self):
        """All pending offers answered together, a worker's overlapping ones included: the database
        must let at most one of a worker's overlapping seats through, and no shift overfill."""
        calls = []
        for party, _ in self.workers:
            status, offers = self.call("GET", "/v1/workers/me/offers?state=pending", party)
            calls += [self._call("POST", f"/v1/offers/{offer['id']}/accept", party) for offer in offers["items"]]
        results = self.together(calls)
        assert all(status in (200, 409) for status, _ in results), results

    @rule(worker=st.integers(0, 3))
    def decline_one_offer(self, worker):
        party, _ = self.workers[worker]
        status, offers = self.call("GET", "/v1/workers/me/offers?state=pending", party)
        if offers.get("items"):
            self.call("POST", f"/v1/offers/{offers['items'][0]['id']}/decline", party)

    @rule(worker=st.integers(0, 3))
    def give_a_seat_back(self, worker):
        party, _ = self.workers[worker]
        status, seats = self.call("GET", "/v1/workers/me/assignments", party)
        active = [a for a in seats.get("items", []) if a["state"] == "active"]
        if active:
            self.call("POST", f"/v1/assignments/{active[0]['id']}/cancel", party, {"reason": "有事"})

    @precondition(lambda self: self.orders)
    @rule(data=st.data())
    def employer_cancels(self, data):
        order = pick(data, self.orders)
        party, _ = self.employers[order["employer"]]
        self.call("POST", f"/v1/orders/{order['id']}/cancel", party, {"reason": "客户取消"})

    @rule(worker=st.integers(0, 3), through=st.sampled_from(["check in", "check out", "approve"]))
    def work_a_shift(self, worker, through):
        """The worker's first active seat: checked in at its start, out 3 h later, approved."""
        party, principal = self.workers[worker]
        status, seats = self.call("GET", "/v1/workers/me/assignments", party)
        active = [a for a in seats.get("items", []) if a["state"] == "active"]
        if not active:
            return
        seat = active[0]
        start = datetime.fromisoformat(seat["start"])
        service = self.client.app[ATTENDANCE]
        for step in ("check in", "check out", "approve"):
            try:
                if step == "check in":
                    self.run(service.check_in(principal, uuid.UUID(seat["id"]), *SITE, now=start))
                elif step == "check out":
                    self.run(service.check_out(principal, uuid.UUID(seat["id"]), *SITE, now=start + timedelta(hours=3)))
                else:  # the service, at the machine's clock: settled after the shift, not before it
                    owner = next(o["employer"] for o in self.orders if o["id"] == seat["order_id"])
                    self.run(service.approve(self.employers[owner][1], uuid.UUID(seat["id"]),
                                             now=start + timedelta(hours=4)))
            except Exception as refused:  # a domain refusal (409) is an outcome; invariants judge it
                if getattr(refused, "status", 500) >= 500:
                    raise
            if step == through:
                break

    @rule(days=st.sampled_from([1, 5]))
    def sweep(self, days):
        self.run(self.client.app[SETTLEMENTS].sweep(now=datetime.now(timezone.utc) + timedelta(days=days)))

    @rule(employer=st.integers(0, 1))
    def deposit(self, employer):
        party, _ = self.employers[employer]
        self.run(factories.deposit(self.client, party, 30_000))

    # ---- invariants ----------------------------------------------------------------------------

    @invariant()
    def nothing_broke(self):
        assert not self.server_errors, self.server_errors
        for name, sql in MARKET_BREAKS.items():
            rows = self.run(self.conn.fetch(sql))
            assert not rows, f"{name}: {[tuple(r) for r in rows[:5]]}"


def test_any_sequence_of_market_steps_keeps_every_promise(database_factory, redis_url, tmp_path):
    class Machine(MarketMachine):
        pass

    Machine.database_factory = database_factory
    Machine.redis_url = redis_url
    Machine.data_dir = tmp_path
    run_state_machine_as_test(Machine, settings=MACHINE_SETTINGS)
