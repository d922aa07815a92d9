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

-- A channel is a platform account: its account name (as the platform shows it) and notes on its
-- audience, beside the push credentials set in 0008.
ALTER TABLE channels ADD COLUMN account TEXT NOT NULL DEFAULT '';
ALTER TABLE channels ADD COLUMN notes TEXT NOT NULL DEFAULT '';
