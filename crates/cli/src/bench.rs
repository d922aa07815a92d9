//! `sellstream bench room`: a load generator for the live room, measured against a plain Node `ws`
//! broadcast server in the same run. Viewers are real WebSocket connections on loopback, spread over
//! source addresses 127.0.0.2 and up; senders are signed-in test customers. See docs/performance.md.

use crate::room_ingest;
use anyhow::{bail, Context};
use bytes::BytesMut;
use clap::Args;
use sellstream_live::wire::ws;
use serde_json::{json, Value};
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpSocket;
use tokio::sync::mpsc;

#[derive(Args, Clone)]
pub struct RoomBench {
    /// WebSocket viewers to connect.
    #[arg(long, default_value_t = 1000)]
    viewers: usize,
    /// Chat messages per second, from signed-in test customers.
    #[arg(long = "chat-rate", default_value_t = 20.0)]
    chat_rate: f64,
    /// Likes per second.
    #[arg(long = "like-rate", default_value_t = 50.0)]
    like_rate: f64,
    /// Length of the measured window.
    #[arg(long, default_value_t = 20)]
    seconds: u64,
    /// Measure a running sellstream (http://host:port) instead of starting one; its first live
    /// session is used, and sender accounts are registered on it.
    #[arg(long)]
    url: Option<String>,
    /// Skip the Node `ws` baseline.
    #[arg(long)]
    no_baseline: bool,
    /// After the plain window, measure a second one while this many analytics events for the
    /// session arrive through `POST /api/v1/events` (e.g. 1000000: a whole session's events).
    #[arg(long, default_value_t = 0)]
    ingest: u64,
    /// Also connect this many hostile viewers that never read what they are sent.
    #[arg(long, default_value_t = 0)]
    slow: usize,
    /// Folder of the baseline server (installed with npm ci on first use).
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/../../bench/baseline-ws"))]
    baseline_dir: PathBuf,
}

/// What one server did under the load.
#[derive(Debug, Default, Clone)]
struct Figures {
    p50_ms: f64,
    p99_ms: f64,
    delivered_per_s: f64,
    frames_per_s: f64,
    dropped_viewers: u64,
    rss_kib_per_conn: f64,
    cpu_s_per_m_deliveries: f64,
    /// The longest a reading viewer went without a frame during the window.
    max_gap_ms: f64,
    /// The server's RSS at the end of the window.
    rss_mib: f64,
}

impl Figures {
    fn json(&self) -> Value {
        json!({"p50_ms": round(self.p50_ms), "p99_ms": round(self.p99_ms), "delivered_per_s": round(self.delivered_per_s),
               "frames_per_s": round(self.frames_per_s), "dropped_viewers": self.dropped_viewers,
               "rss_kib_per_conn": round(self.rss_kib_per_conn), "cpu_s_per_m_deliveries": round(self.cpu_s_per_m_deliveries)})
    }
}

