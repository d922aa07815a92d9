-- Host recruitment (plan §5.1): candidates, three rounds scored by interviewers on the plan's
-- criteria, decisions with reasons, interviews, and a log of every change. Personal data is
-- anonymised, never deleted, once a candidate has history.

CREATE TABLE talent_config (
    id         BIGINT PRIMARY KEY CHECK (id = 1),
    criteria   TEXT   NOT NULL,
    thresholds TEXT   NOT NULL,
    updated_by BIGINT REFERENCES accounts (id),
    updated_at BIGINT NOT NULL
);

CREATE TABLE candidates (
    id              INTEGER PRIMARY KEY,
    name            TEXT   NOT NULL,
    phone           TEXT,
    email           TEXT,
    phone_key       TEXT   UNIQUE,
    email_key       TEXT   UNIQUE,
    cv_url          TEXT,
    video_url       TEXT,
    categories      TEXT   NOT NULL DEFAULT '[]',
    source          TEXT   NOT NULL DEFAULT '',
    consent_at      BIGINT NOT NULL,
    stage           TEXT   NOT NULL DEFAULT 'initial',
    host_account_id BIGINT REFERENCES accounts (id),
    anonymised_at   BIGINT,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX candidates_stage ON candidates (stage);

CREATE TABLE candidate_scores (
    candidate_id   BIGINT NOT NULL REFERENCES candidates (id),
    round          TEXT   NOT NULL,
    interviewer_id BIGINT NOT NULL REFERENCES accounts (id),
    scores         TEXT   NOT NULL,
    weighted       BIGINT NOT NULL,
    notes          TEXT   NOT NULL DEFAULT '',
    scored_at      BIGINT NOT NULL,
    PRIMARY KEY (candidate_id, round, interviewer_id)
);

CREATE TABLE candidate_decisions (
    id           INTEGER PRIMARY KEY,
    candidate_id BIGINT NOT NULL REFERENCES candidates (id),
    round        TEXT   NOT NULL,
    decision     TEXT   NOT NULL,
    reason       TEXT   NOT NULL,
    average      BIGINT NOT NULL,
    decided_by   BIGINT NOT NULL REFERENCES accounts (id),
    decided_at   BIGINT NOT NULL
);
CREATE INDEX candidate_decisions_candidate ON candidate_decisions (candidate_id);

CREATE TABLE interviews (
    id             INTEGER PRIMARY KEY,
    candidate_id   BIGINT NOT NULL REFERENCES candidates (id),
    round          TEXT   NOT NULL,
    interviewer_id BIGINT NOT NULL REFERENCES accounts (id),
    starts_at      BIGINT NOT NULL,
    ends_at        BIGINT NOT NULL,
    place          TEXT   NOT NULL DEFAULT '',
    created_by     BIGINT REFERENCES accounts (id),
    created_at     BIGINT NOT NULL
);
CREATE INDEX interviews_interviewer ON interviews (interviewer_id, starts_at);
CREATE INDEX interviews_candidate ON interviews (candidate_id, starts_at);

CREATE TABLE candidate_log (
    id           INTEGER PRIMARY KEY,
    candidate_id BIGINT NOT NULL REFERENCES candidates (id),
    action       TEXT   NOT NULL,
    detail       TEXT   NOT NULL,
    actor_id     BIGINT REFERENCES accounts (id),
    at           BIGINT NOT NULL
);
CREATE INDEX candidate_log_candidate ON candidate_log (candidate_id, at);
