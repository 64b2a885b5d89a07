-- Person indicators (GB/T 30428.4 岗位: 监督员/网格员 and handlers): counters per signed-in user × grid × month,
-- kept in the same transaction as each action like event_stats_day/event_stats_month. The grid is the event's,
-- so a region's people are read by grid prefix. Reporters without an account are not persons. Counting starts
-- with this migration: earlier events are not back-filled (on-time verification cannot be rebuilt from history).
CREATE TABLE event_stats_person (
    user_id BIGINT NOT NULL REFERENCES users(id),
    grid_code TEXT COLLATE "C" NOT NULL,
    month TEXT NOT NULL,
    reported BIGINT NOT NULL DEFAULT 0,
    valid BIGINT NOT NULL DEFAULT 0,
    self_handled BIGINT NOT NULL DEFAULT 0,
    verified BIGINT NOT NULL DEFAULT 0,
    verified_on_time BIGINT NOT NULL DEFAULT 0,
    handled BIGINT NOT NULL DEFAULT 0,
    handled_on_time BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, grid_code, month)
);
CREATE INDEX event_stats_person_month ON event_stats_person(month, grid_code);
