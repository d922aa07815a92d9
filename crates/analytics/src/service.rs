//! The analytics service: one appender that commits everything arriving in the same moment in one
//! transaction (pages' batches and the rows tailed from the room's and the orders' logs), one
//! rollup consumer that folds new events into the rollups, and the tailers. On PostgreSQL with
//! several nodes every node appends its own pages' batches; one node (holding an advisory lock)
//! tails the other logs and keeps the rollups.

use crate::db::{self, Append, Appended, Cursor, Db};
use crate::model::{viewer_of, Event, Kind, FLAG_REPLAY};
use crate::rollup::{Aggregator, SessionState, ViewerState};
use crate::sources;
use crate::AnalyticsError;
use sellstream_core::Timestamp;
use sellstream_store::{Backend, Row, Store};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot, Notify};
use utoipa::ToSchema;

/// Events a page may send in one batch.
pub const MAX_BATCH_EVENTS: usize = 500;
/// Batches one page (source) may send per 10 seconds.
pub const MAX_BATCHES_PER_10S: usize = 30;
/// How far ahead of the server's clock an event may claim to be.
pub const FUTURE_SKEW_MS: i64 = 60_000;
/// How old a page's event may be (a phone that was offline for a while still counts).
pub const MAX_AGE_MS: i64 = 7 * 24 * 3_600_000;
/// Rows the rollup consumer folds per transaction at most.
const ROLLUP_BATCH: i64 = 50_000;
/// Events the appender commits per transaction at most.
const APPEND_BATCH: usize = 20_000;

/// A page's batch (POST /api/v1/events).
#[derive(Debug, Deserialize, ToSchema)]
pub struct PageBatch {
    /// One id per page load; `seq` counts up within it.
    pub source: String,
    /// A long-lived id of the browser (anonymous viewers are counted by it).
    #[serde(default)]
    pub device: Option<String>,
    pub events: Vec<PageEvent>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PageEvent {
    pub seq: i64,
    /// impression, enter, view, leave, share, exposure, bag_open, click, cart.
    pub kind: String,
    pub session: i64,
    #[serde(default)]
    pub product: Option<i64>,
    #[serde(default)]
    pub replay: bool,
    /// Milliseconds watched (`leave`).
    #[serde(default)]
    pub ms: Option<i64>,
    #[serde(default)]
    pub quantity: Option<i64>,
    /// The promotion code the viewer arrived by (`?from=` of the page).
    #[serde(default)]
    pub channel: Option<String>,
    /// Epoch milliseconds on the page's clock.
    pub at: i64,
}

#[derive(Debug, Serialize, ToSchema, Default)]
pub struct Ingested {
    pub accepted: usize,
    /// Events whose numbers were stored before (a retried batch).
    pub duplicates: usize,
    pub rejected: Vec<Rejected>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Rejected {
    pub index: usize,
    pub code: &'static str,
    pub message: String,
}

/// What the ingest path knows of a session.
#[derive(Debug, Clone)]
pub struct SessionInfo {
    pub state: String,
    pub started_at: Option<i64>,
    pub ended_at: Option<i64>,
}

type Job = (Append, oneshot::Sender<Result<Appended, String>>);

pub struct Inner {
    pub store: Store,
    pub db: Db,
    jobs: mpsc::Sender<Job>,
    rolled_notify: Notify,
    appended: Notify,
    /// The last event id folded into the rollups.
    pub rolled: AtomicI64,
    sessions: Mutex<HashMap<i64, (Option<SessionInfo>, Instant)>>,
    floods: Mutex<HashMap<String, Vec<Instant>>>,
    /// One tailer at a time: the background loop and `catch_up` read the same cursors, and two
    /// passes over the same rows would append them twice.
    pub(crate) tailing: tokio::sync::Mutex<()>,
}

/// The analytics handle. Cheap to clone.
#[derive(Clone)]
pub struct Analytics {
    pub(crate) inner: Arc<Inner>,
}

impl Analytics {
    /// Starts the appender, the rollup consumer and the tailers.
    pub fn start(store: Store) -> Result<Self, AnalyticsError> {
        Self::start_with(store, true)
    }

