-- Migration 0004: reserved for issue 17's certificates branch, which brings its own 0004_*.sql.
-- A placeholder so that this branch's 0006 follows 1..5 without a gap (market/db.py refuses gaps);
-- delete this file when merging the branch that owns number 4.
SELECT 1;
