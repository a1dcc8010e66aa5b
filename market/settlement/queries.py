"""SQL of the settlement package: ledger, escrow, settlements, payouts, arrears (timesheets: market/attendance)."""
from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import fields
from datetime import date, datetime

import asyncpg

from market.settlement.records import (
    AccountBalance, Arrear, CompensationOwed, Deposit, DuplicateKey, NegativeEscrow, NewArrear, Payable, PayableRow, Payee,
    PayoutBatch, Payout, PaySlipRow, SettlementRow, StatementEntry, UnbalancedEntry, UnsettledApproval, UnsettledShiftDay, WageLeg,
)

# Ledger ---------------------------------------------------------------------------------------------
ENSURE_ACCOUNT = """
INSERT INTO ledger_accounts (kind, holder_type, holder_id) VALUES ($1, $2, $3)
ON CONFLICT (kind, holder_type, holder_id) DO NOTHING
"""
ACCOUNT_ID = "SELECT id FROM ledger_accounts WHERE kind = $1 AND holder_type = $2 AND holder_id = $3"
ACCOUNT_FOR_UPDATE = """
SELECT id, balance_fen FROM ledger_accounts WHERE kind = $1 AND holder_type = $2 AND holder_id = $3 FOR UPDATE
"""
ACCOUNT_BALANCE = """
SELECT balance_fen FROM ledger_accounts WHERE kind = $1 AND holder_type = $2 AND holder_id = $3
"""
INSERT_ENTRIES = """
INSERT INTO journal_entries (business_key, kind, memo, organisation_id, order_id, assignment_id, reverses, created_at)
SELECT *, coalesce($8::timestamptz, now())
FROM unnest($1::text[], $2::text[], $3::text[], $4::uuid[], $5::uuid[], $6::uuid[], $7::bigint[])
ON CONFLICT (business_key) DO NOTHING
RETURNING id, business_key
"""
ENTRIES_BY_KEYS = "SELECT id, business_key FROM journal_entries WHERE business_key = ANY($1::text[])"
INSERT_POSTINGS = """
INSERT INTO journal_postings (entry_id, account_id, amount_fen)
SELECT entry_id, account_id, amount_fen
FROM unnest($1::bigint[], $2::bigint[], $3::bigint[]) WITH ORDINALITY AS p(entry_id, account_id, amount_fen, n)
ORDER BY n
"""
ENSURE_ACCOUNTS = """
INSERT INTO ledger_accounts (kind, holder_type, holder_id)
SELECT * FROM unnest($1::text[], $2::text[], $3::uuid[]) ON CONFLICT (kind, holder_type, holder_id) DO NOTHING
"""
ACCOUNT_IDS = """
SELECT a.id, a.kind, a.holder_type, a.holder_id
FROM ledger_accounts a JOIN unnest($1::text[], $2::text[], $3::uuid[]) AS u(kind, holder_type, holder_id)
  USING (kind, holder_type, holder_id)
"""

# The ledger check: balances recomputed from the journal, unbalanced entries, duplicate keys.
RECOMPUTED_BALANCES = """
SELECT a.id, a.kind, a.holder_type, a.holder_id, a.balance_fen AS cached_fen,
       coalesce(sum(p.amount_fen), 0)::bigint AS journal_fen
FROM ledger_accounts a LEFT JOIN journal_postings p ON p.account_id = a.id
GROUP BY a.id ORDER BY a.kind, a.holder_type, a.holder_id
"""
UNBALANCED_ENTRIES = """
SELECT e.id, e.business_key, coalesce(sum(p.amount_fen), 0)::bigint AS total, count(p.id) AS legs
FROM journal_entries e LEFT JOIN journal_postings p ON p.entry_id = e.id
GROUP BY e.id HAVING coalesce(sum(p.amount_fen), 0) <> 0 OR count(p.id) < 2
"""
DUPLICATE_KEYS = "SELECT business_key, count(*) FROM journal_entries GROUP BY business_key HAVING count(*) > 1"
NEGATIVE_ESCROW = """
SELECT id, kind, holder_id, balance_fen FROM ledger_accounts
WHERE kind IN ('employer_escrow', 'employer_escrow_held') AND balance_fen > 0
"""

# Deposits -------------------------------------------------------------------------------------------
INSERT_DEPOSIT = """
INSERT INTO deposits (organisation_id, amount_fen, bank_reference, created_at) VALUES ($1, $2, $3, $4)
RETURNING id, organisation_id, amount_fen, bank_reference, state, created_at, confirmed_at
"""
DEPOSIT_FOR_UPDATE = """
SELECT id, organisation_id, amount_fen, bank_reference, state, created_at, confirmed_at
FROM deposits WHERE id = $1 FOR UPDATE
"""
CONFIRM_DEPOSIT = """
UPDATE deposits SET state = 'confirmed', confirmed_at = $2 WHERE id = $1
RETURNING id, organisation_id, amount_fen, bank_reference, state, created_at, confirmed_at
"""

