//! The points ledger (积分): append-only rows, each with the balance after it; the balance lives
//! in one row per customer whose `balance >= 0` check the database enforces, so two spends at
//! once cannot take a customer below zero. Credits (earned on completed orders, returned from
//! cancelled ones, added by staff) expire after the configured days; debits use the credits that
//! expire first, so what expires at time t is what was credited to expire by t and not used.

use crate::CommerceError;
use sellstream_core::{Page, PageRequest, Timestamp};
use sellstream_store::{Row, Store, Tx};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PointsEntry {
    pub id: i64,
    pub delta: i64,
    /// `earn`, `spend`, `return`, `expire` or `adjust`.
    pub reason: String,
    pub order_id: Option<i64>,
    pub expires_at: Option<Timestamp>,
    pub balance_after: i64,
    pub note: String,
    pub at: Timestamp,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PointsSummary {
    pub balance: i64,
    /// Points that expire within 30 days.
    pub expiring_soon: i64,
    pub next_expiry: Option<Timestamp>,
}

/// One change to a customer's points.
pub(crate) struct Change<'a> {
    pub customer_id: i64,
    pub delta: i64,
    pub reason: &'a str,
    pub order_id: Option<i64>,
    /// For credits: when they expire.
    pub expires_at: Option<i64>,
    pub note: &'a str,
    pub now: i64,
}

