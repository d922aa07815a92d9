//! One owner task per live room. Commands arrive over a bounded channel; each tick the room folds
//! likes and tallies, serialises one batch frame, encodes it once and offers the same bytes to every
//! connection's [`Outbox`]: written straight into the socket when it takes them, queued (bounded)
//! when it does not. A connection whose queue is full is marked lagging and gets a fresh snapshot
//! when it has room again, so a slow consumer never grows memory.

use super::log::{self, EventLog, LogRow};
use super::moderation::{Matcher, WordCategory};
use super::outbox::{Delivery, Outbox};
use super::sampling;
use super::state::{Actor, BagEntry, Event, RoomState};
use crate::wire::protocol::{
    error_json, ClientMsg, Incoming, RoomError, RoomErrorCode as C, VERSION,
};
use crate::wire::ws;
use crate::{LiveError, SessionState, Sessions};
use bytes::Bytes;
use sellstream_core::Timestamp;
use sellstream_store::{Row, Store};
use serde_json::{json, Value};
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot, Mutex};

/// How rooms behave; the defaults suit a 2-core machine with thousands of viewers per room.
#[derive(Debug, Clone)]
pub struct RoomConfig {
    /// Events are batched and sent once per tick.
    pub tick: Duration,
    /// Frames queued per connection before it is treated as lagging.
    pub queue: usize,
    /// The kernel's send buffer per viewer socket (bytes). Small on purpose: a viewer who stops
    /// reading should fall behind into a fresh snapshot, not have seconds of stale chat — and
    /// megabytes of kernel memory — buffered for them.
    pub send_buffer: usize,
    /// A room with no connections stops after this long (its state stays in the log).
    pub idle_stop: Duration,
    /// Viewers get at most this many chat messages a second; above it chat is sampled fairly
    /// (controllers still get all of it).
    pub chat_per_viewer_per_second: u32,
    /// Where the room's video plays from.
    pub media: sellstream_media::MediaUrls,
}

impl Default for RoomConfig {
    fn default() -> Self {
        Self {
            tick: Duration::from_millis(100),
            queue: 64,
            send_buffer: 64 * 1024,
            idle_stop: Duration::from_secs(300),
            chat_per_viewer_per_second: 30,
            media: sellstream_media::MediaUrls::default(),
        }
    }
}

/// Running totals of the room engine on this node, read by `/metrics`.
#[derive(Debug, Default)]
pub struct RoomCounters {
    pub rooms: AtomicU64,
    pub connections: AtomicU64,
    /// Batch and snapshot frames queued to connections.
    pub frames: AtomicU64,
    /// Batches skipped because a connection's queue was full.
    pub skips: AtomicU64,
    /// Connections skipping batches right now (they resume with a snapshot).
    pub lagging: AtomicU64,
    /// Events appended to the log.
    pub events: AtomicU64,
    /// Chat messages left out of viewers' batches by sampling.
    pub chat_sampled_out: AtomicU64,
    /// Ticks run, and the time they took (µs): their ratio is the mean tick duration.
    pub ticks: AtomicU64,
    pub tick_micros: AtomicU64,
}

/// An entry of the banned-word list.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct BannedWord {
    pub word: String,
    /// `abuse`, `contact`, `trading` or `custom`.
    pub category: String,
    pub created_at: Timestamp,
}

/// The room's live figures, for the controller console and `/metrics`.
#[derive(Debug, Clone, Default, serde::Serialize, utoipa::ToSchema)]
pub struct RoomStats {
    pub session_id: i64,
    pub online: u64,
    pub peak: u64,
    pub entries: u64,
    pub likes: u64,
    pub comments_per_minute: u64,
    pub lottery_entries: u64,
    pub lagging_skips: u64,
    /// Connections skipping batches right now (they resume with a snapshot).
    pub lagging: u64,
    /// Frames waiting in connections' queues for sockets that did not take them at once; each
    /// queue is bounded, and queued frames are shared, not copied.
    pub queued_frames: u64,
    /// Chat messages left out of viewers' batches because chat outran what a person can read.
    pub chat_sampled_out: u64,
}

pub(crate) enum Cmd {
    Join {
        slot: Slot,
        device: String,
        reply: oneshot::Sender<Result<(), RoomError>>,
    },
    Leave {
        conn: u64,
    },
    Msg {
        conn: u64,
        incoming: Incoming,
    },
    Bag(Vec<BagEntry>),
    /// A product's stock changed (an order reserved it or gave it back).
    Stock {
        product_id: i64,
        stock: i64,
    },
    /// Someone bought: the ticker line (the buyer's name already masked).
    Purchase {
        product_id: i64,
        title: String,
        buyer: String,
        quantity: i64,
    },
    /// The coupon on offer in the room (none: withdrawn).
    Coupon(Option<Value>),
    /// How many of the offered coupon are left (viewers get the latest once per tick).
    CouponLeft {
        coupon: i64,
        left: i64,
    },
    /// A flash sale launched, changed or ended (its JSON, with `id` and `phase`).
    Flash(Value),
    /// The session's keyword auto-replies changed.
    AutoReplies(Vec<crate::autoreply::AutoReply>),
    /// A flash sale's remaining units; viewers get the latest once per tick.
    FlashStock {
        sale: i64,
        remaining: i64,
    },
    /// The host's stream started or stopped (the room's `video` object).
    Video(Value),
    State(SessionState),
    Stats(oneshot::Sender<RoomStats>),
    Stop(oneshot::Sender<()>),
}

pub(crate) struct Slot {
    pub id: u64,
    pub actor: Actor,
    pub outbox: Arc<Outbox>,
    pub joined: i64,
    /// The viewer's device, so a watch is attributed when they are not signed in.
    pub device: String,
    /// Whether this watch has lasted long enough to count as a view (logged once).
    pub viewed: bool,
}

/// A viewer's place in a room. Served over a socket by [`super::conn::serve`]; in-process viewers
/// (the demo's simulated audience) take their frames with [`Connection::recv`].
pub struct Connection {
    pub id: u64,
    pub(crate) send_buffer: usize,
    pub(crate) outbox: Arc<Outbox>,
    pub(crate) room: mpsc::Sender<Cmd>,
}

