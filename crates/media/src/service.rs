use crate::{MediaError, StreamKey};
use sellstream_core::Timestamp;
use sellstream_store::{Row, Store};
use serde::Serialize;
use serde_json::{json, Value};
use std::sync::Arc;
use utoipa::ToSchema;

/// Where viewers and encoders find the media server.
#[derive(Debug, Clone)]
pub struct MediaUrls {
    /// What OBS calls the "Server": `rtmp://host:1935/live`.
    pub rtmp: String,
    /// Where the HLS playlists are, without the trailing slash: `/media/hls` when sellstream
    /// serves them itself, `https://media.example.com/media/hls` when media runs on its own host.
    pub hls_base: String,
    /// A looping clip shown while nothing is streamed (demo data only).
    pub demo_clip: Option<String>,
}

impl Default for MediaUrls {
    fn default() -> Self {
        Self {
            rtmp: "rtmp://127.0.0.1:1935/live".into(),
            hls_base: "/media/hls".into(),
            demo_clip: None,
        }
    }
}

/// Stream keys and publishes.
#[derive(Clone)]
pub struct Media {
    store: Store,
    urls: Arc<MediaUrls>,
}

/// A session's key as staff see it: never the key itself.
#[derive(Debug, Serialize, ToSchema)]
pub struct KeyStatus {
    pub exists: bool,
    pub hint: Option<String>,
    #[schema(value_type = Option<String>)]
    pub created_at: Option<Timestamp>,
    /// The OBS "Server" field.
    pub server_url: String,
    pub publishing: bool,
    #[schema(value_type = Option<String>)]
    pub publish_started_at: Option<Timestamp>,
    #[schema(value_type = Option<String>)]
    pub last_publish_ended_at: Option<Timestamp>,
}

/// A new key, shown once.
#[derive(Debug, Serialize, ToSchema)]
pub struct IssuedKey {
    pub key: String,
    pub hint: String,
    #[schema(value_type = String)]
    pub created_at: Timestamp,
    pub server_url: String,
}

/// A publish the media server may go ahead with, under the stream name viewers will use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishGrant {
    pub session_id: i64,
    pub stream_name: String,
}

/// The stream name a session's video is published under: never the key, which would otherwise
/// show in every playlist URL.
pub fn stream_name(session_id: i64) -> String {
    format!("session-{session_id}")
}

fn odt(ms: Option<i64>) -> Option<Timestamp> {
    ms.map(Timestamp::from_millis)
}

impl Media {
    pub fn new(store: Store, urls: MediaUrls) -> Self {
        Self {
            store,
            urls: Arc::new(urls),
        }
    }

    pub fn urls(&self) -> &MediaUrls {
        &self.urls
    }

    /// The session a key belongs to, if the key is valid (known and not revoked).
    pub async fn session_of_key(&self, key: &str) -> Result<(i64, i64), MediaError> {
        let key = StreamKey::from_client(key).ok_or(MediaError::BadKey)?;
        let row = sqlx::query(
            "SELECT id, session_id FROM stream_keys WHERE key_hash = $1 AND revoked_at IS NULL",
        )
        .bind(key.hashed())
        .fetch_optional(self.store.pool())
        .await?
        .ok_or(MediaError::BadKey)?;
        Ok((row.try_get("id")?, row.try_get("session_id")?))
    }

    /// Issues a key for the session, revoking the one it had (in one transaction: there is never
    /// a moment with two valid keys or none that was asked for).
    pub async fn issue_key(
        &self,
        session_id: i64,
        by: Option<i64>,
    ) -> Result<IssuedKey, MediaError> {
        let key = StreamKey::generate();
        let now = Timestamp::now();
        let mut tx = self.store.begin_write().await?;
        sqlx::query(
            "UPDATE stream_keys SET revoked_at = $1 WHERE session_id = $2 AND revoked_at IS NULL",
        )
        .bind(now.millis())
        .bind(session_id)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO stream_keys (session_id, key_hash, hint, created_by, created_at)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(session_id)
        .bind(key.hashed())
        .bind(key.hint())
        .bind(by)
        .bind(now.millis())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        tracing::info!(session = session_id, hint = %key.hint(), "stream key issued");
        Ok(IssuedKey {
            key: key.as_str().to_owned(),
            hint: key.hint(),
            created_at: now,
            server_url: self.urls.rtmp.clone(),
        })
    }

    /// Revokes the session's key; `false` when it had none.
    pub async fn revoke_key(&self, session_id: i64) -> Result<bool, MediaError> {
        let n = sqlx::query(
            "UPDATE stream_keys SET revoked_at = $1 WHERE session_id = $2 AND revoked_at IS NULL",
        )
        .bind(Timestamp::now().millis())
        .bind(session_id)
        .execute(self.store.pool())
        .await?
        .rows_affected();
        if n > 0 {
            tracing::info!(session = session_id, "stream key revoked");
        }
        Ok(n > 0)
    }

    pub async fn key_status(&self, session_id: i64) -> Result<KeyStatus, MediaError> {
        let key = sqlx::query(
            "SELECT hint, created_at FROM stream_keys WHERE session_id = $1 AND revoked_at IS NULL",
        )
        .bind(session_id)
        .fetch_optional(self.store.pool())
        .await?;
        let active = self.active_since(session_id).await?;
        let last_end: Option<i64> = sqlx::query(
            "SELECT MAX(ended_at) FROM media_publishes WHERE session_id = $1 AND ended_at IS NOT NULL",
        )
        .bind(session_id)
        .fetch_one(self.store.pool())
        .await?
        .try_get(0)?;
        Ok(KeyStatus {
            exists: key.is_some(),
            hint: key.as_ref().map(|r| r.try_get("hint")).transpose()?,
            created_at: odt(key.as_ref().map(|r| r.try_get("created_at")).transpose()?),
            server_url: self.urls.rtmp.clone(),
            publishing: active.is_some(),
            publish_started_at: odt(active),
            last_publish_ended_at: odt(last_end),
        })
    }