    /// `tail` false: no tailing of the room's and orders' logs (the benchmark feeds pages only).
    pub fn start_with(store: Store, tail: bool) -> Result<Self, AnalyticsError> {
        let db = Db::open(&store)?;
        let (jobs, rx) = mpsc::channel(1024);
        let inner = Arc::new(Inner {
            store,
            db,
            jobs,
            rolled_notify: Notify::new(),
            appended: Notify::new(),
            rolled: AtomicI64::new(0),
            sessions: Mutex::new(HashMap::new()),
            floods: Mutex::new(HashMap::new()),
            tailing: tokio::sync::Mutex::new(()),
        });
        tokio::spawn(appender(inner.clone(), rx));
        let me = Self { inner };
        tokio::spawn(leader(me.clone(), tail));
        Ok(me)
    }

    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// Appends events (durable when this returns).
    pub async fn append(&self, batch: Append) -> Result<Appended, AnalyticsError> {
        let (reply, wait) = oneshot::channel();
        self.inner
            .jobs
            .send((batch, reply))
            .await
            .map_err(|_| AnalyticsError::Invalid("the analytics writer has stopped".into()))?;
        wait.await
            .map_err(|_| AnalyticsError::Invalid("the analytics writer has stopped".into()))?
            .map_err(AnalyticsError::Invalid)
    }

    /// Returns once every event appended before the call is in the rollups.
    pub async fn settle(&self) {
        let target = self.max_event_id().await.unwrap_or(0);
        loop {
            let notified = self.inner.rolled_notify.notified();
            if self.inner.rolled.load(Ordering::Acquire) >= target {
                return;
            }
            self.inner.appended.notify_one();
            let _ = tokio::time::timeout(Duration::from_millis(200), notified).await;
        }
    }

    /// Returns once the room's and the orders' logs, as they stand now, are in the rollups.
    pub async fn catch_up(&self) -> Result<(), AnalyticsError> {
        sources::tail_once(self).await?;
        self.settle().await;
        Ok(())
    }

    async fn max_event_id(&self) -> Result<i64, AnalyticsError> {
        let r = sqlx::query("SELECT COALESCE(MAX(id), 0) FROM analytics_events")
            .fetch_one(self.inner.store.pool())
            .await?;
        Ok(r.try_get::<i64, _>(0)?)
    }

    /// What a session is, cached for a few seconds (unknown ids too, so a flood of them costs
    /// one query each per interval).
    pub async fn session_info(&self, id: i64) -> Result<Option<SessionInfo>, AnalyticsError> {
        if let Some((info, at)) = self.inner.sessions.lock().expect("sessions").get(&id) {
            if at.elapsed() < Duration::from_secs(5) {
                return Ok(info.clone());
            }
        }
        let row =
            sqlx::query("SELECT state, started_at, ended_at FROM live_sessions WHERE id = $1")
                .bind(id)
                .fetch_optional(self.inner.store.pool())
                .await?;
        let info = match row {
            Some(r) => Some(SessionInfo {
                state: r.try_get(0)?,
                started_at: r.try_get(1)?,
                ended_at: r.try_get(2)?,
            }),
            None => None,
        };
        let mut map = self.inner.sessions.lock().expect("sessions");
        if map.len() > 100_000 {
            map.clear();
        }
        map.insert(id, (info.clone(), Instant::now()));
        Ok(info)
    }

