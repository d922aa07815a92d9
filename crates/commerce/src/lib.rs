//! Selling: the catalog of products and SKUs, the pricing engine, promotions (coupons and 满减
//! campaigns), membership tiers and points, orders with their state machine, payments through a
//! provider trait (a complete sandbox provider included) and refunds.

pub mod catalog;
pub mod checkout;
mod error;
pub mod flash;
mod membership;
pub mod orders;
pub mod payment;
mod points;
pub mod pricing;
pub mod promo;
mod settings;

pub use catalog::{
    Catalog, Category, CategoryInput, Product, ProductFilter, ProductInput, Sku, SkuInput,
};
pub use error::CommerceError;
pub use membership::{MemberStatus, Memberships, TierInput};
pub use orders::{Actor, Order, OrderFilter, OrderRequest, OrderState, Orders, Origin};
pub use points::{Points, PointsEntry, PointsSummary};
pub use settings::CommerceSettings;
