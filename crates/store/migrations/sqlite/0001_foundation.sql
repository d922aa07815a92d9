-- Foundation: accounts and roles, sign-in sessions, brand settings, channels, products and SKUs,
-- live sessions and their shopping bags. Times are UTC milliseconds; money is fen.

CREATE TABLE accounts (
    id            INTEGER PRIMARY KEY,
    kind          TEXT    NOT NULL CHECK (kind IN ('staff', 'customer')),
    username      TEXT    UNIQUE,
    phone         TEXT    UNIQUE,
    email         TEXT    UNIQUE,
    nickname      TEXT    NOT NULL,
    password_hash TEXT    NOT NULL,
    disabled      INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    created_at    BIGINT  NOT NULL,
    updated_at    BIGINT  NOT NULL
);

CREATE TABLE account_roles (
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    role       TEXT   NOT NULL,
    PRIMARY KEY (account_id, role)
);
CREATE INDEX account_roles_role ON account_roles (role);

CREATE TABLE auth_sessions (
    token_hash   TEXT   PRIMARY KEY,
    account_id   BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    user_agent   TEXT,
    ip           TEXT
);
CREATE INDEX auth_sessions_account ON auth_sessions (account_id);
CREATE INDEX auth_sessions_expires ON auth_sessions (expires_at);

CREATE TABLE brand_settings (
    id         BIGINT PRIMARY KEY CHECK (id = 1),
    name       TEXT   NOT NULL,
    logo_url   TEXT,
    time_zone  TEXT   NOT NULL,
    currency   TEXT   NOT NULL,
    updated_at BIGINT NOT NULL
);
INSERT INTO brand_settings (id, name, logo_url, time_zone, currency, updated_at)
VALUES (1, 'sellstream', NULL, 'Asia/Shanghai', 'CNY', 0);

CREATE TABLE channels (
    code       TEXT   PRIMARY KEY,
    platform   TEXT   NOT NULL,
    name       TEXT   NOT NULL,
    created_at BIGINT NOT NULL
);
INSERT INTO channels (code, platform, name, created_at) VALUES ('own', 'own', 'Own live room', 0);

CREATE TABLE products (
    id          INTEGER PRIMARY KEY,
    title       TEXT    NOT NULL,
    description TEXT    NOT NULL DEFAULT '',
    images      TEXT    NOT NULL DEFAULT '[]',
    on_shelf    INTEGER NOT NULL DEFAULT 1 CHECK (on_shelf IN (0, 1)),
    created_at  BIGINT  NOT NULL,
    updated_at  BIGINT  NOT NULL
);
CREATE INDEX products_updated ON products (updated_at);

CREATE TABLE skus (
    id         INTEGER PRIMARY KEY,
    product_id BIGINT NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    code       TEXT   NOT NULL,
    attributes TEXT   NOT NULL DEFAULT '{}',
    price_fen  BIGINT NOT NULL CHECK (price_fen >= 0),
    stock      BIGINT NOT NULL CHECK (stock >= 0),
    position   BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CONSTRAINT skus_code_key UNIQUE (code)
);
CREATE INDEX skus_product ON skus (product_id);

CREATE TABLE live_sessions (
    id              INTEGER PRIMARY KEY,
    title           TEXT   NOT NULL,
    theme           TEXT   NOT NULL,
    channel         TEXT   NOT NULL REFERENCES channels (code),
    host_id         BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    scheduled_start BIGINT NOT NULL,
    scheduled_end   BIGINT NOT NULL,
    cover_url       TEXT,
    state           TEXT   NOT NULL CHECK (state IN ('scheduled', 'live', 'ended', 'cancelled')),
    started_at      BIGINT,
    ended_at        BIGINT,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    CHECK (scheduled_end > scheduled_start)
);
CREATE INDEX live_sessions_state_start ON live_sessions (state, scheduled_start);

CREATE TABLE session_bag (
    session_id BIGINT NOT NULL REFERENCES live_sessions (id) ON DELETE CASCADE,
    product_id BIGINT NOT NULL REFERENCES products (id),
    position   BIGINT NOT NULL,
    added_at   BIGINT NOT NULL,
    PRIMARY KEY (session_id, product_id)
);
CREATE INDEX session_bag_product ON session_bag (product_id);
