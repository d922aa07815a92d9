//! Host recruitment: candidates, interviews, score sheets, decisions (docs/hosts.md).

use crate::auth::Staff;
use crate::extract::{Json, Path, Query};
use crate::{ApiError, AppState, ErrorBody};
use axum::extract::State;
use axum::http::StatusCode;
use sellstream_accounts::{NewStaff, Role};
use sellstream_core::Timestamp;
use sellstream_ops::hosts::{HostProfile, ProfileInput};
use sellstream_ops::talent::{
    Candidate, CandidateInput, DecisionInput, Interview, InterviewInput, Reader, ScoreInput,
    ScoreSheet, TalentConfig,
};
use sellstream_ops::training::{
    AssessmentHistory, AssessmentInput, AttendanceInput, Course, CourseInput, Enrolment,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};

/// Who sees candidates' personal data and runs recruiting.
const MANAGERS: &[Role] = &[Role::TalentManager];

fn reader(staff: &Staff) -> Reader {
    Reader {
        account: staff.0.id,
        manager: staff.0.has_any_role(MANAGERS),
    }
}

/// Criteria weights and each round's pass threshold (any staff).
#[utoipa::path(get, path = "/api/v1/talent/config", tag = "hosts",
    responses((status = 200, body = TalentConfig)))]
pub async fn config(
    State(state): State<AppState>,
    _staff: Staff,
) -> Result<axum::Json<TalentConfig>, ApiError> {
    Ok(axum::Json(state.talent.config().await?))
}

/// Set the weights (percent, adding up to 100) and thresholds (1–10) (talent manager).
#[utoipa::path(put, path = "/api/v1/talent/config", tag = "hosts", request_body = TalentConfig,
    responses((status = 200, body = TalentConfig), (status = 422, body = ErrorBody)))]
pub async fn set_config(
    State(state): State<AppState>,
    staff: Staff,
    Json(input): Json<TalentConfig>,
) -> Result<axum::Json<TalentConfig>, ApiError> {
    let by = staff.require(MANAGERS)?.id;
    Ok(axum::Json(state.talent.set_config(input, by).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BoardQuery {
    /// initial, second, final, hired or rejected.
    pub stage: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct Board {
    pub items: Vec<Candidate>,
    /// Candidates per stage, all of them.
    pub counts: BTreeMap<String, i64>,
}

/// The pipeline: candidates with their stage and current average (talent manager).
#[utoipa::path(get, path = "/api/v1/candidates", tag = "hosts", params(BoardQuery),
    responses((status = 200, body = Board)))]
pub async fn board(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<BoardQuery>,
) -> Result<axum::Json<Board>, ApiError> {
    staff.require(MANAGERS)?;
    let all = state.talent.board(None).await?;
    let mut counts: BTreeMap<String, i64> = ["initial", "second", "final", "hired", "rejected"]
        .iter()
        .map(|s| (s.to_string(), 0))
        .collect();
    for c in &all {
        *counts.entry(c.stage.clone()).or_default() += 1;
    }
    let items = match q.stage.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => all.into_iter().filter(|c| c.stage == s).collect(),
        None => all,
    };
    Ok(axum::Json(Board { items, counts }))
}

/// Add a candidate; their consent is required (talent manager). Same phone or email: 409.
#[utoipa::path(post, path = "/api/v1/candidates", tag = "hosts", request_body = CandidateInput,
    responses((status = 201, body = Candidate), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    staff: Staff,
    Json(input): Json<CandidateInput>,
) -> Result<(StatusCode, axum::Json<Candidate>), ApiError> {
    let by = staff.require(MANAGERS)?.id;
    let id = state.talent.create(input, by).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(state.talent.get(id, reader(&staff)).await?),
    ))
}

