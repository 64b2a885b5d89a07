-- Failed logins and failed resident proofs (issue #12): kept in the database so that every app node counts
-- the same failures; a process-local counter let N nodes allow N times the limit. Rows older than the window
-- are swept when new ones are written.
CREATE TABLE login_failures (
    key TEXT COLLATE "C" NOT NULL, -- "u:USERNAME", "ip:ADDRESS", "signup:ADDRESS"
    at BIGINT NOT NULL
);
CREATE INDEX login_failures_key ON login_failures(key, at);
CREATE INDEX login_failures_at ON login_failures(at);
