//! The stock ledger for flash sales. One writer task per sale takes buy requests from a bounded
//! queue, decides a batch of them against its view of the sale (time, remaining units, each
//! buyer's quantity, idempotency keys), and makes the whole batch durable in one transaction —
//! the units taken, the buyers' quantities, the orders with their lines, keys, history and events —
//! before it answers anyone in it (group commit). The database stays the judge: the units are
//! taken by `remaining >= n` and each buyer's quantity grows only within the limit, so a writer
//! on another node selling the same sale cannot make this one oversell; when the database
//! disagrees with the writer's view, the writer reloads and decides the batch again. A refusal
//! ("sold out", "limit reached") is always checked against the database first.

use super::{FlashSale, FlashSales, Strategy};
use crate::orders::OrderNotice;
use crate::pricing::PriceLine;
use crate::CommerceError;
use sellstream_core::Timestamp;
use sellstream_store::{value_rows, Row, Store};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{broadcast, mpsc, oneshot, Mutex};

/// Requests waiting for one sale's writer at most; more are refused as busy at once.
pub const QUEUE: usize = 8192;
/// Buys decided and committed together at most.
pub const MAX_BATCH: usize = 1024;

/// A buy, priced and addressed by the request handler: the writer only decides and writes.
#[derive(Debug, Clone)]
pub struct Buy {
    pub customer_id: i64,
    /// The buyer's address; the writer reads the batch's addresses (and names) in one query and
    /// fills `address` and `customer_name` when they are empty.
    pub address_id: i64,
    pub customer_name: String,
    pub key: Option<String>,
    pub request_hash: String,
    pub quantity: i64,
    pub channel: String,
    pub address: String,
    pub note: String,
    pub price_lines: Vec<PriceLine>,
    pub unit_price: i64,
    pub goods_fen: i64,
    pub shipping_fen: i64,
    pub total_fen: i64,
    pub points_per_yuan: i64,
    pub pay_deadline: i64,
    pub sku_code: String,
    pub attributes: String,
    pub image: Option<String>,
}

/// What the writer answers a buyer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Placed {
    /// Written: the order's id and number, and the address and buyer's name it was written with.
    New {
        id: i64,
        number: String,
        address: String,
        customer_name: String,
    },
    /// The key placed this order before.
    Replayed(i64),
    /// The Redis baseline's answer: the number told to the buyer, the order not written yet.
    Queued(String),
}

struct Job {
    buy: Buy,
    reply: oneshot::Sender<Result<Placed, CommerceError>>,
}

/// Figures per sale for `/metrics` and the controller's console.
#[derive(Debug, Default)]
pub struct SaleFigures {
    pub queue_depth: AtomicU64,
    pub batches: AtomicU64,
    pub batched_buys: AtomicU64,
    pub orders: AtomicU64,
    pub gmv_fen: AtomicU64,
    /// Sum of commit times in microseconds.
    pub commit_us: AtomicU64,
    pub last_batch: AtomicU64,
}

/// The remaining units of a sale after a batch, for the room.
#[derive(Debug, Clone)]
pub struct StockNotice {
    pub sale_id: i64,
    pub session_id: i64,
    pub remaining: i64,
}

/// The writers of this node, one per sale that is selling. Cheap to clone.
#[derive(Clone)]
pub struct Ledger {
    store: Store,
    sales: FlashSales,
    writers: Arc<Mutex<HashMap<i64, mpsc::Sender<Job>>>>,
    figures: Arc<std::sync::Mutex<HashMap<i64, Arc<SaleFigures>>>>,
    stock: broadcast::Sender<StockNotice>,
    notices: broadcast::Sender<OrderNotice>,
    redis: super::redis_baseline::RedisBaseline,
}

impl Ledger {
    pub fn new(
        store: Store,
        notices: broadcast::Sender<OrderNotice>,
        redis_url: Option<String>,
    ) -> Self {
        Self {
            redis: super::redis_baseline::RedisBaseline::new(
                store.clone(),
                redis_url.unwrap_or_else(|| "redis://127.0.0.1:6379".into()),
            ),
            sales: FlashSales::new(store.clone()),
            store,
            writers: Arc::default(),
            figures: Arc::default(),
            stock: broadcast::channel(1024).0,
            notices,
        }
    }

    /// Remaining units after each batch, per sale.
    pub fn subscribe(&self) -> broadcast::Receiver<StockNotice> {
        self.stock.subscribe()
    }