/// A candidate with score sheets, decisions, interviews and (for talent managers) personal data
/// and the log. Interviewers see what judging needs; others get 404.
#[utoipa::path(get, path = "/api/v1/candidates/{id}", tag = "hosts", params(("id" = i64, Path)),
    responses((status = 200, body = Candidate), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<axum::Json<Candidate>, ApiError> {
    Ok(axum::Json(state.talent.get(id, reader(&staff)).await?))
}

/// Edit a candidate's profile (talent manager).
#[utoipa::path(put, path = "/api/v1/candidates/{id}", tag = "hosts", params(("id" = i64, Path)),
    request_body = CandidateInput,
    responses((status = 200, body = Candidate), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Json(input): Json<CandidateInput>,
) -> Result<axum::Json<Candidate>, ApiError> {
    let by = staff.require(MANAGERS)?.id;
    state.talent.update(id, input, by).await?;
    Ok(axum::Json(state.talent.get(id, reader(&staff)).await?))
}

#[derive(Serialize, ToSchema)]
pub struct Removed {
    /// Nothing was kept: the candidate had no history.
    pub deleted: bool,
    /// Personal data erased, scores and decisions kept.
    pub anonymised: bool,
}

/// Remove a candidate on request (talent manager): deleted when they have no history, anonymised
/// otherwise.
#[utoipa::path(delete, path = "/api/v1/candidates/{id}", tag = "hosts", params(("id" = i64, Path)),
    responses((status = 200, body = Removed), (status = 404, body = ErrorBody)))]
pub async fn remove(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<axum::Json<Removed>, ApiError> {
    let by = staff.require(MANAGERS)?.id;
    let deleted = state.talent.remove(id, by).await?;
    Ok(axum::Json(Removed {
        deleted,
        anonymised: !deleted,
    }))
}

/// Book an interviewer for the candidate's current round (talent manager). 409 when the
/// interviewer or the candidate is booked then.
#[utoipa::path(post, path = "/api/v1/candidates/{id}/interviews", tag = "hosts", params(("id" = i64, Path)),
    request_body = InterviewInput,
    responses((status = 201, body = Interview), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn schedule(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Json(input): Json<InterviewInput>,
) -> Result<(StatusCode, axum::Json<Interview>), ApiError> {
    let by = staff.require(MANAGERS)?.id;
    Ok((
        StatusCode::CREATED,
        axum::Json(state.talent.schedule(id, input, by).await?),
    ))
}

#[derive(Serialize, ToSchema)]
pub struct InterviewList {
    pub items: Vec<Interview>,
}

/// The signed-in staff member's interviews (any staff).
#[utoipa::path(get, path = "/api/v1/interviews/mine", tag = "hosts",
    responses((status = 200, body = InterviewList)))]
pub async fn my_interviews(
    State(state): State<AppState>,
    staff: Staff,
) -> Result<axum::Json<InterviewList>, ApiError> {
    Ok(axum::Json(InterviewList {
        items: state.talent.interviews_of(staff.0.id).await?,
    }))
}

/// Score the candidate's current round: every criterion, 1–10 (a talent manager, or an
/// interviewer booked for the candidate). Scoring again replaces one's own sheet.
#[utoipa::path(post, path = "/api/v1/candidates/{id}/scores", tag = "hosts", params(("id" = i64, Path)),
    request_body = ScoreInput,
    responses((status = 200, body = ScoreSheet), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn score(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Json(input): Json<ScoreInput>,
) -> Result<axum::Json<ScoreSheet>, ApiError> {
    Ok(axum::Json(
        state.talent.score(id, input, reader(&staff)).await?,
    ))
}

/// The staff account a hired candidate gets, with the host role.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HostAccount {
    pub username: String,
    pub nickname: String,
    pub password: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionRequest {
    /// advance (to the next round), reject, or hire (after the final round).
    pub decision: String,
    pub reason: String,
    /// Required to hire.
    #[serde(default)]
    pub host_account: Option<HostAccount>,
}

/// Decide on the current round with a reason (talent manager): `advance` to the next round,
/// `reject`, or `hire` after the final round (which makes the host's staff account). Refused
/// without every booked interviewer's sheet, below the round's threshold, or skipping a round.
#[utoipa::path(post, path = "/api/v1/candidates/{id}/decisions", tag = "hosts", params(("id" = i64, Path)),
    request_body = DecisionRequest,
    responses((status = 200, body = Candidate), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn decide(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Json(input): Json<DecisionRequest>,
) -> Result<axum::Json<Candidate>, ApiError> {
    let by = staff.require(MANAGERS)?.id;
    let DecisionRequest {
        decision,
        reason,
        host_account,
    } = input;
    let decision = DecisionInput { decision, reason };
    // Everything is checked before the account is made, so a refused hire leaves nothing behind.
    state.talent.check_decision(id, &decision).await?;
    let host = match (decision.decision.as_str(), host_account) {
        ("hire", None) => return Err(ApiError::new(
            sellstream_core::ErrorCode::ValidationFailed,
            "host_account: hiring makes the host's staff account (username, nickname, password)",
        )),
        ("hire", Some(h)) => Some(
            state
                .accounts
                .create_staff(NewStaff {
                    username: h.username,
                    nickname: h.nickname,
                    password: h.password,
                    roles: vec![Role::Host],
                })
                .await?
                .id,
        ),
        _ => None,
    };
    let decided = state.talent.decide(id, decision, by, host).await?;
    if let Some(account) = host {
        state.hosts.from_candidate(account, id).await?;
    }
    Ok(axum::Json(decided))
}

/// Who reads host profiles (without real names unless talent manager).
const PROFILE_READERS: &[Role] = &[Role::TalentManager, Role::Operator, Role::Analyst];

#[derive(Serialize, ToSchema)]
pub struct ProfileList {
    pub items: Vec<HostProfile>,
}

/// Every host with verification, categories and contract status (talent manager, operator,
/// analyst; real names for talent managers only).
#[utoipa::path(get, path = "/api/v1/host-profiles", tag = "hosts",
    responses((status = 200, body = ProfileList)))]
