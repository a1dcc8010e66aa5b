"""Settlement service: deposits, timesheets, approval → settlement, pay slips, statements, payouts,
arrears, the ledger check. Owns its transactions; object-level checks live here (another party's
assignment or settlement is a 404). Money moves only through `ledger.post_entries`; settlements are
computed and posted only by `batch.settle`."""
from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass
from datetime import date, datetime

import asyncpg

from market.kernel.principal import Principal
from market.attendance.service import Attendance, rules_of
from market.catalogue.model import MinimumWageTable
from market.catalogue.service import Catalogue
from market.config import Settings
from market.errors import Conflict, NotFound
from market.events.outbox import emit
from market.background import raise_if_cancelled
from market.kernel import clock, workdays
from market.kernel.clock import SHANGHAI, local_date
from market.orders import progress
from market.settlement import batch as settling, escrow, ledger, model, queries
from market.settlement.model import InsufficientEscrow
from market.settlement.rules import pay_due_date

log = logging.getLogger(__name__)
SETTLE_BATCH = 500  # timesheets per settlement transaction: memory and lock time stay bounded
# Transactions the sweep runs side by side, each on its own employers (escrow and the tax facts
# are per employer, so lanes never wait on each other's rows; only the shared platform and worker
# accounts, from a batch's postings statement to its commit). Two keep two PostgreSQL backends
# busy while the pool keeps room for requests; bench/settlement.py measures the gain.
SETTLE_LANES = 2
# The sweep's partitions of employers. A process settles each partition it can claim (an advisory
# lock for as long as it works on it) and passes over those another process is settling, so the
# sweeps of `serve --workers N` processes share the backlog instead of queueing on the same escrow
# rows; one process alone settles them all in turn.
SETTLE_PARTITIONS = 8


@dataclass(frozen=True)
class LedgerReport:
    ok: bool
    problems: list[str]
    trial_balance: list[tuple[str, str, str, int]]


