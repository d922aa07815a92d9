//! Pre-announcements (预告, plan §4.2.5): viewers ask to be reminded of a scheduled session;
//! tracking links, one per channel of promotion (WeChat group, Weibo, a KOL's post…), count the
//! people who came through each; a poster carries the link as a QR code.

use crate::OpsError;
use sellstream_core::Timestamp;
use sellstream_store::{Row, Store};
use serde::Serialize;
use utoipa::ToSchema;

const MAX_LINKS: i64 = 50;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReminderState {
    pub session_id: i64,
    /// People who asked to be reminded.
    pub reminders: i64,
    /// Whether the signed-in customer did.
    pub reminded: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MyReminder {
    pub session_id: i64,
    pub title: String,
    pub state: String,
    pub scheduled_start: Timestamp,
    pub cover_url: Option<String>,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PromoLink {
    pub id: i64,
    pub session_id: i64,
    pub code: String,
    pub label: String,
    /// The path to share: `/p/{code}`.
    pub path: String,
    pub clicks: i64,
    /// Reminders set by people who came through this link.
    pub reminders: i64,
    pub created_at: Timestamp,
}

#[derive(Clone)]
pub struct Announcements {
    store: Store,
}

impl Announcements {
    pub fn new(store: Store) -> Self {
        Self { store }
    }

    async fn state_of(&self, session: i64) -> Result<String, OpsError> {
        sqlx::query("SELECT state FROM live_sessions WHERE id = $1")
            .bind(session)
            .fetch_optional(self.store.pool())
            .await?
            .ok_or_else(|| OpsError::NotFound(format!("session {session}")))?
            .try_get::<String, _>(0)
            .map_err(Into::into)
    }

    pub async fn state(
        &self,
        session: i64,
        account: Option<i64>,
    ) -> Result<ReminderState, OpsError> {
        self.state_of(session).await?;
        let row = sqlx::query(
            "SELECT COUNT(*), COALESCE(SUM(CASE WHEN account_id = $2 THEN 1 ELSE 0 END), 0)
             FROM reminders WHERE session_id = $1",
        )
        .bind(session)
        .bind(account.unwrap_or(0))
        .fetch_one(self.store.pool())
        .await?;
        Ok(ReminderState {
            session_id: session,
            reminders: row.try_get(0)?,
            reminded: row.try_get::<i64, _>(1)? > 0,
        })
    }

    /// Asks to be told when a scheduled session starts; asking twice changes nothing. `via` is the
    /// tracking link's code the customer came through, if any.
    pub async fn remind(
        &self,
        session: i64,
        account: i64,
        via: Option<&str>,
    ) -> Result<ReminderState, OpsError> {
        match self.state_of(session).await?.as_str() {
            "scheduled" => {}
            "live" => {
                return Err(OpsError::Conflict(
                    "the session is live now: no need for a reminder, come and watch".into(),
                ))
            }
            other => {
                return Err(OpsError::Conflict(format!(
                    "the session is {other}: there is nothing to remind of"
                )))
            }
        }
        let link: Option<i64> = match via.map(str::trim).filter(|c| !c.is_empty()) {
            Some(code) => {
                sqlx::query("SELECT id FROM promo_links WHERE code = $1 AND session_id = $2")
                    .bind(code)
                    .bind(session)
                    .fetch_optional(self.store.pool())
                    .await?
                    .map(|r| r.try_get(0))
                    .transpose()?
            }
            None => None,
        };
        sqlx::query(
            "INSERT INTO reminders (session_id, account_id, link_id, created_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (session_id, account_id) DO NOTHING",
        )
        .bind(session)
        .bind(account)
        .bind(link)
        .bind(Timestamp::now().millis())
        .execute(self.store.pool())
        .await?;
        self.state(session, Some(account)).await
    }

    pub async fn forget(&self, session: i64, account: i64) -> Result<ReminderState, OpsError> {
        self.state_of(session).await?;
        sqlx::query(
            "DELETE FROM reminders WHERE session_id = $1 AND account_id = $2 AND notified_at IS NULL",
        )
        .bind(session)
        .bind(account)
        .execute(self.store.pool())
        .await?;
        self.state(session, Some(account)).await
    }

    /// A customer's reminders for sessions not yet over, soonest first.
    pub async fn mine(&self, account: i64) -> Result<Vec<MyReminder>, OpsError> {
        let rows = sqlx::query(
            "SELECT s.id, s.title, s.state, s.scheduled_start, s.cover_url, r.created_at
             FROM reminders r JOIN live_sessions s ON s.id = r.session_id
             WHERE r.account_id = $1 AND s.state IN ('scheduled', 'live')
             ORDER BY s.scheduled_start",
        )
        .bind(account)
        .fetch_all(self.store.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(MyReminder {
                    session_id: r.try_get(0)?,
                    title: r.try_get(1)?,
                    state: r.try_get(2)?,
                    scheduled_start: Timestamp::from_millis(r.try_get(3)?),
                    cover_url: r.try_get(4)?,
                    created_at: Timestamp::from_millis(r.try_get(5)?),
                })
            })
            .collect()
    }

    // Tracking links.

    pub async fn links(&self, session: i64) -> Result<Vec<PromoLink>, OpsError> {
        self.state_of(session).await?;
        let rows = sqlx::query(
            "SELECT l.id, l.session_id, l.code, l.label, l.clicks, l.created_at,
             (SELECT COUNT(*) FROM reminders r WHERE r.link_id = l.id)
             FROM promo_links l WHERE l.session_id = $1 ORDER BY l.id",
        )
        .bind(session)
        .fetch_all(self.store.pool())
        .await?;
        rows.iter()
            .map(|r| {
                let code: String = r.try_get(2)?;
                Ok(PromoLink {
                    id: r.try_get(0)?,
                    session_id: r.try_get(1)?,
                    path: format!("/p/{code}"),
                    code,
                    label: r.try_get(3)?,
                    clicks: r.try_get(4)?,
                    reminders: r.try_get(6)?,
                    created_at: Timestamp::from_millis(r.try_get(5)?),
                })
            })
            .collect()
    }

    /// A new link for one channel of promotion. Labels are unique per session, case aside.
    pub async fn add_link(
        &self,
        session: i64,
        label: &str,
        by: i64,
    ) -> Result<PromoLink, OpsError> {
        let state = self.state_of(session).await?;
        if state == "ended" || state == "cancelled" {
            return Err(OpsError::Conflict(format!(
                "the session is {state}: nothing left to promote"
            )));
        }
        let label = label.trim();
        if label.is_empty() || label.chars().count() > 40 {
            return Err(OpsError::Invalid("label: 1 to 40 characters".into()));
        }
        let n: i64 = sqlx::query("SELECT COUNT(*) FROM promo_links WHERE session_id = $1")
            .bind(session)
            .fetch_one(self.store.pool())
            .await?
            .try_get(0)?;
        if n >= MAX_LINKS {
            return Err(OpsError::Invalid(format!(
                "at most {MAX_LINKS} links per session"
            )));
        }
        // 8 characters of an alphabet without look-alikes: 31^8, about 8.5 × 10^11.
        let code: String = (0..8)
            .map(|_| char::from(b"23456789abcdefghjkmnpqrstuvwxyz"[rand::random_range(0..31)]))
            .collect();
        let id = sqlx::query(
            "INSERT INTO promo_links (session_id, code, label, label_key, created_by, created_at)
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(session)
        .bind(&code)
        .bind(label)
        .bind(label.to_lowercase())
        .bind(by)
        .bind(Timestamp::now().millis())
        .fetch_one(self.store.pool())
        .await
        .map_err(|e| match sellstream_store::unique_violation(&e) {
            Some(c) if c.contains("code") => OpsError::Conflict("try again".into()),
            Some(_) => {
                OpsError::AlreadyExists(format!("this session already has a link “{label}”"))
            }
            None => e.into(),
        })?
        .try_get::<i64, _>(0)?;
        self.links(session)
            .await?
            .into_iter()
            .find(|l| l.id == id)
            .ok_or_else(|| OpsError::NotFound(format!("link {id}")))
    }

    pub async fn delete_link(&self, session: i64, id: i64) -> Result<(), OpsError> {
        let n = sqlx::query("DELETE FROM promo_links WHERE id = $1 AND session_id = $2")
            .bind(id)
            .bind(session)
            .execute(self.store.pool())
            .await?
            .rows_affected();
        if n == 0 {
            return Err(OpsError::NotFound(format!(
                "link {id} of session {session}"
            )));
        }
        Ok(())
    }

    /// Counts a visit through a link; answers the session it leads to.
    pub async fn click(&self, code: &str) -> Result<i64, OpsError> {
        let row = sqlx::query(
            "UPDATE promo_links SET clicks = clicks + 1 WHERE code = $1 RETURNING session_id",
        )
        .bind(code)
        .fetch_optional(self.store.pool())
        .await?
        .ok_or_else(|| OpsError::NotFound(format!("link {code}")))?;
        Ok(row.try_get(0)?)
    }

    /// The link's session, without counting a visit (the poster's QR code).
    pub async fn link(&self, session: i64, code: &str) -> Result<PromoLink, OpsError> {
        self.links(session)
            .await?
            .into_iter()
            .find(|l| l.code == code)
            .ok_or_else(|| OpsError::NotFound(format!("link {code} of session {session}")))
    }
}