    /// The figures of every sale this node has sold.
    pub fn figures(&self) -> Vec<(i64, Arc<SaleFigures>)> {
        let map = self.figures.lock().unwrap_or_else(|e| e.into_inner());
        map.iter().map(|(k, v)| (*k, v.clone())).collect()
    }

    pub fn figures_for(&self, sale_id: i64) -> Arc<SaleFigures> {
        let mut map = self.figures.lock().unwrap_or_else(|e| e.into_inner());
        map.entry(sale_id).or_default().clone()
    }

    /// Takes a buy for `sale` through its strategy's stock step.
    pub async fn buy(&self, sale: &FlashSale, buy: Buy) -> Result<Placed, CommerceError> {
        match sale.strategy {
            Strategy::Ledger => self.through_writer(sale.id, buy).await,
            Strategy::Naive => self.one_by_one(sale, buy).await,
            Strategy::Redis => {
                let number = crate::orders::order_number(Timestamp::now().millis());
                match self.redis.buy(sale, buy, number).await? {
                    super::redis_baseline::Answer::Taken(n)
                    | super::redis_baseline::Answer::Replayed(n) => Ok(Placed::Queued(n)),
                }
            }
        }
    }

    async fn through_writer(&self, sale_id: i64, buy: Buy) -> Result<Placed, CommerceError> {
        let (reply, answer) = oneshot::channel();
        let mut job = Job { buy, reply };
        for _ in 0..2 {
            let tx = self.writer(sale_id).await;
            match tx.try_send(job) {
                Ok(()) => {
                    self.figures_for(sale_id)
                        .queue_depth
                        .fetch_add(1, Ordering::Relaxed);
                    return answer.await.unwrap_or_else(|_| {
                        Err(CommerceError::Conflict(
                            "the sale's writer stopped; try again".into(),
                        ))
                    });
                }
                Err(mpsc::error::TrySendError::Full(_)) => {
                    return Err(CommerceError::Busy(
                        "too many buyers at once; try again in a moment".into(),
                    ))
                }
                Err(mpsc::error::TrySendError::Closed(j)) => {
                    // The writer finished (idle or ended) just now: start another.
                    job = j;
                    self.writers.lock().await.remove(&sale_id);
                }
            }
        }
        Err(CommerceError::Conflict(
            "the sale's writer stopped; try again".into(),
        ))
    }

    async fn writer(&self, sale_id: i64) -> mpsc::Sender<Job> {
        let mut writers = self.writers.lock().await;
        if let Some(tx) = writers.get(&sale_id).filter(|t| !t.is_closed()) {
            return tx.clone();
        }
        let (tx, rx) = mpsc::channel(QUEUE);
        writers.insert(sale_id, tx.clone());
        let w = Writer {
            ledger: self.clone(),
            sale_id,
            figures: self.figures_for(sale_id),
            view: None,
        };
        tokio::spawn(w.run(rx));
        tx
    }

    /// The usual design, for the bench: one transaction per buy on the hot row.
    async fn one_by_one(&self, sale: &FlashSale, buy: Buy) -> Result<Placed, CommerceError> {
        let now = Timestamp::now().millis();
        if now < sale.starts_at.millis() {
            return Err(CommerceError::IllegalTransition(
                "the flash sale has not started yet".into(),
            ));
        }
        if let Some(key) = &buy.key {
            if let Some(p) = self.earlier(&buy, key).await? {
                return p;
            }
        }
        let started = Instant::now();
        let written = commit(&self.store, sale, &[&buy]).await?;
        record_figures(&self.figures_for(sale.id), 1, &[&buy], started.elapsed());
        match written {
            Ok(mut ids) => {
                let (id, number) = ids.remove(0);
                self.after_commit(sale, &[(&buy, id)], None).await;
                Ok(Placed::New {
                    id,
                    number,
                    address: buy.address.clone(),
                    customer_name: buy.customer_name.clone(),
                })
            }
            Err(Disagreement) => {
                // The transaction said no: find out which rule it was.
                let r = sqlx::query(
                    "SELECT remaining, ended_at, ends_at FROM flash_sales WHERE id = $1",
                )
                .bind(sale.id)
                .fetch_one(self.store.pool())
                .await?;
                let remaining: i64 = r.try_get(0)?;
                if r.try_get::<Option<i64>, _>(1)?.is_some() || now >= r.try_get::<i64, _>(2)? {
                    return Err(CommerceError::IllegalTransition(
                        "the flash sale has ended".into(),
                    ));
                }
                if remaining < buy.quantity {
                    return Err(CommerceError::OutOfStock("sold out".into()));
                }
                if let Some(key) = &buy.key {
                    if let Some(p) = self.earlier(&buy, key).await? {
                        return p;
                    }
                }
                Err(CommerceError::Invalid(format!(
                    "quantity: this flash sale allows {} per customer",
                    sale.per_customer
                )))
            }
        }
    }

