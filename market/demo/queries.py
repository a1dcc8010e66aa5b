"""SQL of the demo: reads only. Everything the demo writes goes through the services; these find
what the simulated people act on next (today's assignments, unconfirmed wage legs) and add up the
summary. Each summary query groups by (relationship_type, district_code); report.py rolls them up. Sums of
money are numeric, not bigint, so that no row (one written around the API, say) can make them overflow;
they come back as ints.
"""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import NamedTuple

import asyncpg

QUOTE_IDENT = "SELECT quote_ident($1)"  # identifiers cannot be parameters: quoted by the server, then spliced
DROP_DATABASE = "DROP DATABASE IF EXISTS {} WITH (FORCE)"
CREATE_DATABASE = "CREATE DATABASE {}"
# Assignments whose shift starts in [$1, $2), still to be worked.
ASSIGNMENTS_STARTING = """
SELECT a.id, a.order_id, a.worker_id, lower(a.period) AS starts_at, upper(a.period) AS ends_at
FROM assignments a WHERE a.state = 'active' AND lower(a.period) >= $1 AND lower(a.period) < $2
"""
# A lender's shared-labor settlements whose wage leg it has not confirmed yet.
UNCONFIRMED_WAGE_LEGS = """
SELECT id FROM settlements WHERE lender_id = $1 AND wage_leg_amount_fen IS NOT NULL AND wage_leg_confirmed_at IS NULL
ORDER BY shift_date, paid_minutes, gross_fen
"""

# What one simulated day [$1, $2) left: its rows carry the simulated clock (simulation.py); `settled`
# counts standbys' pay settlements too.
DAY_FIGURES = """
SELECT (SELECT count(*) FROM orders WHERE created_at >= $1 AND created_at < $2) AS orders,
       (SELECT count(*) FROM bids WHERE created_at >= $1 AND created_at < $2)
         + (SELECT count(*) FROM shared_bids WHERE created_at >= $1 AND created_at < $2) AS bids,
       (SELECT count(*) FROM assignments WHERE created_at >= $1 AND created_at < $2) AS filled,
       (SELECT count(*) FROM timesheets WHERE checked_out_at >= $1 AND checked_out_at < $2) AS worked,
       (SELECT count(*) FROM settlements WHERE created_at >= $1 AND created_at < $2) AS settled,
       (SELECT coalesce(sum(amount_fen), 0) FROM payouts WHERE paid_at >= $1 AND paid_at < $2) AS paid_fen
"""
# Sample parties for the summary (report.py): a worker with an accepted offer and a settled pay
# slip (the worker's feed is checked through the service), and an employer with orders.
WORKERS_WITH_OFFERS_AND_PAY_SLIPS = """
SELECT w.id FROM workers w
WHERE EXISTS (SELECT 1 FROM offers f WHERE f.worker_id = w.id AND f.state = 'accepted')
  AND EXISTS (SELECT 1 FROM settlements s WHERE s.worker_id = w.id AND s.net_pay_fen IS NOT NULL)
"""

