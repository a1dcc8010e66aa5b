-- Migration 0015: faster pay (docs/faster-pay.md) and invoice requests (docs/invoices.md).
-- Idempotent, as every migration here is (tests/test_migrations.py runs them again over a built database).

-- A worker's payout choice: 'on_due_date' (each payable in the first batch on or after its due day,
-- as before) or 'daily' (日结: settled, approved pay of a type that allows it in the next batch).
CREATE TABLE IF NOT EXISTS payout_preferences (
    worker_id   uuid PRIMARY KEY REFERENCES workers (id) ON DELETE CASCADE,
    cadence     text NOT NULL CHECK (cadence IN ('on_due_date', 'daily')),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- A scheduled payout run's slot ('2026-12-07T10:00+08:00'): one batch per slot, whatever the
-- number of processes that run it. NULL: a batch run by hand.
ALTER TABLE payout_batches ADD COLUMN IF NOT EXISTS slot_key text;
CREATE UNIQUE INDEX IF NOT EXISTS payout_batches_one_per_slot ON payout_batches (slot_key);
-- The daily-payout fee taken from a payout (worker payable → platform fee revenue, in the payout's
-- own journal entry); amount_fen is what the bank pays, amount_fen + fee_fen what the payables held.
ALTER TABLE payouts ADD COLUMN IF NOT EXISTS fee_fen bigint NOT NULL DEFAULT 0;
DO $$ BEGIN
    ALTER TABLE payouts ADD CONSTRAINT payouts_fee_not_negative CHECK (fee_fen >= 0);
EXCEPTION WHEN duplicate_object THEN NULL; END $$;

-- Invoice requests (全电发票 / 数电票), one per employer, statement month and kind: the platform's
-- service fee, and the pass-through amounts it collected in escrow and paid out for the employer.
-- Integer fen; total = amount + tax. Requested, then issued once by the operator with the invoice
-- number (20 digits) and date; an issued request never changes and is never deleted.
CREATE TABLE IF NOT EXISTS invoice_requests (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organisation_id     uuid NOT NULL REFERENCES organisations (id),
    period              text NOT NULL CHECK (period ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
    kind                text NOT NULL CHECK (kind IN ('service_fee', 'pass_through')),
    buyer_name          text NOT NULL CHECK (length(buyer_name) BETWEEN 1 AND 200),
    buyer_credit_code   text NOT NULL CHECK (buyer_credit_code ~ '^[0-9A-HJ-NPQRTUWXY]{18}$'),
    tax_category_code   text NOT NULL CHECK (tax_category_code ~ '^[0-9]{19}$'),
    item_name           text NOT NULL CHECK (length(item_name) BETWEEN 1 AND 100),
    tax_rate_permille   integer NOT NULL CHECK (tax_rate_permille BETWEEN 0 AND 170),
    tax_treatment       text NOT NULL CHECK (tax_treatment IN ('general', 'not_taxable')),
    amount_fen          bigint NOT NULL CHECK (amount_fen >= 0),
    tax_fen             bigint NOT NULL CHECK (tax_fen >= 0),
    total_fen           bigint NOT NULL,
    state               text NOT NULL DEFAULT 'requested' CHECK (state IN ('requested', 'issued')),
    invoice_number      text CHECK (invoice_number ~ '^[0-9]{20}$'),
    issued_on           date,
    issued_by           uuid REFERENCES accounts (id),
    issued_at           timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT invoice_requests_one_per_period UNIQUE (organisation_id, period, kind),
    CONSTRAINT invoice_requests_total CHECK (total_fen = amount_fen + tax_fen),
    CONSTRAINT invoice_requests_issued_has_number CHECK ((state = 'issued') = (invoice_number IS NOT NULL
        AND issued_on IS NOT NULL AND issued_at IS NOT NULL))
);
CREATE UNIQUE INDEX IF NOT EXISTS invoice_requests_number ON invoice_requests (invoice_number);
CREATE INDEX IF NOT EXISTS invoice_requests_by_organisation ON invoice_requests (organisation_id, period DESC);

CREATE OR REPLACE FUNCTION invoice_requests_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.state = 'issued' THEN
        RAISE EXCEPTION 'invoice request %: an issued invoice is immutable', OLD.id USING ERRCODE = 'restrict_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END $$;
DROP TRIGGER IF EXISTS invoice_requests_immutable ON invoice_requests;
CREATE TRIGGER invoice_requests_immutable BEFORE UPDATE OR DELETE ON invoice_requests
    FOR EACH ROW EXECUTE FUNCTION invoice_requests_immutable();
CREATE OR REPLACE FUNCTION invoice_requests_no_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'invoice requests are never truncated' USING ERRCODE = 'restrict_violation';
END $$;
DROP TRIGGER IF EXISTS invoice_requests_no_truncate ON invoice_requests;
CREATE TRIGGER invoice_requests_no_truncate BEFORE TRUNCATE ON invoice_requests
    FOR EACH STATEMENT EXECUTE FUNCTION invoice_requests_no_truncate();
