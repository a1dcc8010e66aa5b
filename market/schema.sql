-- The schema of market: what a database built today holds, as CREATE statements only.
--
-- A fresh (empty) database is built from this file; an existing one is brought forward by the
-- numbered migrations in market/migrations/ (0001 is the historical, idempotent schema text that
-- brings any earlier database to the baseline). `market db upgrade` and every start-up do either,
-- under an advisory lock, and record the migration number in schema_version (market/db.py).
-- To change the schema: add market/migrations/NNNN_<what>.sql AND make the same change here;
-- tests/test_migrations.py compares a database built each way, table by table.
-- Constraints the code reacts to are named, and their violations are read by name in one place
-- (market/constraints.py).
--
-- Conventions: money is bigint fen with CHECKs; times are timestamptz; states are text with CHECKs
-- (easier to extend than enums); ids visible to clients are uuid; people's ID numbers and logins
-- are stored as a keyed hash (HMAC-SHA256) and a masked form, never in clear.

CREATE EXTENSION IF NOT EXISTS btree_gist;

-- Catalogues ------------------------------------------------------------------------------------

CREATE TABLE districts (
    code        text PRIMARY KEY,
    name        text NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('district', 'county', 'autonomous_county')),
    tier        smallint NOT NULL CHECK (tier IN (1, 2)),
    active      boolean NOT NULL,
    lat         double precision NOT NULL CHECK (lat BETWEEN -90 AND 90),
    lon         double precision NOT NULL CHECK (lon BETWEEN -180 AND 180),
    note        text
);

CREATE TABLE minimum_wages (
    tier            smallint NOT NULL CHECK (tier IN (1, 2)),
    effective_from  date NOT NULL,
    monthly_fen     bigint NOT NULL CHECK (monthly_fen > 0),
    hourly_fen      bigint NOT NULL CHECK (hourly_fen > 0),
    source          text NOT NULL,
    PRIMARY KEY (tier, effective_from)
);

CREATE TABLE skills (
    code         text PRIMARY KEY CHECK (code ~ '^[a-z][a-z0-9_]*$'),
    name_zh      text NOT NULL,
    name_en      text NOT NULL,
    certificate  text
);

-- 职业伤害保障 sectors (market/catalogue/data/sectors.json); an order's sector selects the per-order
-- contribution of the rate book (market/settlement/data/rates.json). Migration 0004.
CREATE TABLE sectors (
    code     text PRIMARY KEY CHECK (code ~ '^[a-z][a-z0-9_]*$'),
    name_zh  text NOT NULL,
    name_en  text NOT NULL
);

-- People ----------------------------------------------------------------------------------------

CREATE TABLE accounts (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    role           text NOT NULL CHECK (role IN ('employer', 'worker', 'supervisor', 'admin')),
    login_hash     bytea CONSTRAINT accounts_login_hash_key UNIQUE,
    login_masked   text,
    password_hash  text,
    display_name   text NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    -- login_hash is the keyed hash of the login's PRECIS form, login_skeleton_hash of its UTS #39
    -- skeleton (market/accounts/logins.py): unique, so no login can be registered that only looks
    -- like an existing one. Null for an account made before skeletons were kept (only the keyed
    -- hash of its login was, so there is nothing to compute it from) until its next sign-in stores it.
    login_skeleton_hash bytea CONSTRAINT accounts_login_skeleton_hash_key UNIQUE
                   CHECK (length(login_skeleton_hash) = 32),
    -- employers and workers sign in with a password; supervisors and admins get tokens from the CLI
    CHECK ((role IN ('employer', 'worker')) = (login_hash IS NOT NULL AND password_hash IS NOT NULL))
);

CREATE TABLE organisations (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    account_id     uuid NOT NULL UNIQUE REFERENCES accounts (id),
    name           text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    -- 统一社会信用代码 is a public registration number of an enterprise, not personal data
    credit_code    text NOT NULL CONSTRAINT organisations_credit_code_key UNIQUE CHECK (credit_code ~ '^[0-9A-HJ-NPQRTUWXY]{18}$'),
    district_code  text NOT NULL REFERENCES districts (code),
    created_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE workers (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    account_id       uuid NOT NULL UNIQUE REFERENCES accounts (id),
    name             text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    id_number_hash   bytea NOT NULL CONSTRAINT workers_id_number_hash_key UNIQUE CHECK (length(id_number_hash) = 32),
    id_number_masked text NOT NULL CHECK (id_number_masked ~ '^[0-9]{4}\*{10}[0-9]{3}[0-9X]$'),
    district_code    text NOT NULL REFERENCES districts (code),
    created_at       timestamptz NOT NULL DEFAULT now(),
    -- the profile (GET/PATCH /v1/workers/me)
    home_lat         double precision CHECK (home_lat BETWEEN -90 AND 90),
    home_lon         double precision CHECK (home_lon BETWEEN -180 AND 180),
    max_travel_m     integer NOT NULL DEFAULT 10000 CHECK (max_travel_m BETWEEN 100 AND 200000),
    accepts_auto_allocation boolean NOT NULL DEFAULT false,
    relationship_types text[] NOT NULL
                     DEFAULT '{labor_part_time,incomplete_labor,labor_service,shared_labor}'
                     CHECK (relationship_types <@ '{labor_part_time,incomplete_labor,labor_service,shared_labor}'),
    -- 0–100, 50 is neutral; lowered by no-shows and late cancellations, raised by completed work.
    reliability      smallint NOT NULL DEFAULT 50 CHECK (reliability BETWEEN 0 AND 100),
    -- home as a point(lon, lat), so that "which workers live within reach of this site" uses an index
    home             point GENERATED ALWAYS AS (point(home_lon, home_lat)) STORED,
    -- the full resident ID, sealed (AES-GCM, market/sealing.py) for the tax filing only, and the id
    -- of the key that sealed it; null for workers registered before sealing (docs/filings.md)
    id_number_sealed bytea CHECK (length(id_number_sealed) BETWEEN 28 + 18 AND 28 + 64),
    id_number_key_id text,
    CONSTRAINT workers_home_both_or_neither CHECK ((home_lat IS NULL) = (home_lon IS NULL)),
    CONSTRAINT workers_id_number_sealed_with_key CHECK ((id_number_sealed IS NULL) = (id_number_key_id IS NULL))
);

CREATE TABLE supervisor_districts (
    account_id     uuid NOT NULL REFERENCES accounts (id),
    district_code  text NOT NULL REFERENCES districts (code),
    PRIMARY KEY (account_id, district_code)
);

CREATE TABLE tokens (
    token_hash  bytea PRIMARY KEY CHECK (length(token_hash) = 32),
    account_id  uuid NOT NULL REFERENCES accounts (id),
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    revoked_at  timestamptz,
    CHECK (expires_at > created_at)
);
CREATE INDEX tokens_account ON tokens (account_id);

-- HTTP conventions ------------------------------------------------------------------------------

CREATE TABLE idempotency_keys (
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
CREATE INDEX idempotency_keys_expiry ON idempotency_keys (expires_at);

-- Workers' profiles (GET/PATCH /v1/workers/me) ---------------------------------------------------

CREATE INDEX workers_home ON workers USING gist (home) WHERE home IS NOT NULL;
-- The audience of a new shift is sought within the farthest reach anyone accepts (orders/queries.py
-- MAX_TRAVEL_M, once per shift.opened event the relay sequences): max() by this index is one probe,
-- where a scan of 100,000 workers takes 5 ms an event.
CREATE INDEX workers_by_max_travel ON workers (max_travel_m);

CREATE TABLE worker_skills (
    worker_id        uuid NOT NULL REFERENCES workers (id) ON DELETE CASCADE,
    skill_code       text NOT NULL REFERENCES skills (code),
    level            smallint NOT NULL CHECK (level BETWEEN 1 AND 5),
    PRIMARY KEY (worker_id, skill_code)
);
CREATE INDEX worker_skills_by_skill ON worker_skills (skill_code, level);

-- Weekly pattern in Chongqing local time; a worker with no rows is available at any time.
CREATE TABLE worker_availability (
    worker_id   uuid NOT NULL REFERENCES workers (id) ON DELETE CASCADE,
    weekday     smallint NOT NULL CHECK (weekday BETWEEN 1 AND 7),  -- ISO: 1 = Monday
    start_time  time NOT NULL,
    end_time    time NOT NULL,  -- 24:00 allowed for "until midnight"
    CHECK (end_time > start_time),
    PRIMARY KEY (worker_id, weekday, start_time)
);

-- Dated exceptions replace the weekly pattern on that date: unavailable all day (no times), or
-- available in the given window.
CREATE TABLE worker_availability_exceptions (
    worker_id   uuid NOT NULL REFERENCES workers (id) ON DELETE CASCADE,
    day         date NOT NULL,
    start_time  time,
    end_time    time,
    CHECK ((start_time IS NULL) = (end_time IS NULL)),
    CHECK (end_time > start_time),
    PRIMARY KEY (worker_id, day)
);

-- Whether a worker's availability covers [p_start, p_end): each local (Asia/Shanghai) day the
-- interval touches must be covered by one window of that day — the date's exception if it has one
-- (no times = unavailable), else a weekly window of its weekday; a worker with no weekly windows
-- at all is available whenever no exception says otherwise.
CREATE FUNCTION worker_available(p_worker uuid, p_start timestamptz, p_end timestamptz)
RETURNS boolean LANGUAGE sql STABLE AS $$
    WITH bounds AS (
        SELECT (p_start AT TIME ZONE 'Asia/Shanghai') AS ls, (p_end AT TIME ZONE 'Asia/Shanghai') AS le
    ), pieces AS (
        SELECT ls::date AS day, ls::time AS from_t,
               CASE WHEN le::date = ls::date THEN le::time ELSE time '24:00' END AS to_t
        FROM bounds
        UNION ALL
        SELECT le::date, time '00:00', le::time FROM bounds WHERE le::date > ls::date AND le::time > time '00:00'
    )
    SELECT coalesce(bool_and(
        CASE WHEN e.worker_id IS NOT NULL
                 THEN e.start_time IS NOT NULL AND e.start_time <= p.from_t AND e.end_time >= p.to_t
             WHEN NOT EXISTS (SELECT 1 FROM worker_availability a WHERE a.worker_id = p_worker) THEN true
             ELSE EXISTS (SELECT 1 FROM worker_availability a
                          WHERE a.worker_id = p_worker AND a.weekday = extract(isodow FROM p.day)
                            AND a.start_time <= p.from_t AND a.end_time >= p.to_t)
        END), true)
    FROM pieces p LEFT JOIN worker_availability_exceptions e ON e.worker_id = p_worker AND e.day = p.day
$$;

-- Employment records: an employer's own employees, whom it may lend (共享用工) once confirmed.
CREATE TABLE employments (
    id                    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organisation_id       uuid NOT NULL REFERENCES organisations (id),
    worker_id             uuid REFERENCES workers (id),
    job_title             text NOT NULL CHECK (length(job_title) BETWEEN 1 AND 100),
    -- the employee's own agreed wage, per hour: the floor of any wage the lender pays while lent
    agreed_hourly_wage_fen bigint NOT NULL CHECK (agreed_hourly_wage_fen > 0),
    state                 text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'active', 'declined', 'ended')),
    created_at            timestamptz NOT NULL DEFAULT now(),
    decided_at            timestamptz,
    ended_at              timestamptz,
    -- The employee is named by the keyed hash of their resident ID number (the one a worker signs
    -- up with), whether or not they have signed up yet, so a record says nothing about who is
    -- registered; worker_id is set only when the worker confirms, and until then the employer sees
    -- no name (docs/profiles.md). id_number_masked: the mask of the number the employer gave (null
    -- when it named the worker by worker_id).
    id_number_hash        bytea NOT NULL CHECK (length(id_number_hash) = 32),
    id_number_masked      text CHECK (id_number_masked ~ '^[0-9]{4}\*{10}[0-9]{3}[0-9X]$'),
    CHECK ((state = 'ended') = (ended_at IS NOT NULL)),
    CONSTRAINT employments_linked_once_confirmed
        CHECK ((worker_id IS NOT NULL) = (state = 'active' OR (state = 'ended' AND decided_at IS NOT NULL)))
);
CREATE UNIQUE INDEX employments_one_current ON employments (organisation_id, worker_id)
    WHERE state IN ('pending', 'active');
