"""SQL of the supervision package. Every query takes the caller's districts as $1 (text[]), already
reduced to their scope by the service; nothing here widens it."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypedDict

import asyncpg

from market.orders.queries import ORDER_IN_RANGE, SHIFT_IN_RANGE

DISTRICTS = "SELECT code, name, tier FROM districts WHERE code = ANY($1::text[]) ORDER BY code"

# Overview --------------------------------------------------------------------------------------
# $1 districts, $2/$3 the range as timestamptz [from, to), $4 time zone, $5/$6 the range as dates.
# The figures count orders in range only (ORDER_IN_RANGE: rates and dates the API could have
# stored); one written around the API is left out of them and listed as an `out_of_range` alert.
# Sums are numeric, not bigint: what they add up cannot overflow, whatever the rows hold.

# Orders by the local day they were posted.
ORDERS_POSTED = """
SELECT o.district_code, (o.created_at AT TIME ZONE $4)::date AS day, o.relationship_type,
       count(*) AS orders_posted,
       count(*) FILTER (WHERE o.below_minimum_wage) AS below_minimum_orders,
       sum(o.hourly_equivalent_fen) AS hourly_sum_fen
FROM orders o
WHERE o.district_code = ANY($1::text[]) AND o.created_at >= $2 AND o.created_at < $3 AND """ + ORDER_IN_RANGE + """
GROUP BY 1, 2, 3
"""

# Seats by the local day their shift starts (cancelled orders' seats are not counted as wanted).
SEATS = """
SELECT o.district_code, (s.starts_at AT TIME ZONE $4)::date AS day, o.relationship_type,
       sum(s.headcount) AS seats_posted, sum(s.filled) AS seats_filled
FROM shifts s JOIN orders o ON o.id = s.order_id
WHERE o.district_code = ANY($1::text[]) AND s.starts_at >= $2 AND s.starts_at < $3 AND o.state <> 'cancelled'
  AND """ + ORDER_IN_RANGE + """
GROUP BY 1, 2, 3
"""

# Work by the local day of the shift. Distinct workers and medians do not add up, so PostgreSQL
# computes each level the report shows (grouping sets); `grouped` is GROUPING()'s bit mask over
# (district_code, day, relationship_type, kind): a 1 bit is a column rolled up.
WORK = """
WITH w AS (
    SELECT o.district_code, (s.starts_at AT TIME ZONE $4)::date AS day, o.relationship_type, o.kind,
           a.worker_id, a.state, a.created_at - o.created_at AS time_to_fill,
           coalesce(t.approved_minutes, t.worked_minutes, 0) AS minutes
    FROM shifts s JOIN orders o ON o.id = s.order_id JOIN assignments a ON a.shift_id = s.id
    LEFT JOIN timesheets t ON t.assignment_id = a.id
    WHERE o.district_code = ANY($1::text[]) AND s.starts_at >= $2 AND s.starts_at < $3 AND """ + ORDER_IN_RANGE + """
)
SELECT district_code, day, relationship_type, kind,
       GROUPING(district_code, day, relationship_type, kind) AS grouped,
       count(DISTINCT worker_id) FILTER (WHERE state IN ('active', 'completed')) AS workers_active,
       coalesce(sum(minutes), 0) AS minutes_worked,
       count(*) FILTER (WHERE state = 'no_show') AS no_shows,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM time_to_fill))
           FILTER (WHERE state IN ('active', 'completed')) AS median_fill_seconds
FROM w
GROUP BY GROUPING SETS ((district_code, day, relationship_type), (district_code, day, kind), (district_code, day),
                        (day, relationship_type), (day, kind), (day), (relationship_type), (kind), ())
"""

# Gross pay by the shift date of each settlement; a standby's pay (standby_id) counts in the gross,
# and is left out of the gross the average hourly pay divides (it has no paid minutes).
PAID = """
SELECT o.district_code, st.shift_date AS day, st.relationship_type,
       sum(st.gross_fen) AS gross_fen, sum(st.paid_minutes) AS paid_minutes,
       coalesce(sum(st.gross_fen) FILTER (WHERE st.standby_id IS NULL), 0) AS timed_gross_fen
FROM settlements st JOIN orders o ON o.id = st.order_id
WHERE o.district_code = ANY($1::text[]) AND st.shift_date BETWEEN $2 AND $3 AND """ + ORDER_IN_RANGE + """
GROUP BY 1, 2, 3
"""

# The hourly minimum wage in force in each district on each day.
MINIMUMS = """
SELECT d.code AS district_code, g.day::date AS day,
       (SELECT w.hourly_fen FROM minimum_wages w WHERE w.tier = d.tier AND w.effective_from <= g.day::date
        ORDER BY w.effective_from DESC LIMIT 1) AS hourly_fen