# Escrow holds ---------------------------------------------------------------------------------------
_FOR_MONEY = """
SELECT a.id, a.shift_id, a.order_id, a.worker_id, a.organisation_id, a.rate_fen, a.state,
       lower(a.period) AS starts_at, upper(a.period) AS ends_at,
       o.relationship_type, o.pay_unit, o.pay_stated_hours, o.pay_cycle_days, o.district_code,
       o.fee_per_worker_day_fen, o.site_lat, o.site_lon, o.check_in_radius_m, o.title, o.sector_code,
       coalesce((SELECT w.waiting_minutes FROM timesheets w WHERE w.assignment_id = a.id), 0) AS waiting_minutes,
       d.tier{extra}
FROM assignments a JOIN orders o ON o.id = a.order_id JOIN districts d ON d.code = o.district_code{join}
"""
ASSIGNMENT_FOR_MONEY = _FOR_MONEY.format(extra="", join="") + "WHERE a.id = $1"
ASSIGNMENTS_FOR_MONEY = _FOR_MONEY.format(extra="", join="") + "WHERE a.id = ANY($1::uuid[])"
# Approved timesheets to settle, in approval order (the order their tax facts accumulate in).
APPROVED_FOR_MONEY = _FOR_MONEY.format(extra=", t.approved_minutes", join=" JOIN timesheets t ON t.assignment_id = a.id") + (
    "WHERE a.id = ANY($1::uuid[]) AND t.state = 'approved' ORDER BY t.approved_at, a.id")
SHARED_TERMS = """
SELECT lender_id, (terms -> 'pay' ->> 'wage_hourly_fen')::bigint AS wage_hourly_fen,
       (terms -> 'pay' ->> 'fee_per_worker_day_fen')::bigint AS fee_per_worker_day_fen
FROM agreements WHERE order_id = $1 AND worker_id = $2 ORDER BY created_at DESC LIMIT 1
"""
PENDING_OFFERS_FOR_MONEY = """
SELECT s.order_id, f.worker_id, f.rate_fen, o.organisation_id, s.starts_at,
       s.ends_at, o.relationship_type, o.pay_unit, o.pay_stated_hours, o.fee_per_worker_day_fen, o.sector_code
FROM offers f JOIN shifts s ON s.id = f.shift_id JOIN orders o ON o.id = f.order_id
WHERE o.organisation_id = $1 AND f.state = 'pending' AND f.expires_at > $2
"""
INSERT_HOLD = """
INSERT INTO escrow_holds (assignment_id, organisation_id, amount_fen, created_at) VALUES ($1, $2, $3, $4)
ON CONFLICT (assignment_id) DO NOTHING RETURNING assignment_id
"""
HOLD_EXISTS = "SELECT EXISTS (SELECT 1 FROM escrow_holds WHERE assignment_id = $1)"
RESOLVE_HOLDS = """
UPDATE escrow_holds SET state = $2, reason = $3, resolved_at = coalesce($4::timestamptz, now())
WHERE assignment_id = ANY($1::uuid[]) AND state = 'held'
RETURNING assignment_id, organisation_id, amount_fen
"""
LOCK_HELD = """
SELECT assignment_id, amount_fen FROM escrow_holds WHERE assignment_id = ANY($1::uuid[]) AND state = 'held'
ORDER BY assignment_id FOR UPDATE
"""
LOCK_ESCROWS = """
SELECT holder_id, balance_fen FROM ledger_accounts
WHERE kind = 'employer_escrow' AND holder_type = 'organisation' AND holder_id = ANY($1::uuid[])
ORDER BY id FOR UPDATE
"""
# For the settlement batch's transaction: a custom plan per execution, sized on the tables now.
PLAN_EACH_STATEMENT = "SET LOCAL plan_cache_mode = force_custom_plan"
SETTLEMENTS_OF_ASSIGNMENTS = "SELECT assignment_id, id FROM settlements WHERE assignment_id = ANY($1::uuid[])"
SETTLEMENT_OF_STANDBY = "SELECT id FROM settlements WHERE standby_id = $1"
RESOLVE_HOLD = """
UPDATE escrow_holds SET state = $2, reason = $3, resolved_at = coalesce($4::timestamptz, now())
WHERE assignment_id = $1 AND state = 'held'
RETURNING organisation_id, amount_fen
"""
CANCELLED_ASSIGNMENTS_OF_ORDER = "SELECT id FROM assignments WHERE order_id = $1 AND state = 'cancelled'"
# A compensation's minutes: its own (rows from before the column: the order's late-cancel minutes).
COMPENSATIONS = """
SELECT c.id, c.order_id, c.assignment_id, c.worker_id, c.amount_fen,
       coalesce(c.minutes, o.late_cancel_compensation_minutes) AS minutes, o.organisation_id, o.district_code
FROM compensations c JOIN orders o ON o.id = c.order_id
"""
COMPENSATIONS_OF_ORDER = COMPENSATIONS + "WHERE c.order_id = $1 ORDER BY c.id"
COMPENSATION_OF_ASSIGNMENT = COMPENSATIONS + "WHERE c.assignment_id = $1"

