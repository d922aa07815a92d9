use super::rules::check_product;
use super::{Product, ProductInput, Sku};
use crate::CommerceError;
use sellstream_core::{Page, PageRequest, Timestamp};
use sellstream_store::{unique_violation, AnyRow, Row, Store, Tx};
use std::collections::HashMap;

/// The product catalog on the store.
#[derive(Clone)]
pub struct Catalog {
    store: Store,
}

/// Which products a list shows.
#[derive(Debug, Clone, Default)]
pub struct ProductFilter {
    /// Matches the title (case-insensitive substring) or a SKU code exactly.
    pub q: Option<String>,
    pub on_shelf: Option<bool>,
    pub category_id: Option<i64>,
}

const PRODUCT_COLUMNS: &str =
    "id, title, description, images, on_shelf, category_id, purchase_limit, created_at, updated_at";

impl Catalog {
    pub fn new(store: Store) -> Self {
        Self { store }
    }

    pub(crate) fn store(&self) -> &Store {
        &self.store
    }

    /// A product may only be filed under a category that exists.
    async fn check_category(&self, tx: &mut Tx, id: Option<i64>) -> Result<(), CommerceError> {
        let Some(id) = id else { return Ok(()) };
        let found = sqlx::query("SELECT id FROM categories WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut **tx)
            .await?;
        if found.is_none() {
            return Err(CommerceError::Invalid(format!(
                "category_id: no category {id}"
            )));
        }
        Ok(())
    }

    pub async fn create(&self, input: ProductInput) -> Result<Product, CommerceError> {
        let p = check_product(input)?;
        if let Some((i, _)) = p.skus.iter().enumerate().find(|(_, s)| s.id.is_some()) {
            return Err(CommerceError::Invalid(format!(
                "skus[{i}].id: a new product's SKUs have no id yet"
            )));
        }
        let now = Timestamp::now().millis();
        let mut tx = self.store.begin().await?;
        self.check_category(&mut tx, p.category_id).await?;
        let id: i64 = sqlx::query(
            "INSERT INTO products (title, description, images, on_shelf, category_id, purchase_limit,
             created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
        )
        .bind(&p.title)
        .bind(&p.description)
        .bind(to_json(&p.images))
        .bind(p.on_shelf)
        .bind(p.category_id)
        .bind(p.purchase_limit)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        for (pos, sku) in p.skus.iter().enumerate() {
            insert_sku(&mut tx, id, pos, sku, now).await?;
        }
        tx.commit().await?;
        self.get(id).await
    }

    pub async fn update(&self, id: i64, input: ProductInput) -> Result<Product, CommerceError> {
        let p = check_product(input)?;
        let now = Timestamp::now().millis();
        let mut tx = self.store.begin().await?;
        self.check_category(&mut tx, p.category_id).await?;
        let changed = sqlx::query(
            "UPDATE products SET title = $1, description = $2, images = $3, on_shelf = $4,
             category_id = $5, purchase_limit = $6, updated_at = $7 WHERE id = $8",
        )
        .bind(&p.title)
        .bind(&p.description)
        .bind(to_json(&p.images))
        .bind(p.on_shelf)
        .bind(p.category_id)
        .bind(p.purchase_limit)
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 0 {
            return Err(CommerceError::ProductNotFound(id));
        }
        let existing: Vec<i64> = sqlx::query("SELECT id FROM skus WHERE product_id = $1")
            .bind(id)
            .fetch_all(&mut *tx)
            .await?
            .iter()
            .map(|r| r.get(0))
            .collect();
        for (i, sku) in p.skus.iter().enumerate() {
            if let Some(sku_id) = sku.id.filter(|s| !existing.contains(s)) {
                return Err(CommerceError::Invalid(format!(
                    "skus[{i}].id: SKU {sku_id} is not a SKU of product {id}"
                )));
            }
        }
        for gone in existing
            .iter()
            .filter(|e| !p.skus.iter().any(|s| s.id == Some(**e)))
        {
            sqlx::query("DELETE FROM skus WHERE id = $1")
                .bind(gone)
                .execute(&mut *tx)
                .await?;
        }
        // Kept SKUs first take placeholder codes so that two SKUs may swap codes in one update.
        sqlx::query("UPDATE skus SET code = '~' || CAST(id AS TEXT) WHERE product_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        for (pos, sku) in p.skus.iter().enumerate() {
            match sku.id {
                Some(sku_id) => {
                    sqlx::query(
                        "UPDATE skus SET code = $1, attributes = $2, price_fen = $3, stock = $4,
                         position = $5, updated_at = $6 WHERE id = $7",
                    )
                    .bind(&sku.code)
                    .bind(to_json(&sku.attributes))
                    .bind(sku.price_fen)
                    .bind(sku.stock)
                    .bind(pos as i64)
                    .bind(now)
                    .bind(sku_id)
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| sku_error(e, &sku.code))?;
                }
                None => insert_sku(&mut tx, id, pos, sku, now).await?,
            }
        }
        tx.commit().await?;
        self.get(id).await
    }

    pub async fn delete(&self, id: i64) -> Result<(), CommerceError> {
        let mut tx = self.store.begin().await?;
        let in_bag: i64 = sqlx::query("SELECT COUNT(*) FROM session_bag WHERE product_id = $1")
            .bind(id)
            .fetch_one(&mut *tx)
            .await?
            .try_get(0)?;
        if in_bag > 0 {
            return Err(CommerceError::ProductInUse(id));
        }
        let n = sqlx::query("DELETE FROM products WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if n == 0 {
            return Err(CommerceError::ProductNotFound(id));
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn get(&self, id: i64) -> Result<Product, CommerceError> {
        self.get_many(&[id])
            .await?
            .pop()
            .ok_or(CommerceError::ProductNotFound(id))
    }

    /// The products with these ids, in the order given; unknown ids are skipped.
    pub async fn get_many(&self, ids: &[i64]) -> Result<Vec<Product>, CommerceError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT {PRODUCT_COLUMNS} FROM products WHERE id IN ({})",
            placeholders(1, ids.len())
        );
        let mut q = sqlx::query(&sql);
        for id in ids {
            q = q.bind(*id);
        }
        let rows = q.fetch_all(self.store.pool()).await?;
        let mut by_id: HashMap<i64, Product> = HashMap::new();
        for r in &rows {
            let p = product_from_row(r)?;
            by_id.insert(p.id, p);
        }
        self.attach_skus(&mut by_id).await?;
        Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
    }

