//! The popular non-durable design, kept as the bench's `redis_lua` baseline: a Lua script checks
//! and decrements the sale's units and the buyer's count in Redis, the buyer is answered at once,
//! and the order is written to the database afterwards by a background task. Fast — and an
//! acknowledged order is lost if the process dies before that write. Never use it for real sales.

use super::ledger::{commit_numbered, Buy};
use super::FlashSale;
use crate::CommerceError;
use redis::aio::MultiplexedConnection;
use redis::Script;
use sellstream_store::Store;
use std::sync::Arc;
use tokio::sync::{mpsc, Mutex, OnceCell};

const SCRIPT: &str = r#"
-- KEYS: units left, buyers' counts, the idempotency key (or a dummy)
-- ARGV: customer, quantity, limit, quota, use key (1/0), order number
if redis.call('EXISTS', KEYS[1]) == 0 then redis.call('SET', KEYS[1], ARGV[4]) end
if ARGV[5] == '1' then
  local prev = redis.call('GET', KEYS[3])
  if prev then return {2, prev} end
end
local had = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0')
if had + tonumber(ARGV[2]) > tonumber(ARGV[3]) then return {-2, ''} end
local left = tonumber(redis.call('GET', KEYS[1]))
if left < tonumber(ARGV[2]) then return {-1, ''} end
redis.call('DECRBY', KEYS[1], ARGV[2])
redis.call('HINCRBY', KEYS[2], ARGV[1], ARGV[2])
if ARGV[5] == '1' then redis.call('SET', KEYS[3], ARGV[6], 'EX', 86400) end
return {1, ARGV[6]}
"#;

/// Orders told to buyers and waiting to be written, with their numbers.
type Queue = mpsc::UnboundedSender<(Buy, String)>;

/// What the script said.
pub enum Answer {
    /// Taken: the order number told to the buyer (written later).
    Taken(String),
    /// The key was used before: the number it got.
    Replayed(String),
}

#[derive(Clone)]
pub struct RedisBaseline {
    url: String,
    conn: Arc<OnceCell<MultiplexedConnection>>,
    writers: Arc<Mutex<std::collections::HashMap<i64, Queue>>>,
    store: Store,
}

impl RedisBaseline {
    pub fn new(store: Store, url: String) -> Self {
        Self {
            url,
            conn: Arc::default(),
            writers: Arc::default(),
            store,
        }
    }

    async fn conn(&self) -> Result<MultiplexedConnection, CommerceError> {
        let c = self
            .conn
            .get_or_try_init(|| async {
                let client = redis::Client::open(self.url.as_str())
                    .map_err(|e| CommerceError::Payment(format!("redis: {e}")))?;
                client
                    .get_multiplexed_async_connection()
                    .await
                    .map_err(|e| CommerceError::Busy(format!("redis: {e}")))
            })
            .await?;
        Ok(c.clone())
    }

    /// Checks and takes in Redis, answers, and queues the order for writing.
    pub async fn buy(
        &self,
        sale: &FlashSale,
        buy: Buy,
        number: String,
    ) -> Result<Answer, CommerceError> {
        let prefix = format!("ss:flash:{}:{}", sale.id, sale.created_at.millis());
        let key = match &buy.key {
            Some(k) => format!("{prefix}:key:{}:{k}", buy.customer_id),
            None => format!("{prefix}:key:-"),
        };
        let mut conn = self.conn().await?;
        let (code, value): (i64, String) = Script::new(SCRIPT)
            .key(format!("{prefix}:left"))
            .key(format!("{prefix}:buyers"))
            .key(key)
            .arg(buy.customer_id)
            .arg(buy.quantity)
            .arg(sale.per_customer)
            .arg(sale.quota)
            .arg(if buy.key.is_some() { "1" } else { "0" })
            .arg(&number)
            .invoke_async(&mut conn)
            .await
            .map_err(|e| CommerceError::Busy(format!("redis: {e}")))?;
        match code {
            1 => {
                self.writer(sale).await.send((buy, value.clone())).ok();
                Ok(Answer::Taken(value))
            }
            2 => Ok(Answer::Replayed(value)),
            -2 => Err(CommerceError::Invalid(format!(
                "quantity: this flash sale allows {} per customer",
                sale.per_customer
            ))),
            _ => Err(CommerceError::OutOfStock("sold out".into())),
        }
    }

    /// The background writer of a sale's orders: batches of what arrived, written after the
    /// buyers were answered.
    async fn writer(&self, sale: &FlashSale) -> mpsc::UnboundedSender<(Buy, String)> {
        let mut writers = self.writers.lock().await;
        if let Some(tx) = writers.get(&sale.id) {
            return tx.clone();
        }
        let (tx, mut rx) = mpsc::unbounded_channel::<(Buy, String)>();
        writers.insert(sale.id, tx.clone());
        let (store, sale) = (self.store.clone(), sale.clone());
        tokio::spawn(async move {
            while let Some(first) = rx.recv().await {
                let mut batch = vec![first];
                while batch.len() < 1024 {
                    match rx.try_recv() {
                        Ok(b) => batch.push(b),
                        Err(_) => break,
                    }
                }
                let buys: Vec<&Buy> = batch.iter().map(|(b, _)| b).collect();
                let numbers: Vec<String> = batch.iter().map(|(_, n)| n.clone()).collect();
                match commit_numbered(&store, &sale, &buys, &numbers).await {
                    Ok(Ok(_)) => {}
                    // The design's weakness, kept visible: these buyers were told "yours".
                    Ok(Err(_)) | Err(_) => tracing::error!(
                        sale = sale.id,
                        orders = batch.len(),
                        "redis baseline: acknowledged orders could not be written and are lost"
                    ),
                }
            }
        });
        tx
    }
}
