-- Flash sales (秒杀): a quota of one SKU set aside from its stock, sold at the flash price between
-- two times; the buyers' quantities (per-customer limits judged by the database); orders know the
-- sale they came from.

CREATE TABLE flash_sales (
    id           INTEGER PRIMARY KEY,
    session_id   BIGINT  NOT NULL REFERENCES live_sessions (id) ON DELETE CASCADE,
    product_id   BIGINT  NOT NULL REFERENCES products (id),
    sku_id       BIGINT  NOT NULL REFERENCES skus (id),
    title        TEXT    NOT NULL,
    quota        BIGINT  NOT NULL CHECK (quota > 0),
    remaining    BIGINT  NOT NULL CHECK (remaining >= 0 AND remaining <= quota),
    price_fen    BIGINT  NOT NULL CHECK (price_fen >= 0),
    per_customer BIGINT  NOT NULL CHECK (per_customer > 0),
    members_only INTEGER NOT NULL DEFAULT 0 CHECK (members_only IN (0, 1)),
    strategy     TEXT    NOT NULL DEFAULT 'ledger' CHECK (strategy IN ('ledger', 'naive', 'redis')),
    starts_at    BIGINT  NOT NULL,
    ends_at      BIGINT  NOT NULL,
    ended_at     BIGINT,
    returned     BIGINT  NOT NULL DEFAULT 0,
    created_by   BIGINT,
    created_at   BIGINT  NOT NULL,
    CHECK (ends_at > starts_at)
);
CREATE INDEX flash_sales_session ON flash_sales (session_id, id);
CREATE INDEX flash_sales_open ON flash_sales (ends_at) WHERE ended_at IS NULL;

CREATE TABLE flash_buyers (
    sale_id     BIGINT NOT NULL REFERENCES flash_sales (id) ON DELETE CASCADE,
    customer_id BIGINT NOT NULL,
    quantity    BIGINT NOT NULL CHECK (quantity >= 0),
    PRIMARY KEY (sale_id, customer_id)
);

ALTER TABLE orders ADD COLUMN flash_sale_id BIGINT;
CREATE INDEX orders_flash_sale ON orders (flash_sale_id) WHERE flash_sale_id IS NOT NULL;