    pub async fn list(
        &self,
        filter: &ProductFilter,
        page: PageRequest,
    ) -> Result<Page<Product>, CommerceError> {
        let q = filter.q.as_deref().map(str::trim).unwrap_or("");
        let pattern = format!("%{}%", q.to_lowercase());
        let on_shelf = filter.on_shelf.map_or(-1i64, i64::from);
        let category = filter.category_id.unwrap_or(0);
        let cond = "($1 = '' OR LOWER(title) LIKE $2 OR id IN (SELECT product_id FROM skus WHERE code = $1))
             AND ($3 < 0 OR on_shelf = ($3 = 1)) AND ($4 = 0 OR category_id = $4)";
        let total: i64 = sqlx::query(&format!("SELECT COUNT(*) FROM products WHERE {cond}"))
            .bind(q)
            .bind(&pattern)
            .bind(on_shelf)
            .bind(category)
            .fetch_one(self.store.pool())
            .await?
            .try_get(0)?;
        let ids: Vec<i64> = sqlx::query(&format!(
            "SELECT id FROM products WHERE {cond} ORDER BY updated_at DESC, id DESC LIMIT $5 OFFSET $6"
        ))
        .bind(q)
        .bind(&pattern)
        .bind(on_shelf)
        .bind(category)
        .bind(page.limit())
        .bind(page.offset())
        .fetch_all(self.store.pool())
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
        Ok(Page::new(self.get_many(&ids).await?, page, total))
    }

    pub async fn count_on_shelf(&self) -> Result<i64, CommerceError> {
        Ok(
            sqlx::query("SELECT COUNT(*) FROM products WHERE on_shelf = TRUE")
                .fetch_one(self.store.pool())
                .await?
                .try_get(0)?,
        )
    }

    async fn attach_skus(&self, products: &mut HashMap<i64, Product>) -> Result<(), CommerceError> {
        if products.is_empty() {
            return Ok(());
        }
        let ids: Vec<i64> = products.keys().copied().collect();
        let sql = format!(
            "SELECT id, product_id, code, attributes, price_fen, stock FROM skus
             WHERE product_id IN ({}) ORDER BY position, id",
            placeholders(1, ids.len())
        );
        let mut q = sqlx::query(&sql);
        for id in &ids {
            q = q.bind(*id);
        }
        for r in q.fetch_all(self.store.pool()).await? {
            let product_id: i64 = r.try_get("product_id")?;
            let attributes: String = r.try_get("attributes")?;
            let sku = Sku {
                id: r.try_get("id")?,
                code: r.try_get("code")?,
                attributes: serde_json::from_str(&attributes).unwrap_or_default(),
                price_fen: r.try_get("price_fen")?,
                stock: r.try_get("stock")?,
            };
            if let Some(p) = products.get_mut(&product_id) {
                p.skus.push(sku);
            }
        }
        for p in products.values_mut() {
            p.price_min_fen = p.skus.iter().map(|s| s.price_fen).min().unwrap_or(0);
            p.price_max_fen = p.skus.iter().map(|s| s.price_fen).max().unwrap_or(0);
            p.total_stock = p.skus.iter().map(|s| s.stock).sum();
        }
        Ok(())
    }
}

async fn insert_sku(
    tx: &mut Tx,
    product_id: i64,
    pos: usize,
    sku: &super::SkuInput,
    now: i64,
) -> Result<(), CommerceError> {
    sqlx::query(
        "INSERT INTO skus (product_id, code, attributes, price_fen, stock, position, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
    )
    .bind(product_id)
    .bind(&sku.code)
    .bind(to_json(&sku.attributes))
    .bind(sku.price_fen)
    .bind(sku.stock)
    .bind(pos as i64)
    .bind(now)
    .execute(&mut **tx)
    .await
    .map_err(|e| sku_error(e, &sku.code))?;
    Ok(())
}

fn sku_error(e: sqlx::Error, code: &str) -> CommerceError {
    match unique_violation(&e) {
        Some(_) => CommerceError::DuplicateSkuCode(code.to_owned()),
        None => e.into(),
    }
}

/// `$from, $from+1, …` for `n` values.
pub(crate) fn placeholders(from: usize, n: usize) -> String {
    (from..from + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn to_json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).expect("plain data serialises")
}

fn product_from_row(r: &AnyRow) -> Result<Product, sqlx::Error> {
    let images: String = r.try_get("images")?;
    Ok(Product {
        id: r.try_get("id")?,
        title: r.try_get("title")?,
        description: r.try_get("description")?,
        images: serde_json::from_str(&images).unwrap_or_default(),
        on_shelf: sellstream_store::get_flag(r, "on_shelf")?,
        category_id: r.try_get("category_id")?,
        purchase_limit: r.try_get("purchase_limit")?,
        skus: Vec::new(),
        price_min_fen: 0,
        price_max_fen: 0,
        total_stock: 0,
        created_at: Timestamp::from_millis(r.try_get("created_at")?),
        updated_at: Timestamp::from_millis(r.try_get("updated_at")?),
    })
}