CREATE INDEX employments_by_worker ON employments (worker_id);
CREATE INDEX employments_by_owner ON employments (organisation_id, created_at DESC, id DESC);
-- One pending or active record per employer and person, registered or not.
CREATE UNIQUE INDEX employments_one_current_per_person ON employments (organisation_id, id_number_hash)
    WHERE state IN ('pending', 'active');
CREATE INDEX employments_by_person ON employments (id_number_hash);

-- Orders ----------------------------------------------------------------------------------------

CREATE TABLE orders (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organisation_id     uuid NOT NULL REFERENCES organisations (id),
    kind                text NOT NULL CHECK (kind IN ('gig', 'shared')),
    title               text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    description         text NOT NULL DEFAULT '',
    district_code       text NOT NULL REFERENCES districts (code),
    site_lat            double precision NOT NULL CHECK (site_lat BETWEEN -90 AND 90),
    site_lon            double precision NOT NULL CHECK (site_lon BETWEEN -180 AND 180),
    site_address        text NOT NULL DEFAULT '',
    check_in_radius_m   integer NOT NULL DEFAULT 500 CHECK (check_in_radius_m BETWEEN 10 AND 10000),
    relationship_type   text NOT NULL CHECK (relationship_type IN
                            ('labor_part_time', 'incomplete_labor', 'labor_service', 'shared_labor')),
    pay_unit            text NOT NULL CHECK (pay_unit IN ('hour', 'day', 'piece')),
    pay_amount_fen      bigint NOT NULL CHECK (pay_amount_fen > 0),
    pay_stated_hours    numeric(6, 2) CHECK (pay_stated_hours > 0),
    pay_cycle_days      smallint NOT NULL DEFAULT 7 CHECK (pay_cycle_days BETWEEN 1 AND 31),
    -- the hourly equivalent (day and piece pay over their stated hours), rounded half-up: feed ranking
    hourly_equivalent_fen bigint NOT NULL CHECK (hourly_equivalent_fen > 0),
    daily               boolean NOT NULL DEFAULT false,
    allocation_mode     text NOT NULL CHECK (allocation_mode IN ('bids', 'auto')),
    bid_deadline        timestamptz,
    offer_expiry_minutes integer NOT NULL DEFAULT 30 CHECK (offer_expiry_minutes BETWEEN 1 AND 1440),
    late_cancel_window_minutes integer NOT NULL DEFAULT 1440 CHECK (late_cancel_window_minutes >= 0),
    late_cancel_compensation_minutes integer NOT NULL DEFAULT 240 CHECK (late_cancel_compensation_minutes >= 0),
    below_minimum_wage  boolean NOT NULL DEFAULT false,  -- labor_service only: a supervisor alert
    -- shared orders: the period, the daily schedule, the fee per worker-day to the lender
    period_start        date,
    period_end          date,
    daily_start         time,
    daily_end           time,
    fee_per_worker_day_fen bigint CHECK (fee_per_worker_day_fen > 0),
    state               text NOT NULL DEFAULT 'open' CHECK (state IN
                            ('draft', 'open', 'allocating', 'filled', 'in_progress', 'completed', 'settled',
                             'cancelled', 'expired')),
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    cancelled_at        timestamptz,
    cancel_reason       text,
    -- the 职业伤害保障 sector (null: not given, the rate book's default rate applies); migration 0004
    sector_code         text CONSTRAINT orders_sector_code_fkey REFERENCES sectors (code),
    -- favourites-first window (migration 0010, docs/favourites.md)
    pool_until          timestamptz,
    pool_opened_at      timestamptz,
    CONSTRAINT orders_pool_opened_after_window CHECK (pool_opened_at IS NULL OR pool_until IS NOT NULL),
    CHECK ((kind = 'shared') = (relationship_type = 'shared_labor')),
    CHECK (pay_unit = 'hour' OR pay_stated_hours IS NOT NULL),
    CHECK (kind = 'gig' OR (period_start IS NOT NULL AND period_end >= period_start
                            AND daily_end > daily_start AND fee_per_worker_day_fen IS NOT NULL)),
    CHECK (below_minimum_wage = false OR relationship_type = 'labor_service'),
    CHECK ((state = 'cancelled') = (cancelled_at IS NOT NULL))
);
CREATE INDEX orders_by_owner ON orders (organisation_id, created_at DESC, id DESC);
CREATE INDEX orders_by_district ON orders (district_code, state);

CREATE TABLE order_skills (
    order_id              uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    skill_code            text NOT NULL REFERENCES skills (code),
    min_level             smallint NOT NULL DEFAULT 1 CHECK (min_level BETWEEN 1 AND 5),
    certificate_required  boolean NOT NULL DEFAULT false,
    PRIMARY KEY (order_id, skill_code)
);

CREATE TABLE shifts (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    order_id       uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    starts_at      timestamptz NOT NULL,
    ends_at        timestamptz NOT NULL,
    period         tstzrange GENERATED ALWAYS AS (tstzrange(starts_at, ends_at)) STORED,
    headcount      integer NOT NULL CHECK (headcount BETWEEN 1 AND 500),
    -- seats held; kept by the assignments trigger below, so the CHECK is the headcount invariant
    filled         integer NOT NULL DEFAULT 0,
    -- copied from the order so the feed can find open shifts near a worker with one index
    site           point NOT NULL,
    open           boolean NOT NULL DEFAULT true,
    CHECK (ends_at > starts_at),
    CHECK (ends_at - starts_at <= interval '12 hours'),
    CONSTRAINT shifts_filled_within_headcount CHECK (filled BETWEEN 0 AND headcount),
    -- standby seats and their pay, and the active standby rows (kept by the standbys trigger);
    -- migration 0011, docs/standby.md
    standby        integer NOT NULL DEFAULT 0,
    standby_amount_fen bigint,
    standby_held   integer NOT NULL DEFAULT 0,
    CONSTRAINT shifts_standby_bounded CHECK (standby BETWEEN 0 AND least(headcount, 50)
                                             AND (standby = 0 OR standby_amount_fen > 0)),
    CONSTRAINT shifts_standby_within_seats CHECK (standby_held BETWEEN 0 AND standby)
);
CREATE INDEX shifts_by_order ON shifts (order_id, starts_at);
-- The feed: open shifts in a bounding box around the worker's home, starting after now.
CREATE INDEX shifts_open_near ON shifts USING gist (site, starts_at) WHERE open;

-- Bids: a worker's proposal for one shift of a gig order. One live bid per worker per shift; a
-- new bid replaces the live one (it becomes 'replaced').
CREATE TABLE bids (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    order_id    uuid NOT NULL REFERENCES orders (id),
    shift_id    uuid NOT NULL REFERENCES shifts (id),
    worker_id   uuid NOT NULL REFERENCES workers (id),
    rate_fen    bigint NOT NULL CHECK (rate_fen > 0),
    note        text NOT NULL DEFAULT '' CHECK (length(note) <= 500),
    state       text NOT NULL DEFAULT 'live'
                CHECK (state IN ('live', 'withdrawn', 'replaced', 'chosen', 'not_chosen', 'cancelled')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    ended_at    timestamptz,
    CHECK ((state = 'live') = (ended_at IS NULL))
);
CREATE UNIQUE INDEX bids_one_live_per_worker_shift ON bids (shift_id, worker_id) WHERE state = 'live';
CREATE INDEX bids_by_order ON bids (order_id, created_at DESC, id DESC);
-- An order's live bids (the count every read of an order carries): without it the planner may
-- scan the whole one-live-per-worker-shift index to count one order's.
CREATE INDEX bids_live_by_order ON bids (order_id) WHERE state = 'live';
CREATE INDEX bids_by_worker ON bids (worker_id, created_at DESC, id DESC);

-- Shared-employment bids: a lending enterprise offers named, confirmed employees for the period.
CREATE TABLE shared_bids (
    id                      uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    order_id                uuid NOT NULL REFERENCES orders (id),
    lender_id               uuid NOT NULL REFERENCES organisations (id),
    borrower_id             uuid NOT NULL REFERENCES organisations (id),
    fee_per_worker_day_fen  bigint NOT NULL CHECK (fee_per_worker_day_fen > 0),
    note                    text NOT NULL DEFAULT '' CHECK (length(note) <= 500),
    state                   text NOT NULL DEFAULT 'live'
                            CHECK (state IN ('live', 'withdrawn', 'chosen', 'not_chosen', 'cancelled')),
    created_at              timestamptz NOT NULL DEFAULT now(),
    ended_at                timestamptz,
    CHECK (lender_id <> borrower_id),
    CHECK ((state = 'live') = (ended_at IS NULL))
);
CREATE UNIQUE INDEX shared_bids_one_live_per_lender ON shared_bids (order_id, lender_id) WHERE state = 'live';

-- Each employee named in a shared bid, with their consent (the id is the consent's id).
CREATE TABLE consents (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    shared_bid_id   uuid NOT NULL REFERENCES shared_bids (id),
    employment_id   uuid NOT NULL REFERENCES employments (id),
    worker_id       uuid NOT NULL REFERENCES workers (id),
    -- what the lender pays this employee per hour while lent: ≥ agreed wage and ≥ minimum wage
    wage_hourly_fen bigint NOT NULL CHECK (wage_hourly_fen > 0),
    state           text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'accepted', 'declined', 'withdrawn')),
    created_at      timestamptz NOT NULL DEFAULT now(),
    decided_at      timestamptz,
    UNIQUE (shared_bid_id, worker_id)
);
CREATE INDEX consents_by_worker ON consents (worker_id, created_at DESC);

-- The three-party agreement (人社厅发〔2020〕98号): written when the employee consents; every
-- party reads the same terms.
CREATE TABLE agreements (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    consent_id    uuid NOT NULL UNIQUE REFERENCES consents (id),
    order_id      uuid NOT NULL REFERENCES orders (id),
    borrower_id   uuid NOT NULL REFERENCES organisations (id),
    lender_id     uuid NOT NULL REFERENCES organisations (id),
    worker_id     uuid NOT NULL REFERENCES workers (id),
    terms         jsonb NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    CHECK (borrower_id <> lender_id)
);

-- Assignments: a worker holding a seat. The database holds the two promises of the marketplace:
-- a shift never has more holders than its headcount (the trigger counts into shifts.filled, whose
-- CHECK fails the insert), and a worker never holds two overlapping shifts (the exclusion).
CREATE TABLE assignments (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    shift_id         uuid NOT NULL REFERENCES shifts (id),
    order_id         uuid NOT NULL REFERENCES orders (id),
    worker_id        uuid NOT NULL REFERENCES workers (id),
    organisation_id  uuid NOT NULL REFERENCES organisations (id),
    period           tstzrange NOT NULL,
    rate_fen         bigint NOT NULL CHECK (rate_fen > 0),
    state            text NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'completed', 'cancelled', 'no_show')),
    created_at       timestamptz NOT NULL DEFAULT now(),
    ended_at         timestamptz,
    CONSTRAINT assignments_no_overlap EXCLUDE USING gist (worker_id WITH =, period WITH &&)
        WHERE (state IN ('active', 'completed'))
);
CREATE INDEX assignments_by_shift ON assignments (shift_id);
CREATE INDEX assignments_by_worker ON assignments (worker_id, period);