# Timesheets to settle ------------------------------------------------------------------------------
# On timesheets_unsettled, whose rows are the backlog alone, with the keyset bound as its index
# condition (not `$1 IS NULL OR …`, which no index can use). Before, every page rescanned every
# approved timesheet ever, settled ones included: a 100k sweep spent a third of its time here.
# $4/$5: the sweep's partition — employers by the last byte of their id (random in a v4 uuid).
APPROVED_UNSETTLED = """
SELECT t.assignment_id, t.approved_at, a.organisation_id
FROM timesheets t JOIN assignments a ON a.id = t.assignment_id
WHERE t.state = 'approved' AND t.settled_at IS NULL AND t.approved_minutes > 0
  AND (t.approved_at, t.assignment_id) > (coalesce($1::timestamptz, '-infinity'),
                                          coalesce($2::uuid, '00000000-0000-0000-0000-000000000000'))
  AND get_byte(uuid_send(a.organisation_id), 15) % $4::int = $5::int
ORDER BY t.approved_at, t.assignment_id LIMIT $3
"""
# A partition of the sweep is settled by one process at a time (the lock lasts the claim's transaction).
SWEEP_LOCK_CLASS = 0x736574  # "set"
CLAIM_PARTITION = "SELECT pg_try_advisory_xact_lock($1::int, $2::int)"
# Settlements ----------------------------------------------------------------------------------------
# The tax facts count every settlement of the pair, a standby's pay (standby_id, no assignment) too:
# it is income from the same payer, withheld on the same month or year.
WAGE_YEAR_TO_DATE = """
SELECT coalesce(sum(gross_fen), 0)::bigint AS wages_paid_fen,
       coalesce(sum(income_tax_withheld_fen), 0)::bigint AS tax_withheld_fen,
       coalesce(array_agg(DISTINCT settled_on) FILTER (WHERE settled_on IS NOT NULL), '{}') AS days
FROM settlements
WHERE organisation_id = $1 AND worker_id = $2 AND relationship_type = 'labor_part_time'
  AND settled_on >= $3 AND settled_on <= $4
"""
WAGE_YEAR_TO_DATE_OF_PAIRS = """
SELECT s.organisation_id, s.worker_id, sum(s.gross_fen)::bigint AS wages_paid_fen,
       sum(s.income_tax_withheld_fen)::bigint AS tax_withheld_fen, array_agg(DISTINCT s.settled_on) AS days
FROM settlements s JOIN unnest($1::uuid[], $2::uuid[]) AS p(organisation_id, worker_id)
  ON s.organisation_id = p.organisation_id AND s.worker_id = p.worker_id
WHERE s.relationship_type = 'labor_part_time' AND s.settled_on >= $3 AND s.settled_on <= $4
GROUP BY s.organisation_id, s.worker_id
"""
LABOR_REMUNERATION_MONTH_TO_DATE_OF_PAIRS = """
SELECT s.organisation_id, s.worker_id, sum(s.gross_fen)::bigint AS paid_fen,
       sum(s.income_tax_withheld_fen)::bigint AS tax_fen
FROM settlements s JOIN unnest($1::uuid[], $2::uuid[]) AS p(organisation_id, worker_id)
  ON s.organisation_id = p.organisation_id AND s.worker_id = p.worker_id
WHERE s.relationship_type IN ('incomplete_labor', 'labor_service') AND s.settled_on >= $3 AND s.settled_on <= $4
GROUP BY s.organisation_id, s.worker_id
"""
LABOR_REMUNERATION_MONTH_TO_DATE = """
SELECT coalesce(sum(gross_fen), 0)::bigint AS paid_fen, coalesce(sum(income_tax_withheld_fen), 0)::bigint AS tax_fen
FROM settlements
WHERE organisation_id = $1 AND worker_id = $2 AND relationship_type IN ('incomplete_labor', 'labor_service')
  AND settled_on >= $3 AND settled_on <= $4
"""
SETTLEMENT_BY_ID = """
SELECT s.*, o.title, o.district_code FROM settlements s JOIN orders o ON o.id = s.order_id WHERE s.id = $1
"""
CONFIRM_WAGE_LEG = """
UPDATE settlements SET wage_leg_confirmed_at = $2 WHERE id = $1 AND wage_leg_confirmed_at IS NULL
"""
# Every settlement is a slip, a standby's pay too (assignment_id null, standby_id set).
PAYSLIPS_OF_WORKER = """
SELECT s.id, s.assignment_id, s.order_id, s.relationship_type, s.shift_date, s.settled_on, s.due_date,
       s.paid_minutes, s.pay_slip, s.created_at, o.title,
       payer.name AS payer_name, lender.name AS lender_name, s.standby_id
FROM settlements s JOIN orders o ON o.id = s.order_id JOIN organisations payer ON payer.id = s.organisation_id
LEFT JOIN organisations lender ON lender.id = s.lender_id
WHERE s.worker_id = $1 AND ($2::timestamptz IS NULL OR (s.created_at, s.id) < ($2, $3::uuid))
ORDER BY s.created_at DESC, s.id DESC LIMIT $4
"""
# A standby's pay is a compensation entry whose settlement (standby_id) gives its lines.
# The employer's money in each entry: escrow and held escrow together (a settlement entry also
# returns its hold from held to escrow; only what leaves both is the charge).
STATEMENT_OF_ORGANISATION = """
SELECT e.id, e.kind, e.business_key, e.memo, e.order_id, e.assignment_id, e.created_at,
       -sum(p.amount_fen)::bigint AS amount_fen, o.title, s.lines
FROM journal_entries e
JOIN journal_postings p ON p.entry_id = e.id
JOIN ledger_accounts a ON a.id = p.account_id
LEFT JOIN orders o ON o.id = e.order_id
LEFT JOIN settlements s ON s.journal_entry_id = e.id
WHERE a.kind IN ('employer_escrow', 'employer_escrow_held') AND a.holder_type = 'organisation' AND a.holder_id = $1
  AND e.kind IN ('deposit', 'settlement', 'compensation', 'reversal', 'agency_fee')
  AND e.created_at >= $2 AND e.created_at < $3
GROUP BY e.id, o.title, s.lines
ORDER BY e.created_at, e.id
"""

