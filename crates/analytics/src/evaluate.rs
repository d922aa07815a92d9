//! Evaluation by comparison, cause and correlation (plan §9.2), over the per-session rollups:
//! before/after between two groups of sessions with a test suited to each metric, GMV split into
//! UV × conversion × AOV, and correlation between session-level metrics.

use crate::list::SessionMetrics;
use crate::metrics::Metrics;
use crate::service::Analytics;
use crate::stats;
use crate::AnalyticsError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Fewer sessions than this in a group: the comparison says it cannot tell.
pub const MIN_SESSIONS: usize = 3;
/// Fewer viewers than this in a group: a rate's comparison says it cannot tell.
pub const MIN_VIEWERS: i64 = 100;
/// The significance level of the verdicts.
pub const ALPHA: f64 = 0.05;

/// Per-session figures compared by their means (Welch's t, with Mann–Whitney beside it).
pub const MEAN_METRICS: [&str; 6] = [
    "gmv_fen",
    "uv",
    "avg_watch_ms",
    "aov_fen",
    "paid_orders",
    "pcu",
];
/// Rates compared as pooled proportions (two-proportion z-test): (metric, numerator, denominator).
pub const RATE_METRICS: [(&str, &str, &str); 2] = [
    ("conversion", "paid_buyers", "uv"),
    ("interaction_rate", "interaction_viewers", "uv"),
];
/// What the correlation matrix spans.
pub const MATRIX_METRICS: [&str; 8] = [
    "uv",
    "pcu",
    "avg_watch_ms",
    "interaction_rate",
    "comments",
    "conversion",
    "aov_fen",
    "gmv_fen",
];

/// A group of sessions: by time, channel and host, or an explicit list.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Group {
    /// Started at or after (epoch ms).
    #[serde(default)]
    pub from: Option<i64>,
    /// … and before.
    #[serde(default)]
    pub to: Option<i64>,
    #[serde(default)]
    pub channel: Option<String>,
    #[serde(default)]
    pub host: Option<i64>,
    /// These sessions only (within the other filters).
    #[serde(default)]
    pub session_ids: Option<Vec<i64>>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CompareInput {
    /// The baseline ("before", or group A).
    pub before: Group,
    /// What is compared with it ("after", or group B).
    pub after: Group,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Side {
    /// Sessions in the group.
    pub n: usize,
    /// The mean per session, or the pooled rate.
    pub value: Option<f64>,
    /// For a rate: numerator and denominator summed over the group.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base: Option<i64>,
    /// For a per-session mean: the median.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub median: Option<f64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MetricComparison {
    pub metric: String,
    /// `mean` (per session) or `rate` (pooled over the group's viewers).
    pub kind: &'static str,
    pub before: Side,
    pub after: Side,
    /// after − before.
    pub change: Option<f64>,
    /// change ÷ before.
    pub relative: Option<f64>,
    /// 95 % interval of the change.
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
    /// Cohen's d for means, Cohen's h for rates.
    pub effect_size: Option<f64>,
    /// `welch_t` or `two_proportion_z`.
    pub test: &'static str,
    pub p: Option<f64>,
    /// For means: Mann–Whitney U's p, which does not assume normal figures.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mann_whitney_p: Option<f64>,
    /// `up`, `down`, `no_clear_change` or `not_enough_data`.
    pub verdict: &'static str,
    /// The verdict in plain words.
    pub summary: String,
}

/// GMV = UV × conversion × AOV for each group, and how much each factor moved it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Decomposition {
    pub before: Factors,
    pub after: Factors,
    /// GMV change, in fen.
    pub change_fen: i64,
    /// Each factor's share of the change, in fen; they add up to `change_fen`.
    pub uv_effect_fen: f64,
    pub conversion_effect_fen: f64,
    pub aov_effect_fen: f64,
    /// `uv`, `conversion` or `aov`: the factor that moved GMV most.
    pub main_factor: Option<&'static str>,
    /// `lmdi` (log-mean Divisia; exact and order-free) or `sequential` (when a factor is zero).
    pub method: &'static str,
}