SUMMARY_ORDERS = """
SELECT relationship_type, district_code, count(*) AS orders, count(*) FILTER (WHERE state = 'cancelled') AS cancelled,
       count(*) FILTER (WHERE below_minimum_wage) AS below_minimum
FROM orders GROUP BY 1, 2
"""
SUMMARY_SEATS = """
SELECT o.relationship_type, o.district_code, sum(s.headcount)::bigint AS seats
FROM shifts s JOIN orders o ON o.id = s.order_id WHERE o.state <> 'cancelled' GROUP BY 1, 2
"""
SUMMARY_WORK = """
SELECT o.relationship_type, o.district_code,
       count(*) FILTER (WHERE a.state IN ('active', 'completed', 'no_show')) AS filled,
       count(*) FILTER (WHERE a.state = 'completed') AS completed,
       count(*) FILTER (WHERE a.state = 'no_show') AS no_shows,
       coalesce(sum(t.approved_minutes), 0)::bigint AS approved_minutes
FROM assignments a JOIN orders o ON o.id = a.order_id LEFT JOIN timesheets t ON t.assignment_id = a.id
GROUP BY 1, 2
"""
SUMMARY_PAY = """
SELECT st.relationship_type, o.district_code, sum(st.gross_fen) AS gross_fen,
       sum(st.income_tax_withheld_fen) AS tax_fen
FROM settlements st JOIN orders o ON o.id = st.order_id GROUP BY 1, 2
"""
SUMMARY_ARREARS = """
SELECT o.relationship_type, o.district_code, count(*) AS arrears, sum(ar.amount_fen) AS arrears_fen
FROM arrears ar JOIN assignments a ON a.id = ar.assignment_id JOIN orders o ON o.id = a.order_id
WHERE ar.cleared_at IS NULL GROUP BY 1, 2
"""
SUMMARY_TOTALS = """
SELECT (SELECT count(*) FROM organisations) AS employers,
       (SELECT count(*) FROM workers) AS workers,
       (SELECT count(*) FROM employments WHERE state = 'active') AS employments,
       (SELECT count(*) FROM agreements) AS agreements,
       (SELECT count(*) FROM bids) AS bids,
       (SELECT count(*) FROM allocation_runs WHERE status = 'done') AS runs,
       (SELECT count(*) FROM offers) AS offers,
       (SELECT count(*) FROM offers WHERE state = 'accepted') AS offers_accepted,
       (SELECT count(*) FROM offers WHERE state = 'declined') AS offers_declined,
       (SELECT count(*) FROM compensations) AS compensations,
       (SELECT coalesce(sum(amount_fen), 0) FROM compensations) AS compensation_fen,
       (SELECT count(*) FROM payout_batches) AS payout_batches,
       (SELECT count(*) FROM payouts) AS payouts,
       (SELECT coalesce(sum(amount_fen), 0) FROM payouts WHERE state = 'paid') AS paid_out_fen,
       (SELECT count(*) FROM arrears WHERE cleared_at IS NULL AND employer_at_fault) AS employer_arrears,
       (SELECT count(DISTINCT organisation_id) FROM arrears WHERE cleared_at IS NULL AND employer_at_fault)
           AS employers_in_arrears,
       (SELECT count(*) FROM standbys) AS standbys,
       (SELECT count(*) FROM standbys WHERE state IN ('on_call', 'offered')) AS standbys_on_call,
       (SELECT count(*) FROM standbys WHERE state = 'called') AS standbys_called,
       (SELECT count(*) FROM standbys WHERE state = 'released_paid') AS standbys_paid,
       (SELECT coalesce(sum(amount_fen), 0) FROM standbys WHERE state = 'released_paid') AS standby_paid_fen
"""


class StartingAssignment(NamedTuple):
    """An active assignment whose shift starts in the day being simulated."""
    id: uuid.UUID
    order_id: uuid.UUID
    worker_id: uuid.UUID
    starts_at: datetime
    ends_at: datetime


async def recreate_database(conn: asyncpg.Connection, name: str) -> None:
    """Drop the database `name` (forcing its sessions out) and create it empty."""
    quoted = await conn.fetchval(QUOTE_IDENT, name)
    await conn.execute(DROP_DATABASE.format(quoted))
    await conn.execute(CREATE_DATABASE.format(quoted))


async def assignments_starting(conn: asyncpg.Connection, start: datetime, end: datetime) -> list[StartingAssignment]:
    return [StartingAssignment(*r) for r in await conn.fetch(ASSIGNMENTS_STARTING, start, end)]


async def unconfirmed_wage_legs(conn: asyncpg.Connection, lender_id: uuid.UUID) -> list[uuid.UUID]:
    return [r["id"] for r in await conn.fetch(UNCONFIRMED_WAGE_LEGS, lender_id)]


async def day_figures(conn: asyncpg.Connection, start: datetime, end: datetime) -> dict[str, int]:
    return {k: int(v) for k, v in (await conn.fetchrow(DAY_FIGURES, start, end)).items()}


async def workers_with_offers_and_pay_slips(conn: asyncpg.Connection) -> set[uuid.UUID]:
    return {r["id"] for r in await conn.fetch(WORKERS_WITH_OFFERS_AND_PAY_SLIPS)}


async def summary_rows(conn: asyncpg.Connection) -> dict[str, list[dict]]:
    return {name: [dict(r) for r in await conn.fetch(sql)] for name, sql in (
        ("orders", SUMMARY_ORDERS), ("seats", SUMMARY_SEATS), ("work", SUMMARY_WORK), ("pay", SUMMARY_PAY),
        ("arrears", SUMMARY_ARREARS))}


async def summary_totals(conn: asyncpg.Connection) -> dict:
    return {k: int(v) for k, v in (await conn.fetchrow(SUMMARY_TOTALS)).items()}
