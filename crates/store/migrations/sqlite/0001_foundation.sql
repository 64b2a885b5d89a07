-- Foundation: regions and grids, accounts and scopes, sessions, API keys, audit, the minimal register
-- (houses, households, people) that region counts need. Times are Unix milliseconds (UTC).
CREATE TABLE regions (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    level TEXT NOT NULL,
    parent_code TEXT REFERENCES regions(code),
    boundary TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX regions_parent ON regions(parent_code);
CREATE INDEX regions_level ON regions(level, code);

CREATE TABLE departments (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    name_en TEXT NOT NULL DEFAULT ''
);

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
);

CREATE TABLE user_grants (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role TEXT NOT NULL,
    region_code TEXT NOT NULL, -- '' for admin (everything); checked by the app, not a foreign key
    department_code TEXT NOT NULL DEFAULT '',
    UNIQUE (user_id, role, region_code, department_code)
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE api_keys (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    key_hash TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    object TEXT NOT NULL,
    reason TEXT,
    region_code TEXT
);
CREATE INDEX audit_at ON audit_log(at);
CREATE INDEX audit_actor ON audit_log(actor, at);
CREATE INDEX audit_region ON audit_log(region_code, at);

CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE houses (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    grid_code TEXT NOT NULL REFERENCES regions(code),
    address TEXT NOT NULL,
    building TEXT NOT NULL DEFAULT '',
    unit TEXT NOT NULL DEFAULT '',
    room TEXT NOT NULL DEFAULT '',
    area_m2 REAL,
    usage TEXT NOT NULL DEFAULT '',
    lon REAL,
    lat REAL,
    created_at INTEGER NOT NULL
);
CREATE INDEX houses_grid ON houses(grid_code);

CREATE TABLE households (
    id INTEGER PRIMARY KEY,
    number TEXT NOT NULL UNIQUE,
    house_id INTEGER NOT NULL REFERENCES houses(id),
    grid_code TEXT NOT NULL REFERENCES regions(code),
    registered INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL
);
CREATE INDEX households_grid ON households(grid_code);

CREATE TABLE people (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    id_number_enc TEXT NOT NULL,
    id_number_hash TEXT NOT NULL UNIQUE,
    id_number_masked TEXT NOT NULL,
    gender TEXT NOT NULL,
    birth_date TEXT NOT NULL,
    ethnicity TEXT NOT NULL DEFAULT '',
    phone_enc TEXT,
    phone_hash TEXT,
    phone_masked TEXT,
    population_type TEXT NOT NULL,
    household_id INTEGER REFERENCES households(id),
    relation TEXT NOT NULL DEFAULT '',
    grid_code TEXT NOT NULL REFERENCES regions(code),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX people_grid ON people(grid_code);
CREATE INDEX people_household ON people(household_id);
CREATE INDEX people_phone ON people(phone_hash);
