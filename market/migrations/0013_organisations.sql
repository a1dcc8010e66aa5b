-- Migration 0013: organisations with members, roles and sites (docs/organisations.md).
-- An organisation had one login (organisations.account_id); it now has members, each an employer
-- account with a role in it: owner, site_manager, finance. The account that registered it is its
-- owner (backfilled below; organisations.account_id stays: it names the founding owner).
-- Idempotent, as every migration here is (tests/test_migrations.py runs them again over a built database).
CREATE TABLE IF NOT EXISTS organisation_members (
    account_id       uuid PRIMARY KEY REFERENCES accounts (id),
    organisation_id  uuid NOT NULL REFERENCES organisations (id),
    role             text NOT NULL CHECK (role IN ('owner', 'site_manager', 'finance')),
    created_at       timestamptz NOT NULL DEFAULT now(),
    created_by       uuid REFERENCES accounts (id),
    removed_at       timestamptz,
    CONSTRAINT organisation_members_account_organisation_key UNIQUE (account_id, organisation_id)
);
CREATE INDEX IF NOT EXISTS organisation_members_of_organisation ON organisation_members (organisation_id);
INSERT INTO organisation_members (account_id, organisation_id, role, created_at)
SELECT o.account_id, o.id, 'owner', o.created_at FROM organisations o
ON CONFLICT (account_id) DO NOTHING;

-- The account that registers an organisation is its owner: the database makes the membership
-- with the organisation, whoever inserts it (sign-up, the demo, a benchmark's direct insert).
CREATE OR REPLACE FUNCTION organisations_founder_is_owner() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO organisation_members (account_id, organisation_id, role, created_at, created_by)
    VALUES (NEW.account_id, NEW.id, 'owner', NEW.created_at, NEW.account_id)
    ON CONFLICT (account_id) DO NOTHING;
    RETURN NEW;
END $$;
DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = 'organisations_founder_is_owner') THEN
        CREATE TRIGGER organisations_founder_is_owner AFTER INSERT ON organisations
            FOR EACH ROW EXECUTE FUNCTION organisations_founder_is_owner();
    END IF;
END $$;

-- A work site of an organisation: where its orders happen and how near a check-in must be.
CREATE TABLE IF NOT EXISTS sites (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organisation_id   uuid NOT NULL REFERENCES organisations (id),
    name              text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    address           text NOT NULL DEFAULT '' CHECK (length(address) <= 500),
    lat               double precision NOT NULL CHECK (lat BETWEEN -90 AND 90),
    lon               double precision NOT NULL CHECK (lon BETWEEN -180 AND 180),
    check_in_radius_m integer NOT NULL DEFAULT 500 CHECK (check_in_radius_m BETWEEN 10 AND 10000),
    created_at        timestamptz NOT NULL DEFAULT now(),
    created_by        uuid REFERENCES accounts (id),
    CONSTRAINT sites_id_organisation_key UNIQUE (id, organisation_id)
);
-- Which site managers manage a site; a manager of another organisation's site cannot be named
-- (the composite keys hold both to the one organisation).
CREATE TABLE IF NOT EXISTS site_managers (
    site_id          uuid NOT NULL,
    account_id       uuid NOT NULL,
    organisation_id  uuid NOT NULL,
    PRIMARY KEY (site_id, account_id),
    FOREIGN KEY (account_id, organisation_id) REFERENCES organisation_members (account_id, organisation_id)
        ON DELETE CASCADE,
    FOREIGN KEY (site_id, organisation_id) REFERENCES sites (id, organisation_id) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS site_managers_of_account ON site_managers (account_id);

-- An order may name one of its organisation's sites (its location and radius are then the site's).
ALTER TABLE orders ADD COLUMN IF NOT EXISTS site_id uuid REFERENCES sites (id);

-- ---- HR service agencies (人力资源服务机构, docs/agencies.md) ----
-- An organisation is an employer (the default) or an agency.
ALTER TABLE organisations ADD COLUMN IF NOT EXISTS kind text NOT NULL DEFAULT 'employer';
DO $$ BEGIN
    ALTER TABLE organisations ADD CONSTRAINT organisations_kind_check CHECK (kind IN ('employer', 'agency'));