FROM districts d CROSS JOIN generate_series($2::date, $3::date, interval '1 day') AS g(day)
WHERE d.code = ANY($1::text[])
"""

# What an arrears row `ar` owes, over its assignment `a`, order `o` and timesheet `t`: the amount it
# recorded (a settled wage's net pay; shared labor's wage leg), else — a wage its employer could not
# fund, so never settled, and recorded without an amount — the approved minutes at the assignment's
# exact hourly rate (day and piece pay over the order's stated hours), rounded half-up once as the
# settlement would have: floor(n/d + 1/2) = div(2n + d, 2d), exact in numeric.
_HOURS_PER_UNIT = "(CASE WHEN o.pay_unit = 'hour' THEN 1 ELSE o.pay_stated_hours END)"
AMOUNT_OWED = ("coalesce(ar.amount_fen, div(2 * a.rate_fen::numeric * t.approved_minutes + 60 * " + _HOURS_PER_UNIT
               + ", 120 * " + _HOURS_PER_UNIT + "))")
AMOUNT_BASIS = ("CASE WHEN ar.kind = 'shared_wage_unconfirmed' THEN 'wage_leg' "
                "WHEN ar.amount_fen IS NOT NULL THEN 'net_pay' ELSE 'gross' END")

# Arrears open at the end of each day (raised on or before it, not cleared by then), with what they owe.
ARREARS_OPEN = """
SELECT o.district_code, g.day::date AS day, count(*) AS open_arrears,
       coalesce(sum(""" + AMOUNT_OWED + """), 0) AS open_arrears_fen
FROM generate_series($2::date, $3::date, interval '1 day') AS g(day)
JOIN arrears ar ON (ar.created_at AT TIME ZONE $4)::date <= g.day::date
               AND (ar.cleared_at IS NULL OR (ar.cleared_at AT TIME ZONE $4)::date > g.day::date)
JOIN assignments a ON a.id = ar.assignment_id
JOIN orders o ON o.id = a.order_id
LEFT JOIN timesheets t ON t.assignment_id = a.id
WHERE o.district_code = ANY($1::text[]) AND """ + ORDER_IN_RANGE + """
GROUP BY 1, 2
"""

# Shared employment: lender → borrower pairs whose agreements' periods meet the range; worker-days
# are the agreement days inside it.
SHARED_FLOWS = """
SELECT o.district_code, ag.lender_id, l.name AS lender_name, ag.borrower_id, b.name AS borrower_name,
       count(DISTINCT ag.worker_id) AS workers,
       sum(greatest(0, least(o.period_end, $3::date) - greatest(o.period_start, $2::date) + 1)) AS worker_days
FROM agreements ag
JOIN orders o ON o.id = ag.order_id
JOIN organisations l ON l.id = ag.lender_id
JOIN organisations b ON b.id = ag.borrower_id
WHERE o.district_code = ANY($1::text[]) AND o.period_start <= $3::date AND o.period_end >= $2::date
  AND o.state <> 'cancelled' AND """ + ORDER_IN_RANGE + """