fn round(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// A server under test: a child process we started, or one given by URL.
struct Target {
    name: &'static str,
    ws_url: String,
    pid: Option<u32>,
    child: Option<Child>,
    /// Session cookies of the senders (empty: the baseline needs none).
    senders: Vec<Option<String>>,
    /// The HTTP address and the live session (ours only).
    base: String,
    session: i64,
}

impl Drop for Target {
    fn drop(&mut self) {
        if let Some(c) = &mut self.child {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

pub async fn run(args: RoomBench) -> anyhow::Result<()> {
    let files = raise_open_file_limit();
    let needed = (args.viewers + args.slow + 100) as u64;
    if files < needed {
        eprintln!(
            "bench: WARNING: this process may open {files} files and cannot raise that limit (no CAP_SYS_RESOURCE); \
             {needed} are needed, so viewers past the limit will fail and count as dropped. The server started \
             here inherits the same limit."
        );
    }
    let senders = ((args.chat_rate / 0.45).ceil() as usize).clamp(1, args.viewers.max(1));
    eprintln!(
        "bench: {} viewers ({} of them sending), chat {}/s, likes {}/s, {} s",
        args.viewers, senders, args.chat_rate, args.like_rate, args.seconds
    );

    let ours = start_ours(&args, senders).await?;
    let ours_fig = measure(&ours, &args, None).await?;
    let under = if args.ingest > 0 {
        let prepared = room_ingest::prepare(&ours.base, ours.session).await?;
        let go = Arc::new(tokio::sync::Notify::new());
        eprintln!(
            "bench[sellstream]: again, while {} analytics events arrive",
            args.ingest
        );
        let load = tokio::spawn(room_ingest::run(
            prepared,
            args.ingest,
            args.seconds,
            go.clone(),
        ));
        let fig = measure(&ours, &args, Some(&go)).await?;
        let ingest = load.await??;
        // A third window, alone again: how much two windows differ without any ingestion.
        eprintln!("bench[sellstream]: once more alone, for comparison");
        let after = measure(&ours, &args, None).await?;
        Some((fig, ingest, after))
    } else {
        None
    };
    drop(ours);
    let base_fig = if args.no_baseline {
        None
    } else {
        let base = start_baseline(&args, senders).await?;
        Some(measure(&base, &args, None).await?)
    };

    let cpu_ratio = base_fig
        .as_ref()
        .filter(|b| ours_fig.cpu_s_per_m_deliveries > 0.0 && b.cpu_s_per_m_deliveries > 0.0)
        .map(|b| b.cpu_s_per_m_deliveries / ours_fig.cpu_s_per_m_deliveries);
    print_table(&args, &ours_fig, base_fig.as_ref(), cpu_ratio);
    if let Some((fig, ing, after)) = &under {
        print_under_ingest([&ours_fig, fig, after], ing);
    }
    let out = json!({
        "viewers": args.viewers, "chat_rate": args.chat_rate, "like_rate": args.like_rate, "seconds": args.seconds,
        "ours": ours_fig.json(),
        "baseline": base_fig.as_ref().map(Figures::json),
        "cpu_ratio": cpu_ratio.map(round),
        "under_ingest": under.as_ref().map(|(f, i, after)| {
            let mut v = f.json();
            v["max_gap_ms"] = json!(round(f.max_gap_ms));
            v["ingest"] = i.json();
            // Against the mean of the two windows alone, before and after.
            let alone = (ours_fig.p99_ms + after.p99_ms) / 2.0;
            v["p99_ratio"] = json!((alone > 0.0).then(|| round(f.p99_ms / alone)));
            v["alone_after"] = after.json();
            v
        }),
    });
    println!("{out}");
    Ok(())
}

fn print_table(args: &RoomBench, o: &Figures, b: Option<&Figures>, ratio: Option<f64>) {
    println!(
        "sellstream bench room — {} viewers, chat {}/s, likes {}/s, {} s on this machine",
        args.viewers, args.chat_rate, args.like_rate, args.seconds
    );
    println!(
        "{:<30} {:>14} {:>20}",
        "", "sellstream", "baseline (node ws)"
    );
    let row = |name: &str, f: fn(&Figures) -> f64| {
        let base = b.map_or("-".to_owned(), |b| format!("{:.2}", f(b)));
        println!("{:<30} {:>14.2} {:>20}", name, f(o), base);
    };
    row("latency p50 (ms)", |f| f.p50_ms);
    row("latency p99 (ms)", |f| f.p99_ms);
    row("deliveries per second", |f| f.delivered_per_s);
    row("frames per second", |f| f.frames_per_s);
    row("viewers dropped", |f| f.dropped_viewers as f64);
    row("server RSS per connection (KiB)", |f| f.rss_kib_per_conn);
    row("server CPU s per 1M deliveries", |f| {
        f.cpu_s_per_m_deliveries
    });
    row("longest gap between frames (ms)", |f| f.max_gap_ms);
    row("server RSS at the end (MiB)", |f| f.rss_mib);
    if let Some(r) = ratio {
        println!("cpu_ratio (baseline CPU per delivery ÷ ours): {r:.2}");
    }
    let checks = targets(args, o, ratio);
    if !checks.is_empty() {
        println!("targets for this workload (docs/performance.md says what limits a missed one):");
        for (what, met, got) in checks {
            let verdict = if met { "met" } else { "MISSED" };
            println!("  {what:<44} {verdict:>7}  ({got})");
        }
    }
}

/// The room with and without a session's worth of analytics arriving at the same time.
fn print_under_ingest(windows: [&Figures; 3], ing: &room_ingest::IngestFigures) {
    println!(
        "the room while {} analytics events arrive ({:.0} events/s accepted, {} rejected, {} batches throttled)",
        ing.sent, ing.events_per_s, ing.rejected, ing.throttled
    );
    println!(
        "{:<32} {:>12} {:>18} {:>14}",
        "", "room alone", "room + ingestion", "alone again"
    );
    let row = |name: &str, f: fn(&Figures) -> f64| {
        let [a, b, c] = windows.map(f);
        println!("{name:<32} {a:>12.2} {b:>18.2} {c:>14.2}");
    };
    row("latency p50 (ms)", |f| f.p50_ms);
    row("latency p99 (ms)", |f| f.p99_ms);
    row("deliveries per second", |f| f.delivered_per_s);
    row("viewers dropped", |f| f.dropped_viewers as f64);
    row("longest gap between frames (ms)", |f| f.max_gap_ms);
    println!(
        "events lost: {} (clicks and shares sent vs counted on the dashboard); counted {:.0} ms after the last batch",
        ing.lost, ing.catch_up_ms
    );
}

/// The targets docs/performance.md sets for the workloads it names: (target, met, measured).
fn targets(args: &RoomBench, o: &Figures, ratio: Option<f64>) -> Vec<(String, bool, String)> {
    let (v, r, l) = (args.viewers, args.chat_rate, args.like_rate);
    let mut out = Vec::new();
    let dropped = |out: &mut Vec<(String, bool, String)>| {
        out.push((
            "0 viewers dropped".to_owned(),
            o.dropped_viewers == 0,
            format!("{} dropped", o.dropped_viewers),
        ));
    };
    if v == 10_000 && r == 20.0 && l == 0.0 {
        out.push((
            "same work: p99 ≤ 200 ms".into(),
            o.p99_ms <= 200.0,
            format!("{:.0} ms", o.p99_ms),
        ));
        dropped(&mut out);
        if let Some(ratio) = ratio {
            out.push((
                "same work: cpu_ratio ≥ 5".into(),
                ratio >= 5.0,
                format!("{ratio:.2}"),
            ));
        }
    } else if v == 10_000 && r == 1_000.0 && l == 5_000.0 {
        out.push((
            "peak: p99 ≤ 500 ms".into(),
            o.p99_ms <= 500.0,
            format!("{:.0} ms", o.p99_ms),
        ));
        dropped(&mut out);
        out.push((
            "peak: ≤ 20 KiB RSS per connection".into(),
            o.rss_kib_per_conn <= 20.0,
            format!("{:.1} KiB", o.rss_kib_per_conn),
        ));
    } else if r == 0.0 && l > 0.0 && v >= 10_000 {
        out.push((
            "idle: 50,000 viewers held".into(),
            v >= 50_000 && o.dropped_viewers == 0,
            format!("{v} viewers, {} dropped", o.dropped_viewers),
        ));
        out.push((
            "idle: a frame to every viewer every second".into(),
            o.max_gap_ms <= 1_200.0,
            format!("longest gap {:.0} ms", o.max_gap_ms),
        ));
    }
    out
}

async fn start_ours(args: &RoomBench, senders: usize) -> anyhow::Result<Target> {
    let (base, child) = match &args.url {
        Some(u) => (u.trim_end_matches('/').to_owned(), None),
        None => {
            let port = free_port()?;
            let dir = std::env::temp_dir().join(format!("sellstream-bench-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            let child = Command::new(std::env::current_exe()?)
                .args(["serve", "--demo", "--bind", &format!("127.0.0.1:{port}")])
                .arg("--data-dir")
                .arg(&dir)
                .env("SELLSTREAM_LOG", "warn")
                .stdout(Stdio::null())
                .stderr(Stdio::inherit())
                .spawn()
                .context("while starting sellstream")?;
            (format!("http://127.0.0.1:{port}"), Some(child))
        }
    };
    let http = reqwest::Client::new();
    wait_ready(&http, &format!("{base}/healthz")).await?;
    let live: Value = http
        .get(format!("{base}/api/v1/public/sessions?state=live"))
        .send()
        .await?
        .json()
        .await?;
    let Some(session) = live["items"][0]["id"].as_i64() else {
        bail!("no live session at {base}: start it with --demo or take a session live");
    };
    eprintln!("bench: registering {senders} test customers");
    let run = std::process::id();
    let mut tokens = Vec::with_capacity(senders);
    let mut pending = Vec::new();
    for i in 0..senders {
        let http = http.clone();
        let url = format!("{base}/api/v1/auth/register");
        pending.push(tokio::spawn(async move {
            let body = json!({"email": format!("bench-{run}-{i}@bench.invalid"), "nickname": format!("bench{i}"), "password": "bench-password"});
            let res: Value = http.post(url).json(&body).send().await?.json().await?;
            res["token"].as_str().map(str::to_owned).context("registration failed")
        }));
        if pending.len() >= 8 {
            tokens.push(Some(pending.remove(0).await??));
        }
    }
    for p in pending {
        tokens.push(Some(p.await??));
    }
    let pid = child.as_ref().map(Child::id);
    Ok(Target {
        name: "sellstream",
        ws_url: format!("{}/ws/rooms/{session}", base.replace("http://", "ws://")),
        pid,
        child,
        senders: tokens,
        base,
        session,
    })
}

async fn start_baseline(args: &RoomBench, senders: usize) -> anyhow::Result<Target> {
    let dir = &args.baseline_dir;
    if !dir.join("node_modules/ws").exists() {
        eprintln!("bench: installing the baseline's node packages");
        let ok = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(dir)
            .status()?
            .success();
        if !ok {
            bail!("npm ci failed in {}", dir.display());
        }
    }
    let port = free_port()?;
    let child = Command::new("node")
        .arg(dir.join("server.js"))
        .arg(port.to_string())
        .stdout(Stdio::null())
        .spawn()
        .context("while starting the node baseline (is Node.js installed?)")?;
    let pid = child.id();
    let deadline = Instant::now() + Duration::from_secs(20);
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        if Instant::now() > deadline {
            bail!("the baseline did not start");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(Target {
        name: "baseline",
        ws_url: format!("ws://127.0.0.1:{port}/"),
        pid: Some(pid),
        child: Some(child),
        senders: vec![None; senders],
        base: format!("http://127.0.0.1:{port}"),
        session: 0,
    })
}

async fn wait_ready(http: &reqwest::Client, url: &str) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(r) = http.get(url).send().await {
            if r.status().is_success() {
                return Ok(());
            }
        }
        if Instant::now() > deadline {
            bail!("{url} did not answer within 60 s");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// Raises the open-file limit for this process and the servers it starts: to a million where the
/// system allows it (root may raise the hard limit up to `fs.nr_open`), else to the hard limit.
pub(crate) fn raise_file_limit() -> u64 {
    raise_open_file_limit()
}

fn raise_open_file_limit() -> u64 {
    // SAFETY: getrlimit/setrlimit only read and write the struct we pass.
    unsafe {
        let mut lim = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) != 0 {
            return 0;
        }
        let want = libc::rlimit {
            rlim_cur: 1 << 20,
            rlim_max: lim.rlim_max.max(1 << 20),
        };
        if libc::setrlimit(libc::RLIMIT_NOFILE, &want) == 0 {
            return want.rlim_cur;
        }
        if lim.rlim_cur < lim.rlim_max {
            lim.rlim_cur = lim.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
        }
        lim.rlim_cur
    }
}

/// Resident memory (KiB) and CPU time (s) of a process, from /proc.
fn proc_usage(pid: u32) -> (u64, f64) {
    let rss = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0);
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    let cpu = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            let after = s.rsplit_once(')')?.1;
            let f: Vec<&str> = after.split_whitespace().collect();
            Some((f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?) / ticks)
        })
        .unwrap_or(0.0);
    (rss, cpu)
}

/// Latency histogram: 0.1 ms buckets up to 10 s.
struct Histogram {
    buckets: Vec<AtomicU64>,
}

impl Histogram {
    const N: usize = 100_000;
    fn new() -> Self {
        Self {
            buckets: (0..Self::N + 1).map(|_| AtomicU64::new(0)).collect(),
        }
    }
    fn record(&self, micros: u64) {
        let i = ((micros / 100) as usize).min(Self::N);
        self.buckets[i].fetch_add(1, Ordering::Relaxed);
    }
    fn quantile(&self, q: f64) -> f64 {
        let counts: Vec<u64> = self
            .buckets
            .iter()
            .map(|b| b.load(Ordering::Relaxed))
            .collect();
        let total: u64 = counts.iter().sum();
        if total == 0 {
            return 0.0;
        }
        let want = (q * total as f64).ceil() as u64;
        let mut seen = 0;
        for (i, c) in counts.iter().enumerate() {
            seen += c;
            if seen >= want {
                return (i as f64 + 0.5) / 10.0;
            }
        }
        Self::N as f64 / 10.0
    }
}

struct Shared {
    epoch: Instant,
    measuring: AtomicBool,
    latency: Histogram,
    deliveries: AtomicU64,
    frames: AtomicU64,
    dropped: AtomicU64,
    done: AtomicBool,
    max_gap_us: AtomicU64,
}

/// Measures one window; `go` is told when it starts.
async fn measure(
    target: &Target,
    args: &RoomBench,
    go: Option<&tokio::sync::Notify>,
) -> anyhow::Result<Figures> {
    let (rss_before, _) = target.pid.map(proc_usage).unwrap_or_default();
    let shared = Arc::new(Shared {
        epoch: Instant::now(),
        measuring: AtomicBool::new(false),
        latency: Histogram::new(),
        deliveries: AtomicU64::new(0),
        frames: AtomicU64::new(0),
        dropped: AtomicU64::new(0),
        done: AtomicBool::new(false),
        max_gap_us: AtomicU64::new(0),
    });
    let url = target.ws_url.strip_prefix("ws://").context("ws:// URL")?;
    let (hostport, path) = url
        .split_once('/')
        .map(|(h, p)| (h, format!("/{p}")))
        .unwrap_or((url, "/".into()));
    let server: SocketAddr = tokio::net::lookup_host(hostport)
        .await?
        .next()
        .context("server address")?;

    eprintln!(
        "bench[{}]: connecting {} viewers",
        target.name, args.viewers
    );
    let mut senders = Vec::new();
    let mut handles = Vec::with_capacity(args.viewers);
    let connect_sem = Arc::new(tokio::sync::Semaphore::new(256));
    for i in 0..args.viewers {
        let cookie = target.senders.get(i).cloned().flatten();
        let is_sender = i < target.senders.len();
        let (tx, rx) = mpsc::channel::<bytes::Bytes>(64);
        if is_sender {
            senders.push(tx);
        }
        let source = Ipv4Addr::new(
            127,
            0,
            (2 + i / 20_000 / 256) as u8,
            (2 + i / 20_000 % 256) as u8,
        );
        let shared = shared.clone();
        let path = path.clone();
        let host = hostport.to_owned();
        let permit = connect_sem.clone().acquire_owned().await?;
        handles.push(tokio::spawn(async move {
            let stream = match connect(server, source, &host, &path, cookie.as_deref()).await {
                Ok(s) => s,
                Err(e) => {
                    drop(permit);
                    shared.dropped.fetch_add(1, Ordering::Relaxed);
                    return Err(e);
                }
            };
            drop(permit);
            viewer(stream, rx, is_sender, shared).await;
            Ok(())
        }));
    }
    // Wait until every connection is open (or failed).
    let deadline = Instant::now() + Duration::from_secs(180);
    while connect_sem.available_permits() < 256 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Hostile viewers: they connect and then never read.
    let mut slow = Vec::with_capacity(args.slow);
    for i in 0..args.slow {
        let n = args.viewers + i;
        let source = Ipv4Addr::new(
            127,
            0,
            (2 + n / 20_000 / 256) as u8,
            (2 + n / 20_000 % 256) as u8,
        );
        match connect(server, source, hostport, &path, None).await {
            Ok(s) => slow.push(s),
            Err(e) => eprintln!("bench: a slow viewer could not connect: {e}"),
        }
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (rss_after, cpu_start) = target.pid.map(proc_usage).unwrap_or_default();
    let dropped_at_start = shared.dropped.load(Ordering::Relaxed);

    eprintln!("bench[{}]: measuring for {} s", target.name, args.seconds);
    shared.measuring.store(true, Ordering::Relaxed);
    if let Some(go) = go {
        go.notify_one();
    }
    let started = Instant::now();
    let window = Duration::from_secs(args.seconds);
    let (mut chats, mut likes) = (0u64, 0u64);
    let mut next = 0usize;
    let mask = [0x37, 0xfa, 0x21, 0x3d];
    while started.elapsed() < window {
        let t = started.elapsed().as_secs_f64();
        while (chats as f64) < args.chat_rate * t && !senders.is_empty() {
            let stamp = encode_stamp(shared.epoch.elapsed().as_micros() as u64);
            let frame = ws::encode_client_frame(
                ws::OP_TEXT,
                format!(r#"{{"t":"chat","text":"b{stamp}"}}"#).as_bytes(),
                mask,
            );
            let _ = senders[next % senders.len()].try_send(frame);
            next += 1;
            chats += 1;
        }
        while (likes as f64) < args.like_rate * t && !senders.is_empty() {
            let frame = ws::encode_client_frame(ws::OP_TEXT, br#"{"t":"like","n":1}"#, mask);
            let _ = senders[next % senders.len()].try_send(frame);
            next += 1;
            likes += 1;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let (rss_end, cpu_end) = target.pid.map(proc_usage).unwrap_or_default();
    // Let what was sent arrive before counting the drops; nothing sent after the window counts.
    tokio::time::sleep(Duration::from_millis(500)).await;
    shared.measuring.store(false, Ordering::Relaxed);
    let dropped = shared.dropped.load(Ordering::Relaxed);
    shared.done.store(true, Ordering::Relaxed);
    drop(senders);
    drop(slow);
    for h in handles {
        h.abort();
    }
    let deliveries = shared.deliveries.load(Ordering::Relaxed) as f64;
    let viewers = args.viewers.max(1) as f64;
    Ok(Figures {
        p50_ms: shared.latency.quantile(0.50),
        p99_ms: shared.latency.quantile(0.99),
        delivered_per_s: deliveries / elapsed,
        frames_per_s: shared.frames.load(Ordering::Relaxed) as f64 / elapsed,
        dropped_viewers: dropped.max(dropped_at_start),
        rss_kib_per_conn: rss_after.saturating_sub(rss_before) as f64 / viewers,
        cpu_s_per_m_deliveries: if deliveries > 0.0 {
            (cpu_end - cpu_start) / (deliveries / 1e6)
        } else {
            0.0
        },
        max_gap_ms: shared.max_gap_us.load(Ordering::Relaxed) as f64 / 1000.0,
        rss_mib: rss_end as f64 / 1024.0,
    })
}

/// Opens a WebSocket from `source` and completes the opening handshake.
async fn connect(
    server: SocketAddr,
    source: Ipv4Addr,
    host: &str,
    path: &str,
    cookie: Option<&str>,
) -> anyhow::Result<tokio::net::TcpStream> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::V4(SocketAddrV4::new(source, 0)))?;
    let mut stream = socket.connect(server).await?;
    stream.set_nodelay(true)?;
    let cookie = cookie
        .map(|c| format!("Cookie: ss_session={c}\r\n"))
        .unwrap_or_default();
    let req = format!(
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n{cookie}\r\n"
    );
    stream.write_all(req.as_bytes()).await?;
    let mut head = Vec::with_capacity(256);
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if stream.read(&mut byte).await? == 0 || head.len() > 4096 {
            bail!("handshake failed");
        }
        head.push(byte[0]);
    }
    if !head.starts_with(b"HTTP/1.1 101") {
        bail!(
            "handshake refused: {}",
            String::from_utf8_lossy(&head[..head.len().min(80)])
        );
    }
    Ok(stream)
}

/// Reads frames, timing every chat message it sees; writes what the driver queues (senders only).
async fn viewer(
    stream: tokio::net::TcpStream,
    mut outbox: mpsc::Receiver<bytes::Bytes>,
    is_sender: bool,
    shared: Arc<Shared>,
) {
    let (mut rd, mut wr) = stream.into_split();
    let mut buf = BytesMut::with_capacity(4096);
    let mut last_frame: Option<u64> = None;
    loop {
        tokio::select! {
            out = outbox.recv(), if is_sender => {
                match out {
                    Some(frame) => if wr.write_all(&frame).await.is_err() { break },
                    None => return,
                }
            }
            n = rd.read_buf(&mut buf) => {
                match n {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {}
                }
                let now = shared.epoch.elapsed().as_micros() as u64;
                loop {
                    match ws::decode_server_frame(&mut buf, 1 << 20) {
                        Ok(Some((ws::OP_TEXT, payload))) => {
                            if shared.measuring.load(Ordering::Relaxed) {
                                if let Some(last) = last_frame {
                                    shared.max_gap_us.fetch_max(now.saturating_sub(last), Ordering::Relaxed);
                                }
                                last_frame = Some(now);
                                shared.frames.fetch_add(1, Ordering::Relaxed);
                                for sent in chat_stamps(&payload) {
                                    shared.deliveries.fetch_add(1, Ordering::Relaxed);
                                    shared.latency.record(now.saturating_sub(sent));
                                }
                            }
                        }
                        Ok(Some((ws::OP_PING, p))) => {
                            let _ = wr.write_all(&ws::encode_client_frame(ws::OP_PONG, &p, [1, 2, 3, 4])).await;
                        }
                        Ok(Some((ws::OP_CLOSE, _))) => {
                            if !shared.done.load(Ordering::Relaxed) {
                                shared.dropped.fetch_add(1, Ordering::Relaxed);
                            }
                            return;
                        }
                        Ok(Some(_)) => {}
                        Ok(None) => break,
                        Err(_) => {
                            shared.dropped.fetch_add(1, Ordering::Relaxed);
                            return;
                        }
                    }
                }
            }
        }
    }
    if !shared.done.load(Ordering::Relaxed) {
        shared.dropped.fetch_add(1, Ordering::Relaxed);
    }
}

/// A send time written with the letters g–p for the digits 0–9: a run of digits would be taken
/// for a phone number by chat moderation.
fn encode_stamp(micros: u64) -> String {
    micros
        .to_string()
        .bytes()
        .map(|d| (d - b'0' + b'g') as char)
        .collect()
}

/// The send times (µs) stamped in the chat texts of a frame: `"text":"b<stamp>"`.
fn chat_stamps(payload: &[u8]) -> impl Iterator<Item = u64> + '_ {
    const MARK: &[u8] = b"\"text\":\"b";
    let mut at = 0;
    std::iter::from_fn(move || {
        while at + MARK.len() <= payload.len() {
            if &payload[at..at + MARK.len()] == MARK {
                let start = at + MARK.len();
                let end = payload[start..]
                    .iter()
                    .position(|b| !(b'g'..=b'p').contains(b))
                    .map_or(payload.len(), |p| start + p);
                at = end;
                if start < end {
                    return Some(
                        payload[start..end]
                            .iter()
                            .fold(0u64, |v, b| v * 10 + u64::from(b - b'g')),
                    );
                }
            } else {
                at += 1;
            }
        }
        None
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn finds_every_stamp_in_a_batch() {
        let batch = format!(
            r#"{{"events":[{{"k":"chat","text":"b{}"}},{{"k":"chat","text":"b{}","x":1}},{{"k":"chat","text":"hello"}}]}}"#,
            super::encode_stamp(123),
            super::encode_stamp(1_764_151_200_000_000)
        );
        assert_eq!(
            super::chat_stamps(batch.as_bytes()).collect::<Vec<_>>(),
            vec![123, 1_764_151_200_000_000]
        );
    }
}
