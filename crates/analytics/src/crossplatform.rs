//! Every platform in one place (plan §3.2 (5), §9.1): the sessions sellstream measured itself
//! (its own room, and the brand's channels on each platform) beside the sessions imported from
//! the platforms' own exports, grouped by platform, room or host, under the same metric names —
//! with a mark where a platform counts a metric differently.

use crate::metrics::Metrics;
use crate::service::Analytics;
use crate::AnalyticsError;
use sellstream_store::Row;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CrossQuery {
    /// Sessions that started at or after (epoch ms); default 90 days back.
    pub from: Option<i64>,
    /// … and before; default now.
    pub to: Option<i64>,
    /// platform (default), room, host or product.
    pub by: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct CrossRow {
    /// own (measured by sellstream) or import (a platform's export).
    pub source: &'static str,
    /// own, taobao, douyin, kuaishou…
    pub platform: String,
    /// The group: the platform, the room or the host.
    pub key: String,
    pub sessions: i64,
    pub uv: i64,
    /// Mean of the sessions' peaks.
    pub pcu_avg: Option<f64>,
    /// Watch time per viewer, weighted by viewers.
    pub avg_watch_ms: Option<i64>,
    pub gmv_fen: i64,
    pub orders: i64,
    pub buyers: i64,
    /// Buyers ÷ UV (for imports without buyers, the viewer-weighted mean of their own rate).
    pub conversion: Option<f64>,
    /// GMV ÷ buyers.
    pub aov_fen: Option<i64>,
    pub comments: i64,
    pub new_followers: i64,
    /// By product: the product's exposures, clicks and units sold (sessions count the sessions
    /// it was on sale in).
    pub exposures: i64,
    pub clicks: i64,
    pub units: i64,
}

/// Where a platform's figure is not defined like ours.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Definition {
    pub platform: &'static str,
    pub metric: &'static str,
    pub note: &'static str,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CrossPlatform {
    pub from: i64,
    pub to: i64,
    pub by: String,
    pub rows: Vec<CrossRow>,
    pub definitions: Vec<Definition>,
}

/// The known differences (docs/imports.md, "Comparing").
pub const DEFINITIONS: [Definition; 7] = [
    Definition {
        platform: "own",
        metric: "uv",
        note: "viewers who watched 3 s or more",
    },
    Definition {
        platform: "own",
        metric: "gmv_fen",
        note: "paid minus refunds",
    },
    Definition {
        platform: "taobao",
        metric: "uv",
        note: "观看人数: every viewer who entered, however briefly",
    },
    Definition {
        platform: "douyin",
        metric: "uv",
        note: "累计观看人数: every user who entered, however briefly",
    },
    Definition {
        platform: "kuaishou",
        metric: "uv",
        note: "观看人数: every user who entered, however briefly",
    },
    Definition {
        platform: "*",
        metric: "gmv_fen",
        note: "platform 成交金额: paid, refunds not taken out",
    },
    Definition {
        platform: "douyin",
        metric: "conversion",
        note: "成交转化率 as exported (buyers ÷ viewers, the platform's viewers)",
    },
];

#[derive(Default)]
struct Acc {
    row: CrossRow,
    pcu_sum: f64,
    pcu_n: i64,
    watch_weighted: f64,
    watch_uv: i64,
    rate_weighted: f64,
    rate_uv: i64,
    /// Some imported session had no buyer count: conversion comes from the rates given.
    buyers_missing: bool,
}

impl Acc {
    fn finish(mut self) -> CrossRow {
        let r = &mut self.row;
        r.pcu_avg =
            (self.pcu_n > 0).then(|| (self.pcu_sum / self.pcu_n as f64 * 10.0).round() / 10.0);
        r.avg_watch_ms = (self.watch_uv > 0)
            .then(|| (self.watch_weighted / self.watch_uv as f64).round() as i64);
        r.conversion = if !self.buyers_missing && r.uv > 0 {
            Some(r.buyers as f64 / r.uv as f64)
        } else if self.rate_uv > 0 {
            Some(self.rate_weighted / self.rate_uv as f64)
        } else {
            None
        };
        r.aov_fen = (r.buyers > 0).then(|| r.gmv_fen / r.buyers);
        self.row
    }
}

