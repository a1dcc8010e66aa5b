-- Migration 0002: name the constraints the code reacts to (market/constraints.py reads violations by
-- name). The only one without a name of its own was the headcount invariant of shifts: a table
-- CHECK written without a name, which PostgreSQL called shifts_check2 (its third unnamed CHECK).
-- It is found by the columns it reads rather than by that generated name, so a database whose
-- CHECKs were numbered otherwise is renamed all the same; one already renamed is left as it is.
-- (The UNIQUE constraints the sign-up reacts to carry PostgreSQL's generated names, which
-- market/schema.sql now spells out: accounts_login_hash_key, accounts_login_skeleton_hash_key,
-- organisations_credit_code_key, workers_id_number_hash_key. Nothing to do for them here.)
DO $$
DECLARE
    unnamed text;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_constraint
                   WHERE conrelid = 'shifts'::regclass AND conname = 'shifts_filled_within_headcount') THEN
        SELECT c.conname INTO STRICT unnamed FROM pg_constraint c
        WHERE c.conrelid = 'shifts'::regclass AND c.contype = 'c'
          AND (SELECT array_agg(a.attname::text ORDER BY a.attname) FROM pg_attribute a
               WHERE a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)) = ARRAY['filled', 'headcount'];
        EXECUTE format('ALTER TABLE shifts RENAME CONSTRAINT %I TO shifts_filled_within_headcount', unnamed);
    END IF;
END $$;
