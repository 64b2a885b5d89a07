-- Assessment (考核评价, issue #10): schemes as data, and communities' star assessments (星级社区) with the scores
-- entered at each step and the chain of actions. Grid workers' and departments' scores are not stored: they are
-- computed from the records they come from, so every number can show its records. Scores are hundredths of a
-- point (integers), so both backends compare them exactly.
CREATE TABLE assessment_schemes (
    code TEXT PRIMARY KEY,
    subject TEXT NOT NULL,
    name TEXT NOT NULL,
    -- The scheme as JSON (domain::assessment::Scheme).
    body TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1,
    updated_by TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- One per community and year.
CREATE TABLE star_assessments (
    id INTEGER PRIMARY KEY,
    community_code TEXT NOT NULL REFERENCES regions(code),
    year INTEGER NOT NULL,
    scheme_code TEXT NOT NULL REFERENCES assessment_schemes(code),
    status TEXT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    self_centi BIGINT,
    street_centi BIGINT,
    final_centi BIGINT,
    stars INTEGER NOT NULL DEFAULT 0,
    declared_at BIGINT,
    approved_at BIGINT,
    flag_reason TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (community_code, year)
);
CREATE INDEX star_assessments_year ON star_assessments(year, community_code);

-- A reviewed indicator's score at one step ('self' by the community, 'street' by the street), with evidence
-- (links to records, file references, text).
CREATE TABLE star_scores (
    assessment_id BIGINT NOT NULL REFERENCES star_assessments(id),
    stage TEXT NOT NULL,
    indicator_code TEXT NOT NULL,
    score_centi BIGINT NOT NULL,
    evidence TEXT NOT NULL DEFAULT '',
    entered_by TEXT NOT NULL,
    entered_at BIGINT NOT NULL,
    PRIMARY KEY (assessment_id, stage, indicator_code)
);

CREATE TABLE star_actions (
    id INTEGER PRIMARY KEY,
    assessment_id BIGINT NOT NULL REFERENCES star_assessments(id),
    at BIGINT NOT NULL,
    action TEXT NOT NULL,
    from_status TEXT NOT NULL,
    to_status TEXT NOT NULL,
    actor TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    score_centi BIGINT
);
CREATE INDEX star_actions_assessment ON star_actions(assessment_id, id);

-- Supervision cards and evaluations are found by action and time.
CREATE INDEX event_actions_action_at ON event_actions(action, at);