GROUP BY 1, 2, 3, 4, 5
ORDER BY worker_days DESC, lender_name, borrower_name
"""

# Alerts ----------------------------------------------------------------------------------------
# One list over six sources. `category` is what the filter names; `status` is open / cleared for
# conditions and `recorded` for things that happened (a late cancellation, a no-show).
# $1 districts, $2 categories (NULL: all), $3 status (NULL: all), $4/$5 range [from, to),
# $6 time zone, $7 today (local date), $8 organisation (NULL: all).
# An alert about one seat names its worker (masked by the service) and the shift's start, so that
# alerts alike in all else (the same employer, order and rate) can be told apart.
_ALERT_ITEMS = """
WITH items AS (
    SELECT 'below_minimum'::text AS category, 'below_minimum'::text AS kind, o.id::text AS item_id,
           o.district_code, o.organisation_id, o.id AS order_id, o.created_at AS at,
           CASE WHEN o.state IN ('completed', 'settled', 'cancelled', 'expired') THEN 'cleared' ELSE 'open' END AS status,
           CASE WHEN o.state IN ('completed', 'settled', 'cancelled', 'expired') THEN o.updated_at END AS cleared_at,
           NULL::numeric AS amount_fen, NULL::date AS due_date,
           jsonb_build_object('title', o.title, 'hourly_equivalent_fen', o.hourly_equivalent_fen) AS details,
           NULL::text AS worker_name, NULL::timestamptz AS shift_starts_at
    FROM orders o WHERE o.below_minimum_wage AND o.district_code = ANY($1::text[])
    UNION ALL
    -- an order written around the API (ORDER_IN_RANGE): left out of every figure and sweep, shown here
    SELECT 'out_of_range', 'out_of_range', o.id::text, o.district_code, o.organisation_id, o.id, o.created_at,
           CASE WHEN o.state IN ('completed', 'settled', 'cancelled', 'expired') THEN 'cleared' ELSE 'open' END,
           CASE WHEN o.state IN ('completed', 'settled', 'cancelled', 'expired') THEN o.updated_at END, NULL, NULL,
           jsonb_build_object('title', o.title, 'pay_amount_fen', o.pay_amount_fen::text,
                              'fee_per_worker_day_fen', o.fee_per_worker_day_fen::text,
                              'shifts_out_of_range', (SELECT count(*) FROM shifts s WHERE s.order_id = o.id
                                                          AND NOT """ + SHIFT_IN_RANGE + """)), NULL, NULL
    FROM orders o WHERE o.district_code = ANY($1::text[]) AND NOT """ + ORDER_IN_RANGE + """
    UNION ALL
    SELECT 'settlement', al.kind, al.id::text, al.district_code, al.organisation_id, al.order_id, al.created_at,
           CASE WHEN al.cleared_at IS NULL THEN 'open' ELSE 'cleared' END, al.cleared_at, NULL, NULL,
           al.details - 'assignment_id', w.name, lower(a.period)
    FROM alerts al
    -- details' assignment_id is text: compared as text, so no stored value can fail a cast
    LEFT JOIN assignments a ON a.id::text = al.details ->> 'assignment_id'
    LEFT JOIN workers w ON w.id = a.worker_id
    WHERE al.district_code = ANY($1::text[]) AND al.kind NOT LIKE 'arrears\\_%'
    UNION ALL
    SELECT 'arrears', ar.kind, ar.id::text, o.district_code, ar.organisation_id, o.id, ar.created_at,
           CASE WHEN ar.cleared_at IS NULL THEN 'open' ELSE 'cleared' END, ar.cleared_at, """ + AMOUNT_OWED + """,
           ar.due_date,
           jsonb_build_object('employer_at_fault', ar.employer_at_fault, 'amount_basis', """ + AMOUNT_BASIS + """),
           w.name, lower(a.period)
    FROM arrears ar JOIN assignments a ON a.id = ar.assignment_id JOIN orders o ON o.id = a.order_id
    JOIN workers w ON w.id = ar.worker_id LEFT JOIN timesheets t ON t.assignment_id = a.id
    WHERE o.district_code = ANY($1::text[])
    UNION ALL
    SELECT 'late_cancellation', 'late_cancellation', c.id::text, o.district_code, o.organisation_id, o.id,
           c.created_at, 'recorded', NULL, c.amount_fen, NULL, jsonb_build_object('reason', c.reason), w.name,
           lower(a.period)
    FROM compensations c JOIN orders o ON o.id = c.order_id JOIN workers w ON w.id = c.worker_id
    LEFT JOIN assignments a ON a.id = c.assignment_id
    WHERE o.district_code = ANY($1::text[])
    UNION ALL
    SELECT 'no_show', 'no_show', a.id::text, o.district_code, o.organisation_id, o.id, lower(a.period),
           'recorded', NULL, NULL, NULL, '{}'::jsonb, w.name, lower(a.period)
    FROM assignments a JOIN orders o ON o.id = a.order_id JOIN workers w ON w.id = a.worker_id
    WHERE a.state = 'no_show' AND o.district_code = ANY($1::text[])
    UNION ALL
    SELECT 'red_flag', 'red_flag', ar.organisation_id::text || ':' || o.district_code, o.district_code,
           ar.organisation_id, NULL, min(ar.created_at),
           CASE WHEN bool_or(ar.cleared_at IS NULL) THEN 'open' ELSE 'cleared' END,
           CASE WHEN bool_and(ar.cleared_at IS NOT NULL) THEN max(ar.cleared_at) END,
           coalesce(sum(""" + AMOUNT_OWED + """) FILTER (WHERE ar.cleared_at IS NULL), 0),
           min(ar.due_date) FILTER (WHERE ar.cleared_at IS NULL),
           jsonb_build_object('open_arrears', count(*) FILTER (WHERE ar.cleared_at IS NULL), 'arrears', count(*)),
           NULL, NULL
    FROM arrears ar JOIN assignments a ON a.id = ar.assignment_id JOIN orders o ON o.id = a.order_id
    LEFT JOIN timesheets t ON t.assignment_id = a.id
    WHERE ar.employer_at_fault AND o.district_code = ANY($1::text[])
    GROUP BY ar.organisation_id, o.district_code
), chosen AS (
    SELECT i.*, org.name AS organisation_name,
           CASE WHEN i.due_date IS NOT NULL
                THEN greatest(0, coalesce((i.cleared_at AT TIME ZONE $6)::date, $7::date) - i.due_date) END AS days_overdue,
           coalesce(i.amount_fen, -1) AS amount_key
    FROM items i LEFT JOIN organisations org ON org.id = i.organisation_id
    WHERE ($2::text[] IS NULL OR i.category = ANY($2::text[])) AND ($3::text IS NULL OR i.status = $3)
      AND i.at >= $4 AND i.at < $5 AND ($8::uuid IS NULL OR i.organisation_id = $8)
)
"""
_ALERT_COLUMNS = """
SELECT category, kind, item_id, district_code, organisation_id, organisation_name, order_id, at, status,
       cleared_at, amount_fen, due_date, days_overdue, details, worker_name, shift_starts_at, amount_key
