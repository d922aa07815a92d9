-- The catalog's second step: a category tree, and a per-customer purchase limit on products.

CREATE TABLE categories (
    id         INTEGER PRIMARY KEY,
    name       TEXT   NOT NULL,
    parent_id  BIGINT REFERENCES categories (id),
    position   BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
-- Names are unique among siblings (top-level categories have parent 0 here).
CREATE UNIQUE INDEX categories_name ON categories (COALESCE(parent_id, 0), name);

ALTER TABLE products ADD COLUMN category_id BIGINT REFERENCES categories (id) ON DELETE SET NULL;
ALTER TABLE products ADD COLUMN purchase_limit BIGINT CHECK (purchase_limit IS NULL OR purchase_limit > 0);
CREATE INDEX products_category ON products (category_id);
