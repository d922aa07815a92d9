-- Competitor watch (plan §2.2): competitor rooms and brands, and what was observed of their
-- sessions (entered by hand or imported from an export), to set beside ours over time.

CREATE TABLE competitors (
    id         INTEGER PRIMARY KEY,
    name       TEXT   NOT NULL,
    brand      TEXT   NOT NULL DEFAULT '',
    platform   TEXT   NOT NULL,
    room       TEXT   NOT NULL,
    category   TEXT   NOT NULL DEFAULT '',
    notes      TEXT   NOT NULL DEFAULT '',
    created_by BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (platform, room)
);

CREATE TABLE competitor_observations (
    id            INTEGER PRIMARY KEY,
    competitor_id BIGINT NOT NULL REFERENCES competitors (id) ON DELETE CASCADE,
    -- When the observed session started.
    started_at    BIGINT NOT NULL,
    title         TEXT   NOT NULL DEFAULT '',
    uv            BIGINT,
    pcu           BIGINT,
    gmv_fen       BIGINT,
    orders        BIGINT,
    avg_price_fen BIGINT,
    notes         TEXT   NOT NULL DEFAULT '',
    -- entered or import
    source        TEXT   NOT NULL,
    created_by    BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    created_at    BIGINT NOT NULL,
    UNIQUE (competitor_id, started_at)
);
