-- Property-management companies (物业服务考评, issue #10): companies registered by a community or street for the
-- communities and grids (小区) they serve, the community's inspection scores per period with evidence, and the
-- residents' polls linked as the company's satisfaction survey. Scores are computed, never stored: each number
-- shows the inspections, polls and events it came from. Scores are hundredths of a point.
CREATE TABLE property_companies (
    id INTEGER PRIMARY KEY,
    -- The community or street that registered it: scope is decided here.
    region_code TEXT NOT NULL REFERENCES regions(code),
    name TEXT NOT NULL,
    credit_code TEXT NOT NULL,
    contact_name TEXT NOT NULL DEFAULT '',
    contact_phone TEXT NOT NULL DEFAULT '',
    version BIGINT NOT NULL DEFAULT 1,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (region_code, credit_code)
);

-- The communities and grids a company serves (within its region_code).
CREATE TABLE property_company_areas (
    company_id BIGINT NOT NULL REFERENCES property_companies(id),
    region_code TEXT NOT NULL REFERENCES regions(code),
    PRIMARY KEY (company_id, region_code)
);
CREATE INDEX property_company_areas_region ON property_company_areas(region_code);

-- One inspection item's score for a period (2026-Q3, 2026-09 or 2026), with its China-time day range so that a
-- longer period finds the shorter ones inside it.
CREATE TABLE property_inspections (
    company_id BIGINT NOT NULL REFERENCES property_companies(id),
    period TEXT NOT NULL,
    from_day TEXT NOT NULL,
    to_day TEXT NOT NULL,
    indicator_code TEXT NOT NULL,
    score_centi BIGINT NOT NULL,
    evidence TEXT NOT NULL,
    entered_by TEXT NOT NULL,
    entered_at BIGINT NOT NULL,
    PRIMARY KEY (company_id, period, indicator_code)
);

-- A poll's scale question that measures the company's residents' satisfaction for a period.
CREATE TABLE property_surveys (
    company_id BIGINT NOT NULL REFERENCES property_companies(id),
    period TEXT NOT NULL,
    from_day TEXT NOT NULL,
    to_day TEXT NOT NULL,
    poll_id BIGINT NOT NULL REFERENCES polls(id),
    question BIGINT NOT NULL,
    linked_by TEXT NOT NULL,
    linked_at BIGINT NOT NULL,
    PRIMARY KEY (company_id, period, poll_id, question)
);
