-- Buying: the commerce settings (points, payment window, shipping), coupons and the coupons
-- customers hold, full-reduction campaigns, membership tiers, the points ledger, orders with their
-- lines, history and event log, idempotency keys, payments, callbacks seen and refunds.

CREATE TABLE commerce_settings (
    id                    BIGINT PRIMARY KEY CHECK (id = 1),
    points_per_yuan       BIGINT NOT NULL CHECK (points_per_yuan > 0),
    points_max_share_bp   BIGINT NOT NULL CHECK (points_max_share_bp BETWEEN 0 AND 10000),
    points_earn_per_yuan  BIGINT NOT NULL CHECK (points_earn_per_yuan >= 0),
    points_valid_days     BIGINT NOT NULL CHECK (points_valid_days > 0),
    payment_window_secs   BIGINT NOT NULL CHECK (payment_window_secs > 0),
    shipping_fee_fen      BIGINT NOT NULL CHECK (shipping_fee_fen >= 0),
    free_shipping_from_fen BIGINT CHECK (free_shipping_from_fen >= 0),
    auto_complete_days    BIGINT NOT NULL CHECK (auto_complete_days > 0),
    updated_at            BIGINT NOT NULL
);
INSERT INTO commerce_settings VALUES (1, 100, 5000, 1, 365, 900, 0, NULL, 7, 0);

CREATE TABLE coupons (
    id             INTEGER PRIMARY KEY,
    name           TEXT    NOT NULL,
    rule           TEXT    NOT NULL,
    scope          TEXT    NOT NULL,
    valid_from     BIGINT  NOT NULL,
    valid_until    BIGINT  NOT NULL,
    total_quantity BIGINT  CHECK (total_quantity > 0),
    per_customer   BIGINT  NOT NULL CHECK (per_customer > 0),
    granted        BIGINT  NOT NULL DEFAULT 0,
    claimable      INTEGER NOT NULL DEFAULT 0 CHECK (claimable IN (0, 1)),
    active         INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at     BIGINT  NOT NULL,
    updated_at     BIGINT  NOT NULL,
    CHECK (valid_until > valid_from),
    CHECK (total_quantity IS NULL OR granted <= total_quantity)
);

CREATE TABLE customer_coupons (
    id          INTEGER PRIMARY KEY,
    coupon_id   BIGINT NOT NULL REFERENCES coupons (id) ON DELETE CASCADE,
    customer_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    source      TEXT   NOT NULL CHECK (source IN ('issued', 'claimed')),
    session_id  BIGINT REFERENCES live_sessions (id) ON DELETE SET NULL,
    order_id    BIGINT,
    created_at  BIGINT NOT NULL,
    used_at     BIGINT
);
CREATE INDEX customer_coupons_customer ON customer_coupons (customer_id, coupon_id);

CREATE TABLE campaigns (
    id         INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL,
    rule       TEXT    NOT NULL,
    scope      TEXT    NOT NULL,
    starts_at  BIGINT  NOT NULL,
    ends_at    BIGINT  NOT NULL,
    active     INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at BIGINT  NOT NULL,
    updated_at BIGINT  NOT NULL,
    CHECK (ends_at > starts_at)
);

CREATE TABLE membership_tiers (
    id            INTEGER PRIMARY KEY,
    name          TEXT   NOT NULL UNIQUE,
    min_spend_fen BIGINT NOT NULL UNIQUE CHECK (min_spend_fen >= 0),
    off_bp        BIGINT NOT NULL CHECK (off_bp BETWEEN 0 AND 5000),
    created_at    BIGINT NOT NULL
);
INSERT INTO membership_tiers (name, min_spend_fen, off_bp, created_at) VALUES
    ('银卡 Silver', 100000, 200, 0), ('金卡 Gold', 500000, 500, 0), ('黑金 Black', 2000000, 800, 0);

CREATE TABLE points_accounts (
    customer_id BIGINT PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    balance     BIGINT NOT NULL CHECK (balance >= 0),
    updated_at  BIGINT NOT NULL
);

CREATE TABLE points_ledger (
    id            INTEGER PRIMARY KEY,
    customer_id   BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    delta         BIGINT NOT NULL CHECK (delta <> 0),
    reason        TEXT   NOT NULL CHECK (reason IN ('earn', 'spend', 'return', 'reverse', 'expire', 'adjust')),
    order_id      BIGINT,
    expires_at    BIGINT,
    balance_after BIGINT NOT NULL CHECK (balance_after >= 0),
    note          TEXT   NOT NULL DEFAULT '',
    at            BIGINT NOT NULL
);
CREATE INDEX points_ledger_customer ON points_ledger (customer_id, id);
CREATE INDEX points_ledger_expiry ON points_ledger (expires_at) WHERE expires_at IS NOT NULL;

