//! Live practice (plan §5.2, "live practice" delivery): a trainee runs a private session in the
//! real room — chat, pinned products, polls, questions — with colleagues playing the viewers;
//! trainers score the show on a scorecard. What happened in the room (from its event log) sits
//! beside the scores as evidence.
//!
//! The session itself lives in `live_sessions` with `practice_course_id` set; the `live` crate
//! keeps it out of viewers' lists, staff-only in the room, and refuses orders for it.

use crate::talent::{SCORE_MAX, SCORE_MIN};
use crate::OpsError;
use sellstream_core::Timestamp;
use sellstream_store::{Row, Store};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// What a trainer scores in a practice show: the opening, the product pitch, interaction with
/// the room, pacing and control, and the handling of an incident the trainer stages.
pub const PRACTICE_CRITERIA: [&str; 5] = [
    "opening",
    "product_pitch",
    "interaction",
    "pacing",
    "emergency",
];

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScorecardInput {
    /// A whole number from 1 to 10 for each of the practice criteria.
    pub scores: BTreeMap<String, i64>,
    #[serde(default)]
    pub notes: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Scorecard {
    pub id: i64,
    pub trainer_id: i64,
    pub trainer: String,
    pub scores: BTreeMap<String, i64>,
    /// The mean of the scores, 1–10.
    pub overall: f64,
    pub notes: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// What the room's log shows of the show.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct RoomEvidence {
    /// Accounts that entered the room, the trainee included.
    pub participants: i64,
    pub chat_messages: i64,
    /// Of which the trainee's own.
    pub host_messages: i64,
    pub pins: i64,
    pub polls: i64,
    pub lotteries: i64,
    pub questions: i64,
    pub questions_answered: i64,
    /// From going live to the end (or now while live).
    pub minutes_live: Option<f64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PracticeSession {
    pub session_id: i64,
    pub title: String,
    /// scheduled, live, ended or cancelled.
    pub state: String,
    pub course_id: i64,
    pub course: String,
    pub host_id: Option<i64>,
    pub host: Option<String>,
    pub scheduled_start: Timestamp,
    pub scheduled_end: Timestamp,
    pub started_at: Option<Timestamp>,
    pub ended_at: Option<Timestamp>,
    pub scorecards: Vec<Scorecard>,
    /// The mean of the trainers' overall scores, once scored.
    pub overall: Option<f64>,
    /// Only on a single practice session.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub room: Option<RoomEvidence>,
}

#[derive(Clone)]
pub struct Practice {
    store: Store,
}

const SELECT: &str = "SELECT s.id, s.title, s.state, s.practice_course_id, c.title, s.host_id,
    COALESCE(a.nickname, a.username), s.scheduled_start, s.scheduled_end, s.started_at, s.ended_at
    FROM live_sessions s JOIN courses c ON c.id = s.practice_course_id
    LEFT JOIN accounts a ON a.id = s.host_id";

impl Practice {
    pub fn new(store: Store) -> Self {
        Self { store }
    }

    /// Whether `host` may practise in `course`: a live-practice course they are enrolled in.
    /// Returns the course's title.
    pub async fn check_new(&self, course: i64, host: i64) -> Result<String, OpsError> {
        let row = sqlx::query("SELECT title, delivery FROM courses WHERE id = $1")
            .bind(course)
            .fetch_optional(self.store.pool())
            .await?
            .ok_or_else(|| OpsError::NotFound(format!("course {course}")))?;
        let (title, delivery): (String, String) = (row.try_get(0)?, row.try_get(1)?);
        if delivery != "live_practice" {
            return Err(OpsError::Conflict(format!(
                "course {course} is delivered as {delivery}: practice sessions belong to live-practice courses"
            )));
        }
        let enrolled: i64 =
            sqlx::query("SELECT COUNT(*) FROM enrolments WHERE course_id = $1 AND host_id = $2")
                .bind(course)
                .bind(host)
                .fetch_one(self.store.pool())
                .await?
                .try_get(0)?;
        if enrolled == 0 {
            return Err(OpsError::Invalid(format!(
                "host_id: host {host} is not enrolled in course {course}; enrol them first"
            )));
        }
        Ok(title)
    }

    /// One practice session with its scorecards and what the room's log shows.
    pub async fn get(&self, session: i64) -> Result<PracticeSession, OpsError> {
        let row = sqlx::query(&format!("{SELECT} WHERE s.id = $1"))
            .bind(session)
            .fetch_optional(self.store.pool())
            .await?
            .ok_or_else(|| OpsError::NotFound(format!("practice session {session}")))?;
        let mut p = from_row(&row)?;
        p.scorecards = self.scorecards(session).await?;
        p.overall = mean(&p.scorecards);
        p.room = Some(self.evidence(&p).await?);
        Ok(p)
    }

    /// Practice sessions of a course or of a host (either filter may be left out), newest first.
    pub async fn list(
        &self,
        course: Option<i64>,
        host: Option<i64>,
    ) -> Result<Vec<PracticeSession>, OpsError> {
        let rows = sqlx::query(&format!(
            "{SELECT} WHERE ($1 IS NULL OR s.practice_course_id = $1) AND ($2 IS NULL OR s.host_id = $2)
             ORDER BY s.scheduled_start DESC, s.id DESC LIMIT 200"
        ))
        .bind(course)
        .bind(host)
        .fetch_all(self.store.pool())
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let mut p = from_row(r)?;
            p.scorecards = self.scorecards(p.session_id).await?;
            p.overall = mean(&p.scorecards);
            out.push(p);
        }
        Ok(out)
    }

    async fn scorecards(&self, session: i64) -> Result<Vec<Scorecard>, OpsError> {
        let rows = sqlx::query(
            "SELECT p.id, p.trainer_id, COALESCE(a.nickname, a.username), p.scores, p.overall,
                    p.notes, p.created_at, p.updated_at
             FROM practice_scorecards p JOIN accounts a ON a.id = p.trainer_id
             WHERE p.session_id = $1 ORDER BY p.id",
        )
        .bind(session)
        .fetch_all(self.store.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Scorecard {
                    id: r.try_get(0)?,
                    trainer_id: r.try_get(1)?,
                    trainer: r.try_get(2)?,
                    scores: serde_json::from_str(&r.try_get::<String, _>(3)?)
                        .map_err(|e| OpsError::Invalid(format!("stored scores: {e}")))?,
                    overall: r.try_get::<i64, _>(4)? as f64 / 100.0,
                    notes: r.try_get(5)?,
                    created_at: Timestamp::from_millis(r.try_get(6)?),
                    updated_at: Timestamp::from_millis(r.try_get(7)?),
                })
            })
            .collect()
    }

    async fn evidence(&self, p: &PracticeSession) -> Result<RoomEvidence, OpsError> {
        let row = sqlx::query(
            "SELECT
               COUNT(DISTINCT CASE WHEN kind = 'enter' THEN actor_id END),
               COALESCE(SUM(CASE WHEN kind = 'chat' AND actor_id IS NOT NULL THEN 1 ELSE 0 END), 0),
               COALESCE(SUM(CASE WHEN kind = 'chat' AND actor_id = $2 THEN 1 ELSE 0 END), 0),
               COALESCE(SUM(CASE WHEN kind = 'pin' THEN 1 ELSE 0 END), 0),
               COALESCE(SUM(CASE WHEN kind = 'poll_opened' THEN 1 ELSE 0 END), 0),
               COALESCE(SUM(CASE WHEN kind = 'lottery_opened' THEN 1 ELSE 0 END), 0),
               COALESCE(SUM(CASE WHEN kind = 'question' THEN 1 ELSE 0 END), 0),
               COUNT(DISTINCT CASE WHEN kind = 'question_updated' AND payload NOT LIKE '%\"answer\":null%'
                                   THEN ref_id END)
             FROM room_events WHERE session_id = $1",
        )
        .bind(p.session_id)
        .bind(p.host_id.unwrap_or(-1))
        .fetch_one(self.store.pool())
        .await?;
        let n = |i: usize| -> Result<i64, OpsError> { Ok(row.try_get::<i64, _>(i)?) };
        let minutes_live = p.started_at.map(|s| {
            let end = p.ended_at.unwrap_or_else(Timestamp::now).millis();
            ((end - s.millis()).max(0) as f64 / 6_000.0).round() / 10.0
        });
        Ok(RoomEvidence {
            participants: n(0)?,
            chat_messages: n(1)?,
            host_messages: n(2)?,
            pins: n(3)?,
            polls: n(4)?,
            lotteries: n(5)?,
            questions: n(6)?,
            questions_answered: n(7)?,
            minutes_live,
        })
    }

    /// A trainer's scorecard of a practice show, once it has started; scoring again replaces
    /// the trainer's earlier card. The trainee's enrolment counts as attended.
    pub async fn score(
        &self,
        session: i64,
        trainer: i64,
        input: ScorecardInput,
    ) -> Result<PracticeSession, OpsError> {
        let current = self.get(session).await?;
        if !matches!(current.state.as_str(), "live" | "ended") {
            return Err(OpsError::Conflict(format!(
                "practice session {session} is {}: score the show once it has started",
                current.state
            )));
        }
        if current.host_id == Some(trainer) {
            return Err(OpsError::Conflict(
                "a trainee does not score their own practice".into(),
            ));
        }
        let unknown: Vec<&str> = input
            .scores
            .keys()
            .map(String::as_str)
            .filter(|c| !PRACTICE_CRITERIA.contains(c))
            .collect();
        if !unknown.is_empty() {
            return Err(OpsError::Invalid(format!(
                "scores: unknown criteria {}; the criteria are {}",
                unknown.join(", "),
                PRACTICE_CRITERIA.join(", ")
            )));
        }
        for c in PRACTICE_CRITERIA {
            match input.scores.get(c) {
                None => {
                    return Err(OpsError::Invalid(format!(
                        "scores.{c}: required (a whole number from {SCORE_MIN} to {SCORE_MAX})"
                    )))
                }
                Some(v) if !(SCORE_MIN..=SCORE_MAX).contains(v) => {
                    return Err(OpsError::Invalid(format!(
                        "scores.{c}: {v} is outside {SCORE_MIN}–{SCORE_MAX}"
                    )))
                }
                Some(_) => {}
            }
        }
        let notes = input.notes.trim();
        if notes.chars().count() > 2_000 {
            return Err(OpsError::Invalid("notes: at most 2000 characters".into()));
        }
        let sum: i64 = input.scores.values().sum();
        let overall =
            (sum * 100 + PRACTICE_CRITERIA.len() as i64 / 2) / PRACTICE_CRITERIA.len() as i64;
        let scores = serde_json::to_string(&input.scores).expect("a map of numbers serialises");
        let now = Timestamp::now().millis();
        let mut tx = self.store.pool().begin().await?;
        sqlx::query(
            "INSERT INTO practice_scorecards (session_id, trainer_id, scores, overall, notes, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $6)
             ON CONFLICT (session_id, trainer_id) DO UPDATE
             SET scores = excluded.scores, overall = excluded.overall, notes = excluded.notes,
                 updated_at = excluded.updated_at",
        )
        .bind(session)
        .bind(trainer)
        .bind(&scores)
        .bind(overall)
        .bind(notes)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if let Some(host) = current.host_id {
            sqlx::query(
                "UPDATE enrolments SET attended_at = $1
                 WHERE course_id = $2 AND host_id = $3 AND attended_at IS NULL",
            )
            .bind(now)
            .bind(current.course_id)
            .bind(host)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        self.get(session).await
    }
}

fn mean(cards: &[Scorecard]) -> Option<f64> {
    (!cards.is_empty()).then(|| {
        let m = cards.iter().map(|c| c.overall).sum::<f64>() / cards.len() as f64;
        (m * 100.0).round() / 100.0
    })
}

fn from_row(r: &sellstream_store::AnyRow) -> Result<PracticeSession, OpsError> {
    let ts = |i: usize| -> Result<Option<Timestamp>, OpsError> {
        Ok(r.try_get::<Option<i64>, _>(i)?.map(Timestamp::from_millis))
    };
    Ok(PracticeSession {
        session_id: r.try_get(0)?,
        title: r.try_get(1)?,
        state: r.try_get(2)?,
        course_id: r.try_get(3)?,
        course: r.try_get(4)?,
        host_id: r.try_get(5)?,
        host: r.try_get(6)?,
        scheduled_start: Timestamp::from_millis(r.try_get(7)?),
        scheduled_end: Timestamp::from_millis(r.try_get(8)?),
        started_at: ts(9)?,
        ended_at: ts(10)?,
        scorecards: Vec::new(),
        overall: None,
        room: None,
    })
}
