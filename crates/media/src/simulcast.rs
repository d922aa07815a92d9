//! Simulcast: the session's stream pushed to its channels' RTMP endpoints (Taobao Live, Douyin,
//! Kuaishou, WeChat Channels) by one ffmpeg relay per target, copying the stream as it is (no
//! re-encoding). A relay pulls the session's stream from nginx (`show/session-N`), waits while
//! the host is not streaming, reports `pushing` once bytes flow out, and when the platform refuses
//! or drops it retries with a growing pause; it never touches the room or the other targets.

use crate::secrets::{hint, SecretBox};
use crate::{stream_name, MediaError};
use sellstream_core::Timestamp;
use sellstream_store::{Row, Store};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::process::Command;
use tokio::sync::watch;
use utoipa::ToSchema;

/// Consecutive failures after which a target shows `failed` (it is still retried, slowly).
const FAILED_AFTER: i64 = 5;
const MAX_PAUSE: Duration = Duration::from_secs(30);

/// One channel the session's stream goes (or may go) out to.
#[derive(Debug, Serialize, ToSchema)]
pub struct Target {
    pub channel: String,
    pub platform: String,
    pub name: String,
    /// Whether staff asked for it to be pushed.
    pub wanted: bool,
    /// `stopped`, `waiting` (for the host's stream), `pushing`, `retrying` or `failed`.
    pub state: String,
    pub last_error: Option<String>,
    /// Failures since it last pushed.
    pub attempts: i64,
    #[schema(value_type = Option<String>)]
    pub since: Option<Timestamp>,
    /// The last characters of the push key, so staff can tell accounts apart.
    pub push_hint: Option<String>,
}

#[derive(Clone)]
pub struct Simulcast {
    store: Store,
    secrets: SecretBox,
    /// nginx's `show` application as relays reach it: `rtmp://127.0.0.1:1935/show`.
    source: Option<String>,
    relays: Arc<Mutex<Relays>>,
}

/// (session, channel) → the running relay's stop signal.
type Relays = HashMap<(i64, String), watch::Sender<bool>>;

impl Simulcast {
    pub fn new(store: Store, secrets: SecretBox, source: Option<String>) -> Self {
        Self {
            store,
            secrets,
            source,
            relays: Arc::default(),
        }
    }

    /// Stores a channel account's push URL and stream key, sealed; returns the hint shown back.
    pub async fn set_push(
        &self,
        channel: &str,
        url: &str,
        key: &str,
    ) -> Result<String, MediaError> {
        let url = url.trim();
        let key = key.trim();
        if !(url.starts_with("rtmp://") || url.starts_with("rtmps://")) || url.len() > 1000 {
            return Err(MediaError::Invalid(
                "push_url: the platform's RTMP server address, rtmp://… or rtmps://…".into(),
            ));
        }
        if key.is_empty() || key.len() > 1000 || key.chars().any(char::is_whitespace) {
            return Err(MediaError::Invalid(
                "stream_key: the platform's stream key, without spaces".into(),
            ));
        }
        let platform: Option<String> = sqlx::query("SELECT platform FROM channels WHERE code = $1")
            .bind(channel)
            .fetch_optional(self.store.pool())
            .await?
            .map(|r| r.try_get(0))
            .transpose()?;
        match platform.as_deref() {
            None => return Err(MediaError::Invalid(format!("no channel `{channel}`"))),
            // The own room is fed by the session's stream key, not pushed to.
            Some("own") => {
                return Err(MediaError::Invalid(
                    "channel: the own room takes the stream directly; push credentials are for platform accounts".into(),
                ))
            }
            Some(_) => {}
        }
        let shown = hint(key);
        let n = sqlx::query(
            "UPDATE channels SET push_url_sealed = $1, push_key_sealed = $2, push_hint = $3 WHERE code = $4",
        )
        .bind(self.secrets.seal(url))
        .bind(self.secrets.seal(key))
        .bind(&shown)
        .bind(channel)
        .execute(self.store.pool())
        .await?
        .rows_affected();
        if n == 0 {
            return Err(MediaError::Invalid(format!("no channel `{channel}`")));
        }
        Ok(shown)
    }

