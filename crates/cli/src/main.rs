//! `sellstream`: one binary for the server and its chores.

mod analytics_bench;
mod bench;
mod demo;
mod demo_scripts;
mod demo_talent;
mod flash_bench;
mod media;
mod rfm_bench;
mod room_ingest;
mod simulate;
mod user;

use anyhow::Context;
use clap::{Args, Parser, Subcommand, ValueEnum};
use sellstream_server::{AppState, ServerConfig};
use sellstream_store::Store;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Instant;

#[derive(Parser)]
#[command(
    name = "sellstream",
    version,
    about = "A live-commerce platform: the live room and the operations behind it."
)]
struct Cli {
    /// Log lines as text for people or JSON for machines.
    #[arg(long, global = true, env = "SELLSTREAM_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    /// Log filter, e.g. `info` or `info,sellstream_server=debug` (RUST_LOG syntax).
    #[arg(
        long,
        global = true,
        env = "SELLSTREAM_LOG",
        default_value = "info,sqlx=warn"
    )]
    log: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server: API, web UI, metrics.
    Serve(ServeArgs),
    /// Bring the database schema up to date (also done by `serve`).
    Migrate(DbArgs),
    /// Seed demo data (brand, staff, a customer, products, sessions) into an empty store and print
    /// the demo sign-ins.
    Demo(DbArgs),
    /// Manage staff accounts.
    #[command(subcommand)]
    User(user::UserCommand),
    /// Run the media server (nginx with the RTMP module) on this host, supervised; sellstream
    /// may run elsewhere (`--server-url`).
    Media(media::MediaRunArgs),
    /// Write the media server's nginx configuration for the current settings.
    MediaConfig(media::MediaConfigArgs),
    /// Load generators that print their figures next to a baseline measured in the same run.
    #[command(subcommand)]
    Bench(BenchCommand),
}

#[derive(Subcommand)]
enum BenchCommand {
    /// The live room under V viewers, chat and likes, against a plain Node `ws` broadcast server.
    Room(bench::RoomBench),
    /// Kills the server with SIGKILL during flash sales and checks that no acknowledged order is
    /// lost and nothing is oversold.
    Crash(flash_bench::CrashBench),
    /// B customers race for S units of one SKU in a flash sale on SQLite and PostgreSQL, against
    /// one transaction per buy (PostgreSQL) and Redis + Lua (answer first, write later).
    FlashSale(flash_bench::FlashSaleBench),
    /// N events of realistic history ingested into SQLite, then the post-live report, trends and
    /// the live rollup, against the same events loaded into DuckDB and scanned.
    Analytics(analytics_bench::AnalyticsBench),
    /// Customer value tiers (RFM with interaction) over C customers and N orders on SQLite,
    /// against the same aggregate read without the covering index.
    Rfm(rfm_bench::RfmBench),
}

/// Where the data lives.
#[derive(Args, Clone)]
pub struct DbArgs {
    /// Folder for the embedded database and other local files.
    #[arg(long, env = "SELLSTREAM_DATA_DIR", default_value = "./sellstream-data")]
    data_dir: PathBuf,
    /// `postgres://…` for PostgreSQL, `sqlite://…` for a SQLite file; default: sellstream.db in the
    /// data folder.
    #[arg(long, env = "DATABASE_URL")]
    database_url: Option<String>,
}

impl DbArgs {
    /// Connects and migrates.
    pub async fn open(&self) -> anyhow::Result<Store> {
        let url = match &self.database_url {
            Some(url) if !url.is_empty() => url.clone(),
            _ => {
                std::fs::create_dir_all(&self.data_dir).with_context(|| {
                    format!("while creating the data folder {}", self.data_dir.display())
                })?;
                Store::sqlite_url_in(&self.data_dir)
            }
        };
        let store = Store::connect(&url)
            .await
            .context("while connecting to the database")?;
        let report = store
            .migrate()
            .await
            .context("while migrating the database")?;
        if !report.applied.is_empty() {
            tracing::info!(applied = report.applied.len(), "schema migrated");
        }
        Ok(store)
    }
}