# Alerts ---------------------------------------------------------------------------------------------
INSERT_ALERT = """
INSERT INTO alerts (kind, district_code, organisation_id, order_id, business_key, details, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (business_key) DO NOTHING
"""

# Payables and payouts -------------------------------------------------------------------------------
# Bound by name: $1 is a jsonb array of objects keyed by column (records.SettlementRow), read back
# into the table's row type by jsonb_populate_recordset, so a value can only land in the column of
# its name. The two lists below are the same names in the same order (tests/settlement/test_rows.py).
INSERT_SETTLEMENTS = """
INSERT INTO settlements (id, assignment_id, order_id, organisation_id, worker_id, lender_id, relationship_type,
    shift_date, settled_on, due_date, paid_minutes, gross_fen, income_tax_withheld_fen, net_pay_fen,
    employer_total_fen, lines, pay_slip, wage_leg_amount_fen, wage_leg_due_date, journal_entry_id, standby_id,
    created_at)
SELECT id, assignment_id, order_id, organisation_id, worker_id, lender_id, relationship_type,
    shift_date, settled_on, due_date, paid_minutes, gross_fen, income_tax_withheld_fen, net_pay_fen,
    employer_total_fen, lines, pay_slip, wage_leg_amount_fen, wage_leg_due_date, journal_entry_id, standby_id,
    $2::timestamptz
FROM jsonb_populate_recordset(NULL::settlements, $1::jsonb)
"""
INSERT_PAYABLES = """
INSERT INTO payables (source, source_id, payee_type, payee_id, organisation_id, assignment_id, amount_fen, due_date,
    created_at)
SELECT source, source_id, payee_type, payee_id, organisation_id, assignment_id, amount_fen, due_date, $2::timestamptz
FROM jsonb_populate_recordset(NULL::payables, $1::jsonb)
"""
INSERT_PAYABLE = """
INSERT INTO payables (source, source_id, payee_type, payee_id, organisation_id, assignment_id, amount_fen, due_date)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (source, source_id, payee_type) DO NOTHING
"""
BUILDING_BATCH = "SELECT id, due_by, slot_key FROM payout_batches WHERE state = 'building'"
INSERT_SLOT_BATCH = """
INSERT INTO payout_batches (due_by, created_at, slot_key) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING id, due_by
"""
# Shared with other payees' transactions, waited on by the export's update: nothing joins an exported batch.
BATCH_STILL_BUILDING = "SELECT state = 'building' FROM payout_batches WHERE id = $1 FOR SHARE"
BATCH_OF_SLOT = "SELECT id, due_by, state FROM payout_batches WHERE slot_key = $1"
INSERT_BATCH = """
INSERT INTO payout_batches (due_by, created_at) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING id, due_by
"""
# A standby's payable (no assignment) joins no settlement here: it is paid by its due date (the
# shift's day), never earlier by daily pay, as before migration 0018.
# A payable is in a batch of `due_by` when it is due by then, or (faster pay, docs/faster-pay.md) when
# its worker chose daily pay and its settlement's relationship type is one of $2.
_PAYABLE_IN_BATCH = """
p.payout_id IS NULL AND (p.due_date <= $1 OR (p.payee_type = 'worker'
    AND EXISTS (SELECT 1 FROM payout_preferences pp WHERE pp.worker_id = p.payee_id AND pp.cadence = 'daily')
    AND EXISTS (SELECT 1 FROM settlements s WHERE s.assignment_id = p.assignment_id
                AND s.relationship_type = ANY($2::text[]))))
"""
ANY_PAYABLE_DUE = f"SELECT EXISTS (SELECT 1 FROM payables p WHERE {_PAYABLE_IN_BATCH})"
PAYEES_DUE = f"""
SELECT p.payee_type, p.payee_id FROM payables p WHERE {_PAYABLE_IN_BATCH}
GROUP BY p.payee_type, p.payee_id ORDER BY p.payee_type, p.payee_id
"""
PAYABLES_OF_PAYEE_FOR_UPDATE = f"""
SELECT p.id, p.amount_fen, p.due_date, s.paid_minutes, s.shift_date, d.tier, p.source FROM payables p
LEFT JOIN settlements s ON s.assignment_id = p.assignment_id
LEFT JOIN orders o ON o.id = s.order_id LEFT JOIN districts d ON d.code = o.district_code
WHERE {_PAYABLE_IN_BATCH} AND p.payee_type = $3 AND p.payee_id = $4
ORDER BY p.id FOR UPDATE OF p
"""
INSERT_PAYOUT = """
INSERT INTO payouts (id, batch_id, payee_type, payee_id, amount_fen, journal_entry_id, created_at, fee_fen)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
"""
LINK_PAYABLES = "UPDATE payables SET payout_id = $1 WHERE id = ANY($2::uuid[])"
EXPORT_BATCH = "UPDATE payout_batches SET state = 'exported', exported_at = $2 WHERE id = $1 AND state = 'building'"
BATCH_BY_ID = """
SELECT id, due_by, state, created_at, exported_at, confirmed_at, slot_key FROM payout_batches WHERE id = $1
"""
BATCH_FOR_UPDATE = "SELECT id, due_by, state FROM payout_batches WHERE id = $1 FOR UPDATE"
PAYOUT_LINES = """
SELECT p.id, p.batch_id, p.payee_type, p.payee_id, p.amount_fen, p.state,
       coalesce(w.name, org.name) AS payee_name, p.fee_fen
FROM payouts p LEFT JOIN workers w ON p.payee_type = 'worker' AND w.id = p.payee_id
LEFT JOIN organisations org ON p.payee_type = 'organisation' AND org.id = p.payee_id
WHERE p.batch_id = $1 ORDER BY p.payee_type, p.payee_id
"""
PAYOUTS_OF_WORKER = """
SELECT p.id, p.batch_id, p.payee_type, p.payee_id, p.amount_fen, p.state, w.name AS payee_name, p.fee_fen
FROM payouts p JOIN workers w ON w.id = p.payee_id
WHERE p.payee_type = 'worker' AND p.payee_id = $1 ORDER BY p.created_at DESC, p.id DESC LIMIT $2
"""
PAYOUT_PREFERENCE = "SELECT cadence, updated_at FROM payout_preferences WHERE worker_id = $1"
SET_PAYOUT_PREFERENCE = """
INSERT INTO payout_preferences (worker_id, cadence, updated_at) VALUES ($1, $2, $3)
ON CONFLICT (worker_id) DO UPDATE SET cadence = EXCLUDED.cadence, updated_at = EXCLUDED.updated_at
RETURNING cadence, updated_at
"""
CONFIRM_PAYOUTS = "UPDATE payouts SET state = 'paid', paid_at = $2 WHERE batch_id = $1 AND state = 'pending'"
CONFIRM_BATCH = "UPDATE payout_batches SET state = 'confirmed', confirmed_at = $2 WHERE id = $1"
CLEAR_PAID_ARREARS = """
UPDATE arrears r SET cleared_at = $1
WHERE r.cleared_at IS NULL AND r.kind = 'wage_unpaid' AND EXISTS (
    SELECT 1 FROM payables pa JOIN payouts po ON po.id = pa.payout_id
    WHERE pa.assignment_id = r.assignment_id AND pa.payee_type = 'worker' AND po.state = 'paid')
"""

