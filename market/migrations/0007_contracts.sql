-- Migration 0007: written agreements (market/contracts, docs/agreements.md): the contracts of
-- assignments and three-party agreements, and their signatures, with the triggers that keep a
-- rendered document unchanged and a signed agreement immutable.
-- Idempotent, as every migration here is (tests/test_migrations.py runs them again over a built database).
-- The written agreement of each assignment and of each three-party agreement of shared employment
-- (docs/agreements.md): made pending in the transaction that makes its assignment (rendering is
-- left to the background), rendered once from its template version to a PDF kept in the row, with
-- its SHA-256; then signed by each party its relationship type names (required_roles). The bytes
-- stay in the row so that the database itself holds them unchanged: once rendered, the document,
-- its hash and its terms never change, and a fully signed agreement is not updated or deleted at all.
CREATE TABLE IF NOT EXISTS contracts (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    assignment_id     uuid CONSTRAINT contracts_one_per_assignment UNIQUE REFERENCES assignments (id),
    agreement_id      uuid CONSTRAINT contracts_one_per_agreement UNIQUE REFERENCES agreements (id),
    relationship_type text NOT NULL CHECK (relationship_type IN
                          ('labor_part_time', 'incomplete_labor', 'labor_service', 'shared_labor')),
    template_version  text NOT NULL CHECK (template_version ~ '^[a-z_]+/v[0-9]+$'),
    required_roles    text[] NOT NULL CHECK (cardinality(required_roles) BETWEEN 2 AND 3
                          AND required_roles <@ '{worker,employer,lender}'),
    state             text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'rendered', 'signed')),
    terms             jsonb,
    document          bytea,
    sha256            bytea CHECK (length(sha256) = 32),
    created_at        timestamptz NOT NULL DEFAULT now(),
    rendered_at       timestamptz,
    signed_at         timestamptz,
    CONSTRAINT contracts_of_one_thing CHECK (num_nonnulls(assignment_id, agreement_id) = 1),
    CONSTRAINT contracts_rendered_with_document CHECK (
        (state = 'pending') = (document IS NULL) AND (document IS NULL) = (sha256 IS NULL)
        AND (document IS NULL) = (terms IS NULL) AND (document IS NULL) = (rendered_at IS NULL)),
    CONSTRAINT contracts_signed_when_signed CHECK ((state = 'signed') = (signed_at IS NOT NULL)),
    -- the target of the signatures' foreign key: a signature names the hash it signed
    CONSTRAINT contracts_id_sha256_key UNIQUE (id, sha256)
);
CREATE INDEX IF NOT EXISTS contracts_pending ON contracts (created_at) WHERE state = 'pending';
CREATE INDEX IF NOT EXISTS contracts_by_sha256 ON contracts (sha256) WHERE sha256 IS NOT NULL;

-- One signature per party (role) and contract, of the contract's own hash: the foreign key on
-- (contract_id, sha256) refuses a signature of any other hash, or of a document not yet rendered.
-- Append-only.
CREATE TABLE IF NOT EXISTS contract_signatures (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    contract_id  uuid NOT NULL REFERENCES contracts (id),
    role         text NOT NULL CHECK (role IN ('worker', 'employer', 'lender')),
    party_id     uuid NOT NULL,
    account_id   uuid NOT NULL REFERENCES accounts (id),
    sha256       bytea NOT NULL CHECK (length(sha256) = 32),
    signed_at    timestamptz NOT NULL,
    CONSTRAINT contract_signatures_one_per_party UNIQUE (contract_id, role),
    CONSTRAINT contract_signatures_of_the_document FOREIGN KEY (contract_id, sha256) REFERENCES contracts (id, sha256)
);

