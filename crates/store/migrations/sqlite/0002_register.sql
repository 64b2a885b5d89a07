-- The population and housing register (实有人口、实有房屋): buildings, the rest of a person's fields, their
-- history (a person is never deleted), and special groups as tags whose kinds are data.
CREATE TABLE buildings (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    grid_code TEXT NOT NULL REFERENCES regions(code),
    name TEXT NOT NULL,
    address TEXT NOT NULL DEFAULT '',
    floors INTEGER,
    lon REAL,
    lat REAL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX buildings_grid ON buildings(grid_code);

ALTER TABLE houses ADD COLUMN building_id INTEGER REFERENCES buildings(id);
ALTER TABLE houses ADD COLUMN owner_name TEXT NOT NULL DEFAULT '';
ALTER TABLE houses ADD COLUMN updated_at INTEGER NOT NULL DEFAULT 0;
CREATE INDEX houses_building ON houses(building_id);
CREATE INDEX houses_address ON houses(address);

ALTER TABLE households ADD COLUMN updated_at INTEGER NOT NULL DEFAULT 0;
CREATE INDEX households_house ON households(house_id);

ALTER TABLE people ADD COLUMN education TEXT NOT NULL DEFAULT '';
ALTER TABLE people ADD COLUMN employment TEXT NOT NULL DEFAULT '';
ALTER TABLE people ADD COLUMN political_status TEXT NOT NULL DEFAULT '';
ALTER TABLE people ADD COLUMN health TEXT NOT NULL DEFAULT '';
ALTER TABLE people ADD COLUMN residence_status TEXT NOT NULL DEFAULT 'present';
-- Set when this record was a duplicate merged into another; the row stays, with its history.
ALTER TABLE people ADD COLUMN merged_into INTEGER;
CREATE INDEX people_updated ON people(updated_at);
CREATE INDEX people_name ON people(name);

CREATE TABLE person_history (
    id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES people(id),
    at INTEGER NOT NULL,
    kind TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    actor TEXT NOT NULL,
    data TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX person_history_person ON person_history(person_id, at);

CREATE TABLE tag_kinds (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    name_en TEXT NOT NULL DEFAULT '',
    level TEXT NOT NULL,                  -- person | household
    sensitive INTEGER NOT NULL DEFAULT 0, -- only roles with the read_sensitive_tags permission see it
    derived INTEGER NOT NULL DEFAULT 0,   -- computed by a rule (老年人 from age), not entered by hand
    fields TEXT NOT NULL DEFAULT '[]',    -- [{"key","label","type","options"}]: what the tag records
    visit_days INTEGER,                   -- care rule: visit at least every N days (四必访 = 30)
    sort INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE person_tags (
    person_id INTEGER NOT NULL REFERENCES people(id),
    tag TEXT NOT NULL REFERENCES tag_kinds(code),
    data TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (person_id, tag)
);
CREATE INDEX person_tags_tag ON person_tags(tag, person_id);

CREATE TABLE household_tags (
    household_id INTEGER NOT NULL REFERENCES households(id),
    tag TEXT NOT NULL REFERENCES tag_kinds(code),
    data TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (household_id, tag)
);
CREATE INDEX household_tags_tag ON household_tags(tag, household_id);
