//! `bench rfm`: customer value tiers over C customers and N orders on the SQLite default. The
//! history is generated in SQL inside a fresh database (skewed: a few customers buy often, most
//! rarely; one order in ten unpaid, a few refunded; three signed-in watches per customer), then
//! the recomputation the console and the schedule run is timed. Beside it, the baseline: the same
//! per-customer aggregate of the orders read without the covering index, the way a query on the
//! orders table alone would.

use anyhow::bail;
use clap::Args;
use sellstream_analytics::Analytics;
use sellstream_core::Timestamp;
use sellstream_store::Store;
use serde_json::json;
use std::time::Instant;

#[derive(Args)]
pub struct RfmBench {
    #[arg(long, default_value_t = 1_000_000)]
    pub customers: i64,
    #[arg(long, default_value_t = 10_000_000)]
    pub orders: i64,
    /// Recomputations timed after the first (which also fills the table).
    #[arg(long, default_value_t = 2)]
    pub runs: usize,
    /// Keep the generated database in this folder and reuse it when it is already there (the
    /// history takes minutes to generate); by default a temporary folder, removed at the end.
    #[arg(long)]
    pub keep_in: Option<std::path::PathBuf>,
}

pub async fn run(args: RfmBench) -> anyhow::Result<()> {
    if args.customers < 100 || args.orders < args.customers {
        bail!("--customers: at least 100; --orders: at least as many as customers");
    }
    if let Some(dir) = &args.keep_in {
        std::fs::create_dir_all(dir)?;
        return bench(&args, dir).await;
    }
    let dir = std::env::temp_dir().join(format!("sellstream-rfm-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let result = bench(&args, &dir).await;
    let _ = std::fs::remove_dir_all(&dir);
    result
}

async fn exec(store: &Store, sql: &str) -> anyhow::Result<()> {
    sqlx::query(sql).execute(store.pool()).await?;
    Ok(())
}

async fn bench(args: &RfmBench, dir: &std::path::Path) -> anyhow::Result<()> {
    let store = Store::connect(&Store::sqlite_url_in(dir)).await?;
    store.migrate().await?;
    let now = Timestamp::now().millis();
    let (c, n) = (args.customers, args.orders);
    let t = Instant::now();
    let have: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM orders")
        .fetch_one(store.pool())
        .await?;
    if have == n {
        eprintln!("bench: reusing the {n} orders in {}", dir.display());
    } else {
        if have > 0 {
            bail!(
                "{} holds another history: use an empty folder",
                dir.display()
            );
        }
        generate(&store, c, n, now).await?;
    }
    let gen_s = t.elapsed().as_secs_f64();
    eprintln!("bench: ready in {gen_s:.1} s");
    bench_ready(args, &store, c, n, gen_s).await
}

async fn generate(store: &Store, c: i64, n: i64, now: i64) -> anyhow::Result<()> {
    eprintln!("bench: generating {c} customers and {n} orders in SQLite…");
    exec(
        store,
        &format!(
            "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {c})
             INSERT INTO accounts (id, kind, phone, nickname, password_hash, created_at, updated_at)
             SELECT i + 1000, 'customer', printf('139%08d', i), '顾客' || i, '-', {now}, {now} FROM s"
        ),
    )
    .await?;
    // Customer = 1000 + 1 + (u₁·u₂ ÷ C) for two uniform draws: low ids buy far more often. Paid in
    // the last year; one in ten unpaid (cancelled), one in thirty refunded.
    let year = 365 * 86_400_000i64;
    exec(
        store,
        &format!(
            "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {n}),
             -- A CTE column may be evaluated once per use: only the customer draws are random.
             d AS (SELECT i, abs(random()) % {c} AS u1, abs(random()) % {c} AS u2,
                          (i * 2654435761) % {year} AS ago, (i * 37 % 40) * 1000 + 990 AS fen FROM s)
             INSERT INTO orders (id, number, customer_id, channel, state, goods_fen, shipping_fen,
                 total_fen, refunded_fen, points_per_yuan, address, price_lines, pay_deadline,
                 paid_at, created_at, updated_at)
             SELECT i, printf('B%012d', i), 1001 + (u1 * u2) / {c}, 'own',
                    CASE WHEN i % 10 = 0 THEN 'cancelled' WHEN i % 30 = 1 THEN 'refunded' ELSE 'completed' END,
                    fen, 0, fen, CASE WHEN i % 30 = 1 THEN fen ELSE 0 END, 1,
                    '浙江省 杭州市 西湖区 文三路 100 号', '[]', {now} - ago,
                    CASE WHEN i % 10 = 0 THEN NULL ELSE {now} - ago END, {now} - ago, {now} - ago
             FROM d"
        ),
    )
    .await?;
    let watches = 3 * c;
    exec(
        store,
        &format!(
            "WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < {watches} - 1)
             INSERT OR IGNORE INTO analytics_viewers (session_id, replay, viewer, first_at, last_at, watch_ms, chats)
             SELECT i % 3000 + 1, 0, 1001 + (i * 104729) % {c}, 0, 0, abs(random()) % 3600000, abs(random()) % 5 FROM s"
        ),
    )
    .await?;
    exec(store, "ANALYZE").await?;
    Ok(())
}

async fn bench_ready(
    args: &RfmBench,
    store: &Store,
    c: i64,
    n: i64,
    gen_s: f64,
) -> anyhow::Result<()> {
    let baseline = Instant::now();
    let groups: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM (SELECT customer_id, MAX(paid_at),
                SUM(CASE WHEN refunded_fen < total_fen THEN 1 ELSE 0 END), SUM(total_fen - refunded_fen)
         FROM orders NOT INDEXED WHERE paid_at IS NOT NULL GROUP BY customer_id) AS g",
    )
    .fetch_one(store.pool())
    .await?;
    let baseline_ms = baseline.elapsed().as_secs_f64() * 1000.0;

    let analytics = Analytics::start_with(store.clone(), false)?;
    let mut times = Vec::new();
    let mut last = None;
    for _ in 0..=args.runs {
        let t = Instant::now();
        last = Some(analytics.recompute_values("manual", None).await?);
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let run = last.expect("at least one run");
    let first_ms = times[0];
    let mut steady = times[1..].to_vec();
    steady.sort_by(f64::total_cmp);
    let rfm_ms = steady.get(steady.len() / 2).copied().unwrap_or(first_ms);
    println!("customer value tiers (RFM + interaction) on SQLite, {c} customers, {n} orders");
    println!("  customers tiered         {:>10}", run.customers);
    println!(
        "  tiers                    high {} · medium {} · low {}",
        run.high, run.medium, run.low
    );
    println!("  first run (fills table)  {first_ms:>10.0} ms");
    println!("  recompute (median)       {rfm_ms:>10.0} ms   ← rfm_ms (target ≤ 5000)");
    println!(
        "  baseline: the orders' per-customer aggregate without the covering index {baseline_ms:.0} ms ({groups} buyers)"
    );
    println!(
        "{}",
        json!({
            "customers": c,
            "orders": n,
            "tiered": run.customers,
            "rfm_ms": rfm_ms.round(),
            "first_run_ms": first_ms.round(),
            "baseline_ms": baseline_ms.round(),
            "generate_s": (gen_s * 10.0).round() / 10.0,
        })
    );
    Ok(())
}
