-- Migration 0018: standby pay is settled by the settlement engine (docs/standby.md, "Standby pay";
-- docs/settlement.md). A settlement is of exactly one thing: an assignment (a timesheet, a
-- late-cancellation compensation) or a standby paid at its shift's end (which has no assignment).
-- assignment_id becomes nullable (its UNIQUE and its FK to assignments stay for the rows that have
-- one: a composite FK with a NULL column is not checked); standby_id names the standby, UNIQUE so a
-- standby is settled once whatever races. Idempotent.
ALTER TABLE settlements ALTER COLUMN assignment_id DROP NOT NULL;
ALTER TABLE settlements ADD COLUMN IF NOT EXISTS standby_id uuid CONSTRAINT settlements_standby_id_key UNIQUE
    CONSTRAINT settlements_standby REFERENCES standbys (id);
DO $$ BEGIN
    ALTER TABLE settlements ADD CONSTRAINT settlements_of_one_thing
        CHECK (num_nonnulls(assignment_id, standby_id) = 1);
EXCEPTION WHEN duplicate_object THEN NULL; END $$;
