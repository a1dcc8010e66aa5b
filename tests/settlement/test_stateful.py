"""Settlement as a state machine: any sequence of deposits, orders, assignments (with their escrow
hold, through allocation's `hold_seat`), check-ins and -outs, approvals, disputes, no-shows, late
cancellations by employers, workers giving seats back, sweeps, payout batches and retries of any
of them keeps the money right.

After every step: each journal entry sums to zero over ≥ 2 postings, no escrow is negative, cached
balances equal the journal, every approved timesheet is settled at most once (and exactly once when
it is owed money, after a sweep the employer can fund), each hold is resolved at most once and the
held escrow equals the open holds, no payout key twice, every payable paid at most once and each
worker's payable account equals their unpaid payables. Retrying the last business operation
changes nothing.

The machine is synchronous, so it drives an asyncio loop of its own: one fresh database (cloned
from the template), one app and one client per example.
"""
from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta

import asyncpg
import pytest
from aiohttp.test_utils import TestClient, TestServer
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine, initialize, invariant, precondition, rule, run_state_machine_as_test,
)

from market.app import create_app
from market.config import Settings
from market.errors import MarketError
from market.settlement import escrow
from market.attendance.keys import ATTENDANCE
from market.accounts.keys import ACCOUNTS
from market.allocation.keys import ALLOCATIONS
from market.orders.keys import ORDERS
from market.settlement.keys import SETTLEMENTS
from tests import factories
from tests.settlement.support import SITE, admin, assign, minutes, now_local, shift_at

RELATIONSHIPS = ["labor_service", "incomplete_labor", "labor_part_time"]
SHIFT_LENGTH = minutes(180)


def stateful_examples(default: int) -> int:
    """Examples per stateful run: `default`, or MARKET_STATEFUL_EXAMPLES when set. The CI pass
    against the machine's servers runs fewer; examples are derandomized, so those are the first
    ones of the full run, now against another server."""
    return int(os.environ.get("MARKET_STATEFUL_EXAMPLES") or default)


def pick(data, items: list):
    """One of `items`, drawn so that the data drawn does not depend on how many there are: the
    lists grow with what the database accepted, which timing can change between a run and its
    replay (hypothesis would call that a flaky strategy)."""
    return items[data.draw(st.integers(0, 1 << 16)) % len(items)]


# Bounded for CI and deterministic: the same examples on every run.
MACHINE_SETTINGS = settings(max_examples=stateful_examples(10), stateful_step_count=25, deadline=None,
                            derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow])

# What a retry must leave exactly as it was: every row that carries or decides money. Empty payout
# batches are left out: re-running `payouts run` with nothing due records an empty batch, by design.
SNAPSHOT = {
    "entries": "SELECT business_key, kind FROM journal_entries ORDER BY id",
    "postings": "SELECT entry_id, account_id, amount_fen FROM journal_postings ORDER BY id",
    "balances": "SELECT id, balance_fen FROM ledger_accounts ORDER BY id",
    "holds": "SELECT assignment_id, amount_fen, state FROM escrow_holds ORDER BY assignment_id",
    "deposits": "SELECT id, state FROM deposits ORDER BY id",
    "assignments": "SELECT id, state FROM assignments ORDER BY id",
    "timesheets": "SELECT assignment_id, state, checked_in_at, checked_out_at, approved_minutes FROM timesheets "
                  "ORDER BY assignment_id",
    "settlements": "SELECT id, assignment_id, gross_fen, net_pay_fen FROM settlements ORDER BY id",
    "compensations": "SELECT id, amount_fen FROM compensations ORDER BY id",
    "payables": "SELECT id, amount_fen, payout_id FROM payables ORDER BY id",
    "payouts": "SELECT id, amount_fen, state FROM payouts ORDER BY id",
    "batches": "SELECT b.id, b.state FROM payout_batches b WHERE EXISTS (SELECT 1 FROM payouts p "
               "WHERE p.batch_id = b.id) ORDER BY b.id",
    "arrears": "SELECT id, cleared_at IS NULL FROM arrears ORDER BY id",
    "workers": "SELECT id, reliability FROM workers ORDER BY id",
}

