-- Migration 0011: standby seats (docs/standby.md). A shift may carry `standby` seats, each paid
-- `standby_amount_fen` when its worker is not called; `standby_held` counts the active standby
-- rows (kept by the trigger below, so its CHECK is the "at most `standby` on call" invariant, as
-- shifts.filled is the headcount's). Idempotent.
ALTER TABLE shifts ADD COLUMN IF NOT EXISTS standby integer NOT NULL DEFAULT 0;
ALTER TABLE shifts ADD COLUMN IF NOT EXISTS standby_amount_fen bigint;
ALTER TABLE shifts ADD COLUMN IF NOT EXISTS standby_held integer NOT NULL DEFAULT 0;
DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'shifts_standby_bounded') THEN
        ALTER TABLE shifts ADD CONSTRAINT shifts_standby_bounded
            CHECK (standby BETWEEN 0 AND least(headcount, 50)
                   AND (standby = 0 OR standby_amount_fen > 0));
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'shifts_standby_within_seats') THEN
        ALTER TABLE shifts ADD CONSTRAINT shifts_standby_within_seats CHECK (standby_held BETWEEN 0 AND standby);
    END IF;
END $$;

-- A worker on call for one shift. on_call and offered are active (they hold a standby seat and
-- escrow holds their pay); called: they took the vacated seat (an assignment); passed: they
-- declined or let the replacement offer lapse; released_paid: not called, paid at the shift's
-- end; withdrawn: they withdrew before the cutoff, or the order was cancelled.
CREATE TABLE IF NOT EXISTS standbys (
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
CREATE UNIQUE INDEX IF NOT EXISTS standbys_one_per_offer ON standbys (offer_id) WHERE offer_id IS NOT NULL;
-- One standby at a time offered (or called) per vacated seat: two sweeps never offer it twice.
CREATE UNIQUE INDEX IF NOT EXISTS standbys_one_per_vacancy ON standbys (vacated_assignment_id)
    WHERE state IN ('offered', 'called');
CREATE INDEX IF NOT EXISTS standbys_by_shift ON standbys (shift_id, created_at, id);
CREATE INDEX IF NOT EXISTS standbys_by_worker ON standbys (worker_id, created_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS standbys_active_by_worker ON standbys USING gist (worker_id, period)
    WHERE state IN ('on_call', 'offered');
CREATE INDEX IF NOT EXISTS standbys_on_call_by_end ON standbys (upper(period)) WHERE state IN ('on_call', 'offered');

CREATE OR REPLACE FUNCTION standbys_count_seats() RETURNS trigger LANGUAGE plpgsql AS $$
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
CREATE OR REPLACE TRIGGER standbys_count_seats AFTER INSERT OR UPDATE OF state OR DELETE ON standbys
    FOR EACH ROW EXECUTE FUNCTION standbys_count_seats();

-- Not on call over a seat one holds (the same shift or an overlapping one). The worker's row is
-- locked first (as an acceptance locks it), so a sign-up and an acceptance of the same worker
-- are judged one after the other.
CREATE OR REPLACE FUNCTION standbys_not_while_assigned() RETURNS trigger LANGUAGE plpgsql AS $$
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
CREATE OR REPLACE TRIGGER standbys_not_while_assigned BEFORE INSERT OR UPDATE OF state ON standbys
    FOR EACH ROW EXECUTE FUNCTION standbys_not_while_assigned();

-- And the other way round: no seat over an active standby (a standby worker taking the vacated
-- seat is marked called first, in the acceptance's transaction).
CREATE OR REPLACE FUNCTION assignments_not_while_on_standby() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.state = 'active' AND (TG_OP = 'INSERT' OR OLD.state <> 'active')
       AND EXISTS (SELECT 1 FROM standbys s WHERE s.worker_id = NEW.worker_id
                     AND s.state IN ('on_call', 'offered') AND s.period && NEW.period) THEN
        RAISE EXCEPTION 'the worker is on standby over this seat'
            USING ERRCODE = 'exclusion_violation', CONSTRAINT = 'assignments_not_while_on_standby';
    END IF;
    RETURN NEW;
END $$;
CREATE OR REPLACE TRIGGER assignments_not_while_on_standby BEFORE INSERT OR UPDATE OF state ON assignments
    FOR EACH ROW EXECUTE FUNCTION assignments_not_while_on_standby();
