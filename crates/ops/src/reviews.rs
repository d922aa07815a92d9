//! Post-live review notes (复盘, plan §4): what went well, what did not, and action items with an
//! owner and a due date. Open items follow the team to its next sessions until someone closes them.

use crate::OpsError;
use sellstream_core::Timestamp;
use sellstream_store::{Row, Store};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

const MAX_NOTES_CHARS: usize = 5_000;
const MAX_ITEMS_PER_SESSION: i64 = 50;

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NotesInput {
    #[serde(default)]
    pub went_well: String,
    #[serde(default)]
    pub to_improve: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Notes {
    pub session_id: i64,
    pub went_well: String,
    pub to_improve: String,
    pub updated_by: Option<String>,
    pub updated_at: Option<Timestamp>,
    pub actions: Vec<Action>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionInput {
    pub text: String,
    /// A staff account.
    pub owner_id: i64,
    /// The day it is due, YYYY-MM-DD.
    pub due_on: String,
    /// Set true to close the item, false to reopen it.
    #[serde(default)]
    pub done: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Action {
    pub id: i64,
    /// The session whose review raised it.
    pub session_id: i64,
    pub session_title: String,
    pub text: String,
    pub owner_id: i64,
    pub owner_name: String,
    pub due_on: String,
    pub done_at: Option<Timestamp>,
    /// Still open after its due day (Asia/Shanghai).
    pub overdue: bool,
    pub created_at: Timestamp,
}

#[derive(Clone)]
pub struct Reviews {
    store: Store,
}

const ACTION_SELECT: &str = "SELECT r.id, r.session_id, ls.title, r.text, r.owner_id,
    COALESCE(a.nickname, a.username, ''), r.due_on, r.done_at, r.created_at
    FROM review_actions r JOIN live_sessions ls ON ls.id = r.session_id
    LEFT JOIN accounts a ON a.id = r.owner_id";

fn today_shanghai() -> String {
    let now = time::OffsetDateTime::now_utc().to_offset(time::macros::offset!(+8));
    now.date().to_string()
}

impl Reviews {
    pub fn new(store: Store) -> Self {
        Self { store }
    }

    async fn session_exists(&self, id: i64) -> Result<(), OpsError> {
        let n: i64 = sqlx::query("SELECT COUNT(*) FROM live_sessions WHERE id = $1")
            .bind(id)
            .fetch_one(self.store.pool())
            .await?
            .try_get(0)?;
        if n == 0 {
            return Err(OpsError::NotFound(format!("session {id}")));
        }
        Ok(())
    }

    /// A session's notes and the action items its review raised.
    pub async fn notes(&self, session: i64) -> Result<Notes, OpsError> {
        self.session_exists(session).await?;
        let row = sqlx::query(
            "SELECT n.went_well, n.to_improve, COALESCE(a.nickname, a.username), n.updated_at
             FROM review_notes n LEFT JOIN accounts a ON a.id = n.updated_by WHERE n.session_id = $1",
        )
        .bind(session)
        .fetch_optional(self.store.pool())
        .await?;
        let actions = self
            .actions_where("r.session_id = $1", Some(session))
            .await?;
        Ok(match row {
            Some(r) => Notes {
                session_id: session,
                went_well: r.try_get(0)?,
                to_improve: r.try_get(1)?,
                updated_by: r.try_get(2)?,
                updated_at: r.try_get::<Option<i64>, _>(3)?.map(Timestamp::from_millis),
                actions,
            },
            None => Notes {
                session_id: session,
                went_well: String::new(),
                to_improve: String::new(),
                updated_by: None,
                updated_at: None,
                actions,
            },
        })
    }

    /// Writes a session's notes. Only sessions that have gone live have a review.
    pub async fn set_notes(
        &self,
        session: i64,
        input: NotesInput,
        by: i64,
    ) -> Result<Notes, OpsError> {
        self.reviewable(session).await?;
        for (field, v) in [
            ("went_well", &input.went_well),
            ("to_improve", &input.to_improve),
        ] {
            if v.chars().count() > MAX_NOTES_CHARS {
                return Err(OpsError::Invalid(format!(
                    "{field}: at most {MAX_NOTES_CHARS} characters"
                )));
            }
        }
        sqlx::query(
            "INSERT INTO review_notes (session_id, went_well, to_improve, updated_by, updated_at)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (session_id) DO UPDATE SET went_well = excluded.went_well,
                 to_improve = excluded.to_improve, updated_by = excluded.updated_by,
                 updated_at = excluded.updated_at",
        )
        .bind(session)
        .bind(input.went_well.trim())
        .bind(input.to_improve.trim())
        .bind(by)
        .bind(Timestamp::now().millis())
        .execute(self.store.pool())
        .await?;
        self.notes(session).await
    }

    async fn reviewable(&self, session: i64) -> Result<(), OpsError> {
        let state: Option<String> = sqlx::query("SELECT state FROM live_sessions WHERE id = $1")
            .bind(session)
            .fetch_optional(self.store.pool())
            .await?
            .map(|r| r.try_get(0))
            .transpose()?;
        match state.as_deref() {
            None => Err(OpsError::NotFound(format!("session {session}"))),
            Some("live" | "ended") => Ok(()),
            Some(s) => Err(OpsError::Conflict(format!(
                "a {s} session has no review yet: it has not gone live"
            ))),
        }
    }

    async fn check_action(&self, input: &ActionInput) -> Result<(String, String), OpsError> {
        let text = input.text.trim();
        if text.is_empty() || text.chars().count() > 300 {
            return Err(OpsError::Invalid("text: 1 to 300 characters".into()));
        }
        let due = time::Date::parse(
            &input.due_on,
            time::macros::format_description!("[year]-[month]-[day]"),
        )
        .map_err(|_| OpsError::Invalid("due_on: a day as YYYY-MM-DD".into()))?;
        let staff: i64 = sqlx::query(
            "SELECT COUNT(*) FROM accounts WHERE id = $1 AND kind = 'staff' AND disabled = $2",
        )
        .bind(input.owner_id)
        .bind(false)
        .fetch_one(self.store.pool())
        .await?
        .try_get(0)?;
        if staff == 0 {
            return Err(OpsError::Invalid(format!(
                "owner_id: {} is not an active staff account",
                input.owner_id
            )));
        }
        Ok((text.to_owned(), due.to_string()))
    }

    /// Adds an action item to a session's review.
    pub async fn add_action(&self, session: i64, input: ActionInput) -> Result<Action, OpsError> {
        self.reviewable(session).await?;
        let (text, due) = self.check_action(&input).await?;
        let n: i64 = sqlx::query("SELECT COUNT(*) FROM review_actions WHERE session_id = $1")
            .bind(session)
            .fetch_one(self.store.pool())
            .await?
            .try_get(0)?;
        if n >= MAX_ITEMS_PER_SESSION {
            return Err(OpsError::Invalid(format!(
                "a review holds at most {MAX_ITEMS_PER_SESSION} action items"
            )));
        }
        let now = Timestamp::now().millis();
        let id: i64 = sqlx::query(
            "INSERT INTO review_actions (session_id, text, owner_id, due_on, done_at, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
        )
        .bind(session)
        .bind(&text)
        .bind(input.owner_id)
        .bind(&due)
        .bind(input.done.then_some(now))
        .bind(now)
        .fetch_one(self.store.pool())
        .await?
        .try_get(0)?;
        self.action(id).await
    }

    /// Edits an action item, or closes or reopens it.
    pub async fn update_action(&self, id: i64, input: ActionInput) -> Result<Action, OpsError> {
        let current = self.action(id).await?;
        let (text, due) = self.check_action(&input).await?;
        let now = Timestamp::now().millis();
        let done_at = match (input.done, current.done_at) {
            (true, Some(at)) => Some(at.millis()),
            (true, None) => Some(now),
            (false, _) => None,
        };
        sqlx::query(
            "UPDATE review_actions SET text = $1, owner_id = $2, due_on = $3, done_at = $4, updated_at = $5
             WHERE id = $6",
        )
        .bind(&text)
        .bind(input.owner_id)
        .bind(&due)
        .bind(done_at)
        .bind(now)
        .bind(id)
        .execute(self.store.pool())
        .await?;
        self.action(id).await
    }

    pub async fn delete_action(&self, id: i64) -> Result<(), OpsError> {
        let n = sqlx::query("DELETE FROM review_actions WHERE id = $1")
            .bind(id)
            .execute(self.store.pool())
            .await?
            .rows_affected();
        if n == 0 {
            return Err(OpsError::NotFound(format!("action item {id}")));
        }
        Ok(())
    }

    async fn action(&self, id: i64) -> Result<Action, OpsError> {
        self.actions_where("r.id = $1", Some(id))
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| OpsError::NotFound(format!("action item {id}")))
    }

    /// Open action items, oldest due first: what the next session's plan must answer.
    pub async fn open_actions(&self) -> Result<Vec<Action>, OpsError> {
        self.actions_where("r.done_at IS NULL", None).await
    }

    async fn actions_where(&self, cond: &str, bind: Option<i64>) -> Result<Vec<Action>, OpsError> {
        let sql = format!("{ACTION_SELECT} WHERE {cond} ORDER BY r.due_on, r.id");
        let mut q = sqlx::query(&sql);
        if let Some(b) = bind {
            q = q.bind(b);
        }
        let today = today_shanghai();
        let rows = q.fetch_all(self.store.pool()).await?;
        rows.iter()
            .map(|r| {
                let due_on: String = r.try_get(6)?;
                let done_at: Option<i64> = r.try_get(7)?;
                Ok(Action {
                    id: r.try_get(0)?,
                    session_id: r.try_get(1)?,
                    session_title: r.try_get(2)?,
                    text: r.try_get(3)?,
                    owner_id: r.try_get(4)?,
                    owner_name: r.try_get(5)?,
                    overdue: done_at.is_none() && due_on < today,
                    due_on,
                    done_at: done_at.map(Timestamp::from_millis),
                    created_at: Timestamp::from_millis(r.try_get(8)?),
                })
            })
            .collect()
    }
}
