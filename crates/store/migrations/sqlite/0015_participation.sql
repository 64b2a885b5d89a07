-- Participation and transparency (issue #9): notices with their history, the co-building fund ledger (append-only:
-- corrections are reversing entries; decisions are rows of their own), and polls whose ballots are counted into
-- tallies and free texts that no row ties to a voter.

CREATE TABLE notices (
    id INTEGER PRIMARY KEY,
    -- A community, or a street or district whose notice shows on each of its communities' portals.
    region_code TEXT NOT NULL REFERENCES regions(code),
    category TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL,
    pinned INTEGER NOT NULL DEFAULT 0,
    -- The last day it shows on the portal (China time, YYYY-MM-DD); NULL: until withdrawn.
    expires_on TEXT,
    -- Attachment ids, JSON.
    attachments TEXT NOT NULL DEFAULT '[]',
    published_at INTEGER,
    version INTEGER NOT NULL DEFAULT 1,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX notices_region ON notices(region_code, status);

-- Every change of a notice with what it said afterwards: the public sees when each published text was published.
CREATE TABLE notice_revisions (
    id INTEGER PRIMARY KEY,
    notice_id INTEGER NOT NULL REFERENCES notices(id),
    at INTEGER NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    status TEXT NOT NULL,
    category TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    attachments TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX notice_revisions_notice ON notice_revisions(notice_id, id);

-- Which notice or ledger entry claimed an upload (so no event, visit or other record can claim it again, and it is
-- served to whoever may see its owner).
CREATE TABLE participation_files (
    attachment_id INTEGER PRIMARY KEY REFERENCES attachments(id),
    owner_kind TEXT NOT NULL,
    owner_id INTEGER NOT NULL,
    region_code TEXT NOT NULL
);
CREATE INDEX participation_files_owner ON participation_files(owner_kind, owner_id);

CREATE TABLE ledger_entries (
    id INTEGER PRIMARY KEY,
    -- The community whose fund it is.
    region_code TEXT NOT NULL REFERENCES regions(code),
    direction TEXT NOT NULL,
    category TEXT NOT NULL,
    -- Fen; negative on a reversing entry (红字冲销).
    amount_fen INTEGER NOT NULL,
    occurred_on TEXT NOT NULL,
    year INTEGER NOT NULL,
    counterparty TEXT NOT NULL DEFAULT '',
    summary TEXT NOT NULL,
    reverses_id INTEGER REFERENCES ledger_entries(id),
    -- '<original id>:<attempt>': two reversals of one entry at once cannot both be written.
    reversal_key TEXT UNIQUE,
    entered_by TEXT NOT NULL,
    entered_at INTEGER NOT NULL
);
CREATE INDEX ledger_entries_region ON ledger_entries(region_code, year, id);
CREATE INDEX ledger_entries_reverses ON ledger_entries(reverses_id);

-- One decision per entry (approve or reject), by someone other than who entered it.
CREATE TABLE ledger_decisions (
    entry_id INTEGER PRIMARY KEY REFERENCES ledger_entries(id),
    decision TEXT NOT NULL,
    decided_by TEXT NOT NULL,
    decided_at INTEGER NOT NULL,
    note TEXT NOT NULL DEFAULT ''
);

CREATE TRIGGER ledger_entries_no_update BEFORE UPDATE ON ledger_entries
BEGIN SELECT RAISE(ABORT, 'ledger_entries is append-only'); END;
CREATE TRIGGER ledger_entries_no_delete BEFORE DELETE ON ledger_entries
BEGIN SELECT RAISE(ABORT, 'ledger_entries is append-only'); END;
CREATE TRIGGER ledger_decisions_no_update BEFORE UPDATE ON ledger_decisions
BEGIN SELECT RAISE(ABORT, 'ledger_decisions is append-only'); END;
CREATE TRIGGER ledger_decisions_no_delete BEFORE DELETE ON ledger_decisions
BEGIN SELECT RAISE(ABORT, 'ledger_decisions is append-only'); END;
CREATE TRIGGER participation_files_no_update BEFORE UPDATE ON participation_files
BEGIN SELECT RAISE(ABORT, 'participation_files is append-only'); END;
CREATE TRIGGER participation_files_no_delete BEFORE DELETE ON participation_files
BEGIN SELECT RAISE(ABORT, 'participation_files is append-only'); END;

CREATE TABLE polls (
    id INTEGER PRIMARY KEY,
    -- Who may vote: residents living in this subtree (a grid, community, street or district).
    region_code TEXT NOT NULL REFERENCES regions(code),
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    -- The questions, JSON (domain::participation::Question).
    questions TEXT NOT NULL,
    status TEXT NOT NULL,
    min_age INTEGER,
    closes_at INTEGER,
    opened_at INTEGER,
    closed_at INTEGER,
    results_public INTEGER NOT NULL DEFAULT 1,
    version INTEGER NOT NULL DEFAULT 1,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX polls_region ON polls(region_code, status);

-- Who voted, as a keyed hash of person and poll (one person one vote); nothing else about the ballot.
CREATE TABLE poll_voters (
    poll_id INTEGER NOT NULL REFERENCES polls(id),
    voter_key TEXT NOT NULL,
    PRIMARY KEY (poll_id, voter_key)
) WITHOUT ROWID;

-- Counts per voter's community, channel (online | paper), question and choice; question -1 counts ballots,
-- choice -1 counts answers to the question.
CREATE TABLE poll_tallies (
    poll_id INTEGER NOT NULL REFERENCES polls(id),
    community_code TEXT NOT NULL,
    channel TEXT NOT NULL,
    question INTEGER NOT NULL,
    choice INTEGER NOT NULL,
    n INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (poll_id, community_code, channel, question, choice)
) WITHOUT ROWID;

-- Free-text answers under a random token (stored and read in token order, not in the order they came).
CREATE TABLE poll_texts (
    token TEXT PRIMARY KEY,
    poll_id INTEGER NOT NULL REFERENCES polls(id),
    question INTEGER NOT NULL,
    community_code TEXT NOT NULL,
    body TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX poll_texts_poll ON poll_texts(poll_id, question, token);
