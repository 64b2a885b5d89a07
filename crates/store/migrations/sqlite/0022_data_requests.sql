-- 一表通 (issue #13): a department's table sent to communities with the register's data already in it. Each row
-- is one person, household or house; `prefill` is what the register knew when the table was sent (numbers only
-- masked: full ones are read from the register at download), `answers` what the grid worker added.
CREATE TABLE data_requests (
    id INTEGER PRIMARY KEY,
    title TEXT NOT NULL,
    department_code TEXT NOT NULL REFERENCES departments(code),
    item_code TEXT NOT NULL,
    region_code TEXT NOT NULL REFERENCES regions(code),
    population TEXT NOT NULL,            -- people | households | houses
    population_tag TEXT NOT NULL DEFAULT '',
    house_usage TEXT NOT NULL DEFAULT '',
    columns TEXT NOT NULL,               -- JSON [{key,label,extra,type,options,required}]
    layout TEXT NOT NULL DEFAULT '{}',   -- JSON {title_rows, header_row}: the requester's own template
    description TEXT NOT NULL DEFAULT '',
    due_on TEXT NOT NULL,
    month TEXT NOT NULL,                 -- YYYY-MM (China time) it was sent: the pre-fill report's month
    row_count INTEGER NOT NULL DEFAULT 0,
    prefilled_cells INTEGER NOT NULL DEFAULT 0,
    asked_cells INTEGER NOT NULL DEFAULT 0,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX data_requests_region ON data_requests(region_code, id);
CREATE INDEX data_requests_month ON data_requests(month);

CREATE TABLE data_request_rows (
    id INTEGER PRIMARY KEY,
    request_id INTEGER NOT NULL REFERENCES data_requests(id),
    community_code TEXT NOT NULL REFERENCES regions(code),
    grid_code TEXT NOT NULL REFERENCES regions(code),
    subject_id INTEGER NOT NULL,         -- the person, household or house
    person_id INTEGER,                   -- the person (households: the head) answers write back to
    label TEXT NOT NULL,
    prefill TEXT NOT NULL DEFAULT '{}',
    answers TEXT NOT NULL DEFAULT '{}',
    status TEXT NOT NULL DEFAULT 'pending', -- pending | answered
    late INTEGER NOT NULL DEFAULT 0,
    answered_by TEXT NOT NULL DEFAULT '',
    answered_at INTEGER,
    prefilled_cells INTEGER NOT NULL DEFAULT 0,
    asked_cells INTEGER NOT NULL DEFAULT 0,
    version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX data_request_rows_request ON data_request_rows(request_id, grid_code, id);
CREATE INDEX data_request_rows_grid ON data_request_rows(grid_code, status);

ALTER TABLE community_tasks ADD COLUMN data_request_id INTEGER REFERENCES data_requests(id);
