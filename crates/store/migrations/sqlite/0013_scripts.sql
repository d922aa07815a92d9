-- Run-of-show scripts (plan §4.1.4): every save of a session's script is a new version, kept with
-- who saved it and when; the live panel records when each segment actually ran; reusable templates;
-- keyword auto-replies the room posts for the host.

CREATE TABLE script_versions (
    session_id    BIGINT NOT NULL REFERENCES live_sessions (id) ON DELETE CASCADE,
    version       BIGINT NOT NULL,
    segments      TEXT   NOT NULL,
    total_minutes BIGINT NOT NULL,
    note          TEXT   NOT NULL DEFAULT '',
    edited_by     BIGINT REFERENCES accounts (id),
    edited_at     BIGINT NOT NULL,
    PRIMARY KEY (session_id, version)
);

CREATE TABLE script_runs (
    id              INTEGER PRIMARY KEY,
    session_id      BIGINT NOT NULL REFERENCES live_sessions (id) ON DELETE CASCADE,
    position        BIGINT NOT NULL,
    kind            TEXT   NOT NULL,
    title           TEXT   NOT NULL,
    planned_minutes BIGINT NOT NULL,
    started_at      BIGINT NOT NULL,
    ended_at        BIGINT,
    started_by      BIGINT REFERENCES accounts (id)
);
CREATE INDEX script_runs_session ON script_runs (session_id, started_at);
-- At most one segment runs at a time in a session.
CREATE UNIQUE INDEX script_runs_open ON script_runs (session_id) WHERE ended_at IS NULL;

CREATE TABLE script_templates (
    id          INTEGER PRIMARY KEY,
    name        TEXT   NOT NULL,
    name_key    TEXT   NOT NULL UNIQUE,
    description TEXT   NOT NULL DEFAULT '',
    segments    TEXT   NOT NULL,
    updated_by  BIGINT REFERENCES accounts (id),
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);

CREATE TABLE auto_replies (
    id         INTEGER PRIMARY KEY,
    session_id BIGINT NOT NULL REFERENCES live_sessions (id) ON DELETE CASCADE,
    position   BIGINT NOT NULL,
    keywords   TEXT   NOT NULL,
    answer     TEXT   NOT NULL,
    enabled    INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1))
);
CREATE INDEX auto_replies_session ON auto_replies (session_id, position);