CREATE FUNCTION assignments_count_seats() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    was_holding boolean := TG_OP <> 'INSERT' AND OLD.state IN ('active', 'completed');
    is_holding  boolean := TG_OP <> 'DELETE' AND NEW.state IN ('active', 'completed');
BEGIN
    IF was_holding AND (NOT is_holding OR NEW.shift_id <> OLD.shift_id) THEN
        UPDATE shifts SET filled = filled - 1 WHERE id = OLD.shift_id;
    END IF;
    IF is_holding AND (NOT was_holding OR NEW.shift_id <> OLD.shift_id) THEN
        UPDATE shifts SET filled = filled + 1 WHERE id = NEW.shift_id;  -- CHECK (filled <= headcount)
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER assignments_count_seats AFTER INSERT OR UPDATE OF state, shift_id OR DELETE ON assignments
    FOR EACH ROW EXECUTE FUNCTION assignments_count_seats();

-- Late-cancel compensation owed to assigned workers (money moves in settlement).
CREATE TABLE compensations (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    order_id       uuid NOT NULL REFERENCES orders (id),
    assignment_id  uuid NOT NULL UNIQUE REFERENCES assignments (id),
    worker_id      uuid NOT NULL REFERENCES workers (id),
    amount_fen     bigint NOT NULL CHECK (amount_fen > 0),
    reason         text NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    -- The minutes the compensation stands for (the late-cancel hours, capped at the shift): the
    -- settlement of a compensation (batch.settle) records them as its paid minutes. NULL on rows
    -- from before the column, which were paid (untaxed) when they were made.
    minutes        integer CHECK (minutes > 0)
);

-- Events: the transactional outbox ---------------------------------------------------------------
-- Written in the same transaction as the change it reports. The relay gives each event its stream
-- position `seq` (in relay order, under one advisory lock), copies it to Redis Streams with that
-- position as the entry id, then marks it relayed. A crash between the steps repeats the copy, and
-- Redis refuses an id it already has, so every event lands once per stream.
CREATE SEQUENCE events_seq;
CREATE TABLE events (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    seq               bigint UNIQUE,
    kind              text NOT NULL CHECK (kind ~ '^[a-z_]+\.[a-z_]+$'),
    payload           jsonb NOT NULL,
    district_code     text REFERENCES districts (code),
    worker_ids        uuid[] NOT NULL DEFAULT '{}',
    organisation_ids  uuid[] NOT NULL DEFAULT '{}',
    created_at        timestamptz NOT NULL DEFAULT now(),
    relayed_at        timestamptz,
    CHECK (relayed_at IS NULL OR seq IS NOT NULL)
);
CREATE INDEX events_unsequenced ON events (id) WHERE seq IS NULL;
CREATE INDEX events_unrelayed ON events (seq) WHERE relayed_at IS NULL AND seq IS NOT NULL;

-- Allocation runs and offers ---------------------------------------------------------------------
-- allocation_runs is also the queue of runs (docs/allocation.md): allocators claim the oldest queued
-- run with FOR UPDATE SKIP LOCKED; a run left `running` past its lease (its allocator died) is claimed
-- again. A run covers one order, or (order_id NULL) the auto orders of one district.
CREATE TABLE allocation_runs (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    order_id        uuid REFERENCES orders (id),
    district_code   text NOT NULL REFERENCES districts (code),
    trigger         text NOT NULL CHECK (trigger IN ('manual', 'bid_deadline', 'auto_sweep', 'seat_returned')),
    status          text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'done', 'failed')),
    queued_at       timestamptz NOT NULL DEFAULT now(),
    started_at      timestamptz,
    finished_at     timestamptz,
    lease_until     timestamptz,
    attempts        integer NOT NULL DEFAULT 0,
    solve_seconds   double precision,
    objective       bigint,
    best_bound      bigint,
    gap             double precision,
    optimal         boolean,
    method          text,
    terms           jsonb,
    seats_open      integer,
    seats_filled    integer,
    seats_unfilled  integer,
    conflicts       integer,
    error           text,
    CHECK ((status = 'running') = (lease_until IS NOT NULL))
);
CREATE INDEX allocation_runs_queue ON allocation_runs (queued_at) WHERE status = 'queued';
CREATE INDEX allocation_runs_running ON allocation_runs (district_code) WHERE status = 'running';
CREATE INDEX allocation_runs_by_order ON allocation_runs (order_id, queued_at DESC);
-- At most one queued run per order and one queued sweep per district: asking again joins it.
CREATE UNIQUE INDEX allocation_runs_one_queued_per_order ON allocation_runs (order_id)
    WHERE status = 'queued' AND order_id IS NOT NULL;
CREATE UNIQUE INDEX allocation_runs_one_queued_sweep ON allocation_runs (district_code)
    WHERE status = 'queued' AND order_id IS NULL;

-- What a run decided, per seat and per candidate: offered / assigned / not_chosen / conflict (the
-- commit's re-check refused it; the seat goes to the next run) / unfilled (worker_id NULL, `seats` empty).
CREATE TABLE allocation_results (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id      uuid NOT NULL REFERENCES allocation_runs (id),
    order_id    uuid NOT NULL REFERENCES orders (id),
    shift_id    uuid NOT NULL REFERENCES shifts (id),
    worker_id   uuid REFERENCES workers (id),
    bid_id      uuid,
    outcome     text NOT NULL CHECK (outcome IN ('offered', 'assigned', 'not_chosen', 'conflict', 'unfilled')),
    reason      text,
    seats       integer NOT NULL DEFAULT 1 CHECK (seats > 0),
    CHECK ((outcome = 'unfilled') = (worker_id IS NULL))
);
CREATE INDEX allocation_results_by_run ON allocation_results (run_id, worker_id);

-- Offers: a seat proposed to a worker until it expires. Pending offers count against a shift's free
-- seats (headcount − filled − pending), kept by the commit under the order's row lock.
CREATE TABLE offers (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    run_id         uuid REFERENCES allocation_runs (id),
    order_id       uuid NOT NULL REFERENCES orders (id),
    shift_id       uuid NOT NULL REFERENCES shifts (id),
    worker_id      uuid NOT NULL REFERENCES workers (id),
    bid_id         uuid REFERENCES bids (id),
    rate_fen       bigint NOT NULL CHECK (rate_fen > 0),
    state          text NOT NULL DEFAULT 'pending'
                   CHECK (state IN ('pending', 'accepted', 'declined', 'expired', 'withdrawn')),
    expires_at     timestamptz NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    decided_at     timestamptz,
    assignment_id  uuid REFERENCES assignments (id),
    CHECK ((state = 'pending') = (decided_at IS NULL)),
    CHECK ((state = 'accepted') = (assignment_id IS NOT NULL))
);
CREATE UNIQUE INDEX offers_one_pending_per_worker_shift ON offers (shift_id, worker_id)
    WHERE state = 'pending';
CREATE INDEX offers_pending_expiry ON offers (expires_at) WHERE state = 'pending';
CREATE INDEX offers_by_worker ON offers (worker_id, created_at DESC, id DESC);
CREATE INDEX offers_by_order ON offers (order_id, state);

-- Settlement: ledger, escrow, timesheets, payouts ---
-- A double-entry ledger (docs/settlement.md). Postings are debit positive, credit negative; each
-- journal entry sums to zero, checked by a deferred constraint trigger at commit; entries and
-- postings are immutable (corrections are reversal entries); a business key per entry makes every
-- retry post at most once. Escrow never goes negative: the account balances are kept by a trigger
-- on postings and the escrow accounts carry a CHECK (credit balance, so balance_fen <= 0).
CREATE TABLE ledger_accounts (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind         text NOT NULL CHECK (kind IN ('employer_escrow', 'employer_escrow_held', 'worker_payable',
                     'lender_receivable', 'tax_payable', 'work_injury_insurance_payable',
                     'occupational_injury_protection_payable', 'platform_fee_revenue', 'bank_clearing',
                     'agency_fee_payable')),
    holder_type  text NOT NULL CHECK (holder_type IN ('organisation', 'worker', 'platform')),
    -- the organisation or worker; the nil uuid for the platform's own accounts
    holder_id    uuid NOT NULL,
    balance_fen  bigint NOT NULL DEFAULT 0,
    UNIQUE (kind, holder_type, holder_id),
    CONSTRAINT ledger_escrow_never_negative
        CHECK (kind NOT IN ('employer_escrow', 'employer_escrow_held') OR balance_fen <= 0)
);

CREATE TABLE journal_entries (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    business_key     text NOT NULL UNIQUE CHECK (length(business_key) BETWEEN 1 AND 200),
    kind             text NOT NULL CHECK (kind IN ('deposit', 'hold', 'hold_release', 'hold_post', 'settlement',
                         'compensation', 'payout', 'reversal', 'agency_fee')),
    memo             text NOT NULL DEFAULT '',
    organisation_id  uuid REFERENCES organisations (id),
    order_id         uuid REFERENCES orders (id),
    assignment_id    uuid REFERENCES assignments (id),
    reverses         bigint REFERENCES journal_entries (id),
    created_at       timestamptz NOT NULL DEFAULT now(),
    -- The transaction that made the entry (txid_current() names the top-level transaction,
    -- savepoints included): postings may be added only by it, so the entry's commit-time check
    -- sees them all.
    created_txid     bigint NOT NULL DEFAULT txid_current()
);
CREATE INDEX journal_entries_by_organisation ON journal_entries (organisation_id, created_at);

-- entry_id and account_id reference journal_entries and ledger_accounts. The references are
-- checked once per statement by journal_postings_apply below, not by FOREIGN KEY clauses: a
-- settlement batch inserts thousands of postings, and a foreign key's row-level check (a lookup
-- and a row lock per posting, per key) was two thirds of the insert's cost (bench/settlement.py,
-- docs/benchmarks.md). Neither side can go away under a posting: entries are immutable and
-- accounts cannot be deleted (the triggers below).
CREATE TABLE journal_postings (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    entry_id    bigint NOT NULL,
    account_id  bigint NOT NULL,
    amount_fen  bigint NOT NULL CHECK (amount_fen <> 0)
);
CREATE INDEX journal_postings_by_entry ON journal_postings (entry_id);
CREATE INDEX journal_postings_by_account ON journal_postings (account_id);