pub async fn profiles(
    State(state): State<AppState>,
    staff: Staff,
) -> Result<axum::Json<ProfileList>, ApiError> {
    staff.require(PROFILE_READERS)?;
    Ok(axum::Json(ProfileList {
        items: state.hosts.list(staff.0.has_any_role(MANAGERS)).await?,
    }))
}

/// One host's profile (talent manager, operator, analyst; the host themself).
#[utoipa::path(get, path = "/api/v1/host-profiles/{account_id}", tag = "hosts",
    params(("account_id" = i64, Path)),
    responses((status = 200, body = HostProfile), (status = 404, body = ErrorBody)))]
pub async fn profile(
    State(state): State<AppState>,
    staff: Staff,
    Path(account): Path<i64>,
) -> Result<axum::Json<HostProfile>, ApiError> {
    let own = staff.0.id == account;
    if !own {
        staff.require(PROFILE_READERS)?;
    }
    let personal = own || staff.0.has_any_role(MANAGERS);
    Ok(axum::Json(state.hosts.get(account, personal).await?))
}

/// Write a host's profile: real-name verification as checked by a person, categories, contract
/// dates (talent manager).
#[utoipa::path(put, path = "/api/v1/host-profiles/{account_id}", tag = "hosts",
    params(("account_id" = i64, Path)), request_body = ProfileInput,
    responses((status = 200, body = HostProfile), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn save_profile(
    State(state): State<AppState>,
    staff: Staff,
    Path(account): Path<i64>,
    Json(input): Json<ProfileInput>,
) -> Result<axum::Json<HostProfile>, ApiError> {
    let by = staff.require(MANAGERS)?.id;
    Ok(axum::Json(state.hosts.save(account, input, by).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RecordQuery {
    /// Sessions started from (RFC 3339); default 90 days ago.
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
    /// sessions, hours_live, gmv_fen, avg_viewers, peak_viewers, conversion, avg_watch_ms,
    /// compliance_hits or assessment (default gmv_fen).
    pub sort: Option<String>,
    /// desc (default) or asc.
    pub order: Option<String>,
}

/// A host's figures from their real sessions.
#[derive(Serialize, ToSchema)]
pub struct HostRecord {
    pub host_id: i64,
    pub name: String,
    /// Sessions behind every figure: below 3 the figures are a small sample.
    pub sessions: i64,
    pub small_sample: bool,
    pub hours_live: f64,
    pub gmv_fen: i64,
    /// Average concurrent viewers (watch time ÷ time live).
    pub avg_viewers: Option<f64>,
    pub peak_viewers: i64,
    /// Paying viewers ÷ viewers (UV).
    pub conversion: Option<f64>,
    pub avg_watch_ms: Option<i64>,
    /// Advertising-law hits in the latest scripts of their sessions in the range, and how many
    /// of those sessions had a script.
    pub compliance_hits: i64,
    pub scripted_sessions: i64,
    pub verification: String,
    pub contract_status: String,
    /// Training courses completed (all time).
    pub courses_completed: i64,
    /// The latest assessment's period and overall score (1–10).
    pub assessed_period: Option<String>,
    pub assessment: Option<f64>,
    /// Place in the ranking by `sort`, 1 first.
    pub rank: usize,
}

#[derive(Serialize, ToSchema)]
pub struct HostRecords {
    pub from: Timestamp,
    pub to: Timestamp,
    pub sort: String,
    pub items: Vec<HostRecord>,
}

/// Hosts ranked by any of their figures from real sessions, each with the session count behind
/// it (talent manager, operator, analyst; a host sees their own row).
#[utoipa::path(get, path = "/api/v1/hosts/records", tag = "hosts", params(RecordQuery),
    responses((status = 200, body = HostRecords), (status = 422, body = ErrorBody)))]
pub async fn records(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<RecordQuery>,
) -> Result<axum::Json<HostRecords>, ApiError> {
    let sees_all = staff.0.has_any_role(PROFILE_READERS);
    if !sees_all && !staff.0.roles.contains(&Role::Host) {
        staff.require(PROFILE_READERS)?;
    }
    let to = q.to.unwrap_or_else(Timestamp::now);
    let from = q.from.unwrap_or_else(|| to.plus_seconds(-90 * 86_400));
    if to.millis() <= from.millis() {
        return Err(ApiError::new(
            sellstream_core::ErrorCode::ValidationFailed,
            "to: must be after from",
        ));
    }
    let sort = q.sort.unwrap_or_else(|| "gmv_fen".into());
    const SORTS: [&str; 9] = [
        "sessions",
        "hours_live",
        "gmv_fen",
        "avg_viewers",
        "peak_viewers",
        "conversion",
        "avg_watch_ms",
        "compliance_hits",
        "assessment",
    ];
    if !SORTS.contains(&sort.as_str()) {
        return Err(ApiError::new(
            sellstream_core::ErrorCode::ValidationFailed,
            format!("sort: one of {}", SORTS.join(", ")),
        ));
    }
    let asc = match q.order.as_deref() {
        None | Some("desc") => false,
        Some("asc") => true,
        Some(_) => {
            return Err(ApiError::new(
                sellstream_core::ErrorCode::ValidationFailed,
                "order: asc or desc",
            ))
        }
    };
    let trend = state
        .analytics
        .trend(&sellstream_analytics::list::TrendQuery {
            by: Some("host".into()),
            from: Some(from.millis()),
            to: Some(to.millis()),
            ..Default::default()
        })
        .await
        .map_err(ApiError::from_domain)?;
    let hits = state
        .hosts
        .compliance_hits(from.millis(), to.millis())
        .await?;
    let mut trained = state.training.summaries().await?;
    let mut items: Vec<HostRecord> = Vec::new();
    for p in state.hosts.list(false).await? {
        let (courses_completed, latest) = trained.remove(&p.account_id).unwrap_or_default();
        let row = trend
            .rows
            .iter()
            .find(|r| r.key == p.account_id.to_string());
        let (h, scripted) = hits.get(&p.account_id).copied().unwrap_or((0, 0));
        let m = row.map(|r| &r.metrics);
        let sessions = row.map_or(0, |r| r.sessions);
        items.push(HostRecord {
            host_id: p.account_id,
            name: p.nickname.clone(),
            sessions,
            small_sample: sessions < 3,
            hours_live: m.map_or(0.0, |m| {
                (m.duration_ms as f64 / 3_600_000.0 * 10.0).round() / 10.0
            }),
            gmv_fen: m.map_or(0, |m| m.gmv_fen),
            avg_viewers: m.and_then(|m| m.acu),
            peak_viewers: m.map_or(0, |m| m.pcu),
            conversion: m.and_then(|m| m.conversion),
            avg_watch_ms: m.and_then(|m| m.avg_watch_ms),
            compliance_hits: h,
            scripted_sessions: scripted,
            verification: p.verification,
            contract_status: p.contract_status,
            courses_completed,
            assessed_period: latest.as_ref().map(|l| l.0.clone()),
            assessment: latest.map(|l| l.1),
            rank: 0,
        });
    }
    let key = |r: &HostRecord| -> f64 {
        match sort.as_str() {
            "sessions" => r.sessions as f64,
            "hours_live" => r.hours_live,
            "gmv_fen" => r.gmv_fen as f64,
            "avg_viewers" => r.avg_viewers.unwrap_or(f64::NEG_INFINITY),
            "peak_viewers" => r.peak_viewers as f64,
            "conversion" => r.conversion.unwrap_or(f64::NEG_INFINITY),
            "avg_watch_ms" => r.avg_watch_ms.map_or(f64::NEG_INFINITY, |v| v as f64),
            "assessment" => r.assessment.unwrap_or(f64::NEG_INFINITY),
            _ => r.compliance_hits as f64,
        }
    };
    items.sort_by(|a, b| {
        let o = key(a).total_cmp(&key(b));
        (if asc { o } else { o.reverse() }).then(a.host_id.cmp(&b.host_id))
    });
    for (i, r) in items.iter_mut().enumerate() {
        r.rank = i + 1;
    }
    if !sees_all {
        items.retain(|r| r.host_id == staff.0.id);
    }
    Ok(axum::Json(HostRecords {
        from,
        to,
        sort,
        items,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct CourseList {
    pub items: Vec<Course>,
}

/// Training courses with their enrolments (any staff; a host sees only their own enrolment).
#[utoipa::path(get, path = "/api/v1/courses", tag = "hosts",
    responses((status = 200, body = CourseList)))]
pub async fn courses(
    State(state): State<AppState>,
    staff: Staff,
) -> Result<axum::Json<CourseList>, ApiError> {
    Ok(axum::Json(CourseList {
        items: state
            .training
            .courses()
            .await?
            .into_iter()
            .map(|c| enrolments_for(&staff, c))
            .collect(),
    }))
}

/// Who attended and completed what is for those who read host profiles; a host sees their own
/// enrolment, other staff none.
fn enrolments_for(staff: &Staff, mut course: Course) -> Course {
    if !staff.0.has_any_role(PROFILE_READERS) {
        course.enrolments.retain(|e| e.host_id == staff.0.id);
    }
    course
}

/// Add a course on one of the plan's topics (talent manager). Titles are unique (409).
#[utoipa::path(post, path = "/api/v1/courses", tag = "hosts", request_body = CourseInput,
    responses((status = 201, body = Course), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_course(
    State(state): State<AppState>,
    staff: Staff,
    Json(input): Json<CourseInput>,
) -> Result<(StatusCode, axum::Json<Course>), ApiError> {
    let by = staff.require(MANAGERS)?.id;
    Ok((
        StatusCode::CREATED,
        axum::Json(state.training.save_course(None, input, by).await?),
    ))
}

#[utoipa::path(get, path = "/api/v1/courses/{id}", tag = "hosts", params(("id" = i64, Path)),
    responses((status = 200, body = Course), (status = 404, body = ErrorBody)))]
pub async fn course(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<axum::Json<Course>, ApiError> {
    Ok(axum::Json(enrolments_for(
        &staff,
        state.training.course(id).await?,
    )))
}

/// Edit a course (talent manager).
#[utoipa::path(put, path = "/api/v1/courses/{id}", tag = "hosts", params(("id" = i64, Path)),
    request_body = CourseInput,
    responses((status = 200, body = Course), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn update_course(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Json(input): Json<CourseInput>,
) -> Result<axum::Json<Course>, ApiError> {
    let by = staff.require(MANAGERS)?.id;
    Ok(axum::Json(
        state.training.save_course(Some(id), input, by).await?,
    ))
}

#[utoipa::path(delete, path = "/api/v1/courses/{id}", tag = "hosts", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn delete_course(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    staff.require(MANAGERS)?;
    state.training.delete_course(id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnrolInput {
    pub host_ids: Vec<i64>,
}

/// Enrol hosts (talent manager); all or nothing, twice is once.
#[utoipa::path(post, path = "/api/v1/courses/{id}/enrolments", tag = "hosts", params(("id" = i64, Path)),
    request_body = EnrolInput,
    responses((status = 200, body = Course), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn enrol(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Json(input): Json<EnrolInput>,
) -> Result<axum::Json<Course>, ApiError> {
    staff.require(MANAGERS)?;
    Ok(axum::Json(state.training.enrol(id, &input.host_ids).await?))
}

/// Record attendance and completion (talent manager).
#[utoipa::path(put, path = "/api/v1/courses/{id}/enrolments/{host_id}", tag = "hosts",
    params(("id" = i64, Path), ("host_id" = i64, Path)), request_body = AttendanceInput,
    responses((status = 200, body = Course), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn attend(
    State(state): State<AppState>,
    staff: Staff,
    Path((id, host)): Path<(i64, i64)>,
    Json(input): Json<AttendanceInput>,
) -> Result<axum::Json<Course>, ApiError> {
    staff.require(MANAGERS)?;
    Ok(axum::Json(state.training.attend(id, host, input).await?))
}

fn may_read_host(staff: &Staff, host: i64) -> Result<(), ApiError> {
    if staff.0.id == host {
        return Ok(());
    }
    staff.require(PROFILE_READERS).map(|_| ())
}

#[derive(Serialize, ToSchema)]
pub struct TrainingList {
    pub items: Vec<Enrolment>,
}

/// A host's courses with attendance and completion (talent manager, operator, analyst, the host).
#[utoipa::path(get, path = "/api/v1/hosts/{id}/training", tag = "hosts", params(("id" = i64, Path)),
    responses((status = 200, body = TrainingList)))]
pub async fn host_training(
    State(state): State<AppState>,
    staff: Staff,
    Path(host): Path<i64>,
) -> Result<axum::Json<TrainingList>, ApiError> {
    may_read_host(&staff, host)?;
    Ok(axum::Json(TrainingList {
        items: state.training.training_of(host).await?,
    }))
}

/// A host's assessments oldest first (the trend), with coaching items (talent manager, operator,
/// analyst, the host).
#[utoipa::path(get, path = "/api/v1/hosts/{id}/assessments", tag = "hosts", params(("id" = i64, Path)),
    responses((status = 200, body = AssessmentHistory)))]
pub async fn assessments(
    State(state): State<AppState>,
    staff: Staff,
    Path(host): Path<i64>,
) -> Result<axum::Json<AssessmentHistory>, ApiError> {
    may_read_host(&staff, host)?;
    Ok(axum::Json(state.training.history(host).await?))
}

/// Assess a host for a period on the rubric (talent manager); weak criteria become coaching
/// items. One assessment per period (409).
#[utoipa::path(post, path = "/api/v1/hosts/{id}/assessments", tag = "hosts", params(("id" = i64, Path)),
    request_body = AssessmentInput,
    responses((status = 201, body = AssessmentHistory), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn assess(
    State(state): State<AppState>,
    staff: Staff,
    Path(host): Path<i64>,
    Json(input): Json<AssessmentInput>,
) -> Result<(StatusCode, axum::Json<AssessmentHistory>), ApiError> {
    let by = staff.require(MANAGERS)?.id;
    let weights = state.talent.config().await?.weights;
    Ok((
        StatusCode::CREATED,
        axum::Json(state.training.assess(host, input, &weights, by).await?),
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CoachingDone {
    pub done: bool,
}

/// Close or reopen a coaching item (talent manager, or the host it is for).
#[utoipa::path(put, path = "/api/v1/coaching/{id}", tag = "hosts", params(("id" = i64, Path)),
    request_body = CoachingDone,
    responses((status = 200, body = AssessmentHistory), (status = 404, body = ErrorBody)))]
pub async fn coaching(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Json(input): Json<CoachingDone>,
) -> Result<axum::Json<AssessmentHistory>, ApiError> {
    let manager = staff.0.has_any_role(MANAGERS);
    if !manager && !staff.0.roles.contains(&Role::Host) {
        staff.require(MANAGERS)?;
    }
    // A host closes only their own items: check before writing.
    let history = state.training.history(staff.0.id).await?;
    if !manager && !history.coaching.iter().any(|c| c.id == id) {
        return Err(sellstream_ops::OpsError::NotFound(format!("coaching item {id}")).into());
    }
    let host = state.training.coaching_done(id, input.done).await?;
    Ok(axum::Json(state.training.history(host).await?))
}
