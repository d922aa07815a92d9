//! The outbox: messages to people and systems written in the same transaction as the change that
//! causes them, then delivered by a dispatcher with retries. A sender per channel: in-app (the
//! row itself is the customer's inbox entry), webhooks (signed JSON), and email and SMS behind the
//! same trait (docs/notifications.md says how to plug in a real provider).

use crate::OpsError;
use hmac::{Hmac, Mac};
use sellstream_core::Timestamp;
use sellstream_store::{get_flag, Row, Store};
use serde::Serialize;
use serde_json::{json, Value};
use sha2::Sha256;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;
use utoipa::ToSchema;

/// Attempts before a message is given up as failed.
pub const MAX_ATTEMPTS: i64 = 8;
/// A claimed message is retried by any node after this long without an answer.
const LEASE_MS: i64 = 60_000;
const BATCH: i64 = 50;
const WEBHOOK_TIMEOUT: Duration = Duration::from_secs(10);
const MAX_WEBHOOKS: i64 = 20;

/// One message as a sender sees it.
#[derive(Debug, Clone)]
pub struct Message {
    pub id: i64,
    pub topic: String,
    pub channel: String,
    pub account_id: Option<i64>,
    /// Phone or email for SMS and email; the URL for a webhook.
    pub target: String,
    pub title: String,
    pub body: String,
    pub payload: Value,
    /// The webhook's signing secret.
    pub secret: Option<String>,
    pub attempt: i64,
}

pub type SendResult<'a> = Pin<Box<dyn Future<Output = Result<(), String>> + Send + 'a>>;

/// Delivers messages of one channel. An error is retried with backoff; `Ok` is final.
pub trait Sender: Send + Sync {
    fn channel(&self) -> &'static str;
    fn send<'a>(&'a self, m: &'a Message) -> SendResult<'a>;
}

/// In-app: the notification row is what the customer's inbox shows; delivering it is marking it
/// sent.
pub struct InApp;

impl Sender for InApp {
    fn channel(&self) -> &'static str {
        "in_app"
    }
    fn send<'a>(&'a self, _m: &'a Message) -> SendResult<'a> {
        Box::pin(async { Ok(()) })
    }
}

/// `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, as the `X-Sellstream-Signature`
/// header carries it.
pub fn signature(secret: &str, t: i64, body: &str) -> String {
    format!("t={t},v1={}", hmac_hex(secret, &format!("{t}.{body}")))
}

fn hmac_hex(key: &str, msg: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).expect("any key length");
    mac.update(msg.as_bytes());
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// POSTs the payload as JSON, signed with the webhook's secret; any 2xx is delivered.
pub struct Webhook {
    client: reqwest::Client,
}

impl Webhook {
    pub fn new() -> Self {
        Self {
            client: reqwest::Client::builder()
                .timeout(WEBHOOK_TIMEOUT)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("http client"),
        }
    }
}

impl Default for Webhook {
    fn default() -> Self {
        Self::new()
    }
}

impl Sender for Webhook {
    fn channel(&self) -> &'static str {
        "webhook"
    }
    fn send<'a>(&'a self, m: &'a Message) -> SendResult<'a> {
        Box::pin(async move {
            let body = m.payload.to_string();
            let secret = m.secret.as_deref().ok_or("the webhook is gone")?;
            let sig = signature(secret, Timestamp::now().millis() / 1000, &body);
            let res = self
                .client
                .post(&m.target)
                .header("content-type", "application/json")
                .header("x-sellstream-event", &m.topic)
                .header("x-sellstream-delivery", m.id.to_string())
                .header("x-sellstream-signature", sig)
                .body(body)
                .send()
                .await
                .map_err(|e| format!("request failed: {e}"))?;
            if res.status().is_success() {
                Ok(())
            } else {
                Err(format!("answered {}", res.status()))
            }
        })
    }
}

/// Email or SMS for development and demos: writes the message to the log instead of a provider,
/// with the address masked. A real deployment registers its provider's sender under the same
/// channel name (docs/notifications.md).
pub struct LogSender {
    pub channel: &'static str,
}

fn mask(target: &str) -> String {
    let n = target.chars().count();
    target
        .chars()
        .enumerate()
        .map(|(i, c)| if i < 3 || i + 2 >= n { c } else { '*' })
        .collect()
}