impl Connection {
    /// The next frame the room sent to this viewer; `None` once the room has closed it.
    pub async fn recv(&self) -> Option<Bytes> {
        self.outbox.recv().await
    }

    /// The next frame if one is waiting.
    pub fn try_recv(&self) -> Option<Bytes> {
        self.outbox.try_recv()
    }

    /// Hands a message to the room as if it came over the socket; `false` once the room is gone.
    pub async fn send(&self, incoming: Incoming) -> bool {
        self.room
            .send(Cmd::Msg {
                conn: self.id,
                incoming,
            })
            .await
            .is_ok()
    }

    /// Leaves the room (when the connection could not be served).
    pub fn leave_now(&self) {
        self.leave();
    }

    pub(crate) fn leave(&self) {
        let _ = self.room.try_send(Cmd::Leave { conn: self.id });
    }
}

struct Inner {
    store: Store,
    sessions: Sessions,
    log: EventLog,
    words: RwLock<Arc<Matcher>>,
    running: Mutex<HashMap<i64, mpsc::Sender<Cmd>>>,
    config: RoomConfig,
    next_conn: AtomicU64,
    counters: RoomCounters,
}

/// Every running room of this node.
#[derive(Clone)]
pub struct Rooms {
    inner: Arc<Inner>,
}

impl Rooms {
    pub async fn new(
        store: Store,
        sessions: Sessions,
        config: RoomConfig,
    ) -> Result<Self, LiveError> {
        let rooms = Self {
            inner: Arc::new(Inner {
                log: EventLog::start(store.clone()),
                words: RwLock::new(Arc::new(Matcher::new([]))),
                store,
                sessions,
                running: Mutex::new(HashMap::new()),
                config,
                next_conn: AtomicU64::new(1),
                counters: RoomCounters::default(),
            }),
        };
        rooms.reload_words().await?;
        Ok(rooms)
    }

    pub fn counters(&self) -> &RoomCounters {
        &self.inner.counters
    }

    /// Re-reads the banned-word list; every room uses the new one from its next message.
    pub async fn reload_words(&self) -> Result<usize, LiveError> {
        let rows = sqlx::query("SELECT word, category FROM banned_words")
            .fetch_all(self.inner.store.pool())
            .await?;
        let words = rows.iter().filter_map(|r| {
            let w: String = r.try_get(0).ok()?;
            let c: String = r.try_get(1).ok()?;
            Some((w, WordCategory::parse(&c).unwrap_or(WordCategory::Custom)))
        });
        let matcher = Matcher::new(words);
        let n = matcher.len();
        *self.inner.words.write().expect("words lock") = Arc::new(matcher);
        Ok(n)
    }

    /// The banned-word list, optionally filtered.
    pub async fn words(
        &self,
        q: Option<&str>,
        category: Option<WordCategory>,
    ) -> Result<Vec<BannedWord>, LiveError> {
        let rows = sqlx::query(
            "SELECT word, category, created_at FROM banned_words
             WHERE ($1 = '' OR word LIKE $2) AND ($3 = '' OR category = $3) ORDER BY category, word",
        )
        .bind(q.unwrap_or(""))
        .bind(format!("%{}%", q.unwrap_or("")))
        .bind(category.map_or("", WordCategory::as_str))
        .fetch_all(self.inner.store.pool())
        .await?;
        rows.iter()
            .map(|r| {
                let c: String = r.try_get("category")?;
                Ok(BannedWord {
                    word: r.try_get("word")?,
                    category: c,
                    created_at: Timestamp::from_millis(r.try_get("created_at")?),
                })
            })
            .collect()
    }

    /// Adds a word (1–30 characters) and applies the new list at once.
    pub async fn add_word(
        &self,
        word: &str,
        category: WordCategory,
    ) -> Result<BannedWord, LiveError> {
        let word = word.trim().to_lowercase();
        if !(1..=30).contains(&word.chars().count()) {
            return Err(LiveError::Invalid("word: 1–30 characters".into()));
        }
        let now = Timestamp::now();
        let done = sqlx::query("INSERT INTO banned_words (word, category, created_at) VALUES ($1, $2, $3) ON CONFLICT (word) DO NOTHING")
            .bind(&word)
            .bind(category.as_str())
            .bind(now.millis())
            .execute(self.inner.store.pool())
            .await?
            .rows_affected();
        if done == 0 {
            return Err(LiveError::Invalid(format!(
                "word: `{word}` is already on the list"
            )));
        }
        self.reload_words().await?;
        Ok(BannedWord {
            word,
            category: category.as_str().to_owned(),
            created_at: now,
        })
    }

    /// Removes a word; `false` when it was not on the list.
    pub async fn remove_word(&self, word: &str) -> Result<bool, LiveError> {
        let n = sqlx::query("DELETE FROM banned_words WHERE word = $1")
            .bind(word.trim().to_lowercase())
            .execute(self.inner.store.pool())
            .await?
            .rows_affected();
        self.reload_words().await?;
        Ok(n > 0)
    }

    pub fn check_words(&self, text: &str) -> Result<(), String> {
        self.inner
            .words
            .read()
            .expect("words lock")
            .check(text)
            .map_err(|r| r.message())
    }

    /// Joins `actor` to the room of `session_id`, starting the room if needed. Refused for unknown,
    /// ended or cancelled sessions.
    pub async fn connect(
        &self,
        session_id: i64,
        actor: Actor,
        device: String,
    ) -> Result<Connection, RoomError> {
        let room = self.room(session_id).await?;
        let outbox = Outbox::new(self.inner.config.queue);
        let id = self.inner.next_conn.fetch_add(1, Ordering::Relaxed);
        let (reply, joined) = oneshot::channel();
        let slot = Slot {
            id,
            actor,
            outbox: outbox.clone(),
            joined: Timestamp::now().millis(),
            device: device.clone(),
            viewed: false,
        };
        room.send(Cmd::Join {
            slot,
            device,
            reply,
        })
        .await
        .map_err(|_| RoomError::new(C::RoomClosed, "the room has closed"))?;
        joined
            .await
            .map_err(|_| RoomError::new(C::RoomClosed, "the room has closed"))??;
        Ok(Connection {
            id,
            send_buffer: self.inner.config.send_buffer,
            outbox,
            room,
        })
    }