impl Analytics {
    /// By product: ours from the per-product rollups of ended, non-practice sessions, theirs
    /// from the imported product exports; matched by the product's name.
    async fn cross_products(&self, from: i64, to: i64) -> Result<CrossPlatform, AnalyticsError> {
        let pool = self.store().pool();
        let mut rows = Vec::new();
        for r in sqlx::query(
            "SELECT COALESCE(c.platform, 'own'), p.title, COUNT(*),
                    CAST(SUM(ap.exposures) AS BIGINT), CAST(SUM(ap.clicks) AS BIGINT),
                    CAST(SUM(ap.paid_units) AS BIGINT), CAST(SUM(ap.paid_orders) AS BIGINT),
                    CAST(SUM(ap.gmv_fen - ap.refund_fen) AS BIGINT)
             FROM analytics_products ap
             JOIN live_sessions ls ON ls.id = ap.session_id
             JOIN products p ON p.id = ap.product_id
             LEFT JOIN channels c ON c.code = ls.channel
             WHERE ap.replay = 0 AND ls.practice_course_id IS NULL AND ls.started_at >= $1
               AND ls.started_at < $2
             GROUP BY COALESCE(c.platform, 'own'), p.title",
        )
        .bind(from)
        .bind(to)
        .fetch_all(pool)
        .await?
        {
            rows.push(CrossRow {
                source: "own",
                platform: r.try_get(0)?,
                key: r.try_get(1)?,
                sessions: r.try_get(2)?,
                exposures: r.try_get(3)?,
                clicks: r.try_get(4)?,
                units: r.try_get(5)?,
                orders: r.try_get(6)?,
                gmv_fen: r.try_get(7)?,
                ..CrossRow::default()
            });
        }
        for r in sqlx::query(
            "SELECT platform, product, COUNT(*), CAST(COALESCE(SUM(exposures), 0) AS BIGINT),
                    CAST(COALESCE(SUM(clicks), 0) AS BIGINT), CAST(COALESCE(SUM(units), 0) AS BIGINT),
                    CAST(COALESCE(SUM(orders), 0) AS BIGINT), CAST(COALESCE(SUM(gmv_fen), 0) AS BIGINT),
                    CAST(COALESCE(SUM(buyers), 0) AS BIGINT)
             FROM platform_products WHERE started_at >= $1 AND started_at < $2
             GROUP BY platform, product",
        )
        .bind(from)
        .bind(to)
        .fetch_all(pool)
        .await?
        {
            let buyers: i64 = r.try_get(8)?;
            let gmv: i64 = r.try_get(7)?;
            rows.push(CrossRow {
                source: "import",
                platform: r.try_get(0)?,
                key: r.try_get(1)?,
                sessions: r.try_get(2)?,
                exposures: r.try_get(3)?,
                clicks: r.try_get(4)?,
                units: r.try_get(5)?,
                orders: r.try_get(6)?,
                gmv_fen: gmv,
                buyers,
                aov_fen: (buyers > 0).then(|| gmv / buyers),
                ..CrossRow::default()
            });
        }
        rows.sort_by(|a, b| b.gmv_fen.cmp(&a.gmv_fen).then(a.key.cmp(&b.key)));
        Ok(CrossPlatform {
            from,
            to,
            by: "product".into(),
            rows,
            definitions: DEFINITIONS.to_vec(),
        })
    }

