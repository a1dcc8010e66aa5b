"""The sweep settles a backlog on several lanes at once, each on its own employers, and marks each
timesheet settled exactly once."""
import asyncio
import uuid
from datetime import timedelta

from market.settlement import queries
from market.settlement.records import UnsettledApproval
from market.settlement.sweep import SETTLE_PARTITIONS, _split_by_employer
from market.attendance.keys import ATTENDANCE
from market.settlement.keys import SETTLEMENTS
from tests import factories
from tests.settlement.support import SITE, assign, fund, minutes, now_local, principal_of, shift_at


def test_a_page_splits_into_lanes_of_whole_employers_in_page_order():
    a, b, c = (uuid.UUID(int=n) for n in (1, 2, 3))
    page = [UnsettledApproval(now_local(), uuid.UUID(int=100 + i), org)
            for i, org in enumerate([a, b, a, c, a, b, c, a])]
    lanes = _split_by_employer(page, 2)
    assert sorted(x for lane in lanes for x in lane) == [r.assignment_id for r in page]
    employers = [{r.organisation_id for r in page if r.assignment_id in lane} for lane in lanes]
    assert employers[0].isdisjoint(employers[1])
    assert sorted(len(lane) for lane in lanes) == [4, 4]  # a (4) alone; b and c (2 + 2) together
    for lane in lanes:
        assert lane == sorted(lane)  # the page's order (ids were made in page order)
    assert _split_by_employer(page[:1], 3) == [[page[0].assignment_id]]


async def _backlog(client, conn, employers_count: int = 3) -> tuple[list, list]:
    """Employers whose approved timesheets (two each) wait for the sweep: escrow was short."""
    service = client.app[SETTLEMENTS]
    start = now_local() - minutes(10)
    employers, assignments = [], []
    for _ in range(employers_count):
        employer = await factories.employer(client, escrow_fen=0)
        await fund(client, employer, 100)  # too little: approved timesheets wait for the sweep
        employers.append(employer)
        for _ in range(2):
            worker = await factories.worker(client)
            _, shift_id = await shift_at(client, conn, employer, start, start + minutes(180))
            assignment_id = await assign(conn, shift_id, worker, hold=False)
            who = await principal_of(client, worker)
            await client.app[ATTENDANCE].check_in(who, assignment_id, *SITE, now=start + minutes(5))
            await client.app[ATTENDANCE].check_out(who, assignment_id, *SITE, now=start + minutes(65))
            assignments.append(assignment_id)
    await service.auto_approve(now=now_local() + timedelta(days=2))
    assert await conn.fetchval("SELECT count(*) FROM settlements") == 0
    assert await conn.fetchval("SELECT count(*) FROM timesheets WHERE settled_at IS NULL AND state = 'approved'") \
        == 2 * employers_count
    for employer in employers:
        await fund(client, employer, 10**6)
    return employers, assignments


async def test_a_backlog_of_several_employers_settles_once_each_on_two_lanes(client, conn):
    service = client.app[SETTLEMENTS]
    _, assignments = await _backlog(client, conn)
    assert await service.settle_pending(now=now_local() + timedelta(days=2), batch_size=2, lanes=2) == 6
    assert await service.settle_pending(now=now_local() + timedelta(days=2), batch_size=2, lanes=2) == 0
    rows = await conn.fetch("SELECT s.assignment_id, t.settled_at, s.created_at FROM settlements s "
                            "JOIN timesheets t ON t.assignment_id = s.assignment_id")
    assert sorted(r["assignment_id"] for r in rows) == sorted(assignments)
    assert all(r["settled_at"] == r["created_at"] for r in rows)
    report = await service.ledger_check()
    assert report.ok, report.problems


async def test_two_sweeps_at_once_share_the_backlog_and_skip_a_partition_another_is_settling(client, conn):
    service = client.app[SETTLEMENTS]
    employers, assignments = await _backlog(client, conn, 4)
    later = now_local() + timedelta(days=2)
    busy = uuid.UUID(employers[0].id).bytes[15] % SETTLE_PARTITIONS
    async with conn.transaction():  # another process is settling the first employer's partition
        assert await conn.fetchval(queries.CLAIM_PARTITION, queries.SWEEP_LOCK_CLASS, busy)
        first, second = await asyncio.gather(service.settle_pending(now=later), service.settle_pending(now=later))
        waiting = [uuid.UUID(e.id) for e in employers if uuid.UUID(e.id).bytes[15] % SETTLE_PARTITIONS == busy]
        left = await conn.fetch("SELECT a.organisation_id FROM timesheets t JOIN assignments a ON a.id = t.assignment_id "
                                "WHERE t.settled_at IS NULL AND t.state = 'approved'")
        assert sorted(r["organisation_id"] for r in left) == sorted(waiting * 2)
        assert first + second == len(assignments) - 2 * len(waiting)
    assert await service.settle_pending(now=later) == 2 * len(waiting)  # claimed now: settled
    assert await conn.fetchval("SELECT count(DISTINCT assignment_id) FROM settlements") == len(assignments)