    async fn room(&self, session_id: i64) -> Result<mpsc::Sender<Cmd>, RoomError> {
        let mut running = self.inner.running.lock().await;
        if let Some(tx) = running.get(&session_id).filter(|tx| !tx.is_closed()) {
            return Ok(tx.clone());
        }
        let internal = |e: LiveError| {
            tracing::error!(error = %e, session = session_id, "cannot start room");
            RoomError::new(C::Internal, "the room could not start")
        };
        let session = match self.inner.sessions.get(session_id).await {
            Ok(s) => s,
            Err(LiveError::SessionNotFound(_)) => {
                return Err(RoomError::new(
                    C::RoomNotFound,
                    format!("no live session {session_id}"),
                ))
            }
            Err(e) => return Err(internal(e)),
        };
        if !session.state.is_open() {
            return Err(RoomError::new(
                C::RoomClosed,
                format!("this session has {}", session.state),
            ));
        }
        let bag = bag_entries(&self.inner.sessions, session_id)
            .await
            .map_err(internal)?;
        let now = Timestamp::now().millis();
        let mut rec = log::recover(&self.inner.store, session_id, bag, now)
            .await
            .map_err(internal)?;
        rec.state.flash = sellstream_commerce::flash::FlashSales::new(self.inner.store.clone())
            .for_session(session_id)
            .await
            .map_err(|e| internal(e.into()))?
            .iter()
            .filter(|s| s.phase != sellstream_commerce::flash::SalePhase::Ended)
            .map(|s| s.room_json())
            .collect();
        rec.state.video =
            sellstream_media::Media::new(self.inner.store.clone(), self.inner.config.media.clone())
                .video(session_id)
                .await
                .map_err(|e| internal(e.into()))?;
        rec.state.banned = log::banned(&self.inner.store).await.map_err(internal)?;
        rec.state.followers = log::followers(&self.inner.store, session.host_id)
            .await
            .map_err(internal)?;
        let (tx, rx) = mpsc::channel(4096);
        let room = Room {
            session_id,
            info: json!({"id": session.id, "title": session.title, "state": session.state, "cover_url": session.cover_url,
                         "host": {"id": session.host_id, "nick": session.host_name}, "channel": session.channel}),
            host_id: session.host_id,
            private: session.practice_course_id.is_some(),
            state: rec.state,
            seq: rec.next_seq,
            peak: rec.peak,
            logged_peak: rec.peak,
            entries: rec.entries,
            conns: HashMap::new(),
            public: Vec::new(),
            staff_events: Vec::new(),
            rows: Vec::new(),
            comments: VecDeque::new(),
            skips: 0,
            lagging: 0,
            closed: false,
            ticks: 0,
            // Start with a full burst allowance: a quiet room shows every message at once.
            chat_budget: f64::from(self.inner.config.chat_per_viewer_per_second),
            budget_at: Instant::now(),
            audience: None,
            fan: FanOutTask::spawn(),
            sampled_out: 0,
            snapshot_cache: None,
            replier: crate::autoreply::Replier::new(
                crate::autoreply::load(&self.inner.store, session_id)
                    .await
                    .map_err(internal)?,
            ),
        };
        self.inner.counters.rooms.fetch_add(1, Ordering::Relaxed);
        tokio::spawn(room.run(rx, self.clone()));
        running.insert(session_id, tx.clone());
        tracing::info!(session = session_id, "room started");
        Ok(tx)
    }

    async fn running(&self, session_id: i64) -> Option<mpsc::Sender<Cmd>> {
        self.inner.running.lock().await.get(&session_id).cloned()
    }

    /// Tells a running room its bag changed.
    pub async fn bag_changed(&self, session_id: i64) {
        if let Some(tx) = self.running(session_id).await {
            match bag_entries(&self.inner.sessions, session_id).await {
                Ok(bag) => {
                    let _ = tx.send(Cmd::Bag(bag)).await;
                }
                Err(e) => tracing::warn!(error = %e, "could not refresh the room's bag"),
            }
        }
    }

    /// Tells a running room a product's stock; viewers see it at the next tick.
    pub async fn stock_changed(&self, session_id: i64, product_id: i64, stock: i64) {
        if let Some(tx) = self.running(session_id).await {
            let _ = tx.send(Cmd::Stock { product_id, stock }).await;
        }
    }

    /// Shows "someone just bought" in a running room. `buyer` is shown as given: mask it first.
    pub async fn purchase(
        &self,
        session_id: i64,
        product_id: i64,
        title: String,
        buyer: String,
        quantity: i64,
    ) {
        if let Some(tx) = self.running(session_id).await {
            let _ = tx
                .send(Cmd::Purchase {
                    product_id,
                    title,
                    buyer,
                    quantity,
                })
                .await;
        }
    }

    /// Applies a session's new auto-replies to its running room.
    pub async fn auto_replies_changed(
        &self,
        session_id: i64,
        rules: Vec<crate::autoreply::AutoReply>,
    ) {
        if let Some(tx) = self.running(session_id).await {
            let _ = tx.send(Cmd::AutoReplies(rules)).await;
        }
    }

    /// Shows a flash sale in a running room (launched, changed, or ended when its `phase` is
    /// `ended`).
    pub async fn flash_sale(&self, session_id: i64, sale: Value) {
        if let Some(tx) = self.running(session_id).await {
            let _ = tx.send(Cmd::Flash(sale)).await;
        }
    }

    /// The host's stream started or stopped: `video` is what viewers play now.
    pub async fn video(&self, session_id: i64, video: Value) {
        if let Some(tx) = self.running(session_id).await {
            let _ = tx.send(Cmd::Video(video)).await;
        }
    }

    /// A flash sale's remaining units; viewers see the latest once per tick.
    pub async fn flash_stock(&self, session_id: i64, sale: i64, remaining: i64) {
        if let Some(tx) = self.running(session_id).await {
            let _ = tx.send(Cmd::FlashStock { sale, remaining }).await;
        }
    }

