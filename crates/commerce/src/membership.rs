//! Membership tiers (会员等级) by rolling 12-month spend: what a customer paid in the last 365
//! days, less refunds, on orders not cancelled. The highest tier whose threshold that reaches
//! applies, and the pricing engine takes its discount off every line.

use crate::pricing::Membership;
use crate::CommerceError;
use sellstream_core::Timestamp;
use sellstream_store::{Row, Store};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

const YEAR_MS: i64 = 365 * 24 * 3600 * 1000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TierInput {
    pub name: String,
    /// Rolling 12-month spend (fen) from which the tier applies.
    pub min_spend_fen: i64,
    /// Basis points off every line (500 = 5 % off, 95折).
    pub off_bp: u32,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MemberStatus {
    /// Paid in the last 12 months, less refunds (fen).
    pub spend_12m_fen: i64,
    pub tier: Option<TierInput>,
    pub next_tier: Option<TierInput>,
    /// Still to spend to reach the next tier (fen).
    pub to_next_fen: Option<i64>,
}

#[derive(Clone)]
pub struct Memberships {
    store: Store,
}

impl Memberships {
    pub fn new(store: Store) -> Self {
        Self { store }
    }

    /// Tiers by threshold, lowest first.
    pub async fn tiers(&self) -> Result<Vec<TierInput>, CommerceError> {
        let rows = sqlx::query(
            "SELECT name, min_spend_fen, off_bp FROM membership_tiers ORDER BY min_spend_fen",
        )
        .fetch_all(self.store.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(TierInput {
                    name: r.try_get("name")?,
                    min_spend_fen: r.try_get("min_spend_fen")?,
                    off_bp: r.try_get::<i64, _>("off_bp")?.clamp(0, 5_000) as u32,
                })
            })
            .collect()
    }

    /// Replaces every tier at once (thresholds and discounts rise together).
    pub async fn set_tiers(&self, tiers: Vec<TierInput>) -> Result<Vec<TierInput>, CommerceError> {
        if tiers.len() > 10 {
            return Err(CommerceError::Invalid("tiers: at most 10".into()));
        }
        let mut sorted = tiers;
        sorted.sort_by_key(|t| t.min_spend_fen);
        for (i, t) in sorted.iter_mut().enumerate() {
            let name = t.name.trim();
            if name.is_empty() || name.chars().count() > 20 {
                return Err(CommerceError::Invalid(format!(
                    "tiers[{i}].name: 1 to 20 characters"
                )));
            }
            t.name = name.to_owned();
            if t.min_spend_fen <= 0 || t.min_spend_fen > 1_000_000_000_000 {
                return Err(CommerceError::Invalid(format!(
                    "tiers[{i}].min_spend_fen: more than 0"
                )));
            }
            if t.off_bp > 5_000 {
                return Err(CommerceError::Invalid(format!(
                    "tiers[{i}].off_bp: 0 to 5000 (at most half off)"
                )));
            }
        }
        for w in sorted.windows(2) {
            if w[0].min_spend_fen == w[1].min_spend_fen || w[0].name == w[1].name {
                return Err(CommerceError::Invalid(
                    "tiers: names and thresholds must differ".into(),
                ));
            }
            if w[1].off_bp < w[0].off_bp {
                return Err(CommerceError::Invalid(
                    "tiers: a higher tier cannot give a smaller discount".into(),
                ));
            }
        }
        let mut tx = self.store.begin_write().await?;
        sqlx::query("DELETE FROM membership_tiers")
            .execute(&mut *tx)
            .await?;
        let now = Timestamp::now().millis();
        for t in &sorted {
            sqlx::query(
                "INSERT INTO membership_tiers (name, min_spend_fen, off_bp, created_at) VALUES ($1, $2, $3, $4)",
            )
            .bind(&t.name)
            .bind(t.min_spend_fen)
            .bind(i64::from(t.off_bp))
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(sorted)
    }

    pub async fn status(
        &self,
        customer_id: i64,
        now: Timestamp,
    ) -> Result<MemberStatus, CommerceError> {
        let spend: i64 = sqlx::query(
            "SELECT CAST(COALESCE(SUM(total_fen - refunded_fen), 0) AS BIGINT) FROM orders
             WHERE customer_id = $1 AND paid_at IS NOT NULL AND paid_at > $2",
        )
        .bind(customer_id)
        .bind(now.millis() - YEAR_MS)
        .fetch_one(self.store.pool())
        .await?
        .try_get(0)?;
        let tiers = self.tiers().await?;
        let tier = tiers
            .iter()
            .rev()
            .find(|t| spend >= t.min_spend_fen)
            .cloned();
        let next = tiers.iter().find(|t| spend < t.min_spend_fen).cloned();
        Ok(MemberStatus {
            spend_12m_fen: spend,
            to_next_fen: next.as_ref().map(|t| t.min_spend_fen - spend),
            tier,
            next_tier: next,
        })
    }

    /// The benefit the pricing engine applies for this customer now.
    pub async fn benefit(
        &self,
        customer_id: i64,
        now: Timestamp,
    ) -> Result<Option<Membership>, CommerceError> {
        Ok(self
            .status(customer_id, now)
            .await?
            .tier
            .map(|t| Membership {
                tier: t.name,
                off_bp: t.off_bp,
            }))
    }
}