    /// Counts a batch from `key` (a page's source, a client address); `Some(seconds)` to wait
    /// when it has sent `limit` in the last 10 s.
    pub fn flooded(&self, key: &str, limit: usize) -> Option<u64> {
        let now = Instant::now();
        let window = Duration::from_secs(10);
        let mut map = self.inner.floods.lock().expect("floods");
        if map.len() > 200_000 {
            map.retain(|_, q| q.last().is_some_and(|t| now - *t < window));
            if map.len() > 100_000 {
                map.clear();
            }
        }
        let q = map.entry(key.to_string()).or_default();
        q.retain(|t| now - *t < window);
        if q.len() >= limit {
            let left = window.saturating_sub(now - q[0]);
            return Some(left.as_secs().max(1));
        }
        q.push(now);
        None
    }

    /// Takes a page's batch: bad events are rejected one by one with a reason, the rest kept;
    /// events already stored (a retry) are counted as duplicates.
    pub async fn ingest_page(
        &self,
        customer: Option<i64>,
        batch: PageBatch,
    ) -> Result<Ingested, AnalyticsError> {
        let valid_id = |s: &str| {
            (8..=64).contains(&s.len())
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        };
        if !valid_id(&batch.source) {
            return Err(AnalyticsError::Invalid(
                "source must be 8–64 letters, digits, '-' or '_'".into(),
            ));
        }
        if let Some(d) = &batch.device {
            if !valid_id(d) {
                return Err(AnalyticsError::Invalid(
                    "device must be 8–64 letters, digits, '-' or '_'".into(),
                ));
            }
        }
        if batch.events.len() > MAX_BATCH_EVENTS {
            return Err(AnalyticsError::TooLarge(format!(
                "a batch holds at most {MAX_BATCH_EVENTS} events (this one has {}); send smaller batches",
                batch.events.len()
            )));
        }
        let viewer = viewer_of(customer, batch.device.as_deref());
        if viewer == 0 {
            return Err(AnalyticsError::Invalid(
                "a device id is needed when not signed in".into(),
            ));
        }
        if let Some(wait) = self.flooded(&batch.source, MAX_BATCHES_PER_10S) {
            return Err(AnalyticsError::Flooded(wait));
        }
        let now = Timestamp::now().millis();
        let mut out = Ingested::default();
        let mut seqs = Vec::with_capacity(batch.events.len());
        let mut events = Vec::with_capacity(batch.events.len());
        for (index, pe) in batch.events.into_iter().enumerate() {
            match self.check(viewer, pe, now).await? {
                Ok((seq, e)) => {
                    seqs.push(seq);
                    events.push(e);
                }
                Err((code, message)) => out.rejected.push(Rejected {
                    index,
                    code,
                    message,
                }),
            }
        }
        if !events.is_empty() {
            let r = self
                .append(Append {
                    source: Some(batch.source),
                    seqs,
                    events,
                    cursor: None,
                })
                .await?;
            out.accepted = r.accepted;
            out.duplicates = r.duplicates;
        }
        Ok(out)
    }