    /// What an idempotency key placed before, if anything.
    async fn earlier(
        &self,
        buy: &Buy,
        key: &str,
    ) -> Result<Option<Result<Placed, CommerceError>>, CommerceError> {
        let found = sqlx::query(
            "SELECT request_hash, order_id FROM idempotency_keys
             WHERE customer_id = $1 AND key = $2 AND expires_at > $3",
        )
        .bind(buy.customer_id)
        .bind(key)
        .bind(Timestamp::now().millis())
        .fetch_optional(self.store.pool())
        .await?;
        Ok(found.map(|r| {
            let hash: String = r.try_get(0).unwrap_or_default();
            if hash == buy.request_hash {
                Ok(Placed::Replayed(r.try_get(1).unwrap_or(0)))
            } else {
                Err(CommerceError::IdempotencyKeyReused)
            }
        }))
    }

    /// Tells the room and the order listeners; `remaining` is read from the database when the
    /// caller does not know it.
    async fn after_commit(&self, sale: &FlashSale, placed: &[(&Buy, i64)], remaining: Option<i64>) {
        for (buy, id) in placed {
            let _ = self.notices.send(OrderNotice {
                kind: "placed",
                order_id: *id,
                session_id: Some(sale.session_id),
                customer_name: buy.customer_name.clone(),
                items: vec![(sale.product_id, sale.title.clone(), buy.quantity)],
                flash_sale_id: Some(sale.id),
            });
        }
        let remaining = match remaining {
            Some(r) => Some(r),
            None => sqlx::query("SELECT remaining FROM flash_sales WHERE id = $1")
                .bind(sale.id)
                .fetch_one(self.store.pool())
                .await
                .ok()
                .and_then(|r| r.try_get::<i64, _>(0).ok()),
        };
        {
            if let Some(remaining) = remaining {
                let _ = self.stock.send(StockNotice {
                    sale_id: sale.id,
                    session_id: sale.session_id,
                    remaining,
                });
            }
        }
    }
}

fn record_figures(f: &SaleFigures, batch: usize, buys: &[&Buy], took: Duration) {
    f.batches.fetch_add(1, Ordering::Relaxed);
    f.batched_buys.fetch_add(batch as u64, Ordering::Relaxed);
    f.last_batch.store(batch as u64, Ordering::Relaxed);
    f.orders.fetch_add(buys.len() as u64, Ordering::Relaxed);
    f.gmv_fen.fetch_add(
        buys.iter().map(|b| b.total_fen.max(0) as u64).sum(),
        Ordering::Relaxed,
    );
    f.commit_us
        .fetch_add(took.as_micros() as u64, Ordering::Relaxed);
}

/// What the writer believes about its sale; the database corrects it when they disagree.
struct View {
    sale_id: i64,
    remaining: i64,
    per_customer: i64,
    starts_at: i64,
    ends_at: i64,
    ended: bool,
    bought: HashMap<i64, i64>,
    keys: HashMap<(i64, String), (String, i64)>,
}

enum Decision {
    Accept,
    Replay(i64),
    /// Repeats the key of an earlier buy in the same batch: answered with that buy's order.
    SameKeyAs(usize),
    Refuse(CommerceError),
}

impl View {
    async fn load(store: &Store, sale: &FlashSale) -> Result<Self, CommerceError> {
        let bought =
            sqlx::query("SELECT customer_id, quantity FROM flash_buyers WHERE sale_id = $1")
                .bind(sale.id)
                .fetch_all(store.pool())
                .await?
                .iter()
                .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
                .collect::<Result<HashMap<i64, i64>, sqlx::Error>>()?;
        let keys = sqlx::query(
            "SELECT k.customer_id, k.key, k.request_hash, k.order_id FROM idempotency_keys k
             JOIN orders o ON o.id = k.order_id WHERE o.flash_sale_id = $1 AND k.expires_at > $2",
        )
        .bind(sale.id)
        .bind(Timestamp::now().millis())
        .fetch_all(store.pool())
        .await?
        .iter()
        .map(|r| {
            Ok((
                (r.try_get(0)?, r.try_get(1)?),
                (r.try_get(2)?, r.try_get(3)?),
            ))
        })
        .collect::<Result<HashMap<_, _>, sqlx::Error>>()?;
        Ok(Self {
            sale_id: sale.id,
            remaining: sale.remaining,
            per_customer: sale.per_customer,
            starts_at: sale.starts_at.millis(),
            ends_at: sale.ends_at.millis(),
            ended: sale.ended_at.is_some(),
            bought,
            keys,
        })
    }

