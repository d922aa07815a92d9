//! Sessions side by side and trends over time, host, channel and product, from the per-session
//! rollup rows (one row a session, never events).

use crate::metrics::{Counts, Metrics};
use crate::report::SessionRef;
use crate::rollup::{p, PRODUCTS, SESSIONS};
use crate::service::Analytics;
use crate::AnalyticsError;
use sellstream_core::Timestamp;
use sellstream_store::Row;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct ListQuery {
    /// Sessions that started at or after (epoch ms).
    pub from: Option<i64>,
    /// … and before (epoch ms).
    pub to: Option<i64>,
    pub channel: Option<String>,
    pub host: Option<i64>,
    /// A metric key (gmv_fen, uv, conversion, …) or started_at.
    pub sort: Option<String>,
    /// asc or desc (default).
    pub order: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SessionMetrics {
    pub session: SessionRef,
    pub metrics: Metrics,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SessionList {
    pub items: Vec<SessionMetrics>,
    pub total: usize,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct TrendQuery {
    /// day, week, month, host, channel or product.
    pub by: Option<String>,
    pub from: Option<i64>,
    pub to: Option<i64>,
    pub channel: Option<String>,
    pub host: Option<i64>,
    /// Only sessions that showed this product; each row then carries its own figures too.
    pub product: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TrendRow {
    pub key: String,
    pub label: String,
    /// Sessions behind the figures: a row of one is a sample of one.
    pub sessions: i64,
    /// The session metrics of the row's sessions (by product: the sessions that showed it).
    pub metrics: Metrics,
    /// The product's own figures in those sessions, when grouped or filtered by product.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product: Option<ProductFigures>,
}

#[derive(Debug, Default, Clone, Serialize, ToSchema)]
pub struct ProductFigures {
    pub exposures: i64,
    pub clicks: i64,
    /// clicks ÷ exposures.
    pub ctr: Option<f64>,
    pub carts: i64,
    pub orders: i64,
    pub units: i64,
    pub paid_orders: i64,
    /// Paid GMV less refunds.
    pub gmv_fen: i64,
    pub refund_fen: i64,
    /// paid orders ÷ clicks.
    pub click_conversion: Option<f64>,
    /// The product's GMV ÷ the GMV of the sessions that showed it.
    pub gmv_share: Option<f64>,
}

impl ProductFigures {
    fn from_sums(c: &[i64], session_gmv_fen: i64) -> Self {
        let gmv = c[p::gmv_fen] - c[p::refund_fen];
        let ratio = |a: i64, b: i64| (b > 0).then(|| a as f64 / b as f64);
        Self {
            exposures: c[p::exposures],
            clicks: c[p::clicks],
            ctr: ratio(c[p::clicks], c[p::exposures]),
            carts: c[p::carts],
            orders: c[p::orders],
            units: c[p::units],
            paid_orders: c[p::paid_orders],
            gmv_fen: gmv,
            refund_fen: c[p::refund_fen],
            click_conversion: ratio(c[p::paid_orders], c[p::clicks]),
            gmv_share: ratio(gmv, session_gmv_fen),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Trend {
    pub by: String,
    pub rows: Vec<TrendRow>,
}

/// Shanghai has one offset all year.
const SHANGHAI_MS: i64 = 8 * 3_600_000;
const DAY_MS: i64 = 86_400_000;

/// The day, ISO week or month (Asia/Shanghai) a moment falls in: (sortable key, label).
pub fn period(at: i64, by: &str) -> (String, String) {
    let local = at + SHANGHAI_MS;
    let days = local.div_euclid(DAY_MS);
    let date = time::Date::from_julian_day((days + 2_440_588) as i32).unwrap_or(time::Date::MIN);
    match by {
        "week" => {
            let (y, w, _) = date.to_iso_week_date();
            let k = format!("{y}-W{w:02}");
            (k.clone(), k)
        }
        "month" => {
            let k = format!("{}-{:02}", date.year(), date.month() as u8);
            (k.clone(), k)
        }
        _ => {
            let k = format!(
                "{}-{:02}-{:02}",
                date.year(),
                date.month() as u8,
                date.day()
            );
            (k.clone(), k)
        }
    }
}

impl Analytics {
    pub(crate) async fn rows(
        &self,
        from: Option<i64>,
        to: Option<i64>,
        channel: Option<&str>,
        host: Option<i64>,
        product: Option<i64>,
    ) -> Result<Vec<(SessionRef, Counts)>, AnalyticsError> {
        let cols: Vec<String> = SESSIONS
            .cols
            .iter()
            // A session nobody has watched yet is listed with zeros, not left out.
            .map(|(c, _)| format!("COALESCE(a2.{c}, 0)"))
            .collect();
        let sql = format!(
            "SELECT ls.id, ls.title, ls.channel, ls.state, ls.scheduled_start, ls.started_at, ls.ended_at,
                    ls.host_id, a.nickname, ls.target_gmv_fen, ls.target_viewers, ls.target_orders, {}
             FROM live_sessions ls
             LEFT JOIN analytics_sessions a2 ON a2.session_id = ls.id AND a2.replay = 0
             LEFT JOIN accounts a ON a.id = ls.host_id
             WHERE ls.started_at IS NOT NULL AND ls.practice_course_id IS NULL
               AND ($1 IS NULL OR ls.started_at >= $1) AND ($2 IS NULL OR ls.started_at < $2)
               AND ($3 IS NULL OR ls.channel = $3) AND ($4 IS NULL OR ls.host_id = $4)
               AND ($5 IS NULL OR EXISTS (SELECT 1 FROM analytics_products ap
                   WHERE ap.session_id = ls.id AND ap.replay = 0 AND ap.product_id = $5))
             ORDER BY ls.started_at DESC, ls.id DESC",
            cols.join(", ")
        );
        let now = Timestamp::now().millis();
        let rows = sqlx::query(&sql)
            .bind(from)
            .bind(to)
            .bind(channel)
            .bind(host)
            .bind(product)
            .fetch_all(self.store().pool())
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let sess = crate::report::session_ref_row(&r, now)?;
            let mut c = Counts::default();
            for i in 0..SESSIONS.cols.len() {
                c.0[i] = r.try_get(12 + i)?;
            }
            out.push((sess, c));
        }
        Ok(out)
    }

    /// Sessions with their metrics, sorted by any metric.
    pub async fn sessions(&self, q: &ListQuery) -> Result<SessionList, AnalyticsError> {
        let rows = self
            .rows(q.from, q.to, q.channel.as_deref(), q.host, None)
            .await?;
        let items: Vec<SessionMetrics> = rows
            .into_iter()
            .map(|(session, c)| SessionMetrics {
                metrics: Metrics::from_counts(&c, session.duration_ms),
                session,
            })
            .collect();
        let key = q.sort.as_deref().unwrap_or("started_at");
        let probe = Metrics::default();
        if key != "started_at"
            && serde_json::to_value(&probe)
                .ok()
                .and_then(|v| v.get(key).cloned())
                .is_none()
        {
            return Err(AnalyticsError::Invalid(format!("cannot sort by '{key}'")));
        }
        let desc = !matches!(q.order.as_deref(), Some("asc"));
        let value = |s: &SessionMetrics| -> Option<f64> {
            if key == "started_at" {
                s.session.started_at.map(|v| v as f64)
            } else {
                s.metrics.sort_key(key)
            }
        };
        // Each session's key once (a metric's value is read through its JSON form).
        let mut keyed: Vec<(Option<f64>, SessionMetrics)> =
            items.into_iter().map(|s| (value(&s), s)).collect();
        keyed.sort_by(|(x, a), (y, b)| {
            let (x, y) = (*x, *y);
            match (x, y) {
                (Some(x), Some(y)) => {
                    let o = x.partial_cmp(&y).unwrap_or(std::cmp::Ordering::Equal);
                    if desc {
                        o.reverse()
                    } else {
                        o
                    }
                }
                // Missing values last either way.
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            }
            .then(b.session.id.cmp(&a.session.id))
        });
        let items: Vec<SessionMetrics> = keyed.into_iter().map(|(_, s)| s).collect();
        let total = items.len();
        let per = q.per_page.unwrap_or(50).clamp(1, 500) as usize;
        let page = q.page.unwrap_or(1).max(1) as usize;
        let items = items.into_iter().skip((page - 1) * per).take(per).collect();
        Ok(SessionList { items, total })
    }

    /// The same metrics grouped by day, week, month, host, channel or product. By product (or
    /// filtered to one), each row also carries the product's own figures.
    pub async fn trend(&self, q: &TrendQuery) -> Result<Trend, AnalyticsError> {
        let by = q.by.clone().unwrap_or_else(|| "day".into());
        if !matches!(
            by.as_str(),
            "day" | "week" | "month" | "host" | "channel" | "product"
        ) {
            return Err(AnalyticsError::Invalid(
                "by is day, week, month, host, channel or product".into(),
            ));
        }
        let sessions = self
            .rows(q.from, q.to, q.channel.as_deref(), q.host, q.product)
            .await?;
        let with_products = by == "product" || q.product.is_some();
        // Per session: (product id, title, figures), only when products are asked for.
        let mut shown: BTreeMap<i64, Vec<(i64, String, Vec<i64>)>> = BTreeMap::new();
        if with_products {
            for (session, product, title, c) in self.product_rows(q).await? {
                shown.entry(session).or_default().push((product, title, c));
            }
        }
        struct Group {
            label: String,
            sessions: i64,
            counts: Counts,
            duration_ms: i64,
            product: Option<Vec<i64>>,
        }
        let mut groups: BTreeMap<String, Group> = BTreeMap::new();
        let mut add =
            |key: String, label: String, sess: &SessionRef, c: &Counts, prod: Option<&[i64]>| {
                let g = groups.entry(key).or_insert_with(|| Group {
                    label,
                    sessions: 0,
                    counts: Counts::default(),
                    duration_ms: 0,
                    product: None,
                });
                g.sessions += 1;
                g.counts.add(c);
                g.duration_ms += sess.duration_ms;
                if let Some(pc) = prod {
                    let sum = g.product.get_or_insert_with(|| vec![0; pc.len()]);
                    for (a, b) in sum.iter_mut().zip(pc) {
                        *a += b;
                    }
                }
            };
        let empty = Vec::new();
        for (sess, c) in &sessions {
            let products = shown.get(&sess.id).unwrap_or(&empty);
            if by == "product" {
                for (id, title, pc) in products {
                    add(id.to_string(), title.clone(), sess, c, Some(pc));
                }
                continue;
            }
            let (key, label) = match by.as_str() {
                "host" => match &sess.host {
                    Some(h) => (h.id.to_string(), h.name.clone()),
                    None => ("none".into(), "—".into()),
                },
                "channel" => (sess.channel.clone(), sess.channel.clone()),
                _ => period(sess.started_at.unwrap_or(0), &by),
            };
            let prod = q.product.and_then(|want| {
                products
                    .iter()
                    .find(|(id, _, _)| *id == want)
                    .map(|(_, _, pc)| pc.as_slice())
            });
            add(key, label, sess, c, prod);
        }
        let zeros = vec![0; PRODUCTS.cols.len()];
        let mut rows: Vec<TrendRow> = groups
            .into_iter()
            .map(|(key, g)| {
                let metrics = Metrics::from_counts(&g.counts, g.duration_ms);
                let product = with_products.then(|| {
                    ProductFigures::from_sums(
                        g.product.as_deref().unwrap_or(&zeros),
                        metrics.gmv_fen,
                    )
                });
                TrendRow {
                    key,
                    label: g.label,
                    sessions: g.sessions,
                    metrics,
                    product,
                }
            })
            .collect();
        if by == "product" {
            let gmv = |r: &TrendRow| r.product.as_ref().map_or(0, |p| p.gmv_fen);
            rows.sort_by(|a, b| gmv(b).cmp(&gmv(a)).then(a.key.cmp(&b.key)));
        }
        Ok(Trend { by, rows })
    }

    /// Each (session, product) rollup row of the sessions in range: the product's figures there.
    async fn product_rows(
        &self,
        q: &TrendQuery,
    ) -> Result<Vec<(i64, i64, String, Vec<i64>)>, AnalyticsError> {
        let cols: Vec<String> = PRODUCTS
            .cols
            .iter()
            .map(|(c, _)| format!("ap.{c}"))
            .collect();
        let sql = format!(
            "SELECT ap.session_id, ap.product_id, COALESCE(pr.title, ''), {}
             FROM analytics_products ap
             JOIN live_sessions ls ON ls.id = ap.session_id
             LEFT JOIN products pr ON pr.id = ap.product_id
             WHERE ap.replay = 0 AND ls.started_at IS NOT NULL
               AND ($1 IS NULL OR ls.started_at >= $1) AND ($2 IS NULL OR ls.started_at < $2)
               AND ($3 IS NULL OR ls.channel = $3) AND ($4 IS NULL OR ls.host_id = $4)
               AND ($5 IS NULL OR ap.product_id = $5)",
            cols.join(", ")
        );
        let rows = sqlx::query(&sql)
            .bind(q.from)
            .bind(q.to)
            .bind(q.channel.as_deref())
            .bind(q.host)
            .bind(q.product)
            .fetch_all(self.store().pool())
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let mut c = vec![0; PRODUCTS.cols.len()];
            for (i, v) in c.iter_mut().enumerate() {
                *v = r.try_get(3 + i)?;
            }
            out.push((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, c));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_are_shanghai_days_iso_weeks_and_months() {
        // 2026-11-22 16:30 UTC is 2026-11-23 00:30 in Shanghai, a Monday of ISO week 48.
        let at = 1_795_365_000_000;
        assert_eq!(period(at, "day").0, "2026-11-23");
        assert_eq!(period(at, "week").0, "2026-W48");
        assert_eq!(period(at, "month").0, "2026-11");
        assert_eq!(period(at - 3_600_000, "day").0, "2026-11-22");
    }
}
