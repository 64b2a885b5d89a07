-- Who uploaded a file not yet tied to an event ('user:<id>' or 'public:<browser key>'): only the same uploader
-- may name it in a report or action, so nobody can attach (or, by claiming, take over) another person's upload
-- by guessing its sequential id. Files uploaded before this column existed cannot be claimed any more.
ALTER TABLE attachments ADD COLUMN uploader TEXT NOT NULL DEFAULT '';