-- Each posting moves its account's cached balance at once, so the escrow CHECK fails the very
-- statement that would overdraw it (and concurrent writers serialise on the account row).
-- Once per statement: refuse postings to an entry that does not exist or that another
-- transaction made (an entry is immutable once committed, and its balance was checked at that
-- commit), then one UPDATE per account touched (a settlement batch posts thousands of rows to the
-- same platform accounts; a row trigger would update each of those rows thousands of times),
-- refusing accounts that do not exist. Accounts are locked in id order first, so concurrent
-- statements never deadlock on them.
CREATE FUNCTION journal_postings_apply() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    bad_entry  bigint;
    bad_txid   bigint;
    accounts   integer;
    updated    integer;
BEGIN
    -- LATERAL: one primary-key probe per entry (the planner cannot size a transition table, and
    -- a hash join would scan the whole journal on every statement).
    SELECT p.entry_id, e.created_txid INTO bad_entry, bad_txid FROM (SELECT DISTINCT entry_id FROM new_postings) p
    LEFT JOIN LATERAL (SELECT created_txid FROM journal_entries WHERE id = p.entry_id) e ON true
    WHERE e.created_txid IS DISTINCT FROM txid_current()
    LIMIT 1;
    IF bad_entry IS NOT NULL AND bad_txid IS NULL THEN
        RAISE EXCEPTION 'journal entry % does not exist', bad_entry
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'journal_postings_entry_id_fkey';
    ELSIF bad_entry IS NOT NULL THEN
        RAISE EXCEPTION 'journal entry % is closed: correct it with a reversal entry', bad_entry
            USING ERRCODE = 'restrict_violation';
    END IF;
    PERFORM 1 FROM ledger_accounts WHERE id IN (SELECT account_id FROM new_postings) ORDER BY id FOR UPDATE;
    UPDATE ledger_accounts a SET balance_fen = a.balance_fen + n.total
    FROM (SELECT account_id, sum(amount_fen)::bigint AS total FROM new_postings GROUP BY account_id) n
    WHERE a.id = n.account_id;
    GET DIAGNOSTICS updated = ROW_COUNT;
    SELECT count(DISTINCT account_id) INTO accounts FROM new_postings;
    IF updated <> accounts THEN
        RAISE EXCEPTION 'posting to a ledger account that does not exist'
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'journal_postings_account_id_fkey';
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER journal_postings_apply AFTER INSERT ON journal_postings
    REFERENCING NEW TABLE AS new_postings FOR EACH STATEMENT EXECUTE FUNCTION journal_postings_apply();

-- At commit: every entry has at least two postings and they sum to zero.
CREATE FUNCTION journal_check_entry(entry bigint) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    total numeric;
    legs  integer;
BEGIN
    SELECT coalesce(sum(amount_fen), 0), count(*) INTO total, legs FROM journal_postings WHERE entry_id = entry;
    IF total <> 0 OR legs < 2 THEN
        RAISE EXCEPTION 'journal entry % is unbalanced (sum %, % postings)', entry, total, legs
            USING ERRCODE = 'check_violation', CONSTRAINT = 'journal_entry_balanced';
    END IF;
END $$;
-- (Postings reach only entries of their own transaction: journal_postings_apply refuses the rest.)
CREATE FUNCTION journal_entries_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM journal_check_entry(NEW.id);
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER journal_entries_balanced AFTER INSERT ON journal_entries
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION journal_entries_balanced();

CREATE FUNCTION journal_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: correct an entry with a reversal entry', TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END $$;
CREATE TRIGGER journal_entries_immutable BEFORE UPDATE OR DELETE ON journal_entries
    FOR EACH ROW EXECUTE FUNCTION journal_immutable();
CREATE TRIGGER journal_postings_immutable BEFORE UPDATE OR DELETE ON journal_postings
    FOR EACH ROW EXECUTE FUNCTION journal_immutable();
-- Ledger accounts are never deleted: postings reference them (see journal_postings).
CREATE FUNCTION ledger_accounts_permanent() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger accounts are permanent: postings refer to them'
        USING ERRCODE = 'restrict_violation';
END $$;
CREATE TRIGGER ledger_accounts_permanent BEFORE DELETE ON ledger_accounts
    FOR EACH ROW EXECUTE FUNCTION ledger_accounts_permanent();
CREATE TRIGGER ledger_accounts_no_truncate BEFORE TRUNCATE ON ledger_accounts
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_accounts_permanent();
CREATE TRIGGER journal_entries_no_truncate BEFORE TRUNCATE ON journal_entries
    FOR EACH STATEMENT EXECUTE FUNCTION journal_immutable();
CREATE TRIGGER journal_postings_no_truncate BEFORE TRUNCATE ON journal_postings
    FOR EACH STATEMENT EXECUTE FUNCTION journal_immutable();

-- An employer's declared bank transfer; an admin's confirmation credits escrow.
CREATE TABLE deposits (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organisation_id  uuid NOT NULL REFERENCES organisations (id),
    amount_fen       bigint NOT NULL CHECK (amount_fen > 0),
    bank_reference   text NOT NULL CHECK (length(bank_reference) BETWEEN 1 AND 100),
    state            text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'confirmed')),
    created_at       timestamptz NOT NULL DEFAULT now(),
    confirmed_at     timestamptz,
    CHECK ((state = 'confirmed') = (confirmed_at IS NOT NULL))
);
CREATE INDEX deposits_by_organisation ON deposits (organisation_id, created_at DESC);

-- One escrow hold per assignment; it is resolved (posted or released) at most once.
CREATE TABLE escrow_holds (
    assignment_id    uuid PRIMARY KEY REFERENCES assignments (id),
    organisation_id  uuid NOT NULL REFERENCES organisations (id),
    amount_fen       bigint NOT NULL CHECK (amount_fen >= 0),
    state            text NOT NULL DEFAULT 'held' CHECK (state IN ('held', 'posted', 'released')),
    reason           text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    resolved_at      timestamptz,
    CHECK ((state = 'held') = (resolved_at IS NULL))
);

-- A worker's check-in/out and the employer's answer, one per assignment.
CREATE TABLE timesheets (
    assignment_id        uuid PRIMARY KEY REFERENCES assignments (id),
    state                text NOT NULL DEFAULT 'open'
                         CHECK (state IN ('open', 'submitted', 'approved', 'disputed', 'no_show')),
    location_override    boolean NOT NULL DEFAULT false,
    checked_in_at        timestamptz,
    check_in_distance_m  integer,
    checked_out_at       timestamptz,
    check_out_distance_m integer,
    worked_minutes       integer CHECK (worked_minutes >= 0),
    approved_minutes     integer CHECK (approved_minutes >= 0),
    adjust_reason        text,
    dispute_reason       text,
    -- platform: a case's decision on a disputed timesheet (docs/cases.md)
    approved_by          text CHECK (approved_by IN ('employer', 'auto', 'platform')),
    approved_at          timestamptz,
    updated_at           timestamptz NOT NULL DEFAULT now(),
    -- When the timesheet's settlement was written (settlements_mark_timesheets, below): the sweep
    -- pages through approved timesheets not yet settled on a partial index that holds only those,
    -- so its cost follows the backlog, not the history (bench/settlement.py).
    settled_at           timestamptz,
    -- 宽放 waiting time directed by the employer, paid as working time (docs/attendance.md): what
    -- was approved and paid, the worker's claim at check-out, and why; migration 0004
    waiting_minutes      integer NOT NULL DEFAULT 0,
    waiting_minutes_claimed integer,
    waiting_reason       text,
    CHECK (checked_out_at IS NULL OR checked_out_at >= checked_in_at),
    CHECK ((state = 'approved') = (approved_at IS NOT NULL)),
    CONSTRAINT timesheets_settled_when_approved CHECK (settled_at IS NULL OR state = 'approved'),
    CONSTRAINT timesheets_waiting_not_negative CHECK (waiting_minutes >= 0 AND waiting_minutes_claimed >= 0)
);
CREATE INDEX timesheets_submitted ON timesheets (checked_out_at) WHERE state = 'submitted';
CREATE INDEX timesheets_unsettled ON timesheets (approved_at, assignment_id)
    WHERE state = 'approved' AND settled_at IS NULL;