FROM chosen
"""
# Keyset pages per sort: $9 the cursor's sort value (as text), $10 its item id, $11 limit.
ALERTS_NEWEST = _ALERT_ITEMS + _ALERT_COLUMNS + """
WHERE $10::text IS NULL OR (at, item_id) < ($9::text::timestamptz, $10::text)
ORDER BY at DESC, item_id DESC LIMIT $11
"""
ALERTS_OLDEST = _ALERT_ITEMS + _ALERT_COLUMNS + """
WHERE $10::text IS NULL OR (at, item_id) > ($9::text::timestamptz, $10::text)
ORDER BY at, item_id LIMIT $11
"""
ALERTS_LARGEST = _ALERT_ITEMS + _ALERT_COLUMNS + """
WHERE $10::text IS NULL OR (amount_key, item_id) < ($9::text::numeric, $10::text)
ORDER BY amount_key DESC, item_id DESC LIMIT $11
"""
ALERT_COUNTS = _ALERT_ITEMS + """
SELECT category, status, count(*) AS n FROM chosen GROUP BY 1, 2 ORDER BY 1, 2
"""

# Orders ----------------------------------------------------------------------------------------
_ORDER_COLUMNS = """
SELECT o.id, o.kind, o.title, o.district_code, o.relationship_type, o.state, o.pay_unit, o.pay_amount_fen,
       o.hourly_equivalent_fen, o.below_minimum_wage, o.created_at, o.organisation_id, org.name AS employer_name,
       o.period_start, o.period_end, o.fee_per_worker_day_fen, o.site_address,
       coalesce((SELECT sum(s.headcount) FROM shifts s WHERE s.order_id = o.id), 0)::bigint AS seats,
       coalesce((SELECT sum(s.filled) FROM shifts s WHERE s.order_id = o.id), 0)::bigint AS seats_filled,
       -- shifts out of range (an `out_of_range` order) are not read: their time may not be representable
       (SELECT min(s.starts_at) FROM shifts s WHERE s.order_id = o.id AND """ + SHIFT_IN_RANGE + """) AS first_shift_at
FROM orders o JOIN organisations org ON org.id = o.organisation_id
"""
# $1 districts, $2/$3 posted in [from, to), $4 state, $5 kind, $6 relationship, $7/$8 cursor, $9 limit.
ORDERS_PAGE = _ORDER_COLUMNS + """
WHERE o.district_code = ANY($1::text[]) AND o.created_at >= $2 AND o.created_at < $3
  AND ($4::text IS NULL OR o.state = $4) AND ($5::text IS NULL OR o.kind = $5)
  AND ($6::text IS NULL OR o.relationship_type = $6)
  AND ($7::timestamptz IS NULL OR (o.created_at, o.id) < ($7, $8::uuid))
ORDER BY o.created_at DESC, o.id DESC LIMIT $9
"""
ORDER_BY_ID = _ORDER_COLUMNS + "WHERE o.id = $1"
SHIFTS_OF_ORDER = """
SELECT id, starts_at, ends_at, headcount, filled, open FROM shifts s
WHERE order_id = $1 AND """ + SHIFT_IN_RANGE + """ ORDER BY starts_at, id
"""
# People appear only by name (masked by the service) and masked ID number: never a phone.
BIDS_OF_ORDER = """
SELECT b.id, b.shift_id, w.name AS worker_name, w.id_number_masked, NULL::text AS lender_name, b.rate_fen,
       b.state, b.created_at
