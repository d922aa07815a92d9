//! The standard live-commerce metrics from a session's (or a group's) rolled-up counts. Pure
//! arithmetic; every formula is written out in docs/metrics.md. Rates are `None` when their
//! denominator is zero; money stays in integer fen.

use crate::rollup::{s, SESSIONS};
use serde::Serialize;
use utoipa::ToSchema;

/// The counts a session side has: the `analytics_sessions` row by column.
#[derive(Debug, Clone, PartialEq)]
pub struct Counts(pub Vec<i64>);

impl Default for Counts {
    fn default() -> Self {
        Self(vec![0; SESSIONS.cols.len()])
    }
}

impl Counts {
    pub fn get(&self, col: usize) -> i64 {
        self.0[col]
    }

    /// Adds another session's counts (a group in a trend): sums, and the highest PCU.
    pub fn add(&mut self, other: &Counts) {
        for (i, (_, op)) in SESSIONS.cols.iter().enumerate() {
            self.0[i] = match op {
                crate::rollup::Op::Max => self.0[i].max(other.0[i]),
                crate::rollup::Op::Min => {
                    if self.0[i] == 0 {
                        other.0[i]
                    } else {
                        self.0[i].min(other.0[i])
                    }
                }
                _ => self.0[i] + other.0[i],
            };
        }
    }
}

fn rate(num: i64, den: i64) -> Option<f64> {
    (den > 0).then(|| num as f64 / den as f64)
}

fn per(num: i64, den: i64) -> Option<i64> {
    (den > 0).then(|| num / den)
}

#[derive(Debug, Clone, Serialize, ToSchema, Default, PartialEq)]
pub struct Metrics {
    /// Unique viewers who watched 3 s or more.
    pub uv: i64,
    /// Watches of 3 s or more.
    pub pv: i64,
    /// Every entry, however short.
    pub entries: i64,
    /// Unique viewers who entered, however briefly.
    pub uv_all: i64,
    pub pcu: i64,
    /// Average concurrent viewers: total watch time ÷ the session's length.
    pub acu: Option<f64>,
    pub duration_ms: i64,
    pub total_watch_ms: i64,
    /// Total watch time ÷ UV.
    pub avg_watch_ms: Option<i64>,
    pub comments: i64,
    pub likes: i64,
    pub shares: i64,
    pub follows: i64,
    pub interaction_viewers: i64,
    /// Viewers who commented, shared, followed, voted or asked ÷ UV.
    pub interaction_rate: Option<f64>,
    /// New followers ÷ UV (涨粉率).
    pub follower_conversion: Option<f64>,
    pub product_exposures: i64,
    pub product_clicks: i64,
    pub orders: i64,
    pub buyers: i64,
    pub order_fen: i64,
    pub paid_orders: i64,
    pub paid_buyers: i64,
    /// Paid before refunds.
    pub paid_fen: i64,
    /// Paid GMV with refunds taken out (refunds shown beside it).
    pub gmv_fen: i64,
    pub refunds: i64,
    pub refund_fen: i64,
    /// 客单价: GMV ÷ paying buyers.
    pub aov_fen: Option<i64>,
    /// GMV ÷ UV.
    pub uv_value_fen: Option<i64>,
    /// GMV × 1000 ÷ PV.
    pub gpm_fen: Option<i64>,
    /// Paying buyers ÷ UV.
    pub conversion: Option<f64>,
    /// Refunded orders ÷ paid orders.
    pub refund_rate: Option<f64>,
}

impl Metrics {
    pub fn from_counts(c: &Counts, duration_ms: i64) -> Self {
        let uv = c.get(s::uv);
        let pv = c.get(s::views);
        let watch = c.get(s::watch_ms);
        let paid = c.get(s::gmv_fen);
        let refund = c.get(s::refund_fen);
        let gmv = paid - refund;
        let paid_buyers = c.get(s::paid_uv);
        Self {
            uv,
            pv,
            entries: c.get(s::entries),
            uv_all: c.get(s::uv_all),
            pcu: c.get(s::pcu),
            acu: rate(watch, duration_ms),
            duration_ms,
            total_watch_ms: watch,
            avg_watch_ms: per(watch, uv),
            comments: c.get(s::chats),
            likes: c.get(s::likes),
            shares: c.get(s::shares),
            follows: c.get(s::follows),
            interaction_viewers: c.get(s::interaction_uv),
            interaction_rate: rate(c.get(s::interaction_uv), uv),
            follower_conversion: rate(c.get(s::follows), uv),
            product_exposures: c.get(s::exposures),
            product_clicks: c.get(s::clicks),
            orders: c.get(s::orders),
            buyers: c.get(s::order_uv),
            order_fen: c.get(s::order_fen),
            paid_orders: c.get(s::paid_orders),
            paid_buyers,
            paid_fen: paid,
            gmv_fen: gmv,
            refunds: c.get(s::refunds),
            refund_fen: refund,
            aov_fen: per(gmv, paid_buyers),
            uv_value_fen: per(gmv, uv),
            gpm_fen: per(gmv * 1000, pv),
            conversion: rate(paid_buyers, uv),
            refund_rate: rate(c.get(s::refunds), c.get(s::paid_orders)),
        }
    }

    /// A metric by its key, for sorting lists (`None` sorts last).
    pub fn sort_key(&self, key: &str) -> Option<f64> {
        let v = serde_json::to_value(self).ok()?;
        v.get(key)?.as_f64()
    }
}

/// One step of the funnel.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct FunnelStep {
    pub step: &'static str,
    pub viewers: i64,
    /// From the step before.
    pub rate: Option<f64>,
    /// From the first step.
    pub overall: Option<f64>,
}

/// exposure (the session's card shown) → entry → product exposure → click → order → paid, each in
/// unique viewers.
pub fn funnel(c: &Counts) -> Vec<FunnelStep> {
    let steps = [
        ("impression", c.get(s::impression_uv)),
        ("entry", c.get(s::uv_all)),
        ("product_exposure", c.get(s::exposure_uv)),
        ("click", c.get(s::click_uv)),
        ("order", c.get(s::order_uv)),
        ("paid", c.get(s::paid_uv)),
    ];
    let first = steps[0].1;
    let mut prev: Option<i64> = None;
    steps
        .iter()
        .map(|(step, n)| {
            let out = FunnelStep {
                step,
                viewers: *n,
                rate: prev.and_then(|p| rate(*n, p)),
                overall: rate(*n, first),
            };
            prev = Some(*n);
            out
        })
        .collect()
}

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct WatchBucket {
    pub label: &'static str,
    pub from_ms: i64,
    pub to_ms: Option<i64>,
    pub viewers: i64,
}

pub fn watch_distribution(c: &Counts) -> Vec<WatchBucket> {
    const LABELS: [&str; 8] = [
        "<3s", "3–10s", "10–30s", "30s–1m", "1–3m", "3–10m", "10–30m", "30m+",
    ];
    let b = crate::rollup::WATCH_BUCKETS_MS;
    (0..8)
        .map(|i| WatchBucket {
            label: LABELS[i],
            from_ms: b[i],
            to_ms: b.get(i + 1).copied(),
            viewers: c.get(s::w0 + i),
        })
        .collect()
}
