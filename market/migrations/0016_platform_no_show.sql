-- Migration 0016: who recorded a no-show (docs/attendance.md, docs/standby.md). 'employer': POST
-- /v1/assignments/{id}/no-show; 'platform': the standby sweep, when a shift with a worker on call
-- has a seat whose worker did not check in by MARKET_STANDBY_CHECK_IN_GRACE after the start (the
-- seat then goes to the standby). Set exactly on the no_show timesheets. Idempotent.
ALTER TABLE timesheets ADD COLUMN IF NOT EXISTS no_show_by text;
UPDATE timesheets SET no_show_by = 'employer' WHERE state = 'no_show' AND no_show_by IS NULL;
DO $$ BEGIN
    ALTER TABLE timesheets ADD CONSTRAINT timesheets_no_show_by CHECK (
        no_show_by IN ('employer', 'platform') AND (state = 'no_show') = (no_show_by IS NOT NULL));
EXCEPTION WHEN duplicate_object THEN NULL; END $$;