FROM bids b JOIN workers w ON w.id = b.worker_id WHERE b.order_id = $1
UNION ALL
SELECT sb.id, NULL, NULL, NULL, l.name, sb.fee_per_worker_day_fen, sb.state, sb.created_at
FROM shared_bids sb JOIN organisations l ON l.id = sb.lender_id WHERE sb.order_id = $1
ORDER BY created_at, id
"""
ASSIGNMENTS_OF_ORDER = """
SELECT a.id, a.shift_id, w.name AS worker_name, w.id_number_masked, a.rate_fen, a.state, a.created_at,
       lower(a.period) AS starts_at, upper(a.period) AS ends_at,
       t.state AS timesheet_state, t.checked_in_at, t.checked_out_at, t.worked_minutes, t.approved_minutes
FROM assignments a JOIN workers w ON w.id = a.worker_id LEFT JOIN timesheets t ON t.assignment_id = a.id
WHERE a.order_id = $1 ORDER BY lower(a.period), a.created_at, a.id
"""
# Every settlement of the order, a standby's pay too (assignment_id null, standby_id set).
SETTLEMENTS_OF_ORDER = """
SELECT st.id, st.assignment_id, st.standby_id, w.name AS worker_name, st.relationship_type, st.shift_date, st.due_date,
       st.paid_minutes, st.gross_fen, st.income_tax_withheld_fen, st.net_pay_fen, st.employer_total_fen,
       st.wage_leg_amount_fen, st.wage_leg_confirmed_at, st.created_at
FROM settlements st JOIN workers w ON w.id = st.worker_id WHERE st.order_id = $1 ORDER BY st.shift_date, st.id
"""
# An order's arrears, each with what it owes and what that amount is (AMOUNT_OWED, AMOUNT_BASIS).
ARREARS_OF_ORDER = """
SELECT ar.id, ar.kind, ar.assignment_id, w.name AS worker_name, lower(a.period) AS starts_at,
       upper(a.period) AS ends_at, ar.amount_fen, ar.due_date, ar.employer_at_fault, ar.created_at, ar.cleared_at,
       """ + AMOUNT_OWED + """ AS amount_owed_fen, """ + AMOUNT_BASIS + """ AS amount_basis
FROM arrears ar JOIN assignments a ON a.id = ar.assignment_id JOIN orders o ON o.id = a.order_id
JOIN workers w ON w.id = ar.worker_id LEFT JOIN timesheets t ON t.assignment_id = a.id
WHERE a.order_id = $1 ORDER BY lower(a.period), ar.created_at, ar.id
"""
COMPENSATIONS_OF_ORDER = """
SELECT c.id, c.assignment_id, w.name AS worker_name, c.amount_fen, c.reason, c.created_at
FROM compensations c JOIN workers w ON w.id = c.worker_id WHERE c.order_id = $1 ORDER BY c.created_at, c.id
"""

# Audit log -------------------------------------------------------------------------------------
INSERT_AUDIT = """
INSERT INTO audit_log (account_id, role, action, object_type, object_id, district_codes, details)
VALUES ($1, $2, $3, $4, $5, $6, $7)
"""
# $1 account (NULL: all), $2/$3 cursor, $4 limit.
AUDIT_PAGE = """
SELECT l.id, l.account_id, a.display_name, l.role, l.action, l.object_type, l.object_id, l.district_codes,
       l.details, l.created_at
FROM audit_log l JOIN accounts a ON a.id = l.account_id
WHERE ($1::uuid IS NULL OR l.account_id = $1) AND ($2::timestamptz IS NULL OR (l.created_at, l.id) < ($2, $3::bigint))
ORDER BY l.created_at DESC, l.id DESC LIMIT $4
"""


# The functions that run them ---------------------------------------------------------------------
# Rows come back as typed dicts: what the service reads, the pure overview code sums and the views
# validate, keyed like the SQL's columns. Sums are numeric in SQL (so no row can make them overflow)
# and become ints here, exact whatever their size.
class District(TypedDict):
    code: str
    name: str
    tier: int


class PostedRow(TypedDict):
    district_code: str
    day: date
    relationship_type: str
    orders_posted: int
    below_minimum_orders: int
    hourly_sum_fen: int


class SeatsRow(TypedDict):
    district_code: str
    day: date
    relationship_type: str
    seats_posted: int
    seats_filled: int


class WorkRow(TypedDict):
    """One level of WORK's grouping sets: a column `grouped` rolls up is None."""
    district_code: str | None
    day: date | None
    relationship_type: str | None
    kind: str | None
    grouped: int
    workers_active: int
    minutes_worked: int
    no_shows: int
    median_fill_seconds: float | None