impl Sender for LogSender {
    fn channel(&self) -> &'static str {
        self.channel
    }
    fn send<'a>(&'a self, m: &'a Message) -> SendResult<'a> {
        Box::pin(async move {
            tracing::info!(channel = self.channel, to = %mask(&m.target), title = %m.title, "notification (log sender)");
            Ok(())
        })
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Notification {
    pub id: i64,
    pub topic: String,
    pub channel: String,
    pub session_id: Option<i64>,
    pub title: String,
    pub body: String,
    #[schema(value_type = Object)]
    pub payload: Value,
    /// pending, sending, sent or failed.
    pub state: String,
    pub attempts: i64,
    pub next_attempt_at: Timestamp,
    pub last_error: Option<String>,
    pub created_at: Timestamp,
    pub sent_at: Option<Timestamp>,
    pub read_at: Option<Timestamp>,
    /// The address, masked (staff view only).
    pub target: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WebhookInfo {
    pub id: i64,
    pub url: String,
    /// The signing secret in full only in the answer that created it; masked after.
    pub secret: String,
    pub enabled: bool,
    pub created_at: Timestamp,
}

struct Inner {
    store: Store,
    senders: Vec<Arc<dyn Sender>>,
    wake: tokio::sync::Notify,
    retry_base_ms: i64,
}

#[derive(Clone)]
pub struct Outbox {
    inner: Arc<Inner>,
}

const NOTE_SELECT: &str = "SELECT id, topic, channel, session_id, title, body, payload, state,
    attempts, next_attempt_at, last_error, created_at, sent_at, read_at, target FROM notifications";

fn note_from_row(r: &sellstream_store::AnyRow) -> Result<Notification, OpsError> {
    let ts = |i: usize| -> Result<Option<Timestamp>, sqlx::Error> {
        Ok(r.try_get::<Option<i64>, _>(i)?.map(Timestamp::from_millis))
    };
    Ok(Notification {
        id: r.try_get(0)?,
        topic: r.try_get(1)?,
        channel: r.try_get(2)?,
        session_id: r.try_get(3)?,
        title: r.try_get(4)?,
        body: r.try_get(5)?,
        payload: serde_json::from_str(&r.try_get::<String, _>(6)?).unwrap_or(Value::Null),
        state: r.try_get(7)?,
        attempts: r.try_get(8)?,
        next_attempt_at: Timestamp::from_millis(r.try_get(9)?),
        last_error: r.try_get(10)?,
        created_at: Timestamp::from_millis(r.try_get(11)?),
        sent_at: ts(12)?,
        read_at: ts(13)?,
        target: mask(&r.try_get::<String, _>(14)?),
    })
}

/// Delay before attempt `n + 1` after `n` failures: base × 2^(n−1), at most an hour.
pub fn backoff_ms(base: i64, failures: i64) -> i64 {
    (base << (failures - 1).clamp(0, 20)).min(3_600_000)
}

impl Outbox {
    /// In-app and webhook senders, plus `extra` (email, SMS).
    pub fn new(store: Store, extra: Vec<Arc<dyn Sender>>, retry_base_ms: i64) -> Self {
        let mut senders: Vec<Arc<dyn Sender>> = vec![Arc::new(InApp), Arc::new(Webhook::new())];
        senders.extend(extra);
        Self {
            inner: Arc::new(Inner {
                store,
                senders,
                wake: tokio::sync::Notify::new(),
                retry_base_ms: retry_base_ms.max(1),
            }),
        }
    }

    fn has(&self, channel: &str) -> bool {
        self.inner.senders.iter().any(|s| s.channel() == channel)
    }

    fn store(&self) -> &Store {
        &self.inner.store
    }

    /// Queues the reminders of a session that has just gone live: one in-app message (and SMS or
    /// email when such a sender is registered) per subscriber not yet told, one per enabled
    /// webhook; marks the reminders notified in the same transaction, so a second call (another
    /// node, a retry) queues nothing twice.
    pub async fn session_started(&self, session: i64, url: &str) -> Result<usize, OpsError> {
        let store = self.store();
        let row = sqlx::query("SELECT title FROM live_sessions WHERE id = $1")
            .bind(session)
            .fetch_optional(store.pool())
            .await?
            .ok_or_else(|| OpsError::NotFound(format!("session {session}")))?;
        let title: String = row.try_get(0)?;
        let now = Timestamp::now().millis();
        let mut tx = store.begin_write().await?;
        let subscribers = sqlx::query(
            "SELECT r.account_id, COALESCE(a.phone, ''), COALESCE(a.email, '') FROM reminders r
             JOIN accounts a ON a.id = r.account_id
             WHERE r.session_id = $1 AND r.notified_at IS NULL",
        )
        .bind(session)
        .fetch_all(&mut *tx)
        .await?;
        let heading = format!("开播了：{title}");
        let body = "你预约的直播开始了，点击进入直播间。".to_owned();
        let payload = json!({"event": "session.started", "session": {"id": session, "title": title, "url": url}});
        let mut queued = 0;
        let insert =
            "INSERT INTO notifications (topic, channel, session_id, account_id, webhook_id,
            target, title, body, payload, next_attempt_at, created_at)
            VALUES ('session.started', $1, $2, $3, $4, $5, $6, $7, $8, $9, $9)";
        for r in &subscribers {
            let account: i64 = r.try_get(0)?;
            let phone: String = r.try_get(1)?;
            let email: String = r.try_get(2)?;
            let mut channels = vec![("in_app", String::new())];
            if self.has("sms") && !phone.is_empty() {
                channels.push(("sms", phone));
            }
            if self.has("email") && !email.is_empty() {
                channels.push(("email", email));
            }
            for (channel, target) in channels {
                sqlx::query(insert)
                    .bind(channel)
                    .bind(session)
                    .bind(account)
                    .bind(None::<i64>)
                    .bind(target)
                    .bind(&heading)
                    .bind(&body)
                    .bind(payload.to_string())
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                queued += 1;
            }
        }
        sqlx::query(
            "UPDATE reminders SET notified_at = $1 WHERE session_id = $2 AND notified_at IS NULL",
        )
        .bind(now)
        .bind(session)
        .execute(&mut *tx)
        .await?;
        // Systems hear of a start once, even if this is called again.
        let told: i64 = sqlx::query(
            "SELECT COUNT(*) FROM notifications WHERE session_id = $1 AND topic = 'session.started'
             AND channel = 'webhook'",
        )
        .bind(session)
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        let hooks = if told > 0 {
            vec![]
        } else {
            sqlx::query("SELECT id, url, enabled FROM webhooks")
                .fetch_all(&mut *tx)
                .await?
        };
        for h in &hooks {
            if !get_flag(h, "enabled")? {
                continue;
            }
            let mut p = payload.clone();
            p["reminders"] = json!(subscribers.len());
            sqlx::query(insert)
                .bind("webhook")
                .bind(session)
                .bind(None::<i64>)
                .bind(h.try_get::<i64, _>(0)?)
                .bind(h.try_get::<String, _>(1)?)
                .bind(&heading)
                .bind(&body)
                .bind(p.to_string())
                .bind(now)
                .execute(&mut *tx)
                .await?;
            queued += 1;
        }
        tx.commit().await?;
        tracing::info!(session, queued, "session start notifications queued");
        self.inner.wake.notify_one();
        Ok(queued)
    }

    /// Delivers what is due until nothing is; returns how many were attempted.
    pub async fn dispatch(&self) -> Result<usize, OpsError> {
        let mut total = 0;
        loop {
            let n = self.dispatch_batch().await?;
            total += n;
            if n < BATCH as usize {
                return Ok(total);
            }
        }
    }

    async fn dispatch_batch(&self) -> Result<usize, OpsError> {
        let store = self.store();
        let now = Timestamp::now().millis();
        let rows = sqlx::query(
            "SELECT n.id, n.next_attempt_at, n.topic, n.channel, n.account_id, n.target, n.title,
             n.body, n.payload, n.attempts, w.secret, w.enabled
             FROM notifications n LEFT JOIN webhooks w ON w.id = n.webhook_id
             WHERE n.state IN ('pending', 'sending') AND n.next_attempt_at <= $1
             ORDER BY n.next_attempt_at, n.id LIMIT $2",
        )
        .bind(now)
        .bind(BATCH)
        .fetch_all(store.pool())
        .await?;
        let mut done = 0;
        for r in &rows {
            let id: i64 = r.try_get(0)?;
            let due: i64 = r.try_get(1)?;
            // Claim it: only one node wins the lease.
            let claimed = sqlx::query(
                "UPDATE notifications SET state = 'sending', next_attempt_at = $1
                 WHERE id = $2 AND state IN ('pending', 'sending') AND next_attempt_at = $3",
            )
            .bind(now + LEASE_MS)
            .bind(id)
            .bind(due)
            .execute(store.pool())
            .await?
            .rows_affected();
            if claimed == 0 {
                continue;
            }
            let channel: String = r.try_get(3)?;
            let attempts: i64 = r.try_get(9)?;
            let m = Message {
                id,
                topic: r.try_get(2)?,
                channel: channel.clone(),
                account_id: r.try_get(4)?,
                target: r.try_get(5)?,
                title: r.try_get(6)?,
                body: r.try_get(7)?,
                payload: serde_json::from_str(&r.try_get::<String, _>(8)?).unwrap_or(Value::Null),
                secret: r.try_get(10)?,
                attempt: attempts + 1,
            };
            let result = match self.inner.senders.iter().find(|s| s.channel() == channel) {
                Some(s) => s.send(&m).await,
                None => Err(format!("no sender for channel {channel}")),
            };
            let at = Timestamp::now().millis();
            match result {
                Ok(()) => {
                    sqlx::query(
                        "UPDATE notifications SET state = 'sent', attempts = $1, sent_at = $2,
                         last_error = NULL WHERE id = $3",
                    )
                    .bind(attempts + 1)
                    .bind(at)
                    .bind(id)
                    .execute(store.pool())
                    .await?;
                }
                Err(e) => {
                    let failures = attempts + 1;
                    let (state, next) = if failures >= MAX_ATTEMPTS {
                        ("failed", at)
                    } else {
                        (
                            "pending",
                            at + backoff_ms(self.inner.retry_base_ms, failures),
                        )
                    };
                    tracing::warn!(notification = id, %channel, attempt = failures, error = %e, state, "delivery failed");
                    sqlx::query(
                        "UPDATE notifications SET state = $1, attempts = $2, next_attempt_at = $3,
                         last_error = $4 WHERE id = $5",
                    )
                    .bind(state)
                    .bind(failures)
                    .bind(next)
                    .bind(e.chars().take(500).collect::<String>())
                    .bind(id)
                    .execute(store.pool())
                    .await?;
                }
            }
            done += 1;
        }
        Ok(done)
    }

    /// Runs the dispatcher until the process ends: on every queueing, and every second for
    /// retries that come due.
    pub fn spawn(&self) {
        let me = self.clone();
        tokio::spawn(async move {
            loop {
                if let Err(e) = me.dispatch().await {
                    tracing::warn!(error = %e, "outbox dispatch failed");
                }
                let _ =
                    tokio::time::timeout(Duration::from_secs(1), me.inner.wake.notified()).await;
            }
        });
    }

    /// A customer's in-app notifications, newest first.
    pub async fn inbox(&self, account: i64) -> Result<Vec<Notification>, OpsError> {
        let rows = sqlx::query(&format!(
            "{NOTE_SELECT} WHERE account_id = $1 AND channel = 'in_app' AND state = 'sent'
             ORDER BY created_at DESC, id DESC LIMIT 100"
        ))
        .bind(account)
        .fetch_all(self.store().pool())
        .await?;
        rows.iter().map(note_from_row).collect()
    }

    pub async fn mark_read(&self, account: i64, id: i64) -> Result<(), OpsError> {
        let n = sqlx::query(
            "UPDATE notifications SET read_at = COALESCE(read_at, $1)
             WHERE id = $2 AND account_id = $3 AND channel = 'in_app'",
        )
        .bind(Timestamp::now().millis())
        .bind(id)
        .bind(account)
        .execute(self.store().pool())
        .await?
        .rows_affected();
        if n == 0 {
            return Err(OpsError::NotFound(format!("notification {id}")));
        }
        Ok(())
    }

    /// Recent messages of every channel for staff, with their delivery state.
    pub async fn recent(
        &self,
        state: Option<&str>,
        channel: Option<&str>,
    ) -> Result<Vec<Notification>, OpsError> {
        let rows = sqlx::query(&format!(
            "{NOTE_SELECT} WHERE ($1 = '' OR state = $1) AND ($2 = '' OR channel = $2)
             ORDER BY id DESC LIMIT 200"
        ))
        .bind(state.unwrap_or(""))
        .bind(channel.unwrap_or(""))
        .fetch_all(self.store().pool())
        .await?;
        rows.iter().map(note_from_row).collect()
    }

    // Webhooks.

    pub async fn webhooks(&self) -> Result<Vec<WebhookInfo>, OpsError> {
        let rows =
            sqlx::query("SELECT id, url, secret, enabled, created_at FROM webhooks ORDER BY id")
                .fetch_all(self.store().pool())
                .await?;
        rows.iter()
            .map(|r| {
                let secret: String = r.try_get(2)?;
                Ok(WebhookInfo {
                    id: r.try_get(0)?,
                    url: r.try_get(1)?,
                    secret: format!("{}…", &secret[..6.min(secret.len())]),
                    enabled: get_flag(r, "enabled")?,
                    created_at: Timestamp::from_millis(r.try_get(4)?),
                })
            })
            .collect()
    }

    /// Adds an endpoint with a new signing secret, shown in full in this answer only.
    pub async fn add_webhook(&self, url: &str) -> Result<WebhookInfo, OpsError> {
        let url = url.trim();
        let parsed =
            reqwest::Url::parse(url).map_err(|_| OpsError::Invalid("url: not a URL".into()))?;
        if !matches!(parsed.scheme(), "http" | "https")
            || parsed.host().is_none()
            || url.len() > 500
        {
            return Err(OpsError::Invalid(
                "url: an http(s) URL of at most 500 characters".into(),
            ));
        }
        let n: i64 = sqlx::query("SELECT COUNT(*) FROM webhooks")
            .fetch_one(self.store().pool())
            .await?
            .try_get(0)?;
        if n >= MAX_WEBHOOKS {
            return Err(OpsError::Invalid(format!(
                "at most {MAX_WEBHOOKS} webhooks"
            )));
        }
        let secret: String = (0..32)
            .map(|_| char::from(b"abcdefghijklmnopqrstuvwxyz0123456789"[rand::random_range(0..36)]))
            .collect();
        let now = Timestamp::now().millis();
        let id = sqlx::query(
            "INSERT INTO webhooks (url, secret, created_at) VALUES ($1, $2, $3) RETURNING id",
        )
        .bind(url)
        .bind(&secret)
        .bind(now)
        .fetch_one(self.store().pool())
        .await
        .map_err(|e| match sellstream_store::unique_violation(&e) {
            Some(_) => OpsError::AlreadyExists(format!("a webhook for {url} exists")),
            None => e.into(),
        })?
        .try_get::<i64, _>(0)?;
        Ok(WebhookInfo {
            id,
            url: url.to_owned(),
            secret,
            enabled: true,
            created_at: Timestamp::from_millis(now),
        })
    }

    pub async fn delete_webhook(&self, id: i64) -> Result<(), OpsError> {
        let n = sqlx::query("DELETE FROM webhooks WHERE id = $1")
            .bind(id)
            .execute(self.store().pool())
            .await?
            .rows_affected();
        if n == 0 {
            return Err(OpsError::NotFound(format!("webhook {id}")));
        }
        Ok(())
    }

    /// Queues a `ping` to one endpoint, to check it receives and verifies.
    pub async fn ping_webhook(&self, id: i64) -> Result<i64, OpsError> {
        let row = sqlx::query("SELECT url FROM webhooks WHERE id = $1")
            .bind(id)
            .fetch_optional(self.store().pool())
            .await?
            .ok_or_else(|| OpsError::NotFound(format!("webhook {id}")))?;
        let now = Timestamp::now().millis();
        let nid = sqlx::query(
            "INSERT INTO notifications (topic, channel, webhook_id, target, title, body, payload,
             next_attempt_at, created_at) VALUES ('ping', 'webhook', $1, $2, 'ping', '', $3, $4, $4)
             RETURNING id",
        )
        .bind(id)
        .bind(row.try_get::<String, _>(0)?)
        .bind(json!({"event": "ping", "at": Timestamp::from_millis(now)}).to_string())
        .bind(now)
        .fetch_one(self.store().pool())
        .await?
        .try_get::<i64, _>(0)?;
        self.inner.wake.notify_one();
        Ok(nid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_are_hmac_sha256_of_time_dot_body() {
        // RFC 4231, test case 2.
        assert_eq!(
            hmac_hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert_eq!(
            signature("Jefe", 1_700_000_000, "{}"),
            format!("t=1700000000,v1={}", hmac_hex("Jefe", "1700000000.{}"))
        );
    }

    #[test]
    fn backoff_doubles_to_an_hour() {
        assert_eq!(backoff_ms(5_000, 1), 5_000);
        assert_eq!(backoff_ms(5_000, 2), 10_000);
        assert_eq!(backoff_ms(5_000, 7), 320_000);
        assert_eq!(backoff_ms(5_000, 30), 3_600_000);
    }

    #[test]
    fn addresses_are_masked() {
        assert_eq!(mask("13800001234"), "138******34");
        assert_eq!(mask("ab"), "ab");
    }
}
