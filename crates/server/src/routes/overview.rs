use crate::auth::Staff;
use crate::{ApiError, AppState};
use axum::extract::State;
use sellstream_core::Timestamp;
use sellstream_live::{LiveSession, SessionState};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct Overview {
    pub sessions_live: i64,
    pub sessions_scheduled: i64,
    pub products_on_shelf: i64,
    /// Sessions live now or starting in the next 24 hours.
    pub today: Vec<LiveSession>,
}

/// The console's first page (any staff).
#[utoipa::path(get, path = "/api/v1/overview", tag = "sessions", responses((status = 200, body = Overview)))]
pub async fn overview(
    State(state): State<AppState>,
    _staff: Staff,
) -> Result<axum::Json<Overview>, ApiError> {
    let now = Timestamp::now();
    Ok(axum::Json(Overview {
        sessions_live: state.sessions.count_in_state(SessionState::Live).await?,
        sessions_scheduled: state
            .sessions
            .count_in_state(SessionState::Scheduled)
            .await?,
        products_on_shelf: state.catalog.count_on_shelf().await?,
        today: state
            .sessions
            .between(now.plus_seconds(-3600), now.plus_seconds(24 * 3600))
            .await?,
    }))
}