# Journal movements that resolve the hold of assignment h: its release, or the settlement posting it.
HOLD_RESOLUTIONS = """
    SELECT count(*) FROM journal_entries e WHERE e.assignment_id = h.assignment_id AND (
        e.kind = 'hold_release' OR (e.kind = 'settlement' AND EXISTS (
            SELECT 1 FROM journal_postings p JOIN ledger_accounts a ON a.id = p.account_id
            WHERE p.entry_id = e.id AND a.kind = 'employer_escrow_held')))"""

# Each query returns the rows that break an invariant; all must be empty after every step.
BREAKS = {
    "unbalanced entry": """
        SELECT e.id, e.business_key FROM journal_entries e LEFT JOIN journal_postings p ON p.entry_id = e.id
        GROUP BY e.id HAVING coalesce(sum(p.amount_fen), 0) <> 0 OR count(p.id) < 2""",
    "negative escrow": """
        SELECT id, kind, balance_fen FROM ledger_accounts
        WHERE kind IN ('employer_escrow', 'employer_escrow_held') AND balance_fen > 0""",
    "cached balance differs from the journal": """
        SELECT a.id, a.balance_fen, coalesce(sum(p.amount_fen), 0) FROM ledger_accounts a
        LEFT JOIN journal_postings p ON p.account_id = a.id GROUP BY a.id
        HAVING a.balance_fen <> coalesce(sum(p.amount_fen), 0)""",
    # A settlement is of an approved timesheet, or of the late-cancel compensation of a cancelled
    # assignment (settled by the same engine: income, withheld, on a pay slip).
    "settlement of neither an approved timesheet nor a compensation": """
        SELECT s.assignment_id, t.state, a.state FROM settlements s LEFT JOIN timesheets t USING (assignment_id)
        JOIN assignments a ON a.id = s.assignment_id
        WHERE t.state IS DISTINCT FROM 'approved'
          AND NOT (a.state = 'cancelled' AND EXISTS (SELECT 1 FROM compensations c
                                                     WHERE c.assignment_id = s.assignment_id))""",
    "settlement entries ≠ settlements": """
        SELECT a.id FROM assignments a
        WHERE (SELECT count(*) FROM settlements s WHERE s.assignment_id = a.id)
           <> (SELECT count(*) FROM journal_entries e WHERE e.kind IN ('settlement', 'compensation')
               AND e.assignment_id = a.id)""",
    "settled without its journal entry": """
        SELECT s.id FROM settlements s JOIN journal_entries e ON e.id = s.journal_entry_id
        WHERE e.business_key <> 'settlement:' || s.assignment_id
          AND NOT EXISTS (SELECT 1 FROM compensations c WHERE c.assignment_id = s.assignment_id
                          AND e.business_key = 'compensation:' || c.id)""",
    # A hold's resolution is one journal movement of held → escrow: a hold_release entry, or the
    # settlement entry that posts it (its escrow_held leg).
    "hold resolved more than once": f"""
        SELECT h.assignment_id FROM escrow_holds h
        WHERE ({HOLD_RESOLUTIONS}) > 1""",
    "hold state disagrees with the journal": f"""
        SELECT h.assignment_id, h.state FROM escrow_holds h
        WHERE h.amount_fen > 0 AND (
            (SELECT count(*) FROM journal_entries e WHERE e.assignment_id = h.assignment_id AND e.kind = 'hold') <> 1
         OR ({HOLD_RESOLUTIONS}) <> (h.state <> 'held')::int
         OR (SELECT count(*) FROM journal_entries e WHERE e.assignment_id = h.assignment_id
                AND e.kind = 'hold_release') <> (h.state = 'released')::int
         OR (h.state = 'posted' AND NOT EXISTS (
                SELECT 1 FROM journal_entries e JOIN journal_postings p ON p.entry_id = e.id
                JOIN ledger_accounts a ON a.id = p.account_id
                WHERE e.assignment_id = h.assignment_id AND e.kind = 'settlement'
                  AND a.kind = 'employer_escrow_held' AND p.amount_fen = h.amount_fen)))""",
    "held escrow ≠ the open holds": """
        SELECT o.id FROM organisations o
        LEFT JOIN ledger_accounts a ON a.kind = 'employer_escrow_held' AND a.holder_id = o.id
        WHERE coalesce(-a.balance_fen, 0)
           <> (SELECT coalesce(sum(amount_fen), 0) FROM escrow_holds h WHERE h.organisation_id = o.id
               AND h.state = 'held')""",
    "a hold still held on an assignment that is over": """
        SELECT h.assignment_id, a.state FROM escrow_holds h JOIN assignments a ON a.id = h.assignment_id
        WHERE h.state = 'held' AND a.state IN ('cancelled', 'no_show')""",
    "payout key twice": """
        SELECT business_key FROM journal_entries GROUP BY business_key HAVING count(*) > 1
        UNION ALL SELECT batch_id::text FROM payouts GROUP BY batch_id, payee_type, payee_id HAVING count(*) > 1""",
    "payouts ≠ payout entries": """
        SELECT p.id FROM payouts p JOIN journal_entries e ON e.id = p.journal_entry_id
        WHERE e.kind <> 'payout' OR e.business_key <> 'payout:' || p.batch_id || ':' || p.payee_type || ':' || p.payee_id
        UNION ALL SELECT e.id::text::uuid FROM journal_entries e
        WHERE e.kind = 'payout' AND NOT EXISTS (SELECT 1 FROM payouts p WHERE p.journal_entry_id = e.id)""",
    "payout amount ≠ its payables": """
        SELECT p.id FROM payouts p
        WHERE p.amount_fen <> (SELECT coalesce(sum(amount_fen), 0) FROM payables pa WHERE pa.payout_id = p.id)""",
    "a worker's payable account ≠ their unpaid payables": """
        SELECT w.id FROM workers w
        LEFT JOIN ledger_accounts a ON a.kind = 'worker_payable' AND a.holder_type = 'worker' AND a.holder_id = w.id
        WHERE coalesce(-a.balance_fen, 0) <> (SELECT coalesce(sum(amount_fen), 0) FROM payables pa
                                              WHERE pa.payee_type = 'worker' AND pa.payee_id = w.id
                                                AND pa.payout_id IS NULL)""",
    "arrears for a timesheet that owes nothing": """
        SELECT r.id FROM arrears r JOIN timesheets t USING (assignment_id)
        WHERE r.kind = 'wage_unpaid' AND t.approved_minutes = 0""",
    "one compensation, one entry": """
        SELECT c.id FROM compensations c
        WHERE (SELECT count(*) FROM journal_entries e WHERE e.business_key = 'compensation:' || c.id) > 1""",
}

