-- Organizations (组织: 企业, 学校, 医院, 社会组织, 机关事业单位, 个体工商户…) placed on houses, and so in grids.
-- The contact phone is personal data like a resident's: encrypted, with a blind index and a masked copy.
CREATE TABLE organizations (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    credit_code TEXT UNIQUE,              -- 统一社会信用代码 (GB 32100), upper case; NULL when not known
    legal_rep TEXT NOT NULL DEFAULT '',   -- 法定代表人 / 负责人
    phone_enc TEXT,
    phone_hash TEXT,
    phone_masked TEXT,
    employees INTEGER,
    house_id INTEGER NOT NULL REFERENCES houses(id),
    grid_code TEXT NOT NULL REFERENCES regions(code),
    status TEXT NOT NULL DEFAULT 'operating',
    note TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX organizations_grid ON organizations(grid_code, id);
CREATE INDEX organizations_house ON organizations(house_id);
CREATE INDEX organizations_phone ON organizations(phone_hash);
