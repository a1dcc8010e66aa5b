-- Migration 0008: certificates (docs/certificates.md). The certificates workers upload, their
-- review and validity, the one function every eligibility test reads, and the expiry reminders
-- sent. worker_skills.has_certificate (the worker's own, unverified claim) is dropped: nothing
-- reads it any more, and a column that looks like the answer would be read by mistake.
-- Idempotent, as every migration here is (tests/test_migrations.py runs them again over a built database).
ALTER TABLE worker_skills DROP COLUMN IF EXISTS has_certificate;

-- A certificate a worker uploads (docs/certificates.md): the file lives in the upload store
-- (market/uploads.py) under its SHA-256; the row holds the claims, the review and the validity.
-- valid_until is the last day it counts: the printed expiry, or the 复审 due day when that comes
-- first (特种作业操作证). Only a verified row counts, through certificate_valid_until below.
-- The most years a certificate of a kind may run from issue (market/certificates/model.py holds the
-- same rule for the field errors; tests/certificates/test_rules.py holds them equal). NULL: no cap.
CREATE OR REPLACE FUNCTION certificate_max_validity_years(p_kind text) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN p_kind = '健康证' THEN 1
                WHEN p_kind LIKE '特种作业操作证%' THEN 6
                WHEN p_kind LIKE '特种设备作业人员证%' THEN 4 END
$$;
CREATE TABLE IF NOT EXISTS certificates (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    worker_id      uuid NOT NULL REFERENCES workers (id) ON DELETE CASCADE,
    kind           text NOT NULL CHECK (length(kind) BETWEEN 1 AND 100),
    number_hash    bytea NOT NULL,
    number_masked  text NOT NULL,
    issuer         text NOT NULL CHECK (length(issuer) BETWEEN 1 AND 200),
    issued_on      date NOT NULL,
    expires_on     date NOT NULL,
    review_due_on  date,
    valid_until    date NOT NULL GENERATED ALWAYS AS (least(expires_on, review_due_on)) STORED,
    file_sha256    text NOT NULL CHECK (file_sha256 ~ '^[0-9a-f]{64}$'),
    media_type     text NOT NULL CHECK (media_type IN ('application/pdf', 'image/jpeg', 'image/png', 'image/webp')),
    file_size      integer NOT NULL CHECK (file_size > 0),
    state          text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'verified', 'rejected', 'revoked')),
    reviewed_by    uuid REFERENCES accounts (id),
    reviewed_at    timestamptz,
    reject_reason  text CHECK (length(reject_reason) BETWEEN 1 AND 500),
    created_at     timestamptz NOT NULL DEFAULT now(),
    -- A verified certificate found false later (forged, withdrawn by its issuer) is revoked by the
    -- operator: the review stays as it was, the revocation beside it.
    revoked_by     uuid REFERENCES accounts (id),
    revoked_at     timestamptz,
    revoke_reason  text CHECK (length(revoke_reason) BETWEEN 1 AND 500),
    CONSTRAINT certificates_expire_after_issue CHECK (expires_on > issued_on),
    CONSTRAINT certificates_review_due_within_validity
        CHECK (review_due_on IS NULL OR (review_due_on > issued_on AND review_due_on <= expires_on)),
    CONSTRAINT certificates_within_kind_validity CHECK (
        certificate_max_validity_years(kind) IS NULL
        OR expires_on <= issued_on + make_interval(years => certificate_max_validity_years(kind))),
    CONSTRAINT certificates_reviewed_when_decided
        CHECK ((state = 'pending') = (reviewed_by IS NULL) AND (reviewed_by IS NULL) = (reviewed_at IS NULL)),
    CONSTRAINT certificates_rejected_with_reason CHECK ((state = 'rejected') = (reject_reason IS NOT NULL)),
    CONSTRAINT certificates_revoked_with_reason CHECK (
        (state = 'revoked') = (revoked_by IS NOT NULL) AND (revoked_by IS NULL) = (revoked_at IS NULL)
        AND (revoked_by IS NULL) = (revoke_reason IS NULL))
);
CREATE INDEX IF NOT EXISTS certificates_of_worker ON certificates (worker_id, created_at DESC, id);
-- What every "does the worker hold it" asks (certificate_valid_until), and the reminder sweep.
CREATE INDEX IF NOT EXISTS certificates_held ON certificates (worker_id, kind, valid_until) WHERE state = 'verified';
CREATE INDEX IF NOT EXISTS certificates_by_validity ON certificates (valid_until) WHERE state = 'verified';
-- The same file of the same kind while pending is one certificate: an upload retried is answered
-- with the first (an upload is not kept for an Idempotency-Key replay, docs/certificates.md).
CREATE UNIQUE INDEX IF NOT EXISTS certificates_one_pending_per_file ON certificates (worker_id, kind, file_sha256)
    WHERE state = 'pending';

-- The last local day through which the worker holds the certificate that `p_skill` names in the
-- catalogue (skills.certificate): the latest valid_until of their verified certificates of that
-- kind; NULL for none. The one definition of "holds it" that the feed, the live audience, bids,
-- allocation, acceptance and check-in read (market/certificates/queries.py), so none can disagree.
CREATE OR REPLACE FUNCTION certificate_valid_until(p_worker uuid, p_skill text) RETURNS date
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT max(c.valid_until) FROM skills k JOIN certificates c ON c.kind = k.certificate
    WHERE k.code = p_skill AND c.worker_id = p_worker AND c.state = 'verified'
$$;

-- The expiry reminders sent (30 and 7 days before valid_until, which never changes: a renewed
-- certificate is a new upload), one row each: the primary key makes each reminder go once, however
-- many serve processes sweep at once.
CREATE TABLE IF NOT EXISTS certificate_reminders (
    certificate_id  uuid NOT NULL REFERENCES certificates (id) ON DELETE CASCADE,
    days_before     smallint NOT NULL CHECK (days_before IN (30, 7)),
    sent_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (certificate_id, days_before)
);
