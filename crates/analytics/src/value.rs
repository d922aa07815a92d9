//! Customer value tiers (plan §8.1 (4)): recency, frequency and money of each customer's paid
//! orders, with their interaction in the rooms (watch time and comments), each scored 1–5 by
//! where the customer stands among all customers, summed, and cut into high, medium and low
//! value. Recomputed on demand and on a schedule; each run keeps its tier sizes and how many
//! customers moved between tiers since the run before. docs/customer-value.md.

use crate::service::Analytics;
use crate::AnalyticsError;
use sellstream_core::Timestamp;
use sellstream_store::{Backend, Row};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

pub const TIERS: [&str; 3] = ["high", "medium", "low"];
/// A customer whose score stands above this share of customers is high value…
pub const HIGH_ABOVE: f64 = 0.8;
/// … above this, medium; the rest low.
pub const MEDIUM_ABOVE: f64 = 0.5;
/// A comment counts as this much watching in the interaction figure.
pub const COMMENT_AS_WATCH_MS: i64 = 5 * 60_000;
/// Rows per write statement.
const CHUNK: usize = 2_000;

static RUNNING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Movement {
    /// The tier at the run before; null for customers new to the tiers.
    pub from: Option<String>,
    /// The tier now; null for customers no longer tiered (their account was removed).
    pub to: Option<String>,
    pub customers: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ValueRun {
    pub id: i64,
    /// `manual` or `schedule`.
    pub source: String,
    pub by_id: Option<i64>,
    pub as_of: Timestamp,
    pub customers: i64,
    pub high: i64,
    pub medium: i64,
    pub low: i64,
    pub movements: Vec<Movement>,
    pub took_ms: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CustomerValue {
    pub account_id: i64,
    pub nickname: String,
    /// Masked: 138****1111.
    pub phone: Option<String>,
    /// Days since the last paid order; null without one.
    pub recency_days: Option<i64>,
    /// Paid orders not wholly refunded.
    pub frequency: i64,
    /// Paid minus refunded, in fen.
    pub monetary_fen: i64,
    pub watch_ms: i64,
    pub comments: i64,
    pub r: i64,
    pub f: i64,
    pub m: i64,
    pub i: i64,
    /// r + f + m + i, 4–20.
    pub score: i64,
    pub tier: String,
    pub previous_tier: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Members {
    pub items: Vec<CustomerValue>,
    pub total: i64,
}

/// (customer, last paid, orders not wholly refunded, paid minus refunded)
type Aggregate = (i64, Option<i64>, i64, i64);
/// (viewer, watch ms, comments)
type Watched = (i64, i64, i64);

const ORDERS_SQL: &str = "SELECT customer_id, MAX(paid_at),
        CAST(SUM(CASE WHEN refunded_fen < total_fen THEN 1 ELSE 0 END) AS BIGINT),
        CAST(SUM(total_fen - refunded_fen) AS BIGINT)
    FROM orders WHERE paid_at IS NOT NULL GROUP BY customer_id ORDER BY customer_id";
const WATCHED_SQL: &str = "SELECT viewer, CAST(SUM(watch_ms) AS BIGINT), CAST(SUM(chats) AS BIGINT)
    FROM analytics_viewers WHERE viewer > 0 GROUP BY viewer ORDER BY viewer";

fn read_native<T>(
    path: &std::path::Path,
    sql: &str,
    row: impl Fn(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> Result<Vec<T>, AnalyticsError> {
    let conn = rusqlite::Connection::open_with_flags(
        path,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.execute_batch(
        "PRAGMA busy_timeout = 10000; PRAGMA cache_size = -65536; PRAGMA mmap_size = 268435456;",
    )?;
    let mut st = conn.prepare(sql)?;
    let rows = st.query_map([], row)?;
    rows.collect::<Result<Vec<T>, _>>().map_err(Into::into)
}

#[derive(Debug, Default, Clone, Copy)]
struct Raw {
    account: i64,
    last_paid: Option<i64>,
    frequency: i64,
    monetary: i64,
    watch_ms: i64,
    comments: i64,
}

/// 1–5 for each value by its mid-rank among all values (ties share a score; higher is better).
pub fn quintiles(values: &[i64]) -> Vec<u8> {
    let n = values.len();
    let mut idx: Vec<u32> = (0..n as u32).collect();
    idx.sort_unstable_by_key(|&i| values[i as usize]);
    let mut out = vec![0u8; n];
    let mut i = 0;
    while i < n {
        let v = values[idx[i] as usize];
        let mut j = i;
        while j + 1 < n && values[idx[j + 1] as usize] == v {
            j += 1;
        }
        let mid = (i as f64 + (j - i + 1) as f64 / 2.0) / n as f64;
        let score = ((mid * 5.0).floor() as u8 + 1).min(5);
        for k in &idx[i..=j] {
            out[*k as usize] = score;
        }
        i = j + 1;
    }
    out
}

/// The share of values strictly below each value's tie group plus half the group: where the
/// customer stands, 0–1.
fn standing(values: &[u8]) -> Vec<f64> {
    let mut counts = [0usize; 32];
    for v in values {
        counts[*v as usize] += 1;
    }
    let n = values.len() as f64;
    let mut below = [0usize; 32];
    for s in 1..32 {
        below[s] = below[s - 1] + counts[s - 1];
    }
    values
        .iter()
        .map(|v| (below[*v as usize] as f64 + counts[*v as usize] as f64 / 2.0) / n)
        .collect()
}

pub fn tier_of(standing: f64) -> &'static str {
    if standing > HIGH_ABOVE {
        "high"
    } else if standing > MEDIUM_ABOVE {
        "medium"
    } else {
        "low"
    }
}

fn mask(phone: &str) -> String {
    let chars: Vec<char> = phone.chars().collect();
    if chars.len() < 7 {
        return "****".into();
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}****{tail}")
}

impl Analytics {
    /// Paid orders per customer and signed-in watching per viewer, each in id order.
    async fn aggregates(&self) -> Result<(Vec<Aggregate>, Vec<Watched>), AnalyticsError> {
        if let (Backend::Sqlite, Some(path)) = (self.store().backend(), self.store().sqlite_file())
        {
            // On SQLite the two scans run on two native connections at once: a million rows
            // through the pool's async, dynamically typed rows cost more than the scans.
            let path = path.to_owned();
            return tokio::task::spawn_blocking(move || {
                std::thread::scope(|s| {
                    let watched = s.spawn(|| {
                        read_native(&path, WATCHED_SQL, |r| {
                            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                        })
                    });
                    let orders = read_native(&path, ORDERS_SQL, |r| {
                        Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
                    })?;
                    let watched = watched.join().map_err(|_| {
                        AnalyticsError::Invalid("the watch-time reader failed".into())
                    })??;
                    Ok((orders, watched))
                })
            })
            .await
            .map_err(|e| AnalyticsError::Invalid(format!("reader task: {e}")))?;
        }
        use futures_util::TryStreamExt;
        let pool = self.store().pool();
        // Streamed into compact tuples: a million rows held as rows would cost hundreds of MB.
        let orders = async {
            let mut out: Vec<Aggregate> = Vec::new();
            let mut rows = sqlx::query(ORDERS_SQL).fetch(pool);
            while let Some(r) = rows.try_next().await? {
                out.push((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?));
            }
            Ok::<_, AnalyticsError>(out)
        };
        let watched = async {
            let mut out: Vec<Watched> = Vec::new();
            let mut rows = sqlx::query(WATCHED_SQL).fetch(pool);
            while let Some(r) = rows.try_next().await? {
                out.push((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?));
            }
            Ok::<_, AnalyticsError>(out)
        };
        tokio::try_join!(orders, watched)
    }

    async fn raw_values(&self) -> Result<Vec<Raw>, AnalyticsError> {
        let pool = self.store().pool();
        let (orders, watched) = self.aggregates().await?;
        let mut out = Vec::with_capacity(orders.len().max(watched.len()));
        let (mut a, mut b) = (orders.iter().peekable(), watched.iter().peekable());
        // Viewers who never bought are checked to be customers before they are tiered.
        let mut unchecked: Vec<usize> = Vec::new();
        loop {
            let mut raw = Raw::default();
            match (a.peek().map(|o| o.0), b.peek().map(|w| w.0)) {
                (None, None) => break,
                (Some(x), y) if y.is_none_or(|y| x <= y) => {
                    let o = a.next().expect("peeked");
                    raw.account = x;
                    raw.last_paid = o.1;
                    raw.frequency = o.2;
                    raw.monetary = o.3;
                    if y == Some(x) {
                        let w = b.next().expect("peeked");
                        raw.watch_ms = w.1;
                        raw.comments = w.2;
                    }
                }
                (_, Some(y)) => {
                    let w = b.next().expect("peeked");
                    raw.account = y;
                    raw.watch_ms = w.1;
                    raw.comments = w.2;
                    unchecked.push(out.len());
                }
                (Some(_), None) => unreachable!("covered by the arm above"),
            }
            out.push(raw);
        }
        if !unchecked.is_empty() {
            let mut customers = std::collections::HashSet::new();
            for chunk in unchecked.chunks(CHUNK) {
                let ids: Vec<String> = chunk.iter().map(|i| out[*i].account.to_string()).collect();
                // Whole numbers from this process, not input: safe to inline.
                let rows = sqlx::query(&format!(
                    "SELECT id FROM accounts WHERE kind = 'customer' AND id IN ({})",
                    ids.join(",")
                ))
                .fetch_all(pool)
                .await?;
                for r in rows {
                    customers.insert(r.try_get::<i64, _>(0)?);
                }
            }
            let drop: std::collections::HashSet<usize> = unchecked
                .into_iter()
                .filter(|i| !customers.contains(&out[*i].account))
                .collect();
            if !drop.is_empty() {
                out = out
                    .into_iter()
                    .enumerate()
                    .filter(|(i, _)| !drop.contains(i))
                    .map(|(_, r)| r)
                    .collect();
            }
        }
        Ok(out)
    }

    /// Recomputes every customer's value tier; all or nothing. `by`: who asked (None for the
    /// schedule).
    pub async fn recompute_values(
        &self,
        source: &str,
        by: Option<i64>,
    ) -> Result<ValueRun, AnalyticsError> {
        let _one_at_a_time = RUNNING.lock().await;
        let started = std::time::Instant::now();
        let now = Timestamp::now().millis();
        let raw = self.raw_values().await?;
        let n = raw.len();
        let t_read = started.elapsed().as_millis();
        // Recency: only buyers are ranked (more recent is better); the rest score 1.
        let buyers: Vec<usize> = (0..n).filter(|i| raw[*i].last_paid.is_some()).collect();
        let recent: Vec<i64> = buyers
            .iter()
            .map(|i| raw[*i].last_paid.unwrap_or(0))
            .collect();
        let mut r = vec![1u8; n];
        for (k, s) in buyers.iter().zip(quintiles(&recent)) {
            r[*k] = s;
        }
        let f = quintiles(&raw.iter().map(|x| x.frequency).collect::<Vec<_>>());
        let m = quintiles(&raw.iter().map(|x| x.monetary).collect::<Vec<_>>());
        let i = quintiles(
            &raw.iter()
                .map(|x| x.watch_ms + x.comments * COMMENT_AS_WATCH_MS)
                .collect::<Vec<_>>(),
        );
        let score: Vec<u8> = (0..n).map(|k| r[k] + f[k] + m[k] + i[k]).collect();
        let stand = standing(&score);

        let t_score = started.elapsed().as_millis();
        let mut tx = self.store().begin_write().await?;
        let run: i64 = sqlx::query(
            "INSERT INTO value_runs (source, by_id, as_of, customers, high, medium, low, movements, took_ms, created_at)
             VALUES ($1, $2, $3, 0, 0, 0, 0, '[]', 0, $3) RETURNING id",
        )
        .bind(source)
        .bind(by)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        let mut sizes = [0i64; 3];
        let cols = 13;
        for (c, chunk) in raw.chunks(CHUNK).enumerate() {
            let base = c * CHUNK;
            let mut sql = String::with_capacity(chunk.len() * 80 + 400);
            sql.push_str(
                "INSERT INTO customer_values (account_id, run_id, recency_days, frequency, monetary_fen,
                 watch_ms, comments, r, f, m, i, score, tier) VALUES ",
            );
            sql.push_str(&sellstream_store::value_rows(
                self.store().backend(),
                chunk.len(),
                cols,
            ));
            sql.push_str(
                " ON CONFLICT (account_id) DO UPDATE SET previous_tier = customer_values.tier,
                 run_id = excluded.run_id, recency_days = excluded.recency_days,
                 frequency = excluded.frequency, monetary_fen = excluded.monetary_fen,
                 watch_ms = excluded.watch_ms, comments = excluded.comments, r = excluded.r,
                 f = excluded.f, m = excluded.m, i = excluded.i, score = excluded.score,
                 tier = excluded.tier",
            );
            let mut q = sqlx::query(&sql);
            for (off, x) in chunk.iter().enumerate() {
                let k = base + off;
                let tier = tier_of(stand[k]);
                sizes[TIERS.iter().position(|t| *t == tier).expect("a tier")] += 1;
                q = q
                    .bind(x.account)
                    .bind(run)
                    .bind(x.last_paid.map(|t| (now - t).max(0) / 86_400_000))
                    .bind(x.frequency)
                    .bind(x.monetary)
                    .bind(x.watch_ms)
                    .bind(x.comments)
                    .bind(i64::from(r[k]))
                    .bind(i64::from(f[k]))
                    .bind(i64::from(m[k]))
                    .bind(i64::from(i[k]))
                    .bind(i64::from(score[k]))
                    .bind(tier);
            }
            q.execute(&mut *tx).await?;
        }
        let t_write = started.elapsed().as_millis();
        // Movements: inserted rows have no previous tier, updated rows their last; customers not
        // in this run left the tiers.
        let mut movements = Vec::new();
        for row in sqlx::query(
            "SELECT CASE WHEN run_id = $1 THEN previous_tier ELSE tier END,
                    CASE WHEN run_id = $1 THEN tier END, COUNT(*)
             FROM customer_values GROUP BY 1, 2",
        )
        .bind(run)
        .fetch_all(&mut *tx)
        .await?
        {
            movements.push(Movement {
                from: row.try_get(0)?,
                to: row.try_get(1)?,
                customers: row.try_get(2)?,
            });
        }
        sqlx::query("DELETE FROM customer_values WHERE run_id <> $1")
            .bind(run)
            .execute(&mut *tx)
            .await?;
        // A customer not moving between this run and the last has previous = tier; a rerun
        // later must compare with this run, so a stayed-put customer's previous stays theirs.
        movements.sort_by(|a, b| (&a.from, &a.to).cmp(&(&b.from, &b.to)));
        let took = started.elapsed().as_millis() as i64;
        sqlx::query(
            "UPDATE value_runs SET customers = $1, high = $2, medium = $3, low = $4, movements = $5,
             took_ms = $6 WHERE id = $7",
        )
        .bind(n as i64)
        .bind(sizes[0])
        .bind(sizes[1])
        .bind(sizes[2])
        .bind(serde_json::to_string(&movements).expect("movements serialise"))
        .bind(took)
        .bind(run)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        if self.store().backend() == Backend::Postgres {
            // Fresh statistics for the planner after a million-row rewrite.
            let _ = sqlx::query("ANALYZE customer_values")
                .execute(self.store().pool())
                .await;
        }
        tracing::info!(
            customers = n,
            took_ms = took,
            read_ms = t_read,
            scored_ms = t_score,
            written_ms = t_write,
            source,
            "customer value tiers recomputed"
        );
        Ok(ValueRun {
            id: run,
            source: source.to_owned(),
            by_id: by,
            as_of: Timestamp::from_millis(now),
            customers: n as i64,
            high: sizes[0],
            medium: sizes[1],
            low: sizes[2],
            movements,
            took_ms: took,
        })
    }

    /// The latest runs, newest first.
    pub async fn value_runs(&self, limit: i64) -> Result<Vec<ValueRun>, AnalyticsError> {
        let rows = sqlx::query(
            "SELECT id, source, by_id, as_of, customers, high, medium, low, movements, took_ms
             FROM value_runs ORDER BY id DESC LIMIT $1",
        )
        .bind(limit.clamp(1, 100))
        .fetch_all(self.store().pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ValueRun {
                    id: r.try_get(0)?,
                    source: r.try_get(1)?,
                    by_id: r.try_get(2)?,
                    as_of: Timestamp::from_millis(r.try_get(3)?),
                    customers: r.try_get(4)?,
                    high: r.try_get(5)?,
                    medium: r.try_get(6)?,
                    low: r.try_get(7)?,
                    movements: serde_json::from_str(&r.try_get::<String, _>(8)?)
                        .unwrap_or_default(),
                    took_ms: r.try_get(9)?,
                })
            })
            .collect()
    }

    /// When the latest run was made, if ever.
    pub async fn last_value_run(&self) -> Result<Option<i64>, AnalyticsError> {
        Ok(sqlx::query("SELECT MAX(as_of) FROM value_runs")
            .fetch_one(self.store().pool())
            .await?
            .try_get(0)?)
    }

    /// Customers of a tier (or all), best first.
    pub async fn value_members(
        &self,
        tier: Option<&str>,
        offset: i64,
        limit: i64,
    ) -> Result<Members, AnalyticsError> {
        let tier = tier.filter(|t| !t.is_empty());
        if let Some(t) = tier {
            if !TIERS.contains(&t) {
                return Err(AnalyticsError::Invalid(format!(
                    "tier: one of {}",
                    TIERS.join(", ")
                )));
            }
        }
        let tier = tier.unwrap_or("");
        let pool = self.store().pool();
        let total: i64 =
            sqlx::query("SELECT COUNT(*) FROM customer_values WHERE ($1 = '' OR tier = $1)")
                .bind(tier)
                .fetch_one(pool)
                .await?
                .try_get(0)?;
        let rows = sqlx::query(
            "SELECT v.account_id, a.nickname, a.phone, v.recency_days, v.frequency, v.monetary_fen,
                    v.watch_ms, v.comments, v.r, v.f, v.m, v.i, v.score, v.tier, v.previous_tier
             FROM customer_values v JOIN accounts a ON a.id = v.account_id
             WHERE ($1 = '' OR v.tier = $1)
             ORDER BY v.score DESC, v.monetary_fen DESC, v.account_id
             LIMIT $2 OFFSET $3",
        )
        .bind(tier)
        .bind(limit)
        .bind(offset.max(0))
        .fetch_all(pool)
        .await?;
        let items = rows
            .iter()
            .map(|r| {
                Ok(CustomerValue {
                    account_id: r.try_get(0)?,
                    nickname: r.try_get(1)?,
                    phone: r.try_get::<Option<String>, _>(2)?.map(|p| mask(&p)),
                    recency_days: r.try_get(3)?,
                    frequency: r.try_get(4)?,
                    monetary_fen: r.try_get(5)?,
                    watch_ms: r.try_get(6)?,
                    comments: r.try_get(7)?,
                    r: r.try_get(8)?,
                    f: r.try_get(9)?,
                    m: r.try_get(10)?,
                    i: r.try_get(11)?,
                    score: r.try_get(12)?,
                    tier: r.try_get(13)?,
                    previous_tier: r.try_get(14)?,
                })
            })
            .collect::<Result<Vec<_>, AnalyticsError>>()?;
        Ok(Members { items, total })
    }

    /// A tier's members as CSV (UTF-8 with BOM, for Excel), phones masked.
    pub async fn value_members_csv(&self, tier: Option<&str>) -> Result<String, AnalyticsError> {
        let all = self.value_members(tier, 0, i64::MAX / 2).await?;
        let mut out = String::from(
            "\u{feff}account_id,nickname,phone,tier,score,r,f,m,i,recency_days,orders,monetary_yuan,watch_minutes,comments\n",
        );
        for c in all.items {
            let field = |s: &str| {
                if s.contains([',', '"', '\n', '\r']) {
                    format!("\"{}\"", s.replace('"', "\"\""))
                } else {
                    s.to_owned()
                }
            };
            // A leading = + - @ would make a spreadsheet run the cell as a formula.
            let nick = if c.nickname.starts_with(['=', '+', '-', '@']) {
                format!("'{}", c.nickname)
            } else {
                c.nickname.clone()
            };
            out.push_str(&format!(
                "{},{},{},{},{},{},{},{},{},{},{},{:.2},{},{}\n",
                c.account_id,
                field(&nick),
                c.phone.as_deref().unwrap_or(""),
                c.tier,
                c.score,
                c.r,
                c.f,
                c.m,
                c.i,
                c.recency_days.map(|d| d.to_string()).unwrap_or_default(),
                c.frequency,
                c.monetary_fen as f64 / 100.0,
                c.watch_ms / 60_000,
                c.comments
            ));
        }
        Ok(out)
    }

    /// Tier sizes of the latest run by tier, for the target-group picker later.
    pub async fn tier_sizes(&self) -> Result<BTreeMap<String, i64>, AnalyticsError> {
        let mut out: BTreeMap<String, i64> = TIERS.iter().map(|t| (t.to_string(), 0)).collect();
        for r in sqlx::query("SELECT tier, COUNT(*) FROM customer_values GROUP BY tier")
            .fetch_all(self.store().pool())
            .await?
        {
            out.insert(r.try_get(0)?, r.try_get(1)?);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quintiles_follow_mid_ranks_and_ties_share_a_score() {
        // Ten distinct values: two per score.
        assert_eq!(
            quintiles(&[10, 9, 8, 7, 6, 5, 4, 3, 2, 1]),
            vec![5, 5, 4, 4, 3, 3, 2, 2, 1, 1]
        );
        // Six in ten bought once: they share score 2 (mid-rank 0.3); twice 4; three times 5.
        let f = quintiles(&[1, 1, 1, 1, 1, 1, 2, 2, 2, 3]);
        assert_eq!(f, vec![2, 2, 2, 2, 2, 2, 4, 4, 4, 5]);
        assert!(quintiles(&[]).is_empty());
        assert_eq!(quintiles(&[7]), vec![3]);
    }

    #[test]
    fn tiers_cut_by_standing() {
        let s = standing(&[4, 8, 12, 16, 20]);
        let tiers: Vec<_> = s.iter().map(|v| tier_of(*v)).collect();
        assert_eq!(tiers, vec!["low", "low", "low", "medium", "high"]);
        assert_eq!(mask("13800001111"), "138****1111");
    }
}
