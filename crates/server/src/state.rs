use crate::Metrics;
use sellstream_accounts::{Accounts, SignInLimiter};
use sellstream_commerce::payment::SandboxProvider;
use sellstream_commerce::promo::Promotions;
use sellstream_commerce::{Catalog, Memberships, Orders, Points};
use sellstream_live::{RoomConfig, Rooms, Sessions};
use sellstream_ops::{BrandSettings, Channels};
use sellstream_store::Store;
use std::path::PathBuf;
use std::sync::Arc;

/// How the HTTP layer behaves, from the command line.
#[derive(Debug, Clone, Default)]
pub struct ServerConfig {
    /// Serve the UI from this folder instead of the one built into the binary.
    pub web_dir: Option<PathBuf>,
    /// Mark the session cookie `Secure` (when served over HTTPS).
    pub secure_cookies: bool,
    /// How rooms tick and queue.
    pub rooms: RoomConfig,
    /// The sandbox payment provider's signing secret (random per start when not set).
    pub sandbox_secret: Option<String>,
    /// Orders one customer may place at once and per second (default 10 and 2).
    pub buys_per_customer: Option<(u32, u32)>,
    /// Redis for the bench's `redis_lua` baseline strategy only (default redis://127.0.0.1:6379).
    pub redis_url: Option<String>,
    /// The secret the media server passes back on its callbacks (random per start when not set:
    /// then only a media server this process configured can call).
    pub media_secret: Option<String>,
    /// Serve the HLS files in this folder at `/media/hls/` (media on this machine).
    pub media_hls_dir: Option<PathBuf>,
    /// nginx-rtmp's control endpoint (`http://127.0.0.1:8935/control`), to drop a publisher whose
    /// key was revoked or whose session ended.
    pub media_control: Option<String>,
    /// nginx's `show` application as simulcast relays on this machine reach it
    /// (`rtmp://127.0.0.1:1935/show`); none: no simulcast from this node.
    pub media_relay_source: Option<String>,
    /// Seals platform push URLs and keys at rest (random per start when not set: then sealed
    /// credentials do not survive a restart, so the CLI always sets one).
    pub secret_box: Option<sellstream_media::SecretBox>,
    /// Where nginx records (`<media-dir>/recordings`), served at `/media/recordings/`.
    pub media_recordings_dir: Option<PathBuf>,
    /// Days recordings are kept (default three years).
    pub recording_retention_days: Option<u32>,
    /// The outbox's first retry delay, doubled on each failure (default 5 s).
    pub outbox_retry_base_ms: Option<i64>,
    /// Also queue SMS and email reminders, written to the log instead of a provider (demos and
    /// development; docs/notifications.md).
    pub log_sms_email: bool,
}

/// What every handler can reach. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub accounts: Accounts,
    pub catalog: Catalog,
    pub promotions: Promotions,
    pub orders: Orders,
    pub points: Points,
    pub memberships: Memberships,
    /// The sandbox provider, also reachable as the orders' provider: its pay page confirms here.
    pub sandbox: Arc<SandboxProvider>,
    pub sessions: Sessions,
    pub brand: BrandSettings,
    pub channels: Channels,
    /// The advertising-law check and its rules.
    pub compliance: sellstream_ops::Compliance,
    /// The platform-choice assistant.
    pub platforms: sellstream_ops::Platforms,
    /// Post-live review notes and action items.
    pub reviews: sellstream_ops::Reviews,
    /// Run-of-show scripts, their templates and live run.
    pub scripts: sellstream_ops::Scripts,
    /// The content calendar and its conflicts.
    pub planner: sellstream_ops::Planner,
    /// Reminders and tracking links of pre-announcements.
    pub announce: sellstream_ops::Announcements,
    /// Messages to customers and systems, delivered with retries.
    pub outbox: sellstream_ops::Outbox,
    /// Host recruitment.
    pub talent: sellstream_ops::Talent,
    /// Host profiles and the compliance side of their records.
    pub hosts: sellstream_ops::Hosts,
    /// Courses, enrolments, assessments and coaching.
    pub training: sellstream_ops::Training,
    pub practice: sellstream_ops::Practice,
    pub rooms: Rooms,
    pub limiter: Arc<SignInLimiter>,
    /// Order placing per customer and per address.
    pub buy_limits: Arc<crate::limit::BuyLimits>,
    pub metrics: Arc<Metrics>,
    /// Stream keys and publishes.
    pub media: sellstream_media::Media,
    /// The media callbacks' secret (from the config, or drawn at start).
    pub media_secret: Arc<str>,
    /// Pushes the sessions' streams to their channels.
    pub simulcast: sellstream_media::Simulcast,
    pub recordings: sellstream_media::Recordings,
    /// The event log, rollups and reports.
    pub analytics: sellstream_analytics::Analytics,
    pub config: Arc<ServerConfig>,
}