class Settlements:
    def __init__(self, pool: asyncpg.Pool, catalogue: Catalogue, settings: Settings) -> None:
        self.pool = pool
        self.catalogue = catalogue
        self.settings = settings
        # The sweep's automatic approval is attendance's; what it does to the money is ours.
        self.attendance = Attendance(pool, rules_of(settings), money=lambda: self)

    # ---- deposits and balance ------------------------------------------------------------------

    async def declare_deposit(self, caller: Principal, amount_fen: int, bank_reference: str, *,
                              now: datetime | None = None) -> asyncpg.Record:
        async with self.pool.acquire() as conn, conn.transaction():
            return await conn.fetchrow(queries.INSERT_DEPOSIT, caller.organisation_id, amount_fen, bank_reference,
                                       clock.now(now))

    async def confirm_deposit(self, deposit_id: uuid.UUID, *, now: datetime | None = None) -> asyncpg.Record:
        """Credit escrow with a declared transfer the bank shows arrived (bank clearing → escrow).
        Confirming twice changes nothing."""
        now = clock.now(now)
        async with self.pool.acquire() as conn, conn.transaction():
            deposit = await conn.fetchrow(queries.DEPOSIT_FOR_UPDATE, deposit_id)
            if deposit is None:
                raise NotFound("no such deposit")
            if deposit["state"] == "confirmed":
                return deposit
            organisation_id, amount = deposit["organisation_id"], deposit["amount_fen"]
            await ledger.post_entry(conn, f"deposit:{deposit_id}", "deposit",
                                    [(ledger.BANK_CLEARING, amount), (ledger.escrow(organisation_id), -amount)],
                                    memo=f"bank transfer {deposit['bank_reference']}", organisation_id=organisation_id,
                                    now=now)
            confirmed = await conn.fetchrow(queries.CONFIRM_DEPOSIT, deposit_id, now)
            await emit(conn, "deposit.confirmed", {"deposit_id": str(deposit_id), "amount_fen": amount},
                       organisation_ids=[organisation_id])
            return confirmed

    async def balance(self, caller: Principal) -> dict:
        async with self.pool.acquire() as conn:
            return {"available_fen": await escrow.escrow_available(conn, caller.organisation_id),
                    "held_fen": await escrow.escrow_held(conn, caller.organisation_id),
                    "red_flag_since": await conn.fetchval(queries.RED_FLAG, caller.organisation_id)}

    async def red_flag_since(self, organisation_id: uuid.UUID) -> datetime | None:
        async with self.pool.acquire() as conn:
            return await conn.fetchval(queries.RED_FLAG, organisation_id)

    # ---- what approvals and no-shows do to the money (attendance.service.TimesheetMoney) ---------

    async def settle_approved(self, conn: asyncpg.Connection, assignment_id: uuid.UUID, minutes: int,
                              now: datetime) -> None:
        """Settle a timesheet the employer just approved, in the approval's transaction; an escrow
        that does not cover it refuses the approval (409, InsufficientEscrow)."""
        row = await conn.fetchrow(queries.ASSIGNMENT_FOR_MONEY, assignment_id)
        outcome = (await settling.settle(conn, [(row, minutes)], minimum_wages=await self._minimum_wages(),
                                         now=now))[assignment_id]
        if isinstance(outcome, InsufficientEscrow):
            raise outcome

    async def release_hold(self, conn: asyncpg.Connection, assignment_id: uuid.UUID, reason: str,
                           now: datetime) -> None:
        await escrow.release_hold(conn, assignment_id, reason, now=now)

    async def _minimum_wages(self) -> MinimumWageTable:
        return MinimumWageTable((await self.catalogue.data()).minimum_wages)

    async def auto_approve(self, *, now: datetime | None = None) -> int:
        """Approve every timesheet submitted longer ago than the setting (attendance, each in its
        own transaction), then settle them in batches. One that escrow cannot cover is still
        approved (the worker did the work); it stays unsettled until escrow covers it, and becomes
        arrears if that is after its due date."""
        now = clock.now(now)
        approved = await self.attendance.auto_approve(now=now)
        for start in range(0, len(approved), SETTLE_BATCH):
            await self._settle_batch(approved[start:start + SETTLE_BATCH], now)
        return len(approved)

    async def settle_pending(self, *, now: datetime | None = None, batch_size: int = SETTLE_BATCH,
                             lanes: int = SETTLE_LANES) -> int:
        """Settle every approved, unsettled timesheet — those escrow could not cover before — a
        page of `batch_size` per transaction, up to `lanes` transactions at once on disjoint sets
        of employers (market/settlement/batch.py), partition by partition (SETTLE_PARTITIONS),
        skipping partitions another process is settling. Retry-safe; refused and still-short
        ones are passed over and stay for the next sweep."""
        now = clock.now(now)
        settled = 0
        for partition in range(SETTLE_PARTITIONS):
            async with self.pool.acquire() as claim, claim.transaction():
                if await claim.fetchval(queries.CLAIM_PARTITION, queries.SWEEP_LOCK_CLASS, partition):
                    settled += await self._settle_partition(partition, now, batch_size, lanes)
        return settled

    async def _settle_partition(self, partition: int, now: datetime, batch_size: int, lanes: int) -> int:
        settled, after = 0, (None, None)
        while True:
            async with self.pool.acquire() as conn:
                page = await conn.fetch(queries.APPROVED_UNSETTLED, *after, batch_size * lanes, SETTLE_PARTITIONS,
                                        partition)
            if not page:
                return settled
            async with asyncio.TaskGroup() as group:
                tasks = [group.create_task(self._settle_batch(ids, now)) for ids in _split_by_employer(page, lanes)]
            settled += sum(task.result() for task in tasks)
            after = (page[-1]["approved_at"], page[-1]["assignment_id"])

    async def _settle_batch(self, assignment_ids: list[uuid.UUID], now: datetime) -> int:
        try:
            async with self.pool.acquire() as conn, conn.transaction():
                rows = await conn.fetch(queries.APPROVED_FOR_MONEY, assignment_ids)
                outcomes = await settling.settle(conn, [(r, r["approved_minutes"]) for r in rows],
                                              minimum_wages=await self._minimum_wages(), now=now)
        except (OSError, asyncpg.InterfaceError, asyncpg.PostgresConnectionError):
            raise  # the database is away: the sweep fails and is retried
        except Exception as error:
            raise_if_cancelled(error)
            # One timesheet that cannot be settled (a row written around the API: a date no minimum
            # wage covers, an amount past bigint) must not hold back the rest of the batch, which is
            # other employers' too: settle each alone; the one that fails is logged and left.
            if len(assignment_ids) > 1:
                return sum([await self._settle_batch([one], now) for one in assignment_ids])
            log.exception("approved timesheet cannot be settled; left for a later sweep",
                          extra={"assignment_id": str(assignment_ids[0])})
            return 0
        short = [str(a) for a, outcome in outcomes.items() if isinstance(outcome, InsufficientEscrow)]
        if short:
            log.warning("approved timesheets left unsettled: escrow short",
                        extra={"count": len(short), "assignment_ids": short[:20]})
        return sum(isinstance(outcome, uuid.UUID) for outcome in outcomes.values())

    async def confirm_wage_paid(self, caller: Principal, settlement_id: uuid.UUID, *,
                                now: datetime | None = None) -> asyncpg.Record:
        """The lending enterprise confirms it paid its employee the wage leg of a shared-labor settlement."""
        now = clock.now(now)
        async with self.pool.acquire() as conn, conn.transaction():
            row = await conn.fetchrow(queries.SETTLEMENT_BY_ID, settlement_id)
            if row is None or row["lender_id"] != caller.organisation_id:
                raise NotFound("no such settlement")
            await conn.execute(queries.CONFIRM_WAGE_LEG, settlement_id, now)
            await conn.execute(queries.CLEAR_SHARED_WAGE_ARREARS, row["assignment_id"], now)
            return await conn.fetchrow(queries.SETTLEMENT_BY_ID, settlement_id)

    async def payslips(self, caller: Principal, after: tuple | None, limit: int) -> list[asyncpg.Record]:
        created, last_id = after or (None, None)
        async with self.pool.acquire() as conn:
            return await conn.fetch(queries.PAYSLIPS_OF_WORKER, caller.worker_id, created, last_id, limit)

    async def statement(self, caller: Principal, month: date) -> list[asyncpg.Record]:
        start = datetime(month.year, month.month, 1, tzinfo=SHANGHAI)
        end = datetime(month.year + (month.month == 12), month.month % 12 + 1, 1, tzinfo=SHANGHAI)
        async with self.pool.acquire() as conn:
            return await conn.fetch(queries.STATEMENT_OF_ORGANISATION, caller.organisation_id, start, end)

    # ---- payouts -------------------------------------------------------------------------------

    async def run_payouts(self, due_by: date, *, allow_empty: bool = True,
                          now: datetime | None = None) -> uuid.UUID | None:
        """Build a payout batch: one payout per payee of everything due by `due_by` and not yet in a
        payout. Each payee is one transaction (entry payable → bank clearing, payout, links), so a
        run killed midway leaves whole payouts only; the next run resumes the batch being built.
        Re-running never pays a payable twice: it is linked to its payout in the same transaction.
        `allow_empty=False`: with no batch to resume and nothing due, no batch is made (None)."""
        now = clock.now(now)
        async with self.pool.acquire() as conn, conn.transaction():
            batch = await conn.fetchrow(queries.BUILDING_BATCH)
            if batch is None and not allow_empty and not await conn.fetchval(queries.ANY_PAYABLE_DUE, due_by):
                return None
            batch = batch or await conn.fetchrow(queries.INSERT_BATCH, due_by, now)
            if batch is None:  # another run created one a moment ago
                batch = await conn.fetchrow(queries.BUILDING_BATCH)
        batch_id, due_by = batch["id"], batch["due_by"]
        async with self.pool.acquire() as conn:
            payees = await conn.fetch(queries.PAYEES_DUE, due_by)
        for payee in payees:
            try:
                await self._pay_one(batch_id, due_by, payee["payee_type"], payee["payee_id"], now)
            except (OSError, asyncpg.InterfaceError, asyncpg.PostgresConnectionError):
                raise  # the database is away: the run fails, and the next one resumes the batch
            except Exception as error:
                raise_if_cancelled(error)
                # One payee whose payout cannot be computed (a row written around the API: amounts
                # summing past bigint) is left out of the batch, whole, and logged; everyone else is paid.
                log.exception("payee left out of the payout batch", extra={
                    "batch_id": str(batch_id), "payee_type": payee["payee_type"], "payee_id": str(payee["payee_id"])})
            if self.settings.payout_delay_per_payee_seconds:
                await asyncio.sleep(self.settings.payout_delay_per_payee_seconds)
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute(queries.EXPORT_BATCH, batch_id, now)
        return batch_id

    async def _pay_one(self, batch_id: uuid.UUID, due_by: date, payee_type: str, payee_id: uuid.UUID,
                       now: datetime) -> None:
        async with self.pool.acquire() as conn, conn.transaction():
            payables = await conn.fetch(queries.PAYABLES_OF_PAYEE_FOR_UPDATE, due_by, payee_type, payee_id)
            amount = sum(p["amount_fen"] for p in payables)
            if amount <= 0:
                return
            account = ledger.worker_payable(payee_id) if payee_type == "worker" else ledger.lender_receivable(payee_id)
            entry_id, new = await ledger.post_entry(
                conn, f"payout:{batch_id}:{payee_type}:{payee_id}", "payout",
                [(account, amount), (ledger.BANK_CLEARING, -amount)], memo=f"payout batch {batch_id}", now=now)
            if not new:
                return  # this payee is already paid in this batch; newer payables wait for the next one
            payout_id = uuid.uuid4()
            await conn.execute(queries.INSERT_PAYOUT, payout_id, batch_id, payee_type, payee_id, amount, entry_id, now)
            await conn.execute(queries.LINK_PAYABLES, payout_id, [p["id"] for p in payables])

    async def batch_csv(self, batch_id: uuid.UUID) -> str:
        async with self.pool.acquire() as conn:
            if await conn.fetchrow(queries.BATCH_BY_ID, batch_id) is None:
                raise NotFound("no such payout batch")
            rows = await conn.fetch(queries.PAYOUT_LINES, batch_id)
        return model.bank_batch_csv([model.PayoutLine(r["batch_id"], r["id"], r["payee_type"], r["payee_id"],
                                                      r["payee_name"] or "", r["amount_fen"], f"market payout {batch_id}")
                                     for r in rows])

    async def batch(self, batch_id: uuid.UUID) -> tuple[asyncpg.Record, list[asyncpg.Record]]:
        async with self.pool.acquire() as conn:
            batch = await conn.fetchrow(queries.BATCH_BY_ID, batch_id)
            if batch is None:
                raise NotFound("no such payout batch")
            return batch, await conn.fetch(queries.PAYOUT_LINES, batch_id)

    async def confirm_batch(self, batch_id: uuid.UUID, *, now: datetime | None = None) -> asyncpg.Record:
        """The bank confirms the batch was paid: every payout of it is marked paid (once)."""
        now = clock.now(now)
        async with self.pool.acquire() as conn, conn.transaction():
            batch = await conn.fetchrow(queries.BATCH_FOR_UPDATE, batch_id)
            if batch is None:
                raise NotFound("no such payout batch")
            if batch["state"] == "building":
                raise Conflict("the batch is still being built; run `market payouts run` to finish it",
                               current_state="building")
            if batch["state"] == "exported":
                await conn.execute(queries.CONFIRM_PAYOUTS, batch_id, now)
                await conn.execute(queries.CONFIRM_BATCH, batch_id, now)
                await conn.execute(queries.CLEAR_PAID_ARREARS, now)
            return await conn.fetchrow(queries.BATCH_BY_ID, batch_id)

    # ---- arrears -------------------------------------------------------------------------------

    async def check_arrears(self, *, today: date | None = None, now: datetime | None = None) -> list[asyncpg.Record]:
        """Record arrears for every approved timesheet not paid by its due date and every lender
        wage leg not confirmed by its due date; each gets a supervisor alert (once). `now` is when
        the check runs (its rows' time), `today` the local day it judges by (now's by default)."""
        now = clock.now(now)
        today = today or local_date(now)
        async with self.pool.acquire() as conn, conn.transaction():
            # unsettled timesheets: due dates on China's working days (rules.pay_due_date), see queries
            unsettled = await conn.fetch(queries.UNSETTLED_UNPAID_SHIFT_DAYS, workdays.first_working_day(today))
            due = [(row["shift_date"], row["pay_cycle_days"], pay_due_date(row["shift_date"], row["pay_cycle_days"]))
                   for row in unsettled]
            late = [pair for pair in due if pair[2] < today]
            found = [*await conn.fetch(queries.NEW_WAGE_ARREARS, today, [shift_day for shift_day, _, _ in late],
                                       [cycle for _, cycle, _ in late], [due_date for _, _, due_date in late], now),
                     *await conn.fetch(queries.NEW_SHARED_WAGE_ARREARS, today, now)]
            for arrear in found:
                district = await conn.fetchval(queries.DISTRICT_OF_ASSIGNMENT, arrear["assignment_id"])
                await conn.execute(queries.INSERT_ALERT, f"arrears_{arrear['kind']}", district,
                                   arrear["organisation_id"], None, f"arrears:{arrear['id']}",
                                   {"assignment_id": str(arrear["assignment_id"]), "amount_fen": arrear["amount_fen"],
                                    "due_date": arrear["due_date"].isoformat(),
                                    "employer_at_fault": arrear["employer_at_fault"]}, now)
                await emit(conn, "arrears.recorded", {"arrears_id": str(arrear["id"]), "kind": arrear["kind"],
                                                      "due_date": arrear["due_date"].isoformat()},
                           district_code=district, worker_ids=[arrear["worker_id"]],
                           organisation_ids=[arrear["organisation_id"]])
            return found

    async def arrears_of(self, caller: Principal) -> list[asyncpg.Record]:
        async with self.pool.acquire() as conn:
            if caller.role == "worker":
                return await conn.fetch(queries.ARREARS_OF_WORKER, caller.worker_id)
            return await conn.fetch(queries.ARREARS_OF_ORGANISATION, caller.organisation_id)

    async def sweep(self, *, now: datetime | None = None) -> dict[str, int]:
        """The scheduled job: auto-approval, pending settlements, arrears, then orders moved on
        (started, expired, completed, settled: market/orders/progress.py)."""
        now = clock.now(now)
        failed: list[BaseException] = []

        async def stage(name: str, step):
            # A step that fails (for everyone: a bug, or one row it cannot pass over) must not keep
            # the later steps from running; the sweep still fails, after them, so the loop logs it.
            try:
                return await step
            except (OSError, asyncpg.InterfaceError, asyncpg.PostgresConnectionError):
                raise
            except Exception as error:
                raise_if_cancelled(error)
                log.exception("settlement sweep step failed; going on with the next", extra={"step": name})
                failed.append(error)
                return None

        done = {"auto_approved": await stage("auto_approve", self.auto_approve(now=now)) or 0,
                "settled": await stage("settle_pending", self.settle_pending(now=now)) or 0,
                "arrears": len(await stage("check_arrears", self.check_arrears(now=now)) or ())}
        moved = await stage("orders_progress", progress.advance(self.pool, now)) or {}
        if failed:
            raise failed[0]
        return done | {f"orders_{event}": count for event, count in moved.items()}

    # ---- the ledger check ----------------------------------------------------------------------

    async def ledger_check(self) -> LedgerReport:
        async with self.pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
            balances = await conn.fetch(queries.RECOMPUTED_BALANCES)
            unbalanced = await conn.fetch(queries.UNBALANCED_ENTRIES)
            duplicates = await conn.fetch(queries.DUPLICATE_KEYS)
            negative = await conn.fetch(queries.NEGATIVE_ESCROW)
        problems = [f"account {r['id']} ({r['kind']} {r['holder_type']}): cached {r['cached_fen']} ≠ journal "
                    f"{r['journal_fen']}" for r in balances if r["cached_fen"] != r["journal_fen"]]
        problems += [f"entry {r['id']} ({r['business_key']}) sums to {r['total']} over {r['legs']} postings"
                     for r in unbalanced]
        problems += [f"business key {r['business_key']} used {r['count']} times" for r in duplicates]
        problems += [f"escrow account {r['id']} is negative: {r['balance_fen']}" for r in negative]
        total = sum(r["journal_fen"] for r in balances)
        if total != 0:
            problems.append(f"the trial balance does not sum to zero: {total}")
        trial = [(r["kind"], r["holder_type"], str(r["holder_id"]), r["journal_fen"]) for r in balances]
        return LedgerReport(not problems, problems, trial)