# Arrears --------------------------------------------------------------------------------------------
# An approved timesheet whose worker is not paid by its due date (one approved with no paid time owes
# nothing: never settled, never arrears): unsettled ones are the employer's
# (refused below the minimum wage or unfunded), settled ones whose payout is not confirmed are the
# platform's. A settled one has its due date; an unsettled one's is `rules.pay_due_date` of its shift
# day and pay cycle, computed in Python (the working-day calendar is not in the database): the first
# query lists the (shift day, cycle) pairs of unsettled unpaid timesheets whose unmoved due day is
# before $1, the first working day on or after today (a due date only ever moves earlier, so no later
# pair can be late yet); the second takes the moved due date of each late pair as $2–$4.
UNSETTLED_UNPAID_SHIFT_DAYS = """
SELECT DISTINCT (lower(a.period) AT TIME ZONE 'Asia/Shanghai')::date AS shift_date,
       least(o.pay_cycle_days, 15) AS pay_cycle_days
FROM timesheets t JOIN assignments a ON a.id = t.assignment_id JOIN orders o ON o.id = a.order_id
WHERE t.state = 'approved' AND t.approved_minutes > 0 AND o.relationship_type <> 'shared_labor'
  AND NOT EXISTS (SELECT 1 FROM settlements s WHERE s.assignment_id = a.id)
  AND (lower(a.period) AT TIME ZONE 'Asia/Shanghai')::date + least(o.pay_cycle_days, 15) < $1
  AND NOT EXISTS (SELECT 1 FROM payables pa JOIN payouts po ON po.id = pa.payout_id
                  WHERE pa.assignment_id = a.id AND pa.payee_type = 'worker' AND po.state = 'paid')
"""
NEW_WAGE_ARREARS = """
WITH unsettled_due (shift_date, pay_cycle_days, due_date) AS (
    SELECT * FROM unnest($2::date[], $3::int[], $4::date[]))
INSERT INTO arrears (kind, assignment_id, organisation_id, worker_id, amount_fen, due_date, employer_at_fault,
    created_at)
SELECT 'wage_unpaid', a.id, a.organisation_id, a.worker_id, s.net_pay_fen, coalesce(s.due_date, d.due_date),
       s.id IS NULL, $5::timestamptz
FROM timesheets t JOIN assignments a ON a.id = t.assignment_id JOIN orders o ON o.id = a.order_id
LEFT JOIN settlements s ON s.assignment_id = a.id
LEFT JOIN unsettled_due d ON s.id IS NULL
    AND d.shift_date = (lower(a.period) AT TIME ZONE 'Asia/Shanghai')::date
    AND d.pay_cycle_days = least(o.pay_cycle_days, 15)
WHERE t.state = 'approved' AND t.approved_minutes > 0 AND o.relationship_type <> 'shared_labor'
  AND coalesce(s.due_date, d.due_date) < $1
  AND NOT EXISTS (SELECT 1 FROM payables pa JOIN payouts po ON po.id = pa.payout_id
                  WHERE pa.assignment_id = a.id AND pa.payee_type = 'worker' AND po.state = 'paid')
ON CONFLICT (assignment_id, kind) DO NOTHING
RETURNING id, kind, assignment_id, organisation_id, worker_id, amount_fen, due_date, employer_at_fault
"""
NEW_SHARED_WAGE_ARREARS = """
INSERT INTO arrears (kind, assignment_id, organisation_id, worker_id, amount_fen, due_date, employer_at_fault,
    created_at)
SELECT 'shared_wage_unconfirmed', s.assignment_id, s.lender_id, s.worker_id, s.wage_leg_amount_fen,
       s.wage_leg_due_date, true, $2::timestamptz
FROM settlements s
WHERE s.lender_id IS NOT NULL AND s.wage_leg_confirmed_at IS NULL AND s.wage_leg_due_date < $1
ON CONFLICT (assignment_id, kind) DO NOTHING
RETURNING id, kind, assignment_id, organisation_id, worker_id, amount_fen, due_date, employer_at_fault
"""
CLEAR_SHARED_WAGE_ARREARS = """
UPDATE arrears SET cleared_at = $2
WHERE kind = 'shared_wage_unconfirmed' AND assignment_id = $1 AND cleared_at IS NULL
"""
ARREARS_OF_ORGANISATION = """
SELECT id, kind, assignment_id, amount_fen, due_date, employer_at_fault, created_at, cleared_at
FROM arrears WHERE organisation_id = $1 ORDER BY created_at DESC
"""
ARREARS_OF_WORKER = """
SELECT id, kind, assignment_id, amount_fen, due_date, employer_at_fault, created_at, cleared_at
FROM arrears WHERE worker_id = $1 ORDER BY created_at DESC
"""
RED_FLAG = """
SELECT min(created_at) FROM arrears WHERE organisation_id = $1 AND cleared_at IS NULL AND employer_at_fault
"""
DISTRICT_OF_ASSIGNMENT = "SELECT o.district_code FROM assignments a JOIN orders o ON o.id = a.order_id WHERE a.id = $1"


