//! Flash sales (秒杀): a quota of one SKU set aside from its stock and sold at the flash price
//! between two times, through the stock ledger ([`ledger`]): one writer per sale, group commit,
//! the database as the judge of stock and per-customer limits. An ended sale gives its unsold
//! quota back to the SKU.

pub mod ledger;
mod redis_baseline;

use crate::CommerceError;
use sellstream_core::{Fen, Timestamp};
use sellstream_store::{AnyRow, Row, Store};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// How a sale takes stock. `ledger` is sellstream's; the others exist so the bench can measure
/// the usual designs on the same server and HTTP path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, Default)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    /// One writer per sale, batches committed in one transaction before anyone is answered.
    #[default]
    Ledger,
    /// One transaction per buy on the hot row (the usual database design).
    Naive,
    /// Check and decrement in Redis by a Lua script, the order written after answering (the
    /// popular design that can lose an acknowledged order).
    Redis,
}

impl Strategy {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ledger => "ledger",
            Self::Naive => "naive",
            Self::Redis => "redis",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        [Self::Ledger, Self::Naive, Self::Redis]
            .into_iter()
            .find(|x| x.as_str() == s)
    }
}

/// Where a sale stands at a moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SalePhase {
    /// Counting down to the start.
    Upcoming,
    Running,
    SoldOut,
    Ended,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FlashSale {
    pub id: i64,
    pub session_id: i64,
    pub product_id: i64,
    pub sku_id: i64,
    pub title: String,
    pub quota: i64,
    pub remaining: i64,
    pub price_fen: i64,
    /// The SKU's list price, for the struck-through price.
    pub list_price_fen: i64,
    pub per_customer: i64,
    pub members_only: bool,
    pub strategy: Strategy,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    pub ended_at: Option<Timestamp>,
    /// Unsold units given back to the SKU when the sale ended.
    pub returned: i64,
    pub phase: SalePhase,
    pub created_at: Timestamp,
}

impl FlashSale {
    /// What the live room shows of the sale.
    pub fn room_json(&self) -> serde_json::Value {
        serde_json::json!({
            "id": self.id, "product": self.product_id, "sku": self.sku_id, "title": self.title,
            "price_fen": self.price_fen, "list_price_fen": self.list_price_fen,
            "quota": self.quota, "remaining": self.remaining, "per_customer": self.per_customer,
            "members_only": self.members_only, "starts_at": self.starts_at, "ends_at": self.ends_at,
            "phase": self.phase,
        })
    }

    pub fn phase_at(&self, now: Timestamp) -> SalePhase {
        if self.ended_at.is_some() || now >= self.ends_at {
            SalePhase::Ended
        } else if now < self.starts_at {
            SalePhase::Upcoming
        } else if self.remaining == 0 {
            SalePhase::SoldOut
        } else {
            SalePhase::Running
        }
    }
}

/// A sale as the controller launches it.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FlashSaleInput {
    pub sku_id: i64,
    /// Shown in the room; the product's title when absent.
    #[serde(default)]
    pub title: Option<String>,
    /// Units set aside from the SKU's stock.
    pub quota: i64,
    pub price_fen: i64,
    #[serde(default = "one")]
    pub per_customer: i64,
    #[serde(default)]
    pub members_only: bool,
    /// When it starts; `countdown_secs` from now when absent.
    pub starts_at: Option<Timestamp>,
    /// Seconds from now to the start when `starts_at` is absent (default 10).
    #[serde(default)]
    pub countdown_secs: Option<i64>,
    /// How long it runs, in seconds (default 600).
    #[serde(default)]
    pub duration_secs: Option<i64>,
    #[serde(default)]
    pub strategy: Strategy,
}

fn one() -> i64 {
    1
}

const COLUMNS: &str = "f.id, f.session_id, f.product_id, f.sku_id, f.title, f.quota, f.remaining,
    f.price_fen, f.per_customer, f.members_only, f.strategy, f.starts_at, f.ends_at, f.ended_at,
    f.returned, f.created_at, s.price_fen AS list_price_fen";

