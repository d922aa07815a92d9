-- Other platforms' exports (plan §3.2 (5), §9.1): saved column mappings, each imported file, and
-- the sessions they hold, one row per platform, room and start.

CREATE TABLE import_mappings (
    platform   TEXT   NOT NULL,
    kind       TEXT   NOT NULL,
    -- JSON {field: [header names]}: the fields that differ from the starter mapping.
    columns    TEXT   NOT NULL,
    updated_by BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (platform, kind)
);

CREATE TABLE platform_imports (
    id         INTEGER PRIMARY KEY,
    platform   TEXT   NOT NULL,
    kind       TEXT   NOT NULL,
    file_name  TEXT   NOT NULL,
    -- The same file twice is one import.
    sha256     TEXT   NOT NULL UNIQUE,
    format     TEXT   NOT NULL,
    encoding   TEXT   NOT NULL,
    rows       BIGINT NOT NULL,
    imported   BIGINT NOT NULL,
    rejected   BIGINT NOT NULL,
    added      BIGINT NOT NULL,
    updated    BIGINT NOT NULL,
    -- JSON [{row, errors}] of the rows left out.
    report     TEXT   NOT NULL,
    by_id      BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE platform_sessions (
    id            INTEGER PRIMARY KEY,
    platform      TEXT   NOT NULL,
    room          TEXT   NOT NULL,
    title         TEXT   NOT NULL,
    host          TEXT,
    started_at    BIGINT NOT NULL,
    duration_ms   BIGINT,
    uv            BIGINT,
    pv            BIGINT,
    pcu           BIGINT,
    avg_watch_ms  BIGINT,
    new_followers BIGINT,
    comments      BIGINT,
    gmv_fen       BIGINT,
    orders        BIGINT,
    buyers        BIGINT,
    conversion    REAL,
    refund_fen    BIGINT,
    import_id     BIGINT NOT NULL REFERENCES platform_imports (id),
    updated_at    BIGINT NOT NULL,
    UNIQUE (platform, room, started_at)
);
CREATE INDEX platform_sessions_started ON platform_sessions (started_at);

-- Product-level exports: one product of one session.
CREATE TABLE platform_products (
    id           INTEGER PRIMARY KEY,
    platform     TEXT   NOT NULL,
    room         TEXT   NOT NULL,
    started_at   BIGINT NOT NULL,
    product      TEXT   NOT NULL,
    product_code TEXT,
    exposures    BIGINT,
    clicks       BIGINT,
    units        BIGINT,
    orders       BIGINT,
    buyers       BIGINT,
    gmv_fen      BIGINT,
    explain_ms   BIGINT,
    import_id    BIGINT NOT NULL REFERENCES platform_imports (id),
    updated_at   BIGINT NOT NULL,
    UNIQUE (platform, room, started_at, product)
);
CREATE INDEX platform_products_started ON platform_products (started_at);
