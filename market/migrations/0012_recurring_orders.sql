-- Migration 0012: order templates and recurring orders (docs/recurring-orders.md). A template holds
-- an order's terms (the posting body but its dates); a series holds a weekly pattern that the
-- sweep turns into one order per occurrence date, on a rolling window. Each occurrence is decided
-- once: the primary key (series_id, occurrence_date) is what makes a materialisation exactly-once.
-- Idempotent, as every migration here is (tests/test_migrations.py runs them again over a built database).
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
