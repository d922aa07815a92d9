//! Host training (plan §5.2): courses on the plan's topics — company culture and brand, product
//! knowledge, communication, live skills, emergency handling — delivered in a classroom, online
//! or as live practice, with materials; enrolment, attendance and completion. Periodic
//! assessments score a host on the rubric of the plan's criteria; each weak criterion becomes a
//! coaching item pointing at a course on the matching topic.

use crate::talent::{weighted, CRITERIA, SCORE_MAX, SCORE_MIN};
use crate::OpsError;
use sellstream_core::Timestamp;
use sellstream_store::{Row, Store};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

pub const TOPICS: [&str; 5] = [
    "culture_brand",
    "product_knowledge",
    "communication",
    "live_skills",
    "emergency",
];
pub const DELIVERY: [&str; 3] = ["classroom", "online", "live_practice"];
/// A criterion scored below this in an assessment gets a coaching item.
pub const COACHING_BELOW: i64 = 6;

/// The course topic that trains each criterion.
pub fn topic_for(criterion: &str) -> &'static str {
    match criterion {
        "image" => "live_skills",
        "expression" => "communication",
        "adaptability" => "emergency",
        "product_knowledge" => "product_knowledge",
        _ => "communication",
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Material {
    /// text, link or file (a link to an uploaded file).
    pub kind: String,
    pub title: String,
    /// The text itself, or the URL.
    pub content: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CourseInput {
    pub title: String,
    pub topic: String,
    pub delivery: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub materials: Vec<Material>,
    #[serde(default)]
    pub starts_at: Option<Timestamp>,
    #[serde(default)]
    pub ends_at: Option<Timestamp>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Enrolment {
    pub course_id: i64,
    pub course: String,
    pub topic: String,
    pub host_id: i64,
    pub host: String,
    pub enrolled_at: Timestamp,
    pub attended_at: Option<Timestamp>,
    pub completed_at: Option<Timestamp>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Course {
    pub id: i64,
    pub title: String,
    pub topic: String,
    pub delivery: String,
    pub description: String,
    pub materials: Vec<Material>,
    pub starts_at: Option<Timestamp>,
    pub ends_at: Option<Timestamp>,
    pub enrolments: Vec<Enrolment>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttendanceInput {
    pub attended: bool,
    pub completed: bool,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssessmentInput {
    /// The period assessed: YYYY-MM (monthly) or YYYY-Qn (quarterly).
    pub period: String,
    /// A whole number from 1 to 10 for each of the plan's criteria.
    pub scores: BTreeMap<String, i64>,
    #[serde(default)]
    pub notes: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CoachingItem {
    pub id: i64,
    pub assessment_id: i64,
    pub period: String,
    pub criterion: String,
    pub text: String,
    /// A course on the matching topic, when there is one.
    pub course_id: Option<i64>,
    pub course: Option<String>,
    pub done_at: Option<Timestamp>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Assessment {
    pub id: i64,
    pub host_id: i64,
    pub period: String,
    pub assessor: String,
    pub scores: BTreeMap<String, i64>,
    /// Weighted with the recruiting weights, 1–10.
    pub overall: f64,
    pub notes: String,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AssessmentHistory {
    /// Oldest first, for the trend.
    pub items: Vec<Assessment>,
    pub coaching: Vec<CoachingItem>,
    /// Change of the overall score from the previous period to the latest.
    pub trend: Option<f64>,
}

#[derive(Clone)]
pub struct Training {
    store: Store,
}

fn one_of(field: &str, v: &str, allowed: &[&str]) -> Result<(), OpsError> {
    if allowed.contains(&v) {
        Ok(())
    } else {
        Err(OpsError::Invalid(format!(
            "{field}: one of {}",
            allowed.join(", ")
        )))
    }
}

fn period_ok(p: &str) -> bool {
    let b = p.as_bytes();
    let year = p.len() >= 4 && b[..4].iter().all(u8::is_ascii_digit);
    match p.len() {
        7 if year && b[4] == b'-' => {
            (b[5] == b'Q' && (b'1'..=b'4').contains(&b[6]))
                || p[5..]
                    .parse::<u8>()
                    .is_ok_and(|m| (1..=12).contains(&m) && b[5].is_ascii_digit())
        }
        _ => false,
    }
}

impl Training {
    pub fn new(store: Store) -> Self {
        Self { store }
    }

    async fn host_exists(&self, host: i64) -> Result<String, OpsError> {
        sqlx::query(
            "SELECT a.nickname FROM accounts a JOIN account_roles r ON r.account_id = a.id
             WHERE a.id = $1 AND r.role = 'host'",
        )
        .bind(host)
        .fetch_optional(self.store.pool())
        .await?
        .ok_or_else(|| OpsError::Invalid(format!("host {host}: no host account")))?
        .try_get(0)
        .map_err(Into::into)
    }

    fn check_course(input: &CourseInput) -> Result<(), OpsError> {
        let title = input.title.trim();
        if title.is_empty() || title.chars().count() > 60 {
            return Err(OpsError::Invalid("title: 1 to 60 characters".into()));
        }
        one_of("topic", &input.topic, &TOPICS)?;
        one_of("delivery", &input.delivery, &DELIVERY)?;
        if input.description.chars().count() > 2_000 || input.materials.len() > 30 {
            return Err(OpsError::Invalid(
                "description: at most 2000 characters; materials: at most 30".into(),
            ));
        }
        for (i, m) in input.materials.iter().enumerate() {
            one_of(
                &format!("materials[{i}].kind"),
                &m.kind,
                &["text", "link", "file"],
            )?;
            if m.title.trim().is_empty() || m.content.chars().count() > 20_000 {
                return Err(OpsError::Invalid(format!(
                    "materials[{i}]: a title, and at most 20000 characters"
                )));
            }
            if m.kind != "text" && !sellstream_core::url::is_asset_url(m.content.trim()) {
                return Err(OpsError::Invalid(format!(
                    "materials[{i}].content: an http(s) URL or a path starting with /"
                )));
            }
        }
        if let (Some(s), Some(e)) = (input.starts_at, input.ends_at) {
            if e.millis() <= s.millis() {
                return Err(OpsError::Invalid("ends_at: after starts_at".into()));
            }
        }
        Ok(())
    }

    pub async fn save_course(
        &self,
        id: Option<i64>,
        input: CourseInput,
        by: i64,
    ) -> Result<Course, OpsError> {
        Self::check_course(&input)?;
        let title = input.title.trim().to_owned();
        let materials = serde_json::to_string(&input.materials).expect("materials");
        let now = Timestamp::now().millis();
        let result = match id {
            None => sqlx::query(
                "INSERT INTO courses (title, title_key, topic, delivery, description, materials,
                 starts_at, ends_at, created_by, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING id",
            )
            .bind(&title)
            .bind(title.to_lowercase())
            .bind(&input.topic)
            .bind(&input.delivery)
            .bind(input.description.trim())
            .bind(&materials)
            .bind(input.starts_at.map(|t| t.millis()))
            .bind(input.ends_at.map(|t| t.millis()))
            .bind(by)
            .bind(now)
            .fetch_one(self.store.pool())
            .await
            .and_then(|r| r.try_get::<i64, _>(0)),
            Some(id) => {
                self.course(id).await?;
                sqlx::query(
                    "UPDATE courses SET title = $1, title_key = $2, topic = $3, delivery = $4,
                     description = $5, materials = $6, starts_at = $7, ends_at = $8, updated_at = $9
                     WHERE id = $10",
                )
                .bind(&title)
                .bind(title.to_lowercase())
                .bind(&input.topic)
                .bind(&input.delivery)
                .bind(input.description.trim())
                .bind(&materials)
                .bind(input.starts_at.map(|t| t.millis()))
                .bind(input.ends_at.map(|t| t.millis()))
                .bind(now)
                .bind(id)
                .execute(self.store.pool())
                .await
                .map(|_| id)
            }
        };
        match result {
            Ok(id) => self.course(id).await,
            Err(e) if sellstream_store::unique_violation(&e).is_some() => Err(
                OpsError::AlreadyExists(format!("a course named {title} exists")),
            ),
            Err(e) => Err(e.into()),
        }
    }

    pub async fn courses(&self) -> Result<Vec<Course>, OpsError> {
        let rows =
            sqlx::query("SELECT id FROM courses ORDER BY COALESCE(starts_at, created_at) DESC")
                .fetch_all(self.store.pool())
                .await?;
        let mut out = Vec::new();
        for r in rows {
            out.push(self.course(r.try_get(0)?).await?);
        }
        Ok(out)
    }

    pub async fn course(&self, id: i64) -> Result<Course, OpsError> {
        let r = sqlx::query(
            "SELECT id, title, topic, delivery, description, materials, starts_at, ends_at
             FROM courses WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(self.store.pool())
        .await?
        .ok_or_else(|| OpsError::NotFound(format!("course {id}")))?;
        Ok(Course {
            id: r.try_get(0)?,
            title: r.try_get(1)?,
            topic: r.try_get(2)?,
            delivery: r.try_get(3)?,
            description: r.try_get(4)?,
            materials: serde_json::from_str(&r.try_get::<String, _>(5)?).unwrap_or_default(),
            starts_at: r.try_get::<Option<i64>, _>(6)?.map(Timestamp::from_millis),
            ends_at: r.try_get::<Option<i64>, _>(7)?.map(Timestamp::from_millis),
            enrolments: self.enrolments_where("e.course_id = $1", id).await?,
        })
    }

    async fn enrolments_where(&self, cond: &str, id: i64) -> Result<Vec<Enrolment>, OpsError> {
        let rows = sqlx::query(&format!(
            "SELECT e.course_id, c.title, c.topic, e.host_id, a.nickname, e.enrolled_at,
             e.attended_at, e.completed_at FROM enrolments e JOIN courses c ON c.id = e.course_id
             JOIN accounts a ON a.id = e.host_id WHERE {cond} ORDER BY e.enrolled_at, e.host_id"
        ))
        .bind(id)
        .fetch_all(self.store.pool())
        .await?;
        rows.iter()
            .map(|r| {
                let ts = |i: usize| -> Result<Option<Timestamp>, sqlx::Error> {
                    Ok(r.try_get::<Option<i64>, _>(i)?.map(Timestamp::from_millis))
                };
                Ok(Enrolment {
                    course_id: r.try_get(0)?,
                    course: r.try_get(1)?,
                    topic: r.try_get(2)?,
                    host_id: r.try_get(3)?,
                    host: r.try_get(4)?,
                    enrolled_at: Timestamp::from_millis(r.try_get(5)?),
                    attended_at: ts(6)?,
                    completed_at: ts(7)?,
                })
            })
            .collect()
    }

    pub async fn delete_course(&self, id: i64) -> Result<(), OpsError> {
        let practised: i64 =
            sqlx::query("SELECT COUNT(*) FROM live_sessions WHERE practice_course_id = $1")
                .bind(id)
                .fetch_one(self.store.pool())
                .await?
                .try_get(0)?;
        if practised > 0 {
            return Err(OpsError::Conflict(format!(
                "course {id} has {practised} practice sessions with their scorecards: keep it"
            )));
        }
        let n = sqlx::query("DELETE FROM courses WHERE id = $1")
            .bind(id)
            .execute(self.store.pool())
            .await?
            .rows_affected();
        if n == 0 {
            return Err(OpsError::NotFound(format!("course {id}")));
        }
        Ok(())
    }

    /// Enrols hosts in a course; enrolling one twice changes nothing. All or nothing.
    pub async fn enrol(&self, course: i64, hosts: &[i64]) -> Result<Course, OpsError> {
        self.course(course).await?;
        if hosts.is_empty() || hosts.len() > 200 {
            return Err(OpsError::Invalid("host_ids: 1 to 200 hosts".into()));
        }
        for h in hosts {
            self.host_exists(*h).await?;
        }
        let mut tx = self.store.begin_write().await?;
        for h in hosts {
            sqlx::query(
                "INSERT INTO enrolments (course_id, host_id, enrolled_at) VALUES ($1, $2, $3)
                 ON CONFLICT (course_id, host_id) DO NOTHING",
            )
            .bind(course)
            .bind(h)
            .bind(Timestamp::now().millis())
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        self.course(course).await
    }

    /// Records attendance and completion; completing without attending is refused.
    pub async fn attend(
        &self,
        course: i64,
        host: i64,
        input: AttendanceInput,
    ) -> Result<Course, OpsError> {
        if input.completed && !input.attended {
            return Err(OpsError::Invalid(
                "completed: a host completes a course they attended".into(),
            ));
        }
        let now = Timestamp::now().millis();
        let n = sqlx::query(
            "UPDATE enrolments SET
               attended_at = CASE WHEN $1 = 1 THEN COALESCE(attended_at, $3) ELSE NULL END,
               completed_at = CASE WHEN $2 = 1 THEN COALESCE(completed_at, $3) ELSE NULL END
             WHERE course_id = $4 AND host_id = $5",
        )
        .bind(i64::from(input.attended))
        .bind(i64::from(input.completed))
        .bind(now)
        .bind(course)
        .bind(host)
        .execute(self.store.pool())
        .await?
        .rows_affected();
        if n == 0 {
            return Err(OpsError::NotFound(format!(
                "host {host} is not enrolled in course {course}"
            )));
        }
        self.course(course).await
    }

    pub async fn training_of(&self, host: i64) -> Result<Vec<Enrolment>, OpsError> {
        self.enrolments_where("e.host_id = $1", host).await
    }

    /// Scores a host for a period (one assessment per period); each criterion below
    /// [`COACHING_BELOW`] becomes a coaching item with a course on the matching topic.
    pub async fn assess(
        &self,
        host: i64,
        input: AssessmentInput,
        weights: &BTreeMap<String, i64>,
        by: i64,
    ) -> Result<AssessmentHistory, OpsError> {
        self.host_exists(host).await?;
        if !period_ok(&input.period) {
            return Err(OpsError::Invalid(
                "period: YYYY-MM or YYYY-Qn, e.g. 2026-11 or 2026-Q4".into(),
            ));
        }
        for k in input.scores.keys() {
            if !CRITERIA.contains(&k.as_str()) {
                return Err(OpsError::Invalid(format!("scores: no criterion {k}")));
            }
        }
        for k in CRITERIA {
            match input.scores.get(k) {
                Some(v) if (SCORE_MIN..=SCORE_MAX).contains(v) => {}
                _ => {
                    return Err(OpsError::Invalid(format!(
                        "scores.{k}: a whole number from {SCORE_MIN} to {SCORE_MAX} for every criterion"
                    )))
                }
            }
        }
        if input.notes.chars().count() > 2_000 {
            return Err(OpsError::Invalid("notes: at most 2000 characters".into()));
        }
        let overall = weighted(&input.scores, weights);
        let now = Timestamp::now().millis();
        let mut tx = self.store.begin_write().await?;
        let id: i64 = sqlx::query(
            "INSERT INTO assessments (host_id, period, assessor_id, scores, overall, notes, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(host)
        .bind(&input.period)
        .bind(by)
        .bind(serde_json::to_string(&input.scores).expect("scores"))
        .bind(overall)
        .bind(input.notes.trim())
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| match sellstream_store::unique_violation(&e) {
            Some(_) => OpsError::AlreadyExists(format!(
                "the host already has an assessment for {}",
                input.period
            )),
            None => e.into(),
        })?
        .try_get(0)?;
        for c in CRITERIA {
            let score = input.scores[c];
            if score >= COACHING_BELOW {
                continue;
            }
            let topic = topic_for(c);
            let course: Option<i64> = sqlx::query(
                "SELECT id FROM courses WHERE topic = $1 ORDER BY COALESCE(starts_at, created_at) DESC LIMIT 1",
            )
            .bind(topic)
            .fetch_optional(&mut *tx)
            .await?
            .map(|r| r.try_get(0))
            .transpose()?;
            sqlx::query(
                "INSERT INTO coaching_items (assessment_id, host_id, criterion, text, course_id, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(id)
            .bind(host)
            .bind(c)
            .bind(format!("{c} scored {score}/{SCORE_MAX}: coaching on {topic}"))
            .bind(course)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        self.history(host).await
    }

    pub async fn history(&self, host: i64) -> Result<AssessmentHistory, OpsError> {
        let rows = sqlx::query(
            "SELECT s.id, s.host_id, s.period, COALESCE(a.nickname, a.username), s.scores, s.overall,
             s.notes, s.created_at FROM assessments s JOIN accounts a ON a.id = s.assessor_id
             WHERE s.host_id = $1 ORDER BY s.period, s.id",
        )
        .bind(host)
        .fetch_all(self.store.pool())
        .await?;
        let items: Vec<Assessment> = rows
            .iter()
            .map(|r| {
                Ok(Assessment {
                    id: r.try_get(0)?,
                    host_id: r.try_get(1)?,
                    period: r.try_get(2)?,
                    assessor: r.try_get(3)?,
                    scores: serde_json::from_str(&r.try_get::<String, _>(4)?).unwrap_or_default(),
                    overall: r.try_get::<i64, _>(5)? as f64 / 100.0,
                    notes: r.try_get(6)?,
                    created_at: Timestamp::from_millis(r.try_get(7)?),
                })
            })
            .collect::<Result<_, OpsError>>()?;
        let rows = sqlx::query(
            "SELECT k.id, k.assessment_id, s.period, k.criterion, k.text, k.course_id, c.title,
             k.done_at FROM coaching_items k JOIN assessments s ON s.id = k.assessment_id
             LEFT JOIN courses c ON c.id = k.course_id WHERE k.host_id = $1
             ORDER BY k.done_at IS NOT NULL, s.period DESC, k.id",
        )
        .bind(host)
        .fetch_all(self.store.pool())
        .await?;
        let coaching = rows
            .iter()
            .map(|r| {
                Ok(CoachingItem {
                    id: r.try_get(0)?,
                    assessment_id: r.try_get(1)?,
                    period: r.try_get(2)?,
                    criterion: r.try_get(3)?,
                    text: r.try_get(4)?,
                    course_id: r.try_get(5)?,
                    course: r.try_get(6)?,
                    done_at: r.try_get::<Option<i64>, _>(7)?.map(Timestamp::from_millis),
                })
            })
            .collect::<Result<_, OpsError>>()?;
        let trend = match items.as_slice() {
            [.., a, b] => Some(((b.overall - a.overall) * 100.0).round() / 100.0),
            _ => None,
        };
        Ok(AssessmentHistory {
            items,
            coaching,
            trend,
        })
    }

    /// Per host: courses completed, and the latest assessment (period, overall 1–10).
    pub async fn summaries(
        &self,
    ) -> Result<std::collections::HashMap<i64, (i64, Option<(String, f64)>)>, OpsError> {
        let mut out: std::collections::HashMap<i64, (i64, Option<(String, f64)>)> =
            std::collections::HashMap::new();
        let rows = sqlx::query(
            "SELECT host_id, COUNT(*) FROM enrolments WHERE completed_at IS NOT NULL GROUP BY host_id",
        )
        .fetch_all(self.store.pool())
        .await?;
        for r in rows {
            out.entry(r.try_get(0)?).or_default().0 = r.try_get(1)?;
        }
        let rows = sqlx::query(
            "SELECT s.host_id, s.period, s.overall FROM assessments s
             WHERE s.period = (SELECT MAX(t.period) FROM assessments t WHERE t.host_id = s.host_id)",
        )
        .fetch_all(self.store.pool())
        .await?;
        for r in rows {
            out.entry(r.try_get(0)?).or_default().1 =
                Some((r.try_get(1)?, r.try_get::<i64, _>(2)? as f64 / 100.0));
        }
        Ok(out)
    }

    pub async fn coaching_done(&self, id: i64, done: bool) -> Result<i64, OpsError> {
        let row = sqlx::query(
            "UPDATE coaching_items SET done_at = CASE WHEN $1 = 1 THEN COALESCE(done_at, $2) ELSE NULL END
             WHERE id = $3 RETURNING host_id",
        )
        .bind(i64::from(done))
        .bind(Timestamp::now().millis())
        .bind(id)
        .fetch_optional(self.store.pool())
        .await?
        .ok_or_else(|| OpsError::NotFound(format!("coaching item {id}")))?;
        Ok(row.try_get(0)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_are_months_or_quarters() {
        for ok in ["2026-11", "2026-01", "2026-Q4", "2027-Q1"] {
            assert!(period_ok(ok), "{ok}");
        }
        for bad in [
            "2026-13", "2026-00", "2026-Q5", "2026/11", "26-11", "2026-1", "2026-+1",
        ] {
            assert!(!period_ok(bad), "{bad}");
        }
    }

    #[test]
    fn every_criterion_has_a_topic() {
        for c in CRITERIA {
            assert!(TOPICS.contains(&topic_for(c)));
        }
    }
}
