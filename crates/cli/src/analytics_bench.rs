//! `bench analytics`: a realistic history of N events (sessions, viewers with watch times, chat,
//! likes, product exposures and clicks, orders, payments, refunds) ingested through the server's
//! path into SQLite, then the post-live review of one session, the trend over all of them and the
//! live rollup's per-second cost; beside it the same events loaded into DuckDB (installed from
//! PyPI into a cached virtualenv) and the same figures computed there by column scans.

use anyhow::{bail, Context};
use clap::Args;
use sellstream_analytics::db::Append;
use sellstream_analytics::gen::{self, History, Plan};
use sellstream_analytics::list::{ListQuery, TrendQuery};
use sellstream_analytics::Analytics;
use sellstream_core::Timestamp;
use sellstream_store::Store;
use serde_json::json;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Args)]
pub struct AnalyticsBench {
    /// Events in the generated history.
    #[arg(long, default_value_t = 1_000_000)]
    pub events: usize,
    /// Events per session (sessions = events ÷ this).
    #[arg(long, default_value_t = 50_000)]
    pub per_session: usize,
    /// Batches in flight at once (pages' requests and log tailers): a busy show has many pages
    /// flushing at the same moment, and the appender commits whatever is waiting together.
    #[arg(long, default_value_t = 1024)]
    pub concurrency: usize,
    /// Leave DuckDB out (no Python, no download).
    #[arg(long)]
    pub skip_duckdb: bool,
    /// Where the virtualenv with DuckDB is kept between runs.
    #[arg(long, default_value = "target/bench-venv")]
    pub venv: PathBuf,
}

enum Work {
    Page(Option<i64>, sellstream_analytics::PageBatch),
    Server(Vec<sellstream_analytics::Event>),
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    v[v.len() / 2]
}

async fn timed<F, T>(runs: usize, mut f: impl FnMut() -> F) -> anyhow::Result<f64>
where
    F: std::future::Future<Output = Result<T, sellstream_analytics::AnalyticsError>>,
{
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        f().await?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    Ok(median(times))
}

