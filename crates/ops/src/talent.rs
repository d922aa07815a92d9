//! Host recruitment (主播招聘, plan §5.1): candidates pass three rounds — initial (CV and demo
//! video), second (on-site interview) and final — each scored by one or more interviewers on the
//! plan's criteria (image, expression, adaptability, product knowledge, rapport) with editable
//! weights and pass thresholds; a decision with its reason moves a candidate on, out, or to hire.
//! Every change goes to the candidate's log. Personal data is shown to talent managers only and
//! anonymised, never deleted, once a candidate has history.

use crate::OpsError;
use sellstream_core::Timestamp;
use sellstream_store::{Row, Store};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// Scores are whole numbers on this scale.
pub const SCORE_MIN: i64 = 1;
pub const SCORE_MAX: i64 = 10;
const MAX_INTERVIEW_MS: i64 = 4 * 3_600_000;

/// The plan's criteria, in its order (plan §5.1.1).
pub const CRITERIA: [&str; 5] = [
    "image",
    "expression",
    "adaptability",
    "product_knowledge",
    "rapport",
];

pub const ROUNDS: [&str; 3] = ["initial", "second", "final"];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TalentConfig {
    /// Weight of each criterion in percent; they add up to 100.
    pub weights: BTreeMap<String, i64>,
    /// The weighted average (1–10) a candidate needs to pass each round.
    pub thresholds: BTreeMap<String, f64>,
}

impl Default for TalentConfig {
    fn default() -> Self {
        Self {
            weights: CRITERIA.iter().map(|c| (c.to_string(), 20)).collect(),
            thresholds: [("initial", 6.0), ("second", 6.5), ("final", 7.0)]
                .into_iter()
                .map(|(r, t)| (r.to_owned(), t))
                .collect(),
        }
    }
}

fn check_config(c: &TalentConfig) -> Result<(), OpsError> {
    let mut keys: Vec<&str> = c.weights.keys().map(String::as_str).collect();
    keys.sort_unstable();
    let mut want = CRITERIA.to_vec();
    want.sort_unstable();
    if keys != want {
        return Err(OpsError::Invalid(format!(
            "weights: one for each of {}",
            CRITERIA.join(", ")
        )));
    }
    if c.weights.values().any(|w| !(0..=100).contains(w)) || c.weights.values().sum::<i64>() != 100
    {
        return Err(OpsError::Invalid(
            "weights: whole percents that add up to 100".into(),
        ));
    }
    let mut rounds: Vec<&str> = c.thresholds.keys().map(String::as_str).collect();
    rounds.sort_unstable();
    if rounds != ["final", "initial", "second"] {
        return Err(OpsError::Invalid(
            "thresholds: one for each of initial, second, final".into(),
        ));
    }
    if c.thresholds
        .values()
        .any(|t| !(SCORE_MIN as f64..=SCORE_MAX as f64).contains(t))
    {
        return Err(OpsError::Invalid(format!(
            "thresholds: between {SCORE_MIN} and {SCORE_MAX}"
        )));
    }
    Ok(())
}