#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub struct Factors {
    pub gmv_fen: i64,
    pub uv: i64,
    pub paid_buyers: i64,
    pub conversion: f64,
    pub aov_fen: f64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Comparison {
    pub metrics: Vec<MetricComparison>,
    pub decomposition: Decomposition,
    pub alpha: f64,
    pub min_sessions: usize,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Point {
    pub session_id: i64,
    pub title: String,
    pub x: f64,
    pub y: f64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CorrelationReport {
    pub x: String,
    pub y: String,
    /// Sessions with both figures.
    pub n: usize,
    pub pearson: Option<stats::Correlation>,
    pub spearman: Option<stats::Correlation>,
    /// The least-squares line through the points.
    pub line: Option<stats::Line>,
    pub points: Vec<Point>,
    /// `strong`, `moderate`, `weak`, `none` or `not_enough_data` (by |Spearman ρ| and its p).
    pub strength: &'static str,
    pub caution: &'static str,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CorrelationMatrix {
    pub metrics: Vec<String>,
    /// Sessions in the period.
    pub n: usize,
    /// `pearson[i][j]`; null where a metric does not vary or a pair has too few sessions.
    pub pearson: Vec<Vec<Option<f64>>>,
    pub spearman: Vec<Vec<Option<f64>>>,
    pub spearman_p: Vec<Vec<Option<f64>>>,
    /// Sessions behind each pair.
    pub pairs: Vec<Vec<usize>>,
    pub caution: &'static str,
}

const CAUTION: &str = "Correlation is not cause: sessions with more of one may have more of the \
                       other for a third reason (the product, the hour, the promotion).";

fn value_of(m: &Metrics, key: &str) -> Option<f64> {
    m.sort_key(key)
}

fn is_metric(key: &str) -> bool {
    serde_json::to_value(Metrics::default())
        .ok()
        .and_then(|v| v.get(key).cloned())
        .is_some()
}

fn median(v: &mut [f64]) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    })
}

fn round(v: f64, digits: i32) -> f64 {
    let f = 10f64.powi(digits);
    (v * f).round() / f
}

fn verdict(enough: bool, p: Option<f64>, change: Option<f64>) -> (&'static str, &'static str) {
    match (enough, p, change) {
        (false, _, _) => ("not_enough_data", "not enough sessions to tell"),
        (true, Some(p), Some(c)) if p < ALPHA && c > 0.0 => ("up", "a real increase"),
        (true, Some(p), Some(c)) if p < ALPHA && c < 0.0 => ("down", "a real decrease"),
        (true, Some(_), _) => (
            "no_clear_change",
            "no clear change: the difference is within what chance produces",
        ),
        (true, None, _) => ("no_clear_change", "no variation to test"),
    }
}

fn compare_mean(key: &str, a: &[SessionMetrics], b: &[SessionMetrics]) -> MetricComparison {
    let take = |g: &[SessionMetrics]| -> Vec<f64> {
        g.iter().filter_map(|s| value_of(&s.metrics, key)).collect()
    };
    let (mut before, mut after) = (take(a), take(b));
    let mean = |v: &[f64]| (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64);
    let (mb, ma) = (mean(&before), mean(&after));
    let w = stats::welch(&after, &before);
    let mw = stats::mann_whitney(&after, &before);
    let enough = before.len() >= MIN_SESSIONS && after.len() >= MIN_SESSIONS;
    let change = ma.zip(mb).map(|(a, b)| a - b);
    let (code, words) = verdict(enough, w.map(|w| w.p), change);
    let side = |v: &mut Vec<f64>, m: Option<f64>| Side {
        n: v.len(),
        value: m,
        count: None,
        base: None,
        median: median(v),
    };
    MetricComparison {
        metric: key.to_owned(),
        kind: "mean",
        before: side(&mut before, mb),
        after: side(&mut after, ma),
        change,
        relative: change
            .zip(mb)
            .and_then(|(c, b)| (b != 0.0).then(|| round(c / b, 4))),
        ci_low: w.map(|w| w.ci_low),
        ci_high: w.map(|w| w.ci_high),
        effect_size: w.map(|w| round(w.effect_size, 3)),
        test: "welch_t",
        p: w.map(|w| w.p),
        mann_whitney_p: mw.map(|m| m.p),
        verdict: code,
        summary: summary(key, code, words, enough, change, w.map(|w| w.p)),
    }
}

fn summary(
    key: &str,
    code: &str,
    words: &str,
    enough: bool,
    change: Option<f64>,
    p: Option<f64>,
) -> String {
    match (enough, change, p) {
        (true, Some(c), Some(p)) if code != "not_enough_data" => {
            format!("{key}: {words} ({c:+.4} after − before, p = {p:.3})")
        }
        _ => format!("{key}: {words}"),
    }
}

