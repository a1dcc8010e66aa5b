"""SQL of the supervision package. Every query takes the caller's districts as $1 (text[]), already
reduced to their scope by the service; nothing here widens it."""
from __future__ import annotations

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

# Gross pay by the shift date of each settlement.
PAID = """
SELECT o.district_code, st.shift_date AS day, st.relationship_type,
       sum(st.gross_fen) AS gross_fen, sum(st.paid_minutes) AS paid_minutes
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
SETTLEMENTS_OF_ORDER = """
SELECT st.id, st.assignment_id, w.name AS worker_name, st.relationship_type, st.shift_date, st.due_date,
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
