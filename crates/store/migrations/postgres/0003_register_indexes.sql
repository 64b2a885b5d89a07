-- The search index looks for houses and households changed since its last look; without these indexes that
-- check scans the whole table (≈80 ms at 400,000 houses), so it could only run every few seconds.
CREATE INDEX houses_updated ON houses(updated_at);
CREATE INDEX households_updated ON households(updated_at);