fn from_row(r: &AnyRow, now: Timestamp) -> Result<FlashSale, CommerceError> {
    let strategy: String = r.try_get("strategy")?;
    let mut sale = FlashSale {
        id: r.try_get("id")?,
        session_id: r.try_get("session_id")?,
        product_id: r.try_get("product_id")?,
        sku_id: r.try_get("sku_id")?,
        title: r.try_get("title")?,
        quota: r.try_get("quota")?,
        remaining: r.try_get("remaining")?,
        price_fen: r.try_get("price_fen")?,
        list_price_fen: r.try_get("list_price_fen")?,
        per_customer: r.try_get("per_customer")?,
        members_only: sellstream_store::get_flag(r, "members_only")?,
        strategy: Strategy::parse(&strategy)
            .ok_or_else(|| CommerceError::Corrupt(format!("flash strategy {strategy}")))?,
        starts_at: Timestamp::from_millis(r.try_get("starts_at")?),
        ends_at: Timestamp::from_millis(r.try_get("ends_at")?),
        ended_at: r
            .try_get::<Option<i64>, _>("ended_at")?
            .map(Timestamp::from_millis),
        returned: r.try_get("returned")?,
        phase: SalePhase::Ended,
        created_at: Timestamp::from_millis(r.try_get("created_at")?),
    };
    sale.phase = sale.phase_at(now);
    Ok(sale)
}

/// Flash sales on the store.
#[derive(Clone)]
pub struct FlashSales {
    store: Store,
}

impl FlashSales {
    pub fn new(store: Store) -> Self {
        Self { store }
    }

