-- Migration 0010: favourites, blocks, hidden employers and private pools (docs/favourites.md).
-- Idempotent, as every migration here is (tests/test_migrations.py runs them again over a built database).

-- An employer's relation to a worker: a favourite or a block, never both (one row per pair). The
-- reason is the employer's own note: no worker-facing read or event payload carries it.
CREATE TABLE IF NOT EXISTS worker_relations (
    organisation_id uuid NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    worker_id       uuid NOT NULL REFERENCES workers (id) ON DELETE CASCADE,
    kind            text NOT NULL CHECK (kind IN ('favourite', 'blocked')),
    reason          text NOT NULL DEFAULT '' CHECK (length(reason) <= 500),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (organisation_id, worker_id)
);
CREATE INDEX IF NOT EXISTS worker_relations_by_kind
    ON worker_relations (organisation_id, kind, created_at DESC, worker_id DESC);
CREATE INDEX IF NOT EXISTS worker_relations_blocked_workers ON worker_relations (worker_id) WHERE kind = 'blocked';

-- An employer a worker has hidden: for that pair, the same effect as a block.
CREATE TABLE IF NOT EXISTS hidden_employers (
    worker_id       uuid NOT NULL REFERENCES workers (id) ON DELETE CASCADE,
    organisation_id uuid NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (worker_id, organisation_id)
);
CREATE INDEX IF NOT EXISTS hidden_employers_by_worker ON hidden_employers (worker_id, created_at DESC, organisation_id DESC);

-- A favourites-first window: until pool_until only the order's pool members (order_pool_members)
-- see it, bid on it or are allocated to it; pool_opened_at is when the sweep announced it to
-- everyone else (claimed by a conditional UPDATE: once, whatever the number of serve processes).
ALTER TABLE orders ADD COLUMN IF NOT EXISTS pool_until timestamptz;
ALTER TABLE orders ADD COLUMN IF NOT EXISTS pool_opened_at timestamptz;
DO $$ BEGIN
    ALTER TABLE orders ADD CONSTRAINT orders_pool_opened_after_window
        CHECK (pool_opened_at IS NULL OR pool_until IS NOT NULL);
EXCEPTION WHEN duplicate_object THEN NULL; END $$;
CREATE INDEX IF NOT EXISTS orders_pool_to_open ON orders (pool_until) WHERE pool_until IS NOT NULL AND pool_opened_at IS NULL;

-- The workers of an order's private pool, from wherever they came: the employer's favourites at
-- posting ('favourite'), the workers of the original order of a "book again" ('book_again'), an
-- agency's own pool ('agency'). One row per worker and order; the first source to add one stays.
CREATE TABLE IF NOT EXISTS order_pool_members (
    order_id   uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    worker_id  uuid NOT NULL REFERENCES workers (id) ON DELETE CASCADE,
    source     text NOT NULL CHECK (source IN ('favourite', 'book_again', 'agency')),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (order_id, worker_id)
);
CREATE INDEX IF NOT EXISTS order_pool_members_by_worker ON order_pool_members (worker_id);