fn compare_rate(
    (key, num, den): (&str, &str, &str),
    a: &[SessionMetrics],
    b: &[SessionMetrics],
) -> MetricComparison {
    let sum = |g: &[SessionMetrics], k: &str| -> i64 {
        g.iter()
            .filter_map(|s| value_of(&s.metrics, k))
            .map(|v| v as i64)
            .sum()
    };
    let (xb, nb, xa, na) = (sum(a, num), sum(a, den), sum(b, num), sum(b, den));
    let rate = |x: i64, n: i64| (n > 0).then(|| x as f64 / n as f64);
    // Counted on different viewers each session, a rate can exceed its base only through bad
    // data; leave such a group untested.
    let t = stats::two_proportions(
        xa.max(0) as u64,
        na.max(0) as u64,
        xb.max(0) as u64,
        nb.max(0) as u64,
    );
    let enough = nb >= MIN_VIEWERS && na >= MIN_VIEWERS && !a.is_empty() && !b.is_empty();
    let change = rate(xa, na).zip(rate(xb, nb)).map(|(a, b)| a - b);
    let (code, words) = verdict(enough, t.map(|t| t.p), change);
    let side = |n_sessions: usize, x: i64, n: i64| Side {
        n: n_sessions,
        value: rate(x, n),
        count: Some(x),
        base: Some(n),
        median: None,
    };
    MetricComparison {
        metric: key.to_owned(),
        kind: "rate",
        before: side(a.len(), xb, nb),
        after: side(b.len(), xa, na),
        change,
        relative: change
            .zip(rate(xb, nb))
            .and_then(|(c, b)| (b != 0.0).then(|| round(c / b, 4))),
        ci_low: t.map(|t| t.ci_low),
        ci_high: t.map(|t| t.ci_high),
        effect_size: t.map(|t| round(t.effect_size, 3)),
        test: "two_proportion_z",
        p: t.map(|t| t.p),
        mann_whitney_p: None,
        verdict: code,
        summary: summary(key, code, words, enough, change, t.map(|t| t.p)),
    }
}

fn factors(g: &[SessionMetrics]) -> Factors {
    let gmv: i64 = g.iter().map(|s| s.metrics.gmv_fen).sum();
    let uv: i64 = g.iter().map(|s| s.metrics.uv).sum();
    let buyers: i64 = g.iter().map(|s| s.metrics.paid_buyers).sum();
    Factors {
        gmv_fen: gmv,
        uv,
        paid_buyers: buyers,
        conversion: if uv > 0 {
            buyers as f64 / uv as f64
        } else {
            0.0
        },
        aov_fen: if buyers > 0 {
            gmv as f64 / buyers as f64
        } else {
            0.0
        },
    }
}

/// GMV split into UV × conversion × AOV between two groups.
pub fn decompose(a: &[SessionMetrics], b: &[SessionMetrics]) -> Decomposition {
    let (fb, fa) = (factors(a), factors(b));
    let before = [fb.uv as f64, fb.conversion, fb.aov_fen];
    let after = [fa.uv as f64, fa.conversion, fa.aov_fen];
    let positive = before.iter().chain(&after).all(|v| *v > 0.0);
    let parts = stats::decompose(&before, &after);
    // The product of the factors is GMV up to refunds on orders without a paid buyer; scale the
    // parts onto the recorded GMV change so they add up to it.
    let product_change: f64 = parts.iter().sum();
    let change = fa.gmv_fen - fb.gmv_fen;
    let scale = if product_change.abs() > 1e-9 {
        change as f64 / product_change
    } else {
        1.0
    };
    let parts: Vec<f64> = parts.iter().map(|p| round(p * scale, 2)).collect();
    let names = ["uv", "conversion", "aov"];
    // One at a time, the order of the factors decides who gets the change: name no culprit.
    let main_factor = positive.then_some(()).and(
        parts
            .iter()
            .enumerate()
            .filter(|(_, p)| p.abs() > 0.0)
            .max_by(|(_, x), (_, y)| x.abs().total_cmp(&y.abs()))
            .map(|(i, _)| names[i]),
    );
    Decomposition {
        before: fb,
        after: fa,
        change_fen: change,
        uv_effect_fen: parts[0],
        conversion_effect_fen: parts[1],
        aov_effect_fen: parts[2],
        main_factor,
        method: if positive { "lmdi" } else { "sequential" },
    }
}

fn strength(c: Option<stats::Correlation>, n: usize) -> &'static str {
    match c {
        _ if n < MIN_SESSIONS + 2 => "not_enough_data",
        None => "none",
        Some(c) if c.p >= ALPHA => "none",
        Some(c) if c.r.abs() >= 0.7 => "strong",
        Some(c) if c.r.abs() >= 0.4 => "moderate",
        Some(_) => "weak",
    }
}