    /// Refreshes what the database knows better: the sale's remaining units and end, and the
    /// quantities and keys of `customers`.
    async fn reload(&mut self, store: &Store, customers: &[i64]) -> Result<(), CommerceError> {
        let sale_id = self.sale_id;
        let r = sqlx::query("SELECT remaining, ends_at, ended_at FROM flash_sales WHERE id = $1")
            .bind(sale_id)
            .fetch_one(store.pool())
            .await?;
        self.remaining = r.try_get("remaining")?;
        self.ends_at = r.try_get("ends_at")?;
        self.ended = r.try_get::<Option<i64>, _>("ended_at")?.is_some();
        for c in customers {
            let q: Option<i64> = sqlx::query(
                "SELECT quantity FROM flash_buyers WHERE sale_id = $1 AND customer_id = $2",
            )
            .bind(sale_id)
            .bind(c)
            .fetch_optional(store.pool())
            .await?
            .map(|r| r.try_get(0))
            .transpose()?;
            self.bought.insert(*c, q.unwrap_or(0));
            let keys = sqlx::query(
                "SELECT key, request_hash, order_id FROM idempotency_keys
                 WHERE customer_id = $1 AND expires_at > $2",
            )
            .bind(c)
            .bind(Timestamp::now().millis())
            .fetch_all(store.pool())
            .await?;
            for k in keys {
                self.keys
                    .insert((*c, k.try_get(0)?), (k.try_get(1)?, k.try_get(2)?));
            }
        }
        Ok(())
    }

    /// Decides each buy in order against the committed view plus what this batch has already
    /// accepted. A refusal for stock or a limit is confirmed against the database first.
    async fn decide(
        &mut self,
        buys: &[&Buy],
        now: i64,
        store: &Store,
    ) -> Result<Batch, CommerceError> {
        let mut out = Batch::default();
        let mut seen: HashMap<(i64, &str), usize> = HashMap::new();
        for (i, b) in buys.iter().enumerate() {
            if let Some(key) = b.key.as_deref() {
                if let Some((hash, order)) = self.keys.get(&(b.customer_id, key.to_owned())) {
                    out.decisions.push(if *hash == b.request_hash {
                        Decision::Replay(*order)
                    } else {
                        Decision::Refuse(CommerceError::IdempotencyKeyReused)
                    });
                    continue;
                }
                if let Some(first) = seen.get(&(b.customer_id, key)) {
                    out.decisions
                        .push(if buys[*first].request_hash == b.request_hash {
                            Decision::SameKeyAs(*first)
                        } else {
                            Decision::Refuse(CommerceError::IdempotencyKeyReused)
                        });
                    continue;
                }
            }
            if now < self.starts_at {
                out.decisions
                    .push(Decision::Refuse(CommerceError::IllegalTransition(
                        "the flash sale has not started yet".into(),
                    )));
                continue;
            }
            if self.ended || now >= self.ends_at {
                out.decisions
                    .push(Decision::Refuse(CommerceError::IllegalTransition(
                        "the flash sale has ended".into(),
                    )));
                continue;
            }
            let pending = out.per_customer.get(&b.customer_id).copied().unwrap_or(0);
            let had = self.bought.get(&b.customer_id).copied().unwrap_or(0);
            if had + pending + b.quantity > self.per_customer {
                // A cancelled order may have given units back: ask the database before refusing.
                let fresh: Option<i64> = sqlx::query(
                    "SELECT quantity FROM flash_buyers WHERE sale_id = $1 AND customer_id = $2",
                )
                .bind(self.sale_id)
                .bind(b.customer_id)
                .fetch_optional(store.pool())
                .await?
                .map(|r| r.try_get(0))
                .transpose()?;
                let fresh = fresh.unwrap_or(0);
                self.bought.insert(b.customer_id, fresh);
                if fresh + pending + b.quantity > self.per_customer {
                    out.decisions
                        .push(Decision::Refuse(CommerceError::Invalid(format!(
                            "quantity: this flash sale allows {} per customer and you have {}",
                            self.per_customer,
                            fresh + pending
                        ))));
                    continue;
                }
            }
            if self.remaining - out.units < b.quantity && !out.reloaded {
                // Units may have come back since: once per batch, ask the database.
                self.reload(store, &[]).await?;
                out.reloaded = true;
            }
            let left = self.remaining - out.units;
            if left < b.quantity {
                out.decisions
                    .push(Decision::Refuse(CommerceError::OutOfStock(if left <= 0 {
                        "sold out".into()
                    } else {
                        format!("only {left} left")
                    })));
                continue;
            }
            out.units += b.quantity;
            *out.per_customer.entry(b.customer_id).or_default() += b.quantity;
            if let Some(key) = b.key.as_deref() {
                seen.insert((b.customer_id, key), i);
            }
            out.decisions.push(Decision::Accept);
        }
        Ok(out)
    }