    pub async fn cross_platform(&self, q: &CrossQuery) -> Result<CrossPlatform, AnalyticsError> {
        let to =
            q.to.unwrap_or_else(|| sellstream_core::Timestamp::now().millis());
        let from = q.from.unwrap_or(to - 90 * 86_400_000);
        if to <= from {
            return Err(AnalyticsError::Invalid("to: must be after from".into()));
        }
        let by = q.by.clone().unwrap_or_else(|| "platform".into());
        if !["platform", "room", "host", "product"].contains(&by.as_str()) {
            return Err(AnalyticsError::Invalid(
                "by: platform, room, host or product".into(),
            ));
        }
        if by == "product" {
            return self.cross_products(from, to).await;
        }
        let pool = self.store().pool();
        let mut platform_of: HashMap<String, (String, String)> = HashMap::new();
        for r in sqlx::query("SELECT code, platform, name FROM channels")
            .fetch_all(pool)
            .await?
        {
            platform_of.insert(r.try_get(0)?, (r.try_get(1)?, r.try_get(2)?));
        }
        let mut groups: BTreeMap<(&'static str, String, String), Acc> = BTreeMap::new();
        for (s, c) in self.rows(Some(from), Some(to), None, None, None).await? {
            let m = Metrics::from_counts(&c, s.duration_ms);
            let (platform, channel_name) = platform_of
                .get(&s.channel)
                .cloned()
                .unwrap_or_else(|| ("own".into(), s.channel.clone()));
            let key = match by.as_str() {
                "platform" => platform.clone(),
                "room" => channel_name,
                _ => s.host.as_ref().map(|h| h.name.clone()).unwrap_or_default(),
            };
            let a = groups
                .entry(("own", platform.clone(), key.clone()))
                .or_default();
            a.row.source = "own";
            a.row.platform = platform;
            a.row.key = key;
            a.row.sessions += 1;
            a.row.uv += m.uv;
            a.row.gmv_fen += m.gmv_fen;
            a.row.orders += m.paid_orders;
            a.row.buyers += m.paid_buyers;
            a.row.comments += m.comments;
            a.row.new_followers += m.follows;
            a.pcu_sum += m.pcu as f64;
            a.pcu_n += 1;
            a.watch_weighted += m.total_watch_ms as f64;
            a.watch_uv += m.uv;
        }
        let rows = sqlx::query(
            "SELECT platform, room, host, uv, pcu, avg_watch_ms, gmv_fen, orders, buyers, conversion,
                    comments, new_followers
             FROM platform_sessions WHERE started_at >= $1 AND started_at < $2",
        )
        .bind(from)
        .bind(to)
        .fetch_all(pool)
        .await?;
        for r in rows {
            let platform: String = r.try_get(0)?;
            let room: String = r.try_get(1)?;
            let host: Option<String> = r.try_get(2)?;
            let key = match by.as_str() {
                "platform" => platform.clone(),
                "room" => room,
                _ => host.unwrap_or_default(),
            };
            let a = groups
                .entry(("import", platform.clone(), key.clone()))
                .or_default();
            a.row.source = "import";
            a.row.platform = platform;
            a.row.key = key;
            a.row.sessions += 1;
            let uv: Option<i64> = r.try_get(3)?;
            let uv = uv.unwrap_or(0);
            a.row.uv += uv;
            if let Some(p) = r.try_get::<Option<i64>, _>(4)? {
                a.pcu_sum += p as f64;
                a.pcu_n += 1;
            }
            if let Some(w) = r.try_get::<Option<i64>, _>(5)? {
                a.watch_weighted += w as f64 * uv as f64;
                a.watch_uv += uv;
            }
            a.row.gmv_fen += r.try_get::<Option<i64>, _>(6)?.unwrap_or(0);
            a.row.orders += r.try_get::<Option<i64>, _>(7)?.unwrap_or(0);
            match r.try_get::<Option<i64>, _>(8)? {
                Some(b) => a.row.buyers += b,
                None => a.buyers_missing = true,
            }
            if let Some(c) = r.try_get::<Option<f64>, _>(9)? {
                a.rate_weighted += c * uv as f64;
                a.rate_uv += uv;
            }
            a.row.comments += r.try_get::<Option<i64>, _>(10)?.unwrap_or(0);
            a.row.new_followers += r.try_get::<Option<i64>, _>(11)?.unwrap_or(0);
        }
        let mut rows: Vec<CrossRow> = groups.into_values().map(Acc::finish).collect();
        rows.sort_by(|a, b| b.gmv_fen.cmp(&a.gmv_fen).then(a.key.cmp(&b.key)));
        Ok(CrossPlatform {
            from,
            to,
            by,
            rows,
            definitions: DEFINITIONS.to_vec(),
        })
    }
}
