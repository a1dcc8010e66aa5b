-- Migration 0009: files as evidence on cases, and timesheets approved by a case's decision
-- (docs/cases.md). The bytes of a file are kept by the upload store (market/uploads.py, outside
-- the rows, by content hash); a row names each file of a case. Idempotent.
CREATE TABLE IF NOT EXISTS case_evidence_files (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    case_id     uuid NOT NULL REFERENCES cases (id),
    account_id  uuid NOT NULL REFERENCES accounts (id),
    role        text NOT NULL CHECK (role IN ('worker', 'employer', 'admin', 'supervisor')),
    sha256      text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    media_type  text NOT NULL CHECK (media_type IN ('application/pdf', 'image/jpeg', 'image/png', 'image/webp')),
    size_bytes  integer NOT NULL CHECK (size_bytes > 0),
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS case_evidence_files_by_case ON case_evidence_files (case_id, created_at);
CREATE OR REPLACE TRIGGER case_evidence_files_append_only BEFORE UPDATE OR DELETE ON case_evidence_files
    FOR EACH ROW EXECUTE FUNCTION cases_append_only();

-- A decided timesheet dispute approves the timesheet as the platform (approved_by = 'platform').
ALTER TABLE timesheets DROP CONSTRAINT IF EXISTS timesheets_approved_by_check;
ALTER TABLE timesheets ADD CONSTRAINT timesheets_approved_by_check
    CHECK (approved_by IN ('employer', 'auto', 'platform'));