impl Analytics {
    async fn group(&self, g: &Group) -> Result<Vec<SessionMetrics>, AnalyticsError> {
        if let (Some(f), Some(t)) = (g.from, g.to) {
            if t <= f {
                return Err(AnalyticsError::Invalid("to: must be after from".into()));
            }
        }
        if g.session_ids.as_ref().is_some_and(|ids| ids.len() > 5_000) {
            return Err(AnalyticsError::Invalid("session_ids: at most 5000".into()));
        }
        let rows = self
            .rows(g.from, g.to, g.channel.as_deref(), g.host, None)
            .await?;
        Ok(rows
            .into_iter()
            // A session still live has figures still growing: a period compares ended sessions;
            // sessions picked by hand are taken as picked.
            .filter(|(s, _)| match &g.session_ids {
                Some(ids) => ids.contains(&s.id),
                None => s.state == "ended",
            })
            .map(|(session, c)| SessionMetrics {
                metrics: Metrics::from_counts(&c, session.duration_ms),
                session,
            })
            .collect())
    }

    /// Before/after (or A/B) over two groups of sessions.
    pub async fn compare(&self, input: &CompareInput) -> Result<Comparison, AnalyticsError> {
        let a = self.group(&input.before).await?;
        let b = self.group(&input.after).await?;
        let mut metrics: Vec<MetricComparison> = MEAN_METRICS
            .iter()
            .map(|k| compare_mean(k, &a, &b))
            .collect();
        metrics.extend(RATE_METRICS.iter().map(|r| compare_rate(*r, &a, &b)));
        Ok(Comparison {
            metrics,
            decomposition: decompose(&a, &b),
            alpha: ALPHA,
            min_sessions: MIN_SESSIONS,
        })
    }

    /// The correlation of two session-level metrics over a group of sessions.
    pub async fn correlation(
        &self,
        x: &str,
        y: &str,
        g: &Group,
    ) -> Result<CorrelationReport, AnalyticsError> {
        for (name, k) in [("x", x), ("y", y)] {
            if !is_metric(k) {
                return Err(AnalyticsError::Invalid(format!(
                    "{name}: no metric '{k}' (e.g. {})",
                    MATRIX_METRICS.join(", ")
                )));
            }
        }
        let sessions = self.group(g).await?;
        let points: Vec<Point> = sessions
            .iter()
            .filter_map(|s| {
                Some(Point {
                    session_id: s.session.id,
                    title: s.session.title.clone(),
                    x: value_of(&s.metrics, x)?,
                    y: value_of(&s.metrics, y)?,
                })
            })
            .collect();
        let xs: Vec<f64> = points.iter().map(|p| p.x).collect();
        let ys: Vec<f64> = points.iter().map(|p| p.y).collect();
        let spearman = stats::spearman(&xs, &ys);
        Ok(CorrelationReport {
            x: x.to_owned(),
            y: y.to_owned(),
            n: points.len(),
            pearson: stats::pearson(&xs, &ys),
            spearman,
            line: stats::fit_line(&xs, &ys),
            strength: strength(spearman, points.len()),
            points,
            caution: CAUTION,
        })
    }

    /// Pearson and Spearman between every pair of the standard session metrics.
    pub async fn correlation_matrix(&self, g: &Group) -> Result<CorrelationMatrix, AnalyticsError> {
        let sessions = self.group(g).await?;
        let values: Vec<Vec<Option<f64>>> = MATRIX_METRICS
            .iter()
            .map(|k| sessions.iter().map(|s| value_of(&s.metrics, k)).collect())
            .collect();
        let k = MATRIX_METRICS.len();
        let mut out = CorrelationMatrix {
            metrics: MATRIX_METRICS.iter().map(|m| m.to_string()).collect(),
            n: sessions.len(),
            pearson: vec![vec![None; k]; k],
            spearman: vec![vec![None; k]; k],
            spearman_p: vec![vec![None; k]; k],
            pairs: vec![vec![0; k]; k],
            caution: CAUTION,
        };
        for i in 0..k {
            for j in 0..k {
                let (xs, ys): (Vec<f64>, Vec<f64>) = values[i]
                    .iter()
                    .zip(&values[j])
                    .filter_map(|(a, b)| Some(((*a)?, (*b)?)))
                    .unzip();
                out.pairs[i][j] = xs.len();
                out.pearson[i][j] = stats::pearson(&xs, &ys).map(|c| c.r);
                let s = stats::spearman(&xs, &ys);
                out.spearman[i][j] = s.map(|c| c.r);
                out.spearman_p[i][j] = s.map(|c| c.p);
            }
        }
        Ok(out)
    }
}