class PaidRow(TypedDict):
    district_code: str
    day: date
    relationship_type: str
    gross_fen: int
    paid_minutes: int
    timed_gross_fen: int


class MinimumRow(TypedDict):
    district_code: str
    day: date
    hourly_fen: int | None


class OpenArrearsRow(TypedDict):
    district_code: str
    day: date
    open_arrears: int
    open_arrears_fen: int


class SharedFlow(TypedDict):
    district_code: str
    lender_id: uuid.UUID
    lender_name: str
    borrower_id: uuid.UUID
    borrower_name: str
    workers: int
    worker_days: int


@dataclass(frozen=True)
class OverviewFacts:
    """What the overview is built from, read in one go."""
    districts: list[District]
    posted: list[PostedRow]
    seats: list[SeatsRow]
    work: list[WorkRow]
    paid: list[PaidRow]
    minimums: list[MinimumRow]
    arrears: list[OpenArrearsRow]
    shared_flows: list[SharedFlow]


def _exact(row: asyncpg.Record) -> dict[str, Any]:
    return {k: int(v) if isinstance(v, Decimal) else v for k, v in row.items()}


async def _exact_rows(conn: asyncpg.Connection, query: str, *args: object) -> list[Any]:
    return [_exact(r) for r in await conn.fetch(query, *args)]


async def overview_facts(conn: asyncpg.Connection, districts: list[str], starts: datetime, ends: datetime,
                         first: date, last: date, zone: str) -> OverviewFacts:
    """The overview's rows for `districts`: posted, seats and work over [starts, ends) in local days of
    `zone`; pay, minimums, arrears and shared flows over the dates first..last."""
    names: list[Any] = [dict(r) for r in await conn.fetch(DISTRICTS, districts)]
    return OverviewFacts(
        districts=names,
        posted=await _exact_rows(conn, ORDERS_POSTED, districts, starts, ends, zone),
        seats=await _exact_rows(conn, SEATS, districts, starts, ends, zone),
        work=await _exact_rows(conn, WORK, districts, starts, ends, zone),
        paid=await _exact_rows(conn, PAID, districts, first, last),
        minimums=[dict(r) for r in await conn.fetch(MINIMUMS, districts, first, last)],  # type: ignore[misc]
        arrears=await _exact_rows(conn, ARREARS_OPEN, districts, first, last, zone),
        shared_flows=await _exact_rows(conn, SHARED_FLOWS, districts, first, last),
    )


class Alert(TypedDict):
    category: str
    kind: str
    item_id: str
    district_code: str | None
    organisation_id: uuid.UUID | None
    organisation_name: str | None
    order_id: uuid.UUID | None
    at: datetime
    status: str
    cleared_at: datetime | None
    amount_fen: int | None
    due_date: date | None
    days_overdue: int | None
    details: dict[str, Any]
    worker_name: str | None
    shift_starts_at: datetime | None
    amount_key: int


@dataclass(frozen=True)
class AlertScope:
    """Which alerts (_ALERT_ITEMS' $1..$8): districts, categories and status (None: all), the range
    [starts, ends), the zone and local date the overdue days are counted in, one organisation or all."""
    districts: list[str]
    categories: list[str] | None
    status: str | None
    starts: datetime
    ends: datetime
    zone: str
    today: date
    organisation_id: uuid.UUID | None

    def arguments(self) -> tuple:
        return (self.districts, self.categories, self.status, self.starts, self.ends, self.zone, self.today,
                self.organisation_id)


_ALERT_SORTS = {"newest": ALERTS_NEWEST, "oldest": ALERTS_OLDEST, "largest": ALERTS_LARGEST}


async def alerts(conn: asyncpg.Connection, scope: AlertScope, sort: str, after_value: str | None,
                 after_id: str | None, limit: int) -> list[Alert]:
    """One keyset page in `sort` order (newest | oldest | largest), after the cursor (value, item id)."""
    return await _exact_rows(conn, _ALERT_SORTS[sort], *scope.arguments(), after_value, after_id, limit)


async def alert_counts(conn: asyncpg.Connection, scope: AlertScope) -> dict[str, dict[str, int]]:
    """category → status → count, over the scope."""
    counts: dict[str, dict[str, int]] = {}
    for row in await conn.fetch(ALERT_COUNTS, *scope.arguments()):
        counts.setdefault(row["category"], {})[row["status"]] = row["n"]
    return counts


