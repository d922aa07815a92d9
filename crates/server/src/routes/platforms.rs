//! The platform-choice assistant under `/api/v1/platforms` (plan §3).

use crate::auth::Staff;
use crate::extract::{Json, Path};
use crate::{ApiError, AppState, ErrorBody};
use axum::extract::State;
use sellstream_accounts::Role;
use sellstream_ops::platforms::{Answers, Assessment, Profile, ProfileInput, CRITERIA};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct ProfileList {
    pub items: Vec<Profile>,
    /// The criteria every profile is scored on, 1–5.
    pub criteria: Vec<String>,
}

/// The platform profiles with their sources (any staff).
#[utoipa::path(get, path = "/api/v1/platforms", tag = "platforms",
    responses((status = 200, body = ProfileList), (status = 401, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    _staff: Staff,
) -> Result<axum::Json<ProfileList>, ApiError> {
    Ok(axum::Json(ProfileList {
        items: state.platforms.list().await?,
        criteria: CRITERIA.iter().map(|c| (*c).to_owned()).collect(),
    }))
}

/// Replace a platform's scores, notes and sources (admin, operator).
#[utoipa::path(put, path = "/api/v1/platforms/{platform}", tag = "platforms",
    params(("platform" = String, Path)), request_body = ProfileInput,
    responses((status = 200, body = Profile), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    staff: Staff,
    Path(platform): Path<String>,
    Json(mut input): Json<ProfileInput>,
) -> Result<axum::Json<Profile>, ApiError> {
    let by = staff.require(&[Role::Operator])?.id;
    if input.platform != platform {
        return Err(ApiError::new(
            sellstream_core::ErrorCode::ValidationFailed,
            "platform: must be the one in the path",
        ));
    }
    input.platform = platform;
    Ok(axum::Json(state.platforms.save(input, by).await?))
}

/// Rank the platforms for a brand's answers, every score explained, with a mix where one
/// platform leaves a need uncovered and the brand's own results beside the profiles (any staff).
#[utoipa::path(post, path = "/api/v1/platforms/assess", tag = "platforms", request_body = Answers,
    responses((status = 200, body = Assessment), (status = 422, body = ErrorBody)))]
pub async fn assess(
    State(state): State<AppState>,
    _staff: Staff,
    Json(answers): Json<Answers>,
) -> Result<axum::Json<Assessment>, ApiError> {
    Ok(axum::Json(state.platforms.assess(&answers).await?))
}
