-- Customers' delivery addresses (收货地址); orders will copy the one they ship to.

CREATE TABLE addresses (
    id         INTEGER PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    recipient  TEXT   NOT NULL,
    phone      TEXT   NOT NULL,
    region     TEXT   NOT NULL,
    detail     TEXT   NOT NULL,
    is_default INTEGER NOT NULL DEFAULT 0 CHECK (is_default IN (0, 1)),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX addresses_account ON addresses (account_id);
