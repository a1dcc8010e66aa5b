"""The audience query's availability test (feed/queries.py AVAILABLE: a shortcut for workers with
no stated availability, then `worker_available`) answers exactly as `worker_available` does."""
from datetime import datetime, timedelta

from market.feed.queries import AVAILABLE
from market.kernel.clock import SHANGHAI
from tests import factories


async def test_the_shortcut_and_the_function_agree_on_every_worker_and_interval(client, conn):
    plain, weekly, day_off, day_window = [(await factories.worker(client)).id for _ in range(4)]
    # 2030-01-07 is a Monday.
    await conn.execute("INSERT INTO worker_availability (worker_id, weekday, start_time, end_time) "
                       "VALUES ($1, 1, '08:00', '17:00'), ($1, 2, '00:00', '06:00')", weekly)
    await conn.execute("INSERT INTO worker_availability_exceptions (worker_id, day) VALUES ($1, '2030-01-08')", day_off)
    await conn.execute("INSERT INTO worker_availability_exceptions (worker_id, day, start_time, end_time) "
                       "VALUES ($1, '2030-01-07', '09:00', '12:00')", day_window)
    monday = datetime(2030, 1, 7, tzinfo=SHANGHAI)
    intervals = [(monday + timedelta(hours=start), monday + timedelta(hours=start + length))
                 for start in range(0, 48, 3) for length in (1, 4, 9, 24)]
    rows = await conn.fetch(f"""
        SELECT w.id, s.starts_at, {AVAILABLE} AS fast, worker_available(w.id, s.starts_at, s.ends_at) AS exact
        FROM unnest($1::uuid[]) AS w(id), unnest($2::timestamptz[], $3::timestamptz[]) AS s(starts_at, ends_at)
    """, [plain, weekly, day_off, day_window], [i[0] for i in intervals], [i[1] for i in intervals])
    assert len(rows) == 4 * len(intervals)
    assert [r for r in rows if r["fast"] != r["exact"]] == []
    by_worker = {w: {r["exact"] for r in rows if str(r["id"]) == w} for w in (plain, weekly, day_off, day_window)}
    assert by_worker[plain] == {True}
    assert all(answers == {True, False} for w, answers in by_worker.items() if w != plain)
