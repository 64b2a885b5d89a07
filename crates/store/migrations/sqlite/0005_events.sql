-- Events (事件): the closed loop of DESIGN.md §6 with its categories, routing rules, working calendar,
-- timeline, attachments, rollups for the GB/T 30428.4 indicators and an outbox for reporters' notifications.
CREATE TABLE event_categories (
    code TEXT PRIMARY KEY,
    parent_code TEXT,
    name TEXT NOT NULL,
    name_en TEXT NOT NULL DEFAULT '',
    department_code TEXT NOT NULL DEFAULT '',
    triage TEXT NOT NULL,
    limits TEXT NOT NULL,
    fields TEXT NOT NULL DEFAULT '[]',
    active INTEGER NOT NULL DEFAULT 1,
    updated_at BIGINT NOT NULL
);

CREATE TABLE routing_rules (
    id INTEGER PRIMARY KEY,
    category_prefix TEXT NOT NULL,
    region_prefix TEXT NOT NULL,
    departments TEXT NOT NULL,
    triage TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE calendar_days (
    day TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT ''
);

CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    grid_code TEXT NOT NULL REFERENCES regions(code),
    category_code TEXT NOT NULL REFERENCES event_categories(code),
    description TEXT NOT NULL,
    address TEXT NOT NULL DEFAULT '',
    lat REAL NOT NULL,
    lon REAL NOT NULL,
    source TEXT NOT NULL,
    status TEXT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    triage TEXT NOT NULL,
    level TEXT NOT NULL,
    lead_department TEXT NOT NULL DEFAULT '',
    reporter_user_id BIGINT,
    reporter_name TEXT NOT NULL DEFAULT '',
    reporter_contact_enc TEXT,
    reporter_contact_masked TEXT,
    anonymous INTEGER NOT NULL DEFAULT 0,
    token_hash TEXT UNIQUE,
    external_id TEXT,
    attributes TEXT NOT NULL DEFAULT '{}',
    reported_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    registered_at BIGINT,
    handled_at BIGINT,
    closed_at BIGINT,
    due_at BIGINT,
    stage_due_at BIGINT,
    handle_due_at BIGINT,
    resume_status TEXT,
    suspended_at BIGINT,
    pending_postpone_hours BIGINT,
    postponed_hours BIGINT NOT NULL DEFAULT 0,
    card TEXT NOT NULL DEFAULT '',
    rework_count BIGINT NOT NULL DEFAULT 0,
    satisfaction BIGINT,
    escalated_at BIGINT,
    merged_into BIGINT
);
CREATE INDEX events_grid ON events(grid_code, id);
CREATE INDEX events_status_due ON events(status, stage_due_at);
CREATE INDEX events_nearby ON events(category_code, reported_at);
CREATE INDEX events_updated ON events(updated_at);

CREATE TABLE event_departments (
    event_id BIGINT NOT NULL REFERENCES events(id),
    department_code TEXT NOT NULL REFERENCES departments(code),
    lead INTEGER NOT NULL DEFAULT 0,
    dispatched_at BIGINT NOT NULL,
    PRIMARY KEY (event_id, department_code)
);
CREATE INDEX event_departments_dept ON event_departments(department_code, event_id);

CREATE TABLE event_actions (
    id INTEGER PRIMARY KEY,
    event_id BIGINT NOT NULL REFERENCES events(id),
    at BIGINT NOT NULL,
    action TEXT NOT NULL,
    from_status TEXT NOT NULL,
    to_status TEXT NOT NULL,
    actor TEXT NOT NULL,
    actor_role TEXT NOT NULL DEFAULT '',
    note TEXT NOT NULL DEFAULT '',
    data TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX event_actions_event ON event_actions(event_id, id);
CREATE INDEX event_actions_actor ON event_actions(actor, at);

CREATE TABLE attachments (
    id INTEGER PRIMARY KEY,
    event_id BIGINT REFERENCES events(id),
    action_id BIGINT REFERENCES event_actions(id),
    name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    path TEXT NOT NULL,
    thumb_path TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX attachments_event ON attachments(event_id);

-- Rollups kept in the same transaction as each action, so indicators over millions of events read
-- a few thousand rows. day/month are China-time 'YYYY-MM-DD' / 'YYYY-MM'.
CREATE TABLE event_stats_day (
    grid_code TEXT NOT NULL,
    day TEXT NOT NULL,
    reported BIGINT NOT NULL DEFAULT 0,
    valid BIGINT NOT NULL DEFAULT 0,
    registered BIGINT NOT NULL DEFAULT 0,
    closed BIGINT NOT NULL DEFAULT 0,
    closed_on_time BIGINT NOT NULL DEFAULT 0,
    dispatched BIGINT NOT NULL DEFAULT 0,
    handled BIGINT NOT NULL DEFAULT 0,
    handled_on_time BIGINT NOT NULL DEFAULT 0,
    rework BIGINT NOT NULL DEFAULT 0,
    postponed BIGINT NOT NULL DEFAULT 0,
    supervised BIGINT NOT NULL DEFAULT 0,
    satisfaction_sum BIGINT NOT NULL DEFAULT 0,
    evaluated BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (grid_code, day)
);
CREATE INDEX event_stats_day_day ON event_stats_day(day, grid_code);

-- dim is 'c:<category>' or 'd:<department>'.
CREATE TABLE event_stats_month (
    dim TEXT NOT NULL,
    grid_code TEXT NOT NULL,
    month TEXT NOT NULL,
    reported BIGINT NOT NULL DEFAULT 0,
    valid BIGINT NOT NULL DEFAULT 0,
    registered BIGINT NOT NULL DEFAULT 0,
    closed BIGINT NOT NULL DEFAULT 0,
    closed_on_time BIGINT NOT NULL DEFAULT 0,
    dispatched BIGINT NOT NULL DEFAULT 0,
    handled BIGINT NOT NULL DEFAULT 0,
    handled_on_time BIGINT NOT NULL DEFAULT 0,
    rework BIGINT NOT NULL DEFAULT 0,
    postponed BIGINT NOT NULL DEFAULT 0,
    supervised BIGINT NOT NULL DEFAULT 0,
    satisfaction_sum BIGINT NOT NULL DEFAULT 0,
    evaluated BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (dim, grid_code, month)
);
CREATE INDEX event_stats_month_month ON event_stats_month(month, dim);

-- Messages to reporters (tracking links); a gateway sends them, the outbox keeps them until sent.
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    at BIGINT NOT NULL,
    channel TEXT NOT NULL,
    recipient_enc TEXT NOT NULL,
    body TEXT NOT NULL,
    event_id BIGINT REFERENCES events(id),
    sent_at BIGINT
);
CREATE INDEX outbox_unsent ON outbox(sent_at, id);