    /// How many of a coupon are left, for the room that offers it.
    pub async fn coupon_left(&self, session_id: i64, coupon: i64, left: i64) {
        if let Some(tx) = self.running(session_id).await {
            let _ = tx.send(Cmd::CouponLeft { coupon, left }).await;
        }
    }

    /// The coupon a session's room offers now, as its log last recorded it.
    pub async fn offered_coupon(&self, session_id: i64) -> Result<Option<Value>, LiveError> {
        log::last_coupon(&self.inner.store, session_id).await
    }

    /// Puts a coupon on offer in a room (viewers claim it from the room), or withdraws it.
    /// Returns whether the room is running here.
    pub async fn offer_coupon(&self, session_id: i64, coupon: Option<Value>) -> bool {
        match self.running(session_id).await {
            Some(tx) => tx.send(Cmd::Coupon(coupon)).await.is_ok(),
            None => false,
        }
    }

    /// Tells a running room its session changed state (ended rooms close).
    pub async fn state_changed(&self, session_id: i64, state: SessionState) {
        if let Some(tx) = self.running(session_id).await {
            let _ = tx.send(Cmd::State(state)).await;
        }
    }

    /// Live figures of a room; zeros with the logged totals when it is not running here.
    pub async fn stats(&self, session_id: i64) -> Option<RoomStats> {
        let tx = self.running(session_id).await?;
        let (reply, rx) = oneshot::channel();
        tx.send(Cmd::Stats(reply)).await.ok()?;
        rx.await.ok()
    }

    pub async fn drawn_lotteries(
        &self,
        session_id: i64,
    ) -> Result<Vec<log::DrawnLottery>, LiveError> {
        self.inner.sessions.get(session_id).await?;
        log::drawn_lotteries(&self.inner.store, session_id).await
    }

    /// Waits until every event so far is in the log.
    pub async fn flush(&self) {
        self.inner.log.flush().await;
    }

    /// Stops every room (each flushes its last tick) and waits for the log: for shutdown.
    pub async fn shutdown(&self) {
        let rooms: Vec<mpsc::Sender<Cmd>> =
            self.inner.running.lock().await.values().cloned().collect();
        for tx in rooms {
            let (reply, done) = oneshot::channel();
            if tx.send(Cmd::Stop(reply)).await.is_ok() {
                let _ = done.await;
            }
        }
        self.flush().await;
    }

    async fn stopped(&self, session_id: i64) {
        let mut running = self.inner.running.lock().await;
        if running.get(&session_id).is_some_and(|tx| tx.is_closed()) {
            running.remove(&session_id);
        }
    }
}

async fn bag_entries(sessions: &Sessions, id: i64) -> Result<Vec<BagEntry>, LiveError> {
    Ok(sessions
        .bag(id)
        .await?
        .into_iter()
        .filter(|i| i.product.on_shelf)
        .map(|i| BagEntry {
            position: i.position,
            product_id: i.product.id,
            title: i.product.title.clone(),
            image: i.product.images.first().cloned(),
            price_min_fen: i.product.price_min_fen,
            price_max_fen: i.product.price_max_fen,
            live_price_min_fen: i.live_price_min_fen(),
            stock: i.product.total_stock,
        })
        .collect())
}

struct Room {
    session_id: i64,
    info: Value,
    host_id: Option<i64>,
    /// A practice session: only staff may join.
    private: bool,
    state: RoomState,
    seq: i64,
    peak: u64,
    logged_peak: u64,
    entries: u64,
    conns: HashMap<u64, Slot>,
    /// This tick's events for everyone.
    public: Vec<Value>,
    /// This tick's events for those who run the room only (moderation refusals).
    staff_events: Vec<Value>,
    /// This tick's rows for the log.
    rows: Vec<LogRow>,
    comments: VecDeque<i64>,
    skips: u64,
    /// Connections currently skipping batches until their queue drains.
    lagging: usize,
    closed: bool,
    ticks: u64,
    /// Chat budget for viewers carried between ticks (fractions of a message add up).
    chat_budget: f64,
    budget_at: Instant,
    /// Who gets this tick's frames, rebuilt when someone joins or leaves.
    audience: Option<Arc<[Member]>>,
    /// Writes each tick's frames, one tick after another, while the room takes the next commands.
    fan: FanOutTask,
    sampled_out: u64,
    snapshot_cache: Option<((i64, u64), Bytes)>,
    replier: crate::autoreply::Replier,
}

const PING_EVERY: Duration = Duration::from_secs(30);

impl Room {
    async fn run(mut self, mut rx: mpsc::Receiver<Cmd>, rooms: Rooms) {
        let config = rooms.inner.config.clone();
        let mut tick = tokio::time::interval(config.tick);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut last_stats = Instant::now();
        let mut last_ping = Instant::now();
        let mut empty_since: Option<Instant> = None;
        let mut stopped = None;
        loop {
            tokio::select! {
                cmd = rx.recv() => match cmd {
                    Some(Cmd::Stop(reply)) => {
                        stopped = Some(reply);
                        break;
                    }
                    Some(cmd) => self.handle(cmd, &rooms),
                    None => break,
                },
                _ = tick.tick() => {
                    let stats = last_stats.elapsed() >= Duration::from_secs(1);
                    if stats {
                        last_stats = Instant::now();
                    }
                    let started = Instant::now();
                    self.flush(stats, &rooms).await;
                    let c = &rooms.inner.counters;
                    c.ticks.fetch_add(1, Ordering::Relaxed);
                    c.tick_micros.fetch_add(started.elapsed().as_micros() as u64, Ordering::Relaxed);
                    if last_ping.elapsed() >= PING_EVERY {
                        last_ping = Instant::now();
                        let ping = ws::encode_frame(ws::OP_PING, b"");
                        for c in self.conns.values() {
                            c.outbox.push(&ping);
                        }
                    }
                    if self.conns.is_empty() {
                        let since = *empty_since.get_or_insert_with(Instant::now);
                        if since.elapsed() >= config.idle_stop || self.closed {
                            break;
                        }
                    } else {
                        empty_since = None;
                    }
                }
            }
        }
        rx.close();
        // Everyone still watching leaves with the room: their watch ends here.
        let now = Timestamp::now().millis();
        let leaves: Vec<Event> = self.conns.values().map(|s| leave_event(s, now)).collect();
        self.record(leaves, now);
        self.flush(false, &rooms).await;
        self.settle(&rooms.inner.counters).await;
        let bye = ws::close_frame(ws::CLOSE_GOING_AWAY, "the room is restarting or has closed");
        for c in self.conns.values() {
            c.outbox.end(&bye);
        }
        rooms.stopped(self.session_id).await;
        let counters = &rooms.inner.counters;
        counters.rooms.fetch_sub(1, Ordering::Relaxed);
        counters
            .connections
            .fetch_sub(self.conns.len() as u64, Ordering::Relaxed);
        counters
            .lagging
            .fetch_sub(self.lagging as u64, Ordering::Relaxed);
        if let Some(reply) = stopped {
            let _ = reply.send(());
        }
        tracing::info!(session = self.session_id, "room stopped");
    }

