-- Field work of grid workers (issue #6): visits (走访), patrols (巡查) with their tracks and check-ins, the
-- daily 民情日志 note, and the receipts that make the phone's offline outbox idempotent.

-- One visit to a person (四必访 and any other): a fact, never edited. `day` is the China-time date.
CREATE TABLE visits (
    id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES people(id),
    household_id INTEGER,
    grid_code TEXT NOT NULL,
    user_id INTEGER NOT NULL REFERENCES users(id),
    visited_at INTEGER NOT NULL,
    day TEXT NOT NULL,
    recorded_at INTEGER NOT NULL,
    found INTEGER NOT NULL,
    situation TEXT NOT NULL,
    needs TEXT NOT NULL DEFAULT '',
    risk TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    lat REAL,
    lon REAL
);
CREATE INDEX visits_person ON visits(person_id, visited_at);
CREATE INDEX visits_household ON visits(household_id, visited_at);
CREATE INDEX visits_user_day ON visits(user_id, day);
CREATE INDEX visits_grid_day ON visits(grid_code, day);

-- A photo documents an event or a visit.
ALTER TABLE attachments ADD COLUMN visit_id BIGINT REFERENCES visits(id);

-- Patrol routes with their check-in points (`checkpoints`: [{"name","lat","lon","radius_m"}]).
CREATE TABLE patrol_routes (
    id INTEGER PRIMARY KEY,
    region_code TEXT NOT NULL,
    name TEXT NOT NULL,
    team TEXT NOT NULL DEFAULT '',
    checkpoints TEXT NOT NULL DEFAULT '[]',
    active INTEGER NOT NULL DEFAULT 1,
    updated_at INTEGER NOT NULL
);
CREATE INDEX patrol_routes_region ON patrol_routes(region_code);

CREATE TABLE patrols (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    route_id INTEGER REFERENCES patrol_routes(id),
    team TEXT NOT NULL DEFAULT '',
    grid_code TEXT NOT NULL,
    started_at INTEGER NOT NULL,
    ended_at INTEGER,
    day TEXT NOT NULL,
    last_point_at INTEGER,
    points INTEGER NOT NULL DEFAULT 0,
    flagged INTEGER NOT NULL DEFAULT 0,
    distance_m REAL NOT NULL DEFAULT 0
);
CREATE INDEX patrols_user_day ON patrols(user_id, day);
CREATE INDEX patrols_grid_day ON patrols(grid_code, day);

-- Track points keyed by time, so a batch sent twice or out of order adds nothing twice.
CREATE TABLE patrol_points (
    patrol_id INTEGER NOT NULL REFERENCES patrols(id),
    at INTEGER NOT NULL,
    lat REAL NOT NULL,
    lon REAL NOT NULL,
    accuracy REAL,
    PRIMARY KEY (patrol_id, at)
) WITHOUT ROWID;

CREATE TABLE patrol_checkins (
    id INTEGER PRIMARY KEY,
    patrol_id INTEGER NOT NULL REFERENCES patrols(id),
    point TEXT NOT NULL,
    at INTEGER NOT NULL,
    lat REAL NOT NULL,
    lon REAL NOT NULL,
    distance_m REAL NOT NULL
);
CREATE INDEX patrol_checkins_patrol ON patrol_checkins(patrol_id);

-- The worker's own note on a day's 民情日志 (the rest of the log is assembled from visits, events, patrols).
CREATE TABLE field_logs (
    user_id INTEGER NOT NULL REFERENCES users(id),
    day TEXT NOT NULL,
    note TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, day)
);

-- What each outbox item of a phone produced, written in the same transaction as the item's write: a replay
-- finds its receipt and writes nothing.
CREATE TABLE field_receipts (
    user_id INTEGER NOT NULL,
    key TEXT NOT NULL,
    kind TEXT NOT NULL,
    object_id INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, key)
);

-- Events reported from the phone carry external_id 'm:<user id>:<item key>' (they are written by the event
-- writer's group commit, not beside a receipt); this index makes a replay fail instead of reporting twice.
CREATE UNIQUE INDEX events_field_key ON events(external_id) WHERE external_id LIKE 'm:%';
CREATE INDEX events_reporter ON events(reporter_user_id, reported_at);
