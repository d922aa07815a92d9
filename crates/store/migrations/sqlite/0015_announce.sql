-- Pre-announcements (plan §4.2.5): viewers ask to be reminded of a scheduled session, tracking
-- links per channel of promotion count who came through them, and an outbox delivers the
-- reminders when the session starts (in-app, webhooks, email and SMS senders).

CREATE TABLE reminders (
    session_id  BIGINT NOT NULL REFERENCES live_sessions (id) ON DELETE CASCADE,
    account_id  BIGINT NOT NULL REFERENCES accounts (id),
    link_id     BIGINT,
    created_at  BIGINT NOT NULL,
    notified_at BIGINT,
    PRIMARY KEY (session_id, account_id)
);
CREATE INDEX reminders_account ON reminders (account_id);

CREATE TABLE promo_links (
    id         INTEGER PRIMARY KEY,
    session_id BIGINT NOT NULL REFERENCES live_sessions (id) ON DELETE CASCADE,
    code       TEXT   NOT NULL UNIQUE,
    label      TEXT   NOT NULL,
    label_key  TEXT   NOT NULL,
    clicks     BIGINT NOT NULL DEFAULT 0,
    created_by BIGINT REFERENCES accounts (id),
    created_at BIGINT NOT NULL,
    UNIQUE (session_id, label_key)
);

CREATE TABLE webhooks (
    id         INTEGER PRIMARY KEY,
    url        TEXT   NOT NULL UNIQUE,
    secret     TEXT   NOT NULL,
    enabled    INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    created_at BIGINT NOT NULL
);

-- One row per message to deliver. state: pending → sending (leased until next_attempt_at) →
-- sent, or back to pending with a later next_attempt_at, or failed after the last attempt.
CREATE TABLE notifications (
    id              INTEGER PRIMARY KEY,
    topic           TEXT   NOT NULL,
    channel         TEXT   NOT NULL,
    session_id      BIGINT REFERENCES live_sessions (id) ON DELETE CASCADE,
    account_id      BIGINT REFERENCES accounts (id),
    webhook_id      BIGINT REFERENCES webhooks (id) ON DELETE CASCADE,
    target          TEXT   NOT NULL DEFAULT '',
    title           TEXT   NOT NULL,
    body            TEXT   NOT NULL,
    payload         TEXT   NOT NULL,
    state           TEXT   NOT NULL DEFAULT 'pending',
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    last_error      TEXT,
    created_at      BIGINT NOT NULL,
    sent_at         BIGINT,
    read_at         BIGINT
);
CREATE INDEX notifications_due ON notifications (state, next_attempt_at);
CREATE INDEX notifications_inbox ON notifications (account_id, channel, created_at);
