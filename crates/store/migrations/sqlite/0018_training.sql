-- Host training (plan §5.2): courses on the plan's topics with materials, enrolment, attendance
-- and completion; periodic assessments on a rubric with coaching items for the weak criteria.

CREATE TABLE courses (
    id          INTEGER PRIMARY KEY,
    title       TEXT   NOT NULL,
    title_key   TEXT   NOT NULL UNIQUE,
    topic       TEXT   NOT NULL,
    delivery    TEXT   NOT NULL,
    description TEXT   NOT NULL DEFAULT '',
    materials   TEXT   NOT NULL DEFAULT '[]',
    starts_at   BIGINT,
    ends_at     BIGINT,
    created_by  BIGINT REFERENCES accounts (id),
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);

CREATE TABLE enrolments (
    course_id    BIGINT NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    host_id      BIGINT NOT NULL REFERENCES accounts (id),
    enrolled_at  BIGINT NOT NULL,
    attended_at  BIGINT,
    completed_at BIGINT,
    PRIMARY KEY (course_id, host_id)
);
CREATE INDEX enrolments_host ON enrolments (host_id);

CREATE TABLE assessments (
    id          INTEGER PRIMARY KEY,
    host_id     BIGINT NOT NULL REFERENCES accounts (id),
    period      TEXT   NOT NULL,
    assessor_id BIGINT NOT NULL REFERENCES accounts (id),
    scores      TEXT   NOT NULL,
    overall     BIGINT NOT NULL,
    notes       TEXT   NOT NULL DEFAULT '',
    created_at  BIGINT NOT NULL,
    UNIQUE (host_id, period)
);

CREATE TABLE coaching_items (
    id            INTEGER PRIMARY KEY,
    assessment_id BIGINT NOT NULL REFERENCES assessments (id) ON DELETE CASCADE,
    host_id       BIGINT NOT NULL REFERENCES accounts (id),
    criterion     TEXT   NOT NULL,
    text          TEXT   NOT NULL,
    course_id     BIGINT REFERENCES courses (id) ON DELETE SET NULL,
    done_at       BIGINT,
    created_at    BIGINT NOT NULL
);
CREATE INDEX coaching_items_host ON coaching_items (host_id, done_at);