    /// The batch is written: its units and quantities become the committed view.
    fn committed(&mut self, batch: &Batch) {
        self.remaining -= batch.units;
        for (c, q) in &batch.per_customer {
            *self.bought.entry(*c).or_default() += q;
        }
    }
}

/// A batch as decided: one decision per buy, and what the accepted ones take.
#[derive(Default)]
struct Batch {
    decisions: Vec<Decision>,
    reloaded: bool,
    units: i64,
    per_customer: HashMap<i64, i64>,
}

struct Writer {
    ledger: Ledger,
    sale_id: i64,
    figures: Arc<SaleFigures>,
    view: Option<View>,
}

impl Writer {
    async fn run(mut self, mut rx: mpsc::Receiver<Job>) {
        loop {
            // A writer with nothing to do for a minute stops; the next buy starts another.
            let first = match tokio::time::timeout(Duration::from_secs(60), rx.recv()).await {
                Ok(Some(j)) => j,
                Ok(None) | Err(_) => break,
            };
            let mut jobs = vec![first];
            while jobs.len() < MAX_BATCH {
                match rx.try_recv() {
                    Ok(j) => jobs.push(j),
                    Err(_) => break,
                }
            }
            self.figures
                .queue_depth
                .fetch_sub(jobs.len() as u64, Ordering::Relaxed);
            self.batch(jobs).await;
        }
        rx.close();
        // Whatever arrived while closing is answered, not dropped.
        let mut rest = Vec::new();
        while let Ok(j) = rx.try_recv() {
            rest.push(j);
        }
        if !rest.is_empty() {
            self.figures
                .queue_depth
                .fetch_sub(rest.len() as u64, Ordering::Relaxed);
            self.batch(rest).await;
        }
    }

    async fn batch(&mut self, jobs: Vec<Job>) {
        let jobs = match fill_addresses(&self.ledger.store, jobs).await {
            Ok(jobs) => jobs,
            Err((jobs, e)) => {
                let msg = e.to_string();
                for job in jobs {
                    let _ = job.reply.send(Err(CommerceError::Conflict(format!(
                        "the order could not be written ({msg}); try again"
                    ))));
                }
                return;
            }
        };
        if jobs.is_empty() {
            return;
        }
        match self.try_batch(&jobs).await {
            Ok(answers) => {
                for (job, answer) in jobs.into_iter().zip(answers) {
                    let _ = job.reply.send(answer);
                }
            }
            Err(e) => {
                // Nothing of the batch was written: everyone hears why, and the view is
                // reloaded for the next batch.
                tracing::error!(sale = self.sale_id, error = %e, "flash sale batch failed");
                self.view = None;
                let msg = e.to_string();
                for job in jobs {
                    let _ = job.reply.send(Err(CommerceError::Conflict(format!(
                        "the order could not be written ({msg}); try again"
                    ))));
                }
            }
        }
    }