impl AppState {
    /// Builds the services and starts the room engine's log writer.
    pub async fn new(
        store: Store,
        config: ServerConfig,
    ) -> Result<Self, sellstream_live::LiveError> {
        let catalog = Catalog::new(store.clone());
        let sessions = Sessions::new(store.clone(), catalog.clone());
        let rooms = Rooms::new(store.clone(), sessions.clone(), config.rooms.clone()).await?;
        let secret = config.sandbox_secret.clone().unwrap_or_else(|| {
            (0..32)
                .map(|_| char::from(b'a' + rand::random_range(0..26u8)))
                .collect()
        });
        let sandbox = Arc::new(SandboxProvider::new(secret));
        let media_secret: Arc<str> = config
            .media_secret
            .clone()
            .unwrap_or_else(|| {
                (0..32)
                    .map(|_| char::from(b'a' + rand::random_range(0..26u8)))
                    .collect()
            })
            .into();
        let orders = Orders::new(store.clone(), sandbox.clone(), config.redis_url.clone());
        let ledger = orders.ledger().clone();
        let compliance = sellstream_ops::Compliance::new(store.clone());
        let state = Self {
            promotions: Promotions::new(store.clone()),
            points: Points::new(store.clone()),
            memberships: Memberships::new(store.clone()),
            orders,
            sandbox,
            accounts: Accounts::new(store.clone()),
            sessions,
            metrics: Arc::new(Metrics::new(store.backend().name(), rooms.clone(), ledger)),
            rooms,
            catalog,
            brand: BrandSettings::new(store.clone()),
            channels: Channels::new(store.clone()),
            compliance: compliance.clone(),
            platforms: sellstream_ops::Platforms::new(store.clone()),
            reviews: sellstream_ops::Reviews::new(store.clone()),
            scripts: sellstream_ops::Scripts::new(store.clone(), compliance.clone()),
            planner: sellstream_ops::Planner::new(store.clone()),
            announce: sellstream_ops::Announcements::new(store.clone()),
            talent: sellstream_ops::Talent::new(store.clone()),
            training: sellstream_ops::Training::new(store.clone()),
            practice: sellstream_ops::Practice::new(store.clone()),
            hosts: sellstream_ops::Hosts::new(store.clone(), compliance.clone()),
            outbox: {
                use sellstream_ops::outbox::{LogSender, Sender};
                let extra: Vec<Arc<dyn Sender>> = if config.log_sms_email {
                    vec![
                        Arc::new(LogSender { channel: "sms" }),
                        Arc::new(LogSender { channel: "email" }),
                    ]
                } else {
                    vec![]
                };
                sellstream_ops::Outbox::new(
                    store.clone(),
                    extra,
                    config.outbox_retry_base_ms.unwrap_or(5_000),
                )
            },
            media: sellstream_media::Media::new(store.clone(), config.rooms.media.clone()),
            media_secret,
            recordings: sellstream_media::Recordings::new(
                store.clone(),
                config.media_recordings_dir.clone(),
                config
                    .recording_retention_days
                    .unwrap_or(sellstream_media::DEFAULT_RETENTION_DAYS),
            ),
            simulcast: sellstream_media::Simulcast::new(
                store.clone(),
                config
                    .secret_box
                    .clone()
                    .unwrap_or_else(|| sellstream_media::SecretBox::new(rand::random())),
                config.media_relay_source.clone(),
            ),
            analytics: sellstream_analytics::Analytics::start(store.clone())
                .map_err(|e| sellstream_live::LiveError::Invalid(e.to_string()))?,
            limiter: Arc::new(SignInLimiter::standard()),
            buy_limits: Arc::new(crate::limit::BuyLimits::new(config.buys_per_customer)),
            config: Arc::new(config),
            store,
        };
        state.outbox.spawn();
        crate::background::relay_orders_to_rooms(state.clone());
        crate::background::relay_flash_stock_to_rooms(state.clone());
        crate::background::recompute_values_daily(state.clone());
        Ok(state)
    }
}
