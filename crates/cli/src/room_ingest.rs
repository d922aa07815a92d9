//! The analytics load that `bench room --ingest N` puts on the server while it measures the room:
//! N viewing events for the live session, sent as pages send them (`POST /api/v1/events`, batches
//! from many page loads over several client addresses), paced over the measured window. Afterwards
//! it waits until the live dashboard has counted every click and share it sent, so the run shows
//! both what the room felt and that nothing was lost.

use anyhow::{bail, Context};
use serde_json::{json, Value};
use std::net::{IpAddr, Ipv4Addr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Events per request: the most the server takes in one batch.
const BATCH: usize = 500;
/// Batches one page load sends before the next one takes over (the server allows 30 per 10 s).
const PER_SOURCE: u64 = 25;
/// Client addresses the load comes from (the server allows 600 batches per address per 10 s).
const ADDRESSES: u8 = 8;

#[derive(Debug, Default, Clone)]
pub struct IngestFigures {
    pub sent: u64,
    pub accepted: u64,
    pub rejected: u64,
    /// Batches refused with 429 and sent again after the wait.
    pub throttled: u64,
    pub events_per_s: f64,
    /// Clicks and shares accepted but not on the dashboard after the wait (must be 0).
    pub lost: i64,
    /// The dashboard counts exactly what was accepted: nothing lost, nothing doubled.
    pub counted_as_sent: bool,
    /// From the last batch's answer to the dashboard counting everything.
    pub catch_up_ms: f64,
}

impl IngestFigures {
    pub fn json(&self) -> Value {
        json!({"events": self.sent, "accepted": self.accepted, "rejected": self.rejected,
               "throttled": self.throttled, "ingest_events_per_s": self.events_per_s.round(),
               "lost": self.lost, "counted_as_sent": self.counted_as_sent, "catch_up_ms": self.catch_up_ms.round()})
    }
}

/// Signs in as the demo operator and reads what the load needs: the bag's products and the
/// dashboard's click and share counts before it starts.
pub struct Prepared {
    base: String,
    session: i64,
    token: String,
    products: Vec<i64>,
    before: (i64, i64),
}

pub async fn prepare(base: &str, session: i64) -> anyhow::Result<Prepared> {
    let http = reqwest::Client::new();
    let login: Value = http
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"login": "operator", "password": "operator-demo"}))
        .send()
        .await?
        .json()
        .await?;
    let token = login["token"]
        .as_str()
        .context("--ingest signs in as the demo operator (serve --demo)")?
        .to_owned();
    let bag: Value = http
        .get(format!("{base}/api/v1/sessions/{session}/bag"))
        .bearer_auth(&token)
        .send()
        .await?
        .json()
        .await?;
    let products: Vec<i64> = bag["items"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|i| i["product"]["id"].as_i64())
                .collect()
        })
        .unwrap_or_default();
    if products.is_empty() {
        bail!("session {session} has nothing in its bag to click");
    }
    let before = counted(&http, base, session, &token).await?;
    Ok(Prepared {
        base: base.to_owned(),
        session,
        token,
        products,
        before,
    })
}

async fn counted(
    http: &reqwest::Client,
    base: &str,
    session: i64,
    token: &str,
) -> anyhow::Result<(i64, i64)> {
    let live: Value = http
        .get(format!("{base}/api/v1/analytics/sessions/{session}/live"))
        .bearer_auth(token)
        .send()
        .await?
        .json()
        .await?;
    Ok((
        live["product_clicks"]
            .as_i64()
            .context("dashboard answer")?,
        live["shares"].as_i64().context("dashboard answer")?,
    ))
}

struct Tally {
    sent: AtomicU64,
    accepted: AtomicU64,
    rejected: AtomicU64,
    throttled: AtomicU64,
    clicks: AtomicU64,
    shares: AtomicU64,
}