# ---- the functions that run them (services call these; ledger.py, escrow.py and batch.py run the
# ledger's, escrow's and the settlement engine's statements themselves: they are that layer) ------

def _one(cls, row):
    return None if row is None else cls(**dict(row))


async def insert_settlements(conn: asyncpg.Connection, rows: list[SettlementRow], at: datetime) -> None:
    """The settlements of a batch in one statement, each value bound by its column's name."""
    await conn.execute(INSERT_SETTLEMENTS, [_by_name(row) for row in rows], at)


async def insert_payables(conn: asyncpg.Connection, rows: list[PayableRow], at: datetime) -> None:
    """The batch's payables, in one statement, each bound by column name."""
    await conn.execute(INSERT_PAYABLES, [_by_name(row) for row in rows], at)


def _by_name(row: SettlementRow | PayableRow) -> dict:
    # asyncpg's own UUID type (ids read from rows) is not one the JSON encoder writes: as text.
    return {f.name: str(value) if isinstance(value := getattr(row, f.name), uuid.UUID) else value
            for f in fields(row)}


async def insert_deposit(conn: asyncpg.Connection, organisation_id: uuid.UUID | None, amount_fen: int, bank_reference: str,
                         at: datetime) -> Deposit:
    return Deposit(**dict(await conn.fetchrow(INSERT_DEPOSIT, organisation_id, amount_fen, bank_reference, at)))


async def deposit_for_update(conn: asyncpg.Connection, deposit_id: uuid.UUID) -> Deposit | None:
    return _one(Deposit, await conn.fetchrow(DEPOSIT_FOR_UPDATE, deposit_id))


async def confirm_deposit(conn: asyncpg.Connection, deposit_id: uuid.UUID, at: datetime) -> Deposit:
    return Deposit(**dict(await conn.fetchrow(CONFIRM_DEPOSIT, deposit_id, at)))


async def red_flag_since(conn: asyncpg.Connection, organisation_id: uuid.UUID | None) -> datetime | None:
    """Since when the employer owes wages past due by its own fault (None: it does not)."""
    return await conn.fetchval(RED_FLAG, organisation_id)


async def assignment_for_money(conn: asyncpg.Connection, assignment_id: uuid.UUID) -> asyncpg.Record:
    """The assignment as the settlement engine (batch.settle) reads it."""
    return await conn.fetchrow(ASSIGNMENT_FOR_MONEY, assignment_id)


async def assignments_for_money(conn: asyncpg.Connection, assignment_ids: list[uuid.UUID]) -> list[asyncpg.Record]:
    return await conn.fetch(ASSIGNMENTS_FOR_MONEY, assignment_ids)


async def approved_for_settling(conn: asyncpg.Connection, assignment_ids: list[uuid.UUID],
                                ) -> list[tuple[asyncpg.Record, int]]:
    """Approved timesheets as batch.settle takes them (row, approved minutes), in approval order."""
    return [(r, r["approved_minutes"]) for r in await conn.fetch(APPROVED_FOR_MONEY, assignment_ids)]


async def claim_sweep_partition(conn: asyncpg.Connection, partition: int) -> bool:
    """Whether this transaction now settles `partition` (no other process is settling it)."""
    return await conn.fetchval(CLAIM_PARTITION, SWEEP_LOCK_CLASS, partition)


