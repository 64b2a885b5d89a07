-- The duplicate check on every report looks for open events of the same category within a few dozen metres.
-- Indexed by (category, reported_at) it visited every recent event of the category (thousands a day in a
-- district) and read each row; led by latitude it visits only the narrow band around the point, and longitude,
-- time and status are checked from the index itself, without reading the rows.
DROP INDEX events_nearby;
CREATE INDEX events_nearby ON events(category_code, lat, lon, reported_at, status);