    async fn try_batch(
        &mut self,
        jobs: &[Job],
    ) -> Result<Vec<Result<Placed, CommerceError>>, CommerceError> {
        let store = self.ledger.store.clone();
        let sale = self.ledger.sales.get(self.sale_id).await?;
        if self.view.is_none() {
            self.view = Some(View::load(&store, &sale).await?);
        }
        let buys: Vec<&Buy> = jobs.iter().map(|j| &j.buy).collect();
        for attempt in 0..5 {
            let view = self.view.as_mut().expect("loaded above");
            let batch = view
                .decide(&buys, Timestamp::now().millis(), &store)
                .await?;
            let accepted: Vec<&Buy> = buys
                .iter()
                .zip(&batch.decisions)
                .filter(|(_, d)| matches!(d, Decision::Accept))
                .map(|(b, _)| *b)
                .collect();
            let started = Instant::now();
            let ids = if accepted.is_empty() {
                Ok(Vec::new())
            } else {
                commit(&store, &sale, &accepted).await?
            };
            match ids {
                Ok(ids) => {
                    view.committed(&batch);
                    record_figures(&self.figures, buys.len(), &accepted, started.elapsed());
                    let mut placed = Vec::with_capacity(accepted.len());
                    let mut next = ids.iter();
                    let mut answers: Vec<Result<Placed, CommerceError>> =
                        Vec::with_capacity(buys.len());
                    for (b, d) in buys.iter().zip(batch.decisions) {
                        answers.push(match d {
                            Decision::Accept => {
                                let (id, number) =
                                    next.next().cloned().expect("an id per accepted buy");
                                if let Some(k) = &b.key {
                                    view.keys.insert(
                                        (b.customer_id, k.clone()),
                                        (b.request_hash.clone(), id),
                                    );
                                }
                                placed.push((*b, id));
                                Ok(Placed::New {
                                    id,
                                    number,
                                    address: b.address.clone(),
                                    customer_name: b.customer_name.clone(),
                                })
                            }
                            Decision::Replay(id) => Ok(Placed::Replayed(id)),
                            Decision::Refuse(e) => Err(e),
                            Decision::SameKeyAs(first) => match &answers[first] {
                                Ok(Placed::New { id, .. } | Placed::Replayed(id)) => {
                                    Ok(Placed::Replayed(*id))
                                }
                                Ok(Placed::Queued(n)) => Ok(Placed::Queued(n.clone())),
                                Err(e) => Err(CommerceError::Conflict(e.to_string())),
                            },
                        });
                    }
                    if !placed.is_empty() {
                        let remaining = view.remaining;
                        self.ledger
                            .after_commit(&sale, &placed, Some(remaining))
                            .await;
                    }
                    return Ok(answers);
                }
                Err(Disagreement) => {
                    // Another node took units or a buyer's quantity meanwhile: the database's
                    // figures replace ours and the batch is decided again.
                    let customers: Vec<i64> = accepted.iter().map(|b| b.customer_id).collect();
                    view.reload(&store, &customers).await?;
                    tracing::debug!(sale = self.sale_id, attempt, "ledger view reloaded");
                }
            }
        }
        Err(CommerceError::Conflict(
            "the sale is too contended right now; try again".into(),
        ))
    }
}

/// Reads the addresses (and buyers' names) of the buys that need them in one query; a buy whose
/// address is not the buyer's is answered at once and left out.
async fn fill_addresses(
    store: &Store,
    mut jobs: Vec<Job>,
) -> Result<Vec<Job>, (Vec<Job>, CommerceError)> {
    let wanted: Vec<i64> = jobs
        .iter()
        .filter(|j| j.buy.address.is_empty())
        .map(|j| j.buy.address_id)
        .collect();
    if wanted.is_empty() {
        return Ok(jobs);
    }
    let mut found: HashMap<i64, (i64, String, String)> = HashMap::with_capacity(wanted.len());
    for chunk in wanted.chunks(256) {
        // The list is padded to one of a few lengths (repeating its last id), so the database
        // plans four statements in all rather than one per batch size. The name is a subquery:
        // an index probe per address whatever the planner believes about `accounts`.
        let padded = chunk.len().next_power_of_two().max(16);
        let sql = format!(
            "SELECT d.id, d.account_id, d.recipient, d.phone, d.region, d.detail,
                    (SELECT a.nickname FROM accounts a WHERE a.id = d.account_id) AS nickname
             FROM addresses d WHERE d.id IN ({})",
            crate::catalog::store::placeholders(1, padded)
        );
        let mut q = sqlx::query(&sql);
        for i in 0..padded {
            q = q.bind(chunk[i.min(chunk.len() - 1)]);
        }
        let rows = match q.fetch_all(store.pool()).await {
            Ok(r) => r,
            Err(e) => return Err((jobs, e.into())),
        };
        for r in rows {
            let read = (|| -> Result<(i64, (i64, String, String)), sqlx::Error> {
                let address = crate::orders::address_json(&r)?;
                Ok((
                    r.try_get("id")?,
                    (
                        r.try_get("account_id")?,
                        address.to_string(),
                        r.try_get("nickname")?,
                    ),
                ))
            })();
            match read {
                Ok((id, v)) => {
                    found.insert(id, v);
                }
                Err(e) => return Err((jobs, e.into())),
            }
        }
    }
    let mut kept = Vec::with_capacity(jobs.len());
    for mut job in jobs.drain(..) {
        if job.buy.address.is_empty() {
            match found.get(&job.buy.address_id) {
                Some((owner, address, name)) if *owner == job.buy.customer_id => {
                    job.buy.address = address.clone();
                    job.buy.customer_name = name.clone();
                }
                _ => {
                    let _ = job
                        .reply
                        .send(Err(CommerceError::NotFound("address", job.buy.address_id)));
                    continue;
                }
            }
        }
        kept.push(job);
    }
    Ok(kept)
}

