//! Host recruitment: candidates, interviews, score sheets, decisions (docs/hosts.md).

use crate::auth::Staff;
use crate::extract::{Json, Path, Query};
use crate::{ApiError, AppState, ErrorBody};
use axum::extract::State;
use axum::http::StatusCode;
use sellstream_accounts::{NewStaff, Role};
use sellstream_ops::talent::{
    Candidate, CandidateInput, DecisionInput, Interview, InterviewInput, Reader, ScoreInput,
    ScoreSheet, TalentConfig,
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
    Ok(axum::Json(
        state.talent.decide(id, decision, by, host).await?,
    ))
}