pub async fn run(args: AnalyticsBench) -> anyhow::Result<()> {
    if args.events < 10_000 {
        bail!("--events: at least 10,000");
    }
    let dir = std::env::temp_dir().join(format!("sellstream-analytics-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let result = bench(&args, &dir).await;
    let _ = std::fs::remove_dir_all(&dir);
    result
}

async fn bench(args: &AnalyticsBench, dir: &Path) -> anyhow::Result<()> {
    let store = Store::connect(&Store::sqlite_url_in(dir)).await?;
    store.migrate().await?;
    let now = Timestamp::now().millis();
    let sessions = args.events.div_ceil(args.per_session).max(1);
    eprintln!(
        "bench: generating {} events in {sessions} sessions…",
        args.events
    );
    // Ten products, sessions of two hours spread over the last six days (pages' events older
    // than seven days are refused).
    let mut products = Vec::new();
    for i in 0..10i64 {
        let id = i + 1;
        sqlx::query(
            "INSERT INTO products (id, title, created_at, updated_at) VALUES ($1, $2, $3, $3)",
        )
        .bind(id)
        .bind(format!("商品 {id}"))
        .bind(now)
        .execute(store.pool())
        .await?;
        products.push((id, 4_900 + 2_000 * i));
    }
    let span = 6 * 86_400_000i64;
    let duration = 2 * 3_600_000i64;
    let mut work: Vec<Work> = Vec::new();
    let mut next_order = 0;
    let mut total = 0usize;
    let t_gen = Instant::now();
    for i in 0..sessions {
        let id = i as i64 + 1;
        let start = now - span - duration + (i as i64 * span) / sessions as i64;
        sqlx::query(
            "INSERT INTO live_sessions (id, title, theme, channel, scheduled_start, scheduled_end, state, started_at, ended_at, created_at, updated_at)
             VALUES ($1, $2, 'custom', 'own', $3, $4, 'ended', $3, $4, $3, $4)",
        )
        .bind(id)
        .bind(format!("场次 {id}"))
        .bind(start)
        .bind(start + duration)
        .execute(store.pool())
        .await?;
        let want = args.per_session.min(args.events - total);
        let (h, next): (History, i64) = gen::session(&Plan {
            session_id: id,
            start,
            duration_ms: duration,
            products: &products,
            customer_base: 1_000_000,
            customers: 200_000,
            events: want,
            next_order,
            seed: id as u64,
        });
        next_order = next;
        total += h.len();
        // Within a session pages' batches and the logs' rows interleave as they arrive on a
        // server; sessions come one after another, as they happened.
        let mut items: Vec<Work> = h
            .pages
            .into_iter()
            .map(|(customer, batch)| Work::Page(customer, batch))
            .collect();
        items.extend(h.server.chunks(1_000).map(|c| Work::Server(c.to_vec())));
        {
            use rand::seq::SliceRandom;
            use rand::SeedableRng;
            items.shuffle(&mut rand::rngs::StdRng::seed_from_u64(id as u64));
        }
        work.extend(items);
    }
    // Taken from the end: the first session first.
    work.reverse();
    eprintln!(
        "bench: {total} events generated in {:.1} s; ingesting…",
        t_gen.elapsed().as_secs_f64()
    );

    let analytics = Analytics::start_with(store.clone(), false)?;
    let queue = Arc::new(Mutex::new(work));
    let rejected = Arc::new(AtomicUsize::new(0));
    let t0 = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..args.concurrency {
        let (queue, a, rejected) = (queue.clone(), analytics.clone(), rejected.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let item = queue.lock().expect("queue").pop();
                let Some(item) = item else { break };
                match item {
                    Work::Page(customer, batch) => {
                        let r = a.ingest_page(customer, batch).await?;
                        rejected.fetch_add(r.rejected.len(), Ordering::Relaxed);
                    }
                    Work::Server(events) => {
                        a.append(Append {
                            source: None,
                            seqs: vec![],
                            events,
                            cursor: None,
                        })
                        .await?;
                    }
                }
            }
            Ok::<_, sellstream_analytics::AnalyticsError>(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    let appended_s = t0.elapsed().as_secs_f64();
    analytics.settle().await;
    let ingest_s = t0.elapsed().as_secs_f64();
    let rejected = rejected.load(Ordering::Relaxed);
    if rejected > 0 {
        bail!("{rejected} generated events were refused");
    }
    let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM analytics_events")
        .fetch_one(store.pool())
        .await?;
    let ingest_rate = stored as f64 / ingest_s;

    let target = (sessions as i64 / 2).max(1);
    let report_ms = timed(15, || analytics.report(target)).await?;
    let trend_q = TrendQuery {
        by: Some("day".into()),
        ..Default::default()
    };
    let trend_ms = timed(7, || analytics.trend(&trend_q)).await?;
    let list_q = ListQuery {
        sort: Some("gmv_fen".into()),
        ..Default::default()
    };
    let list_ms = timed(7, || analytics.sessions(&list_q)).await?;
    let live_ms = timed(15, || analytics.live(target)).await?;
    // One busy second of a live show: 5,000 events folded into the rollups.
    let live_id = sessions as i64 + 1;
    let start = now - 60_000;
    sqlx::query(
        "INSERT INTO live_sessions (id, title, theme, channel, scheduled_start, scheduled_end, state, started_at, created_at, updated_at)
         VALUES ($1, 'live', 'custom', 'own', $2, $3, 'live', $2, $2, $2)",
    )
    .bind(live_id)
    .bind(start)
    .bind(start + duration)
    .execute(store.pool())
    .await?;
    let (h, _) = gen::session(&Plan {
        session_id: live_id,
        start,
        duration_ms: 60_000,
        products: &products,
        customer_base: 1_000_000,
        customers: 200_000,
        events: 5_000,
        next_order,
        seed: 99,
    });
    let second_events = h.server.len();
    let t = Instant::now();
    analytics
        .append(Append {
            source: None,
            seqs: vec![],
            events: h.server,
            cursor: None,
        })
        .await?;
    analytics.settle().await;
    let second_ms = t.elapsed().as_secs_f64() * 1000.0;

    let file_mb = std::fs::metadata(dir.join("sellstream.db"))
        .map(|m| m.len() as f64 / 1_048_576.0)
        .unwrap_or(0.0)
        + std::fs::metadata(dir.join("sellstream.db-wal"))
            .map(|m| m.len() as f64 / 1_048_576.0)
            .unwrap_or(0.0);

    let duck = if args.skip_duckdb {
        None
    } else {
        Some(duckdb(args, dir, &store, target).await?)
    };
    store.close().await;

    println!();
    println!("analytics: {stored} events, {sessions} sessions (SQLite, this machine)");
    println!("{:<44} {:>14} {:>14}", "", "sellstream", "DuckDB");
    let d = |f: &dyn Fn(&Duck) -> String| duck.as_ref().map_or("-".to_string(), f);
    println!(
        "{:<44} {:>14.0} {:>14}",
        "ingest / load (events/s)",
        ingest_rate,
        d(&|x| format!("{:.0}", x.load_events_per_s))
    );
    println!(
        "{:<44} {:>14.2} {:>14}",
        "post-live report of one session (ms)",
        report_ms,
        d(&|x| format!("{:.2}", x.report_ms))
    );
    println!(
        "{:<44} {:>14.2} {:>14}",
        "trend by day over all sessions (ms)",
        trend_ms,
        d(&|x| format!("{:.2}", x.trend_ms))
    );
    println!(
        "{:<44} {:>14.2}",
        "session list sorted by GMV (ms)", list_ms
    );
    println!("{:<44} {:>14.2}", "live dashboard rebuild (ms)", live_ms);
    println!(
        "{:<44} {:>14.2}",
        format!("one busy second: {second_events} events rolled up (ms)"),
        second_ms
    );
    println!(
        "{:<44} {:>14.1}",
        "appended, not yet rolled up, after (s)", appended_s
    );
    println!("{:<44} {:>14.1}", "database on disk (MiB)", file_mb);
    let ratio = duck.as_ref().map(|x| x.report_ms / report_ms);
    println!("targets (N = 10M): ingest ≥ 300,000/s, report ≤ 300 ms, report_ratio_vs_duckdb ≥ 1");
    println!(
        "{}",
        json!({
            "events": stored,
            "sessions": sessions,
            "ingest_events_per_s": ingest_rate.round(),
            "report_ms": report_ms,
            "trend_ms": trend_ms,
            "list_ms": list_ms,
            "live_ms": live_ms,
            "live_second_events": second_events,
            "live_second_ms": second_ms,
            "duckdb": duck.as_ref().map(|x| json!({
                "load_events_per_s": x.load_events_per_s.round(),
                "report_ms": x.report_ms,
                "trend_ms": x.trend_ms,
            })),
            "report_ratio_vs_duckdb": ratio,
        })
    );
    Ok(())
}

struct Duck {
    load_events_per_s: f64,
    report_ms: f64,
    trend_ms: f64,
}

/// Makes (once) a virtualenv with DuckDB from PyPI.
fn python(venv: &Path) -> anyhow::Result<PathBuf> {
    let py = venv.join("bin/python");
    let ok = |py: &Path| {
        std::process::Command::new(py)
            .args(["-c", "import duckdb"])
            .status()
            .is_ok_and(|s| s.success())
    };
    if py.exists() && ok(&py) {
        return Ok(py);
    }
    eprintln!(
        "bench: installing DuckDB from PyPI into {}…",
        venv.display()
    );
    let st = std::process::Command::new("python3")
        .args(["-m", "venv"])
        .arg(venv)
        .status()
        .context("python3 -m venv")?;
    if !st.success() {
        bail!("python3 -m venv failed (apt-get install python3-venv)");
    }
    let st = std::process::Command::new(venv.join("bin/pip"))
        .args(["install", "--quiet", "duckdb"])
        .status()
        .context("pip install duckdb")?;
    if !st.success() || !ok(&py) {
        bail!("pip install duckdb failed");
    }
    Ok(py)
}

async fn duckdb(
    args: &AnalyticsBench,
    dir: &Path,
    store: &Store,
    target: i64,
) -> anyhow::Result<Duck> {
    let py = python(&args.venv)?;
    // The same events, as stored, to a CSV file DuckDB loads.
    let csv = dir.join("events.csv");
    {
        let file = dir.join("sellstream.db");
        let conn = rusqlite_open(&file)?;
        let mut out = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(&csv)?);
        writeln!(
            out,
            "id,session_id,kind,viewer,product_id,ref_id,units,value,flags,at"
        )?;
        let mut st = conn.prepare(
            "SELECT id, session_id, kind, viewer, product_id, ref_id, units, value, flags, at FROM analytics_events ORDER BY id",
        )?;
        let mut rows = st.query([])?;
        while let Some(r) = rows.next()? {
            let o = |i: usize| -> rusqlite::Result<String> {
                Ok(r.get::<_, Option<i64>>(i)?
                    .map(|v| v.to_string())
                    .unwrap_or_default())
            };
            writeln!(
                out,
                "{},{},{},{},{},{},{},{},{},{}",
                o(0)?,
                o(1)?,
                o(2)?,
                o(3)?,
                o(4)?,
                o(5)?,
                o(6)?,
                o(7)?,
                o(8)?,
                o(9)?
            )?;
        }
        out.flush()?;
    }
    let _ = store;
    let script = dir.join("duck.py");
    std::fs::write(&script, DUCK_PY)?;
    eprintln!("bench: loading the same events into DuckDB…");
    let out = tokio::process::Command::new(&py)
        .arg(&script)
        .arg(&csv)
        .arg(target.to_string())
        .output()
        .await?;
    if !out.status.success() {
        bail!(
            "duckdb script failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let v: serde_json::Value = serde_json::from_slice(
        out.stdout
            .split(|b| *b == b'\n')
            .rfind(|l| !l.is_empty())
            .unwrap_or_default(),
    )?;
    Ok(Duck {
        load_events_per_s: v["load_events_per_s"].as_f64().unwrap_or(0.0),
        report_ms: v["report_ms"].as_f64().unwrap_or(0.0),
        trend_ms: v["trend_ms"].as_f64().unwrap_or(0.0),
    })
}

fn rusqlite_open(path: &Path) -> anyhow::Result<rusqlite::Connection> {
    let c = rusqlite::Connection::open(path)?;
    c.busy_timeout(Duration::from_secs(10))?;
    Ok(c)
}

/// The review's figures and the trend from raw events, as a column store computes them.
const DUCK_PY: &str = include_str!("analytics_bench.py");
