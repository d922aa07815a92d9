//! Post-live review notes (复盘) and their action items.

use crate::auth::Staff;
use crate::extract::{Json, Path};
use crate::{ApiError, AppState, ErrorBody};
use axum::extract::State;
use axum::http::StatusCode;
use sellstream_accounts::Role;
use sellstream_analytics::Metrics;
use sellstream_ops::reviews::{Action, ActionInput, Notes, NotesInput};
use serde::Serialize;
use utoipa::ToSchema;

/// Who writes reviews: the team that ran the session.
const WRITERS: &[Role] = &[Role::Operator, Role::Host, Role::Controller];

#[derive(Serialize, ToSchema)]
pub struct Review {
    #[serde(flatten)]
    pub notes: Notes,
    /// The session's figures the notes speak about (docs/metrics.md).
    pub metrics: Metrics,
}

/// A session's review notes and action items, beside its figures (any staff).
#[utoipa::path(get, path = "/api/v1/sessions/{id}/review-notes", tag = "sessions", params(("id" = i64, Path)),
    responses((status = 200, body = Review), (status = 404, body = ErrorBody)))]
pub async fn get_notes(
    State(state): State<AppState>,
    _staff: Staff,
    Path(id): Path<i64>,
) -> Result<axum::Json<Review>, ApiError> {
    let notes = state.reviews.notes(id).await?;
    let metrics = state
        .analytics
        .metrics(id)
        .await
        .map_err(ApiError::from_domain)?;
    Ok(axum::Json(Review { notes, metrics }))
}

/// Write what went well and what did not (operator, host, controller; a session that has gone live).
#[utoipa::path(put, path = "/api/v1/sessions/{id}/review-notes", tag = "sessions", params(("id" = i64, Path)),
    request_body = NotesInput,
    responses((status = 200, body = Notes), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn put_notes(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Json(input): Json<NotesInput>,
) -> Result<axum::Json<Notes>, ApiError> {
    let by = staff.require(WRITERS)?.id;
    Ok(axum::Json(state.reviews.set_notes(id, input, by).await?))
}

/// Add an action item with an owner and a due day (operator, host, controller).
#[utoipa::path(post, path = "/api/v1/sessions/{id}/actions", tag = "sessions", params(("id" = i64, Path)),
    request_body = ActionInput,
    responses((status = 201, body = Action), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn add_action(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Json(input): Json<ActionInput>,
) -> Result<(StatusCode, axum::Json<Action>), ApiError> {
    staff.require(WRITERS)?;
    Ok((
        StatusCode::CREATED,
        axum::Json(state.reviews.add_action(id, input).await?),
    ))
}

#[derive(Serialize, ToSchema)]
pub struct ActionList {
    pub items: Vec<Action>,
}

/// Open action items from every review, the soonest due first: what the next plan must answer
/// (any staff).
#[utoipa::path(get, path = "/api/v1/actions", tag = "sessions",
    responses((status = 200, body = ActionList)))]
pub async fn open_actions(
    State(state): State<AppState>,
    _staff: Staff,
) -> Result<axum::Json<ActionList>, ApiError> {
    Ok(axum::Json(ActionList {
        items: state.reviews.open_actions().await?,
    }))
}

/// Edit, close (`done: true`) or reopen an action item (operator, host, controller).
#[utoipa::path(put, path = "/api/v1/actions/{id}", tag = "sessions", params(("id" = i64, Path)),
    request_body = ActionInput,
    responses((status = 200, body = Action), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_action(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Json(input): Json<ActionInput>,
) -> Result<axum::Json<Action>, ApiError> {
    staff.require(WRITERS)?;
    Ok(axum::Json(state.reviews.update_action(id, input).await?))
}

/// Delete an action item raised by mistake (operator, host, controller).
#[utoipa::path(delete, path = "/api/v1/actions/{id}", tag = "sessions", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn delete_action(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    staff.require(WRITERS)?;
    state.reviews.delete_action(id).await?;
    Ok(StatusCode::NO_CONTENT)
}
