//! Selling. For now the catalog: products with SKUs (attributes, price in fen, stock), images and
//! shelf state. Pricing, orders, the flash-sale stock ledger and payments join here later.

pub mod catalog;
pub mod checkout;
mod error;
pub mod pricing;

pub use catalog::{
    Catalog, Category, CategoryInput, Product, ProductFilter, ProductInput, Sku, SkuInput,
};
pub use error::CommerceError;
