-- Migration 0019: an organisation's seats, newest first (GET /v1/employers/me/timesheets, docs/attendance.md):
-- the list pages by (created_at, id) within one organisation, so it reads only that organisation's rows.
CREATE INDEX IF NOT EXISTS assignments_by_organisation ON assignments (organisation_id, created_at DESC, id DESC);