-- Once rendered, a contract's document, hash, terms and template never change; once signed by
-- every party, nothing of it changes and it is never deleted. Becoming signed is the signatures'
-- doing (contract_signatures_count), and only when every required party has signed.
CREATE OR REPLACE FUNCTION contracts_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.state <> 'pending' THEN
            RAISE EXCEPTION 'contract %: a rendered agreement is never deleted', OLD.id USING ERRCODE = 'restrict_violation';
        END IF;
        RETURN OLD;
    END IF;
    IF OLD.state = 'signed' THEN
        RAISE EXCEPTION 'contract %: a signed agreement is immutable', OLD.id USING ERRCODE = 'restrict_violation';
    END IF;
    IF OLD.state = 'rendered' AND (NEW.document IS DISTINCT FROM OLD.document OR NEW.sha256 IS DISTINCT FROM OLD.sha256
            OR NEW.terms IS DISTINCT FROM OLD.terms OR NEW.template_version IS DISTINCT FROM OLD.template_version
            OR NEW.required_roles IS DISTINCT FROM OLD.required_roles OR NEW.rendered_at IS DISTINCT FROM OLD.rendered_at
            OR NEW.relationship_type IS DISTINCT FROM OLD.relationship_type OR NEW.state = 'pending'
            OR NEW.assignment_id IS DISTINCT FROM OLD.assignment_id OR NEW.agreement_id IS DISTINCT FROM OLD.agreement_id) THEN
        RAISE EXCEPTION 'contract %: a rendered agreement''s document never changes (signatures name its hash)', OLD.id
            USING ERRCODE = 'restrict_violation';
    END IF;
    IF NEW.state = 'signed' AND EXISTS (
            SELECT 1 FROM unnest(NEW.required_roles) r(role)
            WHERE NOT EXISTS (SELECT 1 FROM contract_signatures s WHERE s.contract_id = NEW.id AND s.role = r.role)) THEN
        RAISE EXCEPTION 'contract %: signed only once every party has signed', OLD.id USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END $$;
CREATE OR REPLACE TRIGGER contracts_immutable BEFORE UPDATE OR DELETE ON contracts
    FOR EACH ROW EXECUTE FUNCTION contracts_immutable();

-- A signature locks its contract (so two parties signing at once are counted one after the other),
-- must be of a role the contract asks for, and the last one makes the contract signed.
CREATE OR REPLACE FUNCTION contract_signatures_check() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    roles text[];
BEGIN
    SELECT required_roles INTO roles FROM contracts WHERE id = NEW.contract_id FOR UPDATE;
    IF NOT NEW.role = ANY (roles) THEN
        RAISE EXCEPTION 'contract %: no % signs this agreement', NEW.contract_id, NEW.role USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$;
CREATE OR REPLACE TRIGGER contract_signatures_check BEFORE INSERT ON contract_signatures
    FOR EACH ROW EXECUTE FUNCTION contract_signatures_check();

CREATE OR REPLACE FUNCTION contract_signatures_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE contracts c SET state = 'signed', signed_at = NEW.signed_at
    WHERE c.id = NEW.contract_id AND c.state = 'rendered' AND NOT EXISTS (
        SELECT 1 FROM unnest(c.required_roles) r(role)
        WHERE NOT EXISTS (SELECT 1 FROM contract_signatures s WHERE s.contract_id = c.id AND s.role = r.role));
    RETURN NULL;
END $$;
CREATE OR REPLACE TRIGGER contract_signatures_count AFTER INSERT ON contract_signatures
    FOR EACH ROW EXECUTE FUNCTION contract_signatures_count();

CREATE OR REPLACE FUNCTION contract_signatures_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'contract_signatures is append-only: a signature is never changed or taken back'
        USING ERRCODE = 'restrict_violation';
END $$;
CREATE OR REPLACE TRIGGER contract_signatures_append_only BEFORE UPDATE OR DELETE ON contract_signatures
    FOR EACH ROW EXECUTE FUNCTION contract_signatures_append_only();
CREATE OR REPLACE TRIGGER contract_signatures_no_truncate BEFORE TRUNCATE ON contract_signatures
    FOR EACH STATEMENT EXECUTE FUNCTION contract_signatures_append_only();
