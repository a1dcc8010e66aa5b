-- Migration 0006: 职业伤害保障 sectors and 宽放 waiting time
-- (docs/filings.md, docs/settlement-rules.md, docs/attendance.md). The sector catalogue (seeded from
-- market/catalogue/data/sectors.json like the other catalogues), the order's sector, and the
-- waiting minutes of a timesheet: the worker's claim at check-out and what was approved and paid.
-- Idempotent, as every migration here is (tests/test_migrations.py runs them again over a built database).
CREATE TABLE IF NOT EXISTS sectors (
    code     text PRIMARY KEY CHECK (code ~ '^[a-z][a-z0-9_]*$'),
    name_zh  text NOT NULL,
    name_en  text NOT NULL
);

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = 'orders'::regclass AND attname = 'sector_code'
                   AND NOT attisdropped) THEN
        ALTER TABLE orders ADD COLUMN sector_code text CONSTRAINT orders_sector_code_fkey REFERENCES sectors (code);
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = 'timesheets'::regclass AND attname = 'waiting_minutes'
                   AND NOT attisdropped) THEN
        ALTER TABLE timesheets
            ADD COLUMN waiting_minutes integer NOT NULL DEFAULT 0,
            ADD COLUMN waiting_minutes_claimed integer,
            ADD COLUMN waiting_reason text,
            ADD CONSTRAINT timesheets_waiting_not_negative
                CHECK (waiting_minutes >= 0 AND waiting_minutes_claimed >= 0);
    END IF;
END $$;

-- Waiting time is working time for incomplete_labor (人社部发〔2021〕56号) and labor_part_time (labor
-- law) only, and what is paid of one shift (approved or worked minutes plus waiting) stays within
-- its span, so that the hour caps checked on the spans hold for paid time too.
CREATE OR REPLACE FUNCTION timesheets_waiting_within_shift() RETURNS trigger LANGUAGE plpgsql AS $$
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
CREATE OR REPLACE TRIGGER timesheets_waiting_within_shift
    BEFORE INSERT OR UPDATE OF waiting_minutes, waiting_minutes_claimed, approved_minutes, worked_minutes
    ON timesheets FOR EACH ROW EXECUTE FUNCTION timesheets_waiting_within_shift();
