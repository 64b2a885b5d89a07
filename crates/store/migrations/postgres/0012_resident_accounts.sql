-- A resident's account is tied to the person of the register it was verified against (one account per person),
-- so a resident's reports, applications and votes are the person's, and one person cannot vote twice.
ALTER TABLE users ADD COLUMN person_id BIGINT REFERENCES people(id);
CREATE UNIQUE INDEX users_person ON users(person_id);