# Approved timesheets owed money and fundable, yet unsettled (checked right after a sweep).
OWED_BUT_UNSETTLED = """
SELECT t.assignment_id FROM timesheets t
WHERE t.state = 'approved' AND t.approved_minutes > 0
  AND NOT EXISTS (SELECT 1 FROM settlements s WHERE s.assignment_id = t.assignment_id)
  AND NOT EXISTS (SELECT 1 FROM alerts al WHERE al.business_key LIKE '%settlement_refused:' || t.assignment_id)
"""


class SettlementMachine(RuleBasedStateMachine):
    """Set `database_factory` and `redis_url` on a subclass (see the test below)."""

    database_factory = None
    redis_url: str = ""
    data_dir = None

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.url = self.run(self.database_factory.create())
        # As the shared test settings (tests/server_fixtures.py): seats are checked in without
        # signing their written agreement (tests/contracts holds the gate), and no render process.
        app_settings = Settings(database_url=self.url, redis_url=self.redis_url, data_dir=self.data_dir,
                                hash_key="test-hash-key", log_json=False, agreements_render_in_serve=False,
                                agreements_render_in="thread", check_in_needs_signed_agreement=False)
        self.client = TestClient(TestServer(create_app(app_settings)), loop=self.loop)
        self.run(self.client.start_server())
        self.conn: asyncpg.Connection = self.run(asyncpg.connect(self.url))
        self.now = now_local()
        self.admin = self.run(admin(self.client))
        self.employers = [self.run(self._party(factories.employer)) for _ in range(2)]
        self.workers = [self.run(self._party(factories.worker)) for _ in range(3)]
        self.deposits: list[uuid.UUID] = []
        self.orders: list[dict] = []
        self.assignments: list[dict] = []
        self.last: tuple[str, Callable[[], Awaitable[object]]] | None = None

    def run(self, awaitable):
        return self.loop.run_until_complete(awaitable)

    async def _party(self, make) -> tuple:
        party = await make(self.client)
        return party, await self.client.app[ACCOUNTS].authenticate(f"Bearer {party.token}")

    def teardown(self) -> None:
        try:
            self.run(self.conn.close())
            self.run(self.client.close())
            self.run(self.database_factory.drop(self.url))
        finally:
            self.loop.run_until_complete(self.loop.shutdown_asyncgens())
            self.loop.close()

    @property
    def service(self):
        return self.client.app[SETTLEMENTS]

    @property
    def attendance(self):
        return self.client.app[ATTENDANCE]

    def act(self, name: str, operation: Callable[[], Awaitable[object]]):
        """Run a business operation; remember it for the retry rule. A domain refusal (409, 404, 422)
        is an outcome like any other: the invariants decide whether it was right."""
        self.last = (name, operation)
        try:
            return self.run(operation())
        except MarketError:
            return None

    @initialize(relationships=st.lists(st.sampled_from(RELATIONSHIPS), min_size=2, max_size=2),
                progress=st.lists(st.sampled_from(["submitted", "checked in", "assigned"]), min_size=3, max_size=3))
    def fund_the_employers_and_staff_a_live_order_each(self, relationships, progress):
        """A start deep enough for the steps to reach approval, settlement and payout: each employer
        funded with a live order, each worker assigned to one and perhaps checked in or out."""
        for employer, relationship in enumerate(relationships):
            self.deposit(employer, 100_000)
            self.post_order(employer, relationship, 3_000, -30)
        for worker, how_far in enumerate(progress):
            self._assign(self.orders[worker % 2], worker)
            a, (_, caller) = self.assignments[-1], self.workers[worker]
            if how_far != "assigned":
                self.run(self.attendance.check_in(caller, a["id"], *SITE, now=a["order"]["start"] + minutes(5)))
            if how_far == "submitted":
                self.run(self.attendance.check_out(caller, a["id"], *SITE, now=a["order"]["start"] + minutes(150)))
        self.last = None

    # ---- rules ---------------------------------------------------------------------------------

    @rule(employer=st.integers(0, 1), amount_fen=st.sampled_from([2_000, 12_000, 50_000, 1_000_000]))
    def deposit(self, employer, amount_fen):
        party, caller = self.employers[employer]
        record = self.run(self.service.declare_deposit(caller, amount_fen, f"T{len(self.deposits)}"))
        self.deposits.append(record.id)
        self.act("confirm deposit", lambda: self.service.confirm_deposit(record.id))

    @rule(employer=st.integers(0, 1), relationship=st.sampled_from(RELATIONSHIPS),
          rate_fen=st.sampled_from([2_500, 3_000, 8_000]), starts_in=st.sampled_from([-30, 120]))
    def post_order(self, employer, relationship, rate_fen, starts_in):
        party, caller = self.employers[employer]
        start = self.now + minutes(starts_in)
        posted, shift_id = self.run(shift_at(self.client, self.conn, party, start, start + SHIFT_LENGTH,
                                             relationship=relationship, rate_fen=rate_fen, headcount=3))
        self.orders.append({"id": uuid.UUID(posted["id"]), "shift_id": shift_id, "employer": employer,
                            "start": start, "rate_fen": rate_fen})

    @precondition(lambda self: self.orders)
    @rule(data=st.data(), worker=st.integers(0, 2))
    def assign_worker(self, data, worker):
        self._assign(pick(data, self.orders), worker)

    def _assign(self, order, worker):
        party, _ = self.workers[worker]
        try:
            assignment_id = self.run(assign(self.conn, order["shift_id"], party, order["rate_fen"]))
        except MarketError:
            return  # escrow short: nothing was written
        except (asyncpg.ExclusionViolationError, asyncpg.CheckViolationError):
            return  # the worker is busy then, or the shift is full (allocation would not offer it)
        self.assignments.append({"id": assignment_id, "order": order, "worker": worker})
        self.act("place hold", lambda: self._hold_again(assignment_id))

    async def _hold_again(self, assignment_id):
        async with self.conn.transaction():
            await escrow.place_hold(self.conn, assignment_id)

    def _draw_assignment(self, data) -> dict:
        return pick(data, self.assignments)

    @precondition(lambda self: self.assignments)
    @rule(data=st.data(), step=st.sampled_from(["next", "check in", "check out"]),
          offset=st.sampled_from([5, 0, 60, 240]))
    def check_in_or_out(self, data, step, offset):
        """Check in `offset` minutes after the start, or check out `offset` minutes after it (0: a
        check-out with no paid time; 240: after the end, clipped to the shift). "next" is whichever
        of the two the timesheet is waiting for."""
        a = self._draw_assignment(data)
        _, caller = self.workers[a["worker"]]
        at = a["order"]["start"] + minutes(offset)
        if step == "next":
            checked_in = self.run(self.conn.fetchval(
                "SELECT checked_in_at IS NOT NULL FROM timesheets WHERE assignment_id = $1", a["id"]))
            step = "check out" if checked_in else "check in"
            at = a["order"]["start"] + minutes(150 if checked_in else 5)
        if step == "check in":
            self.act(step, lambda: self.attendance.check_in(caller, a["id"], *SITE, now=at))
        else:
            self.act(step, lambda: self.attendance.check_out(caller, a["id"], *SITE, now=at))

    @precondition(lambda self: self.assignments)
    @rule(data=st.data(), answer=st.sampled_from(["approve", "approve", "dispute", "no-show"]),
          adjusted=st.sampled_from([None, None, 30, 400]))
    def answer_timesheet(self, data, answer, adjusted):
        """The employer approves (as checked out, or adjusted with a reason), disputes, or marks a no-show."""
        a = self._draw_assignment(data)
        _, caller = self.employers[a["order"]["employer"]]
        if answer == "approve":
            reason = "adjusted" if adjusted is not None else None
            self.act(answer, lambda: self.attendance.approve(caller, a["id"], adjusted, reason))
        elif answer == "dispute":
            self.act(answer, lambda: self.attendance.dispute(caller, a["id"], "hours look wrong"))
        else:
            at = a["order"]["start"] + minutes(30)  # past the 20-minute grace
            self.act(answer, lambda: self.attendance.no_show(caller, a["id"], now=at))

    @precondition(lambda self: self.orders)
    @rule(data=st.data())
    def cancel_order_late(self, data):
        order = pick(data, self.orders)
        _, caller = self.employers[order["employer"]]
        self.act("cancel order", lambda: self.client.app[ORDERS].cancel(caller, order["id"], "rain"))

    @precondition(lambda self: self.assignments)
    @rule(data=st.data(), before=st.sampled_from([60, 48 * 60]))
    def worker_gives_the_seat_back(self, data, before):
        """The worker cancels `before` minutes ahead of the start (inside or outside the late window)."""
        a = self._draw_assignment(data)
        _, caller = self.workers[a["worker"]]
        at = a["order"]["start"] - minutes(before)
        self.act("worker cancels", lambda: self.client.app[ALLOCATIONS].cancel_assignment(caller, a["id"], "ill",
                                                                                           now=at))

    @rule(days_later=st.sampled_from([0, 2, 30]))
    def sweep(self, days_later):
        at = self.now + timedelta(days=days_later)
        self.act("sweep", lambda: self.service.sweep(now=at))
        # Whatever the sweep could settle it did: what stays unsettled is refused or unfunded.
        for row in self.run(self.conn.fetch(OWED_BUT_UNSETTLED)):
            assignment_id = row["assignment_id"]
            organisation_id = self.run(self.conn.fetchval(
                "SELECT organisation_id FROM assignments WHERE id = $1", assignment_id))
            held = self.run(self.conn.fetchval(
                "SELECT amount_fen FROM escrow_holds WHERE assignment_id = $1 AND state = 'held'", assignment_id))
            available = self.run(escrow.escrow_available(self.conn, organisation_id)) + (held or 0)
            assert available < self._cost_of_approved(assignment_id), \
                f"approved timesheet {assignment_id} is fundable ({available} fen) but unsettled after a sweep"

    def _cost_of_approved(self, assignment_id) -> int:
        """What settling would take from escrow, recomputed by the same rules as the service (upper
        bound: gross + 5 % fee + contributions at the approved minutes)."""
        row = self.run(self.conn.fetchrow(
            "SELECT t.approved_minutes, a.rate_fen FROM timesheets t JOIN assignments a ON a.id = t.assignment_id "
            "WHERE t.assignment_id = $1", assignment_id))
        gross = row["rate_fen"] * row["approved_minutes"] / 60
        return int(gross * 1.05) - 1  # strictly below this, escrow surely could not cover it

    @rule(far=st.booleans(), confirm=st.booleans())
    def payout_batch(self, far, confirm):
        """Run a payout batch of what is due today (or within 60 days); the bank may confirm it."""
        due_by = (self.now + timedelta(days=60 if far else 0)).date()
        batch_id = self.act("payouts run", lambda: self.service.run_payouts(due_by))
        if confirm and batch_id is not None:
            self.act("confirm batch", lambda: self.service.confirm_batch(batch_id))

    @precondition(lambda self: self.last is not None)
    @rule()
    def retry_the_last_step(self):
        name, operation = self.last
        before = self.run(self._snapshot())
        try:
            self.run(operation())
        except MarketError:
            pass
        after = self.run(self._snapshot())
        changed = [table for table in SNAPSHOT if before[table] != after[table]]
        assert not changed, f"retrying {name!r} changed {changed}"

    @precondition(lambda self: self.assignments)
    @rule(data=st.data(), how=st.sampled_from(["post", "release"]))
    def resolve_a_hold_again(self, data, how):
        """Resolving a hold that is already resolved moves nothing (each hold resolves once)."""
        a = self._draw_assignment(data)
        state = self.run(self.conn.fetchval("SELECT state FROM escrow_holds WHERE assignment_id = $1", a["id"]))
        if state in (None, "held"):
            return
        before = self.run(self._snapshot())

        async def resolve():
            async with self.conn.transaction():
                if how == "post":
                    return await escrow.mark_holds_posted(self.conn, [a["id"]])
                return await escrow.release_hold(self.conn, a["id"], "again")

        assert self.run(resolve()) == 0
        assert self.run(self._snapshot()) == before

    async def _snapshot(self) -> dict:
        return {table: [tuple(r) for r in await self.conn.fetch(sql)] for table, sql in SNAPSHOT.items()}

    # ---- invariants ----------------------------------------------------------------------------

    @invariant()
    def the_books_hold(self):
        broken = {}
        for name, sql in BREAKS.items():
            rows = self.run(self.conn.fetch(sql))
            if rows:
                broken[name] = [tuple(r) for r in rows]
        assert not broken, broken


# The slowest suite (10 examples of 25 steps, each example a fresh app and database): about 180 s
# against the machine's PostgreSQL 15 on two idle cores since issue 17's steps (agreements,
# certificates) joined each seat and check-in — the 180-s hang guard every other test keeps — and
# under a minute on the embedded server CI runs it on.
@pytest.mark.timeout(600)
def test_any_sequence_of_settlement_steps_and_retries_keeps_the_books_right(database_factory, redis_url, tmp_path):
    class Machine(SettlementMachine):
        pass

    Machine.database_factory = database_factory
    Machine.redis_url = redis_url
    Machine.data_dir = tmp_path
    run_state_machine_as_test(Machine, settings=MACHINE_SETTINGS)