class Order(TypedDict):
    id: uuid.UUID
    kind: str
    title: str
    district_code: str
    relationship_type: str
    state: str
    pay_unit: str
    pay_amount_fen: int
    hourly_equivalent_fen: int
    below_minimum_wage: bool
    created_at: datetime
    organisation_id: uuid.UUID
    employer_name: str
    period_start: date | None
    period_end: date | None
    fee_per_worker_day_fen: int | None
    site_address: str
    seats: int
    seats_filled: int
    first_shift_at: datetime | None


async def orders_page(conn: asyncpg.Connection, districts: list[str], starts: datetime, ends: datetime,
                      state: str | None, kind: str | None, relationship: str | None,
                      after: tuple[datetime, uuid.UUID] | None, limit: int) -> list[Order]:
    """Orders posted in [starts, ends), newest first, after the cursor (created_at, id). Also the
    orders export: one plain dict per row, nothing heavier."""
    created, last_id = after if after is not None else (None, None)
    rows = await conn.fetch(ORDERS_PAGE, districts, starts, ends, state, kind, relationship, created, last_id, limit)
    return [dict(r) for r in rows]  # type: ignore[misc]


async def order_by_id(conn: asyncpg.Connection, order_id: uuid.UUID) -> Order | None:
    row = await conn.fetchrow(ORDER_BY_ID, order_id)
    return None if row is None else dict(row)  # type: ignore[return-value]


class Shift(TypedDict):
    id: uuid.UUID
    starts_at: datetime
    ends_at: datetime
    headcount: int
    filled: int
    open: bool


class Bid(TypedDict):
    """A worker's bid (worker_name unmasked: the service masks it), or a lender's on a shared order."""
    id: uuid.UUID
    shift_id: uuid.UUID | None
    worker_name: str | None
    id_number_masked: str | None
    lender_name: str | None
    rate_fen: int
    state: str
    created_at: datetime


class Assignment(TypedDict):
    id: uuid.UUID
    shift_id: uuid.UUID
    worker_name: str
    id_number_masked: str
    rate_fen: int
    state: str
    created_at: datetime
    starts_at: datetime
    ends_at: datetime
    timesheet_state: str | None
    checked_in_at: datetime | None
    checked_out_at: datetime | None
    worked_minutes: int | None
    approved_minutes: int | None


class Settlement(TypedDict):
    id: uuid.UUID
    assignment_id: uuid.UUID | None
    standby_id: uuid.UUID | None
    worker_name: str
    relationship_type: str
    shift_date: date
    due_date: date
    paid_minutes: int
    gross_fen: int
    income_tax_withheld_fen: int
    net_pay_fen: int | None
    employer_total_fen: int
    wage_leg_amount_fen: int | None
    wage_leg_confirmed_at: datetime | None
    created_at: datetime


class Compensation(TypedDict):
    id: uuid.UUID
    assignment_id: uuid.UUID
    worker_name: str
    amount_fen: int
    reason: str
    created_at: datetime


class Arrear(TypedDict):
    id: uuid.UUID
    kind: str
    assignment_id: uuid.UUID
    worker_name: str
    starts_at: datetime
    ends_at: datetime
    amount_fen: int | None
    due_date: date
    employer_at_fault: bool
    created_at: datetime
    cleared_at: datetime | None
    amount_owed_fen: int | None
    amount_basis: str


@dataclass(frozen=True)
class OrderPeople:
    """Everything of one order the drill-down shows beside the order itself."""
    shifts: list[Shift]
    bids: list[Bid]
    assignments: list[Assignment]
    settlements: list[Settlement]
    compensations: list[Compensation]
    arrears: list[Arrear]


async def order_people(conn: asyncpg.Connection, order_id: uuid.UUID) -> OrderPeople:
    async def rows(query: str) -> list[Any]:
        return [dict(r) for r in await conn.fetch(query, order_id)]

    return OrderPeople(shifts=await rows(SHIFTS_OF_ORDER), bids=await rows(BIDS_OF_ORDER),
                       assignments=await rows(ASSIGNMENTS_OF_ORDER), settlements=await rows(SETTLEMENTS_OF_ORDER),
                       compensations=await rows(COMPENSATIONS_OF_ORDER),
                       arrears=await _exact_rows(conn, ARREARS_OF_ORDER, order_id))


async def insert_audit(conn: asyncpg.Connection, account_id: uuid.UUID, role: str, action: str,
                       object_type: str | None, object_id: str | None, districts: list[str],
                       details: dict[str, Any]) -> None:
    await conn.execute(INSERT_AUDIT, account_id, role, action, object_type, object_id, districts, details)


