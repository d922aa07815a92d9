-- Analytics: one append-only event log fed by the viewers' pages (in batches), the room's log and
-- the orders' log (tailed with cursors), and rollups kept up to date from it in the same
-- transactions, so dashboards and reports never rescan events. Formulas: docs/metrics.md.
-- Rollups are WITHOUT ROWID here: an upsert touches one b-tree, not a table and its key index.

CREATE TABLE analytics_events (
    id         INTEGER PRIMARY KEY,
    session_id BIGINT   NOT NULL,
    kind       INTEGER NOT NULL,
    viewer     BIGINT   NOT NULL,
    product_id BIGINT,
    ref_id     BIGINT,
    units      BIGINT   NOT NULL DEFAULT 0,
    value      BIGINT   NOT NULL DEFAULT 0,
    flags      INTEGER NOT NULL DEFAULT 0,
    channel    TEXT,
    at         BIGINT   NOT NULL
);

-- Where each page-load (source) of events stands: a retried batch carries the same numbers.
-- Append-only here (a row each time a source moves on, written at the end of the table, not into
-- a key index at random); the writer keeps the latest per source in memory and reads the last
-- seven days back at start.
CREATE TABLE analytics_sources (
    source     TEXT   NOT NULL,
    last_seq   BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- How far each consumer has read its log: ('rollup', 0) over analytics_events, ('orders', 0) over
-- order_events, ('room', session) over room_events.
CREATE TABLE analytics_cursors (
    source TEXT   NOT NULL,
    key    BIGINT NOT NULL,
    pos    BIGINT NOT NULL,
    PRIMARY KEY (source, key)
) WITHOUT ROWID;

CREATE TABLE analytics_sessions (
    session_id     BIGINT NOT NULL,
    replay         INTEGER NOT NULL,
    online         BIGINT NOT NULL DEFAULT 0,
    pcu            BIGINT NOT NULL DEFAULT 0,
    first_at       BIGINT NOT NULL DEFAULT 0,
    last_at        BIGINT NOT NULL DEFAULT 0,
    entries        BIGINT NOT NULL DEFAULT 0,
    views          BIGINT NOT NULL DEFAULT 0,
    watch_ms       BIGINT NOT NULL DEFAULT 0,
    chats          BIGINT NOT NULL DEFAULT 0,
    likes          BIGINT NOT NULL DEFAULT 0,
    shares         BIGINT NOT NULL DEFAULT 0,
    follows        BIGINT NOT NULL DEFAULT 0,
    interactions   BIGINT NOT NULL DEFAULT 0,
    impressions    BIGINT NOT NULL DEFAULT 0,
    exposures      BIGINT NOT NULL DEFAULT 0,
    bag_opens      BIGINT NOT NULL DEFAULT 0,
    clicks         BIGINT NOT NULL DEFAULT 0,
    carts          BIGINT NOT NULL DEFAULT 0,
    orders         BIGINT NOT NULL DEFAULT 0,
    order_units    BIGINT NOT NULL DEFAULT 0,
    order_fen      BIGINT NOT NULL DEFAULT 0,
    paid_orders    BIGINT NOT NULL DEFAULT 0,
    paid_units     BIGINT NOT NULL DEFAULT 0,
    gmv_fen        BIGINT NOT NULL DEFAULT 0,
    refunds        BIGINT NOT NULL DEFAULT 0,
    refund_fen     BIGINT NOT NULL DEFAULT 0,
    cancels        BIGINT NOT NULL DEFAULT 0,
    shipped        BIGINT NOT NULL DEFAULT 0,
    delivered      BIGINT NOT NULL DEFAULT 0,
    uv_all         BIGINT NOT NULL DEFAULT 0,
    uv             BIGINT NOT NULL DEFAULT 0,
    impression_uv  BIGINT NOT NULL DEFAULT 0,
    exposure_uv    BIGINT NOT NULL DEFAULT 0,
    click_uv       BIGINT NOT NULL DEFAULT 0,
    cart_uv        BIGINT NOT NULL DEFAULT 0,
    order_uv       BIGINT NOT NULL DEFAULT 0,
    paid_uv        BIGINT NOT NULL DEFAULT 0,
    interaction_uv BIGINT NOT NULL DEFAULT 0,
    w0 BIGINT NOT NULL DEFAULT 0, w1 BIGINT NOT NULL DEFAULT 0, w2 BIGINT NOT NULL DEFAULT 0,
    w3 BIGINT NOT NULL DEFAULT 0, w4 BIGINT NOT NULL DEFAULT 0, w5 BIGINT NOT NULL DEFAULT 0,
    w6 BIGINT NOT NULL DEFAULT 0, w7 BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (session_id, replay)
) WITHOUT ROWID;

CREATE TABLE analytics_minutes (
    session_id   BIGINT NOT NULL,
    replay       INTEGER NOT NULL,
    minute       BIGINT NOT NULL,
    online_max   BIGINT NOT NULL DEFAULT 0,
    entries      BIGINT NOT NULL DEFAULT 0,
    views        BIGINT NOT NULL DEFAULT 0,
    watch_ms     BIGINT NOT NULL DEFAULT 0,
    chats        BIGINT NOT NULL DEFAULT 0,
    likes        BIGINT NOT NULL DEFAULT 0,
    shares       BIGINT NOT NULL DEFAULT 0,
    follows      BIGINT NOT NULL DEFAULT 0,
    interactions BIGINT NOT NULL DEFAULT 0,
    exposures    BIGINT NOT NULL DEFAULT 0,
    clicks       BIGINT NOT NULL DEFAULT 0,
    carts        BIGINT NOT NULL DEFAULT 0,
    orders       BIGINT NOT NULL DEFAULT 0,
    order_fen    BIGINT NOT NULL DEFAULT 0,
    paid_orders  BIGINT NOT NULL DEFAULT 0,
    gmv_fen      BIGINT NOT NULL DEFAULT 0,
    refunds      BIGINT NOT NULL DEFAULT 0,
    refund_fen   BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (session_id, replay, minute)
) WITHOUT ROWID;

CREATE TABLE analytics_products (
    session_id  BIGINT NOT NULL,
    replay      INTEGER NOT NULL,
    product_id  BIGINT NOT NULL,
    exposures   BIGINT NOT NULL DEFAULT 0,
    clicks      BIGINT NOT NULL DEFAULT 0,
    carts       BIGINT NOT NULL DEFAULT 0,
    cart_units  BIGINT NOT NULL DEFAULT 0,
    orders      BIGINT NOT NULL DEFAULT 0,
    units       BIGINT NOT NULL DEFAULT 0,
    order_fen   BIGINT NOT NULL DEFAULT 0,
    paid_orders BIGINT NOT NULL DEFAULT 0,
    paid_units  BIGINT NOT NULL DEFAULT 0,
    gmv_fen     BIGINT NOT NULL DEFAULT 0,
    refunds     BIGINT NOT NULL DEFAULT 0,
    refund_fen  BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (session_id, replay, product_id)
) WITHOUT ROWID;
CREATE INDEX analytics_products_product ON analytics_products (product_id);

-- One row per viewer of a session: what they did (flags) and for how long; the unique counts in
-- analytics_sessions are kept from it, and customer profiles read it.
CREATE TABLE analytics_viewers (
    session_id BIGINT NOT NULL,
    replay     INTEGER NOT NULL,
    viewer     BIGINT NOT NULL,
    flags      BIGINT NOT NULL DEFAULT 0,
    first_at   BIGINT NOT NULL,
    last_at    BIGINT NOT NULL,
    watch_ms   BIGINT NOT NULL DEFAULT 0,
    entries    BIGINT NOT NULL DEFAULT 0,
    views      BIGINT NOT NULL DEFAULT 0,
    chats      BIGINT NOT NULL DEFAULT 0,
    clicks     BIGINT NOT NULL DEFAULT 0,
    orders     BIGINT NOT NULL DEFAULT 0,
    gmv_fen    BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (session_id, replay, viewer)
) WITHOUT ROWID;
CREATE INDEX analytics_viewers_viewer ON analytics_viewers (viewer);

-- Targets a session is planned against (the review sets actuals beside them).
ALTER TABLE live_sessions ADD COLUMN target_gmv_fen BIGINT;
ALTER TABLE live_sessions ADD COLUMN target_viewers BIGINT;
ALTER TABLE live_sessions ADD COLUMN target_orders BIGINT;
