-- Dispute mediation (issue #7): the type taxonomy (data), disputes routed by difficulty to the community, street or
-- district, their parties (from the register or outsiders, numbers encrypted like residents'), and every step.

CREATE TABLE dispute_types (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    name_en TEXT NOT NULL DEFAULT '',
    active INTEGER NOT NULL DEFAULT 1,
    sort INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE disputes (
    id INTEGER PRIMARY KEY,
    grid_code TEXT NOT NULL REFERENCES regions(code),
    -- The region that mediates it now (community, street or district code) and its level.
    region_code TEXT NOT NULL,
    level TEXT NOT NULL,
    difficulty TEXT NOT NULL,
    type_code TEXT NOT NULL REFERENCES dispute_types(code),
    title TEXT NOT NULL,
    facts TEXT NOT NULL,
    amount_fen INTEGER,
    risk_escalation INTEGER NOT NULL DEFAULT 0,
    source TEXT NOT NULL,
    event_id INTEGER,
    status TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    mediator TEXT NOT NULL DEFAULT '',
    registered_by TEXT NOT NULL,
    registered_at INTEGER NOT NULL,
    accepted_at INTEGER,
    due_at INTEGER,
    agreed_at INTEGER,
    agreement TEXT NOT NULL DEFAULT '',
    follow_up_due_at INTEGER,
    followed_up_at INTEGER,
    fulfilled INTEGER,
    referral_target TEXT NOT NULL DEFAULT '',
    referral_outcome TEXT NOT NULL DEFAULT '',
    referral_resolved INTEGER,
    closed_at INTEGER,
    updated_at INTEGER NOT NULL
);
CREATE INDEX disputes_grid ON disputes(grid_code, id);
CREATE INDEX disputes_region ON disputes(region_code, status);
CREATE INDEX disputes_status_due ON disputes(status, due_at);

CREATE TABLE dispute_parties (
    id INTEGER PRIMARY KEY,
    dispute_id INTEGER NOT NULL REFERENCES disputes(id),
    role TEXT NOT NULL,
    person_id INTEGER REFERENCES people(id),
    name TEXT NOT NULL,
    phone_enc TEXT,
    phone_masked TEXT,
    id_number_enc TEXT,
    id_number_masked TEXT,
    address TEXT NOT NULL DEFAULT ''
);
CREATE INDEX dispute_parties_dispute ON dispute_parties(dispute_id);
CREATE INDEX dispute_parties_person ON dispute_parties(person_id);

CREATE TABLE dispute_actions (
    id INTEGER PRIMARY KEY,
    dispute_id INTEGER NOT NULL REFERENCES disputes(id),
    action TEXT NOT NULL,
    actor TEXT NOT NULL,
    at INTEGER NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    data TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX dispute_actions_dispute ON dispute_actions(dispute_id, id);