async def approved_unsettled(conn: asyncpg.Connection, after: tuple[datetime, uuid.UUID] | None, limit: int,
                             partitions: int, partition: int) -> list[UnsettledApproval]:
    approved_at, assignment_id = after or (None, None)
    rows = await conn.fetch(APPROVED_UNSETTLED, approved_at, assignment_id, limit, partitions, partition)
    return [UnsettledApproval(r["approved_at"], r["assignment_id"], r["organisation_id"]) for r in rows]


async def cancelled_assignments_of_order(conn: asyncpg.Connection, order_id: uuid.UUID) -> list[uuid.UUID]:
    return [r["id"] for r in await conn.fetch(CANCELLED_ASSIGNMENTS_OF_ORDER, order_id)]


async def compensations_of_order(conn: asyncpg.Connection, order_id: uuid.UUID) -> list[CompensationOwed]:
    return [CompensationOwed(**dict(r)) for r in await conn.fetch(COMPENSATIONS_OF_ORDER, order_id)]


async def compensation_of_assignment(conn: asyncpg.Connection, assignment_id: uuid.UUID) -> CompensationOwed | None:
    row = await conn.fetchrow(COMPENSATION_OF_ASSIGNMENT, assignment_id)
    return CompensationOwed(**dict(row)) if row else None


async def insert_alert(conn: asyncpg.Connection, kind: str, district_code: str | None,
                       organisation_id: uuid.UUID | None, order_id: uuid.UUID | None, business_key: str,
                       details: dict, at: datetime) -> None:
    """A supervisor alert, once per business key."""
    await conn.execute(INSERT_ALERT, kind, district_code, organisation_id, order_id, business_key, details, at)


async def wage_leg(conn: asyncpg.Connection, settlement_id: uuid.UUID) -> WageLeg | None:
    row = await conn.fetchrow(SETTLEMENT_BY_ID, settlement_id)
    return None if row is None else WageLeg(**{name: row[name] for name in WageLeg.__dataclass_fields__})


async def confirm_wage_leg(conn: asyncpg.Connection, settlement_id: uuid.UUID, at: datetime) -> None:
    await conn.execute(CONFIRM_WAGE_LEG, settlement_id, at)


async def clear_shared_wage_arrears(conn: asyncpg.Connection, assignment_id: uuid.UUID, at: datetime) -> None:
    await conn.execute(CLEAR_SHARED_WAGE_ARREARS, assignment_id, at)


async def payslips_of_worker(conn: asyncpg.Connection, worker_id: uuid.UUID | None,
                             after: tuple[datetime, uuid.UUID] | None, limit: int) -> list[PaySlipRow]:
    created_at, last_id = after or (None, None)
    return [PaySlipRow(**dict(r)) for r in await conn.fetch(PAYSLIPS_OF_WORKER, worker_id, created_at, last_id, limit)]


async def statement_of_organisation(conn: asyncpg.Connection, organisation_id: uuid.UUID | None, start: datetime,
                                    end: datetime) -> list[StatementEntry]:
    return [StatementEntry(**dict(r))
            for r in await conn.fetch(STATEMENT_OF_ORGANISATION, organisation_id, start, end)]


# Payouts
async def building_batch(conn: asyncpg.Connection) -> PayoutBatch | None:
    row = await conn.fetchrow(BUILDING_BATCH)
    return None if row is None else PayoutBatch(row["id"], row["due_by"], "building", slot_key=row["slot_key"])


async def insert_slot_batch(conn: asyncpg.Connection, due_by: date, at: datetime, slot_key: str) -> PayoutBatch | None:
    """The batch of a schedule slot, or None when the slot has one already (or another batch is building)."""
    row = await conn.fetchrow(INSERT_SLOT_BATCH, due_by, at, slot_key)
    return None if row is None else PayoutBatch(row["id"], row["due_by"], "building", slot_key=slot_key)


async def batch_still_building(conn: asyncpg.Connection, batch_id: uuid.UUID) -> bool:
    return bool(await conn.fetchval(BATCH_STILL_BUILDING, batch_id))


async def batch_of_slot(conn: asyncpg.Connection, slot_key: str) -> PayoutBatch | None:
    row = await conn.fetchrow(BATCH_OF_SLOT, slot_key)
    return None if row is None else PayoutBatch(row["id"], row["due_by"], row["state"], slot_key=slot_key)


async def any_payable_due(conn: asyncpg.Connection, due_by: date, daily_types: Sequence[str] = ()) -> bool:
    return await conn.fetchval(ANY_PAYABLE_DUE, due_by, list(daily_types))


async def insert_batch(conn: asyncpg.Connection, due_by: date, at: datetime) -> PayoutBatch | None:
    """A new batch being built, or None when another run made one a moment ago."""
    row = await conn.fetchrow(INSERT_BATCH, due_by, at)
    return None if row is None else PayoutBatch(row["id"], row["due_by"], "building")


async def payees_due(conn: asyncpg.Connection, due_by: date, daily_types: Sequence[str] = ()) -> list[Payee]:
    return [Payee(r["payee_type"], r["payee_id"]) for r in await conn.fetch(PAYEES_DUE, due_by, list(daily_types))]


