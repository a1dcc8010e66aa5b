-- Migration 0004 is the written agreements' (market/contracts, branch i17-contracts), which land
-- separately; this empty step keeps the numbering without a gap (market/db.py) until they do, and
-- is dropped when they are merged.
SELECT 1;
