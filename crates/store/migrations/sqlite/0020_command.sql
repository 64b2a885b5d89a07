-- Command centre (指挥中心, issue #11): what the dashboard, the map and the live feed read, so that none of them
-- scans the events table.

-- One row per open event (states of domain::command::OPEN_STATES, not merged), written in the same transaction
-- as the event itself (Store::insert_events / Store::save_event): the open and overdue KPIs, the map colours and
-- the heat layer count a district's open events, never its millions of closed ones.
CREATE TABLE event_open (
    event_id INTEGER PRIMARY KEY,
    grid_code TEXT NOT NULL,
    category_code TEXT NOT NULL,
    status TEXT NOT NULL,
    lat REAL NOT NULL,
    lon REAL NOT NULL,
    reported_at INTEGER NOT NULL,
    stage_due_at INTEGER
);
CREATE INDEX event_open_grid ON event_open(grid_code, stage_due_at);

INSERT INTO event_open (event_id, grid_code, category_code, status, lat, lon, reported_at, stage_due_at)
SELECT id, grid_code, category_code, status, lat, lon, reported_at, stage_due_at FROM events
WHERE status IN ('reported', 'accepted', 'registered', 'dispatched', 'handled', 'verified', 'suspended')
  AND merged_into IS NULL;

-- The live feed: new events and events that went overdue, appended in the writing transaction. Every server
-- process tails it (PostgreSQL: woken by NOTIFY wangge_feed; SQLite: polling the id watermark), and a
-- reconnecting dashboard resumes from its Last-Event-ID. Entries older than a week are pruned.
CREATE TABLE command_feed (
    id INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused after pruning: ids are the feed's resume points
    at INTEGER NOT NULL,
    kind TEXT NOT NULL,
    event_id INTEGER NOT NULL,
    grid_code TEXT NOT NULL,
    category_code TEXT NOT NULL,
    status TEXT NOT NULL,
    lat REAL NOT NULL,
    lon REAL NOT NULL,
    description TEXT NOT NULL DEFAULT ''
);
CREATE INDEX command_feed_grid ON command_feed(grid_code, id);
CREATE INDEX command_feed_at ON command_feed(at);

-- Register counts per grid (households, residents present, people per group tag), rebuilt by one aggregate
-- query per table every few minutes by the serving processes: the register layer reads a few thousand rows
-- instead of counting a million residents per request. key: 'households' | 'residents' | 'tag:<code>';
-- the row ('', 'refreshed_at') holds when it was last rebuilt. The index lets the residents' count read the index
-- alone instead of every person's row.
CREATE INDEX people_grid_present ON people(grid_code, residence_status, merged_into);
CREATE TABLE register_grid_counts (
    grid_code TEXT NOT NULL,
    key TEXT NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (grid_code, key)
);
