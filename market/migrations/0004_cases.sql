-- Migration 0004: cases (complaints, disputes, appeals) with their audit trail and evidence (docs/cases.md).
-- Idempotent, as every migration here is (tests/test_migrations.py runs them again over a built database).
-- A complaint, dispute or appeal of a worker against an organisation (docs/cases.md). The state
-- machine is market/cases/model.py; the database holds its states, that a decided case carries
-- its outcome and reason, that a closed case never changes, and that its audit trail only grows.
CREATE TABLE IF NOT EXISTS cases (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    kind             text NOT NULL CONSTRAINT cases_kind CHECK (kind IN ('unpaid_pay', 'late_pay', 'changed_terms',
                     'safety', 'discrimination', 'timesheet_dispute', 'no_show_appeal', 'reliability_appeal',
                     'cancelled_seat')),
    state            text NOT NULL DEFAULT 'open'
                     CONSTRAINT cases_state CHECK (state IN ('open', 'answered', 'resolved', 'escalated', 'decided')),
    worker_id        uuid NOT NULL REFERENCES workers (id),
    organisation_id  uuid NOT NULL REFERENCES organisations (id),
    district_code    text NOT NULL REFERENCES districts (code),
    order_id         uuid REFERENCES orders (id),
    assignment_id    uuid REFERENCES assignments (id),
    statement        text NOT NULL CHECK (length(statement) BETWEEN 1 AND 2000),
    answer           text CHECK (length(answer) BETWEEN 1 AND 2000),
    outcome          text CHECK (outcome IN ('upheld', 'partly_upheld', 'dismissed')),
    decision_reason  text CHECK (length(decision_reason) BETWEEN 1 AND 2000),
    taken_over_by    uuid REFERENCES accounts (id),
    due_at           timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT cases_decided_has_outcome CHECK ((state = 'decided') = (outcome IS NOT NULL AND decision_reason IS NOT NULL)),
    CONSTRAINT cases_answered_has_answer CHECK (state NOT IN ('answered', 'resolved') OR answer IS NOT NULL)
);
CREATE INDEX IF NOT EXISTS cases_by_worker ON cases (worker_id, created_at DESC);
CREATE INDEX IF NOT EXISTS cases_by_organisation ON cases (organisation_id, created_at DESC);
CREATE INDEX IF NOT EXISTS cases_by_district ON cases (district_code, created_at DESC);
CREATE INDEX IF NOT EXISTS cases_due ON cases (due_at) WHERE state IN ('open', 'answered');
-- One case of a kind per shift: a second complaint about the same thing is evidence on the first,
-- and a decided case is the platform's last word (beyond it lie mediation and arbitration).
CREATE UNIQUE INDEX IF NOT EXISTS cases_one_per_assignment_and_kind ON cases (assignment_id, kind)
    WHERE assignment_id IS NOT NULL;

CREATE OR REPLACE FUNCTION cases_closed_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.state IN ('resolved', 'decided') THEN
        RAISE EXCEPTION 'case % is %, and a closed case does not change', OLD.id, OLD.state
            USING ERRCODE = 'check_violation', CONSTRAINT = 'cases_closed_immutable';
    END IF;
    RETURN NEW;
END $$;
CREATE OR REPLACE TRIGGER cases_closed_immutable BEFORE UPDATE OR DELETE ON cases
    FOR EACH ROW EXECUTE FUNCTION cases_closed_immutable();

-- Every move of every case: who (account and role; NULL account for the sweep), when, from, to.
CREATE TABLE IF NOT EXISTS case_transitions (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    case_id     uuid NOT NULL REFERENCES cases (id),
    account_id  uuid REFERENCES accounts (id),
    role        text NOT NULL CHECK (role IN ('worker', 'employer', 'admin', 'supervisor', 'system')),
    move        text NOT NULL,
    from_state  text CHECK (from_state IN ('open', 'answered', 'resolved', 'escalated', 'decided')),
    to_state    text NOT NULL CHECK (to_state IN ('open', 'answered', 'resolved', 'escalated', 'decided')),
    note        text CHECK (length(note) <= 2000),
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS case_transitions_by_case ON case_transitions (case_id, id);

-- Evidence the parties add (text; files come through market/uploads once it is merged).
CREATE TABLE IF NOT EXISTS case_evidence (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    case_id     uuid NOT NULL REFERENCES cases (id),
    account_id  uuid NOT NULL REFERENCES accounts (id),
    role        text NOT NULL CHECK (role IN ('worker', 'employer', 'admin', 'supervisor')),
    body        text NOT NULL CHECK (length(body) BETWEEN 1 AND 4000),
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS case_evidence_by_case ON case_evidence (case_id, created_at);

CREATE OR REPLACE FUNCTION cases_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME
        USING ERRCODE = 'check_violation', CONSTRAINT = 'cases_append_only';
END $$;
CREATE OR REPLACE TRIGGER case_transitions_append_only BEFORE UPDATE OR DELETE ON case_transitions
    FOR EACH ROW EXECUTE FUNCTION cases_append_only();
CREATE OR REPLACE TRIGGER case_evidence_append_only BEFORE UPDATE OR DELETE ON case_evidence
    FOR EACH ROW EXECUTE FUNCTION cases_append_only();

-- A case that reverses a no-show settles a compensation for its seat; the trigger that marks a
-- settled timesheet now marks only an approved one (the no-show's timesheet stays as it was).
CREATE OR REPLACE FUNCTION settlements_mark_timesheets() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE timesheets t SET settled_at = n.created_at FROM new_settlements n
    WHERE t.assignment_id = n.assignment_id AND t.settled_at IS NULL AND t.state = 'approved';
    RETURN NULL;
END $$;