    fn words(rooms: &Rooms) -> Arc<Matcher> {
        rooms.inner.words.read().expect("words lock").clone()
    }

    fn handle(&mut self, cmd: Cmd, rooms: &Rooms) {
        let now = Timestamp::now().millis();
        match cmd {
            Cmd::Join {
                slot,
                device,
                reply,
            } => {
                if self.closed {
                    let _ =
                        reply.send(Err(RoomError::new(C::RoomClosed, "this session has ended")));
                    return;
                }
                if self.private && !slot.actor.staff {
                    // As if it did not exist: viewers do not learn of practice rooms.
                    let _ = reply.send(Err(RoomError::new(
                        C::RoomNotFound,
                        format!("no live session {}", self.session_id),
                    )));
                    return;
                }
                self.entries += 1;
                let mut e = event(
                    "enter",
                    json!({"device": device, "nick": slot.actor.nickname}),
                );
                e.actor = slot.actor.account;
                e.public = false;
                self.record(vec![e], now);
                let hello = ws::text_frame(
                    &json!({"v": VERSION, "t": "hello", "you": self.you(&slot.actor)}).to_string(),
                );
                let outbox = slot.outbox.clone();
                self.conns.insert(slot.id, slot);
                self.audience = None;
                outbox.push(&hello);
                outbox.push(&self.snapshot_frame());
                rooms
                    .inner
                    .counters
                    .connections
                    .fetch_add(1, Ordering::Relaxed);
                if self.conns.len() as u64 > self.peak {
                    self.peak = self.conns.len() as u64;
                }
                let _ = reply.send(Ok(()));
            }
            Cmd::Leave { conn } => {
                if let Some(slot) = self.conns.remove(&conn) {
                    self.audience = None;
                    rooms
                        .inner
                        .counters
                        .connections
                        .fetch_sub(1, Ordering::Relaxed);
                    self.record(vec![leave_event(&slot, now)], now);
                }
            }
            Cmd::Msg { conn, incoming } => {
                let Some(actor) = self.conns.get(&conn).map(|c| c.actor.clone()) else {
                    return;
                };
                let text = match &incoming.msg {
                    ClientMsg::Chat { text } | ClientMsg::Ask { text } => Some(text.clone()),
                    _ => None,
                };
                match self.apply(&actor, incoming.msg, now, rooms) {
                    Ok(events) => {
                        self.record(events, now);
                        if let (Some(text), false) = (&text, actor.staff) {
                            if let Some(answer) = self.replier.answer(text, now) {
                                let host = self.info["host"]["nick"].as_str().unwrap_or("主播");
                                let host = if host.is_empty() { "主播" } else { host }.to_owned();
                                let id = self.seq;
                                let reply =
                                    self.state
                                        .auto_reply(&host, &actor.nickname, &answer, id, now);
                                self.record(reply, now);
                            }
                        }
                        if let (Some(r), Some(c)) = (&incoming.r#ref, self.conns.get(&conn)) {
                            let ack = json!({"v": VERSION, "t": "ack", "ref": r});
                            c.outbox.push(&ws::text_frame(&ack.to_string()));
                        }
                    }
                    Err(e) => {
                        if let Some(c) = self.conns.get(&conn) {
                            c.outbox
                                .push(&ws::text_frame(&error_json(&e, incoming.r#ref.as_ref())));
                        }
                        if e.code == C::Rejected {
                            // Banned-word hits: logged, and shown to the room's controllers only.
                            let mut hit = event(
                                "chat_refused",
                                json!({"user": {"id": actor.account, "nick": actor.nickname},
                                       "text": text, "reason": e.message, "at": now}),
                            );
                            hit.actor = actor.account;
                            hit.staff_only = true;
                            self.record(vec![hit], now);
                        }
                    }
                }
            }
            Cmd::Bag(bag) => {
                self.state.bag = bag;
                if self
                    .state
                    .pinned
                    .is_some_and(|p| !self.state.bag.iter().any(|b| b.product_id == p))
                {
                    self.state.pinned = None;
                }
                let bag: Vec<Value> = self.state.bag.iter().map(BagEntry::json).collect();
                self.record(
                    vec![event(
                        "bag",
                        json!({"bag": bag, "pinned": self.state.pinned}),
                    )],
                    now,
                );
            }
            Cmd::State(state) => {
                self.info["state"] = json!(state);
                self.record(vec![event("session_state", json!({"state": state}))], now);
                if !state.is_open() {
                    self.closed = true;
                }
            }
            Cmd::Stock { product_id, stock } => {
                let Some(entry) = self
                    .state
                    .bag
                    .iter_mut()
                    .find(|b| b.product_id == product_id)
                else {
                    return;
                };
                if entry.stock == stock {
                    return;
                }
                entry.stock = stock;
                let mut e = event("stock", json!({"product": product_id, "stock": stock}));
                e.ref_id = Some(product_id);
                e.amount = Some(stock);
                self.record(vec![e], now);
            }
            Cmd::Purchase {
                product_id,
                title,
                buyer,
                quantity,
            } => {
                let mut e = event(
                    "purchase",
                    json!({"product": product_id, "title": title, "buyer": buyer, "quantity": quantity}),
                );
                e.ref_id = Some(product_id);
                e.amount = Some(quantity);
                self.record(vec![e], now);
            }
            Cmd::CouponLeft { coupon, left } => {
                if let Some(c) = self
                    .state
                    .coupon
                    .as_mut()
                    .filter(|c| c["id"].as_i64() == Some(coupon))
                {
                    if c["left"].as_i64() != Some(left) {
                        c["left"] = json!(left);
                        self.state.coupon_dirty = true;
                    }
                }
            }
            Cmd::Video(video) => {
                if self.state.video != video {
                    self.state.video = video.clone();
                    self.record(vec![event("video", video)], now);
                }
            }
            Cmd::Flash(sale) => {
                let id = sale["id"].as_i64();
                self.state.flash.retain(|f| f["id"].as_i64() != id);
                if sale["phase"] != "ended" {
                    self.state.flash.push(sale.clone());
                }
                let mut e = event("flash_sale", sale);
                e.ref_id = id;
                self.record(vec![e], now);
            }
            Cmd::FlashStock { sale, remaining } => {
                if let Some(f) = self
                    .state
                    .flash
                    .iter_mut()
                    .find(|f| f["id"].as_i64() == Some(sale))
                {
                    if f["remaining"].as_i64() != Some(remaining) {
                        f["remaining"] = json!(remaining);
                        if !self.state.flash_dirty.contains(&sale) {
                            self.state.flash_dirty.push(sale);
                        }
                    }
                }
            }
            Cmd::AutoReplies(rules) => {
                self.replier = crate::autoreply::Replier::new(rules);
            }
            Cmd::Coupon(coupon) => {
                self.state.coupon = coupon.clone();
                self.record(vec![event("coupon", json!({"coupon": coupon}))], now);
            }
            Cmd::Stats(reply) => {
                let _ = reply.send(self.stats(now));
            }
            Cmd::Stop(_) => {}
        }
    }

    fn apply(
        &mut self,
        a: &Actor,
        msg: ClientMsg,
        now: i64,
        rooms: &Rooms,
    ) -> Result<Vec<Event>, RoomError> {
        if msg.is_control() && !a.can_control {
            return Err(RoomError::new(
                C::Forbidden,
                "only the host or the room controller can do this",
            ));
        }
        if self.closed && !matches!(msg, ClientMsg::Ping) {
            return Err(RoomError::new(C::RoomClosed, "this session has ended"));
        }
        let id = self.seq;
        let s = &mut self.state;
        match msg {
            ClientMsg::Ping => Ok(vec![]),
            ClientMsg::Chat { text } => {
                let events = s.chat(a, &text, id, now, &Self::words(rooms))?;
                self.comments.push_back(now);
                Ok(events)
            }
            ClientMsg::Like { n } => {
                s.like(n);
                Ok(vec![])
            }
            ClientMsg::Follow => {
                let events = s.follow(a)?;
                if let (false, Some(account), Some(host)) =
                    (events.is_empty(), a.account, self.host_id)
                {
                    let store = rooms.inner.store.clone();
                    tokio::spawn(async move {
                        if let Err(e) = log::add_follow(&store, account, host, now).await {
                            tracing::warn!(error = %e, "could not record a follow");
                        }
                    });
                }
                Ok(events)
            }
            ClientMsg::Vote { poll, option } => s.vote(a, poll, option),
            ClientMsg::Enter { lottery } => s.enter(a, lottery),
            ClientMsg::Ask { text } => s.ask(a, &text, id, now, &Self::words(rooms)),
            ClientMsg::Upvote { question } => s.upvote(a, question),
            ClientMsg::Pin { product } => s.pin(a, product),
            ClientMsg::Unpin => s.unpin(a),
            ClientMsg::Announce { text } => s.announce(a, &text, now),
            ClientMsg::PollOpen { question, options } => s.open_poll(a, id, &question, &options),
            ClientMsg::PollClose { poll } => s.close_poll(a, poll),
            ClientMsg::LotteryOpen(spec) => s.open_lottery(a, id, &spec),
            ClientMsg::LotteryDraw { lottery } => s.draw_lottery(a, lottery, rand::random()),
            ClientMsg::Answer { question, answer } => s.answer(a, question, &answer),
            ClientMsg::PinQuestion { question } => s.pin_question(a, question),
            ClientMsg::DeleteChat { id } => s.delete_chat(a, id),
            ClientMsg::Mute { account, minutes } => s.mute(a, account, minutes, now),
            ClientMsg::Ban { account } | ClientMsg::Unban { account } => {
                let ban = matches!(msg, ClientMsg::Ban { .. });
                let events = if ban {
                    s.ban(a, account)?
                } else {
                    s.unban(a, account)?
                };
                let store = rooms.inner.store.clone();
                let by = a.account;
                tokio::spawn(async move {
                    if let Err(e) = log::set_ban(&store, account, by, ban, now).await {
                        tracing::error!(error = %e, "could not record a chat ban");
                    }
                });
                Ok(events)
            }
        }
    }

    /// Gives events their sequence numbers, queues them for the log and (if public) the batch.
    fn record(&mut self, events: Vec<Event>, now: i64) {
        for e in events {
            let seq = self.seq;
            if e.log {
                self.seq += 1;
                self.rows.push(LogRow {
                    session_id: self.session_id,
                    seq,
                    kind: e.kind,
                    actor: e.actor,
                    ref_id: e.ref_id,
                    amount: e.amount,
                    payload: e.data.to_string(),
                    at: now,
                });
            }
            if e.public || e.staff_only {
                let mut v = e.data;
                if let Value::Object(m) = &mut v {
                    m.insert("k".into(), json!(e.kind));
                    // Derived aggregates (tallies, entry counts) are not logged and take no number.
                    if e.log {
                        m.insert("seq".into(), json!(seq));
                    }
                }
                if e.staff_only {
                    self.staff_events.push(v);
                } else {
                    self.public.push(v);
                }
            }
        }
    }

    fn you(&self, a: &Actor) -> Value {
        let s = &self.state;
        let voted = a.account.and_then(|id| {
            s.poll.as_ref().and_then(|p| {
                p.voters
                    .get(&id)
                    .map(|o| json!({"poll": p.id, "option": o}))
            })
        });
        let entered = a
            .account
            .is_some_and(|id| s.lottery.as_ref().is_some_and(|l| l.entered.contains(&id)));
        json!({"id": a.account, "nick": a.nickname, "staff": a.staff, "can_control": a.can_control,
               "following": a.account.is_some_and(|id| s.followers.contains(&id)),
               "voted": voted, "entered": entered,
               "muted_until": a.account.and_then(|id| s.muted.get(&id)),
               "banned": a.account.is_some_and(|id| s.banned.contains(&id))})
    }

    /// The snapshot frame, built at most once per tick and per change: a burst of thousands of
    /// joins serialises the room once, not once per viewer. Its `online` may trail by a tick.
    fn snapshot_frame(&mut self) -> Bytes {
        let key = (self.seq, self.ticks);
        if let Some((k, frame)) = &self.snapshot_cache {
            if *k == key {
                return frame.clone();
            }
        }
        let frame = self.build_snapshot();
        self.snapshot_cache = Some((key, frame.clone()));
        frame
    }

    fn build_snapshot(&self) -> Bytes {
        let mut snap = self.state.snapshot();
        snap["v"] = json!(VERSION);
        snap["t"] = json!("snapshot");
        snap["seq"] = json!(self.seq - 1);
        snap["session"] = self.info.clone();
        snap["online"] = json!(self.conns.len());
        snap["chat_sampled_out"] = json!(self.sampled_out);
        ws::text_frame(&snap.to_string())
    }

    fn stats(&self, now: i64) -> RoomStats {
        let cutoff = now - 60_000;
        RoomStats {
            session_id: self.session_id,
            online: self.conns.len() as u64,
            peak: self.peak,
            entries: self.entries,
            likes: self.state.likes + self.state.pending_likes,
            comments_per_minute: self.comments.iter().filter(|t| **t >= cutoff).count() as u64,
            lottery_entries: self
                .state
                .lottery
                .as_ref()
                .map_or(0, |l| l.entrants.len() as u64),
            lagging_skips: self.skips,
            lagging: self.lagging as u64,
            queued_frames: self.conns.values().map(|c| c.outbox.queued() as u64).sum(),
            chat_sampled_out: self.sampled_out,
        }
    }

    fn audience(&mut self) -> Arc<[Member]> {
        self.audience
            .get_or_insert_with(|| {
                self.conns
                    .values()
                    .map(|c| Member {
                        outbox: c.outbox.clone(),
                        control: c.actor.can_control,
                    })
                    .collect()
            })
            .clone()
    }

    /// Counts the writes of ticks the fan-out task has finished.
    fn count_writes(&mut self, counters: &RoomCounters) {
        while let Ok(t) = self.fan.tallies.try_recv() {
            self.skips += t.lagged as u64;
            counters.skips.fetch_add(t.lagged as u64, Ordering::Relaxed);
            counters.frames.fetch_add(t.sent as u64, Ordering::Relaxed);
            // Lagging connections are counted afresh at every tick (those that left drop out).
            counters
                .lagging
                .fetch_add(t.lagging as u64, Ordering::Relaxed);
            counters
                .lagging
                .fetch_sub(self.lagging as u64, Ordering::Relaxed);
            self.lagging = t.lagging;
        }
    }

    /// Waits until every tick handed to the fan-out task has been written.
    async fn settle(&mut self, counters: &RoomCounters) {
        let (done, written) = oneshot::channel();
        if self.fan.jobs.send(Job::Barrier(done)).await.is_ok() {
            let _ = written.await;
        }
        self.count_writes(counters);
    }

    async fn flush(&mut self, with_stats: bool, rooms: &Rooms) {
        let counters = &rooms.inner.counters;
        self.count_writes(counters);
        self.ticks += 1;
        let now = Timestamp::now().millis();
        if let Some(e) = self.state.flush_likes() {
            self.record(vec![e], now);
        }
        let tallies = self.state.flush_tallies();
        self.record(tallies, now);
        let cutoff = now - 60_000;
        while self.comments.front().is_some_and(|t| *t < cutoff) {
            self.comments.pop_front();
        }
        if with_stats {
            // A watch counts as a view (PV) once it has lasted 3 s (docs/metrics.md).
            let mut views = Vec::new();
            for slot in self.conns.values_mut() {
                if !slot.viewed && now - slot.joined >= VIEW_AFTER_MS {
                    slot.viewed = true;
                    let mut e = event("view", json!({"device": slot.device}));
                    e.actor = slot.actor.account;
                    e.public = false;
                    views.push(e);
                }
            }
            self.record(views, now);
        }
        if with_stats && self.peak > self.logged_peak {
            self.logged_peak = self.peak;
            let mut e = event("peak", json!({}));
            e.amount = Some(self.peak as i64);
            e.public = false;
            self.record(vec![e], now);
        }
        let online = self.conns.len();
        let likes = self.state.likes;
        // Likes and the online count alone go out once a second (with the stats); events go out
        // within the tick. Ten frames a second of counters to 50,000 idle viewers would be waste.
        let changed = !self.public.is_empty() || !self.staff_events.is_empty();
        if changed || with_stats {
            let events = std::mem::take(&mut self.public);
            // The budget fills with time, not ticks: a tick that ran late does not cut the rate.
            let rate = f64::from(rooms.inner.config.chat_per_viewer_per_second);
            let elapsed = std::mem::replace(&mut self.budget_at, Instant::now()).elapsed();
            self.chat_budget = (self.chat_budget + rate * elapsed.as_secs_f64()).min(rate);
            let sampled =
                sampling::sample(&events, self.chat_budget.floor() as usize, &mut rand::rng());
            let chats_out = |evs: &[Value]| evs.iter().filter(|e| e["k"] == "chat").count() as f64;
            let mut batch = json!({"v": VERSION, "t": "batch", "seq": self.seq - 1, "online": online, "likes": likes});
            if with_stats {
                batch["stats"] = serde_json::to_value(self.stats(now)).unwrap_or(Value::Null);
            }
            let staff_extra = std::mem::take(&mut self.staff_events);
            let (viewer_events, left_out) = match sampled {
                Some((v, left_out)) => (Some(v), left_out),
                None => (None, 0),
            };
            if left_out > 0 {
                self.sampled_out += left_out as u64;
                counters
                    .chat_sampled_out
                    .fetch_add(left_out as u64, Ordering::Relaxed);
            }
            let (frame, full) = if viewer_events.is_none() && staff_extra.is_empty() {
                self.chat_budget = (self.chat_budget - chats_out(&events)).max(0.0);
                batch["events"] = Value::Array(events);
                (ws::text_frame(&batch.to_string()), None)
            } else {
                // Two frames this tick: everything for those who run the room, the sample for viewers.
                let viewer_events = viewer_events.unwrap_or_else(|| events.clone());
                self.chat_budget = (self.chat_budget - chats_out(&viewer_events)).max(0.0);
                let mut all = events;
                all.extend(staff_extra);
                batch["events"] = Value::Array(all);
                let full = ws::text_frame(&batch.to_string());
                batch["events"] = Value::Array(viewer_events);
                if left_out > 0 {
                    batch["sampled"] = json!({"left_out": left_out});
                }
                (ws::text_frame(&batch.to_string()), Some(full))
            };
            // A lagging connection resumes with a fresh snapshot once half its queue is free.
            let snapshot = (self.lagging > 0).then(|| self.snapshot_frame());
            let frames = Frames {
                viewer: frame,
                control: full,
                snapshot,
            };
            // The previous tick's writes finish first: frames reach each viewer in order.
            let job = Job::Deliver(self.audience(), Arc::new(frames));
            // Waits only when the writes are two ticks behind.
            let _ = self.fan.jobs.send(job).await;
        }
        if self.closed && !self.conns.is_empty() {
            self.settle(counters).await;
            let bye = ws::close_frame(ws::CLOSE_NORMAL, "the session has ended");
            counters
                .connections
                .fetch_sub(self.conns.len() as u64, Ordering::Relaxed);
            self.audience = None;
            for (_, c) in self.conns.drain() {
                c.outbox.end(&bye);
            }
            counters
                .lagging
                .fetch_sub(self.lagging as u64, Ordering::Relaxed);
            self.lagging = 0;
        }
        if !self.rows.is_empty() {
            counters
                .events
                .fetch_add(self.rows.len() as u64, Ordering::Relaxed);
            rooms.inner.log.append(std::mem::take(&mut self.rows)).await;
        }
    }
}

/// A connection as the fan-out sees it.
struct Member {
    outbox: Arc<Outbox>,
    control: bool,
}

/// One tick's frames: the viewers' batch, the full batch for those who run the room (when the two
/// differ), and the snapshot for lagging viewers who have room again.
struct Frames {
    viewer: Bytes,
    control: Option<Bytes>,
    snapshot: Option<Bytes>,
}

/// What one tick's writes did.
#[derive(Default)]
struct Tally {
    /// Batches and snapshots written or queued.
    sent: usize,
    /// Connections that fell behind at this tick.
    lagged: usize,
    /// Connections skipping batches after this tick.
    lagging: usize,
}

impl Tally {
    fn add(&mut self, o: &Tally) {
        self.sent += o.sent;
        self.lagged += o.lagged;
        self.lagging += o.lagging;
    }
}

enum Job {
    Deliver(Arc<[Member]>, Arc<Frames>),
    Barrier(oneshot::Sender<()>),
}

/// The room's writer: takes ticks in order, so frames reach every viewer in order, and reports
/// what each tick's writes did.
struct FanOutTask {
    jobs: mpsc::Sender<Job>,
    tallies: mpsc::UnboundedReceiver<Tally>,
}

impl FanOutTask {
    fn spawn() -> Self {
        let (jobs, mut rx) = mpsc::channel::<Job>(2);
        let (tally_tx, tallies) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            while let Some(job) = rx.recv().await {
                match job {
                    Job::Deliver(audience, frames) => {
                        let _ = tally_tx.send(fan_out(audience, frames).await);
                    }
                    Job::Barrier(done) => {
                        let _ = done.send(());
                    }
                }
            }
        });
        Self { jobs, tallies }
    }
}

/// Below this many connections one task writes the whole tick; above it the writes are split
/// across the runtime's worker threads (each write is a system call: they add up).
const FAN_OUT_SHARD: usize = 2048;

async fn fan_out(audience: Arc<[Member]>, frames: Arc<Frames>) -> Tally {
    let deliver = |members: &[Member], frames: &Frames| {
        let mut t = Tally::default();
        for m in members {
            let frame = match (&frames.control, m.control) {
                (Some(full), true) => full,
                _ => &frames.viewer,
            };
            match m.outbox.deliver(frame, frames.snapshot.as_ref()) {
                Delivery::Sent | Delivery::Resumed => t.sent += 1,
                Delivery::Lagged => {
                    t.lagged += 1;
                    t.lagging += 1;
                }
                Delivery::Skipped => t.lagging += 1,
                Delivery::Gone => {}
            }
        }
        t
    };
    let workers = tokio::runtime::Handle::current().metrics().num_workers();
    let shards = (audience.len() / FAN_OUT_SHARD).clamp(1, workers.max(1));
    if shards == 1 {
        return deliver(&audience, &frames);
    }
    let size = audience.len().div_ceil(shards);
    // Every shard is spawned (none run inline) so that idle workers can steal them.
    let tasks: Vec<_> = (0..shards)
        .map(|i| {
            let (audience, frames) = (audience.clone(), frames.clone());
            tokio::spawn(async move {
                let end = ((i + 1) * size).min(audience.len());
                deliver(&audience[i * size..end], &frames)
            })
        })
        .collect();
    let mut total = Tally::default();
    for task in tasks {
        if let Ok(t) = task.await {
            total.add(&t);
        }
    }
    total
}

/// A watch counts as a view after this long.
const VIEW_AFTER_MS: i64 = 3_000;

/// A viewer's watch ended: who (account or device) and how long, for analytics.
fn leave_event(slot: &Slot, now: i64) -> Event {
    let mut e = event("leave", json!({"device": slot.device}));
    e.actor = slot.actor.account;
    e.amount = Some(now - slot.joined);
    e.public = false;
    e
}

fn event(kind: &'static str, data: Value) -> Event {
    Event {
        kind,
        actor: None,
        ref_id: None,
        amount: None,
        data,
        public: true,
        log: true,
        staff_only: false,
    }
}