/// Sends `events` over `seconds` once `go` fires, then waits for the dashboard to count them.
pub async fn run(
    p: Prepared,
    events: u64,
    seconds: u64,
    go: Arc<tokio::sync::Notify>,
) -> anyhow::Result<IngestFigures> {
    go.notified().await;
    let tally = Arc::new(Tally {
        sent: AtomicU64::new(0),
        accepted: AtomicU64::new(0),
        rejected: AtomicU64::new(0),
        throttled: AtomicU64::new(0),
        clicks: AtomicU64::new(0),
        shares: AtomicU64::new(0),
    });
    let batches = events.div_ceil(BATCH as u64);
    let workers = ADDRESSES as u64 * 2;
    let window = Duration::from_secs(seconds.max(1));
    let started = Instant::now();
    let p = Arc::new(p);
    let mut tasks = Vec::new();
    for w in 0..workers {
        let mine = batches / workers + u64::from(w < batches % workers);
        let (p, tally) = (p.clone(), tally.clone());
        let address = IpAddr::V4(Ipv4Addr::new(127, 0, 1, 1 + (w % ADDRESSES as u64) as u8));
        let last = events;
        tasks.push(tokio::spawn(async move {
            let http = reqwest::Client::builder().local_address(address).build()?;
            for b in 0..mine {
                // Paced: this worker's b-th batch is due at b/mine of the window.
                let due = window.mul_f64(b as f64 / mine.max(1) as f64);
                if let Some(wait) = due.checked_sub(started.elapsed()) {
                    tokio::time::sleep(wait).await;
                }
                let index = b * workers + w;
                let n = (last - (index * BATCH as u64).min(last)).min(BATCH as u64) as usize;
                if n == 0 {
                    break;
                }
                let page = b / PER_SOURCE;
                let source = format!("bench-ingest-{w}-{page}-{}", std::process::id());
                let now = sellstream_core::Timestamp::now().millis();
                let mut batch = Vec::with_capacity(n);
                let mut kinds = Vec::with_capacity(n);
                for i in 0..n {
                    // A page's seq counts from 1.
                    let seq = (b % PER_SOURCE) * BATCH as u64 + i as u64 + 1;
                    let product = p.products[(index as usize + i) % p.products.len()];
                    let kind = ["exposure", "exposure", "click", "share"][i % 4];
                    kinds.push(kind);
                    batch.push(json!({"seq": seq, "kind": kind, "session": p.session,
                                      "product": product, "at": now}));
                }
                let body = json!({"source": source, "device": source, "events": batch});
                loop {
                    let r = http
                        .post(format!("{}/api/v1/events", p.base))
                        .json(&body)
                        .send()
                        .await?;
                    if r.status().as_u16() == 429 {
                        tally.throttled.fetch_add(1, Ordering::Relaxed);
                        let secs = r
                            .headers()
                            .get("retry-after")
                            .and_then(|v| v.to_str().ok()?.parse().ok())
                            .unwrap_or(1);
                        tokio::time::sleep(Duration::from_secs(secs)).await;
                        continue;
                    }
                    let status = r.status();
                    let v: Value = r.json().await?;
                    if !status.is_success() {
                        bail!("events refused ({status}): {v}");
                    }
                    let accepted = v["accepted"].as_u64().unwrap_or(0);
                    let rejected = v["rejected"].as_array().cloned().unwrap_or_default();
                    if let Some(first) = rejected.first() {
                        if tally.rejected.load(Ordering::Relaxed) == 0 {
                            eprintln!("bench: the server rejected events, e.g. {first}");
                        }
                    }
                    for r in &rejected {
                        if let Some(k) = r["index"].as_u64().and_then(|i| kinds.get_mut(i as usize))
                        {
                            *k = "";
                        }
                    }
                    let count = |want: &str| kinds.iter().filter(|k| **k == want).count() as u64;
                    tally.sent.fetch_add(n as u64, Ordering::Relaxed);
                    tally.accepted.fetch_add(accepted, Ordering::Relaxed);
                    tally
                        .rejected
                        .fetch_add(rejected.len() as u64, Ordering::Relaxed);
                    tally.clicks.fetch_add(count("click"), Ordering::Relaxed);
                    tally.shares.fetch_add(count("share"), Ordering::Relaxed);
                    break;
                }
            }
            anyhow::Ok(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    let sent_for = started.elapsed();
    let http = reqwest::Client::new();
    let want = (
        p.before.0 + tally.clicks.load(Ordering::Relaxed) as i64,
        p.before.1 + tally.shares.load(Ordering::Relaxed) as i64,
    );
    let waiting = Instant::now();
    let mut got = p.before;
    while waiting.elapsed() < Duration::from_secs(120) {
        got = counted(&http, &p.base, p.session, &p.token).await?;
        if got == want {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let load = |a: &AtomicU64| a.load(Ordering::Relaxed);
    Ok(IngestFigures {
        sent: load(&tally.sent),
        accepted: load(&tally.accepted),
        rejected: load(&tally.rejected),
        throttled: load(&tally.throttled),
        events_per_s: load(&tally.accepted) as f64 / sent_for.as_secs_f64(),
        lost: (want.0 - got.0) + (want.1 - got.1),
        counted_as_sent: got == want,
        catch_up_ms: waiting.elapsed().as_secs_f64() * 1000.0,
    })
}
