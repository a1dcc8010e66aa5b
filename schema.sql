-- The schema of market, the one source of truth for tables and the invariants the database holds.
--
-- Applied by `market db upgrade` and at start-up, inside one transaction under an advisory lock.
-- Every statement is idempotent (IF NOT EXISTS, CREATE OR REPLACE, guarded DO blocks), so applying
-- the file twice changes nothing; schema_version records the checksum of each applied text.
-- To change a table, add an idempotent statement (ALTER TABLE ... ADD COLUMN IF NOT EXISTS ...)
-- below its CREATE; never edit a CREATE in a way existing databases would not see.
--
-- Conventions: money is bigint fen with CHECKs; times are timestamptz; states are text with CHECKs
-- (easier to extend than enums); ids visible to clients are uuid; people's ID numbers and logins
-- are stored as a keyed hash (HMAC-SHA256) and a masked form, never in clear.

CREATE EXTENSION IF NOT EXISTS btree_gist;

CREATE TABLE IF NOT EXISTS schema_version (
    version     integer PRIMARY KEY,
    checksum    text NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now()
);

-- Catalogues ------------------------------------------------------------------------------------

CREATE TABLE IF NOT EXISTS districts (
    code        text PRIMARY KEY,
    name        text NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('district', 'county', 'autonomous_county')),
    tier        smallint NOT NULL CHECK (tier IN (1, 2)),
    active      boolean NOT NULL,
    lat         double precision NOT NULL CHECK (lat BETWEEN -90 AND 90),
    lon         double precision NOT NULL CHECK (lon BETWEEN -180 AND 180),
    note        text
);

CREATE TABLE IF NOT EXISTS minimum_wages (
    tier            smallint NOT NULL CHECK (tier IN (1, 2)),
    effective_from  date NOT NULL,
    monthly_fen     bigint NOT NULL CHECK (monthly_fen > 0),
    hourly_fen      bigint NOT NULL CHECK (hourly_fen > 0),
    source          text NOT NULL,
    PRIMARY KEY (tier, effective_from)
);

CREATE TABLE IF NOT EXISTS skills (
    code         text PRIMARY KEY CHECK (code ~ '^[a-z][a-z0-9_]*$'),
    name_zh      text NOT NULL,
    name_en      text NOT NULL,
    certificate  text
);

-- People ----------------------------------------------------------------------------------------

CREATE TABLE IF NOT EXISTS accounts (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    role           text NOT NULL CHECK (role IN ('employer', 'worker', 'supervisor', 'admin')),
    login_hash     bytea UNIQUE,
    login_masked   text,
    password_hash  text,
    display_name   text NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    -- employers and workers sign in with a password; supervisors and admins get tokens from the CLI
    CHECK ((role IN ('employer', 'worker')) = (login_hash IS NOT NULL AND password_hash IS NOT NULL))
);

CREATE TABLE IF NOT EXISTS organisations (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    account_id     uuid NOT NULL UNIQUE REFERENCES accounts (id),
    name           text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    -- 统一社会信用代码 is a public registration number of an enterprise, not personal data
    credit_code    text NOT NULL UNIQUE CHECK (credit_code ~ '^[0-9A-HJ-NPQRTUWXY]{18}$'),
    district_code  text NOT NULL REFERENCES districts (code),
    created_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS workers (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    account_id       uuid NOT NULL UNIQUE REFERENCES accounts (id),
    name             text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    id_number_hash   bytea NOT NULL UNIQUE CHECK (length(id_number_hash) = 32),
    id_number_masked text NOT NULL CHECK (id_number_masked ~ '^[0-9]{4}\*{10}[0-9]{3}[0-9X]$'),
    district_code    text NOT NULL REFERENCES districts (code),
    created_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS supervisor_districts (
    account_id     uuid NOT NULL REFERENCES accounts (id),
    district_code  text NOT NULL REFERENCES districts (code),
    PRIMARY KEY (account_id, district_code)
);

CREATE TABLE IF NOT EXISTS tokens (
    token_hash  bytea PRIMARY KEY CHECK (length(token_hash) = 32),
    account_id  uuid NOT NULL REFERENCES accounts (id),
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    revoked_at  timestamptz,
    CHECK (expires_at > created_at)
);
CREATE INDEX IF NOT EXISTS tokens_account ON tokens (account_id);

-- HTTP conventions ------------------------------------------------------------------------------

CREATE TABLE IF NOT EXISTS idempotency_keys (
    caller          text NOT NULL,
    key             text NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
    request_hash    bytea NOT NULL,
    locked_at       timestamptz,
    response_status smallint,
    response_body   bytea,
    response_type   text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    expires_at      timestamptz NOT NULL,
    PRIMARY KEY (caller, key),
    -- a row is either running (locked, no response yet) or finished (a response, no lock)
    CHECK ((locked_at IS NULL) = (response_status IS NOT NULL))
);
CREATE INDEX IF NOT EXISTS idempotency_keys_expiry ON idempotency_keys (expires_at);