#[derive(Args)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "SELLSTREAM_BIND", default_value = "127.0.0.1:8080")]
    bind: SocketAddr,
    #[command(flatten)]
    db: DbArgs,
    /// Seed demo data into an empty store and print the demo sign-ins.
    #[arg(long, env = "SELLSTREAM_DEMO")]
    demo: bool,
    /// Serve the web UI from this folder (e.g. web/dist) instead of the built-in copy.
    #[arg(long, env = "SELLSTREAM_WEB_DIR")]
    web_dir: Option<PathBuf>,
    /// Simulated viewers in every live room (chat, likes, votes, lottery entries), for demos.
    #[arg(long, env = "SELLSTREAM_SIMULATE")]
    simulate: bool,
    /// Mark the session cookie Secure; set when users reach sellstream over HTTPS.
    #[arg(long, env = "SELLSTREAM_SECURE_COOKIES")]
    secure_cookies: bool,
    /// The sandbox payment provider's signing secret; random per start when not set (set it
    /// when several nodes serve one store, so each accepts the others' callbacks).
    #[arg(long, env = "SELLSTREAM_SANDBOX_SECRET", hide_env_values = true)]
    sandbox_secret: Option<String>,
    /// Redis, used only by the flash-sale bench's `redis_lua` baseline (default
    /// redis://127.0.0.1:6379).
    #[arg(long, env = "SELLSTREAM_REDIS_URL")]
    redis_url: Option<String>,
    /// Start and supervise the media server (nginx with the RTMP module) on this machine, so
    /// hosts can stream from OBS and viewers watch HLS.
    #[arg(long, env = "SELLSTREAM_MEDIA")]
    media: bool,
    /// The key (32 bytes, base64) that seals platform push URLs and stream keys at rest; default:
    /// made once in `<data-dir>/secret.key`. Set the same on every node.
    #[arg(long, env = "SELLSTREAM_SECRET_KEY", hide_env_values = true)]
    secret_key: Option<String>,
    /// Days a session's recordings are kept (live-marketing record-keeping asks for 3 years).
    #[arg(long, env = "SELLSTREAM_RECORDING_RETENTION_DAYS", default_value_t = sellstream_media::DEFAULT_RETENTION_DAYS)]
    recording_retention_days: u32,
    /// Also send reminders by SMS and email, written to the log instead of a provider (demos;
    /// docs/notifications.md tells how to plug in a real one). On with `--demo`.
    #[arg(long, env = "SELLSTREAM_LOG_SMS_EMAIL")]
    log_sms_email: bool,
    #[command(flatten)]
    media_args: media::MediaArgs,
}

/// Large allocations (argon2's 19 MiB password-hashing blocks) go straight to the kernel and back.
/// glibc otherwise raises its mmap threshold after the first such block is freed and then keeps
/// every later one in its arenas: a few sign-ins would pin a hundred MiB or more for good.
fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets an allocator parameter; called before any thread starts.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
    }
}

fn main() -> anyhow::Result<()> {
    tune_allocator();
    // `--database-url` is documented as also `SELLSTREAM_DATABASE_URL`; clap takes one env name.
    if std::env::var_os("DATABASE_URL").is_none() {
        if let Some(v) = std::env::var_os("SELLSTREAM_DATABASE_URL") {
            std::env::set_var("DATABASE_URL", v);
        }
    }
    let cli = Cli::parse();
    init_logging(cli.log_format, &cli.log)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("while starting the async runtime")?;
    runtime.block_on(run(cli.command))
}

async fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Serve(args) => serve(args).await,
        Command::Migrate(db) => {
            let started = Instant::now();
            let store = db.open().await?;
            println!(
                "database ({}) is up to date ({} ms)",
                store.backend().name(),
                started.elapsed().as_millis()
            );
            store.close().await;
            Ok(())
        }
        Command::Demo(db) => {
            let store = db.open().await?;
            let seeded = demo::seed(&store).await?;
            demo::print_sign_ins(seeded, None);
            store.close().await;
            Ok(())
        }
        Command::User(cmd) => user::run(cmd).await,
        Command::Media(args) => media::run(args).await,
        Command::MediaConfig(args) => media::write_config(args),
        Command::Bench(BenchCommand::Room(args)) => bench::run(args).await,
        Command::Bench(BenchCommand::Crash(args)) => flash_bench::crash(args).await,
        Command::Bench(BenchCommand::Analytics(args)) => analytics_bench::run(args).await,
        Command::Bench(BenchCommand::Rfm(args)) => rfm_bench::run(args).await,
        Command::Bench(BenchCommand::FlashSale(args)) => {
            crate::bench::raise_file_limit();
            flash_bench::flash_sale(args).await
        }
    }
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let store = args.db.open().await?;
    let seeded = if args.demo {
        Some(demo::seed(&store).await?)
    } else {
        None
    };
    let listener = tokio::net::TcpListener::bind(args.bind)
        .await
        .with_context(|| format!("while binding {}", args.bind))?;
    let addr = listener.local_addr()?;
    let media_secret = args
        .media_args
        .media_secret
        .clone()
        .unwrap_or_else(media::random_secret);
    let media_dir = args.media_args.dir(&args.db.data_dir);
    let nginx = args.media.then(|| {
        args.media_args.nginx(
            media_dir.clone(),
            &media::callback_base(addr),
            &media_secret,
        )
    });
    let state = AppState::new(
        store.clone(),
        ServerConfig {
            web_dir: args.web_dir,
            secure_cookies: args.secure_cookies,
            rooms: sellstream_live::RoomConfig {
                media: args.media_args.urls(addr, args.demo),
                ..Default::default()
            },
            sandbox_secret: args.sandbox_secret,
            buys_per_customer: None,
            redis_url: args.redis_url,
            media_secret: Some(media_secret),
            media_hls_dir: nginx.as_ref().map(|n| n.hls_dir()),
            media_recordings_dir: nginx.as_ref().map(|n| n.recordings_dir()),
            recording_retention_days: Some(args.recording_retention_days),
            outbox_retry_base_ms: None,
            log_sms_email: args.log_sms_email || args.demo,
            media_control: args.media.then(|| args.media_args.control_url()),
            media_relay_source: args
                .media
                .then(|| format!("rtmp://127.0.0.1:{}/show", args.media_args.rtmp_port)),
            secret_box: Some(
                match &args.secret_key {
                    Some(k) => sellstream_media::SecretBox::from_base64(k),
                    None => std::fs::create_dir_all(&args.db.data_dir)
                        .map_err(|e| e.to_string())
                        .and_then(|_| {
                            sellstream_media::SecretBox::from_file(
                                &args.db.data_dir.join("secret.key"),
                            )
                        }),
                }
                .map_err(anyhow::Error::msg)?,
            ),
        },
    )
    .await
    .context("while starting the room engine")?;
    match state.simulcast.resume().await {
        Ok(0) => {}
        Ok(n) => tracing::info!(relays = n, "simulcast relays resumed"),
        Err(e) => tracing::warn!(error = %e, "could not resume simulcast relays"),
    }
    let (stop_media, media_stopped) = tokio::sync::watch::channel(false);
    let media_task = match nginx {
        Some(n) => match sellstream_media::supervisor::check(&n).await {
            Ok(bin) => {
                let st = state.clone();
                let mut stopped = media_stopped.clone();
                Some(tokio::spawn(sellstream_media::supervisor::run(
                    n,
                    bin,
                    move || {
                        let st = st.clone();
                        async move { sellstream_server::media_restarted(&st).await }
                    },
                    async move {
                        let _ = stopped.wait_for(|s| *s).await;
                    },
                )))
            }
            Err(why) => {
                tracing::error!("video is off: {why}");
                eprintln!("video is off: {why}");
                None
            }
        },
        None => None,
    };
    sellstream_server::spawn_order_clock(state.clone());
    let rooms = state.rooms.clone();
    if args.simulate {
        simulate::start(state.clone());
    }
    spawn_housekeeping(state.clone());
    tracing::info!(%addr, backend = store.backend().name(), startup_ms = started.elapsed().as_millis() as u64, "sellstream listening");
    let base = format!("http://{addr}");
    println!("sellstream is running at {base}");
    println!("  live room   {base}/");
    println!("  console     {base}/console/");
    println!("  API docs    {base}/api-docs");
    if let Some(seeded) = seeded {
        demo::print_sign_ins(seeded, Some(&base));
    }
    sellstream_server::serve(listener, sellstream_server::app(state), shutdown_signal()).await;
    tracing::info!("shutting down");
    let _ = stop_media.send(true);
    if let Some(task) = media_task {
        let _ = task.await;
    }
    rooms.shutdown().await;
    store.close().await;
    Ok(())
}

/// Hourly chores that keep tables small.
fn spawn_housekeeping(state: AppState) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(3600));
        loop {
            tick.tick().await;
            match state
                .recordings
                .purge_expired(sellstream_core::Timestamp::now())
                .await
            {
                Ok(0) => {}
                Ok(n) => tracing::info!(removed = n, "recordings past their retention removed"),
                Err(e) => tracing::warn!(error = %e, "could not remove expired recordings"),
            }
            match state.accounts.purge_expired_sessions().await {
                Ok(n) if n > 0 => tracing::info!(removed = n, "expired sign-in sessions removed"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "could not purge expired sessions"),
            }
        }
    });
}

pub(crate) async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => tracing::info!("Ctrl-C received"),
        _ = term => tracing::info!("SIGTERM received"),
    }
}

fn init_logging(format: LogFormat, filter: &str) -> anyhow::Result<()> {
    let filter = tracing_subscriber::EnvFilter::try_new(filter)
        .with_context(|| format!("while reading the log filter `{filter}`"))?;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .init(),
    }
    Ok(())
}
