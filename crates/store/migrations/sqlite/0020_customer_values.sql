-- Customer value tiers (plan §8.1 (4)): RFM with interaction, scored by quantiles into high,
-- medium and low, recomputed on demand and on a schedule; each run's tier sizes and movements.

-- What the recomputation reads, without touching the orders' wide rows: paid orders by customer.
CREATE INDEX orders_value ON orders (customer_id, paid_at, total_fen, refunded_fen)
    WHERE paid_at IS NOT NULL;
-- … and signed-in viewers' watch time and comments across sessions.
CREATE INDEX analytics_viewers_value ON analytics_viewers (viewer, watch_ms, chats)
    WHERE viewer > 0;

CREATE TABLE value_runs (
    id         INTEGER PRIMARY KEY,
    -- manual or schedule
    source     TEXT   NOT NULL,
    by_id      BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    as_of      BIGINT NOT NULL,
    customers  BIGINT NOT NULL,
    high       BIGINT NOT NULL,
    medium     BIGINT NOT NULL,
    low        BIGINT NOT NULL,
    -- JSON [{"from": "high"|…|null, "to": …|null, "customers": n}]
    movements  TEXT   NOT NULL,
    took_ms    BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE customer_values (
    account_id    BIGINT PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    run_id        BIGINT NOT NULL,
    recency_days  BIGINT,
    frequency     BIGINT NOT NULL,
    monetary_fen  BIGINT NOT NULL,
    watch_ms      BIGINT NOT NULL,
    comments      BIGINT NOT NULL,
    r             BIGINT NOT NULL,
    f             BIGINT NOT NULL,
    m             BIGINT NOT NULL,
    i             BIGINT NOT NULL,
    score         BIGINT NOT NULL,
    tier          TEXT   NOT NULL,
    previous_tier TEXT
);
CREATE INDEX customer_values_tier ON customer_values (tier, score);

-- Attribution: each buyer's tracked visits (a `?from=`/`?src=` code), found per order by session,
-- buyer and time; only the tracked few are indexed.
CREATE INDEX analytics_events_tracked ON analytics_events (session_id, viewer, at)
    WHERE channel IS NOT NULL;
