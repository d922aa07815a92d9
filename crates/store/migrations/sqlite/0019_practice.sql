-- Live practice (plan §5.2): a private session of a training course in the real room — staff
-- only, never listed to viewers, no orders — and the trainers' scorecards of the trainee's show.

ALTER TABLE live_sessions ADD COLUMN practice_course_id BIGINT REFERENCES courses (id);
CREATE INDEX live_sessions_practice ON live_sessions (practice_course_id);

CREATE TABLE practice_scorecards (
    id         INTEGER PRIMARY KEY,
    session_id BIGINT NOT NULL REFERENCES live_sessions (id) ON DELETE CASCADE,
    trainer_id BIGINT NOT NULL REFERENCES accounts (id),
    scores     TEXT   NOT NULL,
    -- Hundredths of a point, 100–1000.
    overall    BIGINT NOT NULL,
    notes      TEXT   NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (session_id, trainer_id)
);
