-- Migration 0003: the filings (docs/filings.md). The full resident ID sealed on each worker (null
-- for workers registered before: the export reports them as missing), and the append-only audit of
-- every opening of sealed IDs.
-- Idempotent, as every migration here is (tests/test_migrations.py runs them again over a built database).
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = 'workers'::regclass AND attname = 'id_number_sealed'
                   AND NOT attisdropped) THEN
        ALTER TABLE workers
            ADD COLUMN id_number_sealed bytea CHECK (length(id_number_sealed) BETWEEN 28 + 18 AND 28 + 64),
            ADD COLUMN id_number_key_id text,
            ADD CONSTRAINT workers_id_number_sealed_with_key CHECK ((id_number_sealed IS NULL) = (id_number_key_id IS NULL));
    END IF;
END $$;

CREATE TABLE IF NOT EXISTS id_number_decryptions (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id   uuid NOT NULL REFERENCES accounts (id),
    at           timestamptz NOT NULL DEFAULT now(),
    export       text NOT NULL CHECK (export IN ('iit_wage', 'iit_labor_remuneration')),
    payer_id     uuid NOT NULL REFERENCES organisations (id),
    month        date NOT NULL CHECK (extract(day FROM month) = 1),
    decrypted    integer NOT NULL CHECK (decrypted >= 0),
    missing      integer NOT NULL CHECK (missing >= 0)
);
CREATE OR REPLACE FUNCTION id_number_decryptions_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'id_number_decryptions is append-only: the audit of decryptions is never changed'
        USING ERRCODE = 'restrict_violation';
END $$;
CREATE OR REPLACE TRIGGER id_number_decryptions_append_only BEFORE UPDATE OR DELETE ON id_number_decryptions
    FOR EACH ROW EXECUTE FUNCTION id_number_decryptions_append_only();
CREATE OR REPLACE TRIGGER id_number_decryptions_no_truncate BEFORE TRUNCATE ON id_number_decryptions
    FOR EACH STATEMENT EXECUTE FUNCTION id_number_decryptions_append_only();
