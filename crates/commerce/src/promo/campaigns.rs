use super::coupons::json_col;
use super::{check_name, check_scope, Promotions};
use crate::pricing::{Campaign, CampaignRule, Scope};
use crate::CommerceError;
use sellstream_core::{Fen, Page, PageRequest, Timestamp};
use sellstream_store::{AnyRow, Row};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A full-reduction campaign (满减活动) as staff define it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CampaignRecord {
    pub id: i64,
    pub name: String,
    /// `{"kind":"tiered","tiers":[{"min_spend":19900,"off":2000},…]}` or
    /// `{"kind":"every_full","every":10000,"off":1000,"cap":5000}`.
    #[schema(value_type = Object)]
    pub rule: CampaignRule,
    #[schema(value_type = Object)]
    pub scope: Scope,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    pub active: bool,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CampaignInput {
    pub name: String,
    #[schema(value_type = Object)]
    pub rule: CampaignRule,
    #[serde(default = "all")]
    #[schema(value_type = Object)]
    pub scope: Scope,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    #[serde(default = "yes")]
    pub active: bool,
}

fn all() -> Scope {
    Scope::All
}
fn yes() -> bool {
    true
}

fn check(input: &CampaignInput) -> Result<CampaignInput, CommerceError> {
    let bad = |m: &str| Err(CommerceError::Invalid(m.into()));
    let money = |f: Fen| f.0 > 0 && f <= Fen::MAX_PRICE;
    match &input.rule {
        CampaignRule::Tiered { tiers } => {
            if tiers.is_empty() || tiers.len() > 10 {
                return bad("rule.tiers: 1 to 10 tiers");
            }
            for (i, t) in tiers.iter().enumerate() {
                if !money(t.min_spend) || !money(t.off) || t.off >= t.min_spend {
                    return Err(CommerceError::Invalid(format!(
                        "rule.tiers[{i}]: min_spend and off above 0, off below min_spend"
                    )));
                }
                if i > 0 && (t.min_spend <= tiers[i - 1].min_spend || t.off <= tiers[i - 1].off) {
                    return Err(CommerceError::Invalid(format!(
                        "rule.tiers[{i}]: each tier needs a higher min_spend and a larger off"
                    )));
                }
            }
        }
        CampaignRule::EveryFull { every, off, cap } => {
            if !money(*every) || !money(*off) || off >= every {
                return bad("rule: every and off above 0, off below every");
            }
            if cap.is_some_and(|c| c < *off) {
                return bad("rule.cap: at least one reduction");
            }
        }
    }
    if input.ends_at <= input.starts_at {
        return bad("ends_at: must be after starts_at");
    }
    Ok(CampaignInput {
        name: check_name(&input.name)?,
        ..input.clone()
    })
}

fn from_row(r: &AnyRow) -> Result<CampaignRecord, CommerceError> {
    Ok(CampaignRecord {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        rule: json_col(r, "rule")?,
        scope: json_col(r, "scope")?,
        starts_at: Timestamp::from_millis(r.try_get("starts_at")?),
        ends_at: Timestamp::from_millis(r.try_get("ends_at")?),
        active: sellstream_store::get_flag(r, "active")?,
        created_at: Timestamp::from_millis(r.try_get("created_at")?),
    })
}

const COLUMNS: &str = "id, name, rule, scope, starts_at, ends_at, active, created_at";

impl Promotions {
    pub async fn create_campaign(
        &self,
        input: CampaignInput,
    ) -> Result<CampaignRecord, CommerceError> {
        let c = check(&input)?;
        check_scope(&self.store, &c.scope).await?;
        let id: i64 = sqlx::query(
            "INSERT INTO campaigns (name, rule, scope, starts_at, ends_at, active, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
        )
        .bind(&c.name)
        .bind(serde_json::to_string(&c.rule).unwrap_or_default())
        .bind(serde_json::to_string(&c.scope).unwrap_or_default())
        .bind(c.starts_at.millis())
        .bind(c.ends_at.millis())
        .bind(c.active)
        .bind(Timestamp::now().millis())
        .fetch_one(self.store.pool())
        .await?
        .try_get(0)?;
        self.campaign(id).await
    }

    pub async fn update_campaign(
        &self,
        id: i64,
        input: CampaignInput,
    ) -> Result<CampaignRecord, CommerceError> {
        let c = check(&input)?;
        check_scope(&self.store, &c.scope).await?;
        let n = sqlx::query(
            "UPDATE campaigns SET name = $1, rule = $2, scope = $3, starts_at = $4, ends_at = $5,
                active = $6, updated_at = $7 WHERE id = $8",
        )
        .bind(&c.name)
        .bind(serde_json::to_string(&c.rule).unwrap_or_default())
        .bind(serde_json::to_string(&c.scope).unwrap_or_default())
        .bind(c.starts_at.millis())
        .bind(c.ends_at.millis())
        .bind(c.active)
        .bind(Timestamp::now().millis())
        .bind(id)
        .execute(self.store.pool())
        .await?
        .rows_affected();
        if n == 0 {
            return Err(CommerceError::NotFound("campaign", id));
        }
        self.campaign(id).await
    }

    pub async fn campaign(&self, id: i64) -> Result<CampaignRecord, CommerceError> {
        let r = sqlx::query(&format!("SELECT {COLUMNS} FROM campaigns WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.store.pool())
            .await?
            .ok_or(CommerceError::NotFound("campaign", id))?;
        from_row(&r)
    }

    pub async fn campaigns(
        &self,
        page: PageRequest,
    ) -> Result<Page<CampaignRecord>, CommerceError> {
        let total: i64 = sqlx::query("SELECT COUNT(*) FROM campaigns")
            .fetch_one(self.store.pool())
            .await?
            .try_get(0)?;
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM campaigns ORDER BY id DESC LIMIT $1 OFFSET $2"
        ))
        .bind(page.limit())
        .bind(page.offset())
        .fetch_all(self.store.pool())
        .await?;
        let items = rows.iter().map(from_row).collect::<Result<_, _>>()?;
        Ok(Page::new(items, page, total))
    }

    /// The campaigns running at `now`, as the pricing engine sees them.
    pub async fn live_campaigns(&self, now: Timestamp) -> Result<Vec<Campaign>, CommerceError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM campaigns
             WHERE active = $1 AND starts_at <= $2 AND ends_at > $2 ORDER BY id LIMIT 50"
        ))
        .bind(true)
        .bind(now.millis())
        .fetch_all(self.store.pool())
        .await?;
        rows.iter()
            .map(|r| {
                let c = from_row(r)?;
                Ok(Campaign {
                    id: c.id,
                    name: c.name,
                    rule: c.rule,
                    scope: c.scope,
                    starts_at: c.starts_at,
                    ends_at: c.ends_at,
                })
            })
            .collect()
    }
}
