-- One-window resident services (issue #8): the service catalogue (categories and items, data), applications (办件)
-- with their steps, the tracking-number sequences, each station's opening hours (错时/延时) and appointments with
-- the load of every slot, the admission list of what departments may push onto communities (准入制) and the tasks
-- pushed; in-app notifications ride on the outbox, and application materials on attachments.

CREATE TABLE service_categories (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    name_en TEXT NOT NULL DEFAULT '',
    sort INTEGER NOT NULL DEFAULT 0,
    active INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE service_items (
    code TEXT PRIMARY KEY,
    category_code TEXT NOT NULL REFERENCES service_categories(code),
    name TEXT NOT NULL,
    name_en TEXT NOT NULL DEFAULT '',
    -- JSON [{"name", "required", "note"}]
    materials TEXT NOT NULL DEFAULT '[]',
    eligibility TEXT NOT NULL DEFAULT '',
    basis TEXT NOT NULL DEFAULT '',
    -- Working days; 0 = 即办件.
    time_limit_days INTEGER NOT NULL,
    -- The back office; NULL: the station handles it itself.
    department_code TEXT REFERENCES departments(code),
    online INTEGER NOT NULL DEFAULT 0,
    active INTEGER NOT NULL DEFAULT 1,
    sort INTEGER NOT NULL DEFAULT 0,
    updated_at INTEGER NOT NULL
);
CREATE INDEX service_items_category ON service_items(category_code, sort);

CREATE TABLE service_applications (
    id INTEGER PRIMARY KEY,
    tracking_no TEXT NOT NULL,
    item_code TEXT NOT NULL REFERENCES service_items(code),
    department_code TEXT,
    person_id INTEGER NOT NULL REFERENCES people(id),
    applicant_name TEXT NOT NULL,
    applicant_user_id INTEGER,
    grid_code TEXT NOT NULL REFERENCES regions(code),
    community_code TEXT NOT NULL,
    channel TEXT NOT NULL,
    window_label TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL,
    -- 1 while not final: the queues walk (department or station, is_open, due_at).
    is_open INTEGER NOT NULL DEFAULT 1,
    resume_to TEXT,
    version INTEGER NOT NULL DEFAULT 1,
    -- JSON [{"name", "required", "received", "attachments": [id…]}]
    materials TEXT NOT NULL DEFAULT '[]',
    note TEXT NOT NULL DEFAULT '',
    first_user_id INTEGER,
    first_username TEXT NOT NULL DEFAULT '',
    first_name TEXT NOT NULL DEFAULT '',
    handler TEXT NOT NULL DEFAULT '',
    submitted_at INTEGER NOT NULL,
    accepted_at INTEGER,
    due_at INTEGER NOT NULL,
    paused_at INTEGER,
    warned_at INTEGER,
    escalated_at INTEGER,
    decided_at INTEGER,
    finished_at INTEGER,
    result TEXT NOT NULL DEFAULT '',
    satisfaction INTEGER,
    rating_note TEXT NOT NULL DEFAULT '',
    rated_at INTEGER,
    updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX service_applications_tracking ON service_applications(tracking_no);
CREATE INDEX service_applications_dept_queue ON service_applications(department_code, is_open, due_at, id);
CREATE INDEX service_applications_station_queue ON service_applications(grid_code, is_open, due_at, id);
CREATE INDEX service_applications_grid ON service_applications(grid_code, id);
CREATE INDEX service_applications_person ON service_applications(person_id, id);
CREATE INDEX service_applications_first ON service_applications(first_user_id, id);
CREATE INDEX service_applications_due ON service_applications(is_open, due_at);
CREATE INDEX service_applications_submitted ON service_applications(submitted_at);

CREATE TABLE service_steps (
    id INTEGER PRIMARY KEY,
    application_id INTEGER NOT NULL REFERENCES service_applications(id),
    action TEXT NOT NULL,
    from_status TEXT NOT NULL DEFAULT '',
    to_status TEXT NOT NULL DEFAULT '',
    actor TEXT NOT NULL,
    at INTEGER NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    data TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX service_steps_application ON service_steps(application_id, id);

-- The last sequence number given per tracking-number prefix (station + day).
CREATE TABLE service_sequences (
    prefix TEXT PRIMARY KEY,
    n INTEGER NOT NULL
);

CREATE TABLE service_hours (
    id INTEGER PRIMARY KEY,
    region_code TEXT NOT NULL REFERENCES regions(code),
    weekday INTEGER NOT NULL,
    start_time TEXT NOT NULL,
    end_time TEXT NOT NULL,
    kind TEXT NOT NULL,
    slot_minutes INTEGER NOT NULL,
    capacity INTEGER NOT NULL
);
CREATE INDEX service_hours_region ON service_hours(region_code, weekday);

CREATE TABLE service_appointments (
    id INTEGER PRIMARY KEY,
    region_code TEXT NOT NULL REFERENCES regions(code),
    item_code TEXT REFERENCES service_items(code),
    person_id INTEGER NOT NULL REFERENCES people(id),
    booked_by TEXT NOT NULL,
    slot_start INTEGER NOT NULL,
    slot_end INTEGER NOT NULL,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    version INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
-- One person, one booking per slot.
CREATE UNIQUE INDEX service_appointments_once ON service_appointments(person_id, slot_start) WHERE status = 'booked';
CREATE INDEX service_appointments_region ON service_appointments(region_code, slot_start);

-- How many bookings each slot holds; a booking raises it only below the slot's capacity.
CREATE TABLE service_slot_load (
    region_code TEXT NOT NULL,
    slot_start INTEGER NOT NULL,
    booked INTEGER NOT NULL,
    PRIMARY KEY (region_code, slot_start)
);

CREATE TABLE admission_items (
    id INTEGER PRIMARY KEY,
    department_code TEXT NOT NULL REFERENCES departments(code),
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    -- The area whose communities it applies to.
    region_code TEXT NOT NULL REFERENCES regions(code),
    -- The approving document (文件名称及文号) and the day it takes effect.
    basis TEXT NOT NULL,
    approved_on TEXT NOT NULL,
    -- 费随事转: funding per community per year, and how it is paid.
    funding_fen INTEGER,
    funding_note TEXT NOT NULL DEFAULT '',
    active INTEGER NOT NULL DEFAULT 1,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX admission_items_code ON admission_items(department_code, code, region_code);

CREATE TABLE community_tasks (
    id INTEGER PRIMARY KEY,
    -- task | data_request (一表通, issue #13): anything pushed onto a community is checked against the list.
    kind TEXT NOT NULL DEFAULT 'task',
    department_code TEXT NOT NULL REFERENCES departments(code),
    item_code TEXT NOT NULL,
    admission_item_id INTEGER REFERENCES admission_items(id),
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    community_code TEXT NOT NULL REFERENCES regions(code),
    due_on TEXT,
    status TEXT NOT NULL,
    refusal TEXT NOT NULL DEFAULT '',
    pushed_by TEXT NOT NULL,
    pushed_at INTEGER NOT NULL,
    accepted_by TEXT NOT NULL DEFAULT '',
    accepted_at INTEGER,
    completed_by TEXT NOT NULL DEFAULT '',
    completed_at INTEGER,
    result TEXT NOT NULL DEFAULT '',
    version INTEGER NOT NULL DEFAULT 1,
    updated_at INTEGER NOT NULL
);
CREATE INDEX community_tasks_community ON community_tasks(community_code, id);
CREATE INDEX community_tasks_department ON community_tasks(department_code, id);
CREATE INDEX community_tasks_pushed ON community_tasks(pushed_at);

-- In-app notifications are outbox rows addressed to a user (channel 'inbox'); the applicant's SMS ones keep the
-- encrypted phone. No foreign keys: a restore writes these tables before the users and applications they name.
ALTER TABLE outbox ADD COLUMN recipient_user_id BIGINT;
ALTER TABLE outbox ADD COLUMN link TEXT;
ALTER TABLE outbox ADD COLUMN read_at BIGINT;
CREATE INDEX outbox_recipient ON outbox(recipient_user_id, id);
ALTER TABLE attachments ADD COLUMN application_id BIGINT;
CREATE INDEX attachments_application ON attachments(application_id);