-- A settlement's order, employer and worker are its assignment's: one composite reference, which
-- refuses a mismatch and costs one check per row where four single-column keys cost four (the
-- sweep inserts settlements by the hundred thousand, bench/settlement.py).
CREATE UNIQUE INDEX assignments_parties ON assignments (id, order_id, organisation_id, worker_id);

-- One settlement per assignment (retry-safe); the tax facts of later settlements sum from here.
CREATE TABLE settlements (
    id                      uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    -- the assignment settled (a timesheet, a compensation); NULL for a standby's pay (standby_id,
    -- migration 0018 at the end of this file): exactly one of the two (settlements_of_one_thing)
    assignment_id           uuid UNIQUE,
    order_id                uuid NOT NULL,
    organisation_id         uuid NOT NULL,
    worker_id               uuid NOT NULL,
    lender_id               uuid REFERENCES organisations (id),
    relationship_type       text NOT NULL,
    shift_date              date NOT NULL,
    settled_on              date NOT NULL,
    due_date                date NOT NULL,
    paid_minutes            integer NOT NULL,
    gross_fen               bigint NOT NULL CHECK (gross_fen >= 0),
    income_tax_withheld_fen bigint NOT NULL CHECK (income_tax_withheld_fen >= 0),
    net_pay_fen             bigint,
    employer_total_fen      bigint NOT NULL,
    lines                   jsonb NOT NULL,
    pay_slip                jsonb NOT NULL,
    wage_leg_amount_fen     bigint,
    wage_leg_due_date       date,
    wage_leg_confirmed_at   timestamptz,
    journal_entry_id        bigint NOT NULL REFERENCES journal_entries (id),
    created_at              timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT settlements_assignment FOREIGN KEY (assignment_id, order_id, organisation_id, worker_id)
        REFERENCES assignments (id, order_id, organisation_id, worker_id)
);
CREATE INDEX settlements_tax_facts ON settlements (organisation_id, worker_id, settled_on);
-- Writing a settlement marks its (approved) timesheet settled, in the same statement's transaction.
-- A compensation's settlement leaves any other timesheet alone (a reversed no-show's stays no_show).
CREATE FUNCTION settlements_mark_timesheets() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE timesheets t SET settled_at = n.created_at FROM new_settlements n
    WHERE t.assignment_id = n.assignment_id AND t.settled_at IS NULL AND t.state = 'approved';
    RETURN NULL;
END $$;
CREATE TRIGGER settlements_mark_timesheets AFTER INSERT ON settlements
    REFERENCING NEW TABLE AS new_settlements FOR EACH STATEMENT EXECUTE FUNCTION settlements_mark_timesheets();
CREATE INDEX settlements_by_worker ON settlements (worker_id, created_at DESC, id DESC);

-- Supervisor alerts (below minimum wage, arrears, …); district supervisors read them.
CREATE TABLE alerts (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    kind             text NOT NULL,
    district_code    text REFERENCES districts (code),
    organisation_id  uuid REFERENCES organisations (id),
    order_id         uuid REFERENCES orders (id),
    business_key     text UNIQUE,
    details          jsonb NOT NULL DEFAULT '{}',
    created_at       timestamptz NOT NULL DEFAULT now(),
    cleared_at       timestamptz
);
CREATE INDEX alerts_by_district ON alerts (district_code, created_at DESC);

CREATE TABLE payout_batches (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    due_by        date NOT NULL,
    state         text NOT NULL DEFAULT 'building' CHECK (state IN ('building', 'exported', 'confirmed')),
    created_at    timestamptz NOT NULL DEFAULT now(),
    exported_at   timestamptz,
    confirmed_at  timestamptz,
    -- a scheduled run's slot (docs/faster-pay.md): one batch per slot; NULL: a run by hand
    slot_key      text
);
-- one batch is built at a time; a killed run resumes it
CREATE UNIQUE INDEX payout_batches_one_building ON payout_batches (state) WHERE state = 'building';
CREATE UNIQUE INDEX payout_batches_one_per_slot ON payout_batches (slot_key);

CREATE TABLE payouts (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    batch_id      uuid NOT NULL REFERENCES payout_batches (id),
    payee_type    text NOT NULL CHECK (payee_type IN ('worker', 'organisation')),
    payee_id      uuid NOT NULL,
    amount_fen    bigint NOT NULL CHECK (amount_fen > 0),
    state         text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'paid')),
    journal_entry_id bigint NOT NULL REFERENCES journal_entries (id),
    created_at    timestamptz NOT NULL DEFAULT now(),
    paid_at       timestamptz,
    UNIQUE (batch_id, payee_type, payee_id),
    -- the daily-payout fee (docs/faster-pay.md): amount_fen is what the bank pays
    fee_fen       bigint NOT NULL DEFAULT 0 CONSTRAINT payouts_fee_not_negative CHECK (fee_fen >= 0)
);
-- Money owed to one payee (a worker's net pay or compensation, a lender's fee, an agency's service
-- fee: source 'agency_fee', source_id its assignment), due by a date.
CREATE TABLE payables (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    source           text NOT NULL CONSTRAINT payables_source_check
                         CHECK (source IN ('settlement', 'compensation', 'agency_fee')),
    source_id        uuid NOT NULL,
    payee_type       text NOT NULL CHECK (payee_type IN ('worker', 'organisation')),
    payee_id         uuid NOT NULL,
    organisation_id  uuid NOT NULL REFERENCES organisations (id),
    assignment_id    uuid REFERENCES assignments (id),
    amount_fen       bigint NOT NULL CHECK (amount_fen > 0),
    due_date         date NOT NULL,
    payout_id        uuid CONSTRAINT payables_payout REFERENCES payouts (id),
    created_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (source, source_id, payee_type)
);
CREATE INDEX payables_unbatched ON payables (due_date) WHERE payout_id IS NULL;
-- An agency's fee lines, newest first (GET /v1/agencies/me/fees).
CREATE INDEX payables_agency_fees ON payables (payee_id, created_at) WHERE source = 'agency_fee';


