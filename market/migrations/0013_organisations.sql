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