    /// Every channel that can take the stream (it has push credentials), with its target's state.
    pub async fn targets(&self, session_id: i64) -> Result<Vec<Target>, MediaError> {
        let rows = sqlx::query(
            "SELECT c.code, c.platform, c.name, c.push_hint, t.wanted, t.state, t.last_error, t.attempts, t.since
             FROM channels c LEFT JOIN simulcast_targets t ON t.channel = c.code AND t.session_id = $1
             WHERE c.push_key_sealed IS NOT NULL ORDER BY c.code",
        )
        .bind(session_id)
        .fetch_all(self.store.pool())
        .await?;
        rows.iter()
            .map(|r| {
                let state: Option<String> = r.try_get("state")?;
                Ok(Target {
                    channel: r.try_get("code")?,
                    platform: r.try_get("platform")?,
                    name: r.try_get("name")?,
                    wanted: state.is_some() && sellstream_store::get_flag(r, "wanted")?,
                    state: state.unwrap_or_else(|| "stopped".into()),
                    last_error: r.try_get("last_error")?,
                    attempts: r.try_get::<Option<i64>, _>("attempts")?.unwrap_or(0),
                    since: r
                        .try_get::<Option<i64>, _>("since")?
                        .map(Timestamp::from_millis),
                    push_hint: r.try_get("push_hint")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(Into::into)
    }

    async fn target(&self, session_id: i64, channel: &str) -> Result<Target, MediaError> {
        self.targets(session_id)
            .await?
            .into_iter()
            .find(|t| t.channel == channel)
            .ok_or_else(|| {
                MediaError::Invalid(format!(
                    "channel `{channel}` has no push URL and stream key yet"
                ))
            })
    }

    /// Starts pushing the session's stream to `channel` (while the host streams).
    pub async fn start(&self, session_id: i64, channel: &str) -> Result<Target, MediaError> {
        self.target(session_id, channel).await?;
        let Some(source) = self.source.clone() else {
            return Err(MediaError::Invalid(
                "simulcast needs the media server on this machine (serve --media)".into(),
            ));
        };
        let now = Timestamp::now().millis();
        sqlx::query(
            "INSERT INTO simulcast_targets (session_id, channel, wanted, state, attempts, since, updated_at)
             VALUES ($1, $2, $3, 'waiting', 0, $4, $4)
             ON CONFLICT (session_id, channel) DO UPDATE SET wanted = excluded.wanted, state = 'waiting',
                 last_error = NULL, attempts = 0, since = excluded.since, updated_at = excluded.updated_at",
        )
        .bind(session_id)
        .bind(channel)
        .bind(true)
        .bind(now)
        .execute(self.store.pool())
        .await?;
        self.spawn_relay(session_id, channel, source);
        self.target(session_id, channel).await
    }

    /// Stops pushing to `channel`.
    pub async fn stop(&self, session_id: i64, channel: &str) -> Result<Target, MediaError> {
        self.target(session_id, channel).await?;
        if let Some(tx) = self
            .relays
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&(session_id, channel.to_owned()))
        {
            let _ = tx.send(true);
        }
        let now = Timestamp::now().millis();
        sqlx::query(
            "INSERT INTO simulcast_targets (session_id, channel, wanted, state, attempts, since, updated_at)
             VALUES ($1, $2, $3, 'stopped', 0, $4, $4)
             ON CONFLICT (session_id, channel) DO UPDATE SET wanted = excluded.wanted, state = 'stopped',
                 since = excluded.since, updated_at = excluded.updated_at",
        )
        .bind(session_id)
        .bind(channel)
        .bind(false)
        .bind(now)
        .execute(self.store.pool())
        .await?;
        self.target(session_id, channel).await
    }

    /// Stops every relay of a session that is over.
    pub async fn stop_all(&self, session_id: i64) -> Result<(), MediaError> {
        for t in self.targets(session_id).await? {
            if t.wanted {
                self.stop(session_id, &t.channel).await?;
            }
        }
        Ok(())
    }

    /// Restarts the relays staff wanted, for sessions still live (after a restart of sellstream).
    pub async fn resume(&self) -> Result<usize, MediaError> {
        let Some(source) = self.source.clone() else {
            return Ok(0);
        };
        let rows = sqlx::query(
            "SELECT t.session_id, t.channel FROM simulcast_targets t
             JOIN live_sessions s ON s.id = t.session_id
             WHERE t.wanted = $1 AND s.state = 'live'",
        )
        .bind(true)
        .fetch_all(self.store.pool())
        .await?;
        for r in &rows {
            self.spawn_relay(r.try_get(0)?, &r.try_get::<String, _>(1)?, source.clone());
        }
        Ok(rows.len())
    }

    fn spawn_relay(&self, session_id: i64, channel: &str, source: String) {
        let (tx, rx) = watch::channel(false);
        if let Some(old) = self
            .relays
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert((session_id, channel.to_owned()), tx)
        {
            let _ = old.send(true);
        }
        let me = self.clone();
        let channel = channel.to_owned();
        tokio::spawn(async move {
            me.relay(session_id, channel, source, rx).await;
        });
    }

    async fn set_state(
        &self,
        session_id: i64,
        channel: &str,
        state: &str,
        error: Option<&str>,
        attempts: i64,
    ) {
        let now = Timestamp::now().millis();
        let r = sqlx::query(
            "UPDATE simulcast_targets SET state = $1, last_error = $2, attempts = $3, updated_at = $4,
                 since = CASE WHEN state = $1 THEN since ELSE $4 END
             WHERE session_id = $5 AND channel = $6 AND wanted = $7",
        )
        .bind(state)
        .bind(error)
        .bind(attempts)
        .bind(now)
        .bind(session_id)
        .bind(channel)
        .bind(true)
        .execute(self.store.pool())
        .await;
        if let Err(e) = r {
            tracing::warn!(session = session_id, channel, error = %e, "could not record a relay's state");
        }
    }

    async fn credentials(&self, channel: &str) -> Result<(String, String), String> {
        let row =
            sqlx::query("SELECT push_url_sealed, push_key_sealed FROM channels WHERE code = $1")
                .bind(channel)
                .fetch_optional(self.store.pool())
                .await
                .map_err(|e| e.to_string())?
                .ok_or("the channel is gone")?;
        let open = |col: &str| -> Result<String, String> {
            let sealed: Option<String> = row.try_get(col).map_err(|e| e.to_string())?;
            sealed.and_then(|s| self.secrets.open(&s)).ok_or_else(|| {
                "the push credentials cannot be opened with this node's secret key".into()
            })
        };
        Ok((open("push_url_sealed")?, open("push_key_sealed")?))
    }

    async fn relay(
        self,
        session_id: i64,
        channel: String,
        source: String,
        mut stop: watch::Receiver<bool>,
    ) {
        let input = format!(
            "{}/{}",
            source.trim_end_matches('/'),
            stream_name(session_id)
        );
        let mut failures: i64 = 0;
        loop {
            if *stop.borrow() {
                return;
            }
            let (url, key) = match self.credentials(&channel).await {
                Ok(c) => c,
                Err(e) => {
                    self.set_state(session_id, &channel, "failed", Some(&e), failures + 1)
                        .await;
                    return;
                }
            };
            let output = format!("{}/{}", url.trim_end_matches('/'), key);
            let redact = |s: &str| {
                s.replace(&output, "***")
                    .replace(&key, "***")
                    .replace(&url, "***")
            };
            let mut child = match Command::new("ffmpeg")
                .args([
                    "-hide_banner",
                    "-loglevel",
                    "error",
                    "-nostats",
                    "-progress",
                    "pipe:1",
                ])
                // A relay that connects before the host streams may never be fed; without data
                // for 5 s it ends and connects again (still `waiting`, not a failure).
                .args([
                    "-rw_timeout",
                    "5000000",
                    "-i",
                    &input,
                    "-c",
                    "copy",
                    "-f",
                    "flv",
                    &output,
                ])
                .stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .kill_on_drop(true)
                .spawn()
            {
                Ok(c) => c,
                Err(e) => {
                    let why = format!("cannot run ffmpeg: {e}");
                    self.set_state(session_id, &channel, "failed", Some(&why), failures + 1)
                        .await;
                    return;
                }
            };
            self.set_state(
                session_id,
                &channel,
                if failures == 0 {
                    "waiting"
                } else if failures >= FAILED_AFTER {
                    "failed"
                } else {
                    "retrying"
                },
                None,
                failures,
            )
            .await;
            let started = Instant::now();
            let mut lines = BufReader::new(child.stdout.take().expect("piped")).lines();
            let mut stderr = child.stderr.take().expect("piped");
            let errors = tokio::spawn(async move {
                let mut text = String::new();
                let _ = stderr.read_to_string(&mut text).await;
                text
            });
            let mut pushing = false;
            let stopped = loop {
                tokio::select! {
                    line = lines.next_line() => match line {
                        Ok(Some(l)) => {
                            // ffmpeg reports its progress; bytes written out mean the platform took them.
                            let moving = l.strip_prefix("total_size=").and_then(|n| n.parse::<u64>().ok()).is_some_and(|n| n > 0);
                            if moving && !pushing {
                                pushing = true;
                                failures = 0;
                                self.set_state(session_id, &channel, "pushing", None, 0).await;
                                tracing::info!(session = session_id, channel = %channel, "simulcast pushing");
                            }
                        }
                        _ => break false,
                    },
                    _ = stop.changed() => break true,
                }
            };
            if stopped {
                let _ = child.kill().await;
                tracing::info!(session = session_id, channel = %channel, "simulcast stopped");
                return;
            }
            let status = child.wait().await;
            let text = errors.await.unwrap_or_default();
            let last = redact(
                text.lines()
                    .rev()
                    .find(|l| !l.trim().is_empty())
                    .unwrap_or("")
                    .trim(),
            );
            let clean_end = status.as_ref().is_ok_and(|s| s.success());
            if clean_end && pushing {
                // The host stopped streaming: wait for the stream again.
                failures = 0;
                continue;
            }
            if !pushing && text.contains(&input) {
                // Our side had nothing to read (the host is not streaming): wait, not a failure.
                self.set_state(
                    session_id,
                    &channel,
                    if failures == 0 { "waiting" } else { "retrying" },
                    None,
                    failures,
                )
                .await;
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                    _ = stop.changed() => return,
                }
                continue;
            }
            failures += 1;
            let why = if last.is_empty() {
                format!(
                    "the relay ended ({})",
                    status.map(|s| s.to_string()).unwrap_or_default()
                )
            } else {
                last
            };
            tracing::warn!(session = session_id, channel = %channel, failures, error = %why, "simulcast relay failed");
            let state = if failures >= FAILED_AFTER {
                "failed"
            } else {
                "retrying"
            };
            self.set_state(session_id, &channel, state, Some(&why), failures)
                .await;
            let pause = Duration::from_secs(1u64 << failures.min(5)).min(MAX_PAUSE);
            // A relay that ran a while before failing starts its back-off over.
            let pause = if started.elapsed() > Duration::from_secs(60) {
                Duration::from_secs(1)
            } else {
                pause
            };
            tokio::select! {
                _ = tokio::time::sleep(pause) => {}
                _ = stop.changed() => return,
            }
        }
    }
}