async def payables_of_payee_for_update(conn: asyncpg.Connection, due_by: date, payee: Payee,
                                       daily_types: Sequence[str] = ()) -> list[Payable]:
    rows = await conn.fetch(PAYABLES_OF_PAYEE_FOR_UPDATE, due_by, list(daily_types), payee.payee_type, payee.payee_id)
    return [Payable(r["id"], r["amount_fen"], r["due_date"], r["paid_minutes"], r["shift_date"], r["tier"],
                    r["source"]) for r in rows]


async def insert_payout(conn: asyncpg.Connection, payout_id: uuid.UUID, batch_id: uuid.UUID, payee: Payee,
                        amount_fen: int, journal_entry_id: int, at: datetime, payables: list[Payable],
                        fee_fen: int = 0) -> None:
    """The payout, and its payables linked to it (so none is paid twice)."""
    await conn.execute(INSERT_PAYOUT, payout_id, batch_id, payee.payee_type, payee.payee_id, amount_fen,
                       journal_entry_id, at, fee_fen)
    await conn.execute(LINK_PAYABLES, payout_id, [p.id for p in payables])


async def export_batch(conn: asyncpg.Connection, batch_id: uuid.UUID, at: datetime) -> None:
    await conn.execute(EXPORT_BATCH, batch_id, at)


async def batch_by_id(conn: asyncpg.Connection, batch_id: uuid.UUID) -> PayoutBatch | None:
    return _one(PayoutBatch, await conn.fetchrow(BATCH_BY_ID, batch_id))


async def batch_state_for_update(conn: asyncpg.Connection, batch_id: uuid.UUID) -> str | None:
    row = await conn.fetchrow(BATCH_FOR_UPDATE, batch_id)
    return None if row is None else row["state"]


async def payouts_of_batch(conn: asyncpg.Connection, batch_id: uuid.UUID) -> list[Payout]:
    return [Payout(**dict(r)) for r in await conn.fetch(PAYOUT_LINES, batch_id)]


async def payouts_of_worker(conn: asyncpg.Connection, worker_id: uuid.UUID, limit: int) -> list[Payout]:
    return [Payout(**dict(r)) for r in await conn.fetch(PAYOUTS_OF_WORKER, worker_id, limit)]


async def payout_preference(conn: asyncpg.Connection, worker_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(PAYOUT_PREFERENCE, worker_id)


async def set_payout_preference(conn: asyncpg.Connection, worker_id: uuid.UUID, cadence: str,
                                at: datetime) -> asyncpg.Record:
    return await conn.fetchrow(SET_PAYOUT_PREFERENCE, worker_id, cadence, at)


async def confirm_batch(conn: asyncpg.Connection, batch_id: uuid.UUID, at: datetime) -> None:
    """The bank paid the batch: its payouts paid, the batch confirmed, the wage arrears it paid cleared."""
    await conn.execute(CONFIRM_PAYOUTS, batch_id, at)
    await conn.execute(CONFIRM_BATCH, batch_id, at)
    await conn.execute(CLEAR_PAID_ARREARS, at)


# Arrears
async def unsettled_unpaid_shift_days(conn: asyncpg.Connection, before: date) -> list[UnsettledShiftDay]:
    return [UnsettledShiftDay(r["shift_date"], r["pay_cycle_days"])
            for r in await conn.fetch(UNSETTLED_UNPAID_SHIFT_DAYS, before)]


async def record_wage_arrears(conn: asyncpg.Connection, today: date,
                              late: list[tuple[UnsettledShiftDay, date]], at: datetime) -> list[NewArrear]:
    """Arrears of unpaid wages past due (`late`: unsettled shift days with their due dates) and of
    lenders' wage legs unconfirmed past due; only those not recorded before."""
    wages = await conn.fetch(NEW_WAGE_ARREARS, today, [day.shift_date for day, _ in late],
                             [day.pay_cycle_days for day, _ in late], [due for _, due in late], at)
    shared = await conn.fetch(NEW_SHARED_WAGE_ARREARS, today, at)
    return [NewArrear(**dict(r)) for r in (*wages, *shared)]


async def district_of_assignment(conn: asyncpg.Connection, assignment_id: uuid.UUID) -> str:
    return await conn.fetchval(DISTRICT_OF_ASSIGNMENT, assignment_id)


async def arrears_of_organisation(conn: asyncpg.Connection, organisation_id: uuid.UUID | None) -> list[Arrear]:
    return [Arrear(**dict(r)) for r in await conn.fetch(ARREARS_OF_ORGANISATION, organisation_id)]


async def arrears_of_worker(conn: asyncpg.Connection, worker_id: uuid.UUID | None) -> list[Arrear]:
    return [Arrear(**dict(r)) for r in await conn.fetch(ARREARS_OF_WORKER, worker_id)]


# The ledger check
async def recomputed_balances(conn: asyncpg.Connection) -> list[AccountBalance]:
    return [AccountBalance(*r) for r in await conn.fetch(RECOMPUTED_BALANCES)]


async def unbalanced_entries(conn: asyncpg.Connection) -> list[UnbalancedEntry]:
    return [UnbalancedEntry(*r) for r in await conn.fetch(UNBALANCED_ENTRIES)]


async def duplicate_keys(conn: asyncpg.Connection) -> list[DuplicateKey]:
    return [DuplicateKey(*r) for r in await conn.fetch(DUPLICATE_KEYS)]


async def negative_escrow(conn: asyncpg.Connection) -> list[NegativeEscrow]:
    return [NegativeEscrow(*r) for r in await conn.fetch(NEGATIVE_ESCROW)]
