//! The brand's selling rules that staff tune: points (value, ceiling, earning, validity), the
//! payment window, shipping and when delivered orders complete by themselves. One row, read at
//! every checkout, so a change applies to the next order and never to a placed one (each order
//! keeps what it was priced with).

use crate::pricing::{PointsRule, ShippingRule};
use crate::CommerceError;
use sellstream_core::{Fen, Timestamp};
use sellstream_store::{AnyRow, Row, Store, Tx};

const SELECT: &str = "SELECT points_per_yuan, points_max_share_bp, points_earn_per_yuan,
    points_valid_days, payment_window_secs, shipping_fee_fen, free_shipping_from_fen,
    auto_complete_days FROM commerce_settings WHERE id = 1";
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommerceSettings {
    /// Points worth one yuan when spent (100: one point is one fen).
    pub points_per_yuan: u32,
    /// Points may pay at most this share of the goods, in basis points (5000 = half).
    pub points_max_share_bp: u32,
    /// Points earned per yuan paid, granted when an order completes.
    pub points_earn_per_yuan: u32,
    /// Days earned or returned points stay valid.
    pub points_valid_days: u32,
    /// Seconds a new order waits for payment before it is cancelled (default 15 minutes).
    pub payment_window_secs: i64,
    /// Flat shipping fee in fen (0: shipping included, 包邮).
    pub shipping_fee_fen: i64,
    /// Goods (after discounts) from which shipping is free.
    pub free_shipping_from_fen: Option<i64>,
    /// Days after delivery an order completes unless the customer confirms sooner.
    pub auto_complete_days: u32,
}

impl Default for CommerceSettings {
    fn default() -> Self {
        Self {
            points_per_yuan: 100,
            points_max_share_bp: 5_000,
            points_earn_per_yuan: 1,
            points_valid_days: 365,
            payment_window_secs: 900,
            shipping_fee_fen: 0,
            free_shipping_from_fen: None,
            auto_complete_days: 7,
        }
    }
}

impl CommerceSettings {
    pub fn points_rule(&self) -> PointsRule {
        PointsRule {
            points_per_yuan: self.points_per_yuan,
            max_share_bp: self.points_max_share_bp,
        }
    }

    pub fn shipping_rule(&self) -> ShippingRule {
        ShippingRule {
            fee: Fen(self.shipping_fee_fen),
            free_from: self.free_shipping_from_fen.map(Fen),
        }
    }

    /// Every field within its range, or an error naming the field.
    pub fn check(&self) -> Result<(), CommerceError> {
        let bad = |m: &str| Err(CommerceError::Invalid(m.into()));
        if !(1..=10_000).contains(&self.points_per_yuan) {
            return bad("points_per_yuan: 1 to 10000");
        }
        if self.points_max_share_bp > 10_000 {
            return bad("points_max_share_bp: 0 to 10000");
        }
        if self.points_earn_per_yuan > 1_000 {
            return bad("points_earn_per_yuan: 0 to 1000");
        }
        if !(1..=3_650).contains(&self.points_valid_days) {
            return bad("points_valid_days: 1 to 3650");
        }
        if !(60..=7 * 24 * 3600).contains(&self.payment_window_secs) {
            return bad("payment_window_secs: 60 to 604800");
        }
        if !(0..=100_000).contains(&self.shipping_fee_fen) {
            return bad("shipping_fee_fen: 0 to 100000");
        }
        if self
            .free_shipping_from_fen
            .is_some_and(|f| !(0..=Fen::MAX_PRICE.0).contains(&f))
        {
            return bad("free_shipping_from_fen: 0 or more");
        }
        if !(1..=90).contains(&self.auto_complete_days) {
            return bad("auto_complete_days: 1 to 90");
        }
        Ok(())
    }

    pub async fn load(store: &Store) -> Result<Self, CommerceError> {
        let r = sqlx::query(SELECT).fetch_one(store.pool()).await?;
        Self::from_row(&r)
    }

    pub(crate) async fn load_in(tx: &mut Tx) -> Result<Self, CommerceError> {
        let r = sqlx::query(SELECT).fetch_one(&mut **tx).await?;
        Self::from_row(&r)
    }

    fn from_row(r: &AnyRow) -> Result<Self, CommerceError> {
        let _ = ();
        let small = |c: &str| -> Result<u32, sqlx::Error> {
            Ok(r.try_get::<i64, _>(c)?.clamp(0, i64::from(u32::MAX)) as u32)
        };
        Ok(Self {
            points_per_yuan: small("points_per_yuan")?,
            points_max_share_bp: small("points_max_share_bp")?,
            points_earn_per_yuan: small("points_earn_per_yuan")?,
            points_valid_days: small("points_valid_days")?,
            payment_window_secs: r.try_get("payment_window_secs")?,
            shipping_fee_fen: r.try_get("shipping_fee_fen")?,
            free_shipping_from_fen: r.try_get("free_shipping_from_fen")?,
            auto_complete_days: small("auto_complete_days")?,
        })
    }

    pub async fn save(&self, store: &Store) -> Result<(), CommerceError> {
        self.check()?;
        sqlx::query(
            "UPDATE commerce_settings SET points_per_yuan = $1, points_max_share_bp = $2,
                points_earn_per_yuan = $3, points_valid_days = $4, payment_window_secs = $5,
                shipping_fee_fen = $6, free_shipping_from_fen = $7, auto_complete_days = $8,
                updated_at = $9
             WHERE id = 1",
        )
        .bind(i64::from(self.points_per_yuan))
        .bind(i64::from(self.points_max_share_bp))
        .bind(i64::from(self.points_earn_per_yuan))
        .bind(i64::from(self.points_valid_days))
        .bind(self.payment_window_secs)
        .bind(self.shipping_fee_fen)
        .bind(self.free_shipping_from_fen)
        .bind(i64::from(self.auto_complete_days))
        .bind(Timestamp::now().millis())
        .execute(store.pool())
        .await?;
        Ok(())
    }
}