    /// Records a publish granted by the key `key_id`. The database allows one active publish per
    /// session, so a second encoder — the same key twice, or a key rotated mid-stream — is refused.
    pub async fn start_publish(
        &self,
        key_id: i64,
        session_id: i64,
        client_id: &str,
        client_addr: &str,
    ) -> Result<PublishGrant, MediaError> {
        let inserted = sqlx::query(
            "INSERT INTO media_publishes (session_id, key_id, client_id, client_addr, started_at)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(session_id)
        .bind(key_id)
        .bind(client_id.chars().take(64).collect::<String>())
        .bind(client_addr.chars().take(64).collect::<String>())
        .bind(Timestamp::now().millis())
        .execute(self.store.pool())
        .await;
        match inserted {
            Ok(_) => Ok(PublishGrant {
                session_id,
                stream_name: stream_name(session_id),
            }),
            Err(e) if sellstream_store::unique_violation(&e).is_some() => {
                Err(MediaError::AlreadyPublishing(session_id))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// The media server says the publish of client `client_id` ended (client ids are unique
    /// while nginx runs, and every publish is closed when it restarts). Returns the session whose
    /// stream stopped; `None` for a publish that was refused (it has no record).
    pub async fn publish_done(
        &self,
        client_id: &str,
        reason: &str,
    ) -> Result<Option<i64>, MediaError> {
        let mut tx = self.store.begin_write().await?;
        let session: Option<i64> = sqlx::query(
            "SELECT session_id FROM media_publishes WHERE client_id = $1 AND ended_at IS NULL",
        )
        .bind(client_id)
        .fetch_optional(&mut *tx)
        .await?
        .map(|r| r.try_get(0))
        .transpose()?;
        if let Some(session_id) = session {
            sqlx::query(
                "UPDATE media_publishes SET ended_at = $1, end_reason = $2
                 WHERE session_id = $3 AND client_id = $4 AND ended_at IS NULL",
            )
            .bind(Timestamp::now().millis())
            .bind(reason)
            .bind(session_id)
            .bind(client_id)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(session)
    }

    /// The client id of the session's open publish (to ask nginx to drop it).
    pub async fn publisher_of(&self, session_id: i64) -> Result<Option<String>, MediaError> {
        Ok(sqlx::query(
            "SELECT client_id FROM media_publishes WHERE session_id = $1 AND ended_at IS NULL",
        )
        .bind(session_id)
        .fetch_optional(self.store.pool())
        .await?
        .map(|r| r.try_get(0))
        .transpose()?)
    }

    /// Ends every publish still open: the media server (re)started, so none of them is live.
    /// Returns the sessions that were streaming.
    pub async fn end_all_publishes(&self, reason: &str) -> Result<Vec<i64>, MediaError> {
        let mut tx = self.store.begin_write().await?;
        let sessions: Vec<i64> =
            sqlx::query("SELECT session_id FROM media_publishes WHERE ended_at IS NULL")
                .fetch_all(&mut *tx)
                .await?
                .iter()
                .map(|r| r.try_get(0))
                .collect::<Result<_, _>>()?;
        sqlx::query(
            "UPDATE media_publishes SET ended_at = $1, end_reason = $2 WHERE ended_at IS NULL",
        )
        .bind(Timestamp::now().millis())
        .bind(reason)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(sessions)
    }

    /// Ends the session's open publish (the session ended or its key was revoked).
    pub async fn end_publish_of(&self, session_id: i64, reason: &str) -> Result<bool, MediaError> {
        let n = sqlx::query(
            "UPDATE media_publishes SET ended_at = $1, end_reason = $2 WHERE session_id = $3 AND ended_at IS NULL",
        )
        .bind(Timestamp::now().millis())
        .bind(reason)
        .bind(session_id)
        .execute(self.store.pool())
        .await?
        .rows_affected();
        Ok(n > 0)
    }

    async fn active_since(&self, session_id: i64) -> Result<Option<i64>, MediaError> {
        Ok(sqlx::query(
            "SELECT started_at FROM media_publishes WHERE session_id = $1 AND ended_at IS NULL",
        )
        .bind(session_id)
        .fetch_optional(self.store.pool())
        .await?
        .map(|r| r.try_get(0))
        .transpose()?)
    }

    /// What the room shows: the live stream, the demo clip, or nothing (the cover).
    pub async fn video(&self, session_id: i64) -> Result<Value, MediaError> {
        let since = self.active_since(session_id).await?;
        Ok(self.video_json(session_id, since))
    }

    pub fn video_json(&self, session_id: i64, live_since: Option<i64>) -> Value {
        match live_since {
            Some(since) => json!({
                "state": "live",
                "hls_url": format!("{}/{}.m3u8", self.urls.hls_base, stream_name(session_id)),
                "demo_clip_url": null,
                "since": since,
            }),
            None => json!({
                "state": "offline",
                "hls_url": null,
                "demo_clip_url": self.urls.demo_clip,
                "since": null,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_names_hide_the_key() {
        assert_eq!(stream_name(42), "session-42");
    }
}