EXCEPTION WHEN duplicate_object THEN NULL; END $$;
-- An agency's licences: the 人力资源服务许可证 (hr_service) every agency needs, and the
-- 劳务派遣经营许可证 (labor_dispatch) one that dispatches holds; reviewed by the operator. One of
-- each kind per agency: a resubmission replaces it and is reviewed again.
CREATE TABLE IF NOT EXISTS agency_licences (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organisation_id  uuid NOT NULL REFERENCES organisations (id),
    kind             text NOT NULL CHECK (kind IN ('hr_service', 'labor_dispatch')),
    number           text NOT NULL CHECK (length(number) BETWEEN 6 AND 64),
    issuing_bureau   text NOT NULL CHECK (length(issuing_bureau) BETWEEN 1 AND 200),
    scope            text NOT NULL CHECK (length(scope) BETWEEN 1 AND 1000),
    valid_from       date NOT NULL,
    valid_until      date NOT NULL,
    state            text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'verified', 'rejected')),
    reviewed_by      uuid REFERENCES accounts (id),
    reviewed_at      timestamptz,
    reject_reason    text CHECK (length(reject_reason) BETWEEN 1 AND 500),
    submitted_by     uuid REFERENCES accounts (id),
    created_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT agency_licences_one_per_kind UNIQUE (organisation_id, kind),
    CHECK (valid_until >= valid_from),
    CHECK ((state = 'pending') = (reviewed_at IS NULL)),
    CHECK ((state = 'rejected') = (reject_reason IS NOT NULL))
);
-- A client employer's mandate to an agency: what it may do in the client's name, up to a budget
-- (fen, the most the orders it posts may cost), within its validity; its service fee.
CREATE TABLE IF NOT EXISTS mandates (
    id                     uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    client_organisation_id uuid NOT NULL REFERENCES organisations (id),
    agency_organisation_id uuid NOT NULL REFERENCES organisations (id),
    scope                  text[] NOT NULL CHECK (cardinality(scope) >= 1
                               AND scope <@ ARRAY['post_orders', 'manage_orders', 'approve_timesheets']),
    budget_fen             bigint NOT NULL CHECK (budget_fen > 0),
    committed_fen          bigint NOT NULL DEFAULT 0,
    valid_from             date NOT NULL,
    valid_until            date NOT NULL,
    fee_per_placement_fen  bigint NOT NULL DEFAULT 0 CHECK (fee_per_placement_fen >= 0),
    fee_rate_bp            integer NOT NULL DEFAULT 0 CHECK (fee_rate_bp BETWEEN 0 AND 5000),
    state                  text NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'revoked')),
    created_by             uuid REFERENCES accounts (id),
    created_at             timestamptz NOT NULL DEFAULT now(),
    revoked_at             timestamptz,
    CHECK (client_organisation_id <> agency_organisation_id),
    CHECK (valid_until >= valid_from),
    CONSTRAINT mandates_within_budget CHECK (committed_fen BETWEEN 0 AND budget_fen),
    CHECK ((state = 'revoked') = (revoked_at IS NOT NULL))
);
CREATE INDEX IF NOT EXISTS mandates_of_agency ON mandates (agency_organisation_id);
CREATE INDEX IF NOT EXISTS mandates_of_client ON mandates (client_organisation_id);
-- An order an agency posted in a client's name names both (docs/agencies.md).
ALTER TABLE orders ADD COLUMN IF NOT EXISTS agency_organisation_id uuid REFERENCES organisations (id);
ALTER TABLE orders ADD COLUMN IF NOT EXISTS mandate_id uuid REFERENCES mandates (id);
DO $$ BEGIN
    ALTER TABLE orders ADD CONSTRAINT orders_agency_with_mandate
        CHECK ((agency_organisation_id IS NULL) = (mandate_id IS NULL));
EXCEPTION WHEN duplicate_object THEN NULL; END $$;
-- The workers of an agency's own pool, who joined it with their consent (docs/agencies.md).
CREATE TABLE IF NOT EXISTS agency_pool_members (
    agency_organisation_id uuid NOT NULL REFERENCES organisations (id),
    worker_id              uuid NOT NULL REFERENCES workers (id),
    consented_at           timestamptz NOT NULL DEFAULT now(),
    left_at                timestamptz,
    PRIMARY KEY (agency_organisation_id, worker_id)
);

-- ---- the agency's service fee (docs/agencies.md): its own ledger account and journal entry kind ----
DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'ledger_accounts_kind_check'
                   AND pg_get_constraintdef(oid) LIKE '%agency_fee_payable%') THEN
        ALTER TABLE ledger_accounts DROP CONSTRAINT IF EXISTS ledger_accounts_kind_check;
        ALTER TABLE ledger_accounts ADD CONSTRAINT ledger_accounts_kind_check CHECK (kind IN ('employer_escrow',
            'employer_escrow_held', 'worker_payable', 'lender_receivable', 'tax_payable',
            'work_injury_insurance_payable', 'occupational_injury_protection_payable', 'platform_fee_revenue',
            'bank_clearing', 'agency_fee_payable'));
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'journal_entries_kind_check'
                   AND pg_get_constraintdef(oid) LIKE '%agency_fee%') THEN
        ALTER TABLE journal_entries DROP CONSTRAINT IF EXISTS journal_entries_kind_check;
        ALTER TABLE journal_entries ADD CONSTRAINT journal_entries_kind_check CHECK (kind IN ('deposit', 'hold',
            'hold_release', 'hold_post', 'settlement', 'compensation', 'payout', 'reversal', 'agency_fee'));
    END IF;
END $$;
