//! Recordings: nginx records each session's stream as FLV (`record all` in the `show`
//! application); when a recording is done sellstream turns it into an MP4 that browsers play and
//! seek (`-c copy`, no re-encoding, `+faststart`), keeps it until the retention setting says it may
//! go, and lists it with the moments products were pinned, so a replay jumps to each product.

use crate::MediaError;
use sellstream_core::Timestamp;
use sellstream_store::{Row, Store};
use serde::Serialize;
use std::path::{Path, PathBuf};
use tokio::process::Command;
use utoipa::ToSchema;

/// Live-marketing record-keeping asks for three years.
pub const DEFAULT_RETENTION_DAYS: u32 = 3 * 365;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Recording {
    pub id: i64,
    pub session_id: i64,
    /// Where the MP4 is served.
    pub url: String,
    #[schema(value_type = String)]
    pub started_at: Timestamp,
    pub duration_ms: i64,
    pub bytes: i64,
    #[schema(value_type = String)]
    pub expires_at: Timestamp,
}

/// A product's moment in a recording: when it was pinned, from the recording's start.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Chapter {
    pub recording_id: i64,
    pub offset_ms: i64,
    pub product_id: i64,
}

#[derive(Clone)]
pub struct Recordings {
    store: Store,
    /// Where the files are (`<media-dir>/recordings`); none when media runs elsewhere.
    dir: Option<PathBuf>,
    retention_days: u32,
}

