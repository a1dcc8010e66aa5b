-- Migration 0005: ratings and the colours of organisations (docs/reputation.md). Idempotent.
-- Ratings after a completed shift (docs/reputation.md): one per side (the worker rates the employer,
-- the employer the worker), 1–5, reasons from the side's fixed list; never edited. Whether a rating
-- is held (given while a case between the two was open) is derived on read.
CREATE TABLE IF NOT EXISTS ratings (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    assignment_id    uuid NOT NULL REFERENCES assignments (id),
    rater            text NOT NULL CHECK (rater IN ('worker', 'employer')),
    worker_id        uuid NOT NULL REFERENCES workers (id),
    organisation_id  uuid NOT NULL REFERENCES organisations (id),
    score            smallint NOT NULL CHECK (score BETWEEN 1 AND 5),
    reasons          text[] NOT NULL DEFAULT '{}' CONSTRAINT ratings_reasons CHECK (
                     (rater = 'worker' AND reasons <@ ARRAY['paid_on_time', 'as_described', 'safe_site', 'respectful', 'well_organised', 'paid_late', 'not_as_described', 'unsafe_site', 'disrespectful', 'disorganised']::text[])
                     OR (rater = 'employer' AND reasons <@ ARRAY['punctual', 'skilled', 'diligent', 'cooperative', 'late', 'left_early', 'careless', 'uncooperative']::text[])),
    created_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT ratings_one_per_side UNIQUE (assignment_id, rater)
);
CREATE INDEX IF NOT EXISTS ratings_of_organisation ON ratings (organisation_id) WHERE rater = 'worker';
CREATE INDEX IF NOT EXISTS ratings_of_worker ON ratings (worker_id) WHERE rater = 'employer';
CREATE OR REPLACE FUNCTION ratings_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'a rating is not changed' USING ERRCODE = 'check_violation', CONSTRAINT = 'ratings_append_only';
END $$;
CREATE OR REPLACE TRIGGER ratings_append_only BEFORE UPDATE OR DELETE ON ratings
    FOR EACH ROW EXECUTE FUNCTION ratings_append_only();

-- The 红蓝黑 colour of each organisation, recomputed by the reputation sweep from its record (the
-- facts are kept beside it, so a supervisor sees why). No row: blue, not yet computed.
CREATE TABLE IF NOT EXISTS organisation_colours (
    organisation_id  uuid PRIMARY KEY REFERENCES organisations (id),
    colour           text NOT NULL CHECK (colour IN ('red', 'blue', 'black')),
    reasons          text[] NOT NULL CHECK (cardinality(reasons) >= 1),
    record           jsonb NOT NULL,
    computed_at      timestamptz NOT NULL
);