    /// Sets a quota of a SKU aside for a sale in `session_id` (the caller checks the session and
    /// that the product is in its bag). The quota leaves the SKU's stock at once.
    pub async fn create(
        &self,
        session_id: i64,
        input: FlashSaleInput,
        created_by: Option<i64>,
    ) -> Result<FlashSale, CommerceError> {
        let bad = |m: &str| Err(CommerceError::Invalid(m.into()));
        if !(1..=1_000_000).contains(&input.quota) {
            return bad("quota: 1 to 1000000 units");
        }
        if !(0..=Fen::MAX_PRICE.0).contains(&input.price_fen) {
            return bad("price_fen: 0 or more fen");
        }
        if !(1..=100).contains(&input.per_customer) {
            return bad("per_customer: 1 to 100");
        }
        let now = Timestamp::now();
        let countdown = input.countdown_secs.unwrap_or(10);
        if !(0..=7 * 24 * 3600).contains(&countdown) {
            return bad("countdown_secs: 0 to 604800");
        }
        let duration = input.duration_secs.unwrap_or(600);
        if !(10..=24 * 3600).contains(&duration) {
            return bad("duration_secs: 10 to 86400");
        }
        let starts_at = input.starts_at.unwrap_or(now.plus_seconds(countdown));
        if starts_at.millis() < now.millis() - 60_000 {
            return bad("starts_at: in the past");
        }
        let ends_at = starts_at.plus_seconds(duration);
        let sku = sqlx::query(
            "SELECT s.product_id, s.price_fen, p.title, p.purchase_limit FROM skus s
             JOIN products p ON p.id = s.product_id WHERE s.id = $1",
        )
        .bind(input.sku_id)
        .fetch_optional(self.store.pool())
        .await?
        .ok_or_else(|| CommerceError::Invalid(format!("sku_id: no SKU {}", input.sku_id)))?;
        let product_id: i64 = sku.try_get("product_id")?;
        let list: i64 = sku.try_get("price_fen")?;
        if input.price_fen > list {
            return bad("price_fen: a flash price above the list price");
        }
        if let Some(limit) = sku.try_get::<Option<i64>, _>("purchase_limit")? {
            if input.per_customer > limit {
                return Err(CommerceError::Invalid(format!(
                    "per_customer: the product allows {limit} per customer in all"
                )));
            }
        }
        let title = match input.title.as_deref().map(str::trim) {
            Some(t) if !t.is_empty() => {
                if t.chars().count() > 40 {
                    return bad("title: at most 40 characters");
                }
                t.to_owned()
            }
            _ => sku.try_get("title")?,
        };
        let mut tx = self.store.begin_write().await?;
        let taken = sqlx::query(
            "UPDATE skus SET stock = stock - $1, updated_at = $2 WHERE id = $3 AND stock >= $1",
        )
        .bind(input.quota)
        .bind(now.millis())
        .bind(input.sku_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if taken == 0 {
            return Err(CommerceError::OutOfStock(format!(
                "quota: the SKU has fewer than {} units in stock",
                input.quota
            )));
        }
        let id: i64 = sqlx::query(
            "INSERT INTO flash_sales (session_id, product_id, sku_id, title, quota, remaining,
                price_fen, per_customer, members_only, strategy, starts_at, ends_at, created_by, created_at)
             VALUES ($1, $2, $3, $4, $5, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id",
        )
        .bind(session_id)
        .bind(product_id)
        .bind(input.sku_id)
        .bind(&title)
        .bind(input.quota)
        .bind(input.price_fen)
        .bind(input.per_customer)
        .bind(input.members_only)
        .bind(input.strategy.as_str())
        .bind(starts_at.millis())
        .bind(ends_at.millis())
        .bind(created_by)
        .bind(now.millis())
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        tx.commit().await?;
        self.get(id).await
    }

    pub async fn get(&self, id: i64) -> Result<FlashSale, CommerceError> {
        let r = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM flash_sales f JOIN skus s ON s.id = f.sku_id WHERE f.id = $1"
        ))
        .bind(id)
        .fetch_optional(self.store.pool())
        .await?
        .ok_or(CommerceError::NotFound("flash sale", id))?;
        from_row(&r, Timestamp::now())
    }

    /// A session's sales, newest first.
    pub async fn for_session(&self, session_id: i64) -> Result<Vec<FlashSale>, CommerceError> {
        let now = Timestamp::now();
        sqlx::query(&format!(
            "SELECT {COLUMNS} FROM flash_sales f JOIN skus s ON s.id = f.sku_id
             WHERE f.session_id = $1 ORDER BY f.id DESC LIMIT 200"
        ))
        .bind(session_id)
        .fetch_all(self.store.pool())
        .await?
        .iter()
        .map(|r| from_row(r, now))
        .collect()
    }

    /// Ends a sale now (or confirms it ended): its unsold units go back to the SKU. Returns the
    /// sale and whether this call ended it.
    pub async fn end(&self, id: i64) -> Result<(FlashSale, bool), CommerceError> {
        let now = Timestamp::now().millis();
        let mut tx = self.store.begin_write().await?;
        let row = sqlx::query(
            "UPDATE flash_sales SET ended_at = $1, returned = remaining, remaining = 0,
                ends_at = CASE WHEN ends_at > $1 THEN $1 ELSE ends_at END
             WHERE id = $2 AND ended_at IS NULL RETURNING sku_id, returned",
        )
        .bind(now)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        let ended = row.is_some();
        if let Some(r) = row {
            let sku: i64 = r.try_get("sku_id")?;
            let back: i64 = r.try_get("returned")?;
            sqlx::query("UPDATE skus SET stock = stock + $1, updated_at = $2 WHERE id = $3")
                .bind(back)
                .bind(now)
                .bind(sku)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok((self.get(id).await?, ended))
    }

    /// Ends every sale whose time is up; returns the ones this call ended.
    pub async fn end_due(&self, now: Timestamp) -> Result<Vec<FlashSale>, CommerceError> {
        let ids: Vec<i64> = sqlx::query(
            "SELECT id FROM flash_sales WHERE ended_at IS NULL AND ends_at <= $1 ORDER BY id LIMIT 100",
        )
        .bind(now.millis())
        .fetch_all(self.store.pool())
        .await?
        .iter()
        .map(|r| r.try_get(0))
        .collect::<Result<_, _>>()?;
        let mut out = Vec::new();
        for id in ids {
            let (sale, ended) = self.end(id).await?;
            if ended {
                out.push(sale);
            }
        }
        Ok(out)
    }
}
