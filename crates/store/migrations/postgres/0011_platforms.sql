-- Platform profiles for the platform-choice assistant (plan §3): a 1–5 score and a note per
-- criterion, and the sources they come from, as JSON. Starter profiles ship with the binary and
-- are added when missing; docs/platforms.md.

CREATE TABLE platform_profiles (
    platform   TEXT   PRIMARY KEY,
    name       TEXT   NOT NULL,
    scores     TEXT   NOT NULL,
    sources    TEXT   NOT NULL,
    updated_by BIGINT,
    updated_at BIGINT NOT NULL
);