impl Recordings {
    pub fn new(store: Store, dir: Option<PathBuf>, retention_days: u32) -> Self {
        Self {
            store,
            dir,
            retention_days,
        }
    }

    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    /// nginx finished the FLV at `path` for stream `name` (`session-N`): make the MP4 and keep it.
    /// Returns `None` for a file that is not a session's or not in the recordings folder.
    pub async fn done(&self, name: &str, path: &str) -> Result<Option<Recording>, MediaError> {
        let Some(session_id) = name
            .strip_prefix("session-")
            .and_then(|n| n.parse::<i64>().ok())
        else {
            return Ok(None);
        };
        let Some(dir) = &self.dir else {
            return Ok(None);
        };
        let flv = PathBuf::from(path);
        let inside = match (flv.canonicalize(), dir.canonicalize()) {
            (Ok(f), Ok(d)) => f.starts_with(d),
            _ => false,
        };
        if !inside || flv.extension().is_none_or(|e| e != "flv") {
            tracing::warn!(
                path,
                "a recording outside the recordings folder was ignored"
            );
            return Ok(None);
        }
        let mp4 = flv.with_extension("mp4");
        let out = Command::new("ffmpeg")
            .args(["-hide_banner", "-loglevel", "error", "-y", "-i"])
            .arg(&flv)
            .args(["-c", "copy", "-movflags", "+faststart"])
            .arg(&mp4)
            .output()
            .await
            .map_err(|e| MediaError::Invalid(format!("cannot run ffmpeg: {e}")))?;
        if !out.status.success() {
            tracing::warn!(path, error = %String::from_utf8_lossy(&out.stderr).trim(), "could not remux a recording; the FLV is kept");
            return Ok(None);
        }
        let _ = tokio::fs::remove_file(&flv).await;
        let duration_ms = probe_duration_ms(&mp4).await.unwrap_or(0);
        let bytes = tokio::fs::metadata(&mp4)
            .await
            .map(|m| m.len() as i64)
            .unwrap_or(0);
        let now = Timestamp::now().millis();
        // nginx's `record_unique` puts the start (Unix seconds) at the end of the name.
        let second = mp4
            .file_stem()
            .and_then(|s| s.to_str())
            .and_then(|s| s.rsplit('-').next())
            .and_then(|t| t.parse::<i64>().ok())
            .map(|s| s * 1000);
        // The name has whole seconds; the publish that started it was recorded to the
        // millisecond (chapters are offsets from this moment).
        let publish: Option<i64> = match second {
            Some(s) => sqlx::query(
                "SELECT MAX(started_at) FROM media_publishes
                 WHERE session_id = $1 AND started_at BETWEEN $2 AND $3",
            )
            .bind(session_id)
            .bind(s - 2000)
            .bind(s + 1000)
            .fetch_one(self.store.pool())
            .await?
            .try_get(0)?,
            None => None,
        };
        let started_at = publish.or(second).unwrap_or(now - duration_ms);
        let file = mp4
            .file_name()
            .and_then(|f| f.to_str())
            .unwrap_or_default()
            .to_owned();
        let expires_at = now + i64::from(self.retention_days) * 86_400_000;
        let id: i64 = sqlx::query(
            "INSERT INTO recordings (session_id, file, started_at, duration_ms, bytes, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(session_id)
        .bind(&file)
        .bind(started_at)
        .bind(duration_ms)
        .bind(bytes)
        .bind(now)
        .bind(expires_at)
        .fetch_one(self.store.pool())
        .await?
        .try_get(0)?;
        tracing::info!(
            session = session_id,
            id,
            duration_ms,
            bytes,
            "recording kept"
        );
        Ok(Some(Recording {
            id,
            session_id,
            url: url_of(&file),
            started_at: Timestamp::from_millis(started_at),
            duration_ms,
            bytes,
            expires_at: Timestamp::from_millis(expires_at),
        }))
    }

    pub async fn for_session(&self, session_id: i64) -> Result<Vec<Recording>, MediaError> {
        let rows = sqlx::query(
            "SELECT id, session_id, file, started_at, duration_ms, bytes, expires_at FROM recordings
             WHERE session_id = $1 ORDER BY started_at",
        )
        .bind(session_id)
        .fetch_all(self.store.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Recording {
                    id: r.try_get("id")?,
                    session_id: r.try_get("session_id")?,
                    url: url_of(&r.try_get::<String, _>("file")?),
                    started_at: Timestamp::from_millis(r.try_get("started_at")?),
                    duration_ms: r.try_get("duration_ms")?,
                    bytes: r.try_get("bytes")?,
                    expires_at: Timestamp::from_millis(r.try_get("expires_at")?),
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(Into::into)
    }

    /// The moments products were pinned during each recording (from the room's event log).
    pub async fn chapters(
        &self,
        session_id: i64,
        recordings: &[Recording],
    ) -> Result<Vec<Chapter>, MediaError> {
        let pins = sqlx::query(
            "SELECT ref_id, at FROM room_events WHERE session_id = $1 AND kind = 'pin' AND ref_id IS NOT NULL
             ORDER BY seq",
        )
        .bind(session_id)
        .fetch_all(self.store.pool())
        .await?;
        let mut out = Vec::new();
        for p in pins {
            let (product_id, at): (i64, i64) = (p.try_get(0)?, p.try_get(1)?);
            if let Some(r) = recordings.iter().find(|r| {
                let start = r.started_at.millis();
                at >= start && at <= start + r.duration_ms
            }) {
                out.push(Chapter {
                    recording_id: r.id,
                    offset_ms: at - r.started_at.millis(),
                    product_id,
                });
            }
        }
        Ok(out)
    }

    /// Deletes recordings past their retention (files, then rows); returns how many.
    pub async fn purge_expired(&self, now: Timestamp) -> Result<usize, MediaError> {
        let rows = sqlx::query("SELECT id, file FROM recordings WHERE expires_at <= $1")
            .bind(now.millis())
            .fetch_all(self.store.pool())
            .await?;
        let mut n = 0;
        for r in rows {
            let (id, file): (i64, String) = (r.try_get(0)?, r.try_get(1)?);
            if let Some(dir) = &self.dir {
                match tokio::fs::remove_file(dir.join(&file)).await {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => {
                        tracing::warn!(file, error = %e, "could not delete an expired recording");
                        continue;
                    }
                }
            }
            sqlx::query("DELETE FROM recordings WHERE id = $1")
                .bind(id)
                .execute(self.store.pool())
                .await?;
            n += 1;
        }
        Ok(n)
    }
}

fn url_of(file: &str) -> String {
    format!("/media/recordings/{file}")
}

async fn probe_duration_ms(path: &Path) -> Option<i64> {
    let out = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_entries",
            "format=duration",
            "-of",
            "csv=p=0",
        ])
        .arg(path)
        .output()
        .await
        .ok()?;
    let secs: f64 = String::from_utf8_lossy(&out.stdout).trim().parse().ok()?;
    Some((secs * 1000.0).round() as i64)
}
