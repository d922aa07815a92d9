//! Reading the rollups: the live dashboard, the post-live review, the session list and trends.
//! Each reads a handful of rollup rows (the session's, its minutes, its products), never events.

use crate::metrics::{funnel, watch_distribution, Counts, FunnelStep, Metrics, WatchBucket};
use crate::rollup::{m, p, s, MINUTES, PRODUCTS, SESSIONS};
use crate::service::Analytics;
use crate::AnalyticsError;
use sellstream_core::Timestamp;
use sellstream_store::{AnyRow, Row, Store};
use serde::Serialize;
use std::collections::HashMap;
use utoipa::ToSchema;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HostRef {
    pub id: i64,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Targets {
    pub gmv_fen: Option<i64>,
    pub viewers: Option<i64>,
    pub orders: Option<i64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SessionRef {
    pub id: i64,
    pub title: String,
    pub channel: String,
    pub state: String,
    pub scheduled_start: i64,
    pub started_at: Option<i64>,
    pub ended_at: Option<i64>,
    pub duration_ms: i64,
    pub host: Option<HostRef>,
    pub targets: Option<Targets>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Minute {
    pub minute: i64,
    pub online_max: i64,
    pub entries: i64,
    pub views: i64,
    pub comments: i64,
    pub likes: i64,
    pub clicks: i64,
    pub orders: i64,
    pub paid_orders: i64,
    pub gmv_fen: i64,
    pub refund_fen: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Marker {
    pub at: i64,
    /// `pin` or `flash_sale`.
    pub kind: &'static str,
    pub label: String,
    pub product_id: Option<i64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProductRow {
    pub product_id: i64,
    pub title: String,
    pub exposures: i64,
    pub clicks: i64,
    /// Clicks ÷ exposures.
    pub ctr: Option<f64>,
    pub carts: i64,
    pub orders: i64,
    pub units: i64,
    pub paid_orders: i64,
    pub paid_units: i64,
    /// Paid, refunds taken out.
    pub gmv_fen: i64,
    pub refund_fen: i64,
    /// How long the host had it pinned.
    pub explained_ms: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TargetRow {
    pub metric: &'static str,
    pub target: i64,
    pub actual: i64,
    pub ratio: Option<f64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Denominator {
    pub metric: &'static str,
    pub ours: i64,
    pub raw: i64,
    pub note: &'static str,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReplaySummary {
    pub uv: i64,
    pub pv: i64,
    pub total_watch_ms: i64,
    pub avg_watch_ms: Option<i64>,
    pub orders: i64,
    pub gmv_fen: i64,
}

/// One segment of the session's script: planned against how it ran. Figures are by whole
/// minute: a minute counts in the segment running at its middle.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SegmentRow {
    pub position: i64,
    pub kind: String,
    pub title: String,
    pub planned_ms: i64,
    /// Time it ran, in all (a segment returned to runs more than once).
    pub actual_ms: i64,
    /// Actual less planned: positive ran over, negative ran short. None when it never ran.
    pub over_ms: Option<i64>,
    pub ran: bool,
    pub started_at: Option<i64>,
    pub ended_at: Option<i64>,
    pub peak_online: i64,
    pub views: i64,
    pub comments: i64,
    pub likes: i64,
    pub clicks: i64,
    pub paid_orders: i64,
    pub gmv_fen: i64,
}

/// The post-live review (复盘) of one session.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Report {
    pub session: SessionRef,
    pub metrics: Metrics,
    pub targets: Vec<TargetRow>,
    pub funnel: Vec<FunnelStep>,
    pub minutes: Vec<Minute>,
    pub markers: Vec<Marker>,
    pub products: Vec<ProductRow>,
    pub watch_distribution: Vec<WatchBucket>,
    pub replay: ReplaySummary,
    pub denominators: Vec<Denominator>,
    /// Run-of-show segments, planned against actual, with the figures of the minutes each ran.
    pub segments: Vec<SegmentRow>,
    /// Events folded into these figures so far (the rollup's position).
    pub as_of_event: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FlashProgress {
    pub id: i64,
    pub product_id: i64,
    pub title: String,
    pub quota: i64,
    pub sold: i64,
    pub remaining: i64,
    pub phase: &'static str,
    pub starts_at: i64,
    pub ends_at: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TopProduct {
    pub product_id: i64,
    pub title: String,
    pub clicks: i64,
    pub orders: i64,
    pub units: i64,
    pub gmv_fen: i64,
}

/// The live dashboard, rebuilt every second from the rollups.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Live {
    pub session: SessionRef,
    pub updated_at: i64,
    pub online: i64,
    pub pcu: i64,
    pub entries: i64,
    pub uv: i64,
    pub pv: i64,
    pub avg_watch_ms: Option<i64>,
    pub comments: i64,
    pub likes: i64,
    pub shares: i64,
    pub follows: i64,
    pub comments_per_min: i64,
    pub likes_per_min: i64,
    pub product_clicks: i64,
    pub orders: i64,
    pub paid_orders: i64,
    pub gmv_fen: i64,
    pub conversion: Option<f64>,
    pub top_products: Vec<TopProduct>,
    pub flash_sales: Vec<FlashProgress>,
    pub minutes: Vec<Minute>,
    pub markers: Vec<Marker>,
}

const SESSION_COLS: &str =
    "ls.id, ls.title, ls.channel, ls.state, ls.scheduled_start, ls.started_at, ls.ended_at, \
     ls.host_id, a.nickname, ls.target_gmv_fen, ls.target_viewers, ls.target_orders";

pub(crate) fn session_ref_row(r: &AnyRow, now: i64) -> Result<SessionRef, sqlx::Error> {
    session_ref(r, now)
}

fn session_ref(r: &AnyRow, now: i64) -> Result<SessionRef, sqlx::Error> {
    let started: Option<i64> = r.try_get(5)?;
    let ended: Option<i64> = r.try_get(6)?;
    let host: Option<i64> = r.try_get(7)?;
    let name: Option<String> = r.try_get(8)?;
    let (g, v, o): (Option<i64>, Option<i64>, Option<i64>) =
        (r.try_get(9)?, r.try_get(10)?, r.try_get(11)?);
    Ok(SessionRef {
        id: r.try_get(0)?,
        title: r.try_get(1)?,
        channel: r.try_get(2)?,
        state: r.try_get(3)?,
        scheduled_start: r.try_get(4)?,
        started_at: started,
        ended_at: ended,
        duration_ms: started.map_or(0, |st| (ended.unwrap_or(now) - st).max(0)),
        host: host.map(|id| HostRef {
            id,
            name: name.unwrap_or_default(),
        }),
        targets: (g.is_some() || v.is_some() || o.is_some()).then_some(Targets {
            gmv_fen: g,
            viewers: v,
            orders: o,
        }),
    })
}

async fn session(store: &Store, id: i64, now: i64) -> Result<SessionRef, AnalyticsError> {
    let sql = format!(
        "SELECT {SESSION_COLS} FROM live_sessions ls LEFT JOIN accounts a ON a.id = ls.host_id WHERE ls.id = $1"
    );
    let row = sqlx::query(&sql)
        .bind(id)
        .fetch_optional(store.pool())
        .await?
        .ok_or_else(|| AnalyticsError::NotFound(format!("no session {id}")))?;
    Ok(session_ref(&row, now)?)
}

fn counts_from(r: &AnyRow, offset: usize) -> Result<Counts, sqlx::Error> {
    let mut c = Counts::default();
    for i in 0..SESSIONS.cols.len() {
        c.0[i] = r.try_get(offset + i)?;
    }
    Ok(c)
}

fn col_list(prefix: &str, cols: &[(&str, crate::rollup::Op)]) -> String {
    cols.iter()
        .map(|(c, _)| format!("{prefix}{c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

async fn counts(store: &Store, id: i64, replay: bool) -> Result<Counts, AnalyticsError> {
    let sql = format!(
        "SELECT {} FROM analytics_sessions WHERE session_id = $1 AND replay = $2",
        col_list("", SESSIONS.cols)
    );
    let row = sqlx::query(&sql)
        .bind(id)
        .bind(i64::from(replay))
        .fetch_optional(store.pool())
        .await?;
    Ok(match row {
        Some(r) => counts_from(&r, 0)?,
        None => Counts::default(),
    })
}

async fn minutes(store: &Store, id: i64) -> Result<Vec<Minute>, AnalyticsError> {
    let sql = format!(
        "SELECT minute, {} FROM analytics_minutes WHERE session_id = $1 AND replay = 0 ORDER BY minute",
        col_list("", MINUTES.cols)
    );
    let rows = sqlx::query(&sql).bind(id).fetch_all(store.pool()).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let g = |c: usize| r.try_get::<i64, _>(1 + c);
        let refund = g(m::refund_fen)?;
        out.push(Minute {
            minute: r.try_get(0)?,
            online_max: g(m::online_max)?,
            entries: g(m::entries)?,
            views: g(m::views)?,
            comments: g(m::chats)?,
            likes: g(m::likes)?,
            clicks: g(m::clicks)?,
            orders: g(m::orders)?,
            paid_orders: g(m::paid_orders)?,
            gmv_fen: g(m::gmv_fen)? - refund,
            refund_fen: refund,
        });
    }
    Ok(out)
}

/// Pins from the room's log: markers, and how long each product was explained.
/// The latest script's segments beside the runs the live panel recorded.
async fn segments(
    store: &Store,
    id: i64,
    until: i64,
    mins: &[Minute],
) -> Result<Vec<SegmentRow>, AnalyticsError> {
    #[derive(serde::Deserialize)]
    struct Planned {
        kind: String,
        title: String,
        minutes: i64,
    }
    let planned: Vec<Planned> = sqlx::query(
        "SELECT segments FROM script_versions WHERE session_id = $1 ORDER BY version DESC LIMIT 1",
    )
    .bind(id)
    .fetch_optional(store.pool())
    .await?
    .map(|r| r.try_get::<String, _>(0))
    .transpose()?
    .and_then(|j| serde_json::from_str(&j).ok())
    .unwrap_or_default();
    let runs = sqlx::query(
        "SELECT position, kind, title, planned_minutes, started_at, COALESCE(ended_at, $2)
         FROM script_runs WHERE session_id = $1 ORDER BY started_at, id",
    )
    .bind(id)
    .bind(until)
    .fetch_all(store.pool())
    .await?;
    let mut rows: Vec<SegmentRow> = planned
        .iter()
        .enumerate()
        .map(|(i, p)| SegmentRow {
            position: i as i64,
            kind: p.kind.clone(),
            title: p.title.clone(),
            planned_ms: p.minutes * 60_000,
            ..empty_row()
        })
        .collect();
    let mut spans: Vec<(usize, i64, i64)> = Vec::new();
    for r in &runs {
        let position: i64 = r.try_get(0)?;
        let (start, end): (i64, i64) = (r.try_get(4)?, r.try_get(5)?);
        // A run of a segment the script no longer has (edited during the show) keeps its snapshot.
        let idx = match rows.iter().position(|x| x.position == position) {
            Some(i) if rows[i].title == r.try_get::<String, _>(2)? => i,
            _ => {
                rows.push(SegmentRow {
                    position,
                    kind: r.try_get(1)?,
                    title: r.try_get(2)?,
                    planned_ms: r.try_get::<i64, _>(3)? * 60_000,
                    ..empty_row()
                });
                rows.len() - 1
            }
        };
        let row = &mut rows[idx];
        row.ran = true;
        row.actual_ms += (end - start).max(0);
        row.started_at = Some(row.started_at.map_or(start, |s| s.min(start)));
        row.ended_at = Some(row.ended_at.map_or(end, |e| e.max(end)));
        spans.push((idx, start, end));
    }
    for m in mins {
        let mid = m.minute + 30_000;
        if let Some(&(idx, _, _)) = spans.iter().find(|(_, s, e)| *s <= mid && mid < *e) {
            let row = &mut rows[idx];
            row.peak_online = row.peak_online.max(m.online_max);
            row.views += m.views;
            row.comments += m.comments;
            row.likes += m.likes;
            row.clicks += m.clicks;
            row.paid_orders += m.paid_orders;
            row.gmv_fen += m.gmv_fen - m.refund_fen;
        }
    }
    for r in &mut rows {
        if r.ran {
            r.over_ms = Some(r.actual_ms - r.planned_ms);
        }
    }
    Ok(rows)
}

fn empty_row() -> SegmentRow {
    SegmentRow {
        position: 0,
        kind: String::new(),
        title: String::new(),
        planned_ms: 0,
        actual_ms: 0,
        over_ms: None,
        ran: false,
        started_at: None,
        ended_at: None,
        peak_online: 0,
        views: 0,
        comments: 0,
        likes: 0,
        clicks: 0,
        paid_orders: 0,
        gmv_fen: 0,
    }
}

async fn pins(
    store: &Store,
    id: i64,
    until: i64,
) -> Result<(Vec<Marker>, HashMap<i64, i64>), AnalyticsError> {
    let rows = sqlx::query(
        "SELECT kind, ref_id, payload, at FROM room_events
         WHERE session_id = $1 AND kind IN ('pin', 'unpin', 'session_state') ORDER BY seq",
    )
    .bind(id)
    .fetch_all(store.pool())
    .await?;
    let mut markers = Vec::new();
    let mut explained: HashMap<i64, i64> = HashMap::new();
    let mut current: Option<(i64, i64)> = None;
    for r in rows {
        let kind: String = r.try_get(0)?;
        let at: i64 = r.try_get(3)?;
        if let Some((prod, since)) = current.take() {
            *explained.entry(prod).or_default() += (at - since).max(0);
        }
        if kind == "pin" {
            let product: Option<i64> = r.try_get(1)?;
            let payload: String = r.try_get(2)?;
            let v: serde_json::Value = serde_json::from_str(&payload).unwrap_or_default();
            markers.push(Marker {
                at,
                kind: "pin",
                label: v["title"].as_str().unwrap_or_default().to_string(),
                product_id: product,
            });
            if let Some(p) = product {
                current = Some((p, at));
            }
        }
    }
    if let Some((prod, since)) = current {
        *explained.entry(prod).or_default() += (until - since).max(0);
    }
    Ok((markers, explained))
}

async fn flash_sales(
    store: &Store,
    id: i64,
    now: i64,
) -> Result<Vec<FlashProgress>, AnalyticsError> {
    let rows = sqlx::query(
        "SELECT id, product_id, title, quota, remaining, starts_at, ends_at, ended_at FROM flash_sales
         WHERE session_id = $1 ORDER BY starts_at, id",
    )
    .bind(id)
    .fetch_all(store.pool())
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let quota: i64 = r.try_get(3)?;
        let remaining: i64 = r.try_get(4)?;
        let starts: i64 = r.try_get(5)?;
        let ends: i64 = r.try_get(6)?;
        let ended: Option<i64> = r.try_get(7)?;
        out.push(FlashProgress {
            id: r.try_get(0)?,
            product_id: r.try_get(1)?,
            title: r.try_get(2)?,
            quota,
            sold: quota - remaining,
            remaining,
            phase: if ended.is_some() || now >= ends {
                "ended"
            } else if now < starts {
                "scheduled"
            } else {
                "running"
            },
            starts_at: starts,
            ends_at: ends,
        });
    }
    Ok(out)
}

fn flash_markers(sales: &[FlashProgress]) -> Vec<Marker> {
    sales
        .iter()
        .map(|f| Marker {
            at: f.starts_at,
            kind: "flash_sale",
            label: f.title.clone(),
            product_id: Some(f.product_id),
        })
        .collect()
}

async fn products(
    store: &Store,
    id: i64,
    explained: &HashMap<i64, i64>,
) -> Result<Vec<ProductRow>, AnalyticsError> {
    let sql = format!(
        "SELECT ap.product_id, COALESCE(pr.title, ''), {} FROM analytics_products ap
         LEFT JOIN products pr ON pr.id = ap.product_id
         WHERE ap.session_id = $1 AND ap.replay = 0",
        col_list("ap.", PRODUCTS.cols)
    );
    let rows = sqlx::query(&sql).bind(id).fetch_all(store.pool()).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let g = |c: usize| r.try_get::<i64, _>(2 + c);
        let product_id: i64 = r.try_get(0)?;
        let exposures = g(p::exposures)?;
        let clicks = g(p::clicks)?;
        let refund = g(p::refund_fen)?;
        out.push(ProductRow {
            product_id,
            title: r.try_get(1)?,
            exposures,
            clicks,
            ctr: (exposures > 0).then(|| clicks as f64 / exposures as f64),
            carts: g(p::carts)?,
            orders: g(p::orders)?,
            units: g(p::units)?,
            paid_orders: g(p::paid_orders)?,
            paid_units: g(p::paid_units)?,
            gmv_fen: g(p::gmv_fen)? - refund,
            refund_fen: refund,
            explained_ms: explained.get(&product_id).copied().unwrap_or(0),
        });
    }
    // Pinned but never clicked still belongs in the ranking.
    for (prod, ms) in explained {
        if !out.iter().any(|r| r.product_id == *prod) {
            let title: Option<String> = sqlx::query("SELECT title FROM products WHERE id = $1")
                .bind(prod)
                .fetch_optional(store.pool())
                .await?
                .map(|r| r.try_get(0))
                .transpose()?;
            out.push(ProductRow {
                product_id: *prod,
                title: title.unwrap_or_default(),
                exposures: 0,
                clicks: 0,
                ctr: None,
                carts: 0,
                orders: 0,
                units: 0,
                paid_orders: 0,
                paid_units: 0,
                gmv_fen: 0,
                refund_fen: 0,
                explained_ms: *ms,
            });
        }
    }
    out.sort_by(|a, b| {
        b.gmv_fen
            .cmp(&a.gmv_fen)
            .then(b.clicks.cmp(&a.clicks))
            .then(a.product_id.cmp(&b.product_id))
    });
    Ok(out)
}

impl Analytics {
    /// A session's figures alone, for pages that set them beside something else.
    pub async fn metrics(&self, id: i64) -> Result<Metrics, AnalyticsError> {
        let sess = session(self.store(), id, Timestamp::now().millis()).await?;
        let live = counts(self.store(), id, false).await?;
        Ok(Metrics::from_counts(&live, sess.duration_ms))
    }

    /// The post-live review of a session (also valid while it runs: the figures so far).
    pub async fn report(&self, id: i64) -> Result<Report, AnalyticsError> {
        let store = self.store();
        let now = Timestamp::now().millis();
        let sess = session(store, id, now).await?;
        let live = counts(store, id, false).await?;
        let replay = counts(store, id, true).await?;
        let metrics = Metrics::from_counts(&live, sess.duration_ms);
        let until = sess.ended_at.unwrap_or(now);
        let (mut markers, explained) = pins(store, id, until).await?;
        let sales = flash_sales(store, id, now).await?;
        markers.extend(flash_markers(&sales));
        markers.sort_by_key(|m| m.at);
        let mut targets = Vec::new();
        if let Some(t) = &sess.targets {
            for (metric, target, actual) in [
                ("gmv_fen", t.gmv_fen, metrics.gmv_fen),
                ("viewers", t.viewers, metrics.uv),
                ("orders", t.orders, metrics.paid_orders),
            ] {
                if let Some(target) = target {
                    targets.push(TargetRow {
                        metric,
                        target,
                        actual,
                        ratio: (target > 0).then(|| actual as f64 / target as f64),
                    });
                }
            }
        }
        let rm = Metrics::from_counts(&replay, 0);
        let mins = minutes(store, id).await?;
        Ok(Report {
            funnel: funnel(&live),
            watch_distribution: watch_distribution(&live),
            segments: segments(store, id, until, &mins).await?,
            minutes: mins,
            products: products(store, id, &explained).await?,
            replay: ReplaySummary {
                uv: rm.uv,
                pv: rm.pv,
                total_watch_ms: rm.total_watch_ms,
                avg_watch_ms: rm.avg_watch_ms,
                orders: rm.paid_orders,
                gmv_fen: rm.gmv_fen,
            },
            denominators: vec![
                Denominator {
                    metric: "pv",
                    ours: metrics.pv,
                    raw: metrics.entries,
                    note: "ours: watches of 3 s or more; raw: every entry (some platforms count this as views)",
                },
                Denominator {
                    metric: "uv",
                    ours: metrics.uv,
                    raw: metrics.uv_all,
                    note: "ours: viewers who watched 3 s or more; raw: everyone who entered",
                },
            ],
            metrics,
            targets,
            markers,
            session: sess,
            as_of_event: self.inner.rolled.load(std::sync::atomic::Ordering::Acquire),
        })
    }

    /// The live dashboard of a session. `online` is the rollup's count; the server replaces it
    /// with the room's own when the room runs on this node.
    pub async fn live(&self, id: i64) -> Result<Live, AnalyticsError> {
        let store = self.store();
        let now = Timestamp::now().millis();
        let sess = session(store, id, now).await?;
        let c = counts(store, id, false).await?;
        let met = Metrics::from_counts(&c, sess.duration_ms);
        let mins = minutes(store, id).await?;
        let (mut markers, explained) = pins(store, id, sess.ended_at.unwrap_or(now)).await?;
        let sales = flash_sales(store, id, now).await?;
        markers.extend(flash_markers(&sales));
        markers.sort_by_key(|m| m.at);
        // The last whole minute (the current one while the first is still running).
        let this_minute = now.div_euclid(60_000) * 60_000;
        let last = mins
            .iter()
            .rev()
            .find(|m| m.minute < this_minute)
            .or(mins.last());
        let mut top: Vec<TopProduct> = products(store, id, &explained)
            .await?
            .into_iter()
            .map(|p| TopProduct {
                product_id: p.product_id,
                title: p.title,
                clicks: p.clicks,
                orders: p.orders,
                units: p.units,
                gmv_fen: p.gmv_fen,
            })
            .collect();
        top.truncate(5);
        Ok(Live {
            updated_at: now,
            online: c.get(s::online),
            pcu: met.pcu,
            entries: met.entries,
            uv: met.uv,
            pv: met.pv,
            avg_watch_ms: met.avg_watch_ms,
            comments: met.comments,
            likes: met.likes,
            shares: met.shares,
            follows: met.follows,
            comments_per_min: last.map_or(0, |m| m.comments),
            likes_per_min: last.map_or(0, |m| m.likes),
            product_clicks: met.product_clicks,
            orders: met.orders,
            paid_orders: met.paid_orders,
            gmv_fen: met.gmv_fen,
            conversion: met.conversion,
            top_products: top,
            flash_sales: sales,
            minutes: mins,
            markers,
            session: sess,
        })
    }
}
