//! Checkout, first step: turning what a customer asks for (SKUs and quantities, from a session or
//! not) into priced cart lines and a [`Quote`]. The catalog is the only source of prices; the
//! session's live prices are handed in by the caller (sessions live in the `live` crate).

use crate::catalog::store::placeholders;
use crate::pricing::{
    self, CartLine, CouponChoice, PointsRule, PriceError, PriceInput, Quote, ShippingRule,
    MAX_LINES, MAX_QUANTITY,
};
use crate::{Catalog, CommerceError};
use sellstream_core::{Fen, Timestamp};
use sellstream_store::Row;
use serde::Deserialize;
use std::collections::HashMap;
use utoipa::ToSchema;

#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckoutItem {
    pub sku_id: i64,
    /// 1–999.
    pub quantity: u32,
}

/// What the customer wants to buy. Prices and totals are never taken from the client.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckoutRequest {
    /// The live session the order comes from: its live prices apply.
    pub session_id: Option<i64>,
    pub items: Vec<CheckoutItem>,
    /// `{"kind":"best"}` (default), `{"kind":"none"}` or `{"kind":"use","id":…}`.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub coupon: CouponChoice,
    /// Points to spend.
    #[serde(default)]
    pub points: u64,
}

/// Points: 100 to the yuan, paying at most half of the goods (until brand settings carry them).
pub const POINTS_RULE: PointsRule = PointsRule {
    points_per_yuan: 100,
    max_share_bp: 5_000,
};

/// Shipping is included (包邮) until shipping rules are configurable.
pub const SHIPPING: ShippingRule = ShippingRule {
    fee: Fen(0),
    free_from: None,
};

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

    /// Prices `req` for a customer: checks the cart, then runs the pricing engine. Coupons,
    /// campaigns, membership and the points balance join here as they are built.
    pub async fn preview(
        &self,
        req: &CheckoutRequest,
        live: &HashMap<i64, i64>,
    ) -> Result<Quote, CommerceError> {
        let lines = self.cart_lines(&req.items, live).await?;
        pricing::quote(&PriceInput {
            now: Timestamp::now(),
            lines: &lines,
            membership: None,
            campaigns: &[],
            coupons: &[],
            coupon: req.coupon,
            points: req.points,
            points_balance: 0,
            points_rule: POINTS_RULE,
            shipping: SHIPPING,
        })
        .map_err(price_error)
    }
}

fn invalid(m: impl Into<String>) -> CommerceError {
    CommerceError::Invalid(m.into())
}

fn price_error(e: PriceError) -> CommerceError {
    CommerceError::Invalid(e.to_string())
}