/// The database refused the batch as decided: someone else changed the sale meanwhile.
#[derive(Debug)]
pub struct Disagreement;

/// Writes a decided batch in one transaction: the units, the buyers' quantities, the orders and
/// their lines, keys, history and events. `Ok(Err(Disagreement))` when the database's figures
/// differ from the writer's (nothing is written then).
async fn commit(
    store: &Store,
    sale: &FlashSale,
    buys: &[&Buy],
) -> Result<Result<Vec<(i64, String)>, Disagreement>, CommerceError> {
    let now = Timestamp::now().millis();
    let numbers: Vec<String> = buys
        .iter()
        .map(|_| crate::orders::order_number(now))
        .collect();
    commit_numbered(store, sale, buys, &numbers).await
}

/// [`commit`] with the order numbers given (the Redis baseline told them to buyers already).
pub(crate) async fn commit_numbered(
    store: &Store,
    sale: &FlashSale,
    buys: &[&Buy],
    numbers: &[String],
) -> Result<Result<Vec<(i64, String)>, Disagreement>, CommerceError> {
    let now = Timestamp::now().millis();
    let units: i64 = buys.iter().map(|b| b.quantity).sum();
    let mut tx = store.begin_write().await?;
    let taken = sqlx::query(
        "UPDATE flash_sales SET remaining = remaining - $1
         WHERE id = $2 AND remaining >= $1 AND ended_at IS NULL",
    )
    .bind(units)
    .bind(sale.id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if taken == 0 {
        return Ok(Err(Disagreement));
    }
    // Each buyer's quantity grows only within the limit.
    let mut per_customer: Vec<(i64, i64)> = Vec::new();
    for b in buys {
        match per_customer.iter_mut().find(|(c, _)| *c == b.customer_id) {
            Some((_, q)) => *q += b.quantity,
            None => per_customer.push((b.customer_id, b.quantity)),
        }
    }
    let rows_per = rows_per_insert(store);
    for chunk in per_customer.chunks(rows_per) {
        let sql = format!(
            "INSERT INTO flash_buyers (sale_id, customer_id, quantity) VALUES {}
             ON CONFLICT (sale_id, customer_id) DO UPDATE SET quantity = flash_buyers.quantity + excluded.quantity
             WHERE flash_buyers.quantity + excluded.quantity <= {}",
            value_rows(store.backend(), chunk.len(), 3),
            sale.per_customer
        );
        let mut q = sqlx::query(&sql);
        for (c, n) in chunk {
            q = q.bind(sale.id).bind(*c).bind(*n);
        }
        if (q.execute(&mut *tx).await?.rows_affected() as usize) < chunk.len() {
            return Ok(Err(Disagreement));
        }
    }
    let mut ids: HashMap<String, i64> = HashMap::with_capacity(buys.len());
    for (chunk, nums) in buys.chunks(rows_per).zip(numbers.chunks(rows_per)) {
        let sql = format!(
            "INSERT INTO orders (number, customer_id, session_id, channel, state, goods_fen,
                shipping_fen, total_fen, points_used, points_per_yuan, address, note, price_lines,
                pay_deadline, created_at, updated_at, flash_sale_id)
             VALUES {} RETURNING id, number",
            value_rows(store.backend(), chunk.len(), 17)
        );
        let mut q = sqlx::query(&sql);
        for (b, number) in chunk.iter().zip(nums) {
            q = q
                .bind(number)
                .bind(b.customer_id)
                .bind(sale.session_id)
                .bind(&b.channel)
                .bind("pending_payment")
                .bind(b.goods_fen)
                .bind(b.shipping_fen)
                .bind(b.total_fen)
                .bind(0_i64)
                .bind(b.points_per_yuan)
                .bind(&b.address)
                .bind(&b.note)
                .bind(serde_json::to_string(&b.price_lines).unwrap_or_default())
                .bind(b.pay_deadline)
                .bind(now)
                .bind(now)
                .bind(sale.id);
        }
        let inserted = match q.fetch_all(&mut *tx).await {
            Ok(rows) => rows,
            // Two orders drew the same number: decide and number the batch again.
            Err(e) if sellstream_store::unique_violation(&e).is_some() => {
                return Ok(Err(Disagreement))
            }
            Err(e) => return Err(e.into()),
        };
        for r in inserted {
            ids.insert(r.try_get("number")?, r.try_get("id")?);
        }
    }
    let order_ids: Vec<i64> = numbers
        .iter()
        .map(|number| {
            ids.get(number)
                .copied()
                .ok_or_else(|| CommerceError::Corrupt("an inserted order went missing".into()))
        })
        .collect::<Result<_, _>>()?;
    for (chunk, idc) in buys.chunks(rows_per).zip(order_ids.chunks(rows_per)) {
        let sql = format!(
            "INSERT INTO order_lines (order_id, line_no, sku_id, product_id, title, sku_code,
                attributes, image, quantity, unit_price, amount, membership, campaign, coupon,
                points_fen, payable)
             VALUES {}",
            value_rows(store.backend(), chunk.len(), 16)
        );
        let mut q = sqlx::query(&sql);
        for (b, id) in chunk.iter().zip(idc) {
            q = q
                .bind(*id)
                .bind(1_i64)
                .bind(sale.sku_id)
                .bind(sale.product_id)
                .bind(&sale.title)
                .bind(&b.sku_code)
                .bind(&b.attributes)
                .bind(&b.image)
                .bind(b.quantity)
                .bind(b.unit_price)
                .bind(b.unit_price * b.quantity)
                .bind(0_i64)
                .bind(0_i64)
                .bind(0_i64)
                .bind(0_i64)
                .bind(b.goods_fen);
        }
        q.execute(&mut *tx).await?;
        let sql = format!(
            "INSERT INTO order_history (order_id, from_state, to_state, actor, actor_id, note, at) VALUES {}",
            value_rows(store.backend(), chunk.len(), 7)
        );
        let mut q = sqlx::query(&sql);
        for (b, id) in chunk.iter().zip(idc) {
            q = q
                .bind(*id)
                .bind(None::<String>)
                .bind("pending_payment")
                .bind("customer")
                .bind(b.customer_id)
                .bind(format!("flash sale {}", sale.id))
                .bind(now);
        }
        q.execute(&mut *tx).await?;
        let sql = format!(
            "INSERT INTO order_events (kind, order_id, session_id, channel, customer_id, amount, payload, at) VALUES {}",
            value_rows(store.backend(), chunk.len(), 8)
        );
        let mut q = sqlx::query(&sql);
        for (b, id) in chunk.iter().zip(idc) {
            q = q
                .bind("order.placed")
                .bind(*id)
                .bind(sale.session_id)
                .bind(&b.channel)
                .bind(b.customer_id)
                .bind(b.total_fen)
                .bind(
                    serde_json::json!({
                        "flash_sale_id": sale.id,
                        "items": [{"sku_id": sale.sku_id, "product_id": sale.product_id,
                                   "quantity": b.quantity, "payable": b.goods_fen}],
                    })
                    .to_string(),
                )
                .bind(now);
        }
        q.execute(&mut *tx).await?;
        let keyed: Vec<(&&Buy, &i64)> = chunk
            .iter()
            .zip(idc)
            .filter(|(b, _)| b.key.is_some())
            .collect();
        if !keyed.is_empty() {
            let sql = format!(
                "INSERT INTO idempotency_keys (customer_id, key, request_hash, order_id, expires_at)
                 VALUES {} ON CONFLICT (customer_id, key) DO NOTHING",
                value_rows(store.backend(), keyed.len(), 5)
            );
            let mut q = sqlx::query(&sql);
            for (b, id) in &keyed {
                q = q
                    .bind(b.customer_id)
                    .bind(b.key.as_deref())
                    .bind(&b.request_hash)
                    .bind(**id)
                    .bind(now + crate::orders::IDEMPOTENCY_TTL_MS);
            }
            if (q.execute(&mut *tx).await?.rows_affected() as usize) < keyed.len() {
                // A key was used meanwhile (another node, or a plain order): decide again.
                return Ok(Err(Disagreement));
            }
        }
    }
    tx.commit().await?;
    Ok(Ok(order_ids
        .into_iter()
        .zip(numbers.iter().cloned())
        .collect()))
}

/// Rows per multi-row INSERT. SQLite finds a `$N` parameter's name by a linear scan, so binding
/// costs grow with the square of a statement's parameters (measured: 20 % of the server's CPU at
/// 200 rows); PostgreSQL binds by position and takes large statements happily.
fn rows_per_insert(store: &Store) -> usize {
    match store.backend() {
        sellstream_store::Backend::Sqlite => 24,
        sellstream_store::Backend::Postgres => 200,
    }
}
