-- Migration 0017: the agency's service fee is paid out (docs/agencies.md, "The agency's service fee").
-- Idempotent, as every migration here is (tests/test_migrations.py runs them again over a built database).

-- A payable of source 'agency_fee' is the fee of one settled agency placement, owed to the agency
-- (payee_type 'organisation'); source_id is the assignment (the fee entry's key agency_fee:<assignment>).
ALTER TABLE payables DROP CONSTRAINT IF EXISTS payables_source_check;
ALTER TABLE payables ADD CONSTRAINT payables_source_check
    CHECK (source IN ('settlement', 'compensation', 'agency_fee'));

-- The fees posted before this migration get their payable (due the Beijing day they were posted), so
-- the next payout batch pays them like the new ones.
INSERT INTO payables (source, source_id, payee_type, payee_id, organisation_id, assignment_id, amount_fen, due_date,
                      created_at)
SELECT 'agency_fee', e.assignment_id, 'organisation', a.holder_id, e.organisation_id, e.assignment_id, -p.amount_fen,
       (e.created_at AT TIME ZONE 'Asia/Shanghai')::date, e.created_at
FROM journal_entries e
JOIN journal_postings p ON p.entry_id = e.id
JOIN ledger_accounts a ON a.id = p.account_id AND a.kind = 'agency_fee_payable'
WHERE e.kind = 'agency_fee' AND e.assignment_id IS NOT NULL AND p.amount_fen < 0
ON CONFLICT (source, source_id, payee_type) DO NOTHING;

-- An agency's fee lines, newest first (GET /v1/agencies/me/fees).
CREATE INDEX IF NOT EXISTS payables_agency_fees ON payables (payee_id, created_at) WHERE source = 'agency_fee';
