-- Live prices (直播价): what a SKU sells for in one session's room, at most its list price.

CREATE TABLE session_prices (
    session_id BIGINT NOT NULL REFERENCES live_sessions (id) ON DELETE CASCADE,
    sku_id     BIGINT NOT NULL REFERENCES skus (id) ON DELETE CASCADE,
    price_fen  BIGINT NOT NULL CHECK (price_fen >= 0),
    PRIMARY KEY (session_id, sku_id)
);
CREATE INDEX session_prices_sku ON session_prices (sku_id);
