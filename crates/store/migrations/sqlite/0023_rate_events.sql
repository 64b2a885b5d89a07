-- Rate limits (issue #12): failed logins, failed resident proofs and public posts, one row per counted attempt,
-- kept in the database so that every app node counts the same attempts (a process-local counter let N nodes
-- allow N times the limit, and forgot everything on restart). An attempt is written before it is checked, so
-- parallel attempts see each other; a successful one deletes its rows by `attempt`. Rows older than an hour
-- are swept by the minute's housekeeping.
CREATE TABLE rate_events (
    key TEXT NOT NULL, -- "u:USERNAME", "ip:ADDRESS", "signup:ADDRESS", "post:ADDRESS"
    at INTEGER NOT NULL,
    attempt TEXT NOT NULL -- random, shared by the rows of one attempt
);
CREATE INDEX rate_events_key ON rate_events(key, at);
CREATE INDEX rate_events_at ON rate_events(at);
CREATE INDEX rate_events_attempt ON rate_events(attempt);
