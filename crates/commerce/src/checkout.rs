//! Checkout, first step: turning what a customer asks for (SKUs and quantities, from a session or
//! not) into priced cart lines for the pricing engine. The catalog is the only source of prices; the
//! session's live prices are handed in by the caller (sessions live in the `live` crate).

use crate::catalog::store::placeholders;
use crate::pricing::{CartLine, MAX_LINES, MAX_QUANTITY};
use crate::{Catalog, CommerceError};
use sellstream_core::Fen;
use sellstream_store::Row;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::ToSchema;

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckoutItem {
    pub sku_id: i64,
    /// 1–999.
    pub quantity: u32,
}

impl Catalog {
    /// The cart lines for `items`: every SKU exists, is on sale, has the stock, and no product
    /// goes over its per-customer limit. `live` maps SKU ids to the session's live prices.
    pub async fn cart_lines(
        &self,
        items: &[CheckoutItem],
        live: &HashMap<i64, i64>,
    ) -> Result<Vec<CartLine>, CommerceError> {
        if items.is_empty() {
            return Err(invalid("items: the cart is empty"));
        }
        if items.len() > MAX_LINES {
            return Err(invalid(format!("items: at most {MAX_LINES} lines")));
        }
        let ids: Vec<i64> = items.iter().map(|i| i.sku_id).collect();
        let sql = format!(
            "SELECT s.id, s.product_id, s.price_fen, s.stock, p.category_id, p.on_shelf,
                    p.purchase_limit, p.title
             FROM skus s JOIN products p ON p.id = s.product_id WHERE s.id IN ({})",
            placeholders(1, ids.len())
        );
        let mut q = sqlx::query(&sql);
        for id in &ids {
            q = q.bind(id);
        }
        let rows = q.fetch_all(self.store().pool()).await?;
        struct Found {
            product: i64,
            price: i64,
            stock: i64,
            category: Option<i64>,
            on_shelf: bool,
            limit: Option<i64>,
            title: String,
        }
        let mut found = HashMap::new();
        for r in &rows {
            found.insert(
                r.try_get::<i64, _>("id")?,
                Found {
                    product: r.try_get("product_id")?,
                    price: r.try_get("price_fen")?,
                    stock: r.try_get("stock")?,
                    category: r.try_get("category_id")?,
                    on_shelf: sellstream_store::get_flag(r, "on_shelf")?,
                    limit: r.try_get("purchase_limit")?,
                    title: r.try_get("title")?,
                },
            );
        }
        let mut per_product: HashMap<i64, i64> = HashMap::new();
        let mut lines = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            if items[..i].iter().any(|o| o.sku_id == item.sku_id) {
                return Err(invalid(format!(
                    "items[{i}].sku_id: SKU {} is listed twice",
                    item.sku_id
                )));
            }
            if !(1..=MAX_QUANTITY).contains(&item.quantity) {
                return Err(invalid(format!("items[{i}].quantity: 1 to {MAX_QUANTITY}")));
            }
            let f = found
                .get(&item.sku_id)
                .ok_or_else(|| invalid(format!("items[{i}].sku_id: no SKU {}", item.sku_id)))?;
            if !f.on_shelf {
                return Err(invalid(format!("items[{i}]: {} is not on sale", f.title)));
            }
            let qty = i64::from(item.quantity);
            if qty > f.stock {
                return Err(invalid(format!(
                    "items[{i}].quantity: only {} left of this SKU",
                    f.stock
                )));
            }
            let total = per_product.entry(f.product).or_default();
            *total += qty;
            if let Some(limit) = f.limit.filter(|l| *total > *l) {
                return Err(invalid(format!(
                    "items[{i}].quantity: {} is limited to {limit} per customer",
                    f.title
                )));
            }
            lines.push(CartLine {
                sku_id: item.sku_id,
                product_id: f.product,
                category_id: f.category,
                list_price: Fen(f.price),
                live_price: live.get(&item.sku_id).map(|p| Fen(*p)),
                quantity: item.quantity,
            });
        }
        Ok(lines)
    }
}

fn invalid(m: impl Into<String>) -> CommerceError {
    CommerceError::Invalid(m.into())
}
