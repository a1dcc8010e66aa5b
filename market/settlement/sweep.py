"""Settling approved timesheets: at approval (in attendance's transaction), in the scheduled sweep
(auto-approval, the backlog escrow could not cover before, arrears, orders moved on), and on an
order's cancellation (held escrow released, late-cancel compensation settled). The settling itself
is `batch.settle`, the one settlement engine."""
from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Sequence
from datetime import datetime

import asyncpg

from market.attendance.service import Attendance
from market.background import raise_if_cancelled
from market.catalogue.model import MinimumWageTable
from market.catalogue.service import Catalogue
from market.kernel import clock
from market.orders import progress
from market.settlement import batch as settling, escrow, queries
from market.settlement.arrears import Arrears
from market.settlement.model import InsufficientEscrow
from market.settlement.records import CompensationOwed, UnsettledApproval

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


class Settling(Arrears):  # the sweep ends with the arrears check
    pool: asyncpg.Pool
    catalogue: Catalogue
    attendance: Attendance

    # ---- what approvals and no-shows do to the money (attendance.service.TimesheetMoney) ---------

    async def settle_approved(self, conn: asyncpg.Connection, assignment_id: uuid.UUID, minutes: int,
                              now: datetime) -> None:
        """Settle a timesheet the employer just approved, in the approval's transaction; an escrow
        that does not cover it refuses the approval (409, InsufficientEscrow)."""
        row = await queries.assignment_for_money(conn, assignment_id)
        outcome = (await settling.settle(conn, [(row, minutes)], minimum_wages=await self._minimum_wages(),
                                         now=now))[assignment_id]
        if isinstance(outcome, InsufficientEscrow):
            raise outcome

    async def release_hold(self, conn: asyncpg.Connection, assignment_id: uuid.UUID, reason: str,
                           now: datetime) -> None:
        await escrow.release_hold(conn, assignment_id, reason, now=now)

    async def _minimum_wages(self) -> MinimumWageTable:
        return MinimumWageTable((await self.catalogue.data()).minimum_wages)

    # ---- the sweep ---------------------------------------------------------------------------------

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
                if await queries.claim_sweep_partition(claim, partition):
                    settled += await self._settle_partition(partition, now, batch_size, lanes)
        return settled

    async def _settle_partition(self, partition: int, now: datetime, batch_size: int, lanes: int) -> int:
        settled, after = 0, None
        while True:
            async with self.pool.acquire() as conn:
                page = await queries.approved_unsettled(conn, after, batch_size * lanes, SETTLE_PARTITIONS, partition)
            if not page:
                return settled
            async with asyncio.TaskGroup() as group:
                tasks = [group.create_task(self._settle_batch(ids, now)) for ids in _split_by_employer(page, lanes)]
            settled += sum(task.result() for task in tasks)
            after = (page[-1].approved_at, page[-1].assignment_id)

    async def _settle_batch(self, assignment_ids: list[uuid.UUID], now: datetime) -> int:
        try:
            async with self.pool.acquire() as conn, conn.transaction():
                items: list[tuple[asyncpg.Record, settling.Work]] = [
                    (row, minutes) for row, minutes in await queries.approved_for_settling(conn, assignment_ids)]
                outcomes = await settling.settle(conn, items, minimum_wages=await self._minimum_wages(), now=now)
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


def _split_by_employer(page: Sequence[UnsettledApproval], lanes: int) -> list[list[uuid.UUID]]:
    """The page's assignments in up to `lanes` groups of about equal size, no employer in two;
    each group keeps the page's order (a pair's tax facts add up in approval order)."""
    sizes: dict[uuid.UUID, int] = {}
    for approval in page:
        sizes[approval.organisation_id] = sizes.get(approval.organisation_id, 0) + 1
    lane_of, loads = {}, [0] * lanes
    for organisation_id, size in sorted(sizes.items(), key=lambda item: (-item[1], item[0])):
        lane = loads.index(min(loads))
        lane_of[organisation_id], loads[lane] = lane, loads[lane] + size
    groups: list[list[uuid.UUID]] = [[] for _ in range(lanes)]
    for approval in page:
        groups[lane_of[approval.organisation_id]].append(approval.assignment_id)
    return [group for group in groups if group]


# ---- the cancellation hook (called by Orders.cancel inside its transaction) -----------------------

async def settle_order_cancellation(conn: asyncpg.Connection, order_id: uuid.UUID, *,
                                    minimum_wages: MinimumWageTable, now: datetime | None = None) -> None:
    """Release the holds of the order's cancelled assignments and settle each late-cancel
    compensation through the one settlement engine (`batch.settle`): it is income, withheld by the
    relationship type's rule, counted in the pair's tax facts, on the worker's pay slip, payable by
    the order's pay cycle (for shared labor: paid to the lender, whose payroll owes the employee the
    wage). A compensation the escrow cannot cover is not paid here: it becomes a supervisor alert
    (the cancellation itself must not fail for it)."""
    now = clock.now(now)
    for assignment_id in await queries.cancelled_assignments_of_order(conn, order_id):
        await escrow.release_hold(conn, assignment_id, "order cancelled", now=now)
    await settle_compensations(conn, await queries.compensations_of_order(conn, order_id),
                               minimum_wages=minimum_wages, now=now)


async def settle_assignment_compensation(conn: asyncpg.Connection, assignment_id: uuid.UUID, *,
                                         minimum_wages: MinimumWageTable, now: datetime | None = None) -> None:
    """Settle the compensation recorded for one assignment (a no-show a case reversed), as a
    cancellation settles its compensations."""
    compensation = await queries.compensation_of_assignment(conn, assignment_id)
    if compensation is not None:
        await settle_compensations(conn, [compensation], minimum_wages=minimum_wages, now=clock.now(now))


async def settle_compensations(conn: asyncpg.Connection, compensations: list[CompensationOwed], *,
                               minimum_wages: MinimumWageTable, now: datetime) -> None:
    """Settle compensations through the one settlement engine; one the escrow cannot cover becomes
    a supervisor alert instead (what withdrew the seat must not fail for it)."""
    if not compensations:
        return
    rows = {r["id"]: r for r in await queries.assignments_for_money(conn, [c.assignment_id for c in compensations])}
    outcomes = await settling.settle(conn, [
        (rows[c.assignment_id], settling.CompensationDue(c.id, c.amount_fen, c.minutes))
        for c in compensations], minimum_wages=minimum_wages, now=now)
    for comp in compensations:
        outcome = outcomes[comp.assignment_id]
        if isinstance(outcome, InsufficientEscrow):
            await queries.insert_alert(conn, "compensation_unfunded", comp.district_code, comp.organisation_id,
                                       comp.order_id, f"compensation_unfunded:{comp.id}",
                                       {"assignment_id": str(comp.assignment_id),
                                        "amount_fen": outcome.extra["needed_fen"],
                                        "available_fen": outcome.extra["available_fen"]}, now)
