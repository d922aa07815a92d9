//! Flash-sale benches: `bench flash-sale` races distinct customers over HTTP for one SKU on
//! SQLite and PostgreSQL against the usual designs, and `bench crash` kills the server in the
//! middle of a sale and checks that nothing a buyer was told is lost and nothing is oversold.
//! Both start their own servers on fresh databases and stop by themselves.

use anyhow::{bail, Context};
use clap::Args;
use sellstream_accounts::SessionToken;
use sellstream_core::Timestamp;
use sellstream_store::{value_rows, Row, Store};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Where a bench's server keeps its data.
#[derive(Clone)]
enum Db {
    Sqlite(PathBuf),
    /// The admin URL and the database made for this run.
    Postgres {
        admin: String,
        name: String,
    },
}

impl Db {
    fn sqlite(tag: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("sellstream-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let _ = std::fs::create_dir_all(&dir);
        Self::Sqlite(dir)
    }

    async fn postgres(admin: &str, tag: &str) -> anyhow::Result<Self> {
        let name = format!("ss_{tag}_{}", std::process::id());
        let store = Store::connect(admin)
            .await
            .context("while reaching PostgreSQL")?;
        sqlx::query(&format!("DROP DATABASE IF EXISTS {name}"))
            .execute(store.pool())
            .await?;
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(store.pool())
            .await?;
        store.close().await;
        Ok(Self::Postgres {
            admin: admin.to_owned(),
            name,
        })
    }

    fn url(&self) -> String {
        match self {
            Self::Sqlite(dir) => Store::sqlite_url_in(dir),
            Self::Postgres { admin, name } => match admin.rfind('/') {
                Some(i) => format!("{}/{name}", &admin[..i]),
                None => admin.clone(),
            },
        }
    }

    async fn drop_it(&self) {
        match self {
            Self::Sqlite(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Self::Postgres { admin, name } => {
                if let Ok(store) = Store::connect(admin).await {
                    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .execute(store.pool())
                        .await;
                    store.close().await;
                }
            }
        }
    }
}

/// A `sellstream serve` child process.
struct Server {
    child: Child,
    base: String,
}

impl Server {
    async fn start(db: &Db) -> anyhow::Result<Self> {
        Self::start_with(db, &[]).await
    }

    async fn start_with(db: &Db, env: &[(&str, &str)]) -> anyhow::Result<Self> {
        let mut last = None;
        // A port picked free can be taken before the child binds it: try another.
        for _ in 0..3 {
            match Self::start_once(db, env).await {
                Ok(s) => return Ok(s),
                Err(e) => last = Some(e),
            }
        }
        Err(last.expect("three attempts"))
    }

    async fn start_once(db: &Db, env: &[(&str, &str)]) -> anyhow::Result<Self> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let mut child = Command::new(std::env::current_exe()?)
            .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
            .arg("--database-url")
            .arg(db.url())
            .env("SELLSTREAM_LOG", "warn")
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .context("while starting sellstream")?;
        let base = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(r) = http.get(format!("{base}/readyz")).send().await {
                if r.status().is_success() {
                    break;
                }
            }
            if let Ok(Some(status)) = child.try_wait() {
                bail!("sellstream exited ({status}) before answering");
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                bail!("{base} did not answer within 60 s");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Ok(Self { child, base })
    }

    /// SIGKILL: no shutdown, no flush.
    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A demo store with `n` customers who are already signed in and have an address, and a SKU in
/// the live session's bag with enough stock.
struct Shop {
    buyers: Vec<(String, i64)>,
    session: i64,
    sku: i64,
}

async fn seed(db: &Db, n: usize, stock: i64) -> anyhow::Result<Shop> {
    let store = Store::connect(&db.url()).await?;
    store.migrate().await?;
    crate::demo::seed(&store).await?;
    let session: i64 =
        sqlx::query("SELECT id FROM live_sessions WHERE state = 'live' ORDER BY id LIMIT 1")
            .fetch_one(store.pool())
            .await?
            .try_get(0)?;
    let sku: i64 = sqlx::query(
        "SELECT s.id FROM skus s JOIN session_bag b ON b.product_id = s.product_id
         WHERE b.session_id = $1 ORDER BY b.position, s.position LIMIT 1",
    )
    .bind(session)
    .fetch_one(store.pool())
    .await?
    .try_get(0)?;
    sqlx::query("UPDATE skus SET stock = stock + $1 WHERE id = $2")
        .bind(stock)
        .bind(sku)
        .execute(store.pool())
        .await?;
    let now = Timestamp::now().millis();
    let run = std::process::id() % 10_000;
    let mut buyers = Vec::with_capacity(n);
    for chunk_start in (0..n).step_by(500) {
        let chunk: Vec<usize> = (chunk_start..(chunk_start + 500).min(n)).collect();
        let mut tx = store.begin_write().await?;
        let values: Vec<String> = (0..chunk.len())
            .map(|r| {
                format!(
                    "('customer', ${}, ${}, '!', FALSE, ${}, ${})",
                    r * 3 + 1,
                    r * 3 + 2,
                    r * 3 + 3,
                    r * 3 + 3
                )
            })
            .collect();
        let sql = format!(
            "INSERT INTO accounts (kind, phone, nickname, password_hash, disabled, created_at, updated_at)
             VALUES {} RETURNING id, phone",
            values.join(",")
        );
        let mut q = sqlx::query(&sql);
        let phones: Vec<String> = chunk.iter().map(|i| format!("19{run:04}{i:05}")).collect();
        for (i, phone) in chunk.iter().zip(&phones) {
            q = q.bind(phone).bind(format!("买家{i}")).bind(now);
        }
        let by_phone: HashMap<String, i64> = q
            .fetch_all(&mut *tx)
            .await?
            .iter()
            .map(|r| Ok((r.try_get(1)?, r.try_get(0)?)))
            .collect::<Result<_, sqlx::Error>>()?;
        let ids: Vec<i64> = phones.iter().map(|p| by_phone[p]).collect();
        let tokens: Vec<SessionToken> = ids.iter().map(|_| SessionToken::generate()).collect();
        let sql = format!(
            "INSERT INTO auth_sessions (token_hash, account_id, created_at, expires_at) VALUES {}",
            value_rows(store.backend(), ids.len(), 4)
        );
        let mut q = sqlx::query(&sql);
        for (id, t) in ids.iter().zip(&tokens) {
            q = q
                .bind(t.hashed())
                .bind(*id)
                .bind(now)
                .bind(now + 86_400_000);
        }
        q.execute(&mut *tx).await?;
        let values: Vec<String> = (0..ids.len())
            .map(|r| {
                format!(
                    "(${}, '买家', '13800000000', '上海市 浦东新区', '世纪大道 100 号', TRUE, ${}, ${})",
                    r * 2 + 1,
                    r * 2 + 2,
                    r * 2 + 2
                )
            })
            .collect();
        let sql = format!(
            "INSERT INTO addresses (account_id, recipient, phone, region, detail, is_default, created_at, updated_at)
             VALUES {} RETURNING id, account_id",
            values.join(",")
        );
        let mut q = sqlx::query(&sql);
        for id in &ids {
            q = q.bind(*id).bind(now);
        }
        let addresses: HashMap<i64, i64> = q
            .fetch_all(&mut *tx)
            .await?
            .iter()
            .map(|r| Ok((r.try_get(1)?, r.try_get(0)?)))
            .collect::<Result<_, sqlx::Error>>()?;
        tx.commit().await?;
        for (id, t) in ids.iter().zip(tokens) {
            buyers.push((t.as_str().to_owned(), addresses[id]));
        }
    }
    // A shop that has been selling has statistics on its tables (autovacuum gathers them within
    // a minute of a bulk load); without them the planner scans the 20,000 addresses per batch.
    sqlx::query("ANALYZE").execute(store.pool()).await?;
    store.close().await;
    Ok(Shop {
        buyers,
        session,
        sku,
    })
}

/// Signs the demo controller in and launches a sale that starts now.
async fn launch(
    server: &Server,
    shop: &Shop,
    quota: i64,
    per_customer: i64,
    strategy: &str,
) -> anyhow::Result<i64> {
    let http = reqwest::Client::new();
    let login: Value = http
        .post(format!("{}/api/v1/auth/login", server.base))
        .json(&json!({"login": "controller", "password": "controller-demo"}))
        .send()
        .await?
        .json()
        .await?;
    let token = login["token"]
        .as_str()
        .context("controller sign-in failed")?;
    let res = http
        .post(format!("{}/api/v1/sessions/{}/flash-sales", server.base, shop.session))
        .bearer_auth(token)
        .json(&json!({"sku_id": shop.sku, "quota": quota, "price_fen": 100, "per_customer": per_customer,
                      "countdown_secs": 0, "duration_secs": 3600, "strategy": strategy}))
        .send()
        .await?;
    let body: Value = res.json().await?;
    body["id"]
        .as_i64()
        .with_context(|| format!("launching the sale: {body}"))
}

/// What one race produced.
#[derive(Default)]
struct Race {
    /// Acknowledged orders: (order id or 0 when the design answers before writing, number).
    acked: Vec<(i64, String)>,
    /// When the last acknowledgement came, from the start.
    last_ack: Duration,
    refused: usize,
    errors: usize,
    latencies_us: Vec<u64>,
    elapsed: Duration,
}

/// Races `buyers` over `concurrency` connections, each from its own loopback address, every buyer
/// ordering `quantity` once under its own key. Stops early when `stop` is set.
async fn race(
    base: &str,
    shop: &Shop,
    sale: i64,
    quantity: u32,
    concurrency: usize,
    stop: Arc<std::sync::atomic::AtomicBool>,
) -> Race {
    let next = Arc::new(AtomicUsize::new(0));
    let out = Arc::new(Mutex::new(Race::default()));
    let buyers = Arc::new(shop.buyers.clone());
    let started = Instant::now();
    let workers: Vec<_> = (0..concurrency)
        .map(|w| {
            let (next, out, buyers, stop) = (next.clone(), out.clone(), buyers.clone(), stop.clone());
            let base = base.to_owned();
            let (session, sku) = (shop.session, shop.sku);
            tokio::spawn(async move {
                let local = IpAddr::V4(Ipv4Addr::new(127, 0, (w / 250) as u8, (w % 250 + 2) as u8));
                let http = reqwest::Client::builder()
                    .local_address(local)
                    .pool_max_idle_per_host(1)
                    .timeout(Duration::from_secs(60))
                    .build()
                    .expect("an HTTP client");
                loop {
                    if stop.load(Ordering::Relaxed) {
                        return;
                    }
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some((token, address)) = buyers.get(i) else { return };
                    let t = Instant::now();
                    let res = http
                        .post(format!("{base}/api/v1/orders"))
                        .bearer_auth(token)
                        .header("Idempotency-Key", format!("bench-{sale}-{i}"))
                        .json(&json!({"flash_sale_id": sale, "session_id": session, "address_id": address,
                                      "items": [{"sku_id": sku, "quantity": quantity}]}))
                        .send()
                        .await;
                    let took = t.elapsed().as_micros() as u64;
                    let mut o = match res {
                        Ok(r) => {
                            let status = r.status();
                            let body: Value = r.json().await.unwrap_or(Value::Null);
                            let mut o = out.lock().expect("race lock");
                            o.latencies_us.push(took);
                            if status == 201 || status == 202 {
                                o.last_ack = started.elapsed();
                                o.acked.push((
                                    body["id"].as_i64().unwrap_or(0),
                                    body["number"].as_str().unwrap_or("").to_owned(),
                                ));
                            } else if status == 409 || status == 422 {
                                o.refused += 1;
                            } else {
                                o.errors += 1;
                            }
                            o
                        }
                        Err(_) => {
                            let mut o = out.lock().expect("race lock");
                            o.errors += 1;
                            o
                        }
                    };
                    o.elapsed = started.elapsed();
                }
            })
        })
        .collect();
    for w in workers {
        let _ = w.await;
    }
    let mut r = std::mem::take(&mut *out.lock().expect("race lock"));
    r.elapsed = started.elapsed();
    r
}

/// What the database says about a sale after a race.
struct Audit {
    sold_units: i64,
    remaining: i64,
    quota: i64,
    buyers_over_limit: i64,
    /// Acknowledged orders missing from the database, or present more than once.
    lost: i64,
    duplicates: i64,
}

async fn audit(
    db: &Db,
    sale: i64,
    acked: &[(i64, String)],
    per_customer: i64,
) -> anyhow::Result<Audit> {
    let store = Store::connect(&db.url()).await?;
    let r = sqlx::query("SELECT quota, remaining FROM flash_sales WHERE id = $1")
        .bind(sale)
        .fetch_one(store.pool())
        .await?;
    let (quota, remaining): (i64, i64) = (r.try_get(0)?, r.try_get(1)?);
    let rows = sqlx::query(
        "SELECT o.id, o.number, o.customer_id, l.quantity FROM orders o
         JOIN order_lines l ON l.order_id = o.id WHERE o.flash_sale_id = $1",
    )
    .bind(sale)
    .fetch_all(store.pool())
    .await?;
    let mut by_number: HashMap<String, usize> = HashMap::new();
    let mut per_buyer: HashMap<i64, i64> = HashMap::new();
    let mut sold_units = 0;
    for r in &rows {
        *by_number.entry(r.try_get::<String, _>(1)?).or_default() += 1;
        let q: i64 = r.try_get(3)?;
        *per_buyer.entry(r.try_get(2)?).or_default() += q;
        sold_units += q;
    }
    let lost = acked
        .iter()
        .filter(|(_, number)| !by_number.contains_key(number))
        .count() as i64;
    let duplicates = by_number
        .values()
        .filter(|n| **n > 1)
        .map(|n| *n as i64 - 1)
        .sum::<i64>()
        + {
            let mut seen = std::collections::HashSet::new();
            acked
                .iter()
                .filter(|(_, n)| !seen.insert(n.clone()))
                .count() as i64
        };
    store.close().await;
    Ok(Audit {
        sold_units,
        remaining,
        quota,
        buyers_over_limit: per_buyer.values().filter(|q| **q > per_customer).count() as i64,
        lost,
        duplicates,
    })
}

/// `sellstream bench crash`: kills the server at a random moment during a flash sale.
#[derive(Args, Debug, Clone)]
pub struct CrashBench {
    /// Kill points to try.
    #[arg(long, default_value_t = 5)]
    pub runs: usize,
    /// Buyers racing in each run (one unit each).
    #[arg(long, default_value_t = 400)]
    pub buyers: usize,
    /// Units in the sale.
    #[arg(long, default_value_t = 250)]
    pub quota: i64,
    /// Connections racing at once.
    #[arg(long, default_value_t = 32)]
    pub concurrency: usize,
    /// Run against PostgreSQL at this admin URL (a database is made and dropped per run)
    /// instead of SQLite.
    #[arg(long)]
    pub postgres: Option<String>,
}

pub async fn crash(args: CrashBench) -> anyhow::Result<()> {
    let mut violations = 0;
    let mut acked_total = 0;
    println!("run  kill_ms  acked  sold  remaining  quota  lost  dup  over_limit  result");
    for run in 1..=args.runs {
        let db = match &args.postgres {
            Some(admin) => Db::postgres(admin, &format!("crash{run}")).await?,
            None => Db::sqlite(&format!("crash{run}")),
        };
        let shop = seed(&db, args.buyers, args.quota).await?;
        let mut server = Server::start(&db).await?;
        let sale = launch(&server, &shop, args.quota, 1, "ledger").await?;
        let kill_after = Duration::from_millis(rand::random_range(30..900));
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let base = server.base.clone();
        let racing = {
            let stop = stop.clone();
            let shop_ref = Shop {
                buyers: shop.buyers.clone(),
                session: shop.session,
                sku: shop.sku,
            };
            let concurrency = args.concurrency;
            tokio::spawn(async move { race(&base, &shop_ref, sale, 1, concurrency, stop).await })
        };
        tokio::time::sleep(kill_after).await;
        server.kill();
        stop.store(true, Ordering::Relaxed);
        let result = racing.await?;
        // The restart must come up on what the killed server left, and answer.
        let restarted = Server::start(&db).await?;
        drop(restarted);
        let a = audit(&db, sale, &result.acked, 1).await?;
        let ok = a.lost == 0
            && a.duplicates == 0
            && a.buyers_over_limit == 0
            && a.sold_units + a.remaining == a.quota
            && a.sold_units <= a.quota;
        if !ok {
            violations += 1;
        }
        acked_total += result.acked.len();
        println!(
            "{run:>3}  {:>7}  {:>5}  {:>4}  {:>9}  {:>5}  {:>4}  {:>3}  {:>10}  {}",
            kill_after.as_millis(),
            result.acked.len(),
            a.sold_units,
            a.remaining,
            a.quota,
            a.lost,
            a.duplicates,
            a.buyers_over_limit,
            if ok { "ok" } else { "VIOLATION" }
        );
        db.drop_it().await;
    }
    println!(
        "{}",
        json!({"runs": args.runs, "violations": violations, "acknowledged": acked_total,
               "backend": if args.postgres.is_some() { "postgres" } else { "sqlite" }})
    );
    if violations > 0 {
        bail!("{violations} of {} runs lost or oversold", args.runs);
    }
    Ok(())
}

/// `sellstream bench flash-sale`: B customers race for S units on SQLite and PostgreSQL, against
/// one transaction per buy on PostgreSQL and the Redis + Lua design on SQLite.
#[derive(Args, Debug, Clone)]
pub struct FlashSaleBench {
    #[arg(long, default_value_t = 20_000)]
    pub buyers: usize,
    /// Units in each sale.
    #[arg(long, default_value_t = 10_000)]
    pub stock: i64,
    #[arg(long, default_value_t = 1)]
    pub per_user_limit: i64,
    /// Connections racing at once, each from its own loopback address.
    #[arg(long, default_value_t = 256)]
    pub concurrency: usize,
    /// PostgreSQL admin URL (a database is made and dropped).
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/postgres")]
    pub postgres: String,
    /// Redis for the `redis_lua` baseline.
    #[arg(long, default_value = "redis://127.0.0.1:6379")]
    pub redis: String,
}

struct Figures {
    orders_per_s: f64,
    p50_ms: f64,
    p99_ms: f64,
    accepted: usize,
    oversold: i64,
    duplicates: i64,
    limit_violations: i64,
    lost: i64,
    /// Buys per committed batch and commit time, as the server reports them.
    mean_batch: f64,
    mean_commit_ms: f64,
}

impl Figures {
    fn json(&self) -> Value {
        json!({"orders_per_s": round1(self.orders_per_s), "p50_ms": round1(self.p50_ms),
               "p99_ms": round1(self.p99_ms), "accepted": self.accepted, "oversold": self.oversold,
               "duplicates": self.duplicates, "limit_violations": self.limit_violations, "lost": self.lost,
               "mean_batch": round1(self.mean_batch), "mean_commit_ms": round1(self.mean_commit_ms)})
    }
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

fn quantile(sorted: &[u64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    sorted[i] as f64 / 1000.0
}

/// One scenario: a fresh sale with `strategy` on `server`, every buyer once.
async fn scenario(
    args: &FlashSaleBench,
    db: &Db,
    server: &Server,
    shop: &Shop,
    strategy: &str,
) -> anyhow::Result<Figures> {
    let sale = launch(server, shop, args.stock, args.per_user_limit, strategy).await?;
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut r = race(&server.base, shop, sale, 1, args.concurrency, stop).await;
    if strategy == "redis" {
        // The design writes after answering: wait until the writes settle before auditing.
        let store = Store::connect(&db.url()).await?;
        let (mut last, mut still) = (-1_i64, Instant::now());
        let deadline = Instant::now() + Duration::from_secs(120);
        while Instant::now() < deadline {
            let n: i64 = sqlx::query("SELECT COUNT(*) FROM orders WHERE flash_sale_id = $1")
                .bind(sale)
                .fetch_one(store.pool())
                .await?
                .try_get(0)?;
            if n != last {
                (last, still) = (n, Instant::now());
            } else if n as usize >= r.acked.len() || still.elapsed() > Duration::from_secs(3) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        store.close().await;
    }
    let a = audit(db, sale, &r.acked, args.per_user_limit).await?;
    // What the ledger reported about its batches (the server's figures for the sale).
    let (mean_batch, mean_commit_ms) = sale_figures(server, shop, sale).await.unwrap_or((0.0, 0.0));
    r.latencies_us.sort_unstable();
    let acked_units = r.acked.len() as i64;
    Ok(Figures {
        orders_per_s: r.acked.len() as f64 / r.last_ack.as_secs_f64().max(1e-3),
        p50_ms: quantile(&r.latencies_us, 0.5),
        p99_ms: quantile(&r.latencies_us, 0.99),
        accepted: r.acked.len(),
        oversold: (a.sold_units - args.stock)
            .max(0)
            .max(acked_units - args.stock),
        duplicates: a.duplicates,
        limit_violations: a.buyers_over_limit,
        lost: a.lost,
        mean_batch,
        mean_commit_ms,
    })
}

/// The sale's mean batch size and commit time as the server reports them.
async fn sale_figures(server: &Server, shop: &Shop, sale: i64) -> anyhow::Result<(f64, f64)> {
    let http = reqwest::Client::new();
    let login: Value = http
        .post(format!("{}/api/v1/auth/login", server.base))
        .json(&json!({"login": "controller", "password": "controller-demo"}))
        .send()
        .await?
        .json()
        .await?;
    let list: Value = http
        .get(format!(
            "{}/api/v1/sessions/{}/flash-sales",
            server.base, shop.session
        ))
        .bearer_auth(login["token"].as_str().unwrap_or_default())
        .send()
        .await?
        .json()
        .await?;
    let f = list["items"]
        .as_array()
        .and_then(|items| items.iter().find(|i| i["id"] == sale))
        .context("the sale's figures")?;
    Ok((
        f["mean_batch"].as_f64().unwrap_or(0.0),
        f["mean_commit_ms"].as_f64().unwrap_or(0.0),
    ))
}

pub async fn flash_sale(args: FlashSaleBench) -> anyhow::Result<()> {
    eprintln!(
        "bench: {} buyers for {} units (limit {} each) over {} connections",
        args.buyers, args.stock, args.per_user_limit, args.concurrency
    );
    let mut results: Vec<(&str, Option<Figures>)> = Vec::new();

    let sqlite = Db::sqlite("flash");
    eprintln!("bench: SQLite: seeding {} customers", args.buyers);
    let shop = seed(&sqlite, args.buyers, 2 * args.stock).await?;
    let server =
        Server::start_with(&sqlite, &[("SELLSTREAM_REDIS_URL", args.redis.as_str())]).await?;
    eprintln!("bench: ours on SQLite");
    results.push((
        "ours_sqlite",
        Some(scenario(&args, &sqlite, &server, &shop, "ledger").await?),
    ));
    eprintln!("bench: redis_lua on the same server");
    let redis = match scenario(&args, &sqlite, &server, &shop, "redis").await {
        Ok(f) if f.accepted > 0 => Some(f),
        Ok(_) => {
            eprintln!(
                "bench: redis_lua accepted nothing: is Redis at {}?",
                args.redis
            );
            None
        }
        Err(e) => {
            eprintln!("bench: redis_lua failed: {e:#}");
            None
        }
    };
    results.push(("redis_lua", redis));
    drop(server);
    sqlite.drop_it().await;

    match Db::postgres(&args.postgres, "flash").await {
        Ok(pg) => {
            eprintln!("bench: PostgreSQL: seeding {} customers", args.buyers);
            let shop = seed(&pg, args.buyers, 2 * args.stock).await?;
            let server = Server::start(&pg).await?;
            eprintln!("bench: ours on PostgreSQL");
            results.push((
                "ours_postgres",
                Some(scenario(&args, &pg, &server, &shop, "ledger").await?),
            ));
            eprintln!("bench: naive_postgres on the same server");
            results.push((
                "naive_postgres",
                Some(scenario(&args, &pg, &server, &shop, "naive").await?),
            ));
            drop(server);
            pg.drop_it().await;
        }
        Err(e) => {
            eprintln!("bench: PostgreSQL unavailable ({e:#}); its rows are empty");
            results.push(("ours_postgres", None));
            results.push(("naive_postgres", None));
        }
    }

    let get = |name: &str| {
        results
            .iter()
            .find(|(n, _)| *n == name)
            .and_then(|(_, f)| f.as_ref())
    };
    let ratio = |a: &str, b: &str| match (get(a), get(b)) {
        (Some(x), Some(y)) if y.orders_per_s > 0.0 => {
            Some((x.orders_per_s / y.orders_per_s * 100.0).round() / 100.0)
        }
        _ => None,
    };
    let pg_vs_naive = ratio("ours_postgres", "naive_postgres");
    let sqlite_vs_redis = ratio("ours_sqlite", "redis_lua");

    println!();
    println!(
        "flash sale: {} buyers, {} units, limit {}, {} connections",
        args.buyers, args.stock, args.per_user_limit, args.concurrency
    );
    println!(
        "{:<16} {:>10} {:>8} {:>8} {:>9} {:>9} {:>11} {:>12} {:>6}",
        "design",
        "orders/s",
        "p50 ms",
        "p99 ms",
        "accepted",
        "oversold",
        "duplicates",
        "over limit",
        "lost"
    );
    for (name, f) in &results {
        match f {
            Some(f) => println!(
                "{:<16} {:>10.0} {:>8.1} {:>8.1} {:>9} {:>9} {:>11} {:>12} {:>6} {:>7.1} {:>10.2}",
                name,
                f.orders_per_s,
                f.p50_ms,
                f.p99_ms,
                f.accepted,
                f.oversold,
                f.duplicates,
                f.limit_violations,
                f.lost,
                f.mean_batch,
                f.mean_commit_ms
            ),
            None => println!("{name:<16} (not measured)"),
        }
    }
    let clean = results
        .iter()
        .filter_map(|(n, f)| f.as_ref().map(|f| (n, f)))
        .filter(|(n, _)| !n.starts_with("redis"))
        .all(|(_, f)| {
            f.oversold == 0 && f.duplicates == 0 && f.limit_violations == 0 && f.lost == 0
        });
    let target = |name: &str, ratio: Option<f64>, at_least: f64| {
        let met = ratio.is_some_and(|r| r >= at_least);
        let shown = ratio.map_or("n/a".to_owned(), |r| format!("{r}"));
        println!(
            "target {name} >= {at_least}: {} ({shown})",
            if met { "met" } else { "MISSED" }
        );
    };
    target("ratio_postgres_vs_naive", pg_vs_naive, 10.0);
    target("ratio_sqlite_vs_redis", sqlite_vs_redis, 1.0);
    println!(
        "target no oversell, duplicate, limit violation or lost order in sellstream's designs: {}",
        if clean { "met" } else { "MISSED" }
    );
    let mut out = json!({
        "buyers": args.buyers, "stock": args.stock, "per_user_limit": args.per_user_limit,
        "concurrency": args.concurrency,
        "ratio_postgres_vs_naive": pg_vs_naive, "ratio_sqlite_vs_redis": sqlite_vs_redis,
    });
    for (name, f) in &results {
        out[*name] = f.as_ref().map_or(Value::Null, Figures::json);
    }
    println!("{out}");
    Ok(())
}
