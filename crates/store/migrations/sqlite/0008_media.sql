-- Video: each session's stream key (only its SHA-256 is kept; one active key per session) and the
-- publishes the media server reported (at most one active per session: the database refuses a
-- second encoder on the same session).

CREATE TABLE stream_keys (
    id         INTEGER PRIMARY KEY,
    session_id BIGINT NOT NULL REFERENCES live_sessions (id) ON DELETE CASCADE,
    key_hash   TEXT   NOT NULL UNIQUE,
    hint       TEXT   NOT NULL,
    created_by BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE UNIQUE INDEX stream_keys_active ON stream_keys (session_id) WHERE revoked_at IS NULL;

CREATE TABLE media_publishes (
    id          INTEGER PRIMARY KEY,
    session_id  BIGINT NOT NULL REFERENCES live_sessions (id) ON DELETE CASCADE,
    key_id      BIGINT NOT NULL REFERENCES stream_keys (id) ON DELETE CASCADE,
    client_id   TEXT   NOT NULL,
    client_addr TEXT   NOT NULL,
    started_at  BIGINT NOT NULL,
    ended_at    BIGINT,
    end_reason  TEXT
);
CREATE UNIQUE INDEX media_publishes_active ON media_publishes (session_id) WHERE ended_at IS NULL;
CREATE INDEX media_publishes_session ON media_publishes (session_id, started_at);

-- Simulcast: a channel account's RTMP push URL and stream key, sealed with the node's secret key
-- (never shown back in full: the hints are), and per session the channels its stream goes out to,
-- with each relay's state.
ALTER TABLE channels ADD COLUMN push_url_sealed TEXT;
ALTER TABLE channels ADD COLUMN push_key_sealed TEXT;
ALTER TABLE channels ADD COLUMN push_hint TEXT;

CREATE TABLE simulcast_targets (
    session_id INTEGER NOT NULL REFERENCES live_sessions (id) ON DELETE CASCADE,
    channel    TEXT    NOT NULL REFERENCES channels (code),
    wanted     INTEGER NOT NULL CHECK (wanted IN (0, 1)),
    state      TEXT    NOT NULL CHECK (state IN ('stopped', 'waiting', 'pushing', 'retrying', 'failed')),
    last_error TEXT,
    attempts   BIGINT  NOT NULL DEFAULT 0,
    since      BIGINT  NOT NULL,
    updated_at BIGINT  NOT NULL,
    PRIMARY KEY (session_id, channel)
);

-- Recordings: each publish's recording (nginx writes FLV, sellstream keeps an MP4 of it), kept
-- until expires_at (the retention setting; 3 years by default).
CREATE TABLE recordings (
    id          INTEGER PRIMARY KEY,
    session_id  BIGINT NOT NULL REFERENCES live_sessions (id) ON DELETE CASCADE,
    file        TEXT   NOT NULL UNIQUE,
    started_at  BIGINT NOT NULL,
    duration_ms BIGINT NOT NULL,
    bytes       BIGINT NOT NULL,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX recordings_session ON recordings (session_id, started_at);
CREATE INDEX recordings_expiry ON recordings (expires_at);
