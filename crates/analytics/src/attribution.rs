//! Which promotion brought each paid order (plan §9.2, cause): the flash sale, coupon or 满减
//! campaign the order carries, and the tracking link (a pre-announcement link's code, or any
//! `?from=` code) its buyer last came in by within the attribution window. docs/metrics.md
//! ("Attribution").

use crate::service::Analytics;
use crate::AnalyticsError;
use sellstream_store::Row;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};
use utoipa::{IntoParams, ToSchema};

/// A tracking code counts for an order placed within this long after the buyer came in by it.
pub const WINDOW_MS: i64 = 24 * 3_600_000;
/// When an order carries several touches, the whole order is credited to the first of these it
/// has: the most specific offer the buyer acted on.
pub const PRIORITY: [&str; 4] = ["flash_sale", "coupon", "campaign", "link"];

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AttributionQuery {
    /// Orders paid at or after (epoch ms); default 30 days back.
    pub from: Option<i64>,
    /// … and before; default now.
    pub to: Option<i64>,
    /// Only orders placed from this session.
    pub session: Option<i64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Touch {
    /// flash_sale, coupon, campaign or link.
    pub kind: &'static str,
    /// The flash sale's, coupon's or campaign's id; null for a link.
    pub id: Option<i64>,
    /// A link's code.
    pub code: Option<String>,
    pub name: String,
    /// Paid orders carrying this touch (an order with a coupon and a flash sale counts under
    /// both: these overlap).
    pub orders: i64,
    pub buyers: i64,
    /// Paid minus refunded, in fen, of those orders.
    pub gmv_fen: i64,
    /// Orders and GMV credited to this touch alone, by [`PRIORITY`]: these add up.
    pub credited_orders: i64,
    pub credited_gmv_fen: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Attribution {
    pub from: i64,
    pub to: i64,
    pub window_ms: i64,
    pub priority: Vec<&'static str>,
    pub orders: i64,
    pub gmv_fen: i64,
    /// Credited GMV first.
    pub touches: Vec<Touch>,
    /// Orders with no touch at all.
    pub organic_orders: i64,
    pub organic_gmv_fen: i64,
}

#[derive(Default)]
struct Acc {
    orders: i64,
    buyers: HashSet<i64>,
    gmv: i64,
    credited_orders: i64,
    credited_gmv: i64,
}

impl Analytics {
    pub async fn attribution(&self, q: &AttributionQuery) -> Result<Attribution, AnalyticsError> {
        let to =
            q.to.unwrap_or_else(|| sellstream_core::Timestamp::now().millis());
        let from = q.from.unwrap_or(to - 30 * 86_400_000);
        if to <= from {
            return Err(AnalyticsError::Invalid("to: must be after from".into()));
        }
        let pool = self.store().pool();
        // The code is the buyer's latest tracked event in the order's session before the order
        // (an index of tracked events only: analytics_events_tracked).
        let rows = sqlx::query(
            "SELECT o.customer_id, o.total_fen - o.refunded_fen, o.flash_sale_id, o.coupon_id,
                    o.campaign_id,
                    (SELECT e.channel FROM analytics_events e
                     WHERE e.channel IS NOT NULL AND e.session_id = o.session_id
                       AND e.viewer = o.customer_id AND e.at <= o.created_at AND e.at >= o.created_at - $3
                     ORDER BY e.at DESC LIMIT 1)
             FROM orders o
             WHERE o.paid_at IS NOT NULL AND o.paid_at >= $1 AND o.paid_at < $2
               AND ($4 IS NULL OR o.session_id = $4)",
        )
        .bind(from)
        .bind(to)
        .bind(WINDOW_MS)
        .bind(q.session)
        .fetch_all(pool)
        .await?;
        let mut acc: BTreeMap<(&'static str, String), Acc> = BTreeMap::new();
        let (mut orders, mut gmv, mut organic_orders, mut organic_gmv) = (0, 0, 0, 0);
        for r in &rows {
            let buyer: i64 = r.try_get(0)?;
            let value: i64 = r.try_get(1)?;
            let mut touches: Vec<(&'static str, String)> = Vec::new();
            for (i, kind) in ["flash_sale", "coupon", "campaign"].iter().enumerate() {
                if let Some(id) = r.try_get::<Option<i64>, _>(2 + i)? {
                    touches.push((kind, id.to_string()));
                }
            }
            if let Some(code) = r.try_get::<Option<String>, _>(5)? {
                touches.push(("link", code));
            }
            orders += 1;
            gmv += value;
            if touches.is_empty() {
                organic_orders += 1;
                organic_gmv += value;
                continue;
            }
            // Touches come in PRIORITY order: the first takes the credit.
            for (n, t) in touches.into_iter().enumerate() {
                let a = acc.entry(t).or_default();
                a.orders += 1;
                a.buyers.insert(buyer);
                a.gmv += value;
                if n == 0 {
                    a.credited_orders += 1;
                    a.credited_gmv += value;
                }
            }
        }
        let mut touches = Vec::with_capacity(acc.len());
        for ((kind, key), a) in acc {
            let (id, code) = if kind == "link" {
                (None, Some(key.clone()))
            } else {
                (key.parse().ok(), None)
            };
            touches.push(Touch {
                kind,
                name: self.touch_name(kind, id, code.as_deref()).await?,
                id,
                code,
                orders: a.orders,
                buyers: a.buyers.len() as i64,
                gmv_fen: a.gmv,
                credited_orders: a.credited_orders,
                credited_gmv_fen: a.credited_gmv,
            });
        }
        touches.sort_by(|a, b| {
            b.credited_gmv_fen
                .cmp(&a.credited_gmv_fen)
                .then(b.gmv_fen.cmp(&a.gmv_fen))
        });
        Ok(Attribution {
            from,
            to,
            window_ms: WINDOW_MS,
            priority: PRIORITY.to_vec(),
            orders,
            gmv_fen: gmv,
            touches,
            organic_orders,
            organic_gmv_fen: organic_gmv,
        })
    }

    async fn touch_name(
        &self,
        kind: &str,
        id: Option<i64>,
        code: Option<&str>,
    ) -> Result<String, AnalyticsError> {
        let (sql, fallback) = match kind {
            "flash_sale" => ("SELECT title FROM flash_sales WHERE id = $1", "flash sale"),
            "coupon" => ("SELECT name FROM coupons WHERE id = $1", "coupon"),
            "campaign" => ("SELECT name FROM campaigns WHERE id = $1", "campaign"),
            _ => {
                let code = code.unwrap_or_default();
                let label: Option<String> =
                    sqlx::query("SELECT label FROM promo_links WHERE code = $1")
                        .bind(code)
                        .fetch_optional(self.store().pool())
                        .await?
                        .map(|r| r.try_get(0))
                        .transpose()?;
                return Ok(label.unwrap_or_else(|| code.to_owned()));
            }
        };
        let name: Option<String> = sqlx::query(sql)
            .bind(id)
            .fetch_optional(self.store().pool())
            .await?
            .map(|r| r.try_get(0))
            .transpose()?;
        Ok(name.unwrap_or_else(|| format!("{fallback} #{}", id.unwrap_or_default())))
    }
}
