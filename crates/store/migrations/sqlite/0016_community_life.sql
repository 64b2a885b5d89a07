-- Community life (社区共建, issue #9): 议事会议 with participants, resolutions and their progress; social
-- organizations' incubation stages and services; 共建单位 with yearly commitments and 共建日; volunteers, teams,
-- activities, sign-ups and the append-only 时间银行; 党组织, party members (在职党员双报到), 三会一课 with sign-in,
-- and members' service records. Quantities are integers: minutes of service, hundredths of a commitment's unit.

-- Attachments owned by a record of this area (meeting minutes, evidence of a commitment's progress): one claim,
-- like an event's or a visit's.
ALTER TABLE attachments ADD COLUMN owner_kind TEXT;
ALTER TABLE attachments ADD COLUMN owner_id INTEGER;
CREATE INDEX attachments_owner ON attachments(owner_kind, owner_id);

CREATE TABLE meetings (
    id INTEGER PRIMARY KEY,
    region_code TEXT NOT NULL REFERENCES regions(code),
    kind TEXT NOT NULL,
    topic TEXT NOT NULL,
    starts_at INTEGER NOT NULL,
    ends_at INTEGER,
    place TEXT NOT NULL,
    -- JSON array of agenda items (text).
    agenda TEXT NOT NULL DEFAULT '[]',
    status TEXT NOT NULL,
    minutes TEXT NOT NULL DEFAULT '',
    minutes_by TEXT NOT NULL DEFAULT '',
    minutes_at INTEGER,
    published_at INTEGER,
    version INTEGER NOT NULL DEFAULT 1,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX meetings_region ON meetings(region_code, starts_at);

CREATE TABLE meeting_participants (
    id INTEGER PRIMARY KEY,
    meeting_id INTEGER NOT NULL REFERENCES meetings(id),
    kind TEXT NOT NULL,
    person_id INTEGER REFERENCES people(id),
    user_id INTEGER REFERENCES users(id),
    name TEXT NOT NULL,
    -- 单位/身份: 居民代表, 物业公司, 共建单位, 人大代表…
    affiliation TEXT NOT NULL DEFAULT '',
    invited INTEGER NOT NULL DEFAULT 1,
    present INTEGER NOT NULL DEFAULT 0,
    signed_at INTEGER
);
CREATE INDEX meeting_participants_meeting ON meeting_participants(meeting_id, id);

CREATE TABLE meeting_resolutions (
    id INTEGER PRIMARY KEY,
    meeting_id INTEGER NOT NULL REFERENCES meetings(id),
    content TEXT NOT NULL,
    -- Who carries it out: a department, unit or official as the resolution names them.
    owner TEXT NOT NULL,
    due_on TEXT,
    status TEXT NOT NULL,
    done_at INTEGER,
    version INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX meeting_resolutions_meeting ON meeting_resolutions(meeting_id, id);
CREATE INDEX meeting_resolutions_due ON meeting_resolutions(status, due_on);

CREATE TABLE resolution_progress (
    id INTEGER PRIMARY KEY,
    resolution_id INTEGER NOT NULL REFERENCES meeting_resolutions(id),
    at INTEGER NOT NULL,
    actor TEXT NOT NULL,
    status TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX resolution_progress_resolution ON resolution_progress(resolution_id, id);

CREATE TABLE social_org_profiles (
    organization_id INTEGER PRIMARY KEY REFERENCES organizations(id),
    stage TEXT NOT NULL,
    field TEXT NOT NULL,
    stage_since INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE social_org_stages (
    id INTEGER PRIMARY KEY,
    organization_id INTEGER NOT NULL REFERENCES organizations(id),
    from_stage TEXT,
    stage TEXT NOT NULL,
    at INTEGER NOT NULL,
    actor TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX social_org_stages_org ON social_org_stages(organization_id, id);

CREATE TABLE social_org_services (
    id INTEGER PRIMARY KEY,
    organization_id INTEGER NOT NULL REFERENCES organizations(id),
    name TEXT NOT NULL,
    target TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL
);
CREATE INDEX social_org_services_org ON social_org_services(organization_id, id);

CREATE TABLE co_building_units (
    id INTEGER PRIMARY KEY,
    region_code TEXT NOT NULL REFERENCES regions(code),
    organization_id INTEGER REFERENCES organizations(id),
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    contact_name TEXT NOT NULL DEFAULT '',
    contact_phone_enc TEXT,
    contact_phone_masked TEXT,
    paired_on TEXT,
    note TEXT NOT NULL DEFAULT '',
    active INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX co_building_units_name ON co_building_units(region_code, name);

CREATE TABLE co_building_commitments (
    id INTEGER PRIMARY KEY,
    unit_id INTEGER NOT NULL REFERENCES co_building_units(id),
    year INTEGER NOT NULL,
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    target_x100 INTEGER NOT NULL,
    done_x100 INTEGER NOT NULL DEFAULT 0,
    version INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX co_building_commitments_unit ON co_building_commitments(unit_id, year);

CREATE TABLE co_building_progress (
    id INTEGER PRIMARY KEY,
    commitment_id INTEGER NOT NULL REFERENCES co_building_commitments(id),
    at INTEGER NOT NULL,
    amount_x100 INTEGER NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    actor TEXT NOT NULL
);
CREATE INDEX co_building_progress_commitment ON co_building_progress(commitment_id, id);

CREATE TABLE co_building_days (
    id INTEGER PRIMARY KEY,
    region_code TEXT NOT NULL REFERENCES regions(code),
    held_on TEXT NOT NULL,
    theme TEXT NOT NULL,
    content TEXT NOT NULL,
    -- 难点问题 solved that day, one per line.
    problems TEXT NOT NULL DEFAULT '',
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX co_building_days_region ON co_building_days(region_code, held_on);

CREATE TABLE co_building_day_units (
    day_id INTEGER NOT NULL REFERENCES co_building_days(id),
    unit_id INTEGER NOT NULL REFERENCES co_building_units(id),
    PRIMARY KEY (day_id, unit_id)
);

CREATE TABLE volunteers (
    id INTEGER PRIMARY KEY,
    region_code TEXT NOT NULL REFERENCES regions(code),
    person_id INTEGER REFERENCES people(id),
    user_id INTEGER REFERENCES users(id),
    name TEXT NOT NULL,
    -- JSON array of skills.
    skills TEXT NOT NULL DEFAULT '[]',
    availability TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'active',
    -- Cumulative minutes earned (stars) and the time bank's balance: kept with each ledger line, in its
    -- transaction, and always equal to the ledger's sums.
    earned_minutes INTEGER NOT NULL DEFAULT 0,
    balance_minutes INTEGER NOT NULL DEFAULT 0,
    registered_by TEXT NOT NULL,
    registered_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX volunteers_person ON volunteers(region_code, person_id);
CREATE UNIQUE INDEX volunteers_user ON volunteers(region_code, user_id);

CREATE TABLE volunteer_teams (
    id INTEGER PRIMARY KEY,
    region_code TEXT NOT NULL REFERENCES regions(code),
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    leader_id INTEGER REFERENCES volunteers(id),
    created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX volunteer_teams_name ON volunteer_teams(region_code, name);

CREATE TABLE volunteer_team_members (
    team_id INTEGER NOT NULL REFERENCES volunteer_teams(id),
    volunteer_id INTEGER NOT NULL REFERENCES volunteers(id),
    PRIMARY KEY (team_id, volunteer_id)
);

CREATE TABLE volunteer_activities (
    id INTEGER PRIMARY KEY,
    region_code TEXT NOT NULL REFERENCES regions(code),
    team_id INTEGER REFERENCES volunteer_teams(id),
    title TEXT NOT NULL,
    needs TEXT NOT NULL DEFAULT '',
    place TEXT NOT NULL,
    starts_at INTEGER NOT NULL,
    ends_at INTEGER NOT NULL,
    capacity INTEGER NOT NULL,
    status TEXT NOT NULL DEFAULT 'open',
    public INTEGER NOT NULL DEFAULT 1,
    organiser TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX volunteer_activities_region ON volunteer_activities(region_code, starts_at);

CREATE TABLE volunteer_signups (
    id INTEGER PRIMARY KEY,
    activity_id INTEGER NOT NULL REFERENCES volunteer_activities(id),
    volunteer_id INTEGER NOT NULL REFERENCES volunteers(id),
    status TEXT NOT NULL,
    signed_up_at INTEGER NOT NULL,
    checked_in_at INTEGER,
    checked_out_at INTEGER,
    minutes INTEGER,
    version INTEGER NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX volunteer_signups_once ON volunteer_signups(activity_id, volunteer_id);
CREATE INDEX volunteer_signups_volunteer ON volunteer_signups(volunteer_id, id);

-- The 时间银行: append-only; a line is never changed or removed.
CREATE TABLE time_bank_entries (
    id INTEGER PRIMARY KEY,
    volunteer_id INTEGER NOT NULL REFERENCES volunteers(id),
    at INTEGER NOT NULL,
    kind TEXT NOT NULL,
    minutes INTEGER NOT NULL,
    balance_after INTEGER NOT NULL,
    signup_id INTEGER REFERENCES volunteer_signups(id),
    service TEXT NOT NULL DEFAULT '',
    actor TEXT NOT NULL
);
CREATE INDEX time_bank_entries_volunteer ON time_bank_entries(volunteer_id, id);
-- A check-out credits its hours once.
CREATE UNIQUE INDEX time_bank_entries_signup ON time_bank_entries(signup_id);

CREATE TABLE volunteer_honours (
    id INTEGER PRIMARY KEY,
    volunteer_id INTEGER NOT NULL REFERENCES volunteers(id),
    level INTEGER NOT NULL,
    earned_minutes INTEGER NOT NULL,
    awarded_at INTEGER NOT NULL,
    awarded_by TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX volunteer_honours_level ON volunteer_honours(volunteer_id, level);

CREATE TABLE party_orgs (
    id INTEGER PRIMARY KEY,
    region_code TEXT NOT NULL REFERENCES regions(code),
    parent_id INTEGER REFERENCES party_orgs(id),
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    secretary TEXT NOT NULL DEFAULT '',
    founded_on TEXT,
    note TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX party_orgs_name ON party_orgs(region_code, name);

CREATE TABLE party_members (
    id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES people(id),
    -- The community (or street) whose party work the member belongs to: the branch's region, or for 在职党员 the
    -- residential community they report to (双报到), for 流动党员 where they live now.
    region_code TEXT NOT NULL REFERENCES regions(code),
    org_id INTEGER REFERENCES party_orgs(id),
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    joined_on TEXT,
    home_org TEXT NOT NULL DEFAULT '',
    employer TEXT NOT NULL DEFAULT '',
    employer_org TEXT NOT NULL DEFAULT '',
    commitment TEXT NOT NULL DEFAULT '',
    reported_on TEXT,
    active INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX party_members_person ON party_members(person_id);
CREATE INDEX party_members_region ON party_members(region_code, id);

CREATE TABLE party_activities (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES party_orgs(id),
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    held_at INTEGER NOT NULL,
    place TEXT NOT NULL DEFAULT '',
    summary TEXT NOT NULL DEFAULT '',
    public INTEGER NOT NULL DEFAULT 0,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX party_activities_org ON party_activities(org_id, held_at);

CREATE TABLE party_activity_attendance (
    activity_id INTEGER NOT NULL REFERENCES party_activities(id),
    member_id INTEGER NOT NULL REFERENCES party_members(id),
    signed_at INTEGER NOT NULL,
    PRIMARY KEY (activity_id, member_id)
);

CREATE TABLE party_service_records (
    id INTEGER PRIMARY KEY,
    member_id INTEGER NOT NULL REFERENCES party_members(id),
    served_on TEXT NOT NULL,
    minutes INTEGER NOT NULL,
    content TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX party_service_records_member ON party_service_records(member_id, served_on);