class AuditEntry(TypedDict):
    id: int
    account_id: uuid.UUID
    display_name: str
    role: str
    action: str
    object_type: str | None
    object_id: str | None
    district_codes: list[str]
    details: dict[str, Any]
    created_at: datetime


async def audit_page(conn: asyncpg.Connection, account_id: uuid.UUID | None, after: tuple[datetime, int] | None,
                     limit: int) -> list[AuditEntry]:
    """The audit log newest first (one account's, or everyone's), after the cursor (created_at, id)."""
    created, last_id = after if after is not None else (None, None)
    return [dict(r) for r in await conn.fetch(AUDIT_PAGE, account_id, created, last_id, limit)]  # type: ignore[misc]


# The employer's everyday (issue 18) per district --------------------------------------------------
# Orders count in their district over [starts, ends) of posting; standbys by their shift's start;
# workers on daily pay by their home district, as of now.
EVERYDAY = """
SELECT d.code AS district_code,
    (SELECT count(*) FROM orders o WHERE o.district_code = d.code AND o.created_at >= $2 AND o.created_at < $3
        AND o.pool_until IS NOT NULL) AS pool_orders,
    (SELECT count(*) FROM order_pool_members m JOIN orders o ON o.id = m.order_id
        WHERE o.district_code = d.code AND o.created_at >= $2 AND o.created_at < $3
        AND m.source = 'favourite') AS pool_favourites,
    (SELECT count(*) FROM order_pool_members m JOIN orders o ON o.id = m.order_id
        WHERE o.district_code = d.code AND o.created_at >= $2 AND o.created_at < $3
        AND m.source = 'book_again') AS pool_book_again,
    (SELECT count(*) FROM order_pool_members m JOIN orders o ON o.id = m.order_id
        WHERE o.district_code = d.code AND o.created_at >= $2 AND o.created_at < $3
        AND m.source = 'agency') AS pool_agency,
    (SELECT count(*) FROM recurring_occurrences r JOIN orders o ON o.id = r.order_id
        WHERE o.district_code = d.code AND o.created_at >= $2 AND o.created_at < $3) AS recurring_orders,
    (SELECT count(DISTINCT r.series_id) FROM recurring_occurrences r JOIN orders o ON o.id = r.order_id
        WHERE o.district_code = d.code AND o.created_at >= $2 AND o.created_at < $3) AS recurring_series,
    (SELECT count(*) FROM standbys s JOIN orders o ON o.id = s.order_id
        WHERE o.district_code = d.code AND lower(s.period) >= $2 AND lower(s.period) < $3
        AND s.state IN ('on_call', 'offered')) AS standby_on_call,
    (SELECT count(*) FROM standbys s JOIN orders o ON o.id = s.order_id
        WHERE o.district_code = d.code AND lower(s.period) >= $2 AND lower(s.period) < $3
        AND s.state = 'called') AS standby_called,
    (SELECT count(*) FROM standbys s JOIN orders o ON o.id = s.order_id
        WHERE o.district_code = d.code AND lower(s.period) >= $2 AND lower(s.period) < $3
        AND s.state = 'released_paid') AS standby_paid,
    (SELECT coalesce(sum(s.amount_fen), 0) FROM standbys s JOIN orders o ON o.id = s.order_id
        WHERE o.district_code = d.code AND lower(s.period) >= $2 AND lower(s.period) < $3
        AND s.state = 'released_paid') AS standby_paid_fen,
    (SELECT count(*) FROM payout_preferences p JOIN workers w ON w.id = p.worker_id
        WHERE w.district_code = d.code AND p.cadence = 'daily') AS daily_pay_workers
FROM unnest($1::text[]) WITH ORDINALITY AS d (code, n)
ORDER BY d.n
"""


class EverydayRow(TypedDict):
    district_code: str
    pool_orders: int
    pool_favourites: int
    pool_book_again: int
    pool_agency: int
    recurring_orders: int
    recurring_series: int
    standby_on_call: int
    standby_called: int
    standby_paid: int
    standby_paid_fen: int
    daily_pay_workers: int


async def everyday(conn: asyncpg.Connection, districts: list[str], starts: datetime, ends: datetime) -> list[EverydayRow]:
    """Favourites-first pools, recurring orders, standby seats and daily pay in each district."""
    return [EverydayRow(**dict(row)) for row in await conn.fetch(EVERYDAY, districts, starts, ends)]  # type: ignore[typeddict-item]