/// A score sheet's weighted score in hundredths (7.35 → 735).
pub fn weighted(scores: &BTreeMap<String, i64>, weights: &BTreeMap<String, i64>) -> i64 {
    let total: i64 = weights.values().sum();
    if total == 0 {
        return 0;
    }
    let sum: i64 = weights
        .iter()
        .map(|(c, w)| scores.get(c).copied().unwrap_or(0) * w * 100)
        .sum();
    (sum + total / 2) / total
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CandidateInput {
    pub name: String,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub cv_url: Option<String>,
    #[serde(default)]
    pub video_url: Option<String>,
    /// What they would sell: 美妆, 服饰…
    #[serde(default)]
    pub categories: Vec<String>,
    /// Where they came from: 招聘网站, 内推, MCN…
    #[serde(default)]
    pub source: String,
    /// They agreed that the brand keeps their data for recruiting; required.
    pub consent: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ScoreSheet {
    pub round: String,
    pub interviewer_id: i64,
    pub interviewer: String,
    pub scores: BTreeMap<String, i64>,
    /// Weighted, 1–10.
    pub weighted: f64,
    pub notes: String,
    pub scored_at: Timestamp,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Decision {
    pub round: String,
    /// advance, reject or hire.
    pub decision: String,
    pub reason: String,
    /// The round's average weighted score when decided.
    pub average: f64,
    pub decided_by: String,
    pub decided_at: Timestamp,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Interview {
    pub id: i64,
    pub candidate_id: i64,
    pub candidate: String,
    pub round: String,
    pub interviewer_id: i64,
    pub interviewer: String,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    pub place: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LogEntry {
    pub action: String,
    #[schema(value_type = Object)]
    pub detail: Value,
    pub actor: Option<String>,
    pub at: Timestamp,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Candidate {
    pub id: i64,
    pub name: String,
    /// Personal data: for talent managers only (null for others).
    pub phone: Option<String>,
    pub email: Option<String>,
    pub cv_url: Option<String>,
    pub video_url: Option<String>,
    pub categories: Vec<String>,
    pub source: String,
    /// initial, second, final (in that round), hired or rejected.
    pub stage: String,
    pub host_account_id: Option<i64>,
    pub anonymised: bool,
    /// The current round's average so far, if scored.
    pub average: Option<f64>,
    pub sheets: Vec<ScoreSheet>,
    pub decisions: Vec<Decision>,
    pub interviews: Vec<Interview>,
    /// Every change, for talent managers (empty for others).
    pub log: Vec<LogEntry>,
    /// Whether personal data was left out for this reader.
    pub personal_hidden: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScoreInput {
    /// A whole number from 1 to 10 for each criterion.
    pub scores: BTreeMap<String, i64>,
    #[serde(default)]
    pub notes: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionInput {
    /// advance (to the next round), reject, or hire (after the final round).
    pub decision: String,
    pub reason: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InterviewInput {
    pub interviewer_id: i64,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    #[serde(default)]
    pub place: String,
}

/// Who reads: a talent manager sees everything; an interviewer only what judging needs.
#[derive(Debug, Clone, Copy)]
pub struct Reader {
    pub account: i64,
    pub manager: bool,
}

#[derive(Clone)]
pub struct Talent {
    store: Store,
}

fn now() -> i64 {
    Timestamp::now().millis()
}

fn phone_key(p: &str) -> String {
    p.chars().filter(char::is_ascii_digit).collect()
}

fn hundredths(v: i64) -> f64 {
    v as f64 / 100.0
}

fn next_round(stage: &str) -> Option<&'static str> {
    match stage {
        "initial" => Some("second"),
        "second" => Some("final"),
        _ => None,
    }
}

async fn log(
    tx: &mut sellstream_store::Tx,
    candidate: i64,
    action: &str,
    detail: Value,
    actor: Option<i64>,
) -> Result<(), OpsError> {
    sqlx::query(
        "INSERT INTO candidate_log (candidate_id, action, detail, actor_id, at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(candidate)
    .bind(action)
    .bind(detail.to_string())
    .bind(actor)
    .bind(now())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

struct Clean {
    name: String,
    phone: Option<String>,
    email: Option<String>,
    cv_url: Option<String>,
    video_url: Option<String>,
    categories: Vec<String>,
    source: String,
}

fn clean(input: CandidateInput) -> Result<Clean, OpsError> {
    if !input.consent {
        return Err(OpsError::Invalid(
            "consent: the candidate must agree that their data is kept for recruiting".into(),
        ));
    }
    let name = input.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 40 {
        return Err(OpsError::Invalid("name: 1 to 40 characters".into()));
    }
    let opt = |v: Option<String>| v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
    let phone = opt(input.phone);
    if let Some(p) = &phone {
        let digits = phone_key(p);
        if !(7..=15).contains(&digits.len()) {
            return Err(OpsError::Invalid("phone: 7 to 15 digits".into()));
        }
    }
    let email = opt(input.email).map(|e| e.to_lowercase());
    if let Some(e) = &email {
        let ok = e.len() <= 100
            && e.split_once('@')
                .is_some_and(|(a, d)| !a.is_empty() && d.contains('.') && !d.starts_with('.'));
        if !ok {
            return Err(OpsError::Invalid("email: not an email address".into()));
        }
    }
    if phone.is_none() && email.is_none() {
        return Err(OpsError::Invalid(
            "phone or email: at least one way to reach the candidate".into(),
        ));
    }
    let cv_url = opt(input.cv_url);
    let video_url = opt(input.video_url);
    for (field, v) in [("cv_url", &cv_url), ("video_url", &video_url)] {
        if v.as_ref()
            .is_some_and(|u| !sellstream_core::url::is_asset_url(u) || u.len() > 500)
        {
            return Err(OpsError::Invalid(format!(
                "{field}: an http(s) URL or a path starting with /"
            )));
        }
    }
    let categories: Vec<String> = input
        .categories
        .iter()
        .map(|c| c.trim().to_owned())
        .filter(|c| !c.is_empty())
        .collect();
    if categories.len() > 10 || categories.iter().any(|c| c.chars().count() > 20) {
        return Err(OpsError::Invalid(
            "categories: at most 10 of up to 20 characters".into(),
        ));
    }
    let source = input.source.trim().to_owned();
    if source.chars().count() > 40 {
        return Err(OpsError::Invalid("source: at most 40 characters".into()));
    }
    Ok(Clean {
        name,
        phone,
        email,
        cv_url,
        video_url,
        categories,
        source,
    })
}

fn duplicate(e: sqlx::Error) -> OpsError {
    match sellstream_store::unique_violation(&e) {
        Some(c) if c.contains("phone") => {
            OpsError::AlreadyExists("a candidate with this phone exists".into())
        }
        Some(_) => OpsError::AlreadyExists("a candidate with this email exists".into()),
        None => e.into(),
    }
}

impl Talent {
    pub fn new(store: Store) -> Self {
        Self { store }
    }

    pub async fn config(&self) -> Result<TalentConfig, OpsError> {
        let row = sqlx::query("SELECT criteria, thresholds FROM talent_config WHERE id = 1")
            .fetch_optional(self.store.pool())
            .await?;
        Ok(match row {
            Some(r) => TalentConfig {
                weights: serde_json::from_str(&r.try_get::<String, _>(0)?)
                    .unwrap_or_else(|_| TalentConfig::default().weights),
                thresholds: serde_json::from_str(&r.try_get::<String, _>(1)?)
                    .unwrap_or_else(|_| TalentConfig::default().thresholds),
            },
            None => TalentConfig::default(),
        })
    }

    pub async fn set_config(&self, c: TalentConfig, by: i64) -> Result<TalentConfig, OpsError> {
        check_config(&c)?;
        sqlx::query(
            "INSERT INTO talent_config (id, criteria, thresholds, updated_by, updated_at)
             VALUES (1, $1, $2, $3, $4)
             ON CONFLICT (id) DO UPDATE SET criteria = excluded.criteria,
                 thresholds = excluded.thresholds, updated_by = excluded.updated_by,
                 updated_at = excluded.updated_at",
        )
        .bind(serde_json::to_string(&c.weights).expect("weights"))
        .bind(serde_json::to_string(&c.thresholds).expect("thresholds"))
        .bind(by)
        .bind(now())
        .execute(self.store.pool())
        .await?;
        Ok(c)
    }

    pub async fn create(&self, input: CandidateInput, by: i64) -> Result<i64, OpsError> {
        let c = clean(input)?;
        let mut tx = self.store.begin_write().await?;
        let t = now();
        let id: i64 = sqlx::query(
            "INSERT INTO candidates (name, phone, email, phone_key, email_key, cv_url, video_url,
             categories, source, consent_at, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, $10) RETURNING id",
        )
        .bind(&c.name)
        .bind(&c.phone)
        .bind(&c.email)
        .bind(c.phone.as_deref().map(phone_key))
        .bind(&c.email)
        .bind(&c.cv_url)
        .bind(&c.video_url)
        .bind(serde_json::to_string(&c.categories).expect("categories"))
        .bind(&c.source)
        .bind(t)
        .fetch_one(&mut *tx)
        .await
        .map_err(duplicate)?
        .try_get(0)?;
        log(
            &mut tx,
            id,
            "created",
            json!({"source": c.source}),
            Some(by),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn update(&self, id: i64, input: CandidateInput, by: i64) -> Result<(), OpsError> {
        let c = clean(input)?;
        let cur = self.row(id).await?;
        if cur.anonymised {
            return Err(OpsError::Conflict(
                "this candidate was anonymised: their record is closed".into(),
            ));
        }
        let mut tx = self.store.begin_write().await?;
        sqlx::query(
            "UPDATE candidates SET name = $1, phone = $2, email = $3, phone_key = $4, email_key = $5,
             cv_url = $6, video_url = $7, categories = $8, source = $9, updated_at = $10 WHERE id = $11",
        )
        .bind(&c.name)
        .bind(&c.phone)
        .bind(&c.email)
        .bind(c.phone.as_deref().map(phone_key))
        .bind(&c.email)
        .bind(&c.cv_url)
        .bind(&c.video_url)
        .bind(serde_json::to_string(&c.categories).expect("categories"))
        .bind(&c.source)
        .bind(now())
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(duplicate)?;
        let mut changed = Vec::new();
        if c.name != cur.name {
            changed.push("name");
        }
        if c.phone != cur.phone {
            changed.push("phone");
        }
        if c.email != cur.email {
            changed.push("email");
        }
        if c.cv_url != cur.cv_url || c.video_url != cur.video_url {
            changed.push("links");
        }
        if c.categories != cur.categories || c.source != cur.source {
            changed.push("profile");
        }
        log(&mut tx, id, "edited", json!({"fields": changed}), Some(by)).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn row(&self, id: i64) -> Result<Candidate, OpsError> {
        let r = sqlx::query(
            "SELECT id, name, phone, email, cv_url, video_url, categories, source, stage,
             host_account_id, anonymised_at, created_at, updated_at FROM candidates WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(self.store.pool())
        .await?
        .ok_or_else(|| OpsError::NotFound(format!("candidate {id}")))?;
        Ok(Candidate {
            id: r.try_get(0)?,
            name: r.try_get(1)?,
            phone: r.try_get(2)?,
            email: r.try_get(3)?,
            cv_url: r.try_get(4)?,
            video_url: r.try_get(5)?,
            categories: serde_json::from_str(&r.try_get::<String, _>(6)?).unwrap_or_default(),
            source: r.try_get(7)?,
            stage: r.try_get(8)?,
            host_account_id: r.try_get(9)?,
            anonymised: r.try_get::<Option<i64>, _>(10)?.is_some(),
            average: None,
            sheets: vec![],
            decisions: vec![],
            interviews: vec![],
            log: vec![],
            personal_hidden: false,
            created_at: Timestamp::from_millis(r.try_get(11)?),
            updated_at: Timestamp::from_millis(r.try_get(12)?),
        })
    }

    /// Whether `account` interviews this candidate (in any round).
    async fn interviews_them(&self, candidate: i64, account: i64) -> Result<bool, OpsError> {
        let n: i64 = sqlx::query(
            "SELECT COUNT(*) FROM interviews WHERE candidate_id = $1 AND interviewer_id = $2",
        )
        .bind(candidate)
        .bind(account)
        .fetch_one(self.store.pool())
        .await?
        .try_get(0)?;
        Ok(n > 0)
    }

    /// One candidate as `reader` may see them: everything for talent managers; for their
    /// interviewers, what judging needs (no phone, email or log); others are refused.
    pub async fn get(&self, id: i64, reader: Reader) -> Result<Candidate, OpsError> {
        let mut c = self.row(id).await?;
        if !reader.manager {
            if !self.interviews_them(id, reader.account).await? {
                return Err(OpsError::NotFound(format!("candidate {id}")));
            }
            c.phone = None;
            c.email = None;
            c.personal_hidden = true;
        }
        let cfg = self.config().await?;
        c.sheets = self.sheets(id, &cfg).await?;
        c.average = average(&c.sheets, &c.stage, &cfg);
        c.decisions = self.decisions(id).await?;
        c.interviews = self.interviews_where("i.candidate_id = $1", id).await?;
        if reader.manager {
            c.log = self.log_of(id).await?;
        }
        Ok(c)
    }

    /// A candidate's score sheets, weighted with `cfg` (read once by the caller).
    async fn sheets(&self, id: i64, cfg: &TalentConfig) -> Result<Vec<ScoreSheet>, OpsError> {
        let rows = sqlx::query(
            "SELECT s.round, s.interviewer_id, COALESCE(a.nickname, a.username), s.scores, s.notes,
             s.scored_at FROM candidate_scores s JOIN accounts a ON a.id = s.interviewer_id
             WHERE s.candidate_id = $1 ORDER BY s.scored_at",
        )
        .bind(id)
        .fetch_all(self.store.pool())
        .await?;
        rows.iter()
            .map(|r| {
                let scores: BTreeMap<String, i64> =
                    serde_json::from_str(&r.try_get::<String, _>(3)?).unwrap_or_default();
                Ok(ScoreSheet {
                    round: r.try_get(0)?,
                    interviewer_id: r.try_get(1)?,
                    interviewer: r.try_get(2)?,
                    weighted: hundredths(weighted(&scores, &cfg.weights)),
                    scores,
                    notes: r.try_get(4)?,
                    scored_at: Timestamp::from_millis(r.try_get(5)?),
                })
            })
            .collect()
    }

    async fn decisions(&self, id: i64) -> Result<Vec<Decision>, OpsError> {
        let rows = sqlx::query(
            "SELECT d.round, d.decision, d.reason, d.average, COALESCE(a.nickname, a.username),
             d.decided_at FROM candidate_decisions d JOIN accounts a ON a.id = d.decided_by
             WHERE d.candidate_id = $1 ORDER BY d.decided_at, d.id",
        )
        .bind(id)
        .fetch_all(self.store.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Decision {
                    round: r.try_get(0)?,
                    decision: r.try_get(1)?,
                    reason: r.try_get(2)?,
                    average: hundredths(r.try_get(3)?),
                    decided_by: r.try_get(4)?,
                    decided_at: Timestamp::from_millis(r.try_get(5)?),
                })
            })
            .collect()
    }

    async fn log_of(&self, id: i64) -> Result<Vec<LogEntry>, OpsError> {
        let rows = sqlx::query(
            "SELECT l.action, l.detail, COALESCE(a.nickname, a.username), l.at FROM candidate_log l
             LEFT JOIN accounts a ON a.id = l.actor_id WHERE l.candidate_id = $1 ORDER BY l.at, l.id",
        )
        .bind(id)
        .fetch_all(self.store.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(LogEntry {
                    action: r.try_get(0)?,
                    detail: serde_json::from_str(&r.try_get::<String, _>(1)?)
                        .unwrap_or(Value::Null),
                    actor: r.try_get(2)?,
                    at: Timestamp::from_millis(r.try_get(3)?),
                })
            })
            .collect()
    }

    async fn interviews_where(&self, cond: &str, id: i64) -> Result<Vec<Interview>, OpsError> {
        let rows = sqlx::query(&format!(
            "SELECT i.id, i.candidate_id, c.name, i.round, i.interviewer_id,
             COALESCE(a.nickname, a.username), i.starts_at, i.ends_at, i.place
             FROM interviews i JOIN candidates c ON c.id = i.candidate_id
             JOIN accounts a ON a.id = i.interviewer_id WHERE {cond} ORDER BY i.starts_at"
        ))
        .bind(id)
        .fetch_all(self.store.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Interview {
                    id: r.try_get(0)?,
                    candidate_id: r.try_get(1)?,
                    candidate: r.try_get(2)?,
                    round: r.try_get(3)?,
                    interviewer_id: r.try_get(4)?,
                    interviewer: r.try_get(5)?,
                    starts_at: Timestamp::from_millis(r.try_get(6)?),
                    ends_at: Timestamp::from_millis(r.try_get(7)?),
                    place: r.try_get(8)?,
                })
            })
            .collect()
    }

    /// An interviewer's interviews, soonest first.
    pub async fn interviews_of(&self, interviewer: i64) -> Result<Vec<Interview>, OpsError> {
        self.interviews_where("i.interviewer_id = $1", interviewer)
            .await
    }

    /// The pipeline: candidates by stage (talent managers), without the per-candidate history.
    pub async fn board(&self, stage: Option<&str>) -> Result<Vec<Candidate>, OpsError> {
        let rows = sqlx::query(
            "SELECT id FROM candidates WHERE ($1 = '' OR stage = $1) ORDER BY updated_at DESC LIMIT 500",
        )
        .bind(stage.unwrap_or(""))
        .fetch_all(self.store.pool())
        .await?;
        let cfg = self.config().await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let id: i64 = r.try_get(0)?;
            let mut c = self.row(id).await?;
            let sheets = self.sheets(id, &cfg).await?;
            c.average = average(&sheets, &c.stage, &cfg);
            out.push(c);
        }
        Ok(out)
    }

    /// Books an interviewer for the candidate's current round. Refused when either is booked
    /// elsewhere at an overlapping time.
    pub async fn schedule(
        &self,
        id: i64,
        input: InterviewInput,
        by: i64,
    ) -> Result<Interview, OpsError> {
        let c = self.row(id).await?;
        if !ROUNDS.contains(&c.stage.as_str()) {
            return Err(OpsError::Conflict(format!(
                "the candidate is {}: no more interviews",
                c.stage
            )));
        }
        let (s, e) = (input.starts_at.millis(), input.ends_at.millis());
        if e <= s || e - s > MAX_INTERVIEW_MS {
            return Err(OpsError::Invalid(
                "ends_at: after starts_at, at most 4 hours later".into(),
            ));
        }
        if input.place.chars().count() > 100 {
            return Err(OpsError::Invalid("place: at most 100 characters".into()));
        }
        let staff: i64 = sqlx::query(
            "SELECT COUNT(*) FROM accounts WHERE id = $1 AND kind = 'staff' AND disabled = $2",
        )
        .bind(input.interviewer_id)
        .bind(false)
        .fetch_one(self.store.pool())
        .await?
        .try_get(0)?;
        if staff == 0 {
            return Err(OpsError::Invalid(format!(
                "interviewer_id: no active staff account {}",
                input.interviewer_id
            )));
        }
        let mut tx = self.store.begin_write().await?;
        let clash = sqlx::query(
            "SELECT i.interviewer_id, i.candidate_id, i.starts_at FROM interviews i
             WHERE (i.interviewer_id = $1 OR i.candidate_id = $2) AND i.starts_at < $4 AND $3 < i.ends_at
             LIMIT 1",
        )
        .bind(input.interviewer_id)
        .bind(id)
        .bind(s)
        .bind(e)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(r) = clash {
            let who = if r.try_get::<i64, _>(0)? == input.interviewer_id {
                "the interviewer"
            } else {
                "the candidate"
            };
            return Err(OpsError::Conflict(format!(
                "{who} already has an interview then (from {})",
                Timestamp::from_millis(r.try_get(2)?)
            )));
        }
        let iid: i64 = sqlx::query(
            "INSERT INTO interviews (candidate_id, round, interviewer_id, starts_at, ends_at, place,
             created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(id)
        .bind(&c.stage)
        .bind(input.interviewer_id)
        .bind(s)
        .bind(e)
        .bind(input.place.trim())
        .bind(by)
        .bind(now())
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        log(
            &mut tx,
            id,
            "interview_scheduled",
            json!({"round": c.stage, "interviewer_id": input.interviewer_id, "starts_at": input.starts_at}),
            Some(by),
        )
        .await?;
        tx.commit().await?;
        self.interviews_where("i.id = $1", iid)
            .await?
            .pop()
            .ok_or_else(|| OpsError::NotFound(format!("interview {iid}")))
    }

    /// An interviewer's score sheet for the candidate's current round (replaces their earlier
    /// one). Talent managers may score any candidate; others only those they interview.
    pub async fn score(
        &self,
        id: i64,
        input: ScoreInput,
        reader: Reader,
    ) -> Result<ScoreSheet, OpsError> {
        let c = self.row(id).await?;
        if !reader.manager && !self.interviews_them(id, reader.account).await? {
            return Err(OpsError::NotFound(format!("candidate {id}")));
        }
        if !ROUNDS.contains(&c.stage.as_str()) {
            return Err(OpsError::Conflict(format!(
                "the candidate is {}: scoring is over",
                c.stage
            )));
        }
        // An interviewer judges the round they were booked for, not the rounds after it.
        if !reader.manager {
            let booked: i64 = sqlx::query(
                "SELECT COUNT(*) FROM interviews
                 WHERE candidate_id = $1 AND interviewer_id = $2 AND round = $3",
            )
            .bind(id)
            .bind(reader.account)
            .bind(&c.stage)
            .fetch_one(self.store.pool())
            .await?
            .try_get(0)?;
            if booked == 0 {
                return Err(OpsError::Conflict(format!(
                    "you are not booked to interview this candidate in the {} round",
                    c.stage
                )));
            }
        }
        for k in input.scores.keys() {
            if !CRITERIA.contains(&k.as_str()) {
                return Err(OpsError::Invalid(format!(
                    "scores: no criterion {k} (the criteria are {})",
                    CRITERIA.join(", ")
                )));
            }
        }
        for k in CRITERIA {
            match input.scores.get(k) {
                None => {
                    return Err(OpsError::Invalid(format!(
                        "scores.{k}: every criterion needs a score"
                    )))
                }
                Some(v) if !(SCORE_MIN..=SCORE_MAX).contains(v) => {
                    return Err(OpsError::Invalid(format!(
                        "scores.{k}: a whole number from {SCORE_MIN} to {SCORE_MAX}"
                    )))
                }
                Some(_) => {}
            }
        }
        if input.notes.chars().count() > 2_000 {
            return Err(OpsError::Invalid("notes: at most 2000 characters".into()));
        }
        let cfg = self.config().await?;
        let w = weighted(&input.scores, &cfg.weights);
        let mut tx = self.store.begin_write().await?;
        sqlx::query(
            "INSERT INTO candidate_scores (candidate_id, round, interviewer_id, scores, weighted, notes,
             scored_at) VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (candidate_id, round, interviewer_id) DO UPDATE SET scores = excluded.scores,
                 weighted = excluded.weighted, notes = excluded.notes, scored_at = excluded.scored_at",
        )
        .bind(id)
        .bind(&c.stage)
        .bind(reader.account)
        .bind(serde_json::to_string(&input.scores).expect("scores"))
        .bind(w)
        .bind(input.notes.trim())
        .bind(now())
        .execute(&mut *tx)
        .await?;
        log(
            &mut tx,
            id,
            "scored",
            json!({"round": c.stage, "weighted": hundredths(w)}),
            Some(reader.account),
        )
        .await?;
        tx.commit().await?;
        self.sheets(id, &cfg)
            .await?
            .into_iter()
            .find(|s| s.round == c.stage && s.interviewer_id == reader.account)
            .ok_or_else(|| OpsError::NotFound("score sheet".into()))
    }

    /// Checks a decision without writing it: the round's sheets (one at least, and one from every
    /// interviewer booked for it), the threshold, and no skipped round. Returns the average.
    pub async fn check_decision(&self, id: i64, input: &DecisionInput) -> Result<i64, OpsError> {
        let c = self.row(id).await?;
        if !ROUNDS.contains(&c.stage.as_str()) {
            return Err(OpsError::Conflict(format!(
                "the candidate is already {}",
                c.stage
            )));
        }
        let reason = input.reason.trim();
        if reason.is_empty() || reason.chars().count() > 500 {
            return Err(OpsError::Invalid(
                "reason: every decision says why, in 1 to 500 characters".into(),
            ));
        }
        match (input.decision.as_str(), c.stage.as_str()) {
            ("reject", _) | ("advance", "initial" | "second") | ("hire", "final") => {}
            ("advance", "final") => {
                return Err(OpsError::Invalid(
                    "decision: after the final round a candidate is hired or rejected".into(),
                ))
            }
            ("hire", stage) => {
                return Err(OpsError::Conflict(format!(
                    "a candidate in the {stage} round cannot be hired: the rounds are not skipped"
                )))
            }
            (other, _) => {
                return Err(OpsError::Invalid(format!(
                    "decision: advance, reject or hire, not {other}"
                )))
            }
        }
        let cfg = self.config().await?;
        let sheets: Vec<ScoreSheet> = self
            .sheets(id, &cfg)
            .await?
            .into_iter()
            .filter(|s| s.round == c.stage)
            .collect();
        if sheets.is_empty() {
            return Err(OpsError::Invalid(format!(
                "the {} round has no score sheet yet: score before deciding",
                c.stage
            )));
        }
        let booked = sqlx::query(
            "SELECT DISTINCT i.interviewer_id, COALESCE(a.nickname, a.username) FROM interviews i
             JOIN accounts a ON a.id = i.interviewer_id WHERE i.candidate_id = $1 AND i.round = $2",
        )
        .bind(id)
        .bind(&c.stage)
        .fetch_all(self.store.pool())
        .await?;
        let mut missing = Vec::new();
        for r in &booked {
            let who: i64 = r.try_get(0)?;
            if !sheets.iter().any(|s| s.interviewer_id == who) {
                missing.push(r.try_get::<String, _>(1)?);
            }
        }
        if !missing.is_empty() {
            return Err(OpsError::Invalid(format!(
                "waiting for the score sheets of {}",
                missing.join(", ")
            )));
        }
        let avg = average_hundredths(&sheets, &cfg);
        let threshold = cfg.thresholds.get(&c.stage).copied().unwrap_or(0.0);
        if input.decision != "reject" && (avg as f64) < threshold * 100.0 {
            return Err(OpsError::Invalid(format!(
                "the {} round's average {:.2} is below its threshold {threshold:.2}",
                c.stage,
                hundredths(avg)
            )));
        }
        Ok(avg)
    }

    /// Records a decision: the candidate moves to the next round, out, or is hired (with the
    /// staff account made for them as host).
    pub async fn decide(
        &self,
        id: i64,
        input: DecisionInput,
        by: i64,
        host_account: Option<i64>,
    ) -> Result<Candidate, OpsError> {
        let avg = self.check_decision(id, &input).await?;
        let c = self.row(id).await?;
        let stage = match input.decision.as_str() {
            "advance" => next_round(&c.stage).unwrap_or("final"),
            "hire" => "hired",
            _ => "rejected",
        };
        let mut tx = self.store.begin_write().await?;
        let moved = sqlx::query(
            "UPDATE candidates SET stage = $1, host_account_id = COALESCE($2, host_account_id),
             updated_at = $3 WHERE id = $4 AND stage = $5",
        )
        .bind(stage)
        .bind(host_account)
        .bind(now())
        .bind(id)
        .bind(&c.stage)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if moved == 0 {
            return Err(OpsError::Conflict(
                "someone decided on this candidate just now: look again".into(),
            ));
        }
        sqlx::query(
            "INSERT INTO candidate_decisions (candidate_id, round, decision, reason, average,
             decided_by, decided_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(id)
        .bind(&c.stage)
        .bind(&input.decision)
        .bind(input.reason.trim())
        .bind(avg)
        .bind(by)
        .bind(now())
        .execute(&mut *tx)
        .await?;
        log(
            &mut tx,
            id,
            "decided",
            json!({"round": c.stage, "decision": input.decision, "to": stage,
                   "average": hundredths(avg), "host_account_id": host_account}),
            Some(by),
        )
        .await?;
        tx.commit().await?;
        self.get(
            id,
            Reader {
                account: by,
                manager: true,
            },
        )
        .await
    }

    /// Removes a candidate on request. One with no history goes entirely; one with scores,
    /// decisions or interviews is anonymised: name, phone, email and links are erased and
    /// interviewers' notes cleared, while the scores and decisions stay for the record.
    /// Answers whether the record was deleted (true) or anonymised (false).
    pub async fn remove(&self, id: i64, by: i64) -> Result<bool, OpsError> {
        let c = self.row(id).await?;
        let history: i64 = sqlx::query(
            "SELECT (SELECT COUNT(*) FROM candidate_scores WHERE candidate_id = $1)
                  + (SELECT COUNT(*) FROM candidate_decisions WHERE candidate_id = $1)
                  + (SELECT COUNT(*) FROM interviews WHERE candidate_id = $1)",
        )
        .bind(id)
        .fetch_one(self.store.pool())
        .await?
        .try_get(0)?;
        let mut tx = self.store.begin_write().await?;
        if history == 0 {
            for q in [
                "DELETE FROM candidate_log WHERE candidate_id = $1",
                "DELETE FROM candidates WHERE id = $1",
            ] {
                sqlx::query(q).bind(id).execute(&mut *tx).await?;
            }
            tx.commit().await?;
            tracing::info!(candidate = id, "candidate deleted on request");
            return Ok(true);
        }
        if c.anonymised {
            return Ok(false);
        }
        sqlx::query(
            "UPDATE candidates SET name = $1, phone = NULL, email = NULL, phone_key = NULL,
             email_key = NULL, cv_url = NULL, video_url = NULL, source = '', anonymised_at = $2,
             updated_at = $2 WHERE id = $3",
        )
        .bind(format!("已匿名 #{id}"))
        .bind(now())
        .bind(id)
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE candidate_scores SET notes = '' WHERE candidate_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        log(&mut tx, id, "anonymised", json!({}), Some(by)).await?;
        tx.commit().await?;
        tracing::info!(candidate = id, "candidate anonymised on request");
        Ok(false)
    }
}

fn average_hundredths(sheets: &[ScoreSheet], cfg: &TalentConfig) -> i64 {
    if sheets.is_empty() {
        return 0;
    }
    let sum: i64 = sheets
        .iter()
        .map(|s| weighted(&s.scores, &cfg.weights))
        .sum();
    let n = sheets.len() as i64;
    (sum + n / 2) / n
}

fn average(sheets: &[ScoreSheet], stage: &str, cfg: &TalentConfig) -> Option<f64> {
    let round: Vec<ScoreSheet> = sheets
        .iter()
        .filter(|s| s.round == stage)
        .cloned()
        .collect();
    (!round.is_empty()).then(|| hundredths(average_hundredths(&round, cfg)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sheet(vals: [i64; 5]) -> BTreeMap<String, i64> {
        CRITERIA.iter().map(|c| c.to_string()).zip(vals).collect()
    }

    #[test]
    fn weighted_scores_follow_the_weights() {
        let even = TalentConfig::default().weights;
        assert_eq!(weighted(&sheet([6, 7, 8, 9, 10]), &even), 800);
        let mut looks = even.clone();
        looks.insert("image".into(), 60);
        for k in ["expression", "adaptability", "product_knowledge", "rapport"] {
            looks.insert(k.into(), 10);
        }
        // 0.6 × 10 + 0.1 × (5 + 5 + 5 + 5) = 8.00
        assert_eq!(weighted(&sheet([10, 5, 5, 5, 5]), &looks), 800);
        // Rounded to hundredths: (7 + 7 + 7 + 8 + 8) / 5 = 7.40.
        assert_eq!(weighted(&sheet([7, 7, 7, 8, 8]), &even), 740);
    }

    #[test]
    fn config_needs_every_criterion_weights_of_100_and_three_thresholds() {
        assert!(check_config(&TalentConfig::default()).is_ok());
        let mut c = TalentConfig::default();
        c.weights.insert("image".into(), 30);
        assert!(check_config(&c).is_err(), "110 in all");
        let mut c = TalentConfig::default();
        c.weights.insert("charm".into(), 0);
        assert!(check_config(&c).is_err());
        let mut c = TalentConfig::default();
        c.thresholds.insert("final".into(), 11.0);
        assert!(check_config(&c).is_err());
        let mut c = TalentConfig::default();
        c.thresholds.remove("second");
        assert!(check_config(&c).is_err());
    }

    #[test]
    fn phones_compare_by_their_digits() {
        assert_eq!(phone_key("+86 138-0000-1234"), "8613800001234");
    }
}
