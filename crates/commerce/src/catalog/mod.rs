//! Products and SKUs. `rules` checks input without I/O; `Catalog` applies it to the store.

mod category;
mod rules;
pub(crate) mod store;

pub use category::{Category, CategoryInput};
pub use store::{Catalog, ProductFilter};

use sellstream_core::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// A sellable stock-keeping unit: one colour and size of a product.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Sku {
    pub id: i64,
    /// Unique across the catalog.
    pub code: String,
    /// Attribute name → value, e.g. `{"颜色":"红","尺码":"M"}`.
    pub attributes: BTreeMap<String, String>,
    /// List price in fen.
    pub price_fen: i64,
    /// Units on hand (all warehouses).
    pub stock: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Product {
    pub id: i64,
    pub title: String,
    pub description: String,
    /// Image URLs, the first is the main image.
    pub images: Vec<String>,
    pub on_shelf: bool,
    pub category_id: Option<i64>,
    /// Units one customer may buy in all (none: no limit).
    pub purchase_limit: Option<i64>,
    pub skus: Vec<Sku>,
    pub price_min_fen: i64,
    pub price_max_fen: i64,
    pub total_stock: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A product as written by staff. On update, SKUs with an `id` are changed, SKUs without one are
/// added, and the product's SKUs not listed are removed.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductInput {
    pub title: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub images: Vec<String>,
    #[serde(default = "yes")]
    pub on_shelf: bool,
    #[serde(default)]
    pub category_id: Option<i64>,
    /// Units one customer may buy in all, 1–999 (none: no limit).
    #[serde(default)]
    pub purchase_limit: Option<i64>,
    pub skus: Vec<SkuInput>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SkuInput {
    pub id: Option<i64>,
    pub code: String,
    #[serde(default)]
    pub attributes: BTreeMap<String, String>,
    /// Price in fen: a non-negative integer.
    pub price_fen: i64,
    pub stock: i64,
}

fn yes() -> bool {
    true
}
