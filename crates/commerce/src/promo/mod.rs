//! Promotions on the store: coupons (defined by staff, issued to customers or claimed in a live
//! room, with per-customer and total quantities), the coupons each customer holds, and
//! full-reduction campaigns (满减). The pricing engine decides what they are worth; this module
//! decides who holds what.

mod campaigns;
mod coupons;

pub use campaigns::{CampaignInput, CampaignRecord};
pub(crate) use coupons::json_col;
pub use coupons::{CouponInput, CouponRecord, GrantOutcome, HeldCoupon, HeldState, Promotions};

use crate::pricing::Scope;
use crate::CommerceError;
use sellstream_store::Store;

/// Checks that a scope names at least one product or category, all of which exist.
async fn check_scope(store: &Store, scope: &Scope) -> Result<(), CommerceError> {
    let (table, ids) = match scope {
        Scope::All => return Ok(()),
        Scope::Products { ids } => ("products", ids),
        Scope::Categories { ids } => ("categories", ids),
    };
    if ids.is_empty() || ids.len() > 200 {
        return Err(CommerceError::Invalid("scope.ids: 1 to 200 ids".to_owned()));
    }
    for id in ids {
        let found = sqlx::query(&format!("SELECT id FROM {table} WHERE id = $1"))
            .bind(id)
            .fetch_optional(store.pool())
            .await?;
        if found.is_none() {
            return Err(CommerceError::Invalid(format!(
                "scope.ids: no {} {id}",
                table.trim_end_matches('s').replace("categorie", "category")
            )));
        }
    }
    Ok(())
}

fn check_name(name: &str) -> Result<String, CommerceError> {
    let t = name.trim();
    let n = t.chars().count();
    if n == 0 || n > 40 || t.chars().any(char::is_control) {
        return Err(CommerceError::Invalid("name: 1 to 40 characters".into()));
    }
    Ok(t.to_owned())
}
