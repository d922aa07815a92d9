use crate::auth::MaybeSignedIn;
use crate::extract::{Path, Query};
use crate::{ApiError, AppState, ErrorBody};
use axum::extract::State;
use sellstream_core::{ErrorCode, Page, PageRequest};
use sellstream_live::{LiveSession, PublicSession, SessionFilter, SessionState};
use serde::Deserialize;
use utoipa::IntoParams;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PublicSessionQuery {
    /// `live`, `scheduled` or `ended` (their replays; default `live`).
    pub state: Option<String>,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

/// Sessions viewers can find: live now or coming up (no sign-in).
#[utoipa::path(get, path = "/api/v1/public/sessions", security(()), tag = "public", params(PublicSessionQuery),
    responses((status = 200, body = Page<LiveSession>), (status = 422, body = ErrorBody)))]
pub async fn sessions(
    State(state): State<AppState>,
    Query(q): Query<PublicSessionQuery>,
) -> Result<axum::Json<Page<LiveSession>>, ApiError> {
    let wanted = super::sessions::parse_state(q.state.as_deref().or(Some("live")))?;
    if !matches!(
        wanted,
        Some(SessionState::Live | SessionState::Scheduled | SessionState::Ended)
    ) {
        return Err(ApiError::new(
            ErrorCode::ValidationFailed,
            "state: `live`, `scheduled` or `ended`",
        ));
    }
    let filter = SessionFilter {
        state: wanted,
        q: None,
        public_only: true,
    };
    let page = PageRequest {
        page: q.page,
        per_page: q.per_page,
    };
    let mut page = state.sessions.list(&filter, page).await?;
    page.items = page
        .items
        .into_iter()
        .map(LiveSession::for_viewers)
        .collect();
    Ok(axum::Json(page))
}

/// A session with the on-shelf products of its bag (no sign-in).
#[utoipa::path(get, path = "/api/v1/public/sessions/{id}", security(()), tag = "public", params(("id" = i64, Path)),
    responses((status = 200, body = PublicSessionWithVideo), (status = 404, body = ErrorBody)))]
pub async fn session(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    MaybeSignedIn(account): MaybeSignedIn,
) -> Result<axum::Json<PublicSessionWithVideo>, ApiError> {
    // Staff open a practice session's room page too, to play its viewers.
    let staff = account.is_some_and(|a| a.is_staff());
    Ok(axum::Json(PublicSessionWithVideo {
        session: state.sessions.public_for(id, staff).await?,
        video: state.media.video(id).await?,
    }))
}

/// A public session and what its room plays.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct PublicSessionWithVideo {
    #[serde(flatten)]
    pub session: PublicSession,
    /// `{"state": "live"|"offline", "hls_url", "demo_clip_url", "since"}`.
    #[schema(value_type = Object)]
    pub video: serde_json::Value,
}

/// A session's drawn lotteries with winners, seed and entrants, so anyone can re-run a draw
/// (no sign-in).
#[utoipa::path(get, path = "/api/v1/public/sessions/{id}/lotteries", tag = "public", security(()), params(("id" = i64, Path)),
    responses((status = 200, body = super::sessions::LotteryList), (status = 404, body = ErrorBody)))]
pub async fn lotteries(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<axum::Json<super::sessions::LotteryList>, ApiError> {
    state.sessions.public(id).await?;
    Ok(axum::Json(super::sessions::LotteryList {
        items: state.rooms.drawn_lotteries(id).await?,
    }))
}