CREATE TABLE orders (
    id              INTEGER PRIMARY KEY,
    number          TEXT   NOT NULL UNIQUE,
    customer_id     BIGINT NOT NULL REFERENCES accounts (id),
    session_id      BIGINT REFERENCES live_sessions (id) ON DELETE SET NULL,
    channel         TEXT   NOT NULL,
    state           TEXT   NOT NULL CHECK (state IN ('pending_payment', 'paid', 'shipped', 'delivered',
                        'completed', 'cancelled', 'refund_requested', 'refunded')),
    before_refund   TEXT,
    goods_fen       BIGINT NOT NULL CHECK (goods_fen >= 0),
    shipping_fen    BIGINT NOT NULL CHECK (shipping_fen >= 0),
    total_fen       BIGINT NOT NULL CHECK (total_fen >= 0),
    refunded_fen    BIGINT NOT NULL DEFAULT 0 CHECK (refunded_fen >= 0 AND refunded_fen <= total_fen),
    coupon_id       BIGINT,
    campaign_id     BIGINT,
    points_used     BIGINT NOT NULL DEFAULT 0 CHECK (points_used >= 0),
    points_per_yuan BIGINT NOT NULL,
    membership_tier TEXT,
    address         TEXT   NOT NULL,
    note            TEXT   NOT NULL DEFAULT '',
    price_lines     TEXT   NOT NULL,
    pay_deadline    BIGINT NOT NULL,
    tracking_no     TEXT,
    cancel_reason   TEXT,
    paid_at         BIGINT,
    shipped_at      BIGINT,
    delivered_at    BIGINT,
    completed_at    BIGINT,
    closed_at       BIGINT,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX orders_customer ON orders (customer_id, id);
CREATE INDEX orders_state ON orders (state, id);
CREATE INDEX orders_session ON orders (session_id, id);
CREATE INDEX orders_created ON orders (created_at);
CREATE INDEX orders_deadline ON orders (pay_deadline) WHERE state = 'pending_payment';

CREATE TABLE order_lines (
    order_id     BIGINT NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    line_no      BIGINT NOT NULL,
    sku_id       BIGINT NOT NULL REFERENCES skus (id),
    product_id   BIGINT NOT NULL,
    title        TEXT   NOT NULL,
    sku_code     TEXT   NOT NULL,
    attributes   TEXT   NOT NULL,
    image        TEXT,
    quantity     BIGINT NOT NULL CHECK (quantity > 0),
    unit_price   BIGINT NOT NULL,
    amount       BIGINT NOT NULL,
    membership   BIGINT NOT NULL,
    campaign     BIGINT NOT NULL,
    coupon       BIGINT NOT NULL,
    points_fen   BIGINT NOT NULL,
    payable      BIGINT NOT NULL CHECK (payable >= 0),
    refunded     INTEGER NOT NULL DEFAULT 0 CHECK (refunded IN (0, 1)),
    PRIMARY KEY (order_id, line_no)
);
CREATE INDEX order_lines_sku ON order_lines (sku_id);
CREATE INDEX order_lines_product ON order_lines (product_id);

CREATE TABLE order_history (
    id         INTEGER PRIMARY KEY,
    order_id   BIGINT NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    from_state TEXT,
    to_state   TEXT   NOT NULL,
    actor      TEXT   NOT NULL CHECK (actor IN ('customer', 'staff', 'system', 'provider')),
    actor_id   BIGINT,
    note       TEXT   NOT NULL DEFAULT '',
    at         BIGINT NOT NULL
);
CREATE INDEX order_history_order ON order_history (order_id, id);

-- The orders' event log, read by analytics next to room_events.
CREATE TABLE order_events (
    id          INTEGER PRIMARY KEY,
    kind        TEXT   NOT NULL,
    order_id    BIGINT NOT NULL,
    session_id  BIGINT,
    channel     TEXT   NOT NULL,
    customer_id BIGINT NOT NULL,
    amount      BIGINT NOT NULL,
    payload     TEXT   NOT NULL,
    at          BIGINT NOT NULL
);
CREATE INDEX order_events_session ON order_events (session_id, id);
CREATE INDEX order_events_at ON order_events (at);

CREATE TABLE idempotency_keys (
    customer_id  BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    key          TEXT   NOT NULL,
    request_hash TEXT   NOT NULL,
    order_id     BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    PRIMARY KEY (customer_id, key)
);
CREATE INDEX idempotency_keys_expiry ON idempotency_keys (expires_at);

CREATE TABLE payments (
    id          INTEGER PRIMARY KEY,
    order_id    BIGINT NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    provider    TEXT   NOT NULL,
    trade_no    TEXT   NOT NULL UNIQUE,
    method      TEXT,
    amount_fen  BIGINT NOT NULL,
    state       TEXT   NOT NULL CHECK (state IN ('pending', 'succeeded', 'refunded_late', 'superseded')),
    provider_txn TEXT,
    created_at  BIGINT NOT NULL,
    paid_at     BIGINT
);
CREATE INDEX payments_order ON payments (order_id);

CREATE TABLE payment_callbacks (
    provider    TEXT   NOT NULL,
    nonce       TEXT   NOT NULL,
    trade_no    TEXT   NOT NULL,
    outcome     TEXT   NOT NULL,
    received_at BIGINT NOT NULL,
    PRIMARY KEY (provider, nonce)
);

CREATE TABLE refunds (
    id           INTEGER PRIMARY KEY,
    order_id     BIGINT NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    payment_id   BIGINT NOT NULL REFERENCES payments (id),
    amount_fen   BIGINT NOT NULL CHECK (amount_fen > 0),
    lines        TEXT   NOT NULL,
    reason       TEXT   NOT NULL,
    state        TEXT   NOT NULL CHECK (state IN ('succeeded', 'failed')),
    provider_ref TEXT,
    actor        TEXT   NOT NULL,
    actor_id     BIGINT,
    created_at   BIGINT NOT NULL
);
CREATE INDEX refunds_order ON refunds (order_id);