# ---- the cancellation hook (called by Orders.cancel inside its transaction) -----------------------


def _split_by_employer(page: list[asyncpg.Record], lanes: int) -> list[list[uuid.UUID]]:
    """The page's assignments in up to `lanes` groups of about equal size, no employer in two;
    each group keeps the page's order (a pair's tax facts add up in approval order)."""
    sizes: dict[uuid.UUID, int] = {}
    for row in page:
        sizes[row["organisation_id"]] = sizes.get(row["organisation_id"], 0) + 1
    lane_of, loads = {}, [0] * lanes
    for organisation_id, size in sorted(sizes.items(), key=lambda item: (-item[1], item[0])):
        lane = loads.index(min(loads))
        lane_of[organisation_id], loads[lane] = lane, loads[lane] + size
    groups: list[list[uuid.UUID]] = [[] for _ in range(lanes)]
    for row in page:
        groups[lane_of[row["organisation_id"]]].append(row["assignment_id"])
    return [group for group in groups if group]


async def settle_order_cancellation(conn: asyncpg.Connection, order_id: uuid.UUID, *,
                                    minimum_wages: MinimumWageTable, now: datetime | None = None) -> None:
    """Release the holds of the order's cancelled assignments and settle each late-cancel
    compensation through the one settlement engine (`batch.settle`): it is income, withheld by the
    relationship type's rule, counted in the pair's tax facts, on the worker's pay slip, payable by
    the order's pay cycle (for shared labor: paid to the lender, whose payroll owes the employee the
    wage). A compensation the escrow cannot cover is not paid here: it becomes a supervisor alert
    (the cancellation itself must not fail for it)."""
    now = clock.now(now)
    for row in await conn.fetch(queries.CANCELLED_ASSIGNMENTS_OF_ORDER, order_id):
        await escrow.release_hold(conn, row["id"], "order cancelled", now=now)
    compensations = await conn.fetch(queries.COMPENSATIONS_OF_ORDER, order_id)
    if not compensations:
        return
    rows = {r["id"]: r for r in await conn.fetch(queries.ASSIGNMENTS_FOR_MONEY,
                                                  [c["assignment_id"] for c in compensations])}
    outcomes = await settling.settle(conn, [
        (rows[c["assignment_id"]], settling.CompensationDue(c["id"], c["amount_fen"], c["minutes"]))
        for c in compensations], minimum_wages=minimum_wages, now=now)
    for comp in compensations:
        outcome = outcomes[comp["assignment_id"]]
        if isinstance(outcome, InsufficientEscrow):
            await conn.execute(queries.INSERT_ALERT, "compensation_unfunded", comp["district_code"],
                               comp["organisation_id"], order_id, f"compensation_unfunded:{comp['id']}",
                               {"assignment_id": str(comp["assignment_id"]), "amount_fen": outcome.extra["needed_fen"],
                                "available_fen": outcome.extra["available_fen"]}, now)
