//! Competitor watch over HTTP (docs/competitors.md): the watched rooms, what was observed of
//! their sessions (entered, or imported from an export), and theirs beside ours over time.

use super::analytics::{domain, READERS};
use crate::auth::Staff;
use crate::error::ErrorBody;
use crate::extract::{Json, Path, Query};
use crate::{ApiError, AppState};
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use sellstream_accounts::Role;
use sellstream_analytics::competitors::{
    Competitor, CompetitorInput, Observation, ObservationImport, ObservationInput, Watch,
    WatchQuery,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

const WATCHERS: &[Role] = &[Role::Operator, Role::Analyst];

#[derive(Serialize, ToSchema)]
pub struct CompetitorList {
    pub items: Vec<Competitor>,
}

/// The watched competitor rooms (operator, analyst, host, controller).
#[utoipa::path(get, path = "/api/v1/competitors", tag = "analytics",
    responses((status = 200, body = CompetitorList)))]
pub async fn list(
    State(state): State<AppState>,
    staff: Staff,
) -> Result<axum::Json<CompetitorList>, ApiError> {
    staff.require(READERS)?;
    Ok(axum::Json(CompetitorList {
        items: state.analytics.competitors().await.map_err(domain)?,
    }))
}

/// Watch a competitor room (operator, analyst); one record per platform and room (409).
#[utoipa::path(post, path = "/api/v1/competitors", tag = "analytics", request_body = CompetitorInput,
    responses((status = 201, body = Competitor), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    staff: Staff,
    Json(input): Json<CompetitorInput>,
) -> Result<(StatusCode, axum::Json<Competitor>), ApiError> {
    let by = staff.require(WATCHERS)?.id;
    Ok((
        StatusCode::CREATED,
        axum::Json(
            state
                .analytics
                .save_competitor(None, input, by)
                .await
                .map_err(domain)?,
        ),
    ))
}

#[derive(Serialize, ToSchema)]
pub struct CompetitorDetail {
    #[serde(flatten)]
    pub competitor: Competitor,
    /// Newest first.
    pub sessions: Vec<Observation>,
}

/// A competitor with what was observed of their sessions.
#[utoipa::path(get, path = "/api/v1/competitors/{id}", tag = "analytics", params(("id" = i64, Path)),
    responses((status = 200, body = CompetitorDetail), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<axum::Json<CompetitorDetail>, ApiError> {
    staff.require(READERS)?;
    Ok(axum::Json(CompetitorDetail {
        competitor: state.analytics.competitor(id).await.map_err(domain)?,
        sessions: state.analytics.observations(id).await.map_err(domain)?,
    }))
}

#[utoipa::path(put, path = "/api/v1/competitors/{id}", tag = "analytics", params(("id" = i64, Path)),
    request_body = CompetitorInput,
    responses((status = 200, body = Competitor), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Json(input): Json<CompetitorInput>,
) -> Result<axum::Json<Competitor>, ApiError> {
    let by = staff.require(WATCHERS)?.id;
    Ok(axum::Json(
        state
            .analytics
            .save_competitor(Some(id), input, by)
            .await
            .map_err(domain)?,
    ))
}

/// Stop watching a competitor; their observations go with them.
#[utoipa::path(delete, path = "/api/v1/competitors/{id}", tag = "analytics", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    staff.require(WATCHERS)?;
    state
        .analytics
        .delete_competitor(id)
        .await
        .map_err(domain)?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct ObservationList {
    pub items: Vec<Observation>,
}

/// Record what was seen of one of their sessions (operator, analyst); the same start again
/// replaces it.
#[utoipa::path(post, path = "/api/v1/competitors/{id}/sessions", tag = "analytics", params(("id" = i64, Path)),
    request_body = ObservationInput,
    responses((status = 201, body = ObservationList), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn observe(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Json(input): Json<ObservationInput>,
) -> Result<(StatusCode, axum::Json<ObservationList>), ApiError> {
    let by = staff.require(WATCHERS)?.id;
    Ok((
        StatusCode::CREATED,
        axum::Json(ObservationList {
            items: state
                .analytics
                .observe(id, input, by)
                .await
                .map_err(domain)?,
        }),
    ))
}

#[utoipa::path(delete, path = "/api/v1/competitors/{id}/sessions/{observation}", tag = "analytics",
    params(("id" = i64, Path), ("observation" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn unobserve(
    State(state): State<AppState>,
    staff: Staff,
    Path((id, observation)): Path<(i64, i64)>,
) -> Result<StatusCode, ApiError> {
    staff.require(WATCHERS)?;
    state
        .analytics
        .delete_observation(id, observation)
        .await
        .map_err(domain)?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FileQuery {
    #[serde(default)]
    pub file_name: String,
}

/// Import a competitor's sessions from an export (their platform's column mapping; rows of
/// other rooms are left out; all or nothing). The file is the body, up to 20 MB.
#[utoipa::path(post, path = "/api/v1/competitors/{id}/sessions/import", tag = "analytics",
    params(("id" = i64, Path), FileQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 201, body = ObservationImport), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn import(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Query(q): Query<FileQuery>,
    headers: HeaderMap,
    body: Body,
) -> Result<(StatusCode, axum::Json<ObservationImport>), ApiError> {
    let by = staff.require(WATCHERS)?.id;
    let bytes = super::imports::file(&headers, body).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(
            state
                .analytics
                .import_observations(id, &q.file_name, &bytes, by)
                .await
                .map_err(domain)?,
        ),
    ))
}

/// Ours beside theirs, by week or month: sessions and per-session means of UV, peak and GMV
/// (theirs as observed).
#[utoipa::path(get, path = "/api/v1/competitors/watch", tag = "analytics", params(WatchQuery),
    responses((status = 200, body = Watch), (status = 422, body = ErrorBody)))]
pub async fn watch(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<WatchQuery>,
) -> Result<axum::Json<Watch>, ApiError> {
    staff.require(READERS)?;
    Ok(axum::Json(state.analytics.watch(&q).await.map_err(domain)?))
}