    #[allow(clippy::type_complexity)]
    async fn check(
        &self,
        viewer: i64,
        pe: PageEvent,
        now: i64,
    ) -> Result<Result<(i64, Event), (&'static str, String)>, AnalyticsError> {
        let bad = |code: &'static str, m: String| Ok(Err((code, m)));
        if pe.seq < 1 {
            return bad("invalid_seq", "seq counts from 1".into());
        }
        let Some(kind) = Kind::from_name(&pe.kind).filter(|k| k.from_page()) else {
            return bad(
                "unknown_kind",
                format!(
                    "'{}' is not an event a page sends (impression, enter, view, leave, share, exposure, bag_open, click, cart)",
                    pe.kind
                ),
            );
        };
        if pe.at > now + FUTURE_SKEW_MS {
            return bad(
                "time_in_future",
                format!(
                    "the event is {} s ahead of the server's clock",
                    (pe.at - now) / 1000
                ),
            );
        }
        if pe.at < now - MAX_AGE_MS {
            return bad(
                "time_too_old",
                "events older than 7 days are not taken".into(),
            );
        }
        let Some(info) = self.session_info(pe.session).await? else {
            return bad("unknown_session", format!("no session {}", pe.session));
        };
        if !pe.replay {
            // Live events belong to the show's hours (a minute of clock skew either side).
            let started = info.started_at.unwrap_or(i64::MAX);
            let ended = info.ended_at.unwrap_or(i64::MAX);
            if info.state == "scheduled" && kind != Kind::Impression {
                return bad("session_not_live", "the session has not started".into());
            }
            if kind != Kind::Impression
                && (pe.at < started - FUTURE_SKEW_MS || pe.at > ended.saturating_add(10 * 60_000))
            {
                return bad(
                    "outside_session",
                    "a live event outside the session's hours; replay events say replay: true"
                        .into(),
                );
            }
        }
        if kind.needs_product() && pe.product.is_none_or(|p| p <= 0) {
            return bad(
                "product_required",
                format!("a {} event names its product", kind.name()),
            );
        }
        let mut e = Event::new(pe.session, kind, viewer, pe.at);
        e.product_id = pe.product.filter(|p| *p > 0);
        if pe.replay {
            e.flags |= FLAG_REPLAY;
        }
        match kind {
            Kind::Leave => {
                let ms = pe.ms.unwrap_or(0);
                if !(0..=24 * 3_600_000).contains(&ms) {
                    return bad("invalid_ms", "ms is the watch time, 0 to 24 hours".into());
                }
                e.value = ms;
            }
            Kind::Cart => {
                let q = pe.quantity.unwrap_or(1);
                if !(1..=999).contains(&q) {
                    return bad("invalid_quantity", "quantity is 1 to 999".into());
                }
                e.units = q;
            }
            _ => {}
        }
        if let Some(c) = pe.channel.filter(|c| !c.is_empty()) {
            if c.len() > 64 || c.chars().any(char::is_control) {
                return bad("invalid_channel", "channel is at most 64 characters".into());
            }
            e.channel = Some(c);
        }
        Ok(Ok((pe.seq, e)))
    }
}

/// Loads a history straight into the log and the rollups, with no service running (the demo's
/// past sessions). Not for a store a running server is writing to.
pub async fn backfill(store: &Store, history: crate::gen::History) -> Result<(), AnalyticsError> {
    let db = Db::open(store)?;
    let mut events = history.server;
    for (customer, batch) in history.pages {
        let viewer = viewer_of(customer, batch.device.as_deref());
        for pe in batch.events {
            let Some(kind) = Kind::from_name(&pe.kind) else {
                continue;
            };
            let mut e = Event::new(pe.session, kind, viewer, pe.at);
            e.product_id = pe.product;
            e.units = pe.quantity.unwrap_or(0);
            e.value = pe.ms.unwrap_or(0);
            if pe.replay {
                e.flags |= FLAG_REPLAY;
            }
            events.push(e);
        }
    }
    events.sort_by_key(|e| e.at);
    db.append(vec![Append {
        source: None,
        seqs: vec![],
        events,
        cursor: None,
    }])
    .await?;
    let mut agg = Aggregator::default();
    let mut pos = db.cursor("rollup", 0).await?;
    loop {
        let batch = db.read_after(pos, ROLLUP_BATCH).await?;
        let Some((last, _)) = batch.last() else {
            return Ok(());
        };
        let last = *last;
        let events: Vec<Event> = batch.into_iter().map(|(_, e)| e).collect();
        prepare(store, &mut agg, &events).await?;
        let delta = agg.fold(&events, Timestamp::now().millis());
        db.apply(
            delta,
            Cursor {
                source: "rollup",
                key: 0,
                pos: last,
                from: None,
            },
        )
        .await?;
        pos = last;
    }
}

async fn appender(inner: Arc<Inner>, mut rx: mpsc::Receiver<Job>) {
    while let Some(first) = rx.recv().await {
        let mut jobs = vec![first];
        let mut n = jobs[0].0.events.len();
        // Group commit: what arrives within a couple of milliseconds shares the transaction (a
        // commit costs the same for one page's batch as for hundreds).
        let deadline = tokio::time::Instant::now() + Duration::from_millis(2);
        while n < APPEND_BATCH {
            match rx.try_recv() {
                Ok(j) => {
                    n += j.0.events.len();
                    jobs.push(j);
                }
                Err(_) if n >= APPEND_BATCH / 10 => break,
                Err(_) => match tokio::time::timeout_at(deadline, rx.recv()).await {
                    Ok(Some(j)) => {
                        n += j.0.events.len();
                        jobs.push(j);
                    }
                    _ => break,
                },
            }
        }
        let (batches, replies): (Vec<_>, Vec<_>) = jobs.into_iter().unzip();
        match inner.db.append(batches).await {
            Ok(results) => {
                for (r, reply) in results.into_iter().zip(replies) {
                    let _ = reply.send(Ok(r));
                }
                inner.appended.notify_one();
            }
            Err(e) => {
                tracing::error!(error = %e, "analytics append failed");
                for reply in replies {
                    let _ = reply.send(Err(e.to_string()));
                }
            }
        }
    }
}

/// Runs the rollup consumer and the tailers while this node leads (always, on SQLite).
async fn leader(a: Analytics, tail: bool) {
    // On PostgreSQL one node at a time: a session-level advisory lock on a connection kept open.
    let _lock = match a.inner.store.backend() {
        Backend::Sqlite => None,
        Backend::Postgres => loop {
            match try_lead(&a.inner.store).await {
                Ok(Some(conn)) => break Some(conn),
                Ok(None) => {}
                Err(e) => tracing::warn!(error = %e, "analytics: could not ask for the lead"),
            }
            tokio::time::sleep(Duration::from_secs(5)).await;
        },
    };
    if tail {
        tokio::spawn(sources::run(a.clone()));
    }
    rollup(a).await;
}

async fn try_lead(
    store: &Store,
) -> Result<Option<sqlx::pool::PoolConnection<sqlx::Any>>, AnalyticsError> {
    let mut conn = store.pool().acquire().await?;
    let got: bool = sqlx::query("SELECT pg_try_advisory_lock(7410812)")
        .fetch_one(&mut *conn)
        .await?
        .try_get(0)?;
    Ok(got.then_some(conn))
}

async fn rollup(a: Analytics) {
    let inner = &a.inner;
    let mut agg = Aggregator::default();
    let mut pos = loop {
        match inner.db.cursor("rollup", 0).await {
            Ok(p) => break p,
            Err(e) => {
                tracing::error!(error = %e, "analytics: cannot read the rollup cursor");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    };
    inner.rolled.store(pos, Ordering::Release);
    inner.rolled_notify.notify_waiters();
    let mut gap_since: Option<(i64, Instant)> = None;
    let mut last_evict = Instant::now();
    let mut last_prune = Instant::now();
    loop {
        let events = match inner.db.read_after(pos, ROLLUP_BATCH).await {
            Ok(e) => e,
            Err(e) => {
                tracing::error!(error = %e, "analytics: reading events failed");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        // Ids are taken in order; a missing id may be a transaction still committing
        // (PostgreSQL): wait for it a little, then go past it (a rolled-back insert).
        let mut take = 0;
        let mut expect = pos + 1;
        for (id, _) in &events {
            if *id != expect {
                match gap_since {
                    Some((g, since)) if g == expect && since.elapsed() > Duration::from_secs(5) => {
                    }
                    Some((g, _)) if g == expect => break,
                    _ => {
                        gap_since = Some((expect, Instant::now()));
                        break;
                    }
                }
            }
            take += 1;
            expect = id + 1;
        }
        if take == 0 {
            let wait = if events.is_empty() { 1_000 } else { 50 };
            let _ =
                tokio::time::timeout(Duration::from_millis(wait), inner.appended.notified()).await;
            continue;
        }
        let batch: Vec<Event> = events[..take].iter().map(|(_, e)| e.clone()).collect();
        let last = events[take - 1].0;
        if let Err(e) = prepare(&inner.store, &mut agg, &batch).await {
            tracing::error!(error = %e, "analytics: loading rollup state failed");
            tokio::time::sleep(Duration::from_secs(1)).await;
            continue;
        }
        let now = Timestamp::now().millis();
        let before = snapshot(&agg, &batch);
        let delta = agg.fold(&batch, now);
        let cursor = Cursor {
            source: "rollup",
            key: 0,
            pos: last,
            from: None,
        };
        match inner.db.apply(delta, cursor).await {
            Ok(()) => {
                pos = last;
                inner.rolled.store(pos, Ordering::Release);
                inner.rolled_notify.notify_waiters();
            }
            Err(e) => {
                // Not applied: forget what the fold changed and read the batch again.
                tracing::error!(error = %e, "analytics: applying rollups failed; retrying");
                restore(&mut agg, before);
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
        if last_evict.elapsed() > Duration::from_secs(60) {
            agg.evict(now - 30 * 60_000);
            last_evict = Instant::now();
        }
        if last_prune.elapsed() > Duration::from_secs(3_600) {
            last_prune = Instant::now();
            if let Err(e) = inner.db.prune_sources().await {
                tracing::warn!(error = %e, "analytics: pruning old page numbers failed");
            }
        }
    }
}

type Saved = Vec<([i64; 2], i64, i64, Vec<(i64, Option<ViewerState>)>)>;

/// The aggregator's state a batch may change, to put back if the batch is not stored.
fn snapshot(agg: &Aggregator, batch: &[Event]) -> Saved {
    let mut by: HashMap<[i64; 2], Vec<i64>> = HashMap::new();
    for e in batch {
        by.entry([e.session_id, i64::from(e.replay())])
            .or_default()
            .push(e.viewer);
    }
    by.into_iter()
        .map(|(k, mut viewers)| {
            viewers.sort_unstable();
            viewers.dedup();
            let st = agg.sessions.get(&k);
            let saved = viewers
                .iter()
                .map(|v| (*v, st.and_then(|s| s.viewers.get(v).copied())))
                .collect();
            (
                k,
                st.map_or(0, |s| s.online),
                st.map_or(0, |s| s.pcu),
                saved,
            )
        })
        .collect()
}

fn restore(agg: &mut Aggregator, saved: Saved) {
    for (k, online, pcu, viewers) in saved {
        let Some(st) = agg.sessions.get_mut(&k) else {
            continue;
        };
        st.online = online;
        st.pcu = pcu;
        for (v, was) in viewers {
            match was {
                Some(vs) => {
                    st.viewers.insert(v, vs);
                }
                None => {
                    st.viewers.remove(&v);
                }
            }
        }
    }
}

/// Loads the stored state of session sides and viewers a batch touches that memory lacks.
async fn prepare(
    store: &Store,
    agg: &mut Aggregator,
    batch: &[Event],
) -> Result<(), AnalyticsError> {
    let (sessions, _) = agg.unknown(batch);
    for key in sessions {
        let st = match db::load_session(store, key).await? {
            None => SessionState {
                complete: true,
                ..Default::default()
            },
            Some((online, pcu)) => SessionState {
                online,
                pcu,
                complete: false,
                ..Default::default()
            },
        };
        agg.sessions.insert(key, st);
    }
    let (_, viewers) = agg.unknown(batch);
    for (key, list) in viewers {
        let found = db::load_viewers(store, key, &list).await?;
        let st = agg.sessions.get_mut(&key).expect("loaded above");
        for v in list {
            let (flags, watch_ms) = found.get(&v).copied().unwrap_or((0, 0));
            st.viewers.insert(v, ViewerState { flags, watch_ms });
        }
    }
    Ok(())
}
