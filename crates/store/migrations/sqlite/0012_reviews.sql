-- Post-live review notes (复盘) and their action items; open items follow the team to the next
-- sessions' plans until closed.

CREATE TABLE review_notes (
    session_id BIGINT PRIMARY KEY REFERENCES live_sessions (id) ON DELETE CASCADE,
    went_well  TEXT   NOT NULL DEFAULT '',
    to_improve TEXT   NOT NULL DEFAULT '',
    updated_by BIGINT REFERENCES accounts (id),
    updated_at BIGINT NOT NULL
);

CREATE TABLE review_actions (
    id         INTEGER PRIMARY KEY,
    session_id BIGINT NOT NULL REFERENCES live_sessions (id) ON DELETE CASCADE,
    text       TEXT   NOT NULL,
    owner_id   BIGINT NOT NULL REFERENCES accounts (id),
    due_on     TEXT   NOT NULL,
    done_at    BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX review_actions_session ON review_actions (session_id);
CREATE INDEX review_actions_open ON review_actions (due_on) WHERE done_at IS NULL;
