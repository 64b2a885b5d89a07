-- Safety prevention (治安防控, issue #7): patrol teams (巡防队) and volunteer teams (平安志愿者) as data, each
-- covering a region's subtree, with their members. A member is a user or anyone named with a phone, which is
-- personal data like a resident's: encrypted, with a blind index and a masked copy.

CREATE TABLE safety_teams (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,                   -- patrol | volunteer
    name TEXT NOT NULL,
    region_code TEXT NOT NULL REFERENCES regions(code),   -- the area it covers (a grid or any region above)
    shift TEXT NOT NULL DEFAULT '',       -- free text: 每晚19:00–22:00
    note TEXT NOT NULL DEFAULT '',
    active INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
-- Two teams of one area never share a name.
CREATE UNIQUE INDEX safety_teams_name ON safety_teams(region_code, name);

CREATE TABLE safety_team_members (
    id INTEGER PRIMARY KEY,
    team_id INTEGER NOT NULL REFERENCES safety_teams(id),
    name TEXT NOT NULL,
    user_id INTEGER REFERENCES users(id),
    role TEXT NOT NULL DEFAULT '',        -- 队长, 队员…
    phone_enc TEXT,
    phone_hash TEXT,
    phone_masked TEXT,
    created_at INTEGER NOT NULL
);
CREATE INDEX safety_team_members_team ON safety_team_members(team_id, id);
CREATE INDEX safety_team_members_phone ON safety_team_members(phone_hash);

-- The safety map counts patrols of the last 30 days per grid.
CREATE INDEX patrols_grid_started ON patrols(grid_code, started_at);