/// Applies `c` inside `tx`; refuses a debit larger than the balance.
pub(crate) async fn apply(tx: &mut Tx, c: Change<'_>) -> Result<i64, CommerceError> {
    if c.delta == 0 {
        return balance_in(tx, c.customer_id).await;
    }
    sqlx::query(
        "INSERT INTO points_accounts (customer_id, balance, updated_at) VALUES ($1, 0, $2)
         ON CONFLICT (customer_id) DO NOTHING",
    )
    .bind(c.customer_id)
    .bind(c.now)
    .execute(&mut **tx)
    .await?;
    let row = sqlx::query(
        "UPDATE points_accounts SET balance = balance + $1, updated_at = $2
         WHERE customer_id = $3 AND balance + $1 >= 0 RETURNING balance",
    )
    .bind(c.delta)
    .bind(c.now)
    .bind(c.customer_id)
    .fetch_optional(&mut **tx)
    .await?;
    let Some(row) = row else {
        let have = balance_in(tx, c.customer_id).await?;
        return Err(CommerceError::Invalid(format!(
            "points: you have {have} points, not {}",
            -c.delta
        )));
    };
    let after: i64 = row.try_get(0)?;
    sqlx::query(
        "INSERT INTO points_ledger (customer_id, delta, reason, order_id, expires_at, balance_after, note, at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(c.customer_id)
    .bind(c.delta)
    .bind(c.reason)
    .bind(c.order_id)
    .bind(c.expires_at)
    .bind(after)
    .bind(c.note)
    .bind(c.now)
    .execute(&mut **tx)
    .await?;
    Ok(after)
}

async fn balance_in(tx: &mut Tx, customer_id: i64) -> Result<i64, CommerceError> {
    Ok(
        sqlx::query("SELECT balance FROM points_accounts WHERE customer_id = $1")
            .bind(customer_id)
            .fetch_optional(&mut **tx)
            .await?
            .map(|r| r.try_get(0))
            .transpose()?
            .unwrap_or(0),
    )
}

/// Points on the store.
#[derive(Clone)]
pub struct Points {
    store: Store,
}

const DAY_MS: i64 = 24 * 3600 * 1000;

impl Points {
    pub fn new(store: Store) -> Self {
        Self { store }
    }

    pub async fn balance(&self, customer_id: i64) -> Result<i64, CommerceError> {
        Ok(
            sqlx::query("SELECT balance FROM points_accounts WHERE customer_id = $1")
                .bind(customer_id)
                .fetch_optional(self.store.pool())
                .await?
                .map(|r| r.try_get(0))
                .transpose()?
                .unwrap_or(0),
        )
    }

    pub async fn summary(&self, customer_id: i64) -> Result<PointsSummary, CommerceError> {
        let balance = self.balance(customer_id).await?;
        let now = Timestamp::now().millis();
        let (due_soon, next) = self.expiring(customer_id, now + 30 * DAY_MS).await?;
        Ok(PointsSummary {
            balance,
            expiring_soon: due_soon.min(balance),
            next_expiry: next.map(Timestamp::from_millis),
        })
    }

    /// Points that will have expired by `by` if not used, and the first date one expires.
    async fn expiring(
        &self,
        customer_id: i64,
        by: i64,
    ) -> Result<(i64, Option<i64>), CommerceError> {
        let r = sqlx::query(
            "SELECT CAST(COALESCE(SUM(CASE WHEN delta > 0 AND expires_at <= $2 THEN delta ELSE 0 END), 0) AS BIGINT) AS due,
                    CAST(COALESCE(SUM(CASE WHEN delta < 0 THEN -delta ELSE 0 END), 0) AS BIGINT) AS used,
                    MIN(CASE WHEN delta > 0 AND expires_at > $3 THEN expires_at END) AS next
             FROM points_ledger WHERE customer_id = $1",
        )
        .bind(customer_id)
        .bind(by)
        .bind(Timestamp::now().millis())
        .fetch_one(self.store.pool())
        .await?;
        let due: i64 = r.try_get("due")?;
        let used: i64 = r.try_get("used")?;
        Ok(((due - used).max(0), r.try_get("next")?))
    }

    pub async fn history(
        &self,
        customer_id: i64,
        page: PageRequest,
    ) -> Result<Page<PointsEntry>, CommerceError> {
        let total: i64 = sqlx::query("SELECT COUNT(*) FROM points_ledger WHERE customer_id = $1")
            .bind(customer_id)
            .fetch_one(self.store.pool())
            .await?
            .try_get(0)?;
        let rows = sqlx::query(
            "SELECT id, delta, reason, order_id, expires_at, balance_after, note, at
             FROM points_ledger WHERE customer_id = $1 ORDER BY id DESC LIMIT $2 OFFSET $3",
        )
        .bind(customer_id)
        .bind(page.limit())
        .bind(page.offset())
        .fetch_all(self.store.pool())
        .await?;
        let items = rows
            .iter()
            .map(|r| {
                Ok(PointsEntry {
                    id: r.try_get("id")?,
                    delta: r.try_get("delta")?,
                    reason: r.try_get("reason")?,
                    order_id: r.try_get("order_id")?,
                    expires_at: r
                        .try_get::<Option<i64>, _>("expires_at")?
                        .map(Timestamp::from_millis),
                    balance_after: r.try_get("balance_after")?,
                    note: r.try_get("note")?,
                    at: Timestamp::from_millis(r.try_get("at")?),
                })
            })
            .collect::<Result<_, CommerceError>>()?;
        Ok(Page::new(items, page, total))
    }

    /// Staff add or take points (a goodwill credit, a correction), with a note.
    pub async fn adjust(
        &self,
        customer_id: i64,
        delta: i64,
        note: &str,
        valid_days: u32,
    ) -> Result<i64, CommerceError> {
        if delta == 0 || delta.abs() > 10_000_000 {
            return Err(CommerceError::Invalid(
                "delta: a non-zero number of points up to 10000000".into(),
            ));
        }
        let note = note.trim();
        if note.is_empty() || note.chars().count() > 200 {
            return Err(CommerceError::Invalid("note: 1 to 200 characters".into()));
        }
        let now = Timestamp::now().millis();
        let mut tx = self.store.begin_write().await?;
        let kind: Option<String> = sqlx::query("SELECT kind FROM accounts WHERE id = $1")
            .bind(customer_id)
            .fetch_optional(&mut *tx)
            .await?
            .map(|r| r.try_get(0))
            .transpose()?;
        if kind.as_deref() != Some("customer") {
            return Err(CommerceError::NotFound("customer", customer_id));
        }
        let after = apply(
            &mut tx,
            Change {
                customer_id,
                delta,
                reason: "adjust",
                order_id: None,
                expires_at: (delta > 0).then(|| now + i64::from(valid_days) * DAY_MS),
                note,
                now,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Expires what is due at `now` for every customer; returns the points expired.
    pub async fn expire_due(&self, now: Timestamp) -> Result<i64, CommerceError> {
        let rows = sqlx::query(
            "SELECT customer_id,
                    CAST(SUM(CASE WHEN delta > 0 AND expires_at <= $1 THEN delta ELSE 0 END)
                  - SUM(CASE WHEN delta < 0 THEN -delta ELSE 0 END) AS BIGINT) AS due
             FROM points_ledger GROUP BY customer_id
             HAVING SUM(CASE WHEN delta > 0 AND expires_at <= $1 THEN delta ELSE 0 END)
                  > SUM(CASE WHEN delta < 0 THEN -delta ELSE 0 END)",
        )
        .bind(now.millis())
        .fetch_all(self.store.pool())
        .await?;
        let mut total = 0;
        for r in rows {
            let customer_id: i64 = r.try_get("customer_id")?;
            let mut tx = self.store.begin_write().await?;
            // Recomputed under the write lock: a spend may have landed since the scan.
            let due: i64 = sqlx::query(
                "SELECT CAST(COALESCE(SUM(CASE WHEN delta > 0 AND expires_at <= $2 THEN delta ELSE 0 END), 0) AS BIGINT)
                      - CAST(COALESCE(SUM(CASE WHEN delta < 0 THEN -delta ELSE 0 END), 0) AS BIGINT)
                 FROM points_ledger WHERE customer_id = $1",
            )
            .bind(customer_id)
            .bind(now.millis())
            .fetch_one(&mut *tx)
            .await?
            .try_get(0)?;
            let due = due.min(balance_in(&mut tx, customer_id).await?);
            if due > 0 {
                apply(
                    &mut tx,
                    Change {
                        customer_id,
                        delta: -due,
                        reason: "expire",
                        order_id: None,
                        expires_at: None,
                        note: "",
                        now: now.millis(),
                    },
                )
                .await?;
                total += due;
            }
            tx.commit().await?;
        }
        Ok(total)
    }
}

pub(crate) fn expiry(now: i64, valid_days: u32) -> i64 {
    now + i64::from(valid_days) * DAY_MS
}
