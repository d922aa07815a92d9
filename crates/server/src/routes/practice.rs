//! Live practice: a trainee's private session in the real room, and the trainers' scorecards
//! (docs/hosts.md, "Live practice").

use crate::auth::Staff;
use crate::extract::{Json, Path, Query};
use crate::{ApiError, AppState, ErrorBody};
use axum::extract::State;
use axum::http::StatusCode;
use sellstream_accounts::Role;
use sellstream_core::{ErrorCode, Timestamp};
use sellstream_live::{Format, SessionInput, Theme};
use sellstream_ops::practice::{PracticeSession, ScorecardInput};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Who sets up practice sessions and scores them.
const TRAINERS: &[Role] = &[Role::TalentManager, Role::Operator];
/// At most this many products in a practice bag.
const MAX_PRODUCTS: usize = 20;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PracticeInput {
    /// The trainee: a host enrolled in the course.
    pub host_id: i64,
    /// Defaults to the course's title with "（带播练习）".
    #[serde(default)]
    pub title: Option<String>,
    pub scheduled_start: Timestamp,
    pub scheduled_end: Timestamp,
    /// Products the trainee presents: they go into the practice bag, in this order.
    #[serde(default)]
    pub product_ids: Vec<i64>,
}

/// Set up a practice session of a live-practice course (talent manager, operator): a private
/// session in the real room for an enrolled host, with the products to present.
#[utoipa::path(post, path = "/api/v1/courses/{id}/practice", tag = "hosts", params(("id" = i64, Path)),
    request_body = PracticeInput,
    responses((status = 201, body = PracticeSession), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    staff: Staff,
    Path(course): Path<i64>,
    Json(input): Json<PracticeInput>,
) -> Result<(StatusCode, axum::Json<PracticeSession>), ApiError> {
    staff.require(TRAINERS)?;
    let course_title = state.practice.check_new(course, input.host_id).await?;
    if input.product_ids.len() > MAX_PRODUCTS {
        return Err(ApiError::new(
            ErrorCode::ValidationFailed,
            format!("product_ids: at most {MAX_PRODUCTS}"),
        ));
    }
    let mut ids = input.product_ids.clone();
    ids.sort_unstable();
    ids.dedup();
    if ids.len() != input.product_ids.len() {
        return Err(ApiError::new(
            ErrorCode::ValidationFailed,
            "product_ids: each product once",
        ));
    }
    // Every product must exist before anything is written.
    let found = state.catalog.get_many(&ids).await?;
    if let Some(missing) = ids.iter().find(|id| !found.iter().any(|p| p.id == **id)) {
        return Err(ApiError::new(
            ErrorCode::ValidationFailed,
            format!("product_ids: no product {missing}"),
        ));
    }
    let title = input
        .title
        .filter(|t| !t.trim().is_empty())
        .unwrap_or_else(|| format!("{course_title}（带播练习）"));
    let session = state
        .sessions
        .create_practice(
            SessionInput {
                title,
                theme: Theme::Custom,
                format: Format::default(),
                festival: None,
                promotion_policy: String::new(),
                channel: "own".into(),
                host_id: Some(input.host_id),
                scheduled_start: input.scheduled_start,
                scheduled_end: input.scheduled_end,
                cover_url: None,
                target_gmv_fen: None,
                target_viewers: None,
                target_orders: None,
            },
            course,
        )
        .await?;
    for product in &input.product_ids {
        state.sessions.add_to_bag(session.id, *product).await?;
    }
    Ok((
        StatusCode::CREATED,
        axum::Json(state.practice.get(session.id).await?),
    ))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PracticeQuery {
    pub course_id: Option<i64>,
    pub host_id: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct PracticeList {
    pub items: Vec<PracticeSession>,
}

/// Practice sessions with their scorecards, newest first (talent manager, operator; a host sees
/// their own).
#[utoipa::path(get, path = "/api/v1/practice", tag = "hosts", params(PracticeQuery),
    responses((status = 200, body = PracticeList)))]
pub async fn list(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<PracticeQuery>,
) -> Result<axum::Json<PracticeList>, ApiError> {
    let host = if staff.0.has_any_role(TRAINERS) {
        q.host_id
    } else if staff.0.roles.contains(&Role::Host) {
        Some(staff.0.id)
    } else {
        staff.require(TRAINERS)?;
        None
    };
    Ok(axum::Json(PracticeList {
        items: state.practice.list(q.course_id, host).await?,
    }))
}

/// A practice session, its scorecards and what the room's log shows (talent manager, operator,
/// the trainee).
#[utoipa::path(get, path = "/api/v1/practice/{session_id}", tag = "hosts", params(("session_id" = i64, Path)),
    responses((status = 200, body = PracticeSession), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    staff: Staff,
    Path(session): Path<i64>,
) -> Result<axum::Json<PracticeSession>, ApiError> {
    let p = state.practice.get(session).await?;
    if p.host_id != Some(staff.0.id) {
        staff.require(TRAINERS)?;
    }
    Ok(axum::Json(p))
}

/// A trainer's scorecard of the practice show, once it has started (talent manager, operator;
/// not the trainee). Scoring again replaces the trainer's card.
#[utoipa::path(put, path = "/api/v1/practice/{session_id}/scorecard", tag = "hosts", params(("session_id" = i64, Path)),
    request_body = ScorecardInput,
    responses((status = 200, body = PracticeSession), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn score(
    State(state): State<AppState>,
    staff: Staff,
    Path(session): Path<i64>,
    Json(input): Json<ScorecardInput>,
) -> Result<axum::Json<PracticeSession>, ApiError> {
    let trainer = staff.require(TRAINERS)?.id;
    Ok(axum::Json(
        state.practice.score(session, trainer, input).await?,
    ))
}