-- Wage arrears: an approved timesheet not paid by its due date (or a lender's unconfirmed wage).
CREATE TABLE arrears (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    kind             text NOT NULL CHECK (kind IN ('wage_unpaid', 'shared_wage_unconfirmed')),
    assignment_id    uuid NOT NULL REFERENCES assignments (id),
    organisation_id  uuid NOT NULL REFERENCES organisations (id),
    worker_id        uuid NOT NULL REFERENCES workers (id),
    amount_fen       bigint,
    due_date         date NOT NULL,
    -- whose fault: the employer (unsettled, unfunded) or the platform (settled, payout not confirmed)
    employer_at_fault boolean NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    cleared_at       timestamptz,
    UNIQUE (assignment_id, kind)
);
CREATE INDEX arrears_open_by_organisation ON arrears (organisation_id) WHERE cleared_at IS NULL;

-- Supervision and webhooks ---
-- Who read which personal data through the supervision API, and when (admins read it:
-- GET /v1/admin/audit-log). Append-only by convention; nothing in the code updates or deletes it.
CREATE TABLE audit_log (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id      uuid NOT NULL REFERENCES accounts (id),
    role            text NOT NULL,
    action          text NOT NULL CHECK (length(action) BETWEEN 1 AND 100),
    object_type     text,
    object_id       text,
    district_codes  text[] NOT NULL DEFAULT '{}',
    details         jsonb NOT NULL DEFAULT '{}',
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_by_time ON audit_log (created_at DESC, id DESC);
CREATE INDEX audit_log_by_account ON audit_log (account_id, created_at DESC, id DESC);

-- The supervision overview reads by district and date range: orders by posting time, shifts by
-- start, and the drill-down's children by order.
CREATE INDEX orders_by_district_created ON orders (district_code, created_at DESC, id DESC);
CREATE INDEX shifts_by_start ON shifts (starts_at);
CREATE INDEX assignments_by_order ON assignments (order_id);
CREATE INDEX settlements_by_order ON settlements (order_id);
CREATE INDEX settlements_by_shift_date ON settlements (shift_date);
CREATE INDEX compensations_by_order ON compensations (order_id);
CREATE INDEX agreements_by_order ON agreements (order_id);
CREATE INDEX orders_below_minimum ON orders (district_code, created_at) WHERE below_minimum_wage;

-- Employer webhooks (docs/webhooks.md). A subscription follows the outbox by `seq` (the relay's
-- gap-free order) from the position it was created at; each matching event becomes one delivery.
CREATE TABLE webhooks (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organisation_id  uuid NOT NULL REFERENCES organisations (id),
    url              text NOT NULL CHECK (length(url) BETWEEN 8 AND 2000),
    events           text[] NOT NULL CHECK (cardinality(events) > 0),
    -- the signing secret: needed in clear to sign, shown to the employer once at creation
    secret           text NOT NULL,
    after_seq        bigint NOT NULL DEFAULT 0,
    created_at       timestamptz NOT NULL DEFAULT now(),
    deleted_at       timestamptz,
    -- Standard Webhooks (issue 14): `whsec_` + standard, padded base64 of 24-64 random bytes, and
    -- the signing key is those bytes (docs/webhooks.md; migration 0001 rewrote the older form).
    CONSTRAINT webhooks_secret_standard CHECK (
        CASE WHEN secret ~ '^whsec_([A-Za-z0-9+/]{4})*([A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$'
             THEN length(decode(substr(secret, 7), 'base64')) BETWEEN 24 AND 64
             ELSE false END)
);
CREATE INDEX webhooks_by_organisation ON webhooks (organisation_id, created_at DESC, id DESC);
CREATE INDEX webhooks_active ON webhooks (after_seq) WHERE deleted_at IS NULL;

CREATE TABLE webhook_deliveries (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    webhook_id       uuid NOT NULL REFERENCES webhooks (id),
    event_id         bigint NOT NULL REFERENCES events (id),
    event_kind       text NOT NULL,
    state            text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts         integer NOT NULL DEFAULT 0,
    -- a next attempt exactly while pending: a delivered or failed delivery has none
    next_attempt_at  timestamptz DEFAULT now(),
    last_status      integer,
    last_error       text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    delivered_at     timestamptz,
    UNIQUE (webhook_id, event_id),
    CHECK ((state = 'delivered') = (delivered_at IS NOT NULL)),
    CONSTRAINT webhook_deliveries_next_attempt_only_when_pending CHECK ((state = 'pending') = (next_attempt_at IS NOT NULL))
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_by_webhook ON webhook_deliveries (webhook_id, created_at DESC, id DESC);


-- ---------------------------------------------------------------- written agreements (market/contracts)
-- The written agreement of each assignment and of each three-party agreement of shared employment
-- (docs/agreements.md): made pending in the transaction that makes its assignment (rendering is
-- left to the background), rendered once from its template version to a PDF kept in the row, with
-- its SHA-256; then signed by each party its relationship type names (required_roles). The bytes
-- stay in the row so that the database itself holds them unchanged: once rendered, the document,
-- its hash and its terms never change, and a fully signed agreement is not updated or deleted at all.
CREATE TABLE contracts (
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
CREATE INDEX contracts_pending ON contracts (created_at) WHERE state = 'pending';
CREATE INDEX contracts_by_sha256 ON contracts (sha256) WHERE sha256 IS NOT NULL;

-- One signature per party (role) and contract, of the contract's own hash: the foreign key on
-- (contract_id, sha256) refuses a signature of any other hash, or of a document not yet rendered.
-- Append-only.
CREATE TABLE contract_signatures (
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
CREATE FUNCTION contracts_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
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
CREATE TRIGGER contracts_immutable BEFORE UPDATE OR DELETE ON contracts
    FOR EACH ROW EXECUTE FUNCTION contracts_immutable();

-- A signature locks its contract (so two parties signing at once are counted one after the other),
-- must be of a role the contract asks for, and the last one makes the contract signed.
CREATE FUNCTION contract_signatures_check() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    roles text[];
BEGIN
    SELECT required_roles INTO roles FROM contracts WHERE id = NEW.contract_id FOR UPDATE;
    IF NOT NEW.role = ANY (roles) THEN
        RAISE EXCEPTION 'contract %: no % signs this agreement', NEW.contract_id, NEW.role USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER contract_signatures_check BEFORE INSERT ON contract_signatures
    FOR EACH ROW EXECUTE FUNCTION contract_signatures_check();

CREATE FUNCTION contract_signatures_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE contracts c SET state = 'signed', signed_at = NEW.signed_at
    WHERE c.id = NEW.contract_id AND c.state = 'rendered' AND NOT EXISTS (
        SELECT 1 FROM unnest(c.required_roles) r(role)
        WHERE NOT EXISTS (SELECT 1 FROM contract_signatures s WHERE s.contract_id = c.id AND s.role = r.role));
    RETURN NULL;
END $$;
CREATE TRIGGER contract_signatures_count AFTER INSERT ON contract_signatures
    FOR EACH ROW EXECUTE FUNCTION contract_signatures_count();

CREATE FUNCTION contract_signatures_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'contract_signatures is append-only: a signature is never changed or taken back'
        USING ERRCODE = 'restrict_violation';
END $$;
CREATE TRIGGER contract_signatures_append_only BEFORE UPDATE OR DELETE ON contract_signatures
    FOR EACH ROW EXECUTE FUNCTION contract_signatures_append_only();
CREATE TRIGGER contract_signatures_no_truncate BEFORE TRUNCATE ON contract_signatures
    FOR EACH STATEMENT EXECUTE FUNCTION contract_signatures_append_only();



-- ---------------------------------------------------------------- certificates (market/certificates)
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



-- ---------------------------------------------------------------- cases (market/cases)
-- (tables of cases: issue 17)
-- A complaint, dispute or appeal of a worker against an organisation (docs/cases.md). The state
-- machine is market/cases/model.py; the database holds its states, that a decided case carries
-- its outcome and reason, that a closed case never changes, and that its audit trail only grows.
CREATE TABLE cases (
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
CREATE INDEX cases_by_worker ON cases (worker_id, created_at DESC);
CREATE INDEX cases_by_organisation ON cases (organisation_id, created_at DESC);
CREATE INDEX cases_by_district ON cases (district_code, created_at DESC);
CREATE INDEX cases_due ON cases (due_at) WHERE state IN ('open', 'answered');
-- One case of a kind per shift: a second complaint about the same thing is evidence on the first,
-- and a decided case is the platform's last word (beyond it lie mediation and arbitration).
CREATE UNIQUE INDEX cases_one_per_assignment_and_kind ON cases (assignment_id, kind) WHERE assignment_id IS NOT NULL;

CREATE FUNCTION cases_closed_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.state IN ('resolved', 'decided') THEN
        RAISE EXCEPTION 'case % is %, and a closed case does not change', OLD.id, OLD.state
            USING ERRCODE = 'check_violation', CONSTRAINT = 'cases_closed_immutable';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER cases_closed_immutable BEFORE UPDATE OR DELETE ON cases
    FOR EACH ROW EXECUTE FUNCTION cases_closed_immutable();

-- Every move of every case: who (account and role; NULL account for the sweep), when, from, to.
CREATE TABLE case_transitions (
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
CREATE INDEX case_transitions_by_case ON case_transitions (case_id, id);

-- Evidence the parties add (text; files come through market/uploads once it is merged).
CREATE TABLE case_evidence (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    case_id     uuid NOT NULL REFERENCES cases (id),
    account_id  uuid NOT NULL REFERENCES accounts (id),
    role        text NOT NULL CHECK (role IN ('worker', 'employer', 'admin', 'supervisor')),
    body        text NOT NULL CHECK (length(body) BETWEEN 1 AND 4000),
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX case_evidence_by_case ON case_evidence (case_id, created_at);

CREATE FUNCTION cases_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME
        USING ERRCODE = 'check_violation', CONSTRAINT = 'cases_append_only';
END $$;
CREATE TRIGGER case_transitions_append_only BEFORE UPDATE OR DELETE ON case_transitions
    FOR EACH ROW EXECUTE FUNCTION cases_append_only();
CREATE TRIGGER case_evidence_append_only BEFORE UPDATE OR DELETE ON case_evidence
    FOR EACH ROW EXECUTE FUNCTION cases_append_only();

-- Files as evidence (the bytes in the upload store, market/uploads.py, by content hash).
CREATE TABLE case_evidence_files (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    case_id     uuid NOT NULL REFERENCES cases (id),
    account_id  uuid NOT NULL REFERENCES accounts (id),
    role        text NOT NULL CHECK (role IN ('worker', 'employer', 'admin', 'supervisor')),
    sha256      text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    media_type  text NOT NULL CHECK (media_type IN ('application/pdf', 'image/jpeg', 'image/png', 'image/webp')),
    size_bytes  integer NOT NULL CHECK (size_bytes > 0),
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX case_evidence_files_by_case ON case_evidence_files (case_id, created_at);
CREATE TRIGGER case_evidence_files_append_only BEFORE UPDATE OR DELETE ON case_evidence_files
    FOR EACH ROW EXECUTE FUNCTION cases_append_only();



-- ---------------------------------------------------------------- ratings and colours (market/reputation)
-- Ratings after a completed shift (docs/reputation.md): one per side (the worker rates the employer,
-- the employer the worker), 1–5, reasons from the side's fixed list; never edited. Whether a rating
-- is held (given while a case between the two was open) is derived on read.
CREATE TABLE ratings (
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
CREATE INDEX ratings_of_organisation ON ratings (organisation_id) WHERE rater = 'worker';
CREATE INDEX ratings_of_worker ON ratings (worker_id) WHERE rater = 'employer';
CREATE FUNCTION ratings_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'a rating is not changed' USING ERRCODE = 'check_violation', CONSTRAINT = 'ratings_append_only';
END $$;
CREATE TRIGGER ratings_append_only BEFORE UPDATE OR DELETE ON ratings
    FOR EACH ROW EXECUTE FUNCTION ratings_append_only();

-- The 红蓝黑 colour of each organisation, recomputed by the reputation sweep from its record (the
-- facts are kept beside it, so a supervisor sees why). No row: blue, not yet computed.
CREATE TABLE organisation_colours (
    organisation_id  uuid PRIMARY KEY REFERENCES organisations (id),
    colour           text NOT NULL CHECK (colour IN ('red', 'blue', 'black')),
    reasons          text[] NOT NULL CHECK (cardinality(reasons) >= 1),
    record           jsonb NOT NULL,
    computed_at      timestamptz NOT NULL
);



-- ---------------------------------------------------------------- filings, sectors and waiting time (market/filings)
-- Every opening of sealed resident IDs, for an export: who, when, which export, how many. Append-only.
CREATE TABLE id_number_decryptions (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id   uuid NOT NULL REFERENCES accounts (id),
    at           timestamptz NOT NULL DEFAULT now(),
    export       text NOT NULL CHECK (export IN ('iit_wage', 'iit_labor_remuneration')),
    payer_id     uuid NOT NULL REFERENCES organisations (id),
    month        date NOT NULL CHECK (extract(day FROM month) = 1),
    decrypted    integer NOT NULL CHECK (decrypted >= 0),
    missing      integer NOT NULL CHECK (missing >= 0)
);
CREATE FUNCTION id_number_decryptions_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'id_number_decryptions is append-only: the audit of decryptions is never changed'
        USING ERRCODE = 'restrict_violation';
END $$;
CREATE TRIGGER id_number_decryptions_append_only BEFORE UPDATE OR DELETE ON id_number_decryptions
    FOR EACH ROW EXECUTE FUNCTION id_number_decryptions_append_only();
CREATE TRIGGER id_number_decryptions_no_truncate BEFORE TRUNCATE ON id_number_decryptions
    FOR EACH STATEMENT EXECUTE FUNCTION id_number_decryptions_append_only();

-- Waiting time is working time for incomplete_labor (人社部发〔2021〕56号) and labor_part_time (labor
-- law) only, and what is paid of one shift (approved or worked minutes plus waiting) stays within
-- its span, so that the hour caps checked on the spans hold for paid time too.
CREATE FUNCTION timesheets_waiting_within_shift() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    span_minutes integer;
    relationship text;
BEGIN
    IF NEW.waiting_minutes = 0 AND coalesce(NEW.waiting_minutes_claimed, 0) = 0 THEN
        RETURN NEW;
    END IF;
    SELECT floor(extract(epoch FROM upper(a.period) - lower(a.period)) / 60)::integer, o.relationship_type
        INTO span_minutes, relationship
        FROM assignments a JOIN orders o ON o.id = a.order_id WHERE a.id = NEW.assignment_id;
    IF relationship NOT IN ('incomplete_labor', 'labor_part_time') THEN
        RAISE EXCEPTION 'waiting time is working time only in incomplete_labor and labor_part_time work'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'timesheets_waiting_is_working_time';
    END IF;
    -- each figure only when there is one: an approval paying beyond the span (an adjustment) with
    -- no waiting approved is not refused for a claim it did not take up
    IF (NEW.waiting_minutes > 0
        AND coalesce(NEW.approved_minutes, NEW.worked_minutes, 0) + NEW.waiting_minutes > span_minutes)
       OR (coalesce(NEW.waiting_minutes_claimed, 0) > 0
           AND coalesce(NEW.worked_minutes, 0) + NEW.waiting_minutes_claimed > span_minutes) THEN
        RAISE EXCEPTION 'paid minutes and waiting minutes exceed the shift''s span of % minutes', span_minutes
            USING ERRCODE = 'check_violation', CONSTRAINT = 'timesheets_waiting_within_shift';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER timesheets_waiting_within_shift
    BEFORE INSERT OR UPDATE OF waiting_minutes, waiting_minutes_claimed, approved_minutes, worked_minutes
    ON timesheets FOR EACH ROW EXECUTE FUNCTION timesheets_waiting_within_shift();

-- Favourites, blocks, hidden employers and private pools (migration 0010, docs/favourites.md).
-- An employer's relation to a worker: a favourite or a block, never both (one row per pair). The
-- reason is the employer's own note: no worker-facing read or event payload carries it.
CREATE TABLE worker_relations (
    organisation_id uuid NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    worker_id       uuid NOT NULL REFERENCES workers (id) ON DELETE CASCADE,
    kind            text NOT NULL CHECK (kind IN ('favourite', 'blocked')),
    reason          text NOT NULL DEFAULT '' CHECK (length(reason) <= 500),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (organisation_id, worker_id)
);
CREATE INDEX worker_relations_by_kind
    ON worker_relations (organisation_id, kind, created_at DESC, worker_id DESC);
CREATE INDEX worker_relations_blocked_workers ON worker_relations (worker_id) WHERE kind = 'blocked';

-- An employer a worker has hidden: for that pair, the same effect as a block.
CREATE TABLE hidden_employers (
    worker_id       uuid NOT NULL REFERENCES workers (id) ON DELETE CASCADE,
    organisation_id uuid NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (worker_id, organisation_id)
);
CREATE INDEX hidden_employers_by_worker ON hidden_employers (worker_id, created_at DESC, organisation_id DESC);

-- A favourites-first window: until pool_until only the order's pool members (order_pool_members)
-- see it, bid on it or are allocated to it; pool_opened_at is when the sweep announced it to
-- everyone else (claimed by a conditional UPDATE: once, whatever the number of serve processes).
CREATE INDEX orders_pool_to_open ON orders (pool_until) WHERE pool_until IS NOT NULL AND pool_opened_at IS NULL;

-- The workers of an order's private pool, from wherever they came: the employer's favourites at
-- posting ('favourite'), the workers of the original order of a "book again" ('book_again'), an
-- agency's own pool ('agency'). One row per worker and order; the first source to add one stays.
CREATE TABLE order_pool_members (
    order_id   uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    worker_id  uuid NOT NULL REFERENCES workers (id) ON DELETE CASCADE,
    source     text NOT NULL CHECK (source IN ('favourite', 'book_again', 'agency')),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (order_id, worker_id)
);
CREATE INDEX order_pool_members_by_worker ON order_pool_members (worker_id);
-- Standby (migration 0011, docs/standby.md) -------------------------------------------------------
-- A worker on call for one shift. on_call and offered are active (they hold a standby seat and
-- escrow holds their pay); called: they took the vacated seat (an assignment); passed: they
-- declined or let the replacement offer lapse; released_paid: not called, paid at the shift's
-- end; withdrawn: they withdrew before the cutoff, or the order was cancelled.
CREATE TABLE standbys (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    shift_id         uuid NOT NULL REFERENCES shifts (id),
    order_id         uuid NOT NULL REFERENCES orders (id),
    worker_id        uuid NOT NULL REFERENCES workers (id),
    organisation_id  uuid NOT NULL REFERENCES organisations (id),
    period           tstzrange NOT NULL,
    amount_fen       bigint NOT NULL CHECK (amount_fen > 0),
    state            text NOT NULL DEFAULT 'on_call'
                     CHECK (state IN ('on_call', 'offered', 'called', 'passed', 'released_paid', 'withdrawn')),
    offer_id         uuid REFERENCES offers (id),
    -- the seat offered: the assignment whose cancellation or no-show vacated it
    vacated_assignment_id uuid REFERENCES assignments (id),
    created_at       timestamptz NOT NULL DEFAULT now(),
    ended_at         timestamptz,
    CHECK ((state IN ('on_call', 'offered')) = (ended_at IS NULL)),
    CHECK (state NOT IN ('offered', 'called', 'passed') OR offer_id IS NOT NULL),
    CONSTRAINT standbys_no_overlap EXCLUDE USING gist (worker_id WITH =, period WITH &&)
        WHERE (state IN ('on_call', 'offered'))
);
CREATE UNIQUE INDEX standbys_one_per_offer ON standbys (offer_id) WHERE offer_id IS NOT NULL;
-- One standby at a time offered (or called) per vacated seat: two sweeps never offer it twice.
CREATE UNIQUE INDEX standbys_one_per_vacancy ON standbys (vacated_assignment_id)
    WHERE state IN ('offered', 'called');
CREATE INDEX standbys_by_shift ON standbys (shift_id, created_at, id);
CREATE INDEX standbys_by_worker ON standbys (worker_id, created_at DESC, id DESC);
CREATE INDEX standbys_active_by_worker ON standbys USING gist (worker_id, period)
    WHERE state IN ('on_call', 'offered');
CREATE INDEX standbys_on_call_by_end ON standbys (upper(period)) WHERE state IN ('on_call', 'offered');

CREATE FUNCTION standbys_count_seats() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    was_active boolean := TG_OP <> 'INSERT' AND OLD.state IN ('on_call', 'offered');
    is_active  boolean := TG_OP <> 'DELETE' AND NEW.state IN ('on_call', 'offered');
BEGIN
    IF was_active AND NOT is_active THEN
        UPDATE shifts SET standby_held = standby_held - 1 WHERE id = OLD.shift_id;
    END IF;
    IF is_active AND NOT was_active THEN
        UPDATE shifts SET standby_held = standby_held + 1 WHERE id = NEW.shift_id;  -- CHECK (standby_held <= standby)
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER standbys_count_seats AFTER INSERT OR UPDATE OF state OR DELETE ON standbys
    FOR EACH ROW EXECUTE FUNCTION standbys_count_seats();

-- Not on call over a seat one holds (the same shift or an overlapping one). The worker's row is
-- locked first (as an acceptance locks it), so a sign-up and an acceptance of the same worker
-- are judged one after the other.
CREATE FUNCTION standbys_not_while_assigned() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.state NOT IN ('on_call', 'offered') THEN
        RETURN NEW;
    END IF;
    PERFORM 1 FROM workers WHERE id = NEW.worker_id FOR NO KEY UPDATE;
    IF EXISTS (SELECT 1 FROM assignments a WHERE a.worker_id = NEW.worker_id
                 AND a.state IN ('active', 'completed') AND a.period && NEW.period) THEN
        RAISE EXCEPTION 'the worker holds a seat overlapping this standby'
            USING ERRCODE = 'exclusion_violation', CONSTRAINT = 'standbys_not_while_assigned';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER standbys_not_while_assigned BEFORE INSERT OR UPDATE OF state ON standbys
    FOR EACH ROW EXECUTE FUNCTION standbys_not_while_assigned();

-- And the other way round: no seat over an active standby (a standby worker taking the vacated
-- seat is marked called first, in the acceptance's transaction).
CREATE FUNCTION assignments_not_while_on_standby() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.state = 'active' AND (TG_OP = 'INSERT' OR OLD.state <> 'active')
       AND EXISTS (SELECT 1 FROM standbys s WHERE s.worker_id = NEW.worker_id
                     AND s.state IN ('on_call', 'offered') AND s.period && NEW.period) THEN
        RAISE EXCEPTION 'the worker is on standby over this seat'
            USING ERRCODE = 'exclusion_violation', CONSTRAINT = 'assignments_not_while_on_standby';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER assignments_not_while_on_standby BEFORE INSERT OR UPDATE OF state ON assignments
    FOR EACH ROW EXECUTE FUNCTION assignments_not_while_on_standby();
-- Faster pay and invoices (migration 0015, docs/faster-pay.md, docs/invoices.md) ---
-- A worker's payout choice: 'on_due_date' (each payable in the first batch on or after its due day,
-- as before) or 'daily' (日结: settled, approved pay of a type that allows it in the next batch).
CREATE TABLE payout_preferences (
    worker_id   uuid PRIMARY KEY REFERENCES workers (id) ON DELETE CASCADE,
    cadence     text NOT NULL CHECK (cadence IN ('on_due_date', 'daily')),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- Invoice requests (全电发票 / 数电票), one per employer, statement month and kind: the platform's
-- service fee, and the pass-through amounts it collected in escrow and paid out for the employer.
-- Integer fen; total = amount + tax. Requested, then issued once by the operator with the invoice
-- number (20 digits) and date; an issued request never changes and is never deleted.
CREATE TABLE invoice_requests (
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
CREATE UNIQUE INDEX invoice_requests_number ON invoice_requests (invoice_number);
CREATE INDEX invoice_requests_by_organisation ON invoice_requests (organisation_id, period DESC);

CREATE FUNCTION invoice_requests_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.state = 'issued' THEN
        RAISE EXCEPTION 'invoice request %: an issued invoice is immutable', OLD.id USING ERRCODE = 'restrict_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER invoice_requests_immutable BEFORE UPDATE OR DELETE ON invoice_requests
    FOR EACH ROW EXECUTE FUNCTION invoice_requests_immutable();
CREATE FUNCTION invoice_requests_no_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'invoice requests are never truncated' USING ERRCODE = 'restrict_violation';
END $$;
CREATE TRIGGER invoice_requests_no_truncate BEFORE TRUNCATE ON invoice_requests
    FOR EACH STATEMENT EXECUTE FUNCTION invoice_requests_no_truncate();
-- ---------------------------------------------------------------- notifications (market/notifications)
-- Notifications (market/notifications, docs/notifications.md): each person's preferences and
-- sealed contacts, browsers' Web Push subscriptions, the fan-in cursor over the outbox, and the
-- notification outbox that is also the delivery log (one row per event, account and channel).
CREATE TABLE IF NOT EXISTS notification_preferences (
    account_id      uuid PRIMARY KEY REFERENCES accounts (id),
    -- nothing at all is sent to a person who opted out
    opted_out       boolean NOT NULL DEFAULT false,
    -- notification kind -> the channels it goes to; a kind not named goes to the default channels
    channels        jsonb NOT NULL DEFAULT '{}' CONSTRAINT notification_preferences_channels_object
                    CHECK (jsonb_typeof(channels) = 'object'),
    -- quiet hours, Beijing wall-clock time; start > end spans midnight (22:00-07:00)
    quiet_start     time,
    quiet_end       time,
    -- the phone (SMS) and the WeChat openid, sealed (AES-GCM, market/sealing.py) to this account;
    -- the phone's mask is what is shown and logged
    phone_sealed    bytea,
    phone_key_id    text,
    phone_masked    text CHECK (phone_masked ~ '^[0-9]{3}\*{4}[0-9]{4}$'),
    openid_sealed   bytea,
    openid_key_id   text,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT notification_preferences_quiet_both CHECK ((quiet_start IS NULL) = (quiet_end IS NULL)),
    CONSTRAINT notification_preferences_quiet_span CHECK (quiet_start IS NULL OR quiet_start <> quiet_end),
    CONSTRAINT notification_preferences_phone_sealed CHECK (
        (phone_sealed IS NULL) = (phone_key_id IS NULL) AND (phone_sealed IS NULL) = (phone_masked IS NULL)),
    CONSTRAINT notification_preferences_openid_sealed CHECK ((openid_sealed IS NULL) = (openid_key_id IS NULL))
);

CREATE TABLE IF NOT EXISTS notification_web_push_subscriptions (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    account_id  uuid NOT NULL REFERENCES accounts (id),
    endpoint    text NOT NULL CHECK (endpoint ~ '^https?://' AND length(endpoint) <= 2000),
    p256dh      text NOT NULL CHECK (length(p256dh) BETWEEN 80 AND 100),
    auth        text NOT NULL CHECK (length(auth) BETWEEN 16 AND 32),
    created_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT notification_web_push_subscriptions_once UNIQUE (account_id, endpoint)
);

-- How far the fan-in has read the outbox: one row, locked by the one consumer that reads on.
CREATE TABLE IF NOT EXISTS notification_cursor (
    only_row   boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    after_seq  bigint NOT NULL CHECK (after_seq >= 0)
);
INSERT INTO notification_cursor (after_seq) SELECT coalesce(max(seq), 0) FROM events
ON CONFLICT (only_row) DO NOTHING;

CREATE TABLE IF NOT EXISTS notifications (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    -- what the notification is about: 'event:<outbox id>' or '<kind>:<object id>' for a sweep's
    event_key        text NOT NULL CHECK (length(event_key) BETWEEN 3 AND 200),
    account_id       uuid NOT NULL REFERENCES accounts (id),
    channel          text NOT NULL CHECK (channel IN ('log', 'sms', 'wechat', 'web_push')),
    kind             text NOT NULL CONSTRAINT notifications_kind CHECK (kind IN ('offer.made', 'offer.expiring',
                     'shift.tomorrow', 'checkin.reminder', 'timesheet.approved', 'payout.paid',
                     'certificate.expiring', 'case.answered')),
    event_id         bigint REFERENCES events (id),
    message          jsonb NOT NULL CHECK (jsonb_typeof(message) = 'object'),
    state            text NOT NULL DEFAULT 'pending'
                     CHECK (state IN ('pending', 'sent', 'failed', 'cancelled')),
    attempts         integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at  timestamptz DEFAULT now(),
    -- when the row took its place in the person's hourly allowance of the channel (rate limit)
    slot_at          timestamptz,
    last_error       text CHECK (length(last_error) <= 500),
    created_at       timestamptz NOT NULL DEFAULT now(),
    sent_at          timestamptz,
    -- at most one notification per event, person and channel, however many consumers race
    CONSTRAINT notifications_once UNIQUE (event_key, account_id, channel),
    CONSTRAINT notifications_next_attempt_only_when_pending CHECK ((state = 'pending') = (next_attempt_at IS NOT NULL)),
    CONSTRAINT notifications_sent_at CHECK ((state = 'sent') = (sent_at IS NOT NULL))
);
CREATE INDEX IF NOT EXISTS notifications_due ON notifications (next_attempt_at) WHERE state = 'pending';
CREATE INDEX IF NOT EXISTS notifications_by_account ON notifications (account_id, created_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS notifications_slots ON notifications (account_id, channel, slot_at) WHERE slot_at IS NOT NULL;
-- The reminder sweeps: seats by start, paid payouts by when.
CREATE INDEX IF NOT EXISTS assignments_active_by_start ON assignments (lower(period)) WHERE state = 'active';
CREATE INDEX IF NOT EXISTS payouts_paid_at ON payouts (paid_at) WHERE state = 'paid';
-- Order templates and recurring orders (migration 0012, docs/recurring-orders.md).
CREATE TABLE IF NOT EXISTS order_templates (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organisation_id  uuid NOT NULL REFERENCES organisations (id),
    name             text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    terms            jsonb NOT NULL CHECK (jsonb_typeof(terms) = 'object'),
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS order_templates_of_organisation ON order_templates (organisation_id, created_at, id);

CREATE TABLE IF NOT EXISTS recurring_series (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organisation_id  uuid NOT NULL REFERENCES organisations (id),
    template_id      uuid REFERENCES order_templates (id) ON DELETE SET NULL,
    name             text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    terms            jsonb NOT NULL CHECK (jsonb_typeof(terms) = 'object'),
    weekdays         smallint[] NOT NULL
        CHECK (cardinality(weekdays) BETWEEN 1 AND 7 AND weekdays <@ ARRAY[1, 2, 3, 4, 5, 6, 7]::smallint[]),
    start_time       time NOT NULL,
    end_time         time NOT NULL,
    headcount        integer NOT NULL CHECK (headcount BETWEEN 1 AND 500),
    start_date       date NOT NULL,
    until_date       date NOT NULL,
    exceptions       jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(exceptions) = 'array'),
    skip_holidays    boolean NOT NULL DEFAULT false,
    state            text NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'paused', 'ended')),
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    ended_at         timestamptz,
    CONSTRAINT recurring_series_times CHECK (start_time <> end_time),
    -- until after start, and a bounded horizon (market/recurring/model.py MAX_SERIES_DAYS)
    CONSTRAINT recurring_series_dates CHECK (until_date > start_date AND until_date <= start_date + 366),
    CONSTRAINT recurring_series_ended CHECK ((state = 'ended') = (ended_at IS NOT NULL))
);
CREATE INDEX IF NOT EXISTS recurring_series_of_organisation ON recurring_series (organisation_id, created_at, id);
CREATE INDEX IF NOT EXISTS recurring_series_active ON recurring_series (until_date) WHERE state = 'active';

CREATE TABLE IF NOT EXISTS recurring_occurrences (
    series_id        uuid NOT NULL REFERENCES recurring_series (id) ON DELETE CASCADE,
    occurrence_date  date NOT NULL,
    state            text NOT NULL CHECK (state IN ('materialised', 'skipped', 'refused')),
    order_id         uuid UNIQUE REFERENCES orders (id),
    problem          jsonb,
    decided_at       timestamptz NOT NULL,
    CONSTRAINT recurring_occurrences_once PRIMARY KEY (series_id, occurrence_date),
    CONSTRAINT recurring_occurrences_order CHECK ((state = 'materialised') = (order_id IS NOT NULL)),
    CONSTRAINT recurring_occurrences_problem CHECK (state = 'materialised' OR problem IS NOT NULL)
);

-- ---- organisations: members, roles, sites (migration 0013, docs/organisations.md) ----
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

-- The account that registers an organisation is its owner: the database makes the membership
-- with the organisation, whoever inserts it (sign-up, the demo, a benchmark's direct insert).
CREATE OR REPLACE FUNCTION organisations_founder_is_owner() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO organisation_members (account_id, organisation_id, role, created_at, created_by)
    VALUES (NEW.account_id, NEW.id, 'owner', NEW.created_at, NEW.account_id)
    ON CONFLICT (account_id) DO NOTHING;
    RETURN NEW;
END $$;
CREATE TRIGGER organisations_founder_is_owner AFTER INSERT ON organisations
    FOR EACH ROW EXECUTE FUNCTION organisations_founder_is_owner();

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
-- Who recorded a no-show: the employer, or the platform's standby sweep (migration 0016;
-- docs/attendance.md). Set exactly on the no_show timesheets.
ALTER TABLE timesheets ADD COLUMN IF NOT EXISTS no_show_by text;
DO $$ BEGIN
    ALTER TABLE timesheets ADD CONSTRAINT timesheets_no_show_by CHECK (
        no_show_by IN ('employer', 'platform') AND (state = 'no_show') = (no_show_by IS NOT NULL));
EXCEPTION WHEN duplicate_object THEN NULL; END $$;
-- A settlement of a standby's pay (migration 0018; docs/standby.md, docs/settlement.md): a standby
-- has no assignment, so a settlement is of exactly one of the two; UNIQUE: a standby is paid once.
ALTER TABLE settlements ADD COLUMN IF NOT EXISTS standby_id uuid CONSTRAINT settlements_standby_id_key UNIQUE
    CONSTRAINT settlements_standby REFERENCES standbys (id);
DO $$ BEGIN
    ALTER TABLE settlements ADD CONSTRAINT settlements_of_one_thing
        CHECK (num_nonnulls(assignment_id, standby_id) = 1);
EXCEPTION WHEN duplicate_object THEN NULL; END $$;
-- An organisation's seats, newest first (GET /v1/employers/me/timesheets; migration 0019).
CREATE INDEX IF NOT EXISTS assignments_by_organisation ON assignments (organisation_id, created_at DESC, id DESC);
